"""Proofs for the eventual_consistency patch: new ids invisible for a while, releases holding their VPC for a while.

A test whose next calls must land inside the window holds the propagation clock first (``aws.hold_clock()``):
the window then stays open until the test resumes the clock, however slow the machine. Each test then waits for the
delay by polling until the answer changes (bounded by ``POLL_TIMEOUT``); nothing asserts how fast the emulator is.
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

from aws_emulator import CLOCK_PATH, PROPAGATION_DELAY_PATH
from aws_emulator.client import Emulator, EmulatorError

TESTS_DIR = Path(__file__).resolve().parent.parent
POLL_TIMEOUT = 30.0
POLL_INTERVAL = 0.05
# The calls inside a window run with the propagation clock held; these are how long the window lasts once it runs.
NEW_ID_DELAY = 1.0
RELEASE_DELAY = 1.0
DEFAULT_ROUTE = "0.0.0.0/0"
HTTPS_OUT = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.9.0.0/16"}]}


def error_code(call):
    with pytest.raises(ClientError) as excinfo:
        call()
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return excinfo.value.response["Error"]["Code"]


def error_of(call):
    with pytest.raises(ClientError) as excinfo:
        call()
    return excinfo.value.response["Error"]


def eventually(call, retry_on):
    """Call until it stops answering the ``retry_on`` error code (any other error, or any error when ``retry_on`` is
    None, fails the test)."""
    deadline = time.monotonic() + POLL_TIMEOUT
    while True:
        try:
            return call()
        except ClientError as exc:
            if exc.response["Error"]["Code"] != retry_on or time.monotonic() > deadline:
                raise
        time.sleep(POLL_INTERVAL)


def poll_until(predicate):
    deadline = time.monotonic() + POLL_TIMEOUT
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(POLL_INTERVAL)


def build_network(ec2):
    """VPC with an attached IGW, a public subnet routed to it, a private subnet and its table; an unused EIP, and a
    spare VPC and IGW (not attached)."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=public_rtb, SubnetId=public)
    ec2.create_route(RouteTableId=public_rtb, DestinationCidrBlock=DEFAULT_ROUTE, GatewayId=igw)
    private_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=private_rtb, SubnetId=private)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    spare_vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    spare_igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    return SimpleNamespace(
        vpc=vpc,
        public=public,
        private=private,
        igw=igw,
        public_rtb=public_rtb,
        private_rtb=private_rtb,
        allocation=allocation,
        spare_vpc=spare_vpc,
        spare_igw=spare_igw,
    )


def nat_state(ec2, nat_id):
    return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"]


# -- new ids answer NotFound when named --------------------------------------------------------------------------


def _create_vpc(ec2, net):
    return ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]


def _create_subnet(ec2, net):
    return ec2.create_subnet(VpcId=net.vpc, CidrBlock="10.0.3.0/24")["Subnet"]["SubnetId"]


def _create_igw(ec2, net):
    return ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]


def _create_nat(ec2, net):
    return ec2.create_nat_gateway(SubnetId=net.public, AllocationId=net.allocation)["NatGateway"]["NatGatewayId"]


def _create_route_table(ec2, net):
    return ec2.create_route_table(VpcId=net.vpc)["RouteTable"]["RouteTableId"]


def _allocate_address(ec2, net):
    return ec2.allocate_address(Domain="vpc")["AllocationId"]


def _create_security_group(ec2, net):
    return ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=net.vpc)["GroupId"]


def _create_vpc_endpoint(ec2, net):
    return ec2.create_vpc_endpoint(
        VpcId=net.vpc, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[net.private_rtb]
    )["VpcEndpoint"]["VpcEndpointId"]


def _tag(ec2, resource_id):
    ec2.create_tags(Resources=[resource_id], Tags=[{"Key": "Name", "Value": "new"}])


