# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The lifecycle every NAT gateway of ours goes through, zonal (nat_gateway.py) or regional
(regional_nat_gateway.py): choose the usable one of a place, replace a failed one, create with a ClientToken, wait
until available, delete and wait until deleted.

What differs between the two stays in their files: where a gateway goes (a public subnet, or the VPC with zone
addresses), its addresses, its tags and how it is reported. A place is a subnet for a zonal gateway and the VPC for a
regional one.

Waiting is done in rounds of one describe for every gateway, so waiting for three costs what waiting for one does;
the ``nat_gateway_wait`` module polls the same :func:`availability_check`, a few seconds at a time, so that a play can
print progress between rounds (on AWS a new NAT gateway is ``pending`` for minutes).
"""

from __future__ import annotations

import dataclasses
import datetime
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws import describe
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.read_cache import uncached
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import PROPAGATION_TIMEOUT
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.waiters import poll_until
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import (
    InvalidInput,
    ResourceFailed,
    WaitTimeout,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.ids import check_id_format
from ansible_collections.cloudreactor.aws.plugins.module_utils._model import routing
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import elastic_ip
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import Scope

Nat = dict[str, Any]  # a NAT gateway as DescribeNatGateways answers it

COMPONENT = "nat-gateway"
RESOURCE_TYPE = "natgateway"  # TagSpecifications resource type of CreateNatGateway

USABLE_STATES = routing.NAT_USABLE_STATES
DEAD_STATES = routing.NAT_DEAD_STATES
DELETABLE_STATES = ("pending", "available", "failed")
CHANGING_ACTIONS = ("created", "replaced", "updated", "deleted")

# How many times a create may meet a ClientToken already spent on a NAT gateway that is gone (see create()).
MAX_STALE_TOKENS = 5


@dataclasses.dataclass(frozen=True)
class NatDesired:
    """What NAT gateways of either kind are given: ``allocation_ids``, the user's addresses (never released);
    ``wait``: until they are available (else ``Outcome.pending`` waits) or, for ``absent()``, deleted;
    ``wait_timeout``: seconds."""

    allocation_ids: Sequence[str] = ()
    wait: bool = True
    wait_timeout: int = 600


def check_options(params: Mapping[str, Any]) -> None:
    """The nat_gateway module's checks that both kinds share and that need no AWS call."""
    if not (params["network_name"] or "").strip():
        raise InvalidInput("network_name", "must not be empty")
    if params["wait_timeout"] < 0:
        raise InvalidInput("wait_timeout", "must be 0 or more seconds")
    check_id_format("allocation_ids", params["allocation_ids"] or [], "eipalloc")


def age_key(nat: Nat) -> tuple[str, str]:
    """Sorts NAT gateways oldest first (ties by id): which one is kept, and which one a new one succeeds."""
    return (str(nat.get("CreateTime") or ""), nat["NatGatewayId"])


def interfaces(nats: Iterable[Nat]) -> set[str]:
    """The network interfaces that hold the addresses of ``nats``."""
    return {
        address["NetworkInterfaceId"]
        for nat in nats
        for address in nat.get("NatGatewayAddresses") or []
        if address.get("NetworkInterfaceId")
    }


def recently_gone(nat: Nat) -> bool:
    """True for a NAT gateway being deleted, or deleted so recently that AWS may still be releasing its network
    interface and public address (the subnet, VPC and internet gateway wait on that release)."""
    if nat.get("State") == "deleting":
        return True
    deleted_at = nat.get("DeleteTime")
    if nat.get("State") != "deleted" or not isinstance(deleted_at, datetime.datetime):
        return False
    return time.time() - deleted_at.timestamp() < PROPAGATION_TIMEOUT


