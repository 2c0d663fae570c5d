# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that reads the network: every describe call of the audit, batched by VPC and paginated.

The number of calls depends on the number of VPCs (normally one), never on the number of subnets, route tables or
NAT gateways: each describe filters by ``vpc-id`` with all VPC ids at once, and follows pagination.
"""

from __future__ import annotations

import dataclasses
import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws import describe
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import describe_where
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput
from ansible_collections.cloudreactor.aws.plugins.module_utils._model import ipv6_routing
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import identity_filters

if typing.TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import Client

AMAZON_DNS = "AmazonProvidedDNS"


@dataclasses.dataclass(frozen=True)
class Described:
    """The network as the audit's describe calls answer it (see :func:`read_snapshot`), for :class:`Snapshot` to
    index. ``dns_attributes``: ``{vpc_id: {"support": bool, "hostnames": bool}}``."""

    vpcs: Iterable[Resource]
    dns_attributes: dict[str | None, dict[str, bool]]
    subnets: Iterable[Resource]
    route_tables: list[Resource]
    internet_gateways: Iterable[Resource]
    nat_gateways: Iterable[Resource]
    addresses: list[Resource]
    network_acls: Iterable[Resource]
    endpoints: list[Resource]
    security_groups: Iterable[Resource]
    dhcp_options: Iterable[Resource]
    egress_only_gateways: Iterable[Resource] = ()
    detached_internet_gateways: Iterable[Resource] = ()


class Snapshot:
    """Everything the checks look at, indexed. Holds raw EC2 describe results (dicts)."""

    def __init__(self, region: str, described: Described) -> None:
        self.region = region
        self.vpcs: dict[str, Resource] = {vpc["VpcId"]: vpc for vpc in described.vpcs}
        self.dns = described.dns_attributes
        self.subnets: dict[str | None, Resource] = {subnet["SubnetId"]: subnet for subnet in described.subnets}
        self.route_tables = described.route_tables
        self.route_tables_by_vpc: dict[str | None, list[Resource]] = {}
        for table in described.route_tables:
            self.route_tables_by_vpc.setdefault(table.get("VpcId"), []).append(table)
        self.internet_gateways: dict[str | None, Resource] = {
            igw["InternetGatewayId"]: igw for igw in described.internet_gateways
        }
        # The region's gateways attached to no VPC: among them, the network's leftovers (checks/vpc.py).
        self.detached_internet_gateways = list(described.detached_internet_gateways)
        self.nat_gateways: dict[str | None, Resource] = {nat["NatGatewayId"]: nat for nat in described.nat_gateways}
        # Read only for VPCs with an IPv6 block: an IPv4 network's audit makes no call for them.
        self.egress_only_gateways: dict[str | None, Resource] = {
            item["EgressOnlyInternetGatewayId"]: item for item in described.egress_only_gateways
        }
        self.addresses = described.addresses
        self.addresses_by_allocation: dict[str | None, Resource] = {
            address.get("AllocationId"): address for address in described.addresses
        }
        self.network_acls: dict[str, Resource] = {acl["NetworkAclId"]: acl for acl in described.network_acls}
        self.acl_by_subnet: dict[str | None, Resource] = {}
        for acl in described.network_acls:
            for association in acl.get("Associations", []):
                self.acl_by_subnet[association.get("SubnetId")] = acl
        self.endpoints = described.endpoints
        self.security_groups: dict[str | None, Resource] = {
            group["GroupId"]: group for group in described.security_groups
        }
        self.dns_servers: dict[
            str | None, list[str]
        ] = {}  # {vpc_id: [custom DNS server IPs]}; empty when the VPC uses the Amazon DNS server
        options_by_id = {options["DhcpOptionsId"]: options for options in described.dhcp_options}
        for vpc_id, vpc in self.vpcs.items():
            self.dns_servers[vpc_id] = _custom_dns_servers(options_by_id.get(vpc.get("DhcpOptionsId")))

    def attached_igw(self, vpc_id: str | None) -> Resource | None:
        """The internet gateway attached (state available) to ``vpc_id``, or ``None``."""
        for igw in self.internet_gateways.values():
            for attachment in igw.get("Attachments", []):
                if attachment.get("VpcId") == vpc_id and attachment.get("State") in ("available", "attached"):
                    return igw
        return None


def _custom_dns_servers(options: Resource | None) -> list[str]:
    for configuration in (options or {}).get("DhcpConfigurations", []):
        if configuration.get("Key") == "domain-name-servers":
            servers = [value.get("Value") for value in configuration.get("Values", [])]
            return [server for server in servers if server and server != AMAZON_DNS]
    return []


def read_vpcs(client: Client, vpc_ids: Sequence[str], option: str) -> list[Resource]:
    """The VPCs ``vpc_ids`` (one call); an unknown id is ``option``'s input error."""
    vpcs = describe_where(client, "describe_vpcs", "Vpcs", "vpc-id", vpc_ids)
    missing = sorted(set(vpc_ids) - {vpc["VpcId"] for vpc in vpcs})
    if missing:
        raise InvalidInput(option, f"VPC not found in this region: {', '.join(missing)}")
    return vpcs


