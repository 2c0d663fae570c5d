"""Proofs for the ``nat_regional`` patch: regional NAT gateways (AvailabilityMode=regional) in both address modes.

Each test talks to the emulator with boto3 only and fails without the patch
(``AWS_EMULATOR_SKIP_PATCHES=nat_regional``): stock moto 5.2.5 knows no regional NAT gateway.
"""

from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def build_vpc(ec2, *, attach_igw=True):
    """A VPC with a private subnet (and its own route table) in each of ``ZONES``, and an internet gateway."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    if attach_igw:
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    subnets, tables = {}, {}
    for index, zone in enumerate(ZONES):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{index}.0/24", AvailabilityZone=zone)["Subnet"]
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet["SubnetId"])
        subnets[zone], tables[zone] = subnet["SubnetId"], table
    return SimpleNamespace(vpc=vpc, igw=igw, subnets=subnets, tables=tables)


def create_regional(ec2, vpc, **kwargs):
    return ec2.create_nat_gateway(AvailabilityMode="regional", VpcId=vpc, **kwargs)["NatGateway"]


def describe(ec2, nat_id):
    return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]


def start_task(ec2, subnet_id):
    """A workload's network interface in ``subnet_id`` (what a Fargate task gets)."""
    return ec2.create_network_interface(SubnetId=subnet_id)["NetworkInterface"]["NetworkInterfaceId"]


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def allocate(ec2):
    return ec2.allocate_address(Domain="vpc")["AllocationId"]


# -- create and validation -------------------------------------------------------------------------------------


def test_regional_nat_is_created_in_a_vpc_with_its_describe_fields(ec2):
    net = build_vpc(ec2)
    created = create_regional(ec2, net.vpc)
    assert created["State"] == "pending"
    assert created["AvailabilityMode"] == "regional"
    nat = describe(ec2, created["NatGatewayId"])
    assert nat["State"] == "available"
    assert nat["VpcId"] == net.vpc
    assert "SubnetId" not in nat
    assert nat["ConnectivityType"] == "public"
    assert (nat["AutoProvisionZones"], nat["AutoScalingIps"]) == ("enabled", "enabled")
    assert nat["RouteTableId"].startswith("rtb-")


def test_zonal_nat_reports_zonal_availability_mode(ec2):
    net = build_vpc(ec2)
    public_table = ec2.create_route_table(VpcId=net.vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_table, DestinationCidrBlock="0.0.0.0/0", GatewayId=net.igw)
    public = ec2.create_subnet(VpcId=net.vpc, CidrBlock="10.0.10.0/24")["Subnet"]["SubnetId"]
    ec2.associate_route_table(RouteTableId=public_table, SubnetId=public)
    nat_id = ec2.create_nat_gateway(SubnetId=public, AllocationId=allocate(ec2))["NatGateway"]["NatGatewayId"]
    nat = describe(ec2, nat_id)
    assert nat["AvailabilityMode"] == "zonal"
    assert "RouteTableId" not in nat


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"AvailabilityMode": "regional"}, "MissingParameter"),
        ({"AvailabilityMode": "regional", "VpcId": "vpc-0123456789abcdef0"}, "InvalidVpcID.NotFound"),
        ({"AvailabilityMode": "regional", "VpcId": "{vpc}", "SubnetId": "{subnet}"}, "InvalidParameterCombination"),
        (
            {"AvailabilityMode": "regional", "VpcId": "{vpc}", "ConnectivityType": "private"},
            "InvalidParameterCombination",
        ),
        ({"AvailabilityMode": "regional", "VpcId": "{vpc}", "AllocationId": "{eip}"}, "InvalidParameterCombination"),
        ({"AvailabilityMode": "zonal", "SubnetId": "{subnet}", "VpcId": "{vpc}"}, "InvalidParameterCombination"),
        ({"AvailabilityMode": "multi-az", "VpcId": "{vpc}"}, "InvalidParameterValue"),
    ],
)
def test_create_is_validated_like_aws(ec2, params, code):
    net = build_vpc(ec2)
    values = {"vpc": net.vpc, "subnet": net.subnets["us-east-1a"], "eip": allocate(ec2)}
    request = {key: value.format(**values) for key, value in params.items()}
    with pytest.raises(ClientError) as excinfo:
        ec2.create_nat_gateway(**request)
    assert error_code(excinfo) == code
    assert ec2.describe_nat_gateways()["NatGateways"] == []