def choose_usable(
    nats: Sequence[Nat], is_ours: Callable[[Nat], bool], warn: Callable[[str], None], several: str
) -> Nat | None:
    """The ``pending``/``available`` NAT gateway that serves a place: ours first, then available before pending, then
    the oldest (the same one every run); ``None`` when there is none. ``several`` starts the warning about the others
    (``"subnet subnet-… has several NAT gateways"``)."""
    usable = sorted(
        (nat for nat in nats if nat.get("State") in USABLE_STATES),
        key=lambda nat: (not is_ours(nat), nat.get("State") != "available", age_key(nat)),
    )
    if len(usable) > 1:
        others = ", ".join(nat["NatGatewayId"] for nat in usable[1:])
        warn(f"{several}; using {usable[0]['NatGatewayId']}, not {others}")
    return usable[0] if usable else None


@dataclasses.dataclass
class Succession:
    """What a new NAT gateway of a place follows. ``failed``: our failed ones, oldest first (deleted, replaced by the
    new one); ``predecessor``: the id of our newest dead one (part of the ClientToken, so a new gateway never reuses a
    token spent on the one before); ``dead_ids``: every dead one of the place (a token that returns one is stale)."""

    failed: list[Nat]
    predecessor: str
    dead_ids: set[str]

    @classmethod
    def of(cls, nats: Sequence[Nat], is_ours: Callable[[Nat], bool]) -> Succession:
        ours_dead = [nat for nat in nats if is_ours(nat) and nat.get("State") in DEAD_STATES]
        return cls(
            failed=sorted((nat for nat in ours_dead if nat.get("State") == "failed"), key=age_key),
            predecessor=max(ours_dead, key=age_key)["NatGatewayId"] if ours_dead else "",
            dead_ids={nat["NatGatewayId"] for nat in nats if nat.get("State") in DEAD_STATES},
        )

    @property
    def replaced(self) -> Nat | None:
        """The failed gateway the new one replaces (the newest), reported with its failure."""
        return self.failed[-1] if self.failed else None

    @property
    def action(self) -> str:
        return "replaced" if self.failed else "created"


def refuse_busy_address(eip: Mapping[str, Any], where: str = "", freed_by: Iterable[str] = ()) -> None:
    """Refuse a given address that cannot serve a new NAT gateway: not a VPC address, or associated with something
    (unless with one of the network interfaces ``freed_by``, those of our gateways being deleted). ``where`` adds the
    place to the message."""
    allocation_id = eip["AllocationId"]
    if eip.get("Domain", "vpc") != "vpc":
        raise InvalidInput("allocation_ids", f"{allocation_id} is not a VPC address (Domain vpc)")
    used_by = elastic_ip.association(eip)
    if used_by and eip.get("NetworkInterfaceId") not in set(freed_by):
        raise InvalidInput("allocation_ids", f"{allocation_id}{where} is already associated with {used_by}")


def create(client: Any, succession: Succession, token: Callable[[str], str], where: str, **create_args: Any) -> Nat:
    """``CreateNatGateway`` with ``create_args`` and the ClientToken ``token(predecessor)``: a retried or re-run create
    with the same inputs returns the same gateway.

    AWS remembers a ClientToken longer than it shows deleted NAT gateways: should the token return a gateway that is
    dead, that one becomes the predecessor and the (again deterministic) next token is used. ``where`` names the place
    when that keeps happening."""
    predecessor = succession.predecessor
    for _attempt in range(MAX_STALE_TOKENS):
        nat: Nat = client.create_nat_gateway(ClientToken=token(predecessor), aws_retry=True, **create_args)[
            "NatGateway"
        ]
        if nat["NatGatewayId"] not in succession.dead_ids and nat.get("State") not in ("deleting", "deleted"):
            client.record("describe_nat_gateways", nat, created=True)
            return nat
        predecessor = nat["NatGatewayId"]
    raise ResourceFailed(
        f"CreateNatGateway {where} keeps returning NAT gateways that are gone (last: {predecessor}); try again later, "
        "or with other addresses in allocation_ids",
        changed=True,
        **({"subnet_id": create_args["SubnetId"]} if "SubnetId" in create_args else {}),
    )