# create, then the calls naming the new id with the code each answers while the id propagates. The last call of
# each case is then retried until it succeeds: the id becomes usable.
NOT_FOUND_CASES = {
    "vpc": (
        _create_vpc,
        [
            (lambda ec2, net, new: ec2.describe_vpcs(VpcIds=[new]), "InvalidVpcID.NotFound"),
            (lambda ec2, net, new: _tag(ec2, new), "InvalidVpcID.NotFound"),
            (
                lambda ec2, net, new: ec2.modify_vpc_attribute(VpcId=new, EnableDnsHostnames={"Value": True}),
                "InvalidVpcID.NotFound",
            ),
            (
                lambda ec2, net, new: ec2.attach_internet_gateway(InternetGatewayId=net.spare_igw, VpcId=new),
                "InvalidVpcID.NotFound",
            ),
            (lambda ec2, net, new: ec2.create_subnet(VpcId=new, CidrBlock="10.1.0.0/24"), "InvalidVpcID.NotFound"),
        ],
    ),
    "subnet": (
        _create_subnet,
        [
            (lambda ec2, net, new: ec2.describe_subnets(SubnetIds=[new]), "InvalidSubnetID.NotFound"),
            (lambda ec2, net, new: _tag(ec2, new), "InvalidSubnetID.NotFound"),
            (
                lambda ec2, net, new: ec2.associate_route_table(RouteTableId=net.private_rtb, SubnetId=new),
                "InvalidSubnetID.NotFound",
            ),
            (
                lambda ec2, net, new: ec2.create_nat_gateway(SubnetId=new, AllocationId=net.allocation),
                "InvalidSubnetID.NotFound",
            ),
            (
                lambda ec2, net, new: ec2.modify_subnet_attribute(SubnetId=new, MapPublicIpOnLaunch={"Value": True}),
                "InvalidSubnetID.NotFound",
            ),
        ],
    ),
    "internet gateway": (
        _create_igw,
        [
            (
                lambda ec2, net, new: ec2.describe_internet_gateways(InternetGatewayIds=[new]),
                "InvalidInternetGatewayID.NotFound",
            ),
            (lambda ec2, net, new: _tag(ec2, new), "InvalidInternetGatewayID.NotFound"),
            (
                lambda ec2, net, new: ec2.attach_internet_gateway(InternetGatewayId=new, VpcId=net.spare_vpc),
                "InvalidInternetGatewayID.NotFound",
            ),
        ],
    ),
    "NAT gateway": (
        _create_nat,
        [
            (lambda ec2, net, new: ec2.describe_nat_gateways(NatGatewayIds=[new]), "NatGatewayNotFound"),
            (lambda ec2, net, new: _tag(ec2, new), "InvalidNatGatewayID.NotFound"),
            (
                lambda ec2, net, new: ec2.create_route(
                    RouteTableId=net.private_rtb, DestinationCidrBlock=DEFAULT_ROUTE, NatGatewayId=new
                ),
                "InvalidNatGatewayID.NotFound",
            ),
            (lambda ec2, net, new: ec2.delete_nat_gateway(NatGatewayId=new), "NatGatewayNotFound"),
        ],
    ),
    "route table": (
        _create_route_table,
        [
            (lambda ec2, net, new: ec2.describe_route_tables(RouteTableIds=[new]), "InvalidRouteTableID.NotFound"),
            (lambda ec2, net, new: _tag(ec2, new), "InvalidRouteTableID.NotFound"),
            (
                lambda ec2, net, new: ec2.associate_route_table(RouteTableId=new, SubnetId=net.private),
                "InvalidRouteTableID.NotFound",
            ),
            (
                lambda ec2, net, new: ec2.create_route(
                    RouteTableId=new, DestinationCidrBlock=DEFAULT_ROUTE, GatewayId=net.igw
                ),
                "InvalidRouteTableID.NotFound",
            ),
        ],
    ),
    "Elastic IP": (
        _allocate_address,
        [
            (lambda ec2, net, new: ec2.describe_addresses(AllocationIds=[new]), "InvalidAllocationID.NotFound"),
            (lambda ec2, net, new: _tag(ec2, new), "InvalidAllocationID.NotFound"),
            (
                lambda ec2, net, new: ec2.create_nat_gateway(SubnetId=net.public, AllocationId=new),
                "InvalidAllocationID.NotFound",
            ),
        ],
    ),
    "security group": (
        _create_security_group,
        [
            (lambda ec2, net, new: ec2.describe_security_groups(GroupIds=[new]), "InvalidGroup.NotFound"),
            (lambda ec2, net, new: _tag(ec2, new), "InvalidGroup.NotFound"),
            (
                lambda ec2, net, new: ec2.authorize_security_group_egress(
                    GroupId=new,
                    IpPermissions=[HTTPS_OUT],
                ),
                "InvalidGroup.NotFound",
            ),
        ],
    ),
    "VPC endpoint": (
        _create_vpc_endpoint,
        [
            (
                lambda ec2, net, new: ec2.describe_vpc_endpoints(VpcEndpointIds=[new]),
                "InvalidVpcEndpointId.NotFound",
            ),
        ],
    ),
}


