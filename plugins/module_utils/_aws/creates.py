# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Create calls that make one resource, even when AWS's answer is lost on the way back.

CreateInternetGateway and AllocateAddress take no ClientToken: sent twice, they create twice. botocore sends a
request again whenever its connection drops, so an answer lost after AWS carried the call out (a network blip, a
proxy timing out) leaves a second resource. :func:`create_once` makes such a call through the client's
``no_resend`` twin (:class:`module.Ec2Client`), on which botocore retries nothing, and decides itself what a
failure means:

* AWS refused the call (throttling, ``503 Service Unavailable``): it was not carried out and is sent again, with
  the backoff of every other call. AWSRetry also retries ``InternalError``/``InternalFailure`` (HTTP 500); EC2 can
  answer those after it made the change, so they are not refusals here.
* The outcome is unknown (the connection failed or dropped, a read timed out, a 500 from AWS, a 502/504 from a
  gateway in the way): the resource is looked for by the identity tags the call gave it in ``TagSpecifications``.
  EC2 may not list a new resource for a while (eventual consistency), so the looks go on, quickly at first, for
  up to :data:`LOOK_TIMEOUT`. Found, it is the result; still not found, the call is sent again. A create that
  never reached AWS therefore costs that wait, and one that did never makes a second resource.
"""

from __future__ import annotations

import time
import typing

try:
    from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotocoreConnectionError
except ImportError:  # AnsibleAWSModule reports the missing dependency itself
    BotoCoreError = ClientError = HTTPClientError = BotocoreConnectionError = ()

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import (
    _BACKOFF,
    PROPAGATION_BACKOFF,
    PROPAGATION_TIMEOUT,
    OnlyCodesRetry,
)

if typing.TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import Any, TypeAlias, TypeVar

    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import Client
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import RetryDecorator

    # Looks for the resource a create call made, by the identity tags the call gave it.
    FindCreated: TypeAlias = Callable[[], Resource | None]
    Found = TypeVar("Found")

# Answers by which AWS (or a load balancer in front of it: botocore names a bare 503 page's error "503") says it
# did not handle the call.
REFUSED_CODES = (
    "RequestLimitExceeded",
    "Throttling",
    "TooManyRequestsException",
    "ServiceUnavailable",
    "Unavailable",
    "503",
)
# Answers that leave open whether the call was carried out: AWS's internal errors, a gateway's bad answer or timeout.
OUTCOME_UNKNOWN_CODES = ("InternalError", "InternalFailure", "500", "502", "504")

# Each try after an unknown outcome costs looks and a create; an endpoint that loses every answer is reported, not
# hammered.
MAX_CREATE_ATTEMPTS = 3
# How long to go on looking for a resource whose create answer was lost before sending the create again.
LOOK_TIMEOUT = PROPAGATION_TIMEOUT


class RefusedRetry(OnlyCodesRetry):
    """Retries AWS's refusals only (see the module docstring for why not its 500s)."""

    codes = REFUSED_CODES


# The retry policy of the ``no_resend`` client: AWS_RETRY's backoff, for refusals only.
NO_RESEND_RETRY: RetryDecorator = RefusedRetry.jittered_backoff(**_BACKOFF)


def outcome_unknown(error: BaseException) -> bool:
    """True when ``error`` leaves open whether AWS carried out the call that raised it."""
    if isinstance(error, (BotocoreConnectionError, HTTPClientError)):
        return True
    return isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in OUTCOME_UNKNOWN_CODES


def create_once(
    client: Client,
    operation: str,
    find_created: FindCreated,
    *,
    result_key: str | None = None,
    taken_codes: Sequence[str] = (),
    **kwargs: Any,
) -> Resource:
    """Call EC2 ``operation`` (``"create_internet_gateway"``...) with ``kwargs``; return the resource it created.

    ``find_created()`` returns the resource this call created, selected by the identity tags ``kwargs`` give it in
    ``TagSpecifications`` (or ``None``); it is asked only when a call's outcome is unknown. ``result_key`` picks the
    resource out of the response (``"InternetGateway"``); ``None`` returns the whole response (AllocateAddress
    answers with the address itself). After ``MAX_CREATE_ATTEMPTS`` unknown outcomes, the last error is raised.

    ``taken_codes``: AWS's answers that the resource exists already (a subnet's CIDR is taken). Made by an earlier
    run that AWS does not list yet, it is looked for like a lost answer's resource and returned as described; not
    found, the error is raised.
    """
    for _attempt in range(MAX_CREATE_ATTEMPTS):
        # getattr, not isinstance: a wrapper around the module's client (the run's model) delegates ``no_resend``.
        # Taken anew for each try: such a wrapper forgets what it read whenever anything but a read is taken from it,
        # so the looks after this try ask AWS, not the answers of the looks after the previous one.
        create = getattr(getattr(client, "no_resend", client), operation)
        try:
            response = create(aws_retry=True, **kwargs)
        except (BotoCoreError, ClientError) as error:
            if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in taken_codes:
                return _existing(client, find_created, error)
            if not outcome_unknown(error):
                raise
            unknown = error
        else:
            created: Resource = response if result_key is None else response[result_key]
            return created
        found = look_for(client, find_created)
        if found is not None:
            return found
    raise unknown


def _existing(client: Client, find_created: FindCreated, taken: Exception) -> Resource:
    found = look_for(client, find_created)
    if found is None:
        raise taken
    return found


def look_for(client: Client, find_created: Callable[[], Found | None]) -> Found | None:
    """``find_created()``'s first answer that is not ``None``, asked after pauses growing like the propagation
    retries' (a quarter of a second first) until :data:`LOOK_TIMEOUT` has passed; then ``None``. Each look asks AWS:
    a client that remembers what it read (the run's model) forgets it first."""
    deadline = time.monotonic() + LOOK_TIMEOUT
    pause = PROPAGATION_BACKOFF["delay"]
    forget = getattr(client, "forget", None)
    while True:
        time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
        if forget is not None:
            forget()
        found = find_created()
        if found is not None or time.monotonic() >= deadline:
            return found
        pause = min(pause * PROPAGATION_BACKOFF["backoff"], PROPAGATION_BACKOFF["max_delay"])