def refuse_dead(nat: Nat, changed: bool) -> None:
    """Raise :class:`ResourceFailed` when ``nat`` will never become available: a failed one with AWS's FailureCode
    and FailureMessage, or one being deleted. ``changed`` tells Ansible whether the failing run changed anything."""
    nat_id = nat["NatGatewayId"]
    subnet_id = nat.get("SubnetId")  # a regional NAT gateway has none
    where = f"in subnet {subnet_id}" if subnet_id else f"(regional, in {nat.get('VpcId')})"
    state = nat.get("State")
    if state == "failed":
        raise ResourceFailed(
            f"NAT gateway {nat_id} {where} failed: "
            f"{nat.get('FailureCode', 'no code')}: {nat.get('FailureMessage', 'no message')}",
            subnet_id=subnet_id,
            nat_gateway_id=nat_id,
            failure_code=nat.get("FailureCode"),
            failure_message=nat.get("FailureMessage"),
            changed=changed,
        )
    if state in ("deleting", "deleted"):
        raise ResourceFailed(
            f"NAT gateway {nat_id} {where} is {state} (deleted by someone else?)",
            subnet_id=subnet_id,
            nat_gateway_id=nat_id,
            changed=changed,
        )


def availability_check(
    client: Any, nat_ids: Sequence[str], seen: MutableMapping[str, Nat], changed: bool
) -> Callable[[], tuple[bool, str]]:
    """The check to :func:`poll_until` ``nat_ids`` are available, with one describe per round; ``seen`` holds each as
    the last round saw it, also when the poll times out. The first that fails raises at once (see :func:`refuse_dead`):
    waiting longer cannot help."""
    client = uncached(client)

    def check() -> tuple[bool, str]:
        seen.update(describe.nat_gateways_by_id(client, nat_ids))
        for nat in seen.values():
            refuse_dead(nat, changed)
        states = {nat_id: seen.get(nat_id, {}).get("State") for nat_id in nat_ids}
        not_ready = [
            f"{nat_id} ({state or 'not visible yet'})" for nat_id, state in states.items() if state != "available"
        ]
        return not not_ready, ", ".join(not_ready)

    return check


def wait_recorded(client: Any, nats: Sequence[Nat], timeout: float, what: str, changed: bool) -> list[Nat]:
    """Wait until ``nats`` (of this run's model) are available; returns them as AWS then describes them, as the run's
    model now knows them too. ``what`` names them in a timeout's message."""
    seen: dict[str, Nat] = {}
    check = availability_check(client, [nat["NatGatewayId"] for nat in nats], seen, changed)
    poll_until(check, timeout, f"{what} to become available")
    for nat in seen.values():
        client.record("describe_nat_gateways", nat)
    return [seen[nat["NatGatewayId"]] for nat in nats]


def wait_a_round(client: Any, nat_ids: Sequence[str], timeout: float) -> tuple[bool, list[dict[str, Any]]]:
    """The ``nat_gateway_wait`` module's work: poll :func:`availability_check` for at most ``timeout`` seconds.
    Returns ``(all_available, states)``; ``states`` lists each NAT gateway's ``nat_gateway_id``, ``subnet_id`` and
    ``state`` as the last round saw them (``None`` while EC2 does not list a new one yet). Reaching the timeout is no
    failure: the caller reports the states and decides whether to wait again."""
    seen: dict[str, Nat] = {}
    check = availability_check(client, nat_ids, seen, changed=False)
    try:
        poll_until(check, timeout, "NAT gateways to become available")
        all_available = True
    except WaitTimeout:
        all_available = False
    states = [
        {
            "nat_gateway_id": nat_id,
            "subnet_id": seen.get(nat_id, {}).get("SubnetId"),
            "state": seen.get(nat_id, {}).get("State"),
        }
        for nat_id in nat_ids
    ]
    return all_available, states


