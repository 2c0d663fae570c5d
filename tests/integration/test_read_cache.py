"""read_cache.CachedReads against the emulator: describes answered from earlier answers cost no call and equal what AWS
returns; anything else, errors and what cannot be evaluated locally go to AWS."""

from types import SimpleNamespace

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.exceptions import ClientError

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws import describe
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.read_cache import (
    LISTED_OPERATIONS,
    CachedReads,
    uncached,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import AWS_RETRY

UNKNOWN_SUBNET = "subnet-0123456789abcdef0"


def tagged(resource_type, **tags):
    return [{"ResourceType": resource_type, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def scope(name, *values):
    return [{"Name": name, "Values": list(values)}]


@pytest.fixture
def net(ec2):
    """A VPC with a public and a private subnet, an attached internet gateway, a route table, a NAT gateway with its
    Elastic IP and an S3 endpoint; and another VPC with one subnet, outside what the tests list."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tagged("vpc", Name="main"))["Vpc"]["VpcId"]
    public = ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.0.0.0/24", TagSpecifications=tagged("subnet", tier="public", Name="public-a")
    )["Subnet"]["SubnetId"]
    private = ec2.create_subnet(
        VpcId=vpc, CidrBlock="10.0.1.0/24", TagSpecifications=tagged("subnet", tier="private", Name="private-a")
    )["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=table, SubnetId=public)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    endpoint = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[table])[
        "VpcEndpoint"
    ]["VpcEndpointId"]
    group = ec2.describe_security_groups(Filters=scope("vpc-id", vpc))["SecurityGroups"][0]["GroupId"]
    acl = ec2.describe_network_acls(Filters=scope("vpc-id", vpc))["NetworkAcls"][0]["NetworkAclId"]
    other_vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    other_subnet = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.1.0.0/24")["Subnet"]["SubnetId"]
    return SimpleNamespace(**locals())


@pytest.fixture
def client(aws):
    """Like module.ec2_client: amazon.aws's retrying client (it takes ``aws_retry``) with a ``no_resend`` twin."""
    retrying = RetryingBotoClientWrapper(aws.boto3_client("ec2"), AWS_RETRY)
    retrying.no_resend = RetryingBotoClientWrapper(aws.boto3_client("ec2"), AWS_RETRY)
    return retrying


@pytest.fixture
def reads(client):
    return CachedReads(client)


def items_of(ec2, operation, **kwargs):
    """``operation``'s items as AWS returns them, by id (compared whole: every field must match)."""
    listing = LISTED_OPERATIONS[operation]
    answer = getattr(ec2, operation)(**kwargs)
    return {item[listing.id_field]: item for item in answer[listing.result_key]}


# operation: (a request listing the scope in full, a later request selecting part of it)
LISTED_THEN_SELECTED = {
    "describe_vpcs": (lambda n: {}, lambda n: {"VpcIds": [n.vpc]}),
    "describe_subnets": (
        lambda n: {"Filters": scope("vpc-id", n.vpc)},
        lambda n: {"Filters": scope("vpc-id", n.vpc) + scope("tag:tier", "private")},
    ),
    "describe_route_tables": (
        lambda n: {"Filters": scope("vpc-id", n.vpc)},
        lambda n: {"RouteTableIds": [n.table], "Filters": scope("association.subnet-id", n.public)},
    ),
    "describe_internet_gateways": (
        lambda n: {"Filters": scope("attachment.vpc-id", n.vpc)},
        lambda n: {"Filters": scope("internet-gateway-id", n.igw)},
    ),
    "describe_nat_gateways": (
        lambda n: {"Filter": scope("vpc-id", n.vpc)},
        lambda n: {"Filter": scope("vpc-id", n.vpc) + scope("subnet-id", n.public) + scope("state", "available")},
    ),
    "describe_addresses": (lambda n: {"Filters": scope("domain", "vpc")}, lambda n: {"AllocationIds": [n.eip]}),
    "describe_security_groups": (
        lambda n: {"Filters": scope("vpc-id", n.vpc)},
        lambda n: {"GroupIds": [n.group], "Filters": scope("group-name", "default")},
    ),
    "describe_network_acls": (
        lambda n: {"Filters": scope("vpc-id", n.vpc)},
        lambda n: {"Filters": scope("vpc-id", n.vpc) + scope("association.subnet-id", n.private)},
    ),
    "describe_vpc_endpoints": (
        lambda n: {"Filters": scope("vpc-id", n.vpc)},
        lambda n: {"VpcEndpointIds": [n.endpoint], "Filters": scope("service-name", "com.amazonaws.us-east-1.s3")},
    ),
}


@pytest.mark.parametrize("operation", sorted(LISTED_THEN_SELECTED))
def test_selection_within_a_listing_costs_no_call_and_equals_aws(aws, ec2, net, reads, operation):
    listed, selected = (make(net) for make in LISTED_THEN_SELECTED[operation])
    getattr(reads, operation)(aws_retry=True, **listed)

    with aws.recording() as rec:
        answer = getattr(reads, operation)(aws_retry=True, **selected)

    assert rec.actions == []
    listing = LISTED_OPERATIONS[operation]
    assert list(answer) == [listing.result_key]
    expected = items_of(ec2, operation, **selected)
    assert expected  # the selection is not trivially empty
    assert {item[listing.id_field]: item for item in answer[listing.result_key]} == expected


def test_paginated_and_direct_reads_share_what_was_listed(aws, ec2, net, reads):
    listed = describe.vpc_subnets(reads, net.vpc)  # through get_paginator(...).paginate(...).build_full_result()

    with aws.recording() as rec:
        by_ids = describe.describe_subnets(reads, [net.private, net.public])
        direct = reads.describe_subnets(SubnetIds=[net.public], aws_retry=True)["Subnets"]
        full = reads.get_paginator("describe_subnets").paginate(SubnetIds=[net.public]).build_full_result()
        repeat = describe.vpc_subnets(reads, net.vpc)

    assert rec.actions == []
    expected = items_of(ec2, "describe_subnets", SubnetIds=[net.public, net.private])
    assert {subnet["SubnetId"]: subnet for subnet in listed} == expected
    assert by_ids == [expected[net.private], expected[net.public]]
    assert direct == full["Subnets"] == [expected[net.public]]
    assert list(full) == ["Subnets"]
    assert repeat == listed


def test_ids_outside_the_listings_go_to_aws(aws, ec2, net, reads):
    describe.vpc_subnets(reads, net.vpc)

    with aws.recording() as rec:
        answer = reads.describe_subnets(SubnetIds=[net.public, net.other_subnet], aws_retry=True)["Subnets"]
        # A subnet of another VPC: the vpc-id listing of net.vpc does not cover it.
        elsewhere = reads.describe_subnets(Filters=scope("vpc-id", net.other_vpc), aws_retry=True)["Subnets"]

    assert rec.actions == ["DescribeSubnets", "DescribeSubnets"]
    assert {subnet["SubnetId"] for subnet in answer} == {net.public, net.other_subnet}
    assert [subnet["SubnetId"] for subnet in elsewhere] == [net.other_subnet]


def test_unknown_id_raises_aws_not_found_every_time(aws, net, reads):
    describe.vpc_subnets(reads, net.vpc)

    with aws.recording() as rec:
        for _attempt in range(2):
            with pytest.raises(ClientError) as raised:
                reads.describe_subnets(SubnetIds=[net.public, UNKNOWN_SUBNET], aws_retry=True)
            assert raised.value.response["Error"]["Code"] == "InvalidSubnetID.NotFound"

    assert rec.actions == ["DescribeSubnets", "DescribeSubnets"]  # an error is never remembered


def test_mutation_makes_the_next_read_see_aws(aws, net, reads):
    describe.vpc_internet_gateways(reads, net.vpc)

    with aws.recording() as rec:
        reads.create_tags(Resources=[net.igw], Tags=[{"Key": "team", "Value": "data"}], aws_retry=True)
        igws = describe.internet_gateways_by_id(reads, [net.igw])

    assert rec.actions == ["CreateTags", "DescribeInternetGateways"]
    assert {"Key": "team", "Value": "data"} in igws[net.igw]["Tags"]


@pytest.mark.parametrize(
    "touch",
    [lambda reads: reads.create_tags, lambda reads: reads.no_resend, uncached],
    ids=["method-not-called", "no_resend-twin", "uncached"],
)
def test_accessing_anything_but_a_read_forgets(aws, net, reads, touch):
    describe.vpc_subnets(reads, net.vpc)
    touch(reads)

    with aws.recording() as rec:
        describe.describe_subnets(reads, [net.public])
        reads.meta.region_name  # noqa: B018 -- meta, exceptions and can_paginate are not mutations
        reads.can_paginate("describe_subnets")
        describe.describe_subnets(reads, [net.public])

    assert rec.actions == ["DescribeSubnets"]


def test_uncached_is_the_wrapped_client(client, reads):
    assert uncached(reads) is reads.uncached is client
    assert uncached(client) is client


def test_returned_answers_are_copies(aws, ec2, net, reads):
    expected = items_of(ec2, "describe_subnets", Filters=scope("vpc-id", net.vpc))

    with aws.recording() as rec:
        # The first answer comes from AWS, the next ones from memory: each is the caller's own to change.
        for _attempt in range(3):
            listed = describe.vpc_subnets(reads, net.vpc)
            public = reads.describe_subnets(SubnetIds=[net.public], aws_retry=True)["Subnets"]
            assert {subnet["SubnetId"]: subnet for subnet in listed} == expected
            assert public == [expected[net.public]]
            listed[0]["Tags"].clear()
            listed.pop()
            public[0]["State"] = "corrupted"

    assert rec.actions == ["DescribeSubnets"]


@pytest.mark.parametrize(
    "extra_filter",
    [scope("tag:Name", "pub*"), scope("map-public-ip-on-launch", "false")],
    ids=["wildcard", "filter-not-evaluated-here"],
)
def test_filters_not_matched_here_go_to_aws(aws, ec2, net, reads, extra_filter):
    describe.vpc_subnets(reads, net.vpc)
    filters = scope("vpc-id", net.vpc) + extra_filter

    with aws.recording() as rec:
        answer = reads.describe_subnets(Filters=filters, aws_retry=True)

    assert rec.actions == ["DescribeSubnets"]
    assert answer["Subnets"] == ec2.describe_subnets(Filters=filters)["Subnets"]


def test_nat_gateways_listed_with_filter_answer_reads_by_id(aws, ec2, net, reads):
    describe.vpc_nat_gateways(reads, net.vpc)  # DescribeNatGateways takes Filter, not Filters

    with aws.recording() as rec:
        by_id = describe.nat_gateways_by_id(reads, [net.nat])
        in_subnet = describe.nat_gateways_where(reads, scope("vpc-id", net.vpc) + scope("subnet-id", net.public))

    assert rec.actions == []
    expected = ec2.describe_nat_gateways(NatGatewayIds=[net.nat])["NatGateways"]
    assert list(by_id.values()) == in_subnet == expected


def test_exact_repeat_of_any_describe_is_answered_once(aws, net, reads):
    with aws.recording() as rec:
        first = reads.describe_vpc_attribute(VpcId=net.vpc, Attribute="enableDnsSupport", aws_retry=True)
        second = reads.describe_vpc_attribute(VpcId=net.vpc, Attribute="enableDnsSupport", aws_retry=True)
        reads.describe_vpc_attribute(VpcId=net.vpc, Attribute="enableDnsHostnames", aws_retry=True)

    assert rec.actions == ["DescribeVpcAttribute", "DescribeVpcAttribute"]
    assert second["EnableDnsSupport"] == first["EnableDnsSupport"] == {"Value": True}