@pytest.mark.parametrize("kind", NOT_FOUND_CASES)
def test_new_id_answers_not_found_when_named(aws, ec2, kind):
    create, calls = NOT_FOUND_CASES[kind]
    net = build_network(ec2)
    aws.set_propagation_delay(NEW_ID_DELAY)
    aws.hold_clock()

    new = create(ec2, net)

    for call, code in calls:
        assert error_code(lambda call=call: call(ec2, net, new)) == code
    aws.resume_clock()
    last_call, last_code = calls[-1]
    eventually(lambda: last_call(ec2, net, new), retry_on=last_code)


@pytest.mark.parametrize("propagation_delay", [NEW_ID_DELAY], indirect=True)
def test_new_id_answers_like_an_unknown_id(propagation_delay, aws, ec2):
    aws.hold_clock()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    new = error_of(lambda: ec2.describe_vpcs(VpcIds=[vpc]))
    unknown = error_of(lambda: ec2.describe_vpcs(VpcIds=["vpc-0123456789abcdef0"]))
    assert new["Code"] == unknown["Code"] == "InvalidVpcID.NotFound"
    assert vpc in new["Message"]
    aws.resume_clock()
    eventually(lambda: ec2.describe_vpcs(VpcIds=[vpc]), retry_on="InvalidVpcID.NotFound")


def test_create_answer_is_untouched(propagation_delay, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=[_tag_spec("vpc")])["Vpc"]
    assert vpc["VpcId"].startswith("vpc-")
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    assert vpc["Tags"] == [{"Key": "Name", "Value": "new"}]


def _tag_spec(resource_type):
    return {"ResourceType": resource_type, "Tags": [{"Key": "Name", "Value": "new"}]}


# -- new resources are left out of describes ---------------------------------------------------------------------


def _ids(answer, key, id_key):
    return {item[id_key] for item in answer[key]}


# create (tagged Name=new), then list the ids a describe answers with the given filters.
DESCRIBE_CASES = {
    "vpc": (
        lambda ec2, net: ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=[_tag_spec("vpc")])["Vpc"]["VpcId"],
        lambda ec2, filters: _ids(ec2.describe_vpcs(**filters), "Vpcs", "VpcId"),
    ),
    "subnet": (
        lambda ec2, net: ec2.create_subnet(
            VpcId=net.vpc, CidrBlock="10.0.3.0/24", TagSpecifications=[_tag_spec("subnet")]
        )["Subnet"]["SubnetId"],
        lambda ec2, filters: _ids(ec2.describe_subnets(**filters), "Subnets", "SubnetId"),
    ),
    "internet gateway": (
        lambda ec2, net: ec2.create_internet_gateway(TagSpecifications=[_tag_spec("internet-gateway")])[
            "InternetGateway"
        ]["InternetGatewayId"],
        lambda ec2, filters: _ids(ec2.describe_internet_gateways(**filters), "InternetGateways", "InternetGatewayId"),
    ),
    "NAT gateway": (
        lambda ec2, net: ec2.create_nat_gateway(
            SubnetId=net.public, AllocationId=net.allocation, TagSpecifications=[_tag_spec("natgateway")]
        )["NatGateway"]["NatGatewayId"],
        lambda ec2, filters: _ids(ec2.describe_nat_gateways(**filters), "NatGateways", "NatGatewayId"),
    ),
    "route table": (
        lambda ec2, net: ec2.create_route_table(VpcId=net.vpc, TagSpecifications=[_tag_spec("route-table")])[
            "RouteTable"
        ]["RouteTableId"],
        lambda ec2, filters: _ids(ec2.describe_route_tables(**filters), "RouteTables", "RouteTableId"),
    ),
    "Elastic IP": (
        lambda ec2, net: ec2.allocate_address(Domain="vpc", TagSpecifications=[_tag_spec("elastic-ip")])[
            "AllocationId"
        ],
        lambda ec2, filters: _ids(ec2.describe_addresses(**filters), "Addresses", "AllocationId"),
    ),
    "security group": (
        lambda ec2, net: ec2.create_security_group(
            GroupName="tasks", Description="tasks", VpcId=net.vpc, TagSpecifications=[_tag_spec("security-group")]
        )["GroupId"],
        lambda ec2, filters: _ids(ec2.describe_security_groups(**filters), "SecurityGroups", "GroupId"),
    ),
    "VPC endpoint": (
        lambda ec2, net: ec2.create_vpc_endpoint(
            VpcId=net.vpc,
            ServiceName="com.amazonaws.us-east-1.s3",
            RouteTableIds=[net.private_rtb],
            TagSpecifications=[_tag_spec("vpc-endpoint")],
        )["VpcEndpoint"]["VpcEndpointId"],
        lambda ec2, filters: _ids(ec2.describe_vpc_endpoints(**filters), "VpcEndpoints", "VpcEndpointId"),
    ),
    "tags": (
        lambda ec2, net: ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=[_tag_spec("vpc")])["Vpc"]["VpcId"],
        lambda ec2, filters: _ids(ec2.describe_tags(**filters), "Tags", "ResourceId"),
    ),
}