@pytest.mark.parametrize(
    ("zone_addresses", "code"),
    [
        ([{"AvailabilityZone": "us-east-1q", "AllocationIds": ["{eip}"]}], "InvalidParameterValue"),
        (
            [{"AvailabilityZone": "us-east-1a", "AllocationIds": ["eipalloc-0123456789abcdef0"]}],
            "InvalidAllocationID.NotFound",
        ),
        (
            [
                {"AvailabilityZone": "us-east-1a", "AllocationIds": ["{eip}"]},
                {"AvailabilityZone": "us-east-1b", "AllocationIds": ["{eip}"]},
            ],
            "InvalidParameterValue",
        ),
    ],
)
def test_manual_addresses_are_validated(ec2, zone_addresses, code):
    net = build_vpc(ec2)
    eip = allocate(ec2)
    entries = [
        {**entry, "AllocationIds": [value.format(eip=eip) for value in entry["AllocationIds"]]}
        for entry in zone_addresses
    ]
    with pytest.raises(ClientError) as excinfo:
        create_regional(ec2, net.vpc, AvailabilityZoneAddresses=entries)
    assert error_code(excinfo) == code


def test_vpc_without_internet_gateway_fails_gateway_not_attached(ec2):
    net = build_vpc(ec2, attach_igw=False)
    nat = describe(ec2, create_regional(ec2, net.vpc)["NatGatewayId"])
    assert nat["State"] == "failed"
    assert nat["FailureCode"] == "Gateway.NotAttached"
    assert "RouteTableId" not in nat


# -- the gateway's route table -----------------------------------------------------------------------------------


def test_its_route_table_sends_0_0_0_0_to_the_internet_gateway(ec2):
    net = build_vpc(ec2)
    nat = describe(ec2, create_regional(ec2, net.vpc)["NatGatewayId"])
    table = ec2.describe_route_tables(RouteTableIds=[nat["RouteTableId"]])["RouteTables"][0]
    assert table["VpcId"] == net.vpc
    default = [route for route in table["Routes"] if route.get("DestinationCidrBlock") == "0.0.0.0/0"]
    assert [(route["GatewayId"], route["State"]) for route in default] == [(net.igw, "active")]


# -- addresses -------------------------------------------------------------------------------------------------


def test_automatic_mode_has_an_address_in_each_zone_with_a_workload(ec2):
    net = build_vpc(ec2)
    nat_id = create_regional(ec2, net.vpc)["NatGatewayId"]
    assert describe(ec2, nat_id)["NatGatewayAddresses"] == []

    start_task(ec2, net.subnets["us-east-1a"])
    start_task(ec2, net.subnets["us-east-1c"])
    addresses = describe(ec2, nat_id)["NatGatewayAddresses"]
    assert sorted(address["AvailabilityZone"] for address in addresses) == ["us-east-1a", "us-east-1c"]
    assert all(address["Status"] == "succeeded" and address["AvailabilityZoneId"] for address in addresses)
    eips = ec2.describe_addresses(AllocationIds=[address["AllocationId"] for address in addresses])["Addresses"]
    assert all(eip.get("AssociationId") for eip in eips)


def test_manual_mode_uses_the_given_addresses_per_zone(ec2):
    net = build_vpc(ec2)
    first, second, third = allocate(ec2), allocate(ec2), allocate(ec2)
    zone_b_id = ec2.describe_availability_zones(ZoneNames=["us-east-1b"])["AvailabilityZones"][0]["ZoneId"]
    created = create_regional(
        ec2,
        net.vpc,
        AvailabilityZoneAddresses=[
            {"AvailabilityZone": "us-east-1a", "AllocationIds": [first, second]},
            {"AvailabilityZoneId": zone_b_id, "AllocationIds": [third]},
        ],
    )
    start_task(ec2, net.subnets["us-east-1c"])  # a workload in a zone not listed: manual mode does not expand
    nat = describe(ec2, created["NatGatewayId"])
    assert (nat["AutoProvisionZones"], nat["AutoScalingIps"]) == ("disabled", "disabled")
    assert [(a["AllocationId"], a["AvailabilityZone"], a["IsPrimary"]) for a in nat["NatGatewayAddresses"]] == [
        (first, "us-east-1a", True),
        (second, "us-east-1a", False),
        (third, "us-east-1b", False),
    ]


def test_manual_address_already_in_use_fails_the_nat(ec2):
    net = build_vpc(ec2)
    eip = allocate(ec2)
    ec2.associate_address(AllocationId=eip, NetworkInterfaceId=start_task(ec2, net.subnets["us-east-1a"]))
    nat = describe(
        ec2,
        create_regional(
            ec2, net.vpc, AvailabilityZoneAddresses=[{"AvailabilityZone": "us-east-1a", "AllocationIds": [eip]}]
        )["NatGatewayId"],
    )
    assert (nat["State"], nat["FailureCode"]) == ("failed", "Resource.AlreadyAssociated")


# -- deletion --------------------------------------------------------------------------------------------------


