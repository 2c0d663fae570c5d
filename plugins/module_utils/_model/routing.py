# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a subnet's routes mean for its way out to the internet. Pure functions over EC2 describe results.

The modules that build and repair routes and the audit that checks them ask the same questions (which table
governs a subnet, where its default route goes, whether that target still works); they all answer them here.
"""

from __future__ import annotations

import typing

if typing.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

DEFAULT_ROUTE_CIDR = "0.0.0.0/0"

NAT_USABLE_STATES = ("pending", "available")
NAT_DEAD_STATES = ("failed", "deleting", "deleted")


def effective_route_table(
    subnet_id: str | None, vpc_id: str | None, route_tables: Iterable[Resource]
) -> Resource | None:
    """The table that routes ``subnet_id``: its explicit association, else the main table of the same VPC."""
    main_table = None
    for table in route_tables:
        if table.get("VpcId") != vpc_id:
            continue
        for association in table.get("Associations", []):
            if association.get("SubnetId") == subnet_id:
                return table
            if association.get("Main"):
                main_table = table
    return main_table


def explicit_association(
    subnet_id: str, route_tables: Iterable[Resource]
) -> tuple[Resource, Resource] | tuple[None, None]:
    """The explicit association of ``subnet_id`` as ``(table, association)``, or ``(None, None)``."""
    for table in route_tables:
        for association in table.get("Associations", []):
            if association.get("SubnetId") == subnet_id:
                return table, association
    return None, None


def default_route(route_table: Resource | None) -> Resource | None:
    """The IPv4 default route of ``route_table`` (``None`` when it has none or there is no table)."""
    routes: list[Resource] = (route_table or {}).get("Routes", [])
    for route in routes:
        if route.get("DestinationCidrBlock") == DEFAULT_ROUTE_CIDR:
            return route
    return None


def ipv6_route(route_table: Resource | None, destination: str) -> Resource | None:
    """The route of ``route_table`` to the IPv6 ``destination`` (``::/0``, ``64:ff9b::/96``), or ``None``."""
    routes: list[Resource] = (route_table or {}).get("Routes", [])
    for route in routes:
        if route.get("DestinationIpv6CidrBlock") == destination:
            return route
    return None


def route_target(route: Resource) -> tuple[str, str | None]:
    """``(kind, id)`` of a route's target: kind is ``internet_gateway``, ``nat_gateway``,
    ``egress_only_internet_gateway`` or ``other``."""
    if route.get("NatGatewayId"):
        return "nat_gateway", route["NatGatewayId"]
    if route.get("EgressOnlyInternetGatewayId"):
        return "egress_only_internet_gateway", route["EgressOnlyInternetGatewayId"]
    gateway_id = route.get("GatewayId") or ""
    if gateway_id.startswith("igw-"):
        return "internet_gateway", gateway_id
    other: str | None = next(
        (
            route[key]
            for key in ("TransitGatewayId", "NetworkInterfaceId", "VpcPeeringConnectionId", "InstanceId")
            if route.get(key)
        ),
        gateway_id or None,
    )
    return "other", other


def igw_attached_to(igw: Resource | None, vpc_id: str | None) -> bool:
    """True when ``igw`` is attached to ``vpc_id`` and the attachment is usable."""
    return any(
        attachment.get("VpcId") == vpc_id and attachment.get("State") in ("available", "attached")
        for attachment in (igw or {}).get("Attachments", [])
    )


def nat_problem(nat: Resource | None) -> str | None:
    """Why ``nat`` cannot carry traffic (``None`` when it can, or soon will: ``pending``)."""
    if nat is None:
        return "does not exist"
    state = nat.get("State")
    if state in NAT_USABLE_STATES:
        return None
    if state == "failed":
        return f"failed ({nat.get('FailureCode', 'no code')}: {nat.get('FailureMessage', 'no message')})"
    return state


def route_problem(
    route: Resource | None,
    vpc_id: str | None,
    igws_by_id: Mapping[Any, Resource],
    nats_by_id: Mapping[Any, Resource],
) -> str | None:
    """Why a route's traffic goes nowhere, or ``None`` when its target works.

    A route to a dead NAT gateway is a problem even when the API still reports the route ``active``.
    """
    if route is None:
        return "no default route"
    kind, target = route_target(route)
    if route.get("State") == "blackhole":
        return f"route to {target} is a blackhole"
    if kind == "internet_gateway" and not igw_attached_to(igws_by_id.get(target), vpc_id):
        return f"internet gateway {target} is not attached to {vpc_id}"
    if kind == "nat_gateway":
        problem = nat_problem(nats_by_id.get(target))
        if problem:
            return f"NAT gateway {target} {problem}"
    return None


def reaches_internet_gateway(
    subnet_id: str, vpc_id: str, route_tables: Iterable[Resource], igws_by_id: Mapping[Any, Resource]
) -> bool:
    """True when ``subnet_id``'s effective table sends 0.0.0.0/0 to an internet gateway attached to its VPC."""
    route = default_route(effective_route_table(subnet_id, vpc_id, route_tables))
    return (
        route is not None
        and route_target(route)[0] == "internet_gateway"
        and route_problem(route, vpc_id, igws_by_id, {}) is None
    )


def route_destination(route: Resource) -> str | None:
    """What a route matches: its IPv4 or IPv6 CIDR, or its prefix list id (``pl-...``, e.g. a gateway endpoint)."""
    return (
        route.get("DestinationCidrBlock")
        or route.get("DestinationIpv6CidrBlock")
        or route.get("DestinationPrefixListId")
    )


def is_regional_nat(nat: Resource | None) -> bool:
    """True for a regional NAT gateway (``AvailabilityMode: regional``): one NAT serving every AZ of its VPC, with no
    subnet of its own, so it can be neither misplaced nor in "another" AZ."""
    return (nat or {}).get("AvailabilityMode") == "regional"


def is_private_nat(nat: Resource | None) -> bool:
    """True for a private NAT gateway (``ConnectivityType: private``): it never reaches the internet by itself."""
    return (nat or {}).get("ConnectivityType") == "private"


def nat_placement_problem(
    nat: Resource | None, route_tables: Iterable[Resource], igws_by_id: Mapping[Any, Resource]
) -> str | None:
    """Why a public, zonal NAT gateway has no way out from the subnet it sits in; ``None`` when its subnet routes
    0.0.0.0/0 to an internet gateway attached to its VPC (and for regional or private NATs, which need no such subnet).
    """
    if nat is None or is_regional_nat(nat) or is_private_nat(nat):
        return None
    subnet_id, vpc_id = nat.get("SubnetId"), nat.get("VpcId")
    route = default_route(effective_route_table(subnet_id, vpc_id, route_tables))
    if route is None:
        return f"its subnet {subnet_id} has no default route"
    kind, target = route_target(route)
    if kind != "internet_gateway":
        return f"its subnet {subnet_id} sends 0.0.0.0/0 to {target}, not to an internet gateway"
    problem = route_problem(route, vpc_id, igws_by_id, {})
    return f"its subnet {subnet_id}: {problem}" if problem else None
