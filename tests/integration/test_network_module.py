"""cloudreactor.aws.network against the emulator: the whole network in one module run, read once.

The role runs this module; the role's own behaviours (faults repaired, crash safety, Molecule scenarios) are proven
elsewhere. Here: the result's shape, the call budget of a run with nothing to do, check mode, adoption and refusals.
"""

import pytest
from support.module_runner import run_module

NETWORK = "converge"
# A run with nothing to do reads the network once (converge.prime: 8 listings, VPC endpoints included, plus the
# zones and the VPC's two DNS attributes), then the audit adds network ACLs: 12 calls. (#8's target is 25.)
NOOP_CALL_BUDGET = 12


def run(aws, check_mode=False, diff=False, **params):
    return run_module(
        "network", {**aws.module_params(), "network_name": NETWORK, **params}, check_mode=check_mode, diff=diff
    )


def ours(ec2, describe, key, component):
    filters = [
        {"Name": "tag:cloudreactor:network", "Values": [NETWORK]},
        {"Name": "tag:cloudreactor:component", "Values": [component]},
    ]
    return getattr(ec2, describe)(Filters=filters)[key]


@pytest.fixture
def built(aws):
    result = run(aws)
    assert not result.get("failed"), result.get("msg")
    return result


def test_builds_the_whole_network_and_audits_it_clean(aws, ec2, built):
    network = built["network"]
    assert built["changed"]
    assert network["availability_zones"] == ["us-east-1a", "us-east-1b"]
    assert len(network["public_subnet_ids"]) == len(network["private_subnet_ids"]) == 2
    assert network["task_subnet_ids"] == network["private_subnet_ids"]
    assert network["assign_public_ip"] is False
    assert len(network["nat_gateway_ids"]) == 2
    assert built["audit"]["summary"]["errors"] == 0
    assert built["audit"]["summary"]["warnings"] == 0
    assert network["findings"] == built["audit"]["findings"]

    vpc = ec2.describe_vpcs(VpcIds=[network["vpc_id"]])["Vpcs"][0]
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    for attribute, key in (("enableDnsSupport", "EnableDnsSupport"), ("enableDnsHostnames", "EnableDnsHostnames")):
        assert ec2.describe_vpc_attribute(VpcId=vpc["VpcId"], Attribute=attribute)[key]["Value"] is True
    public = ec2.describe_subnets(SubnetIds=network["public_subnet_ids"])["Subnets"]
    private = ec2.describe_subnets(SubnetIds=network["private_subnet_ids"])["Subnets"]
    assert sorted(subnet["CidrBlock"] for subnet in public) == ["10.0.0.0/20", "10.0.32.0/20"]
    assert sorted(subnet["CidrBlock"] for subnet in private) == ["10.0.16.0/20", "10.0.48.0/20"]
    assert all(subnet["MapPublicIpOnLaunch"] for subnet in public)
    assert not any(subnet["MapPublicIpOnLaunch"] for subnet in private)
    assert len(ours(ec2, "describe_route_tables", "RouteTables", "route-table")) == 3
    groups = ours(ec2, "describe_security_groups", "SecurityGroups", "security-group")
    assert [group["GroupId"] for group in groups] == [network["security_group_id"]]


def test_a_second_run_changes_nothing_within_the_call_budget(aws, built):
    with aws.recording() as rec:
        again = run(aws)
    assert not again.get("failed"), again.get("msg")
    assert (again["changed"], again["changes"]) == (False, [])
    assert again["network"] == built["network"] | {"findings": again["network"]["findings"]}
    assert rec.mutations == []
    assert len(rec.actions) <= NOOP_CALL_BUDGET, sorted(rec.actions)