def test_deletion_keeps_manual_addresses_and_releases_automatic_ones(aws, ec2):
    aws.set_nat_transition("manual", times=2)
    net = build_vpc(ec2)
    start_task(ec2, net.subnets["us-east-1a"])
    mine = allocate(ec2)
    manual = create_regional(
        ec2, net.vpc, AvailabilityZoneAddresses=[{"AvailabilityZone": "us-east-1a", "AllocationIds": [mine]}]
    )["NatGatewayId"]
    automatic = create_regional(ec2, net.vpc)["NatGatewayId"]
    for _ in range(2):
        ec2.describe_nat_gateways(NatGatewayIds=[manual, automatic])
    automatic_eip = describe(ec2, automatic)["NatGatewayAddresses"][0]["AllocationId"]
    tables = [describe(ec2, manual)["RouteTableId"], describe(ec2, automatic)["RouteTableId"]]

    with pytest.raises(ClientError) as excinfo:
        ec2.release_address(AllocationId=mine)
    assert error_code(excinfo) == "InvalidIPAddress.InUse"

    for nat_id in (manual, automatic):
        ec2.delete_nat_gateway(NatGatewayId=nat_id)
    states = [nat["State"] for nat in ec2.describe_nat_gateways(NatGatewayIds=[manual, automatic])["NatGateways"]]
    assert states == ["deleting", "deleting"]
    assert ec2.describe_nat_gateways(NatGatewayIds=[manual, automatic])["NatGateways"][0]["State"] == "deleted"

    kept = ec2.describe_addresses(AllocationIds=[mine])["Addresses"][0]
    assert "AssociationId" not in kept
    allocations = {address["AllocationId"] for address in ec2.describe_addresses()["Addresses"]}
    assert automatic_eip not in allocations
    remaining = {table["RouteTableId"] for table in ec2.describe_route_tables()["RouteTables"]}
    assert remaining.isdisjoint(tables)
    ec2.release_address(AllocationId=mine)


# -- routes to it ----------------------------------------------------------------------------------------------


def test_routes_to_it_and_blackhole_after_deletion(ec2):
    net = build_vpc(ec2)
    nat_id = create_regional(ec2, net.vpc)["NatGatewayId"]
    ec2.create_route(RouteTableId=net.tables["us-east-1a"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
    ec2.create_route(RouteTableId=net.tables["us-east-1b"], DestinationCidrBlock="0.0.0.0/0", GatewayId=net.igw)
    ec2.replace_route(RouteTableId=net.tables["us-east-1b"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)

    def default_routes():
        tables = ec2.describe_route_tables(RouteTableIds=[net.tables["us-east-1a"], net.tables["us-east-1b"]])
        return [
            (route.get("NatGatewayId"), route["State"])
            for table in tables["RouteTables"]
            for route in table["Routes"]
            if route.get("DestinationCidrBlock") == "0.0.0.0/0"
        ]

    assert default_routes() == [(nat_id, "active"), (nat_id, "active")]
    ec2.delete_nat_gateway(NatGatewayId=nat_id)
    assert default_routes() == [(nat_id, "blackhole"), (nat_id, "blackhole")]


# -- filters and idempotency -----------------------------------------------------------------------------------


def test_describe_filters(ec2):
    net = build_vpc(ec2)
    tags = [{"ResourceType": "natgateway", "Tags": [{"Key": "cloudreactor:network", "Value": "n"}]}]
    nat_id = create_regional(ec2, net.vpc, TagSpecifications=tags)["NatGatewayId"]

    def found(name, values):
        return [
            nat["NatGatewayId"]
            for nat in ec2.describe_nat_gateways(Filter=[{"Name": name, "Values": values}])["NatGateways"]
        ]

    assert found("vpc-id", [net.vpc]) == [nat_id]
    assert found("subnet-id", list(net.subnets.values())) == []
    assert found("tag:cloudreactor:network", ["n"]) == [nat_id]
    assert found("state", ["available"]) == [nat_id]


def test_client_token_is_idempotent(ec2):
    net = build_vpc(ec2)
    first = create_regional(ec2, net.vpc, ClientToken="regional-1")
    again = create_regional(ec2, net.vpc, ClientToken="regional-1")
    assert again["NatGatewayId"] == first["NatGatewayId"]
    assert len(ec2.describe_nat_gateways()["NatGateways"]) == 1
    eip = allocate(ec2)
    with pytest.raises(ClientError) as excinfo:
        create_regional(
            ec2,
            net.vpc,
            ClientToken="regional-1",
            AvailabilityZoneAddresses=[{"AvailabilityZone": "us-east-1a", "AllocationIds": [eip]}],
        )
    assert error_code(excinfo) == "IdempotentParameterMismatch"
