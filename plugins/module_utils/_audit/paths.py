# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each task subnet's way out: its effective route table, its kind, and its egress path as hops.

A path is a list of hops (subnet -> route table -> NAT gateway -> NAT's subnet -> its route table -> internet
gateway; for a regional NAT gateway, which sits in no subnet: -> NAT gateway -> its own route table -> internet
gateway), each with its state and whether it is healthy. Subnets without a default route go to VPC endpoints
instead (one hop per endpoint service the task needs).

A subnet with an IPv6 block also has an IPv6 path (subnet -> route table -> the ::/0 target: an egress-only or
internet gateway). An IPv6-only subnet has no IPv4 path at all: its main path is NAT64 (route table ->
64:ff9b::/96 -> NAT gateway -> ... -> internet gateway), the way to IPv4-only destinations.
"""

from __future__ import annotations

import dataclasses
import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.endpoints import (
    EndpointIndex,
    endpoint_type,
    required_services,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._model import ipv6_routing, routing

if typing.TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from typing import Any, TypeAlias

    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.snapshot import Snapshot
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

    # One step of an egress path: ``{"type", "id", "state", "healthy", "detail"}`` (see :func:`hop`).
    Hop: TypeAlias = dict[str, Any]
    # ``(service, the endpoint serving it or the closest candidate, why it does not serve or None)``.
    EndpointStatus: TypeAlias = tuple[str, Resource | None, str | None]

PUBLIC = "public"
PRIVATE_NAT = "private_nat"
PRIVATE_ENDPOINTS = "private_endpoints"
PRIVATE_OTHER = "private_other"
ISOLATED = "isolated"
IPV6_ONLY = "ipv6_only"
KINDS = (PUBLIC, PRIVATE_NAT, PRIVATE_ENDPOINTS, PRIVATE_OTHER, ISOLATED, IPV6_ONLY)


@dataclasses.dataclass(frozen=True)
class Options:
    """The audit's settings. ``mode`` is ``vpc`` (every subnet of a VPC) or ``task`` (a task's exact settings).
    ``network_vpc_ids``: when the network was found by its name (vpc mode), its VPCs, the audited one (the lowest id)
    first; more than one are duplicates."""

    mode: str
    assign_public_ip: bool = False
    security_group_ids: Sequence[str] = ()
    services: Sequence[str] = ()
    uses_awslogs: bool = True
    single_nat_intended: bool = False
    min_free_ips: int = 16
    network_name: str | None = None
    network_vpc_ids: Sequence[str] = ()

    @property
    def task_mode(self) -> bool:
        return self.mode == "task"


def hop(kind: str, resource_id: str | None, state: str | None, healthy: object, detail: str | None = None) -> Hop:
    return {"type": kind, "id": resource_id, "state": state, "healthy": bool(healthy), "detail": detail}


class SubnetView:
    """What the audit knows about one task subnet."""

    def __init__(self, subnet: Resource) -> None:
        self.subnet = subnet
        self.id: str = subnet["SubnetId"]
        self.vpc_id: str | None = subnet.get("VpcId")
        self.az: str | None = subnet.get("AvailabilityZone")
        self.cidr: str | None = subnet.get("CidrBlock")
        self.route_table: Resource | None = None
        self.association: str | None = None  # explicit | main
        self.default_route: Resource | None = None
        self.target_kind: str | None = None  # internet_gateway | nat_gateway | other | None
        self.target_id: str | None = None
        self.nat: Resource | None = None
        self.kind = ISOLATED
        self.reaches_internet = False
        self.can_pull_image = False
        self.endpoint_status: list[
            EndpointStatus
        ] = []  # [(service, endpoint, problem)] for subnets that rely on endpoints
        self.gateway_endpoints: list[
            tuple[str, str]
        ] = []  # [(service, endpoint id)]: gateway endpoints (S3...) on the subnet's table
        self.hops: list[Hop] = []
        # IPv6: the subnet's associated block; an IPv6-only (native) subnet has no IPv4 block, its kind is IPV6_ONLY,
        # its ``hops`` go through NAT64 (64:ff9b::/96 to ``nat``) and ``ipv6_hops`` through ::/0.
        self.ipv6_block: str | None = ipv6_routing.associated_block(subnet)
        self.ipv6_native: bool = ipv6_routing.is_ipv6_native(subnet)
        self.ipv6_route: Resource | None = None
        self.ipv6_problem: str | None = None  # why ::/0 leads nowhere (None when it works or there is no IPv6)
        self.nat64_route: Resource | None = None
        self.nat64_problem: str | None = None  # IPv6-only subnets: why 64:ff9b::/96 leads nowhere
        self.ipv6_hops: list[Hop] = []
        self.reaches_internet_ipv6 = False

    @property
    def route_table_id(self) -> str | None:
        table_id: str | None = (self.route_table or {}).get("RouteTableId")
        return table_id


class AuditContext:
    """The snapshot, the options, and a view of each task subnet."""

    def __init__(self, snapshot: Snapshot, options: Options, task_subnet_ids: Iterable[str]) -> None:
        self.snapshot = snapshot
        self.options = options
        self.endpoints = EndpointIndex(snapshot)
        self.services = required_services(options.uses_awslogs, options.services)
        self.views = [analyse(self, snapshot.subnets[subnet_id]) for subnet_id in task_subnet_ids]
        self.views_by_id = {view.id: view for view in self.views}

    def subnet_zone(self, subnet_id: str | None) -> str | None:
        zone: str | None = (self.snapshot.subnets.get(subnet_id) or {}).get("AvailabilityZone")
        return zone

    def nat_zone(self, nat: Resource) -> str | None:
        return self.subnet_zone(nat.get("SubnetId"))


def _route_detail(route: Resource | None) -> str:
    if route is None:
        return "no 0.0.0.0/0 route"
    return f"0.0.0.0/0 -> {routing.route_target(route)[1]} ({route.get('State', 'unknown')})"


def _table_hop(table: Resource | None, association: str | None, route: Resource | None) -> Hop:
    if table is None:
        return hop("route_table", None, "missing", False, "no route table governs this subnet")
    state = route.get("State", "unknown") if route else "no default route"
    healthy = route is not None and route.get("State") != "blackhole"
    return hop("route_table", table["RouteTableId"], state, healthy, f"{association}; {_route_detail(route)}")


def _igw_hop(snapshot: Snapshot, igw_id: str | None, vpc_id: str | None) -> Hop:
    igw = snapshot.internet_gateways.get(igw_id)
    if igw is None:
        return hop("internet_gateway", igw_id, "detached or deleted", False)
    attached = routing.igw_attached_to(igw, vpc_id)
    state = next((a.get("State") for a in igw.get("Attachments", []) if a.get("VpcId") == vpc_id), "detached")
    return hop("internet_gateway", igw_id, state, attached)


def _subnet_hop(subnet: Resource, detail: str | None = None) -> Hop:
    return hop(
        "subnet", subnet.get("SubnetId"), subnet.get("State", "unknown"), subnet.get("State") == "available", detail
    )


def _failure_detail(nat: Resource) -> str | None:
    if nat.get("State") != "failed":
        return None
    return f"{nat.get('FailureCode')}: {nat.get('FailureMessage')}"


def _nat_hops(ctx: AuditContext, view: SubnetView) -> tuple[list[Hop], bool]:
    """``(hops, healthy)`` after the route table, for a default route (NAT64 route of an IPv6-only subnet) to a NAT
    gateway."""
    snapshot = ctx.snapshot
    nat = view.nat
    if nat is None:
        return [hop("nat_gateway", view.target_id, "not found", False, "the NAT gateway no longer exists")], False
    if routing.is_regional_nat(nat):
        return _regional_nat_hops(snapshot, view, nat)
    state = nat.get("State")
    detail = _failure_detail(nat)
    hops = [hop("nat_gateway", nat["NatGatewayId"], state, state == "available", detail)]
    healthy = state == "available" and nat_has_address(snapshot, nat)
    nat_subnet = snapshot.subnets.get(nat.get("SubnetId"))
    if nat_subnet is None:
        hops.append(hop("subnet", nat.get("SubnetId"), "not found", False, "the NAT gateway's subnet"))
        return hops, False
    hops.append(_subnet_hop(nat_subnet, "the NAT gateway's subnet"))
    tables = snapshot.route_tables_by_vpc.get(nat_subnet.get("VpcId"), [])
    table = routing.effective_route_table(nat_subnet["SubnetId"], nat_subnet.get("VpcId"), tables)
    route = routing.default_route(table)
    association = _association(nat_subnet["SubnetId"], table)
    hops.append(_table_hop(table, association, route))
    if route is None:
        return hops, False
    kind, target = routing.route_target(route)
    if kind == "internet_gateway":
        hops.append(_igw_hop(snapshot, target, nat_subnet.get("VpcId")))
    else:
        hops.append(hop(kind, target, route.get("State", "unknown"), False, "not an internet gateway"))
    placement = routing.nat_placement_problem(nat, tables, snapshot.internet_gateways)
    return hops, healthy and placement is None


def is_manual_regional_nat(nat: Resource) -> bool:
    """True for a regional NAT gateway in manual mode: it serves only the zones it was given addresses for (AWS turns
    AutoProvisionZones off when AvailabilityZoneAddresses are given)."""
    return routing.is_regional_nat(nat) and nat.get("AutoProvisionZones") == "disabled"


def regional_nat_covers(nat: Resource, subnet: Resource) -> bool:
    """True when a regional NAT gateway has an address in ``subnet``'s availability zone (by name or by zone id)."""
    zones = {subnet.get("AvailabilityZone"), subnet.get("AvailabilityZoneId")} - {None}
    return any(
        address.get("AvailabilityZone") in zones or address.get("AvailabilityZoneId") in zones
        for address in nat.get("NatGatewayAddresses", [])
    )


