"""``tags`` and ``purge_tags`` (amazon.aws's meaning) on every resource the network module owns.

Through the network module, so one small network (one zone, one NAT gateway) exercises every reconciler's tag
handling: VPC, subnets, internet gateway, NAT gateway and its Elastic IP, route tables, S3 gateway endpoint, security
group.
"""

import pytest
from support.module_runner import run_module

NETWORK = "tagged"
# What someone adds by hand in the console: a plain tag, and one under the collection's prefix.
HAND_TAGS = {"owner": "ops", "cloudreactor:note": "by hand"}


def run(aws, **params):
    result = run_module("network", {**aws.module_params(), "network_name": NETWORK, **params})
    assert not result.get("failed"), result.get("msg")
    return result


def tags_of(resource):
    return {tag["Key"]: tag["Value"] for tag in resource.get("Tags") or []}


def our_resources(ec2):
    """``{resource id: tags}`` of everything carrying the network's identity tag, one entry per resource kind."""
    mine = [{"Name": "tag:cloudreactor:network", "Values": [NETWORK]}]
    found = {}
    for describe, key, id_key, filter_key in (
        ("describe_vpcs", "Vpcs", "VpcId", "Filters"),
        ("describe_subnets", "Subnets", "SubnetId", "Filters"),
        ("describe_internet_gateways", "InternetGateways", "InternetGatewayId", "Filters"),
        ("describe_nat_gateways", "NatGateways", "NatGatewayId", "Filter"),
        ("describe_addresses", "Addresses", "AllocationId", "Filters"),
        ("describe_route_tables", "RouteTables", "RouteTableId", "Filters"),
        ("describe_security_groups", "SecurityGroups", "GroupId", "Filters"),
        ("describe_vpc_endpoints", "VpcEndpoints", "VpcEndpointId", "Filters"),
    ):
        items = getattr(ec2, describe)(**{filter_key: mine})[key]
        if describe in ("describe_nat_gateways", "describe_vpc_endpoints"):
            items = [item for item in items if item["State"].lower() != "deleted"]
        found.update({item[id_key]: tags_of(item) for item in items})
    return found


def own_tags(tags):
    """The collection's own tags of a resource: identity tags and Name."""
    return {key: value for key, value in tags.items() if key.startswith("cloudreactor:") or key == "Name"}


@pytest.fixture
def tagged(aws, ec2):
    """The network built with two user tags, then a tag added by hand to each resource and to a table not ours."""
    network = run(aws, az_count=1, nat_gateways="single", tags={"team": "data", "env": "prod"})["network"]
    resources = our_resources(ec2)
    assert len(resources) == 10  # VPC, 2 subnets, gateway, NAT, address, 2 route tables, S3 endpoint, security group
    assert all(tags["team"] == "data" and tags["env"] == "prod" for tags in resources.values())
    foreign = ec2.create_route_table(VpcId=network["vpc_id"])["RouteTable"]["RouteTableId"]
    ec2.create_tags(
        Resources=[*resources, foreign], Tags=[{"Key": key, "Value": value} for key, value in HAND_TAGS.items()]
    )
    return {"resources": our_resources(ec2), "foreign": foreign}


def test_purge_false_or_tags_omitted_keep_tags_the_options_do_not_list(aws, ec2, tagged):
    for params in ({"tags": {"team": "data"}, "purge_tags": False}, {"purge_tags": True}):
        with aws.recording() as rec:
            result = run(aws, az_count=1, nat_gateways="single", **params)
        assert (result["changed"], rec.mutations) == (False, []), params
        assert our_resources(ec2) == tagged["resources"], params


def test_purge_true_removes_them_but_never_identity_or_name_tags(aws, ec2, tagged):
    result = run(aws, az_count=1, nat_gateways="single", tags={"team": "data"}, purge_tags=True)
    assert result["changed"]
    after = our_resources(ec2)
    assert set(after) == set(tagged["resources"])
    for resource_id, tags in after.items():
        before = tagged["resources"][resource_id]
        assert tags == {**own_tags(before), "team": "data"}, resource_id
        assert tags["cloudreactor:note"] == "by hand"
    foreign = ec2.describe_route_tables(RouteTableIds=[tagged["foreign"]])["RouteTables"][0]
    assert tags_of(foreign) == HAND_TAGS, "a resource that is not ours is never tagged nor untagged"

    with aws.recording() as rec:
        again = run(aws, az_count=1, nat_gateways="single", tags={"team": "data"}, purge_tags=True)
    assert (again["changed"], rec.mutations) == (False, [])


def test_an_adopted_vpc_is_never_tagged_nor_purged(aws, ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Name", "Value": "theirs"}, {"Key": "env", "Value": "prod"}])
    run(aws, vpc_id=vpc_id, az_count=1, nat_gateways="none", tags={"team": "data"}, audit_fail_on="never")
    vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    assert tags_of(vpc) == {"Name": "theirs", "env": "prod"}
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert [tags_of(subnet)["team"] for subnet in subnets] == ["data"], "the subnets it builds there are its own"
