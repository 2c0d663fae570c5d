# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Public NAT gateways, one per public subnet: plan, create or replace, wait for all at once, delete.

A NAT gateway of ours carries ``identity_tags(network, "nat-gateway", az=<zone>, subnet=<subnet id>)``. In each
subnet we keep a ``pending``/``available`` public NAT gateway when there is one (ours or not; one that is not ours
is used but never modified), replace a ``failed`` one of ours, and create one otherwise. Every read and every
check happens before the first mutating call, so a run that refuses its input has changed nothing.

``CreateNatGateway`` gets a ClientToken derived from what the NAT is for (network, subnet, address, and the NAT it
succeeds), so a retried or re-run create returns the NAT gateway the first attempt made instead of a second one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws import describe
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import look_for
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.ids import check_id_format
from ansible_collections.cloudreactor.aws.plugins.module_utils._model import routing
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    TAG_PREFIX,
    apply_tag_changes,
    desired_tags,
    identity_filters,
    is_ours,
    tag_specifications,
    tags_of,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import elastic_ip, nat_lifecycle
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.nat_lifecycle import (
    COMPONENT,
    USABLE_STATES,
    Nat,
    NatDesired,
    Succession,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import PRESENT, Reconciler, Scope

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import TagChanges

# -- pure helpers ------------------------------------------------------------------------------------------------


def client_token(network: str, subnet_id: str, allocation_id: str | None, replaces: str) -> str:
    """The ClientToken of CreateNatGateway: 64 hex characters (AWS accepts up to 64 ASCII), same input, same token.

    ``replaces`` is the id of the NAT gateway of ours this one succeeds in the subnet ("" for the first), so a new
    NAT after a failed or deleted one never reuses a token spent on its predecessor.
    """
    material = "\n".join(("cloudreactor.aws.nat_gateway", network, subnet_id, allocation_id or "", replaces or ""))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def nat_name(network: str, az: str) -> str:
    return f"{network}-nat-{az}"


def eip_name(network: str, az: str) -> str:
    return f"{network}-nat-eip-{az}"


def nat_tags(network: str, user_tags: Mapping[str, Any] | None, subnet: Mapping[str, Any]) -> dict[str, str]:
    az = subnet["AvailabilityZone"]
    return desired_tags(network, COMPONENT, user_tags, nat_name(network, az), az=az, subnet=subnet["SubnetId"])


def eip_tags(network: str, user_tags: Mapping[str, Any] | None, subnet: Mapping[str, Any]) -> dict[str, str]:
    az = subnet["AvailabilityZone"]
    return desired_tags(network, elastic_ip.COMPONENT, user_tags, eip_name(network, az), subnet=subnet["SubnetId"])


def is_public(nat: Nat) -> bool:
    return (nat.get("ConnectivityType") or "public") == "public"


def routes_to(route_tables: Sequence[Mapping[str, Any]], nat_ids: Iterable[str]) -> list[tuple[Any, Any]]:
    """``(table, route)`` for every route of ``route_tables`` whose target is one of ``nat_ids``."""
    return [
        (table, route)
        for table in sorted(route_tables, key=lambda table: table["RouteTableId"])
        for route in table.get("Routes") or []
        if route.get("NatGatewayId") in nat_ids
    ]


def held_by_unlisted_nat(nats: Sequence[Nat], addresses: Sequence[Mapping[str, Any]]) -> bool:
    """True when one of ``addresses`` is mapped to a network interface that no NAT gateway of ``nats`` holds."""
    listed = {address.get("AllocationId") for nat in nats for address in nat.get("NatGatewayAddresses") or []}
    return any(address.get("NetworkInterfaceId") and address["AllocationId"] not in listed for address in addresses)


def primary_address(nat: Nat | None) -> dict[str, Any]:
    """The NAT gateway's primary address entry (AllocationId, PublicIp, NetworkInterfaceId...), or ``{}``."""
    addresses = (nat or {}).get("NatGatewayAddresses") or []
    return next((address for address in addresses if address.get("IsPrimary")), addresses[0] if addresses else {})


def _summary(nat: Nat | None) -> dict[str, Any] | None:
    return nat_lifecycle.summary(nat, allocation_id=primary_address(nat).get("AllocationId"))


@dataclasses.dataclass(frozen=True)
class NatGateways(NatDesired):
    """The NAT gateways wanted in ``subnet_ids`` (public subnets of one VPC; for ``absent()``, none means every
    subnet), with ``allocation_ids`` one per subnet in the same order, or none."""

    subnet_ids: Sequence[str] = ()


def desired(params: Mapping[str, Any]) -> NatGateways:
    """The nat_gateway module's zonal gateways; checks what needs no AWS call first."""
    nat_lifecycle.check_options(params)
    for option in ("vpc_id", "availability_zones"):
        if params.get(option):
            raise InvalidInput(option, "is for availability_mode regional; a zonal NAT gateway's subnet gives both")
    subnet_ids = list(params["subnet_ids"] or [])
    allocation_ids = list(params["allocation_ids"] or [])
    check_id_format("subnet_ids", subnet_ids, "subnet")
    _refuse_duplicates("subnet_ids", subnet_ids, "one NAT gateway per subnet")
    _refuse_duplicates("allocation_ids", allocation_ids, "an address serves one NAT gateway")
    if params["state"] == PRESENT:
        if not subnet_ids:
            raise InvalidInput("subnet_ids", "give at least one public subnet when state is present")
        if allocation_ids and len(allocation_ids) != len(subnet_ids):
            raise InvalidInput(
                "allocation_ids",
                f"has {len(allocation_ids)} entries for {len(subnet_ids)} subnet_ids: give one allocation id per "
                "subnet, in the same order, or none",
            )
    return NatGateways(
        subnet_ids=subnet_ids, allocation_ids=allocation_ids, wait=params["wait"], wait_timeout=params["wait_timeout"]
    )


def _refuse_duplicates(option: str, values: Sequence[str], why: str) -> None:
    seen = set()
    for value in values:
        if value in seen:
            raise InvalidInput(option, f"{value} is listed more than once ({why})")
        seen.add(value)


def single_vpc(subnets: Sequence[Mapping[str, Any]]) -> str:
    """The one VPC of ``subnets``; subnets in several VPCs cannot form one network."""
    vpcs: dict[str, list[str]] = {}
    for subnet in subnets:
        vpcs.setdefault(subnet["VpcId"], []).append(subnet["SubnetId"])
    if len(vpcs) > 1:
        listing = "; ".join(f"{vpc_id}: {', '.join(ids)}" for vpc_id, ids in sorted(vpcs.items()))
        raise InvalidInput("subnet_ids", f"the subnets are in {len(vpcs)} VPCs ({listing}); give subnets of one VPC")
    vpc_id: str = subnets[0]["VpcId"]
    return vpc_id


def not_public_reason(
    subnet_id: str, vpc_id: str, route_tables: Sequence[Nat], igws_by_id: Mapping[str, Any]
) -> str | None:
    """Why ``subnet_id`` cannot hold a public NAT gateway (``None`` when its default route reaches an attached IGW)."""
    if routing.reaches_internet_gateway(subnet_id, vpc_id, route_tables, igws_by_id):
        return None
    table = routing.effective_route_table(subnet_id, vpc_id, route_tables)
    if table is None:
        return f"subnet {subnet_id} has no route table (the VPC {vpc_id} has no main route table)"
    explicit = routing.explicit_association(subnet_id, route_tables)[0]
    where = f"route table {table['RouteTableId']}" if explicit else f"the main route table {table['RouteTableId']}"
    route = routing.default_route(table)
    if route is None:
        problem = "has no 0.0.0.0/0 route"
    else:
        kind, target = routing.route_target(route)
        if kind == "internet_gateway":
            problem = f"sends 0.0.0.0/0 to {target}, but " + (
                routing.route_problem(route, vpc_id, igws_by_id, {}) or "that route does not work"
            )
        else:
            problem = f"sends 0.0.0.0/0 to {target}, not to an internet gateway"
    return f"subnet {subnet_id} routes through {where}, which {problem}"


# -- the plan of one subnet --------------------------------------------------------------------------------------


class SubnetPlan:
    """What happens in one subnet: the NAT gateway kept or made there, and its Elastic IP."""

    def __init__(self, subnet: Mapping[str, Any]) -> None:
        self.subnet = subnet
        self.subnet_id = subnet["SubnetId"]
        self.az = subnet["AvailabilityZone"]
        self.action = "none"
        self.nat: Nat | None = None  # the NAT gateway kept (described) or created
        self.before: Nat | None = None  # the NAT gateway this subnet had, for the diff
        # What a NAT gateway created here follows (its failed predecessors are replaced); none until it is planned.
        self.succession = Succession(failed=[], predecessor="", dead_ids=set())
        self.allocation_id: str | None = None
        self.public_ip: str | None = None
        self.allocation_source: str | None = None  # given | reused | allocated | existing
        self.nat_tags: TagChanges | None = None  # of our kept NAT gateway
        self.eip: Mapping[str, Any] | None = None  # the described address: given, reused, or ours on the kept NAT
        self.eip_tags: TagChanges | None = None  # of our address

    @property
    def creates(self) -> bool:
        return self.action in ("created", "replaced")

    def after(self, check_mode: bool) -> dict[str, Any] | None:
        if self.creates and check_mode:
            return {"nat_gateway_id": None, "state": None, "allocation_id": self.allocation_id}
        return _summary(self.nat)

    def result(self, check_mode: bool) -> dict[str, Any]:
        after = self.after(check_mode) or {}
        address = primary_address(self.nat)
        replaced = self.succession.replaced or {}
        return {
            "subnet_id": self.subnet_id,
            "availability_zone": self.az,
            "nat_gateway_id": after.get("nat_gateway_id"),
            "state": after.get("state"),
            "allocation_id": address.get("AllocationId") or self.allocation_id,
            "public_ip": address.get("PublicIp") or self.public_ip,
            "allocation_source": self.allocation_source,
            "action": self.action,
            "replaced_nat_gateway_id": replaced.get("NatGatewayId"),
            "failure_code": replaced.get("FailureCode"),
            "failure_message": replaced.get("FailureMessage"),
        }


# -- the run -----------------------------------------------------------------------------------------------------


class NatGatewaysReconciler(Reconciler):
    """The NAT gateways of the scope's network that ``desired`` (see :func:`desired`) describes."""

    def __init__(self, scope: Scope, desired: NatGateways) -> None:
        super().__init__(scope)
        self.desired = desired
        self.subnet_ids = list(desired.subnet_ids)
        self.allocation_ids = list(desired.allocation_ids)
        self.what = f"NAT gateways of {self.network}"

    def is_ours(self, nat: Nat) -> bool:
        return is_ours(nat, self.network, COMPONENT)

    # -- present -------------------------------------------------------------------------------------------------

    def present(self) -> Outcome:
        subnets = describe.describe_subnets(self.client, self.subnet_ids)
        vpc_id = single_vpc(subnets)
        # The VPC filter changes nothing AWS answers (the subnets are in that VPC) and lets a converge's read cache
        # answer from its reading of the VPC.
        nats = describe.nat_gateways_where(
            self.client, [{"Name": "subnet-id", "Values": self.subnet_ids}, *describe.vpc_filter(vpc_id)]
        )
        our_eips = elastic_ip.our_addresses(self.client, self.network, self.subnet_ids)
        if held_by_unlisted_nat(nats, our_eips) and not self.check_mode:
            # A NAT gateway holds an address of ours but AWS does not list it yet: one an earlier run created a
            # moment ago. Wait until it is listed, rather than allocate another address and make a second gateway.
            nats = look_for(self.client, lambda: self._listing_every_holder(vpc_id, our_eips)) or nats
        draining = self._deleting_with_our_addresses(nats, our_eips)
        if draining and not self.check_mode:
            # Their addresses come free once they are deleted: wait, then reuse them instead of allocating new
            # ones that would leave the old addresses leaked.
            nat_lifecycle.wait_deleted(self.client, draining, self.desired.wait_timeout, self.what)
            our_eips = elastic_ip.our_addresses(self.client, self.network, self.subnet_ids)
        given = elastic_ip.given_addresses(self.client, self.allocation_ids)
        given_by_subnet = {}
        if self.allocation_ids:  # validate_options made it as long as subnet_ids
            given_by_subnet = {subnet_id: self.allocation_ids[i] for i, subnet_id in enumerate(self.subnet_ids)}
        reuse_pool = self._free_eips_by_subnet(our_eips, set(self.allocation_ids))
        eips_by_allocation = {eip["AllocationId"]: eip for eip in our_eips}

        plans = []
        for subnet in subnets:
            in_subnet = [nat for nat in nats if nat.get("SubnetId") == subnet["SubnetId"] and is_public(nat)]
            plans.append(
                self._plan(
                    subnet,
                    in_subnet,
                    given.get(given_by_subnet.get(subnet["SubnetId"], "")),
                    reuse_pool.get(subnet["SubnetId"], []),
                    eips_by_allocation,
                )
            )
        creating = [plan for plan in plans if plan.creates]
        for plan in creating:
            if plan.allocation_source == "given" and plan.eip is not None:
                nat_lifecycle.refuse_busy_address(plan.eip, f" (for subnet {plan.subnet_id})")
        if creating:
            self._refuse_non_public(vpc_id, creating)
        stale_routes = self._routes_to_dead(vpc_id, nats, plans)

        waiting = []
        if not self.check_mode:
            self._apply(creating, [plan for plan in plans if plan.action == "updated"], set(eips_by_allocation))
            waiting = [plan for plan in plans if plan.nat and plan.nat.get("State") == "pending"]
        if waiting and self.desired.wait:
            self._wait_available(waiting)
        changing = [plan for plan in plans if plan.action in nat_lifecycle.CHANGING_ACTIONS]
        return Outcome(
            changed=bool(changing),
            actions=[f"{plan.action} NAT gateway in {plan.az}" for plan in changing],
            diff={
                "before": {plan.subnet_id: _summary(plan.before) for plan in plans},
                "after": {plan.subnet_id: plan.after(self.check_mode) for plan in plans},
            },
            data={
                "nat_gateways": [plan.result(self.check_mode) for plan in plans],
                "routes_to_replaced": [
                    {
                        "route_table_id": table["RouteTableId"],
                        "destination": routing.route_destination(route),
                        "replaced_nat_gateway_id": route["NatGatewayId"],
                        "nat_gateway_id": (plan.after(self.check_mode) or {}).get("nat_gateway_id"),
                        "subnet_id": plan.subnet_id,
                        "ours": is_ours(table, self.network),
                    }
                    for plan, table, route in stale_routes
                ],
            },
            # With wait false, a caller does other work first (the private routes can point at a pending NAT gateway).
            pending=(lambda: self._wait_available(waiting)) if waiting and not self.desired.wait else None,
        )

    def _routes_to_dead(self, vpc_id: str, nats: Sequence[Nat], plans: Sequence[SubnetPlan]) -> list[tuple[Any, ...]]:
        """``(plan, table, route)`` for each route of the VPC that still targets a dead NAT gateway of ours in a
        subnet of ``plans``: the route tables' job (this module does not route), so they are reported. Reads the
        route tables only when there is such a NAT gateway."""
        plans_by_subnet = {plan.subnet_id: plan for plan in plans}
        dead = {
            nat["NatGatewayId"]: plans_by_subnet[nat["SubnetId"]]
            for nat in nats
            if nat.get("State") in routing.NAT_DEAD_STATES
            and nat.get("SubnetId") in plans_by_subnet
            and self.is_ours(nat)
        }
        if not dead:
            return []
        tables = describe.vpc_route_tables(self.client, vpc_id)
        return [(dead[route["NatGatewayId"]], table, route) for table, route in routes_to(tables, dead)]

    def _listing_every_holder(self, vpc_id: str, our_eips: Sequence[Mapping[str, Any]]) -> list[Nat] | None:
        nats = describe.nat_gateways_where(
            self.client, [{"Name": "subnet-id", "Values": self.subnet_ids}, *describe.vpc_filter(vpc_id)]
        )
        return None if held_by_unlisted_nat(nats, our_eips) else nats

    def _deleting_with_our_addresses(self, nats: Sequence[Nat], our_eips: Sequence[Mapping[str, Any]]) -> list[Nat]:
        """Our NAT gateways being deleted, in subnets left without a usable one, that hold one of our addresses."""
        served = {nat.get("SubnetId") for nat in nats if nat.get("State") in USABLE_STATES}
        our_ids = {eip["AllocationId"] for eip in our_eips}
        return [
            nat
            for nat in nats
            if nat.get("State") == "deleting"
            and nat.get("SubnetId") not in served
            and self.is_ours(nat)
            and any(address.get("AllocationId") in our_ids for address in nat.get("NatGatewayAddresses", []))
        ]

    def _free_eips_by_subnet(
        self, our_eips: Sequence[Mapping[str, Any]], given_ids: set[str]
    ) -> dict[str, list[Mapping[str, Any]]]:
        """Our unassociated addresses per subnet tag (oldest id first), minus any the user gave for a subnet."""
        pool: dict[str, list[Mapping[str, Any]]] = {}
        for eip in sorted(our_eips, key=lambda address: address["AllocationId"]):
            if eip["AllocationId"] in given_ids or elastic_ip.association(eip):
                continue
            subnet_id = tags_of(eip).get(elastic_ip.SUBNET_TAG)
            if subnet_id:
                pool.setdefault(subnet_id, []).append(eip)
        return pool

    def _plan(
        self,
        subnet: Mapping[str, Any],
        in_subnet: Sequence[Nat],
        given_eip: Mapping[str, Any] | None,
        free_eips: Sequence[Mapping[str, Any]],
        eips_by_allocation: Mapping[str | None, Mapping[str, Any]],
    ) -> SubnetPlan:
        plan = SubnetPlan(subnet)
        several = f"subnet {plan.subnet_id} has several NAT gateways"
        usable = nat_lifecycle.choose_usable(in_subnet, self.is_ours, self.warn, several)
        plan.nat = plan.before = usable
        if usable:
            self._keep(plan, usable, given_eip, eips_by_allocation)
            return plan

        plan.succession = Succession.of(in_subnet, self.is_ours)
        plan.before = plan.succession.replaced
        plan.action = plan.succession.action
        if given_eip:
            plan.allocation_source = "given"
            plan.eip = given_eip
        elif free_eips:
            plan.allocation_source = "reused"
            plan.eip = free_eips[0]
            plan.eip_tags = self.tag_changes(free_eips[0], eip_tags(self.network, self.scope.tags, subnet))
            if len(free_eips) > 1:
                spare = ", ".join(eip["AllocationId"] for eip in free_eips[1:])
                self.warn(f"unused Elastic IPs of this network for subnet {plan.subnet_id}: {spare}")
        else:
            plan.allocation_source = "allocated"
        if plan.eip:
            plan.allocation_id = plan.eip["AllocationId"]
            plan.public_ip = plan.eip.get("PublicIp")
        return plan

    def _keep(
        self,
        plan: SubnetPlan,
        nat: Nat,
        given_eip: Mapping[str, Any] | None,
        eips_by_allocation: Mapping[str | None, Mapping[str, Any]],
    ) -> None:
        """Use ``nat``, the subnet's NAT gateway; bring our own one's tags (and its address's) up to date."""
        address = primary_address(nat)
        plan.allocation_id = address.get("AllocationId")
        plan.public_ip = address.get("PublicIp")
        plan.allocation_source = "existing"
        if given_eip and given_eip["AllocationId"] != plan.allocation_id:
            self.warn(
                f"allocation_ids: subnet {plan.subnet_id} keeps NAT gateway {nat['NatGatewayId']} with address "
                f"{plan.allocation_id}; {given_eip['AllocationId']} is not used (a NAT gateway's address cannot "
                "change: delete the NAT gateway to use another one)"
            )
        if not self.is_ours(nat):
            plan.action = "adopted"
            return
        plan.nat_tags = self.tag_changes(nat, nat_tags(self.network, self.scope.tags, plan.subnet))
        eip = eips_by_allocation.get(plan.allocation_id)
        if eip is not None:
            plan.eip = eip
            plan.eip_tags = self.tag_changes(eip, eip_tags(self.network, self.scope.tags, plan.subnet))
        if plan.nat_tags or plan.eip_tags:
            plan.action = "updated"

    def _refuse_non_public(self, vpc_id: str, creating: Sequence[SubnetPlan]) -> None:
        """AWS fails a public NAT gateway outside a public subnet (Gateway.NotAttached): refuse it up front."""
        route_tables = describe.vpc_route_tables(self.client, vpc_id)
        igws_by_id = {igw["InternetGatewayId"]: igw for igw in describe.vpc_internet_gateways(self.client, vpc_id)}
        reasons = {}
        for plan in creating:
            reason = not_public_reason(plan.subnet_id, vpc_id, route_tables, igws_by_id)
            if reason:
                reasons[plan.subnet_id] = reason
        if reasons:
            raise InvalidInput(
                "subnet_ids",
                "a public NAT gateway needs a subnet whose default route (0.0.0.0/0) goes to an internet gateway "
                f"attached to {vpc_id}, or AWS fails it with Gateway.NotAttached: {'; '.join(reasons.values())}. "
                "Give each of these subnets a 0.0.0.0/0 route to an internet gateway attached to the VPC "
                "(cloudreactor.aws.internet_gateway, cloudreactor.aws.route_table), or give public subnets",
                not_public_subnets=list(reasons),
            )

    def _apply(self, creating: list[SubnetPlan], updating: list[SubnetPlan], seen_allocation_ids: set[str]) -> None:
        for plan in creating:
            for nat in plan.succession.failed:
                nat_lifecycle.delete(self.client, nat["NatGatewayId"])
        for plan in creating:
            if plan.allocation_source == "allocated":
                tags = eip_tags(self.network, self.scope.tags, plan.subnet)
                address = elastic_ip.allocate(self.client, tags, seen_allocation_ids)
                # Not recorded as a resource: AWS associates it with the NAT gateway, and only AWS's answer says so.
                self.client.record_created_id(address["AllocationId"])
                plan.allocation_id = address["AllocationId"]
                plan.public_ip = address.get("PublicIp")
        for plan in creating:
            plan.nat = self._create(plan)
        for plan in creating + updating:
            if plan.nat_tags and plan.nat is not None:
                apply_tag_changes(self.client, plan.nat["NatGatewayId"], plan.nat_tags)
            if plan.eip_tags and plan.eip is not None:
                apply_tag_changes(self.client, plan.eip["AllocationId"], plan.eip_tags)

    def _create(self, plan: SubnetPlan) -> Nat:
        """Create the subnet's NAT gateway; a retried or re-run create with the same inputs returns the same NAT."""
        return nat_lifecycle.create(
            self.client,
            plan.succession,
            lambda predecessor: client_token(self.network, plan.subnet_id, plan.allocation_id, predecessor),
            f"in subnet {plan.subnet_id}",
            SubnetId=plan.subnet_id,
            AllocationId=plan.allocation_id,
            TagSpecifications=tag_specifications(
                nat_lifecycle.RESOURCE_TYPE, nat_tags(self.network, self.scope.tags, plan.subnet)
            ),
        )

    def _wait_available(self, plans: Sequence[SubnetPlan]) -> None:
        """Wait until the NAT gateways of ``plans`` are available; stop at the first that fails."""
        changed = any(plan.creates for plan in plans)
        nats = nat_lifecycle.wait_recorded(
            self.client,
            [plan.nat for plan in plans if plan.nat is not None],
            self.desired.wait_timeout,
            self.what,
            changed,
        )
        for plan, nat in zip(plans, nats, strict=True):
            plan.nat = nat

    # -- absent --------------------------------------------------------------------------------------------------

    def absent(self) -> Outcome:
        filters = identity_filters(self.network, COMPONENT)
        if self.subnet_ids:
            filters.append({"Name": "subnet-id", "Values": self.subnet_ids})
            if self.vpc_id:
                # A converge's unused NAT gateways: its scope's VPC holds these subnets, so the VPC filter changes
                # nothing AWS answers and lets the read cache answer from converge.prime's listing of the VPC's.
                filters += describe.vpc_filter(self.vpc_id)
        # Our regional NAT gateway (same component, no subnet) is regional_nat_gateway.py's.
        listed = [nat for nat in describe.nat_gateways_where(self.client, filters) if not routing.is_regional_nat(nat)]
        order: dict[str | None, int] = {subnet_id: index for index, subnet_id in enumerate(self.subnet_ids)}
        listed.sort(key=nat_lifecycle.age_key, reverse=True)
        listed.sort(key=lambda nat: order.get(nat.get("SubnetId"), len(order)) if order else nat.get("SubnetId") or "")
        eips = elastic_ip.our_addresses(self.client, self.network, self.subnet_ids)
        nat_enis = nat_lifecycle.interfaces(nat for nat in listed if nat.get("State") != "deleted")
        releasable = []
        for eip in sorted(eips, key=lambda address: address["AllocationId"]):
            if eip["AllocationId"] in self.allocation_ids:
                continue
            used_by = elastic_ip.association(eip)
            if used_by and eip.get("NetworkInterfaceId") not in nat_enis:
                self.warn(f"Elastic IP {eip['AllocationId']} of this network is in use by {used_by}: kept")
                continue
            releasable.append(eip)

        before: dict[str | None, Any] = {}
        for nat in listed:  # newest first per subnet in the diff: what the subnet is served by
            if nat.get("State") != "deleted":
                before.setdefault(nat.get("SubnetId"), _summary(nat))
        nats, deleted_ids = nat_lifecycle.remove(
            self.scope,
            listed,
            self.desired.wait_timeout if self.desired.wait else None,
            self.what,
        )
        held = set() if self.desired.wait or self.check_mode else nat_enis
        released = elastic_ip.release(self.scope, self._not_held(releasable, held))

        entries = [
            {
                "subnet_id": nat.get("SubnetId"),
                "availability_zone": tags_of(nat).get(TAG_PREFIX + "az"),
                "nat_gateway_id": nat["NatGatewayId"],
                "state": nat.get("State"),
                "allocation_id": primary_address(nat).get("AllocationId"),
                "public_ip": primary_address(nat).get("PublicIp"),
                "allocation_source": None,
                "action": "deleted" if nat["NatGatewayId"] in deleted_ids else "none",
                "replaced_nat_gateway_id": None,
                "failure_code": nat.get("FailureCode"),
                "failure_message": nat.get("FailureMessage"),
            }
            for nat in nats
        ]
        return Outcome(
            changed=bool(deleted_ids or released),
            actions=[f"deleted NAT gateway {nat_id}" for nat_id in deleted_ids]
            + [f"released Elastic IP {allocation_id}" for allocation_id in released],
            diff={"before": before, "after": dict.fromkeys(before)},
            data={"nat_gateways": entries, "released_allocation_ids": released},
        )

    def _not_held(self, releasable: Sequence[Mapping[str, Any]], busy_enis: set[str]) -> list[Mapping[str, Any]]:
        """``releasable`` but those still held by a NAT gateway that is being deleted (kept, with a warning)."""
        free = []
        for eip in releasable:
            if eip.get("NetworkInterfaceId") and eip["NetworkInterfaceId"] in busy_enis:
                self.warn(
                    f"Elastic IP {eip['AllocationId']} is still held by a NAT gateway being deleted; run again with "
                    "wait: true to release it"
                )
            else:
                free.append(eip)
        return free


def reconcile(scope: Scope, desired: NatGateways, state: str) -> Outcome:
    """The NAT gateways of the scope's network ``present`` in ``desired.subnet_ids``, or ``absent``."""
    return NatGatewaysReconciler(scope, desired).run(state)