def regional_nat_route_table(snapshot: Snapshot, nat: Resource) -> Resource | None:
    """The regional NAT gateway's own route table (``RouteTableId``), or ``None`` when it is not in the VPC."""
    table_id = nat.get("RouteTableId")
    return next(
        (
            table
            for table in snapshot.route_tables_by_vpc.get(nat.get("VpcId"), [])
            if table["RouteTableId"] == table_id
        ),
        None,
    )


def regional_nat_exit_problem(snapshot: Snapshot, nat: Resource) -> str | None:
    """Why a regional NAT gateway's own route table does not take traffic to the VPC's internet gateway, or ``None``.
    AWS creates that table with 0.0.0.0/0 to the internet gateway; the NAT needs no public subnet."""
    table = regional_nat_route_table(snapshot, nat)
    if table is None:
        return f"its route table {nat.get('RouteTableId') or '(none)'} is not in {nat.get('VpcId')}"
    route = routing.default_route(table)
    if route is None:
        return f"its route table {table['RouteTableId']} has no 0.0.0.0/0 route"
    kind, target = routing.route_target(route)
    if kind != "internet_gateway":
        return f"its route table {table['RouteTableId']} sends 0.0.0.0/0 to {target}, not to an internet gateway"
    problem = routing.route_problem(route, nat.get("VpcId"), snapshot.internet_gateways, {})
    return f"its route table {table['RouteTableId']}: {problem}" if problem else None


