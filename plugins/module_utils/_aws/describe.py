# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batched, paginated EC2 describe calls.

Each function makes a fixed number of calls whatever the number of resources: it filters by VPC (or by a list of
ids) and follows pagination, so the cost of reading a network does not grow with its number of subnets.
"""

from __future__ import annotations

import typing

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import AWS_RETRY
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput

if typing.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any, TypeAlias

    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import Client

    # One item of an EC2 describe answer (a subnet, a route table...), as botocore returns it.
    Resource: TypeAlias = dict[str, Any]
    # EC2 ``Filters``: ``[{"Name": ..., "Values": [...]}]``.
    Filters: TypeAlias = list[dict[str, Any]]


# The filter of every listing of Elastic IPs: they are all VPC addresses today.
VPC_ADDRESSES = [{"Name": "domain", "Values": ["vpc"]}]


@AWS_RETRY
def _paginate(client: Client, operation: str, result_key: str, **kwargs: Any) -> list[Resource]:
    """All items of a paginated describe call; a throttled page restarts the (read-only) listing."""
    paginator = client.get_paginator(operation)
    items: list[Resource] = paginator.paginate(**kwargs).build_full_result().get(result_key, [])
    return items


def vpc_filter(vpc_id: str, name: str = "vpc-id") -> Filters:
    return [{"Name": name, "Values": [vpc_id]}]


def describe_vpc(client: Client, vpc_id: str, option: str = "vpc_id") -> Resource:
    """The VPC ``vpc_id``; an unknown id is the user's input error, reported against ``option``."""
    try:
        vpcs = client.describe_vpcs(VpcIds=[vpc_id], aws_retry=True)["Vpcs"]
    except is_boto3_error_code("InvalidVpcID.NotFound"):
        vpcs = []
    if not vpcs:
        raise InvalidInput(option, f"VPC {vpc_id} does not exist in this region")
    vpc: Resource = vpcs[0]
    return vpc


def describe_subnets(client: Client, subnet_ids: Sequence[str], option: str = "subnet_ids") -> list[Resource]:
    """The subnets ``subnet_ids``, in the given order; unknown ids are reported against ``option``."""
    if not subnet_ids:
        return []
    try:
        found = _paginate(client, "describe_subnets", "Subnets", SubnetIds=list(subnet_ids))
    except is_boto3_error_code("InvalidSubnetID.NotFound") as error:
        raise InvalidInput(option, f"not every subnet exists: {error}") from error
    by_id = {subnet["SubnetId"]: subnet for subnet in found}
    missing = [subnet_id for subnet_id in subnet_ids if subnet_id not in by_id]
    if missing:
        raise InvalidInput(option, f"subnets not found: {', '.join(missing)}")
    return [by_id[subnet_id] for subnet_id in subnet_ids]


def vpc_subnets(client: Client, vpc_id: str) -> list[Resource]:
    return _paginate(client, "describe_subnets", "Subnets", Filters=vpc_filter(vpc_id))


def vpc_route_tables(client: Client, vpc_id: str) -> list[Resource]:
    return _paginate(client, "describe_route_tables", "RouteTables", Filters=vpc_filter(vpc_id))


def vpc_internet_gateways(client: Client, vpc_id: str) -> list[Resource]:
    """Internet gateways attached (in any attachment state) to ``vpc_id``."""
    return _paginate(
        client, "describe_internet_gateways", "InternetGateways", Filters=vpc_filter(vpc_id, "attachment.vpc-id")
    )


def vpc_nat_gateways(client: Client, vpc_id: str) -> list[Resource]:
    """Every NAT gateway of ``vpc_id``, including failed and deleted ones (AWS keeps those for about an hour)."""
    return _paginate(client, "describe_nat_gateways", "NatGateways", Filter=vpc_filter(vpc_id))


def internet_gateways_by_id(client: Client, igw_ids: Iterable[str]) -> dict[str, Resource]:
    """Internet gateways by id, in one call; ids that no longer exist are absent from the result."""
    if not igw_ids:
        return {}
    igws = _paginate(
        client,
        "describe_internet_gateways",
        "InternetGateways",
        Filters=[{"Name": "internet-gateway-id", "Values": sorted(set(igw_ids))}],
    )
    return {igw["InternetGatewayId"]: igw for igw in igws}


def nat_gateways_by_id(client: Client, nat_ids: Iterable[str]) -> dict[str, Resource]:
    """NAT gateways by id, in one call (a filter, so an unknown id is absent rather than an error)."""
    if not nat_ids:
        return {}
    nats = _paginate(
        client,
        "describe_nat_gateways",
        "NatGateways",
        Filter=[{"Name": "nat-gateway-id", "Values": sorted(set(nat_ids))}],
    )
    return {nat["NatGatewayId"]: nat for nat in nats}


def nat_gateways_where(client: Client, filters: Iterable[Mapping[str, Any]]) -> list[Resource]:
    """NAT gateways matching EC2 ``filters`` (e.g. ``subnet-id`` or identity tags), in one paginated listing."""
    return _paginate(client, "describe_nat_gateways", "NatGateways", Filter=list(filters))


def internet_gateways(client: Client, filters: Filters) -> list[Resource]:
    """Internet gateways matching EC2 ``filters`` (for example identity filters), attached or not."""
    return _paginate(client, "describe_internet_gateways", "InternetGateways", Filters=filters)


def region_internet_gateways(client: Client) -> list[Resource]:
    """Every internet gateway of the region, attached or not, in one listing."""
    return _paginate(client, "describe_internet_gateways", "InternetGateways")


def vpc_addresses(client: Client) -> list[Resource]:
    """Every VPC Elastic IP of the region (all are VPC addresses today), in one call (DescribeAddresses is not
    paginated). The converge's first reading, the audit and the release of free addresses make this same call, so a
    converge's read cache answers all of them from one."""
    addresses: list[Resource] = client.describe_addresses(Filters=VPC_ADDRESSES, aws_retry=True)["Addresses"]
    return addresses


def describe_where(client: Client, operation: str, result_key: str, name: str, values: Iterable[str]) -> list[Resource]:
    """Every item of a paginated describe whose filter ``name`` matches one of ``values`` (e.g. ``vpc-id`` and a few
    VPC ids): one listing whatever the number of subnets. No values, no call."""
    if not values:
        return []
    filter_key = "Filter" if operation == "describe_nat_gateways" else "Filters"  # DescribeNatGateways' own spelling
    return _paginate(client, operation, result_key, **{filter_key: [{"Name": name, "Values": sorted(set(values))}]})


def egress_only_gateways(client: Client, vpc_ids: Iterable[str]) -> list[Resource]:
    """The egress-only internet gateways attached to one of ``vpc_ids``. DescribeEgressOnlyInternetGateways filters
    only on tags, so this is one paginated listing of the region's gateways, selected by attachment here. No VPC, no
    call."""
    wanted = set(vpc_ids)
    if not wanted:
        return []
    gateways = _paginate(client, "describe_egress_only_internet_gateways", "EgressOnlyInternetGateways")
    return [
        gateway
        for gateway in gateways
        if any(attachment.get("VpcId") in wanted for attachment in gateway.get("Attachments", []))
    ]
