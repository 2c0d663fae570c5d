"""Proofs for the route and Elastic IP patches: blackhole routes, the ``route.state`` filter, EIP release rules."""

from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

DEFAULT_ROUTE = "0.0.0.0/0"


def build_network(ec2, *, attach_igw=True):
    """VPC, IGW (attached unless told otherwise), public subnet routed to the IGW, private subnet with own table."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    if attach_igw:
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=public_rtb, SubnetId=public)
    ec2.create_route(RouteTableId=public_rtb, DestinationCidrBlock=DEFAULT_ROUTE, GatewayId=igw)
    private_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=private_rtb, SubnetId=private)
    return SimpleNamespace(
        vpc=vpc, public=public, private=private, igw=igw, public_rtb=public_rtb, private_rtb=private_rtb
    )


def create_nat(ec2, subnet):
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat_id = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    return nat_id, allocation


def nat_state(ec2, nat_id):
    return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"]


def default_route_state(ec2, route_table_id):
    routes = ec2.describe_route_tables(RouteTableIds=[route_table_id])["RouteTables"][0]["Routes"]
    (route,) = [route for route in routes if route.get("DestinationCidrBlock") == DEFAULT_ROUTE]
    return route["State"]


def address(ec2, allocation):
    return ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]


@pytest.fixture
def nat_network(ec2):
    """Public network with an available NAT and the private table's default route pointing at it."""
    net = build_network(ec2)
    net.nat, net.allocation = create_nat(ec2, net.public)
    ec2.create_route(RouteTableId=net.private_rtb, DestinationCidrBlock=DEFAULT_ROUTE, NatGatewayId=net.nat)
    return net


# -- route_blackhole -------------------------------------------------------------------------------------------


def test_route_to_deleted_nat_is_blackhole(ec2, nat_network):
    assert default_route_state(ec2, nat_network.private_rtb) == "active"
    ec2.delete_nat_gateway(NatGatewayId=nat_network.nat)
    assert nat_state(ec2, nat_network.nat) == "deleted"
    assert default_route_state(ec2, nat_network.private_rtb) == "blackhole"


def test_route_to_deleting_nat_is_blackhole_without_advancing_it(aws, ec2, nat_network):
    aws.set_nat_transition("manual", times=2)
    ec2.delete_nat_gateway(NatGatewayId=nat_network.nat)
    for _ in range(3):
        assert default_route_state(ec2, nat_network.private_rtb) == "blackhole"
    assert nat_state(ec2, nat_network.nat) == "deleting"


def test_route_to_failed_nat_is_blackhole(ec2):
    net = build_network(ec2, attach_igw=False)
    nat_id, _ = create_nat(ec2, net.public)
    ec2.create_route(RouteTableId=net.private_rtb, DestinationCidrBlock=DEFAULT_ROUTE, NatGatewayId=nat_id)
    assert nat_state(ec2, nat_id) == "failed"
    assert default_route_state(ec2, net.private_rtb) == "blackhole"


def test_route_to_detached_igw_is_blackhole(ec2):
    net = build_network(ec2)
    assert default_route_state(ec2, net.public_rtb) == "active"
    ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)
    assert default_route_state(ec2, net.public_rtb) == "blackhole"
    ec2.attach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)
    assert default_route_state(ec2, net.public_rtb) == "active"


def test_route_to_deleted_igw_is_blackhole(ec2):
    net = build_network(ec2)
    ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)
    ec2.delete_internet_gateway(InternetGatewayId=net.igw)
    assert default_route_state(ec2, net.public_rtb) == "blackhole"


# -- route_state_filter ----------------------------------------------------------------------------------------


def test_route_state_filter(ec2, nat_network):
    blackhole = [{"Name": "route.state", "Values": ["blackhole"]}]
    assert ec2.describe_route_tables(Filters=blackhole)["RouteTables"] == []

    ec2.delete_nat_gateway(NatGatewayId=nat_network.nat)
    tables = ec2.describe_route_tables(Filters=blackhole)["RouteTables"]
    assert [table["RouteTableId"] for table in tables] == [nat_network.private_rtb]

    in_vpc_active = [
        {"Name": "vpc-id", "Values": [nat_network.vpc]},
        {"Name": "route.state", "Values": ["active"]},
    ]
    active_ids = {table["RouteTableId"] for table in ec2.describe_route_tables(Filters=in_vpc_active)["RouteTables"]}
    assert {nat_network.public_rtb, nat_network.private_rtb} <= active_ids  # both still have their local route


# -- nat_eip_release -------------------------------------------------------------------------------------------


def test_eip_disassociated_after_nat_deleted(ec2, nat_network):
    assert address(ec2, nat_network.allocation).get("AssociationId")
    nat_eni = [{"Name": "subnet-id", "Values": [nat_network.public]}]
    assert len(ec2.describe_network_interfaces(Filters=nat_eni)["NetworkInterfaces"]) == 1

    ec2.delete_nat_gateway(NatGatewayId=nat_network.nat)
    assert nat_state(ec2, nat_network.nat) == "deleted"
    eip = address(ec2, nat_network.allocation)
    assert "AssociationId" not in eip
    assert not eip.get("NetworkInterfaceId")
    assert ec2.describe_network_interfaces(Filters=nat_eni)["NetworkInterfaces"] == []


def test_eip_disassociated_when_time_based_deletion_completes(aws, ec2, nat_network):
    aws.set_nat_transition("time", seconds=1)
    aws.hold_clock()  # the NAT stays deleting until the clock runs again, however slow the machine
    ec2.delete_nat_gateway(NatGatewayId=nat_network.nat)
    assert nat_state(ec2, nat_network.nat) == "deleting"
    assert address(ec2, nat_network.allocation).get("AssociationId")
    aws.resume_clock()
    ec2.get_waiter("nat_gateway_deleted").wait(
        NatGatewayIds=[nat_network.nat], WaiterConfig={"Delay": 1, "MaxAttempts": 10}
    )
    assert "AssociationId" not in address(ec2, nat_network.allocation)


@pytest.mark.parametrize("nat_phase", ["available", "deleting"])
def test_release_of_eip_in_use_by_nat_is_refused(aws, ec2, nat_network, nat_phase):
    if nat_phase == "deleting":
        aws.set_nat_transition("manual", times=5)
        ec2.delete_nat_gateway(NatGatewayId=nat_network.nat)
    assert nat_state(ec2, nat_network.nat) == nat_phase
    with pytest.raises(ClientError) as excinfo:
        ec2.release_address(AllocationId=nat_network.allocation)
    response = excinfo.value.response
    assert response["Error"]["Code"] == "InvalidIPAddress.InUse"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert address(ec2, nat_network.allocation)["AllocationId"] == nat_network.allocation


def test_release_after_nat_deleted_succeeds(ec2, nat_network):
    """Not a proof of nat_eip_release (stock moto releases any address): keeps its refusal from outliving the NAT."""
    ec2.delete_nat_gateway(NatGatewayId=nat_network.nat)
    assert nat_state(ec2, nat_network.nat) == "deleted"
    ec2.release_address(AllocationId=nat_network.allocation)
    remaining = [eip["AllocationId"] for eip in ec2.describe_addresses()["Addresses"]]
    assert nat_network.allocation not in remaining