def _regional_nat_hops(snapshot: Snapshot, view: SubnetView, nat: Resource) -> tuple[list[Hop], bool]:
    """Regional NAT gateway -> its own route table -> internet gateway: no public subnet in between. In manual mode
    a subnet in a zone the NAT has no address for has no way out."""
    state = nat.get("State")
    mode = "manual" if is_manual_regional_nat(nat) else "automatic"
    covered = not is_manual_regional_nat(nat) or regional_nat_covers(nat, view.subnet)
    detail = _failure_detail(nat) or (
        f"regional, {mode} mode" if covered else f"regional, manual mode: no address in {view.az}"
    )
    hops = [hop("nat_gateway", nat["NatGatewayId"], state, state == "available" and covered, detail)]
    healthy = state == "available" and covered and nat_has_address(snapshot, nat)
    table = regional_nat_route_table(snapshot, nat)
    route = routing.default_route(table)
    hops.append(_table_hop(table, "the NAT gateway's route table", route))
    if route is None:
        return hops, False
    kind, target = routing.route_target(route)
    if kind == "internet_gateway":
        hops.append(_igw_hop(snapshot, target, view.vpc_id))
    else:
        hops.append(hop(kind, target, route.get("State", "unknown"), False, "not an internet gateway"))
    return hops, healthy and regional_nat_exit_problem(snapshot, nat) is None


