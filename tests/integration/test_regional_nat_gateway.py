"""cloudreactor.aws.nat_gateway with availability_mode regional against the emulator: the one regional NAT gateway
of a VPC, in automatic and manual mode, its ClientToken, refusals before any change, and removal."""

import pytest
from support.module_runner import run_module

from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import regional_nat_gateway as regional

NETWORK = "prod"


def vpc_with_igw(ec2, attach=True):
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    if attach:
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    return vpc_id


def nat(aws, check_mode=False, diff=False, **params):
    return run_module(
        "nat_gateway",
        {**aws.module_params(), "network_name": NETWORK, "availability_mode": "regional", **params},
        check_mode=check_mode,
        diff=diff,
    )


def warnings_of(result):
    return [warning["event"]["msg"] if isinstance(warning, dict) else warning for warning in result.get("warnings", [])]


def live(ec2, vpc_id):
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "state", "Values": ["pending", "available"]}]
    return ec2.describe_nat_gateways(Filter=filters)["NatGateways"]


def test_automatic_mode_creates_one_tagged_gateway_then_changes_nothing_and_absent_removes_it(aws, ec2):
    vpc_id = vpc_with_igw(ec2)
    with aws.recording() as rec:
        created = nat(aws, vpc_id=vpc_id, tags={"team": "data"})
    assert not created.get("failed"), created
    (entry,) = created["nat_gateways"]
    assert (entry["action"], entry["state"], entry["allocation_source"]) == ("created", "available", "automatic")
    assert (entry["subnet_id"], entry["availability_mode"]) == (None, "regional")
    assert entry["route_table_id"].startswith("rtb-")
    assert rec.count("CreateNatGateway") == 1 and rec.count("AllocateAddress") == 0
    (described,) = live(ec2, vpc_id)
    tags = {tag["Key"]: tag["Value"] for tag in described["Tags"]}
    assert tags == regional.nat_tags(NETWORK, {"team": "data"})

    with aws.recording() as rec:
        again = nat(aws, vpc_id=vpc_id, tags={"team": "data"})
    assert (again["changed"], again["nat_gateways"][0]["action"], rec.mutations) == (False, "none", [])

    removed = nat(aws, vpc_id=vpc_id, state="absent")
    assert removed["changed"] and removed["nat_gateways"][0]["action"] == "deleted"
    assert removed["released_allocation_ids"] == []
    assert live(ec2, vpc_id) == []
    assert nat(aws, vpc_id=vpc_id, state="absent")["changed"] is False


def test_manual_mode_gives_each_zone_its_addresses(aws, ec2):
    vpc_id = vpc_with_igw(ec2)
    mine = [ec2.allocate_address(Domain="vpc")["AllocationId"] for _ in range(2)]
    result = nat(aws, vpc_id=vpc_id, availability_zones=["us-east-1a", "us-east-1b"], allocation_ids=mine)
    assert not result.get("failed"), result
    (entry,) = result["nat_gateways"]
    assert entry["allocation_source"] == "given"
    assert [(a["availability_zone"], a["allocation_id"]) for a in entry["addresses"]] == [
        ("us-east-1a", mine[0]),
        ("us-east-1b", mine[1]),
    ]
    nat(aws, vpc_id=vpc_id, state="absent")
    assert len(ec2.describe_addresses(AllocationIds=mine)["Addresses"]) == 2  # the user's: never released


def test_a_kept_gateway_with_other_addresses_is_reported_not_changed(aws, ec2):
    vpc_id = vpc_with_igw(ec2)
    nat(aws, vpc_id=vpc_id)
    mine = ec2.allocate_address(Domain="vpc")["AllocationId"]
    with aws.recording() as rec:
        result = nat(aws, vpc_id=vpc_id, availability_zones=["us-east-1a"], allocation_ids=[mine])
    assert rec.mutations == []
    assert any("the given addresses are not used" in warning for warning in warnings_of(result))


