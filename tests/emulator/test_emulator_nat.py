"""Proofs for the NAT gateway patches: tag type, lifecycle, Gateway.NotAttached failures, ClientToken, NotFound codes.

Every test talks to the emulator with boto3 only and fails if the patch it proves stops working (e.g. after a moto
upgrade). Lifecycle speed is steered with the standard moto state-manager API (``aws.set_nat_transition``).
"""

from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError, WaiterError

FAST_WAIT = {"Delay": 0, "MaxAttempts": 10}
UNKNOWN_NAT = "nat-0123456789abcdef0"


def build_network(ec2, *, attach_igw=True, igw_route=True):
    """VPC with a public subnet (own route table, 0.0.0.0/0 -> IGW) and a private subnet (own route table)."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    if attach_igw:
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=public_rtb, SubnetId=public)
    if igw_route:
        ec2.create_route(RouteTableId=public_rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    private_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=private_rtb, SubnetId=private)
    return SimpleNamespace(
        vpc=vpc, public=public, private=private, igw=igw, public_rtb=public_rtb, private_rtb=private_rtb
    )


def create_nat(ec2, subnet, **kwargs):
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation, **kwargs)["NatGateway"]
    return nat["NatGatewayId"], allocation


def nat_state(ec2, nat_id):
    return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]["State"]


def error_of(excinfo):
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


# -- natgateway_tag_type ---------------------------------------------------------------------------------------


def test_describe_tags_reports_natgateway_resource_type(ec2):
    net = build_network(ec2)
    nat_id, _ = create_nat(
        ec2, net.public, TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "n"}]}]
    )
    assert nat_id.startswith("nat-")

    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [nat_id]}])["Tags"]
    assert [(tag["ResourceType"], tag["Key"]) for tag in tags] == [("natgateway", "Name")]

    by_type = ec2.describe_tags(
        Filters=[
            {"Name": "resource-id", "Values": [nat_id]},
            {"Name": "resource-type", "Values": ["natgateway"]},
        ]
    )["Tags"]
    assert [tag["Value"] for tag in by_type] == ["n"]


def test_amazon_aws_tag_comparison_sees_nat_tags(aws, ec2):
    ec2_utils = pytest.importorskip("ansible_collections.amazon.aws.plugins.module_utils.ec2")

    class _Module:
        check_mode = False

        def fail_json_aws(self, exception, msg=None):
            raise AssertionError(f"{msg}: {exception}")

    net = build_network(ec2)
    nat_id, _ = create_nat(
        ec2, net.public, TagSpecifications=[{"ResourceType": "natgateway", "Tags": [{"Key": "Name", "Value": "n"}]}]
    )
    module = _Module()
    assert ec2_utils.describe_ec2_tags(ec2, module, nat_id, resource_type="natgateway") == {"Name": "n"}
    with aws.recording() as rec:
        changed = ec2_utils.ensure_ec2_tags(ec2, module, nat_id, resource_type="natgateway", tags={"Name": "n"})
    assert changed is False
    assert rec.mutations == []


# -- nat_lifecycle ---------------------------------------------------------------------------------------------


def test_create_reports_pending_and_immediate_progression_is_available(ec2):
    net = build_network(ec2)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    created = ec2.create_nat_gateway(SubnetId=net.public, AllocationId=allocation)["NatGateway"]
    assert created["State"] == "pending"
    assert nat_state(ec2, created["NatGatewayId"]) == "available"


def test_manual_progression_pending_for_n_minus_1_describes(aws, ec2):
    aws.set_nat_transition("manual", times=3)
    net = build_network(ec2)
    nat_id, _ = create_nat(ec2, net.public)
    states = [nat_state(ec2, nat_id) for _ in range(4)]
    assert states == ["pending", "pending", "available", "available"]


def test_time_progression(aws, ec2):
    aws.set_nat_transition("time", seconds=1)
    net = build_network(ec2)
    aws.hold_clock()  # however long the describe takes to come, the NAT is a second away from available
    nat_id, _ = create_nat(ec2, net.public)
    assert nat_state(ec2, nat_id) == "pending"
    aws.resume_clock()
    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat_id], WaiterConfig={"Delay": 1, "MaxAttempts": 10})
    assert nat_state(ec2, nat_id) == "available"


def test_deleting_then_deleted_and_record_kept(aws, ec2):
    aws.set_nat_transition("manual", times=2)
    net = build_network(ec2)
    nat_id, _ = create_nat(ec2, net.public)
    assert [nat_state(ec2, nat_id) for _ in range(2)] == ["pending", "available"]

    assert ec2.delete_nat_gateway(NatGatewayId=nat_id)["NatGatewayId"] == nat_id
    assert [nat_state(ec2, nat_id) for _ in range(3)] == ["deleting", "deleted", "deleted"]
    described = ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]
    assert "DeleteTime" in described


def test_state_filter_uses_lifecycle_and_counts_as_describe(aws, ec2):
    aws.set_nat_transition("manual", times=2)
    net = build_network(ec2)
    nat_id, _ = create_nat(ec2, net.public)
    available = [{"Name": "state", "Values": ["available"]}]
    assert ec2.describe_nat_gateways(Filters=available)["NatGateways"] == []
    assert [nat["NatGatewayId"] for nat in ec2.describe_nat_gateways(Filters=available)["NatGateways"]] == [nat_id]
    pending = [{"Name": "state", "Values": ["pending"]}]
    assert ec2.describe_nat_gateways(Filters=pending)["NatGateways"] == []


def test_internal_reads_do_not_advance_the_lifecycle(aws, ec2):
    aws.set_nat_transition("manual", times=2)
    net = build_network(ec2)
    nat_id, _ = create_nat(ec2, net.public)
    ec2.create_route(RouteTableId=net.private_rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
    for _ in range(3):
        ec2.describe_route_tables()
        ec2.describe_route_tables(Filters=[{"Name": "route.state", "Values": ["blackhole"]}])
        ec2.describe_addresses()
    assert [nat_state(ec2, nat_id) for _ in range(2)] == ["pending", "available"]


def test_nat_waiter_really_waits_while_pending(aws, ec2):
    aws.set_nat_transition("manual", times=3)
    net = build_network(ec2)
    nat_id, _ = create_nat(ec2, net.public)
    with aws.recording() as rec:
        ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat_id], WaiterConfig=FAST_WAIT)
    # describes 1 and 2 see "pending", describe 3 sees "available"
    assert rec.count("DescribeNatGateways") >= 3
    assert rec.count("DescribeNatGateways") == 3


# -- nat_failure -----------------------------------------------------------------------------------------------


def test_nat_without_internet_gateway_fails(aws, ec2):
    aws.set_nat_transition("manual", times=2)
    net = build_network(ec2, attach_igw=False, igw_route=False)
    nat_id, allocation = create_nat(ec2, net.public)
    assert nat_state(ec2, nat_id) == "pending"
    nat = ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]
    assert nat["State"] == "failed"
    assert nat["FailureCode"] == "Gateway.NotAttached"
    assert nat["FailureMessage"] == f"Network {net.vpc} has no Internet gateway attached"

    address = ec2.describe_addresses(AllocationIds=[allocation])["Addresses"][0]
    assert "AssociationId" not in address
    assert not address.get("NetworkInterfaceId")


def test_available_waiter_fails_at_once_on_failed_nat(aws, ec2):
    net = build_network(ec2, attach_igw=True, igw_route=False)
    nat_id, _ = create_nat(ec2, net.public)
    with aws.recording() as rec, pytest.raises(WaiterError) as excinfo:
        ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat_id], WaiterConfig=FAST_WAIT)
    assert "failure state" in str(excinfo.value)
    assert rec.count("DescribeNatGateways") == 1


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("igw_route_in_subnet_table", "available"),
        ("igw_route_in_main_table", "available"),
        ("private_connectivity_without_igw", "available"),
        ("igw_route_but_igw_detached", "failed"),
        ("igw_attached_but_no_route", "failed"),
    ],
)
def test_nat_failure_follows_effective_route_table(ec2, case, expected):
    if case == "igw_route_in_main_table":
        vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        main = ec2.describe_route_tables(
            Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}]
        )["RouteTables"][0]["RouteTableId"]
        ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        nat_id, _ = create_nat(ec2, subnet)
    elif case == "private_connectivity_without_igw":
        net = build_network(ec2, attach_igw=False, igw_route=False)
        nat_id = ec2.create_nat_gateway(SubnetId=net.public, ConnectivityType="private")["NatGateway"]["NatGatewayId"]
    elif case == "igw_route_but_igw_detached":
        net = build_network(ec2)
        ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)
        nat_id, _ = create_nat(ec2, net.public)
    elif case == "igw_attached_but_no_route":
        net = build_network(ec2, igw_route=False)
        nat_id, _ = create_nat(ec2, net.public)
    else:
        net = build_network(ec2)
        nat_id, _ = create_nat(ec2, net.public)
    assert nat_state(ec2, nat_id) == expected


# -- nat_client_token ------------------------------------------------------------------------------------------


def test_client_token_is_idempotent(ec2):
    net = build_network(ec2)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    first = ec2.create_nat_gateway(SubnetId=net.public, AllocationId=allocation, ClientToken="token-1")
    second = ec2.create_nat_gateway(SubnetId=net.public, AllocationId=allocation, ClientToken="token-1")
    assert first["NatGateway"]["NatGatewayId"] == second["NatGateway"]["NatGatewayId"]
    assert second["ClientToken"] == "token-1"

    in_subnet = [{"Name": "subnet-id", "Values": [net.public]}]
    assert len(ec2.describe_nat_gateways(Filters=in_subnet)["NatGateways"]) == 1
    assert len(ec2.describe_network_interfaces(Filters=in_subnet)["NetworkInterfaces"]) == 1


def test_client_token_reused_with_other_parameters_is_refused(ec2):
    net = build_network(ec2)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.create_nat_gateway(SubnetId=net.public, AllocationId=allocation, ClientToken="token-2")
    other = ec2.allocate_address(Domain="vpc")["AllocationId"]
    with pytest.raises(ClientError) as excinfo:
        ec2.create_nat_gateway(SubnetId=net.public, AllocationId=other, ClientToken="token-2")
    assert error_of(excinfo) == ("IdempotentParameterMismatch", 400)


# -- not_found_errors ------------------------------------------------------------------------------------------


def test_describe_unknown_nat_is_not_found(ec2):
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_nat_gateways(NatGatewayIds=[UNKNOWN_NAT])
    assert error_of(excinfo) == ("NatGatewayNotFound", 400)


def test_delete_unknown_nat_is_not_found(ec2):
    with pytest.raises(ClientError) as excinfo:
        ec2.delete_nat_gateway(NatGatewayId=UNKNOWN_NAT)
    assert error_of(excinfo) == ("NatGatewayNotFound", 400)


def test_create_route_to_unknown_nat_is_not_found(ec2):
    net = build_network(ec2)
    with pytest.raises(ClientError) as excinfo:
        ec2.create_route(RouteTableId=net.private_rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=UNKNOWN_NAT)
    assert error_of(excinfo) == ("InvalidNatGatewayID.NotFound", 400)
    routes = ec2.describe_route_tables(RouteTableIds=[net.private_rtb])["RouteTables"][0]["Routes"]
    assert [route.get("DestinationCidrBlock") for route in routes] == ["10.0.0.0/16"]


def test_replace_route_to_unknown_nat_is_not_found(ec2):
    net = build_network(ec2)
    nat_id, _ = create_nat(ec2, net.public)
    ec2.create_route(RouteTableId=net.private_rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
    with pytest.raises(ClientError) as excinfo:
        ec2.replace_route(RouteTableId=net.private_rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=UNKNOWN_NAT)
    assert error_of(excinfo) == ("InvalidNatGatewayID.NotFound", 400)


def test_deleted_nat_is_still_known(ec2):
    """Not a proof of not_found_errors (stock moto passes it): keeps it from calling a deleted NAT gateway unknown."""
    net = build_network(ec2)
    nat_id, _ = create_nat(ec2, net.public)
    ec2.delete_nat_gateway(NatGatewayId=nat_id)
    assert nat_state(ec2, nat_id) == "deleted"