def test_check_mode_on_nothing_lists_the_plan_and_creates_nothing(aws):
    with aws.recording() as rec:
        result = run(aws, check_mode=True, diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"]
    assert result["changes"][0] == "created VPC"
    assert "created public us-east-1a subnet" in result["changes"]
    assert result["network"]["vpc_id"] is None
    assert result["diff"]["after"]["vpc"]["cidr"] == "10.0.0.0/16"
    assert rec.mutations == []


def test_check_mode_on_a_built_network_changes_nothing(aws, built):
    with aws.recording() as rec:
        result = run(aws, check_mode=True)
    assert (result["changed"], result["network"]["vpc_id"]) == (False, built["network"]["vpc_id"])
    assert rec.mutations == []


def test_check_mode_predicts_a_repair_without_making_it(aws, ec2, built):
    vpc_id = built["network"]["vpc_id"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": False})
    with aws.recording() as rec:
        result = run(aws, check_mode=True)
    assert result["changes"] == ["updated VPC"]
    assert rec.mutations == []
    assert run(aws)["changes"] == ["updated VPC"]
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"]


def test_an_adopted_vpc_is_read_never_changed(aws, ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Name", "Value": "theirs"}])
    result = run(aws, vpc_id=vpc_id, nat_gateways="none", az_count=1, audit_fail_on="never")
    assert not result.get("failed"), result.get("msg")
    vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    assert vpc["Tags"] == [{"Key": "Name", "Value": "theirs"}]
    # Hostnames stay off (AWS's default for a new VPC): reported by the audit, not changed.
    assert "VPC_DNS_HOSTNAMES_DISABLED" in {finding["code"] for finding in result["audit"]["findings"]}
    assert result["network"]["public_subnet_ids"][0].startswith("subnet-")


def test_a_subnet_cidr_cannot_change(aws, built):
    with aws.recording() as rec:
        result = run(
            aws,
            public_subnet_cidrs=["10.0.0.0/20", "10.0.64.0/20"],
            private_subnet_cidrs=["10.0.16.0/20", "10.0.48.0/20"],
            option_prefix="fargate_network_",
        )
    assert result["failed"]
    assert result["msg"].startswith("fargate_network_public_subnet_cidrs: zone us-east-1b already has public subnet")
    assert rec.mutations == []


@pytest.mark.parametrize(
    ("params", "option"),
    [
        ({"nat_allocation_ids": ["eipalloc-0123456789abcdef0"]}, "nat_allocation_ids"),
        ({"security_group_ingress": [{"proto": "tcp", "ports": [80]}]}, "security_group_ingress"),
        ({"vpc_id": "subnet-0123456789abcdef0"}, "vpc_id"),
        ({"wait_timeout": -1}, "wait_timeout"),
    ],
)
def test_bad_input_fails_before_any_call(aws, params, option):
    with aws.recording() as rec:
        result = run(aws, **params)
    assert result["failed"]
    assert result["msg"].startswith(f"{option}: "), result["msg"]
    assert rec.actions == []


# AWS holds a security group's name in its VPC without regard to case (CreateSecurityGroup): a name taken in another
# case is taken too, and refused as early (else CreateSecurityGroup answers InvalidGroup.Duplicate only at the end).
@pytest.mark.parametrize("their_name", [f"{NETWORK}-tasks", f"{NETWORK.capitalize()}-Tasks"], ids=["same", "case"])
def test_a_security_group_name_taken_by_someone_else_fails_before_any_change(aws, ec2, their_name):
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    theirs = ec2.create_security_group(GroupName=their_name, Description="theirs", VpcId=vpc_id)["GroupId"]
    with aws.recording() as rec:
        result = run(aws, vpc_id=vpc_id)
    assert result["failed"]
    assert result["msg"].startswith("security_group_name: "), result["msg"]
    assert theirs in result["msg"]
    assert ("without regard to case" in result["msg"]) is (their_name != f"{NETWORK}-tasks")
    assert rec.mutations == []


def test_check_mode_with_a_detached_internet_gateway_plans_the_reattach(aws, ec2, built):
    network = built["network"]
    ec2.detach_internet_gateway(InternetGatewayId=network["internet_gateway_id"], VpcId=network["vpc_id"])
    with aws.recording() as rec:
        planned = run(aws, check_mode=True)
    assert not planned.get("failed"), planned.get("msg")
    assert planned["changes"][0] == "attached internet gateway"
    assert rec.mutations == []
    repaired = run(aws)
    assert repaired["changes"][0] == "attached internet gateway"
    assert repaired["network"]["internet_gateway_id"] == network["internet_gateway_id"]
    assert repaired["audit"]["summary"]["errors"] == 0


def test_absent_removes_everything_it_built_and_then_has_nothing_to_do(aws, ec2, built):
    with aws.recording() as rec:
        planned = run(aws, check_mode=True, state="absent")
    assert planned["changed"] and rec.mutations == []
    removed = run(aws, state="absent")
    assert not removed.get("failed"), removed.get("msg")
    assert removed["changes"] == planned["changes"]
    assert removed["changes"][-1] == f"deleted VPC {built['network']['vpc_id']}"
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:cloudreactor:network", "Values": [NETWORK]}])["Vpcs"] == []
    assert ec2.describe_addresses()["Addresses"] == []
    with aws.recording() as rec:
        again = run(aws, state="absent")
    assert (again["changed"], again["network"]["vpc_id"], rec.mutations) == (False, None, [])


def test_absent_in_an_adopted_vpc_leaves_the_vpc_and_what_is_not_ours(aws, ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    theirs = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.9.255.0/24")["Subnet"]["SubnetId"]
    built = run(aws, vpc_id=vpc_id, nat_gateways="single", audit_fail_on="never")
    assert not built.get("failed"), built.get("msg")
    removed = run(aws, vpc_id=vpc_id, state="absent")
    assert not removed.get("failed"), removed.get("msg")
    assert not any(change.startswith("deleted VPC") for change in removed["changes"])
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]
    assert [subnet["SubnetId"] for subnet in subnets] == [theirs]
    live = [{"Name": "state", "Values": ["available", "pending"]}]
    assert ec2.describe_nat_gateways(Filter=live)["NatGateways"] == []


def test_a_new_security_group_name_is_reported_not_applied(aws, built):
    renamed = run(aws, security_group_name="renamed")
    assert (renamed["changed"], renamed["network"]["security_group_id"]) == (
        False,
        built["network"]["security_group_id"],
    )
    warnings = [w["event"]["msg"] if isinstance(w, dict) else w for w in renamed.get("warnings", [])]
    assert any("keeps its name 'converge-tasks'" in w and "'renamed' applies only to a new one" in w for w in warnings)