def summary(nat: Nat | None, **details: Any) -> dict[str, Any] | None:
    """A NAT gateway as the diff shows it: its id and state, and the ``details`` of its kind."""
    if nat is None:
        return None
    return {"nat_gateway_id": nat.get("NatGatewayId"), "state": nat.get("State"), **details}


def pending_nat_gateways(nat_data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The NAT gateways of a NAT reconciler's ``present()`` data that are not available yet, as the ``network``
    module returns them. A regional NAT gateway serves every zone: its zone is shown as ``regional``."""
    return [
        {
            "nat_gateway_id": nat["nat_gateway_id"],
            "availability_zone": "regional" if nat.get("availability_mode") == "regional" else nat["availability_zone"],
            "subnet_id": nat["subnet_id"],
            "state": nat["state"],
        }
        for nat in nat_data["nat_gateways"]
        if nat["nat_gateway_id"] and nat["state"] != "available"
    ]


def allocation_ids(nat_data: Mapping[str, Any]) -> set[str]:
    """The addresses the NAT gateways of a NAT reconciler's ``present()`` data have or, in check mode, would get (a
    free address of ours it reuses included)."""
    ids = set()
    for nat in nat_data["nat_gateways"]:
        ids.add(nat.get("allocation_id"))
        ids.update(address.get("allocation_id") for address in nat.get("addresses") or [])
    return ids - {None}


# -- removal ---------------------------------------------------------------------------------------------------


def delete(client: Any, nat_id: str) -> None:
    """Delete ``nat_id`` (one already gone is fine) and tell the run's model that what it held is being released."""
    try:
        client.delete_nat_gateway(NatGatewayId=nat_id, aws_retry=True)
    except is_boto3_error_code(["NatGatewayNotFound", "InvalidNatGatewayID.NotFound"]):
        pass
    # Its network interfaces and public addresses are released a while after it is deleted.
    client.releasing(f"NAT gateway {nat_id}")


def wait_deleted(client: Any, nats: Sequence[Nat], timeout: float, what: str) -> dict[str, str | None]:
    """Poll all of ``nats`` with one describe per round until each is ``deleted`` (or no longer listed); returns the
    states last seen, by id. ``what`` names them in a timeout's message."""
    ids = [nat["NatGatewayId"] for nat in nats]
    states: dict[str, str | None] = {}
    client = uncached(client)

    def check() -> tuple[bool, str]:
        found = describe.nat_gateways_by_id(client, ids)
        states.clear()
        states.update({nat_id: found[nat_id].get("State") for nat_id in ids if nat_id in found})
        not_ready = [f"{nat_id} ({state})" for nat_id, state in states.items() if state != "deleted"]
        return not not_ready, ", ".join(not_ready)

    poll_until(check, timeout, f"{what} to be deleted")
    return states


def remove(scope: Scope, listed: Sequence[Nat], wait_timeout: float | None, what: str) -> tuple[list[Nat], list[str]]:
    """The ``absent`` of NAT gateways: of ``listed`` (ours, as described, in the order to report them), delete those
    that still can be and, with ``wait_timeout`` (``None``: do not wait), wait until all are deleted. Returns
    ``(nats, deleted)``: the gateways not deleted before this run, with the states this run left them in; the ids it
    deleted."""
    client = scope.client
    for nat in listed:
        if recently_gone(nat):  # AWS may still be releasing what it held
            client.releasing(f"NAT gateway {nat['NatGatewayId']} ({nat['State']})")
    nats = [nat for nat in listed if nat.get("State") != "deleted"]
    deleted = [nat["NatGatewayId"] for nat in nats if nat.get("State") in DELETABLE_STATES]
    if not scope.check_mode:
        for nat in nats:
            if nat["NatGatewayId"] in deleted:
                delete(client, nat["NatGatewayId"])
                nat["State"] = "deleting"
        if nats and wait_timeout is not None:
            states = wait_deleted(client, nats, wait_timeout, what)
            for nat in nats:
                nat["State"] = states.get(nat["NatGatewayId"], "deleted")
    return nats, deleted