def nat_has_address(snapshot: Snapshot, nat: Resource) -> bool:
    """True when a public NAT gateway has an Elastic IP that exists in the VPC domain (private NATs need none, and
    regional NATs in automatic mode use Amazon-provided addresses)."""
    if routing.is_private_nat(nat):
        return True
    allocations = [a.get("AllocationId") for a in nat.get("NatGatewayAddresses", []) if a.get("AllocationId")]
    if not allocations and routing.is_regional_nat(nat):
        return True  # a regional NAT gateway may run on Amazon-provided addresses, with no Elastic IP
    return any(
        (snapshot.addresses_by_allocation.get(allocation) or {}).get("Domain", "vpc") == "vpc"
        for allocation in allocations
        if allocation in snapshot.addresses_by_allocation
    )


def _association(subnet_id: str, table: Resource | None) -> str | None:
    if table is None:
        return None
    explicit = any(a.get("SubnetId") == subnet_id for a in table.get("Associations", []))
    return "explicit" if explicit else "main"


def _endpoint_hops(ctx: AuditContext, view: SubnetView) -> list[Hop]:
    hops = []
    for service, endpoint, problem in view.endpoint_status:
        endpoint_id = endpoint["VpcEndpointId"] if endpoint else None
        state = endpoint.get("State", "unknown") if endpoint else "missing"
        hops.append(hop("vpc_endpoint", endpoint_id, state, problem is None, problem or service))
    return hops


def analyse(ctx: AuditContext, subnet: Resource) -> SubnetView:
    """A :class:`SubnetView` of ``subnet``: kind, egress hops, whether tasks there reach the internet and ECR."""
    snapshot, options = ctx.snapshot, ctx.options
    view = SubnetView(subnet)
    tables = snapshot.route_tables_by_vpc.get(view.vpc_id, [])
    view.route_table = routing.effective_route_table(view.id, view.vpc_id, tables)
    view.association = _association(view.id, view.route_table)
    view.default_route = routing.default_route(view.route_table)
    view.hops = [_subnet_hop(subnet), _table_hop(view.route_table, view.association, view.default_route)]
    view.gateway_endpoints = ctx.endpoints.gateway_endpoints_on(view.vpc_id, view.route_table_id)
    if view.ipv6_block is not None:
        _analyse_ipv6(ctx, view)
        if view.ipv6_native:
            return view
    route = view.default_route
    if route is None:
        view.endpoint_status = [
            (service,) + ctx.endpoints.resolve(view.vpc_id, service, view.route_table_id) for service in ctx.services
        ]
        # Only interface endpoints make an endpoint-only design (ECR's API and registry): a gateway endpoint alone
        # (the S3 one the role puts on every table to spare the NAT gateway) leaves the subnet without a way out, and
        # the fix is the default route, not more endpoints.
        relevant = any(
            endpoint is not None and endpoint_type(endpoint) == "interface"
            for _service, endpoint, _problem in view.endpoint_status
        )
        view.kind = PRIVATE_ENDPOINTS if relevant else ISOLATED
        if relevant:
            view.hops.extend(_endpoint_hops(ctx, view))
    else:
        view.target_kind, view.target_id = routing.route_target(route)
        if view.target_kind == "internet_gateway":
            view.kind = PUBLIC
            view.hops.append(_igw_hop(snapshot, view.target_id, view.vpc_id))
            route_ok = routing.route_problem(route, view.vpc_id, snapshot.internet_gateways, {}) is None
            view.reaches_internet = route_ok and (options.assign_public_ip or not options.task_mode)
        elif view.target_kind == "nat_gateway" and not routing.is_private_nat(
            snapshot.nat_gateways.get(view.target_id)
        ):
            view.kind = PRIVATE_NAT
            view.nat = snapshot.nat_gateways.get(view.target_id)
            hops, healthy = _nat_hops(ctx, view)
            view.hops.extend(hops)
            view.reaches_internet = healthy and route.get("State") != "blackhole"
        else:
            view.kind = PRIVATE_OTHER
            view.nat = snapshot.nat_gateways.get(view.target_id)
            state = route.get("State", "unknown")
            view.hops.append(
                hop(view.target_kind, view.target_id, state, state == "active", "not followed by the audit")
            )
            # The audit cannot see past this target: it neither claims nor denies the way out.
            view.reaches_internet = state == "active"
    if view.reaches_internet:
        view.can_pull_image = True
    else:
        statuses = view.endpoint_status or [
            (service,) + ctx.endpoints.resolve(view.vpc_id, service, view.route_table_id) for service in ctx.services
        ]
        view.can_pull_image = all(problem is None for _service, _endpoint, problem in statuses)
    return view


