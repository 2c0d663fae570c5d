# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The regional NAT gateway of a VPC (``CreateNatGateway AvailabilityMode=regional``): adopt, create or replace, wait,
delete.

A regional NAT gateway has no subnet: one gateway id serves every zone of its VPC, and it reaches the internet
gateway through a route table of its own that AWS makes for it. One of ours carries
``identity_tags(network, "nat-gateway", mode="regional")``. The VPC keeps one: a ``pending``/``available`` regional
NAT gateway found there is used as it is (ours or not; one that is not ours is never modified), a ``failed`` one of
ours is deleted and replaced, and one is created otherwise.

Addresses: without ``allocation_ids`` the gateway is in automatic mode, and AWS gives it addresses of its own in the
zones where workloads run (and releases them itself). With them it is in manual mode: the addresses are split
evenly over ``zones`` in zone order (see :func:`zone_addresses`) and, being the user's, are never released.

``CreateNatGateway`` gets a ClientToken derived from the network, the VPC, the mode, the addresses and the gateway it
succeeds, so a retried or re-run create returns the gateway the first attempt made instead of a second one.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws import describe
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.ids import check_id_format
from ansible_collections.cloudreactor.aws.plugins.module_utils._model import routing
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    apply_tag_changes,
    desired_tags,
    has_identity,
    identity_filters,
    tag_specifications,
    tags_after,
    tags_of,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import elastic_ip, nat_lifecycle
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.nat_lifecycle import (
    COMPONENT,
    Nat,
    NatDesired,
    Succession,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import PRESENT, Reconciler, Scope

REGIONAL = "regional"
# The identity qualifier that tells our regional NAT gateway from our zonal ones (same component).
QUALIFIERS = {"mode": REGIONAL}


# -- pure helpers ------------------------------------------------------------------------------------------------


def zone_addresses(
    zones: Sequence[str], allocation_ids: Sequence[str], option: str = "allocation_ids"
) -> list[tuple[str, list[str]]]:
    """``AvailabilityZoneAddresses`` for manual mode as ``[(zone, [allocation id...])]``; ``[]`` (automatic mode)
    without addresses.

    Every zone gets the same number of addresses, in zone order: with zones a, b and ids 1, 2, 3, 4, zone a gets 1, 2
    and zone b gets 3, 4. Any other count is refused (naming ``option``) before anything is changed.
    """
    allocation_ids = list(allocation_ids or [])
    if not allocation_ids:
        return []
    zones = list(zones or [])
    if not zones:
        raise InvalidInput(option, "manual mode needs the availability zones the addresses are for, in order")
    if len(allocation_ids) % len(zones):
        raise InvalidInput(
            option,
            f"has {len(allocation_ids)} entries for {len(zones)} zones ({', '.join(zones)}): a regional NAT gateway "
            f"takes the same number of addresses in each zone, zone by zone in zone order (a multiple of "
            f"{len(zones)}), or none for automatic mode",
        )
    per_zone = len(allocation_ids) // len(zones)
    return [(zone, allocation_ids[index * per_zone : (index + 1) * per_zone]) for index, zone in enumerate(zones)]


def client_token(network: str, vpc_id: str, addresses: Sequence[tuple[str, Sequence[str]]], replaces: str) -> str:
    """The ClientToken of CreateNatGateway (64 hex characters): same network, VPC, mode, addresses and predecessor
    (``replaces``: the id of the newest dead regional NAT gateway of ours, ``""`` for the first), same token."""
    mode = "manual" if addresses else "automatic"
    listing = ";".join(f"{zone}={','.join(ids)}" for zone, ids in addresses)
    material = "\n".join(("cloudreactor.aws.regional_nat_gateway", network, vpc_id, mode, listing, replaces or ""))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def nat_name(network: str) -> str:
    return f"{network}-nat-regional"


def nat_tags(network: str, user_tags: Mapping[str, Any] | None) -> dict[str, str]:
    return desired_tags(network, COMPONENT, user_tags, nat_name(network), **QUALIFIERS)


def is_ours(nat: Nat, network: str) -> bool:
    return routing.is_regional_nat(nat) and has_identity(nat, network, COMPONENT, **QUALIFIERS)


def is_manual(nat: Nat) -> bool:
    """AWS turns automatic expansion off when a regional NAT gateway is given its addresses."""
    return nat.get("AutoProvisionZones") == "disabled"


def allocation_ids_of(nat: Nat | None) -> list[str]:
    return [address["AllocationId"] for address in (nat or {}).get("NatGatewayAddresses") or []]


def _summary(nat: Nat | None) -> dict[str, Any] | None:
    return nat_lifecycle.summary(nat, availability_mode=REGIONAL, allocation_ids=allocation_ids_of(nat))


def entry(
    nat: Nat | None,
    *,
    action: str,
    allocation_source: str | None,
    planned_addresses: Sequence[tuple[str, Sequence[str]]] = (),
    replaced: Nat | None = None,
) -> dict[str, Any]:
    """One regional NAT gateway as the modules return it: the keys of a zonal NAT gateway's entry (no subnet, no
    zone), plus its mode, its addresses by zone and its route table."""
    nat = nat or {}
    replaced = replaced or {}
    addresses = [
        {
            "availability_zone": address.get("AvailabilityZone"),
            "allocation_id": address.get("AllocationId"),
            "public_ip": address.get("PublicIp"),
        }
        for address in nat.get("NatGatewayAddresses") or []
    ] or [
        {"availability_zone": zone, "allocation_id": allocation_id, "public_ip": None}
        for zone, ids in planned_addresses
        for allocation_id in ids
    ]
    return {
        "subnet_id": None,
        "availability_zone": None,
        "availability_mode": REGIONAL,
        "nat_gateway_id": nat.get("NatGatewayId"),
        "state": nat.get("State"),
        "allocation_id": addresses[0]["allocation_id"] if addresses else None,
        "public_ip": addresses[0]["public_ip"] if addresses else None,
        "allocation_source": allocation_source,
        "addresses": addresses,
        "route_table_id": nat.get("RouteTableId"),
        "action": action,
        "replaced_nat_gateway_id": replaced.get("NatGatewayId"),
        "failure_code": replaced.get("FailureCode"),
        "failure_message": replaced.get("FailureMessage"),
    }


@dataclasses.dataclass(frozen=True)
class RegionalNatGateway(NatDesired):
    """The regional NAT gateway wanted in the scope's VPC: ``zones`` and ``allocation_ids`` for manual mode, split
    over the zones by :func:`zone_addresses` (no addresses: automatic mode)."""

    zones: Sequence[str] = ()


def desired(params: Mapping[str, Any]) -> RegionalNatGateway:
    """The nat_gateway module's regional gateway; checks what needs no AWS call first."""
    nat_lifecycle.check_options(params)
    if params["subnet_ids"]:
        raise InvalidInput("subnet_ids", "a regional NAT gateway has no subnet: give vpc_id instead")
    if params["vpc_id"]:
        check_id_format("vpc_id", params["vpc_id"], "vpc")
    elif params["state"] == PRESENT:
        raise InvalidInput("vpc_id", "give the VPC of the regional NAT gateway when state is present")
    zones = list(params["availability_zones"] or [])
    allocation_ids = list(params["allocation_ids"] or [])
    if len(set(allocation_ids)) != len(allocation_ids):
        raise InvalidInput("allocation_ids", "lists an address more than once")
    if len(set(zones)) != len(zones):
        raise InvalidInput("availability_zones", "lists a zone more than once")
    if params["state"] == PRESENT:
        zone_addresses(zones, allocation_ids)
    return RegionalNatGateway(
        zones=zones, allocation_ids=allocation_ids, wait=params["wait"], wait_timeout=params["wait_timeout"]
    )


class RegionalNatGatewayReconciler(Reconciler):
    """The regional NAT gateway of the scope's network in its VPC (for ``absent()``, no VPC means every VPC)."""

    def __init__(self, scope: Scope, desired: RegionalNatGateway) -> None:
        super().__init__(scope)
        self.desired = desired
        self.allocation_ids = list(desired.allocation_ids)
        self.what = f"regional NAT gateway of {self.network}"

    def is_ours(self, nat: Nat) -> bool:
        return is_ours(nat, self.network)

    # -- present -------------------------------------------------------------------------------------------------

    def present(self) -> Outcome:
        addresses = zone_addresses(self.desired.zones, self.allocation_ids)
        describe.describe_vpc(self.client, self.required_vpc_id)
        nats = [
            nat for nat in describe.vpc_nat_gateways(self.client, self.required_vpc_id) if routing.is_regional_nat(nat)
        ]
        given = elastic_ip.given_addresses(self.client, self.allocation_ids)
        kept = nat_lifecycle.choose_usable(
            nats, self.is_ours, self.warn, f"VPC {self.vpc_id} has several regional NAT gateways"
        )
        if kept is not None:
            return self._keep(kept)

        succession = Succession.of(nats, self.is_ours)
        # Our gateway being deleted may still hold the user's addresses: they come free once it is deleted.
        draining = [
            nat
            for nat in nats
            if self.is_ours(nat)
            and nat.get("State") == "deleting"
            and set(allocation_ids_of(nat)) & set(self.allocation_ids)
        ]
        for allocation_id in self.allocation_ids:
            nat_lifecycle.refuse_busy_address(given[allocation_id], freed_by=nat_lifecycle.interfaces(draining))
        self._refuse_without_internet_gateway()
        # All input is valid: from here on the run may change things.

        nat = None
        if not self.check_mode:
            for failed in succession.failed:
                nat_lifecycle.delete(self.client, failed["NatGatewayId"])
            if draining:
                nat_lifecycle.wait_deleted(self.client, draining, self.desired.wait_timeout, self.what)
            zone_entries = [{"AvailabilityZone": zone, "AllocationIds": ids} for zone, ids in addresses]
            nat = nat_lifecycle.create(
                self.client,
                succession,
                lambda predecessor: client_token(self.network, self.required_vpc_id, addresses, predecessor),
                f"(regional) in {self.vpc_id}",
                AvailabilityMode=REGIONAL,
                VpcId=self.vpc_id,
                TagSpecifications=tag_specifications(nat_lifecycle.RESOURCE_TYPE, self._tags()),
                **({"AvailabilityZoneAddresses": zone_entries} if zone_entries else {}),
            )
        outcome = Outcome(
            changed=True,
            actions=[f"{succession.action} regional NAT gateway" + (f" {nat['NatGatewayId']}" if nat else "")],
            diff={
                "before": _summary(succession.replaced),
                "after": _summary(nat)
                or {
                    "nat_gateway_id": None,
                    "state": None,
                    "availability_mode": REGIONAL,
                    "allocation_ids": list(self.allocation_ids),
                },
            },
        )
        return self._waited(
            outcome,
            nat,
            lambda nat: entry(
                nat,
                action=succession.action,
                allocation_source="given" if self.allocation_ids else "automatic",
                planned_addresses=addresses,
                replaced=succession.replaced,
            ),
        )

    def _tags(self) -> dict[str, str]:
        return nat_tags(self.network, self.scope.tags)

    def _keep(self, nat: Nat) -> Outcome:
        """Use the VPC's regional NAT gateway as it is; bring our own one's tags up to date."""
        self._warn_unused_addresses(nat)
        ours = self.is_ours(nat)
        changes = self.tag_changes(nat, self._tags()) if ours else None
        action = "updated" if changes else "none" if ours else "adopted"
        kept = nat
        if changes and not self.check_mode:
            apply_tag_changes(self.client, nat["NatGatewayId"], changes)
            tags = tags_after(tags_of(nat), changes)
            kept = {**nat, "Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}
            self.client.record("describe_nat_gateways", kept)
        outcome = Outcome(
            changed=action in nat_lifecycle.CHANGING_ACTIONS,
            actions=[f"updated regional NAT gateway {nat['NatGatewayId']}"] if action == "updated" else [],
            diff={"before": _summary(nat), "after": _summary(kept)},
        )
        return self._waited(outcome, kept, lambda nat: entry(nat, action=action, allocation_source="existing"))

    def _waited(self, outcome: Outcome, nat: Nat | None, report: Callable[[Nat | None], dict[str, Any]]) -> Outcome:
        """``outcome`` with the gateway's entry (``report(nat)``), once available when the desired state says to wait;
        otherwise a pending gateway is the outcome's ``pending`` wait."""
        outcome.data = {"nat_gateways": [report(nat)]}
        if nat is None or nat.get("State") != "pending" or self.check_mode:
            return outcome

        def wait() -> None:
            (available,) = nat_lifecycle.wait_recorded(
                self.client, [nat], self.desired.wait_timeout, self.what, self.client.created(nat["NatGatewayId"])
            )
            outcome.data = {"nat_gateways": [report(available)]}
            outcome.diff["after"] = _summary(available)

        if self.desired.wait:
            wait()
        else:
            outcome.pending = wait
        return outcome

    def _warn_unused_addresses(self, nat: Nat) -> None:
        nat_id = nat["NatGatewayId"]
        if self.allocation_ids and (not is_manual(nat) or set(allocation_ids_of(nat)) != set(self.allocation_ids)):
            has = f"addresses {', '.join(allocation_ids_of(nat))}" if is_manual(nat) else "automatic mode"
            self.warn(
                f"allocation_ids: the VPC keeps regional NAT gateway {nat_id} ({has}); the given addresses are not "
                "used. Delete that NAT gateway to have one built with them."
            )
        elif not self.allocation_ids and is_manual(nat) and self.is_ours(nat):
            self.warn(
                f"regional NAT gateway {nat_id} keeps its manual-mode addresses {', '.join(allocation_ids_of(nat))} "
                "although allocation_ids is empty; delete it to have one built in automatic mode"
            )

    def _refuse_without_internet_gateway(self) -> None:
        """AWS fails a regional NAT gateway in a VPC without an attached internet gateway (Gateway.NotAttached):
        refuse it up front."""
        igws = describe.vpc_internet_gateways(self.client, self.required_vpc_id)
        if not any(routing.igw_attached_to(igw, self.vpc_id) for igw in igws):
            raise InvalidInput(
                "vpc_id",
                f"{self.vpc_id} has no internet gateway attached: a regional NAT gateway reaches the internet through "
                "it, and AWS fails one created without it (Gateway.NotAttached). Attach one first "
                "(cloudreactor.aws.internet_gateway)",
            )

    # -- absent --------------------------------------------------------------------------------------------------

    def absent(self) -> Outcome:
        filters = identity_filters(self.network, COMPONENT, **QUALIFIERS)
        if self.vpc_id:
            filters += describe.vpc_filter(self.vpc_id)
        listed = [nat for nat in describe.nat_gateways_where(self.client, filters) if routing.is_regional_nat(nat)]
        nats, deleted = nat_lifecycle.remove(
            self.scope,
            sorted(listed, key=nat_lifecycle.age_key, reverse=True),
            self.desired.wait_timeout if self.desired.wait else None,
            self.what,
        )
        # Nothing to release: AWS owns the addresses of automatic mode, and manual mode's are the user's.
        return Outcome(
            changed=bool(deleted),
            actions=[f"deleted regional NAT gateway {nat_id}" for nat_id in deleted],
            diff={"before": _summary(nats[0]) if nats else None, "after": None},
            data={
                "nat_gateways": [
                    entry(
                        nat,
                        action="deleted" if nat["NatGatewayId"] in deleted else "none",
                        allocation_source=None,
                    )
                    for nat in nats
                ],
                "released_allocation_ids": [],
            },
        )


def reconcile(scope: Scope, desired: RegionalNatGateway, state: str) -> Outcome:
    """The regional NAT gateway of the scope's network in its VPC ``present`` as ``desired`` says, or ``absent``."""
    return RegionalNatGatewayReconciler(scope, desired).run(state)
