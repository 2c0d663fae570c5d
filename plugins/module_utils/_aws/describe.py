# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Batched, paginated EC2 describe calls.

Each function makes a fixed number of calls whatever the number of resources: it filters by VPC (or by a list of
ids) and follows pagination, so the cost of reading a network does not grow with its number of subnets.
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import AWS_RETRY
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput


@AWS_RETRY
def _paginate(client, operation, result_key, **kwargs):
    """All items of a paginated describe call; a throttled page restarts the (read-only) listing."""
    paginator = client.get_paginator(operation)
    return paginator.paginate(**kwargs).build_full_result().get(result_key, [])


def vpc_filter(vpc_id, name="vpc-id"):
    return [{"Name": name, "Values": [vpc_id]}]


def describe_vpc(client, vpc_id, option="vpc_id"):
    """The VPC ``vpc_id``; an unknown id is the user's input error, reported against ``option``."""
    try:
        vpcs = client.describe_vpcs(VpcIds=[vpc_id], aws_retry=True)["Vpcs"]
    except is_boto3_error_code("InvalidVpcID.NotFound"):
        vpcs = []
    if not vpcs:
        raise InvalidInput(option, f"VPC {vpc_id} does not exist in this region")
    return vpcs[0]


def describe_subnets(client, subnet_ids, option="subnet_ids"):
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


def vpc_subnets(client, vpc_id):
    return _paginate(client, "describe_subnets", "Subnets", Filters=vpc_filter(vpc_id))


def vpc_route_tables(client, vpc_id):
    return _paginate(client, "describe_route_tables", "RouteTables", Filters=vpc_filter(vpc_id))


def vpc_internet_gateways(client, vpc_id):
    """Internet gateways attached (in any attachment state) to ``vpc_id``."""
    return _paginate(
        client, "describe_internet_gateways", "InternetGateways", Filters=vpc_filter(vpc_id, "attachment.vpc-id")
    )


def vpc_nat_gateways(client, vpc_id):
    """Every NAT gateway of ``vpc_id``, including failed and deleted ones (AWS keeps those for about an hour)."""
    return _paginate(client, "describe_nat_gateways", "NatGateways", Filter=vpc_filter(vpc_id))


def internet_gateways_by_id(client, igw_ids):
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


def nat_gateways_by_id(client, nat_ids):
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


def nat_gateways_where(client, filters):
    """NAT gateways matching EC2 ``filters`` (e.g. ``subnet-id`` or identity tags), in one paginated listing."""
    return _paginate(client, "describe_nat_gateways", "NatGateways", Filter=list(filters))


def internet_gateways(client, filters):
    """Internet gateways matching EC2 ``filters`` (for example identity filters), attached or not."""
    return _paginate(client, "describe_internet_gateways", "InternetGateways", Filters=filters)


def describe_where(client, operation, result_key, name, values, *, filter_key="Filters"):
    """Every item of a paginated describe whose filter ``name`` matches one of ``values`` (e.g. ``vpc-id`` and a few
    VPC ids): one listing whatever the number of subnets. No values, no call. ``filter_key`` is ``Filter`` for
    DescribeNatGateways."""
    if not values:
        return []
    return _paginate(client, operation, result_key, **{filter_key: [{"Name": name, "Values": sorted(set(values))}]})
