"""NAT gateway state changes are written into moto's request recording, where they happen among the requests.

Why: a test that proves a run kept egress ("no private route moved to a NAT gateway before it was available, no NAT
gateway deleted while a route used it") must know when each NAT gateway became available relative to the calls the
run made. Moto's recorder lists requests only, and the lifecycle (nat_lifecycle.py) moves a NAT gateway along inside
a request: at once, at the N-th DescribeNatGateways, or after some seconds. AWS has no such record; this is an
instrument of the emulator, not a behaviour of AWS, and it changes no answer.

How: a ``nat_lifecycle.TRANSITION_HOOKS`` hook appends, while recording is on, one entry to the recording file, of
method ``NAT_STATE_EVENT_METHOD`` and url ``NAT_STATE_EVENT_URL`` (aws_emulator/__init__.py), whose body is the JSON of
``nat_gateway_id``, ``old_state`` and ``new_state``. It has no ``Action``, so call counts (``Recording.actions``)
leave it out; ``Recording.nat_states`` lists these events (tests/aws_emulator/client.py).
"""

import json
from typing import Any

from aws_emulator import NAT_STATE_EVENT_METHOD, NAT_STATE_EVENT_URL

from . import nat_lifecycle

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = ("test_emulator_nat_state_events.py::test_state_changes_are_recorded_after_the_request_that_made_them",)


def record_state_change(nat: Any, old_state: str | None, new_state: str | None) -> None:
    """Transition hook: one recording entry per state change, after the entry of the request it happened in."""
    from moto.moto_api import recorder  # noqa: PLC0415 - imported only once the server has set the recording file

    if not recorder._user_enabled:
        return
    body = json.dumps({"nat_gateway_id": nat.id, "old_state": old_state, "new_state": new_state})
    entry = {
        "headers": {},
        "method": NAT_STATE_EVENT_METHOD,
        "url": NAT_STATE_EVENT_URL,
        "body": body,
        "body_encoded": False,
    }
    with open(recorder._location, "a+") as file:
        file.write(json.dumps(entry) + "\n")


def apply() -> None:
    if record_state_change not in nat_lifecycle.TRANSITION_HOOKS:
        nat_lifecycle.TRANSITION_HOOKS.append(record_state_change)