@pytest.mark.parametrize("kind", DESCRIBE_CASES)
def test_describes_leave_new_resources_out(aws, ec2, kind):
    create, listed = DESCRIBE_CASES[kind]
    net = build_network(ec2)
    tag_filter = {"Name": "key", "Values": ["Name"]} if kind == "tags" else {"Name": "tag:Name", "Values": ["new"]}
    tagged = {"Filters": [tag_filter]}
    aws.set_propagation_delay(NEW_ID_DELAY)
    aws.hold_clock()

    new = create(ec2, net)

    assert new not in listed(ec2, {})
    assert new not in listed(ec2, tagged)
    aws.resume_clock()
    poll_until(lambda: new in listed(ec2, {}))
    assert new in listed(ec2, tagged)


def test_new_vpc_hides_its_default_group_and_main_table(propagation_delay, aws, ec2):
    aws.hold_clock()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    in_vpc = [{"Name": "vpc-id", "Values": [vpc]}]

    def main_tables():
        return [t for t in ec2.describe_route_tables()["RouteTables"] if t["VpcId"] == vpc]

    assert main_tables() == []
    assert ec2.describe_route_tables(Filters=in_vpc)["RouteTables"] == []
    assert ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"] == []
    aws.resume_clock()
    poll_until(lambda: len(main_tables()) == 1)
    assert len(ec2.describe_security_groups(Filters=in_vpc)["SecurityGroups"]) == 1


# -- releases hold their subnet and VPC --------------------------------------------------------------------------


@pytest.fixture
def nat_network(aws, ec2):
    """A network with an available NAT gateway in its public subnet (built at delay 0)."""
    net = build_network(ec2)
    net.nat = _create_nat(ec2, net)
    ec2.create_route(RouteTableId=net.private_rtb, DestinationCidrBlock=DEFAULT_ROUTE, NatGatewayId=net.nat)
    return net


def assert_held(ec2, net):
    assert error_of(lambda: ec2.delete_subnet(SubnetId=net.public)) == {
        "Code": "DependencyViolation",
        "Message": f"The subnet '{net.public}' has dependencies and cannot be deleted.",
    }
    assert error_of(lambda: ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)) == {
        "Code": "DependencyViolation",
        "Message": f"Network {net.vpc} has some mapped public address(es). "
        "Please unmap those public address(es) before detaching the gateway.",
    }
    assert error_of(lambda: ec2.delete_vpc(VpcId=net.vpc)) == {
        "Code": "DependencyViolation",
        "Message": f"The vpc '{net.vpc}' has dependencies and cannot be deleted.",
    }


def tear_down(ec2, net, retry_on="DependencyViolation"):
    """Remove the network in dependency order, retrying ``retry_on`` where a release may still hold it."""
    for table in (net.public_rtb, net.private_rtb):
        for association in ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Associations"]:
            ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])
        ec2.delete_route_table(RouteTableId=table)
    for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [net.vpc]}])["Subnets"]:
        eventually(lambda subnet=subnet: ec2.delete_subnet(SubnetId=subnet["SubnetId"]), retry_on=retry_on)
    eventually(lambda: ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc), retry_on=retry_on)
    ec2.delete_internet_gateway(InternetGatewayId=net.igw)
    ec2.delete_vpc(VpcId=net.vpc)


