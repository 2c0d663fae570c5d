"""A network left with more than one VPC by runs that raced (before the network's claim existed, or by an older
release) is brought back to one (docs/reliability.md, section 7; plugins/module_utils/_network/duplicates.py); and
one left with an Elastic IP of its own that serves nothing (such a race, or a run that crashed between
AllocateAddress and CreateNatGateway) has it released (plugins/module_utils/_resources/elastic_ip.py).

The duplicate is what such a race leaves: a second VPC tagged as the network's, with a public subnet, an internet
gateway, a route table and a task security group of the same names, all carrying the network's identity tags. The
free address carries the identity tags of a NAT gateway's address for the network's public subnet.
"""

import pytest
from support.module_runner import run_module
from support.network_shape import one_network_counts, region_counts

NETWORK = "twice"
ZONES = 1


def run(aws, check_mode=False, **params):
    params = {**aws.module_params(), "network_name": NETWORK, "az_count": ZONES, **params}
    return run_module("network", params, check_mode=check_mode)


def ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def tags(component, **qualifiers):
    tags = {"cloudreactor:network": NETWORK, "cloudreactor:component": component}
    tags.update({f"cloudreactor:{key}": value for key, value in qualifiers.items()})
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def spec(resource_type, component, **qualifiers):
    return [{"ResourceType": resource_type, "Tags": tags(component, **qualifiers)}]


def duplicate(ec2):
    """A second network as a racing run left it; returns its VPC and public subnet ids."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=spec("vpc", "vpc"))["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.0.0.0/20",
        AvailabilityZone="us-east-1a",
        TagSpecifications=spec("subnet", "subnet-public", az="us-east-1a"),
    )["Subnet"]["SubnetId"]
    igw_id = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway", "internet-gateway"))[
        "InternetGateway"
    ]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    table_spec = spec("route-table", "route-table", table="public")
    table_id = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=table_spec)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
    ec2.create_security_group(
        GroupName=f"{NETWORK}-tasks",
        Description="a racing run's",
        VpcId=vpc_id,
        TagSpecifications=spec("security-group", "security-group"),
    )
    return vpc_id, subnet_id


def free_address(ec2, subnet_id):
    """An address of the network's for a NAT gateway in ``subnet_id``, associated with nothing."""
    return ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip", "elastic-ip", subnet=subnet_id))


def in_use(ec2, subnet_id):
    return ec2.create_network_interface(SubnetId=subnet_id, Description="a Fargate task")["NetworkInterface"][
        "NetworkInterfaceId"
    ]


@pytest.fixture
def built(aws):
    return ok(run(aws))


def test_with_none_in_use_the_lowest_id_is_kept_and_the_other_removed(aws, ec2, built):
    duplicate_vpc, _subnet = duplicate(ec2)
    kept, removed = sorted([built["network"]["vpc_id"], duplicate_vpc])

    with aws.recording() as rec:
        repaired = ok(run(aws))

    assert repaired["network"]["vpc_id"] == kept
    assert f"duplicate VPC {removed}: deleted VPC {removed}" in repaired["changes"]
    assert region_counts(ec2) == one_network_counts(ZONES)
    assert "DescribeNetworkInterfaces" in rec.actions
    assert ok(run(aws))["changed"] is False


def test_the_vpc_tasks_use_is_kept_even_with_the_higher_id(aws, ec2, built):
    duplicate_vpc, duplicate_subnet = duplicate(ec2)
    removed, kept = sorted([built["network"]["vpc_id"], duplicate_vpc])
    in_use(ec2, duplicate_subnet if kept == duplicate_vpc else built["network"]["private_subnet_ids"][0])

    repaired = ok(run(aws))

    assert repaired["network"]["vpc_id"] == kept
    assert f"duplicate VPC {removed}: deleted VPC {removed}" in repaired["changes"]
    assert [vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"] if not vpc.get("IsDefault")] == [kept]


def test_two_duplicates_in_use_are_named_and_nothing_changes(aws, ec2, built):
    duplicate_vpc, subnet_id = duplicate(ec2)
    theirs = in_use(ec2, subnet_id)
    ours = in_use(ec2, built["network"]["private_subnet_ids"][0])

    with aws.recording() as rec:
        refused = run(aws)

    assert refused.get("failed")
    for named in (built["network"]["vpc_id"], duplicate_vpc, theirs, ours, "Nothing was changed"):
        assert named in refused["msg"]
    assert rec.mutations == [] and rec.claim_calls.count("DeleteKeyPair") == 1  # claimed, changed nothing, released


def test_teardown_of_a_duplicated_network_leaves_nothing(aws, ec2, built):
    duplicate(ec2)
    free_address(ec2, built["network"]["public_subnet_ids"][0])

    removed = ok(run(aws, state="absent"))

    assert removed["changed"]
    counts = region_counts(ec2)
    assert (counts["vpcs"], counts["internet_gateways"], counts["nat_gateways"], counts["elastic_ips"]) == (0, 0, 0, 0)
    assert (
        ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{NETWORK}-tasks"]}])["SecurityGroups"]
        == []
    )


def test_a_free_address_is_reported_then_released_beyond_what_the_nat_gateways_reuse(aws, ec2, built):
    (subnet_id,) = built["network"]["public_subnet_ids"]
    (nat_id,) = built["network"]["nat_gateway_ids"]
    leaked = free_address(ec2, subnet_id)

    # Given in nat_allocation_ids, it is the user's: reported, never released (the NAT gateway keeps its own).
    given = ok(run(aws, nat_allocation_ids=[leaked["AllocationId"]]))
    assert given["changed"] is False
    (finding,) = [finding for finding in given["audit"]["findings"] if finding["code"] == "EIP_LEAKED"]
    assert finding["resource_id"] == leaked["AllocationId"]
    assert f"Run setup_network for network {NETWORK}" in finding["remediation"]

    # The NAT gateway is gone too: its address and the leaked one are free, and a new NAT gateway takes the lowest.
    ec2.delete_nat_gateway(NatGatewayId=nat_id)
    ec2.describe_nat_gateways(NatGatewayIds=[nat_id])  # settles the emulator's immediate deletion
    free = sorted(address["AllocationId"] for address in ec2.describe_addresses()["Addresses"])
    reused, extra = free
    extra_ip = next(a["PublicIp"] for a in ec2.describe_addresses(AllocationIds=[extra])["Addresses"])
    release_line = f"released free Elastic IP {extra_ip} ({extra})"

    with aws.recording() as planned:
        plan = ok(run(aws, check_mode=True))
    assert plan["changes"][-1] == release_line and planned.mutations == []
    assert "created NAT gateway in us-east-1a" in plan["changes"]

    with aws.recording() as repaired:
        repair = ok(run(aws))
    assert repair["changes"][-1] == release_line
    assert repaired.mutations.index("ReleaseAddress") > repaired.mutations.index("CreateNatGateway")
    (address,) = ec2.describe_addresses()["Addresses"]
    assert address["AllocationId"] == reused and address.get("NetworkInterfaceId")
    assert "EIP_LEAKED" not in {finding["code"] for finding in repair["audit"]["findings"]}

    with aws.recording() as rerun:
        assert ok(run(aws))["changed"] is False
    assert rerun.mutations == []
