# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monthly list price of what the audit saw: NAT gateways, public IPv4 addresses, interface endpoints.

us-east-1 list prices, hourly charges only (data processed is billed on top), 730 hours a month. A zonal NAT gateway
pays the NAT gateway hourly charge once; a regional one pays it "for each hour that the NAT Gateway is configured in
each availability zone" (https://aws.amazon.com/vpc/pricing/), that is once per zone in which it has an address.
Sources and the monthly table by mode: docs/egress-modes.md.

An egress-only internet gateway has no hourly and no per-GB processing charge (data transfer out only, as for any
way out), where a NAT gateway charges NAT_GATEWAY_PER_GB for each GB it processes: a task subnet whose IPv6 leaves
through one (or through the internet gateway) sends its traffic to dual-stack destinations (ECR's dual-stack
endpoints, S3, most APIs) past the NAT gateway. The traffic itself is not seen by an audit, so the cost shows the
price per GB that moves, not a total.
"""

from __future__ import annotations

import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit import paths
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.checks.addresses import leaked_addresses
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.endpoints import endpoint_type
from ansible_collections.cloudreactor.aws.plugins.module_utils._model import routing

if typing.TYPE_CHECKING:
    from typing import Any

    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import AuditContext
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

HOURS_PER_MONTH = 730
NAT_GATEWAY_HOURLY = 0.045
NAT_GATEWAY_PER_GB = 0.045
EGRESS_ONLY_GATEWAY_HOURLY = 0.0
PUBLIC_IPV4_HOURLY = 0.005
INTERFACE_ENDPOINT_AZ_HOURLY = 0.01
BILLED_NAT_STATES = ("pending", "available")
BILLED_ENDPOINT_STATES = ("pendingacceptance", "pending", "available")


def billed_zones(nat: Resource) -> int:
    """How many NAT gateway hourly charges ``nat`` pays: 1 for a zonal NAT gateway, and for a regional one the number
    of availability zones in which it is active (0 before its first workload appears, in automatic mode)."""
    if not routing.is_regional_nat(nat):
        return 1
    return len(
        {
            address.get("AvailabilityZoneId") or address.get("AvailabilityZone")
            for address in nat.get("NatGatewayAddresses", [])
        }
        - {None}
    )


def monthly_cost(ctx: AuditContext) -> dict[str, Any]:
    snapshot = ctx.snapshot
    nats = [nat for nat in snapshot.nat_gateways.values() if nat.get("State") in BILLED_NAT_STATES]
    nat_zones = sum(billed_zones(nat) for nat in nats)
    public_ips = {
        address.get("PublicIp")
        for nat in nats
        for address in nat.get("NatGatewayAddresses", [])
        if address.get("PublicIp")
    }
    public_ips.update(address.get("PublicIp") for address in leaked_addresses(ctx))
    endpoint_azs = sum(
        len(endpoint.get("SubnetIds", []))
        for endpoint in snapshot.endpoints
        if endpoint_type(endpoint) == "interface" and (endpoint.get("State") or "").lower() in BILLED_ENDPOINT_STATES
    )
    # Subnets whose IPv4 goes through a NAT gateway (NAT64 for IPv6-only ones) and whose IPv6 does not.
    behind_nat = (paths.PRIVATE_NAT, paths.IPV6_ONLY)
    ipv6_subnets = [view.id for view in ctx.views if view.reaches_internet_ipv6 and view.kind in behind_nat]
    nat_usd = round(nat_zones * NAT_GATEWAY_HOURLY * HOURS_PER_MONTH, 2)
    ip_usd = round(len(public_ips) * PUBLIC_IPV4_HOURLY * HOURS_PER_MONTH, 2)
    endpoint_usd = round(endpoint_azs * INTERFACE_ENDPOINT_AZ_HOURLY * HOURS_PER_MONTH, 2)
    return {
        "nat_gateways": len(nats),
        "nat_gateway_zones": nat_zones,
        "public_ipv4_addresses": len(public_ips),
        "interface_endpoint_azs": endpoint_azs,
        "nat_gateways_usd": nat_usd,
        "public_ipv4_usd": ip_usd,
        "interface_endpoints_usd": endpoint_usd,
        "egress_only_gateways": len(snapshot.egress_only_gateways),
        "egress_only_gateways_usd": round(len(snapshot.egress_only_gateways) * EGRESS_ONLY_GATEWAY_HOURLY, 2),
        "ipv6_task_subnets": len(ipv6_subnets),
        "nat_gateway_usd_per_gb": NAT_GATEWAY_PER_GB,
        "total_usd": round(nat_usd + ip_usd + endpoint_usd, 2),
        "basis": "us-east-1 list prices, 730 hours a month, hourly charges only (data processed is extra); a regional "
        "NAT gateway is billed for each availability zone it is active in",
    }