def network_vpc_ids(client: Client, network_name: str) -> list[str]:
    """The VPCs this collection built for ``network_name``, found by their identity tags (one call), lowest id first:
    the network's own, then duplicates that runs racing before the network's claim existed left."""
    vpcs = client.describe_vpcs(Filters=identity_filters(network_name, "vpc"), aws_retry=True)["Vpcs"]
    if not vpcs:
        raise InvalidInput(
            "network_name",
            f"no VPC in this region carries the identity tags of network {network_name!r}; give vpc_id or subnet_ids "
            "to audit a network this collection did not build",
        )
    return sorted(str(vpc["VpcId"]) for vpc in vpcs)


def read_task_subnets(client: Client, subnet_ids: Sequence[str]) -> list[Resource]:
    """The task subnets, in the given order (one call); unknown ids are ``subnet_ids``' input error."""
    return describe.describe_subnets(client, subnet_ids, option="subnet_ids")


def _dns_attributes(client: Client, vpc_id: str) -> dict[str, bool]:
    support = client.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport", aws_retry=True)
    hostnames = client.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames", aws_retry=True)
    return {
        "support": bool(support.get("EnableDnsSupport", {}).get("Value")),
        "hostnames": bool(hostnames.get("EnableDnsHostnames", {}).get("Value")),
    }


def read_snapshot(client: Client, vpcs: list[Resource], security_group_ids: Iterable[str] = ()) -> Snapshot:
    """Read everything the audit needs about ``vpcs`` (already described). ``security_group_ids``: the task's groups,
    read together with the interface endpoints' groups in one call."""
    vpc_ids = [vpc["VpcId"] for vpc in vpcs]
    dns: dict[str | None, dict[str, bool]] = {vpc_id: _dns_attributes(client, vpc_id) for vpc_id in vpc_ids}
    subnets = describe_where(client, "describe_subnets", "Subnets", "vpc-id", vpc_ids)
    route_tables = describe_where(client, "describe_route_tables", "RouteTables", "vpc-id", vpc_ids)
    # The region's internet gateways, in one call as a listing by VPC would be: the detached ones are seen too (a
    # network's leftovers, see checks/vpc.py), and a converge has read this very listing already (converge.prime).
    region_igws = describe.region_internet_gateways(client)
    igws = [igw for igw in region_igws if any(att.get("VpcId") in vpc_ids for att in igw.get("Attachments") or [])]
    detached_igws = [
        igw for igw in region_igws if all(att.get("State") == "detached" for att in igw.get("Attachments") or [])
    ]
    nats = describe_where(client, "describe_nat_gateways", "NatGateways", "vpc-id", vpc_ids)
    # Elastic IPs are not bound to a VPC; one unfiltered call answers both "does the NAT's EIP exist" and "which of
    # this network's EIPs are associated with nothing".
    addresses = describe.vpc_addresses(client)
    acls = describe_where(client, "describe_network_acls", "NetworkAcls", "vpc-id", vpc_ids)
    endpoints = describe_where(client, "describe_vpc_endpoints", "VpcEndpoints", "vpc-id", vpc_ids)
    group_ids = set(security_group_ids)
    for endpoint in endpoints:
        group_ids.update(group["GroupId"] for group in endpoint.get("Groups", []))
    groups = describe_where(client, "describe_security_groups", "SecurityGroups", "group-id", group_ids)
    dhcp_ids = {vpc["DhcpOptionsId"] for vpc in vpcs if vpc.get("DhcpOptionsId") not in (None, "default")}
    dhcp = describe_where(client, "describe_dhcp_options", "DhcpOptions", "dhcp-options-id", dhcp_ids)
    ipv6_vpc_ids = [vpc["VpcId"] for vpc in vpcs if ipv6_routing.associated_block(vpc)]
    return Snapshot(
        client.meta.region_name,
        Described(
            vpcs=vpcs,
            dns_attributes=dns,
            subnets=subnets,
            route_tables=route_tables,
            internet_gateways=igws,
            detached_internet_gateways=detached_igws,
            nat_gateways=nats,
            addresses=addresses,
            network_acls=acls,
            endpoints=endpoints,
            security_groups=groups,
            dhcp_options=dhcp,
            egress_only_gateways=describe.egress_only_gateways(client, ipv6_vpc_ids),
        ),
    )