def test_check_mode_reports_the_plan_and_changes_nothing(aws, ec2):
    vpc_id = vpc_with_igw(ec2)
    with aws.recording() as rec:
        planned = nat(aws, check_mode=True, diff=True, vpc_id=vpc_id)
    assert planned["changed"] and rec.mutations == []
    assert planned["nat_gateways"][0]["action"] == "created"
    assert planned["diff"] == {
        "before": None,
        "after": {"nat_gateway_id": None, "state": None, "availability_mode": "regional", "allocation_ids": []},
    }


def test_a_rerun_before_aws_lists_the_gateway_gets_the_same_one_back(aws, ec2):
    vpc_id = vpc_with_igw(ec2)
    aws.set_propagation_delay(2.0)  # from now on: new ids are not listed for 2 s
    first = nat(aws, vpc_id=vpc_id, wait=False)
    second = nat(aws, vpc_id=vpc_id, wait=False)
    assert second["nat_gateways"][0]["nat_gateway_id"] == first["nat_gateways"][0]["nat_gateway_id"]
    aws.set_propagation_delay(aws.default_propagation_delay)
    assert len(live(ec2, vpc_id)) == 1


def test_client_token_depends_on_every_input():
    base = ("net", "vpc-1", [("us-east-1a", ["eipalloc-1"])], "")
    variants = [
        ("other", *base[1:]),
        ("net", "vpc-2", *base[2:]),
        ("net", "vpc-1", [], ""),
        ("net", "vpc-1", [("us-east-1b", ["eipalloc-1"])], ""),
        ("net", "vpc-1", [("us-east-1a", ["eipalloc-2"])], ""),
        (*base[:3], "nat-1"),
    ]
    tokens = {regional.client_token(*args) for args in [base, *variants]}
    assert len(tokens) == len(variants) + 1
    assert all(len(token) == 64 for token in tokens)
    assert regional.client_token(*base) == regional.client_token(*base)


def test_zone_addresses_split_evenly_in_zone_order():
    assert regional.zone_addresses(["a", "b"], []) == []
    assert regional.zone_addresses(["a", "b"], ["1", "2", "3", "4"]) == [("a", ["1", "2"]), ("b", ["3", "4"])]


@pytest.mark.parametrize(
    ("params", "option"),
    [
        ({"subnet_ids": ["subnet-0123456789abcdef0"], "vpc_id": "vpc-0123456789abcdef0"}, "subnet_ids"),
        ({}, "vpc_id"),
        (
            {
                "vpc_id": "vpc-0123456789abcdef0",
                "availability_zones": ["us-east-1a", "us-east-1b"],
                "allocation_ids": ["eipalloc-0123456789abcdef0"],
            },
            "allocation_ids",
        ),
        ({"vpc_id": "vpc-0123456789abcdef0", "allocation_ids": ["eipalloc-0123456789abcdef0"]}, "allocation_ids"),
        ({"availability_mode": "zonal", "vpc_id": "vpc-0123456789abcdef0"}, "vpc_id"),
    ],
)
def test_bad_input_is_refused_before_any_call(aws, params, option):
    with aws.recording() as rec:
        result = nat(aws, **params)
    assert result["failed"] is True
    assert result["msg"].startswith(f"{option}: "), result["msg"]
    assert rec.actions == []


@pytest.mark.parametrize("problem", ["address in use", "no internet gateway"])
def test_what_aws_would_fail_is_refused_before_any_change(aws, ec2, problem):
    vpc_id = vpc_with_igw(ec2, attach=problem != "no internet gateway")
    mine = ec2.allocate_address(Domain="vpc")["AllocationId"]
    if problem == "address in use":
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.0.0/24", AvailabilityZone="us-east-1a")["Subnet"]
        eni = ec2.create_network_interface(SubnetId=subnet["SubnetId"])["NetworkInterface"]["NetworkInterfaceId"]
        ec2.associate_address(AllocationId=mine, NetworkInterfaceId=eni)
    with aws.recording() as rec:
        result = nat(aws, vpc_id=vpc_id, availability_zones=["us-east-1a"], allocation_ids=[mine])
    assert result["failed"] is True
    assert result["msg"].startswith("allocation_ids: " if problem == "address in use" else "vpc_id: "), result["msg"]
    assert rec.mutations == []
