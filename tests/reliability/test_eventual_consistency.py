"""The network through EC2's eventual consistency: every new id is invisible for L seconds (NotFound when named, left
out of describes) and deletes wait on released addresses (the emulator's propagation delay, proven in
tests/emulator/test_emulator_consistency.py).

A build must trust its own create answers, retry what names its new ids, and never create twice; a teardown must
wait out DependencyViolation while the NAT gateways' addresses are released. After each build the region holds one
of everything and the audit is clean; a rerun changes nothing; a teardown leaves nothing.
"""

import boto3
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.config import Config
from support.aws_proxy import AwsProxy
from support.module_runner import run_module
from support.network_shape import one_network_counts, region_counts, wait_until_listed

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import AWS_RETRY
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.run_model import RunModel
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import security_group, subnets
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import PRESENT, Scope
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.security_group import SecurityGroup

NETWORK = "eventual"
ZONES = 2


def converge(aws, **params):
    result = run_module("network", {**aws.module_params(), "network_name": NETWORK, "az_count": ZONES, **params})
    assert not result.get("failed"), result.get("msg")
    return result


def assert_clean_audit(result):
    assert result["audit"]["summary"]["errors"] == 0, result["audit"]["findings"]
    assert result["audit"]["summary"]["warnings"] == 0, result["audit"]["findings"]


def settled_counts(aws, delay):
    """The region's counts as AWS will list them once everything has propagated (the delay switched off for the
    count, then back on)."""
    aws.set_propagation_delay(0)
    try:
        return region_counts(aws.boto3_client("ec2"))
    finally:
        aws.set_propagation_delay(delay)


@pytest.mark.parametrize("propagation_delay", [1.0, 2.0, 5.0], indirect=True)
def test_build_rerun_and_teardown_through_propagation_delays(aws, propagation_delay):
    built = converge(aws)
    assert built["changed"]
    assert_clean_audit(built)
    assert settled_counts(aws, propagation_delay) == one_network_counts(ZONES)

    wait_until_listed(aws, built["network"]["security_group_id"])
    with aws.recording() as rec:
        rerun = converge(aws)
    assert (rerun["changed"], rec.mutations) == (False, [])
    assert rerun["network"] == built["network"] | {"findings": rerun["network"]["findings"]}
    assert_clean_audit(rerun)

    removed = converge(aws, state="absent")
    assert removed["changed"]
    counts = settled_counts(aws, propagation_delay)
    assert (counts["vpcs"], counts["internet_gateways"], counts["nat_gateways"], counts["elastic_ips"]) == (0, 0, 0, 0)


@pytest.mark.parametrize("propagation_delay", [2.0], indirect=True)
def test_grow_a_zone_and_switch_to_single_through_a_propagation_delay(aws, propagation_delay):
    built = converge(aws)
    wait_until_listed(aws, built["network"]["security_group_id"])

    grown = converge(aws, az_count=3)
    assert grown["changed"]
    assert_clean_audit(grown)
    assert settled_counts(aws, propagation_delay) == one_network_counts(3)

    single = converge(aws, az_count=3, nat_gateways="single")
    assert single["changed"]
    assert_clean_audit(single)
    assert len(set(single["network"]["nat_gateway_ids"])) == 1
    counts = settled_counts(aws, propagation_delay)
    assert (counts["vpcs"], counts["nat_gateways_usable"], counts["elastic_ips"]) == (1, 1, 1)


class SettleAfter:
    """An ``AwsProxy`` ``on_answer`` hook that notes every answer (action, HTTP status) and, once the first answer
    ``settles_on(action, status)`` accepts has been given, settles the emulator's held clock and lets it run: until
    then the run sees exactly what an early start sees, however slow the machine; after it, AWS lists everything
    made so far, and what the run makes next propagates as usual."""

    def __init__(self, aws, settles_on):
        self.aws = aws
        self.settles_on = settles_on
        self.answers = []
        self.settled = False

    def __call__(self, call, status):
        self.answers.append((call.action, status))
        if not self.settled and self.settles_on(call.action, status):
            self.settled = True
            self.aws.settle_propagation()
            self.aws.resume_clock()


def run_model_through(proxy):
    ec2 = boto3.client(
        "ec2",
        endpoint_url=proxy.endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )
    return RunModel(RetryingBotoClientWrapper(ec2, AWS_RETRY))


def _our_tags(component, **qualifiers):
    tags = {"cloudreactor:network": NETWORK, "cloudreactor:component": component}
    tags.update({f"cloudreactor:{key}": value for key, value in qualifiers.items()})
    return [{"Key": key, "Value": value} for key, value in tags.items()]