def test_deleted_nat_gateway_holds_subnet_gateway_and_vpc(aws, ec2, nat_network):
    aws.set_propagation_delay(RELEASE_DELAY)
    aws.hold_clock()
    aws.set_nat_transition("manual", times=2)

    ec2.delete_nat_gateway(NatGatewayId=nat_network.nat)

    assert nat_state(ec2, nat_network.nat) == "deleting"
    assert_held(ec2, nat_network)  # while deleting: held whatever the delay
    poll_until(lambda: nat_state(ec2, nat_network.nat) == "deleted")
    assert_held(ec2, nat_network)  # after deleted: held for the delay
    ec2.delete_subnet(SubnetId=nat_network.private)  # a subnet without the NAT is free
    aws.resume_clock()
    tear_down(ec2, nat_network)


@pytest.mark.parametrize("release", ["DisassociateAddress", "ReleaseAddress"])
def test_released_address_holds_the_vpc(aws, ec2, release):
    net = build_network(ec2)
    if release == "DisassociateAddress":
        eni = ec2.create_network_interface(SubnetId=net.public)["NetworkInterface"]["NetworkInterfaceId"]
        association = ec2.associate_address(AllocationId=net.allocation, NetworkInterfaceId=eni)["AssociationId"]
        aws.set_propagation_delay(RELEASE_DELAY)
        aws.hold_clock()
        ec2.disassociate_address(AssociationId=association)
        ec2.delete_network_interface(NetworkInterfaceId=eni)
    else:
        net.nat = _create_nat(ec2, net)
        ec2.delete_nat_gateway(NatGatewayId=net.nat)
        assert nat_state(ec2, net.nat) == "deleted"
        aws.set_propagation_delay(RELEASE_DELAY)
        aws.hold_clock()
        ec2.release_address(AllocationId=net.allocation)

    assert error_code(lambda: ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)) == (
        "DependencyViolation"
    )
    assert error_code(lambda: ec2.delete_vpc(VpcId=net.vpc)) == "DependencyViolation"
    ec2.delete_subnet(SubnetId=net.public)  # addresses hold the VPC, not its subnets
    aws.resume_clock()
    eventually(
        lambda: ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc), retry_on="DependencyViolation"
    )


# -- control -----------------------------------------------------------------------------------------------------


def test_zero_delay_is_strongly_consistent(aws, ec2):
    aws.set_propagation_delay(1.0)
    aws.set_propagation_delay(0)  # back to 0: nothing created meanwhile is hidden
    net = build_network(ec2)
    nat = _create_nat(ec2, net)
    ec2.create_route(RouteTableId=net.private_rtb, DestinationCidrBlock=DEFAULT_ROUTE, NatGatewayId=nat)
    assert [n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"]] == [nat]
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert nat_state(ec2, nat) == "deleted"
    ec2.release_address(AllocationId=net.allocation)
    tear_down(ec2, net, retry_on=None)  # no error at all: nothing is held


def _control(aws, payload=None):
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(f"{aws.endpoint_url}{PROPAGATION_DELAY_PATH}", data=data)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_control_endpoint_and_reset(aws):
    assert _control(aws) == {"seconds": 0.0, "propagating": 0}
    aws.set_propagation_delay(1.5)
    assert _control(aws) == {"seconds": 1.5, "propagating": 0}
    aws.reset()
    assert _control(aws) == {"seconds": 0.0, "propagating": 0}
    for bad in ({"seconds": -1}, {"seconds": "soon"}, {}):
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            _control(aws, bad)
        assert excinfo.value.code == 400
    with pytest.raises(ValueError, match="seconds >= 0"):
        aws.set_propagation_delay(-1)


def test_propagation_delay_fixture(propagation_delay, aws):
    assert propagation_delay == 1.0
    assert _control(aws) == {"seconds": 1.0, "propagating": 0}


@pytest.mark.parametrize("propagation_delay", [NEW_ID_DELAY], indirect=True)
def test_propagating_counts_the_ids_still_hidden(propagation_delay, aws, ec2):
    aws.hold_clock()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.create_internet_gateway()
    assert aws.propagating() == 2
    aws.resume_clock()
    poll_until(lambda: aws.propagating() == 0)
    # Nothing is hidden any more: the count is the emulator's answers, not a clock of its own.
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]
    assert len(ec2.describe_internet_gateways()["InternetGateways"]) == 1
    aws.set_propagation_delay(0)
    ec2.create_vpc(CidrBlock="10.1.0.0/16")
    assert aws.propagating() == 0  # strongly consistent: nothing to wait for


