# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The monthly list price of what the audit saw: NAT gateways, public IPv4 addresses, interface endpoints.

us-east-1 list prices, hourly charges only (data processed is billed on top), 730 hours a month.
"""

from ansible_collections.cloudreactor.aws.plugins.module_utils.audit.checks_addresses import leaked_addresses
from ansible_collections.cloudreactor.aws.plugins.module_utils.audit.endpoints import endpoint_type

HOURS_PER_MONTH = 730
NAT_GATEWAY_HOURLY = 0.045
PUBLIC_IPV4_HOURLY = 0.005
INTERFACE_ENDPOINT_AZ_HOURLY = 0.01
BILLED_NAT_STATES = ("pending", "available")
BILLED_ENDPOINT_STATES = ("pendingacceptance", "pending", "available")


def monthly_cost(ctx):
    snapshot = ctx.snapshot
    nats = [nat for nat in snapshot.nat_gateways.values() if nat.get("State") in BILLED_NAT_STATES]
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
    nat_usd = round(len(nats) * NAT_GATEWAY_HOURLY * HOURS_PER_MONTH, 2)
    ip_usd = round(len(public_ips) * PUBLIC_IPV4_HOURLY * HOURS_PER_MONTH, 2)
    endpoint_usd = round(endpoint_azs * INTERFACE_ENDPOINT_AZ_HOURLY * HOURS_PER_MONTH, 2)
    return {
        "nat_gateways": len(nats),
        "public_ipv4_addresses": len(public_ips),
        "interface_endpoint_azs": endpoint_azs,
        "nat_gateways_usd": nat_usd,
        "public_ipv4_usd": ip_usd,
        "interface_endpoints_usd": endpoint_usd,
        "total_usd": round(nat_usd + ip_usd + endpoint_usd, 2),
        "basis": "us-east-1 list prices, 730 hours a month, hourly charges only (data processed is extra)",
    }