@pytest.mark.parametrize("propagation_delay", [1.0], indirect=True)
def test_a_group_or_subnet_an_earlier_run_made_that_aws_does_not_list_yet_is_used_not_duplicated(
    aws, ec2, propagation_delay
):
    """A run that starts right after another one cannot list what that run made last. Where AWS refuses a second
    one (a security group's name, a subnet's CIDR), the run looks for the first until AWS lists it and uses it.

    The emulator's clock is held from the earlier run's create until AWS has refused the second one (for the group:
    until the run has listed the VPC's groups after the refusal, which cannot show whose the name is yet): the run's
    reads before then cannot list the first, however slow the machine."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    aws.settle_propagation()
    aws.hold_clock()
    earlier_group = ec2.create_security_group(
        GroupName=f"{NETWORK}-tasks",
        Description="an earlier run's",
        VpcId=vpc_id,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": _our_tags("security-group")}],
    )["GroupId"]
    group_refused = SettleAfter(
        aws,
        lambda action, status: (
            action == "DescribeSecurityGroups" and ("CreateSecurityGroup", 400) in group_refused.answers
        ),
    )
    with AwsProxy(aws.endpoint_url, on_answer=group_refused) as proxy:
        scope = Scope(run_model_through(proxy), NETWORK, warn=print, vpc_id=vpc_id)
        group = security_group.reconcile(scope, SecurityGroup(f"{NETWORK}-tasks", "this run's"), PRESENT)

    aws.hold_clock()
    earlier_subnet = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.0.0.0/20",
        AvailabilityZone="us-east-1a",
        TagSpecifications=[{"ResourceType": "subnet", "Tags": _our_tags("subnet-public", az="us-east-1a")}],
    )["Subnet"]["SubnetId"]
    plan = [
        {
            "zone": "us-east-1a",
            "public_subnet_id": None,
            "public_cidr": "10.0.0.0/20",
            "private_subnet_id": None,
            "private_cidr": None,
        }
    ]
    subnet_refused = SettleAfter(aws, lambda action, status: action == "CreateSubnet" and status == 400)
    with AwsProxy(aws.endpoint_url, on_answer=subnet_refused) as proxy:
        scope = Scope(run_model_through(proxy), NETWORK, warn=print, vpc_id=vpc_id)
        made = subnets.reconcile(scope, PRESENT, plan)

    # The window was hit: each run was refused its create (its reads did not list the earlier one), then used it.
    assert group_refused.settled and subnet_refused.settled
    assert group.data["group_id"] == earlier_group
    assert made.data["public"] == [earlier_subnet]
    aws.set_propagation_delay(0)
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    assert sorted(group["GroupName"] for group in groups) == ["default", f"{NETWORK}-tasks"]
    assert len(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]) == 1


@pytest.mark.parametrize("propagation_delay", [0.0], indirect=True)
def test_a_nat_gateway_an_earlier_run_made_that_aws_does_not_list_yet_is_not_made_twice(aws, ec2, propagation_delay):
    """An earlier run created the zone's NAT gateway a moment ago: AWS does not list it yet, but the address it holds
    shows it. The run waits for it to be listed instead of allocating another address for a second gateway.

    The emulator's clock is held from that create until the run's first DescribeNatGateways has been answered: the
    run starts from a reading that cannot list the gateway, however slow the machine."""
    built = converge(aws, az_count=1, nat_gateways="none")
    (public_subnet,) = built["network"]["public_subnet_ids"]
    subnet_tag = {"Key": "cloudreactor:subnet", "Value": public_subnet}
    allocation = ec2.allocate_address(
        Domain="vpc",
        TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [*_our_tags("elastic-ip"), subnet_tag]}],
    )["AllocationId"]
    aws.set_propagation_delay(2.0)
    aws.hold_clock()
    earlier = ec2.create_nat_gateway(
        SubnetId=public_subnet,
        AllocationId=allocation,
        TagSpecifications=[
            {"ResourceType": "natgateway", "Tags": [*_our_tags("nat-gateway", az="us-east-1a"), subnet_tag]}
        ],
    )["NatGateway"]["NatGatewayId"]
    assert aws.propagating() == 1

    first_read = SettleAfter(aws, lambda action, _status: action == "DescribeNatGateways")
    with AwsProxy(aws.endpoint_url, on_answer=first_read) as proxy:
        result = converge(aws, az_count=1, endpoint_url=proxy.endpoint_url)

    # The window was hit: the run's first reading did not list the gateway, and it read again until AWS listed it.
    assert first_read.settled
    assert [action for action, _status in first_read.answers].count("DescribeNatGateways") >= 2
    assert "CreateNatGateway" not in [action for action, _status in first_read.answers]
    assert result["network"]["nat_gateway_ids"] == [earlier]
    aws.set_propagation_delay(0)
    assert (region_counts(ec2)["nat_gateways"], region_counts(ec2)["elastic_ips"]) == (1, 1)


def test_after_a_delete_the_model_still_reads_what_it_does_not_list(aws, ec2):
    """A run that deleted something still reads, from AWS, what the model does not list (zones), and leaves the
    deleted resource out of what it does list."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    model = RunModel(RetryingBotoClientWrapper(aws.boto3_client("ec2"), AWS_RETRY))
    model.delete_vpc(VpcId=vpc_id, aws_retry=True)
    model.record_deleted("describe_vpcs", vpc_id)

    zones = model.describe_availability_zones(aws_retry=True)["AvailabilityZones"]

    assert [zone["ZoneName"] for zone in zones][:2] == ["us-east-1a", "us-east-1b"]
    assert vpc_id not in [vpc["VpcId"] for vpc in model.describe_vpcs(aws_retry=True)["Vpcs"]]