def _clock(aws, payload=None):
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(f"{aws.endpoint_url}{CLOCK_PATH}", data=data)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.mark.parametrize("propagation_delay", [NEW_ID_DELAY], indirect=True)
def test_held_clock_keeps_the_window_open_until_the_test_moves_it(propagation_delay, aws, ec2):
    aws.hold_clock()
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    aws.advance_clock(NEW_ID_DELAY / 2)
    # However long the machine takes from here, the held clock has moved half the window: the VPC stays hidden.
    assert error_code(lambda: ec2.describe_vpcs(VpcIds=[vpc])) == "InvalidVpcID.NotFound"
    aws.advance_clock(NEW_ID_DELAY)
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]

    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]  # held: hidden for good
    assert _clock(aws) == {"held": True, "propagating": 1}
    aws.settle_propagation()
    assert _clock(aws) == {"held": True, "propagating": 0}
    assert ec2.describe_internet_gateways(InternetGatewayIds=[igw])["InternetGateways"]

    aws.resume_clock()
    assert _clock(aws) == {"held": False, "propagating": 0}
    aws.hold_clock()
    aws.set_propagation_delay(NEW_ID_DELAY)  # a new delay starts with the clock running, as does a reset
    assert _clock(aws)["held"] is False


def test_settle_frees_released_addresses_but_not_a_nat_gateway_still_deleting(aws, ec2, nat_network):
    aws.set_propagation_delay(RELEASE_DELAY)
    aws.hold_clock()
    aws.set_nat_transition("manual", times=2)
    ec2.delete_nat_gateway(NatGatewayId=nat_network.nat)
    assert nat_state(ec2, nat_network.nat) == "deleting"

    aws.settle_propagation()
    assert_held(ec2, nat_network)  # still deleting: AWS has not started releasing its interface
    poll_until(lambda: nat_state(ec2, nat_network.nat) == "deleted")
    assert_held(ec2, nat_network)
    aws.settle_propagation()
    ec2.delete_subnet(SubnetId=nat_network.public)
    tear_down(ec2, nat_network, retry_on=None)  # nothing is held any more, and the clock has not moved on its own


def test_clock_control_refuses_what_it_does_not_know(aws):
    for bad in ({"action": "stop"}, {"action": "advance", "seconds": -1}, {"action": "advance", "seconds": "x"}, {}):
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            _clock(aws, bad)
        assert excinfo.value.code == 400
    assert _clock(aws) == {"held": False, "propagating": 0}


def test_launcher_delay_is_what_reset_restores():
    with Emulator.start(propagation_delay=NEW_ID_DELAY) as emu:
        ec2 = emu.boto3_client()
        emu.set_propagation_delay(0)
        emu.reset()
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        assert error_code(lambda: ec2.describe_vpcs(VpcIds=[vpc])) == "InvalidVpcID.NotFound"
        eventually(lambda: ec2.describe_vpcs(VpcIds=[vpc]), retry_on="InvalidVpcID.NotFound")


def test_launcher_rejects_a_bad_delay():
    env = dict(os.environ, PYTHONPATH=str(TESTS_DIR))
    done = subprocess.run(
        [sys.executable, "-m", "aws_emulator", "--propagation-delay", "-1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "not a number of seconds >= 0" in done.stderr


def test_skipping_the_patch_leaves_moto_consistent(monkeypatch):
    monkeypatch.setenv("AWS_EMULATOR_SKIP_PATCHES", "eventual_consistency")
    with pytest.raises(EmulatorError, match="exited with code 2 before listening") as excinfo:
        Emulator.start(propagation_delay=1.0)
    assert "--propagation-delay needs the eventual_consistency patch" in str(excinfo.value)

    with Emulator.start() as emu:
        emu.reset()
        ec2 = emu.boto3_client()
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]
        with pytest.raises(EmulatorError, match="404"):
            emu.set_propagation_delay(1.0)