def _ipv6_table_hop(view: SubnetView, destination: str, route: Resource | None) -> Hop:
    if view.route_table is None:
        return hop("route_table", None, "missing", False, "no route table governs this subnet")
    if route is None:
        detail = f"{view.association}; no {destination} route"
        return hop("route_table", view.route_table_id, f"no {destination} route", False, detail)
    target = ipv6_routing.ipv6_target(route)[1]
    state = route.get("State", "unknown")
    detail = f"{view.association}; {destination} -> {target} ({state})"
    return hop("route_table", view.route_table_id, state, state != "blackhole", detail)


def _ipv6_gateway_hop(ctx: AuditContext, view: SubnetView) -> Hop:
    """The hop after the route table on the ::/0 path: an egress-only or internet gateway, or a target not followed."""
    route = view.ipv6_route or {}
    kind, target = ipv6_routing.ipv6_target(route)
    if kind == ipv6_routing.EGRESS_ONLY_GATEWAY:
        gateway = ctx.snapshot.egress_only_gateways.get(target or "")
        attached = ipv6_routing.egress_only_gateway_attached(gateway, view.vpc_id)
        return hop(kind, target, "attached" if attached else "detached or deleted", attached)
    if kind == ipv6_routing.INTERNET_GATEWAY:
        return _igw_hop(ctx.snapshot, target, view.vpc_id)
    state = route.get("State", "unknown")
    return hop(kind, target, state, False, "not an internet or egress-only internet gateway")


def _analyse_ipv6(ctx: AuditContext, view: SubnetView) -> None:
    """Fill in the IPv6 side of ``view``: its ::/0 path, and for an IPv6-only subnet its NAT64 path as ``hops``."""
    snapshot = ctx.snapshot
    view.ipv6_route = ipv6_routing.ipv6_route(view.route_table, ipv6_routing.IPV6_DEFAULT_ROUTE_CIDR)
    view.ipv6_problem = ipv6_routing.default_route_problem(
        view.ipv6_route, view.vpc_id, snapshot.internet_gateways, snapshot.egress_only_gateways
    )
    view.ipv6_hops = [
        _subnet_hop(view.subnet),
        _ipv6_table_hop(view, ipv6_routing.IPV6_DEFAULT_ROUTE_CIDR, view.ipv6_route),
    ]
    if view.ipv6_route is not None:
        view.ipv6_hops.append(_ipv6_gateway_hop(ctx, view))
    view.reaches_internet_ipv6 = view.ipv6_problem is None
    if not view.ipv6_native:
        return
    view.kind = IPV6_ONLY
    view.nat64_route = ipv6_routing.ipv6_route(view.route_table, ipv6_routing.NAT64_PREFIX)
    view.nat64_problem = ipv6_routing.nat64_route_problem(view.nat64_route, snapshot.nat_gateways)
    view.hops = [
        _subnet_hop(view.subnet),
        _ipv6_table_hop(view, ipv6_routing.NAT64_PREFIX, view.nat64_route),
    ]
    nat64_ok = view.nat64_problem is None
    if view.nat64_route is not None:
        kind, target = ipv6_routing.ipv6_target(view.nat64_route)
        if kind == ipv6_routing.NAT_GATEWAY:
            view.target_kind, view.target_id = "nat_gateway", target
            view.nat = snapshot.nat_gateways.get(target or "")
            hops, healthy = _nat_hops(ctx, view)
            view.hops.extend(hops)
            nat64_ok = nat64_ok and healthy
        else:
            view.hops.append(hop(kind, target, view.nat64_route.get("State", "unknown"), False, "not a NAT gateway"))
    # IPv4-only destinations (ecr:GetAuthorizationToken, possibly CloudReactor) need DNS64 and NAT64 both.
    view.reaches_internet = view.reaches_internet_ipv6 and nat64_ok and ipv6_routing.dns64_enabled(view.subnet)
    view.can_pull_image = view.reaches_internet
