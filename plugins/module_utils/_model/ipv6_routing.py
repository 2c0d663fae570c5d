# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a subnet's IPv6 addresses and routes mean for its way out. Pure functions over EC2 describe results.

The IPv4 questions are answered in :mod:`routing`; these are their IPv6 counterparts. A dual-stack subnet has an
IPv6 block beside its IPv4 one and sends ``::/0`` to an egress-only internet gateway (outbound only) or to the
internet gateway. An IPv6-only subnet (``Ipv6Native``) has no IPv4 at all: it reaches IPv4-only destinations through
NAT64, which takes DNS64 on the subnet (``EnableDns64``) and a route ``64:ff9b::/96`` to a NAT gateway.
"""

from __future__ import annotations

import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._model import routing

if typing.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

IPV6_DEFAULT_ROUTE_CIDR = "::/0"
NAT64_PREFIX = "64:ff9b::/96"
ASSOCIATED = "associated"

EGRESS_ONLY_GATEWAY = "egress_only_internet_gateway"
INTERNET_GATEWAY = "internet_gateway"
NAT_GATEWAY = "nat_gateway"
OTHER = "other"


def associated_block(item: Mapping[str, Any] | None) -> str | None:
    """The first IPv6 block of a subnet or VPC in state ``associated`` (``None`` when it has none)."""
    for association in (item or {}).get("Ipv6CidrBlockAssociationSet", []):
        if (association.get("Ipv6CidrBlockState") or {}).get("State") == ASSOCIATED:
            block: str | None = association.get("Ipv6CidrBlock")
            return block
    return None


def is_ipv6_native(subnet: Mapping[str, Any] | None) -> bool:
    """True for an IPv6-only subnet: it has no IPv4 block, and IPv6-native is set when the subnet is created."""
    return bool((subnet or {}).get("Ipv6Native"))


def dns64_enabled(subnet: Mapping[str, Any] | None) -> bool:
    return bool((subnet or {}).get("EnableDns64"))


def ipv6_route(route_table: Mapping[str, Any] | None, destination: str) -> dict[str, Any] | None:
    """The route of ``route_table`` to the IPv6 ``destination`` (``::/0``, ``64:ff9b::/96``), or ``None``."""
    for route in (route_table or {}).get("Routes", []):
        if route.get("DestinationIpv6CidrBlock") == destination:
            found: dict[str, Any] = route
            return found
    return None


def ipv6_target(route: Resource) -> tuple[str, str | None]:
    """``(kind, id)`` of an IPv6 route's target: an egress-only internet gateway, an internet gateway, a NAT gateway
    (NAT64) or another target."""
    if route.get("EgressOnlyInternetGatewayId"):
        return EGRESS_ONLY_GATEWAY, route["EgressOnlyInternetGatewayId"]
    kind, target = routing.route_target(route)
    if kind == "internet_gateway":
        return INTERNET_GATEWAY, target
    if kind == "nat_gateway":
        return NAT_GATEWAY, target
    return OTHER, target


def egress_only_gateway_attached(gateway: Mapping[str, Any] | None, vpc_id: str | None) -> bool:
    """True when an egress-only internet gateway is attached to ``vpc_id``."""
    return any(
        attachment.get("VpcId") == vpc_id and attachment.get("State") in ("attached", "available")
        for attachment in (gateway or {}).get("Attachments", [])
    )


def egress_only_gateways_of(gateways: Iterable[Mapping[str, Any]], vpc_id: str | None) -> list[str]:
    """The ids of the egress-only internet gateways attached to ``vpc_id``."""
    return [
        gateway["EgressOnlyInternetGatewayId"] for gateway in gateways if egress_only_gateway_attached(gateway, vpc_id)
    ]


def default_route_problem(
    route: Resource | None,
    vpc_id: str | None,
    igws_by_id: Mapping[str | None, Resource],
    eigws_by_id: Mapping[str | None, Resource],
) -> str | None:
    """Why a ``::/0`` route takes traffic nowhere, or ``None`` when it leaves through a working gateway: an
    egress-only internet gateway or an internet gateway attached to the VPC. Other targets are not followed."""
    if route is None:
        return f"no {IPV6_DEFAULT_ROUTE_CIDR} route"
    kind, target = ipv6_target(route)
    if route.get("State") == "blackhole":
        return f"{IPV6_DEFAULT_ROUTE_CIDR} -> {target} is a blackhole (its target is gone)"
    if kind == EGRESS_ONLY_GATEWAY and not egress_only_gateway_attached(eigws_by_id.get(target), vpc_id):
        return f"egress-only internet gateway {target} is gone or not attached to {vpc_id}"
    if kind == INTERNET_GATEWAY and not routing.igw_attached_to(igws_by_id.get(target), vpc_id):
        return f"internet gateway {target} is not attached to {vpc_id}"
    return None


def nat64_route_problem(route: Resource | None, nats_by_id: Mapping[str | None, Resource]) -> str | None:
    """Why a ``64:ff9b::/96`` route does not reach a working NAT gateway, or ``None`` when it does."""
    if route is None:
        return f"no {NAT64_PREFIX} route"
    kind, target = ipv6_target(route)
    if kind != NAT_GATEWAY:
        return f"{NAT64_PREFIX} goes to {target}, not to a NAT gateway"
    nat = nats_by_id.get(target)
    problem = routing.nat_problem(nat)
    if problem:
        verb = "" if problem.startswith(("does", "failed")) else "is "
        return f"{NAT64_PREFIX} -> NAT gateway {target}, which {verb}{problem}"
    if route.get("State") == "blackhole":
        return f"{NAT64_PREFIX} -> {target} is a blackhole"
    if routing.is_private_nat(nat):
        return f"NAT gateway {target} is private: it does not reach the internet"
    return None
