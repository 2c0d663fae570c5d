"""IPv6 in the emulator as the collection relies on it: VPC and subnet blocks, DNS64, IPv6-only subnets, egress-only
internet gateways, IPv6 and NAT64 routes, security group and network ACL defaults.

The IPv6 patches in tests/aws_emulator/patches name their proofs here (``PROOFS``); each proof fails with
``AWS_EMULATOR_SKIP_PATCHES=<module>``. The other tests pin down what stock moto already does like AWS, so that a
moto upgrade that breaks it is noticed. The AWS fact behind each is in the patch's docstring or the test's.
"""

import ipaddress
from types import SimpleNamespace

import pytest
from botocore.exceptions import ClientError

ALL_IPV6 = "::/0"
NAT64_PREFIX = "64:ff9b::/96"
EIGW_TAG = {"Key": "cloudreactor:network", "Value": "n"}


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


def vpc_ipv6_block(ec2, vpc_id):
    (association,) = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"]
    return association


def subnet_blocks(ec2, vpc_block, count):
    """The first ``count`` /64s of the VPC's /56 (the first one left unused, as a planner might)."""
    return [str(block) for block in ipaddress.ip_network(vpc_block).subnets(new_prefix=64)][1 : count + 1]


def describe_subnet(ec2, subnet_id):
    return ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]


def routes(ec2, route_table_id):
    return ec2.describe_route_tables(RouteTableIds=[route_table_id])["RouteTables"][0]["Routes"]


def ipv6_route(ec2, route_table_id, destination):
    (route,) = [route for route in routes(ec2, route_table_id) if route.get("DestinationIpv6CidrBlock") == destination]
    return route


def create_eigw(ec2, vpc_id, **kwargs):
    return ec2.create_egress_only_internet_gateway(VpcId=vpc_id, **kwargs)["EgressOnlyInternetGateway"]


@pytest.fixture
def dual_stack(ec2):
    """A VPC with an Amazon-provided /56, a dual-stack subnet and an IPv6-only subnet, each with a /64 of it."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    block = vpc_ipv6_block(ec2, vpc)["Ipv6CidrBlock"]
    dual_block, native_block = subnet_blocks(ec2, block, 2)
    dual = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", Ipv6CidrBlock=dual_block)["Subnet"]["SubnetId"]
    native = ec2.create_subnet(VpcId=vpc, Ipv6Native=True, Ipv6CidrBlock=native_block)["Subnet"]["SubnetId"]
    return SimpleNamespace(vpc=vpc, block=block, dual=dual, native=native, dual_block=dual_block)


# -- what stock moto does like AWS ------------------------------------------------------------------------------


def test_amazon_provided_vpc_block_is_an_associated_56(ec2):
    """CreateVpc AmazonProvidedIpv6CidrBlock and AssociateVpcCidrBlock give a /56 from Amazon's pool."""
    created = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    later = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    answer = ec2.associate_vpc_cidr_block(VpcId=later, AmazonProvidedIpv6CidrBlock=True)["Ipv6CidrBlockAssociation"]
    assert answer["Ipv6CidrBlockState"]["State"] in ("associating", "associated")
    for vpc in (created, later):
        association = vpc_ipv6_block(ec2, vpc)
        assert ipaddress.ip_network(association["Ipv6CidrBlock"]).prefixlen == 56
        assert association["Ipv6CidrBlockState"]["State"] == "associated"
        assert association["Ipv6Pool"] == "Amazon"


def test_dual_stack_and_ipv6_native_subnets(ec2, dual_stack):
    """A /64 per subnet; AssignIpv6AddressOnCreation is an attribute; Ipv6Native is set at creation only."""
    ec2.modify_subnet_attribute(SubnetId=dual_stack.dual, AssignIpv6AddressOnCreation={"Value": True})
    dual = describe_subnet(ec2, dual_stack.dual)
    native = describe_subnet(ec2, dual_stack.native)
    assert (dual["Ipv6Native"], dual["AssignIpv6AddressOnCreation"]) == (False, True)
    assert native["Ipv6Native"] is True
    assert "CidrBlock" not in native
    assert dual["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"] == dual_stack.dual_block
    native_filter = [{"Name": "ipv6-native", "Values": ["true"]}]
    assert [subnet["SubnetId"] for subnet in ec2.describe_subnets(Filters=native_filter)["Subnets"]] == [
        dual_stack.native
    ]


def test_ipv6_routes_to_egress_only_gateway_internet_gateway_and_nat64(ec2, dual_stack):
    """``::/0`` to an egress-only gateway or an internet gateway, ``64:ff9b::/96`` to a NAT gateway: all listed."""
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=dual_stack.vpc)
    eigw = create_eigw(ec2, dual_stack.vpc)["EgressOnlyInternetGatewayId"]
    public = ec2.create_route_table(VpcId=dual_stack.vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=public, SubnetId=dual_stack.dual)
    ec2.create_route(RouteTableId=public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.create_route(RouteTableId=public, DestinationIpv6CidrBlock=ALL_IPV6, GatewayId=igw)
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=dual_stack.dual, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    private = ec2.create_route_table(VpcId=dual_stack.vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private, DestinationIpv6CidrBlock=ALL_IPV6, EgressOnlyInternetGatewayId=eigw)
    ec2.create_route(RouteTableId=private, DestinationIpv6CidrBlock=NAT64_PREFIX, NatGatewayId=nat)

    assert ipv6_route(ec2, public, ALL_IPV6)["GatewayId"] == igw
    assert ipv6_route(ec2, private, ALL_IPV6)["EgressOnlyInternetGatewayId"] == eigw
    assert ipv6_route(ec2, private, NAT64_PREFIX)["NatGatewayId"] == nat
    assert {route["State"] for route in routes(ec2, private)} == {"active"}
    local = ipv6_route(ec2, private, dual_stack.block)
    assert local["GatewayId"] == "local"


def test_egress_only_gateway_tags_and_attachment(ec2, dual_stack):
    tagged = create_eigw(
        ec2,
        dual_stack.vpc,
        TagSpecifications=[{"ResourceType": "egress-only-internet-gateway", "Tags": [EIGW_TAG]}],
    )
    assert tagged["Tags"] == [EIGW_TAG]
    assert tagged["Attachments"] == [{"State": "attached", "VpcId": dual_stack.vpc}]


# -- subnet_dns64 ------------------------------------------------------------------------------------------------


def test_enable_dns64_is_false_until_turned_on(ec2, dual_stack):
    assert describe_subnet(ec2, dual_stack.native)["EnableDns64"] is False


def test_enable_dns64_is_stored_and_described(ec2, dual_stack):
    ec2.modify_subnet_attribute(SubnetId=dual_stack.native, EnableDns64={"Value": True})
    assert describe_subnet(ec2, dual_stack.native)["EnableDns64"] is True
    assert describe_subnet(ec2, dual_stack.dual)["EnableDns64"] is False
    ec2.modify_subnet_attribute(SubnetId=dual_stack.native, EnableDns64={"Value": False})
    assert describe_subnet(ec2, dual_stack.native)["EnableDns64"] is False


# -- subnet_ipv6_state -------------------------------------------------------------------------------------------


def test_subnet_ipv6_block_state_is_a_string(ec2, dual_stack):
    (association,) = describe_subnet(ec2, dual_stack.dual)["Ipv6CidrBlockAssociationSet"]
    assert association["Ipv6CidrBlockState"] == {"State": "associated"}


def test_ipv6_native_subnet_has_no_ipv4_addresses(ec2, dual_stack):
    assert describe_subnet(ec2, dual_stack.native)["AvailableIpAddressCount"] == 0
    assert describe_subnet(ec2, dual_stack.dual)["AvailableIpAddressCount"] == 251


# -- subnet_ipv6_cidr --------------------------------------------------------------------------------------------


def test_subnet_ipv6_block_outside_the_vpc_block_is_refused(ec2, dual_stack):
    outside = "2001:db8::/64"
    with pytest.raises(ClientError) as excinfo:
        ec2.create_subnet(VpcId=dual_stack.vpc, CidrBlock="10.0.2.0/24", Ipv6CidrBlock=outside)
    assert error_code(excinfo) == "InvalidSubnet.Range"
    ipv4_only = ec2.create_subnet(VpcId=dual_stack.vpc, CidrBlock="10.0.3.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as excinfo:
        ec2.associate_subnet_cidr_block(SubnetId=ipv4_only, Ipv6CidrBlock=outside)
    assert error_code(excinfo) == "InvalidSubnet.Range"


def test_subnet_ipv6_block_overlapping_another_subnet_is_refused(ec2, dual_stack):
    with pytest.raises(ClientError) as excinfo:
        ec2.create_subnet(VpcId=dual_stack.vpc, CidrBlock="10.0.2.0/24", Ipv6CidrBlock=dual_stack.dual_block)
    assert error_code(excinfo) == "InvalidSubnet.Conflict"
    free_block = subnet_blocks(ec2, dual_stack.block, 3)[2]
    ipv4_only = ec2.create_subnet(VpcId=dual_stack.vpc, CidrBlock="10.0.3.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as excinfo:
        ec2.associate_subnet_cidr_block(SubnetId=ipv4_only, Ipv6CidrBlock=dual_stack.dual_block)
    assert error_code(excinfo) == "InvalidSubnet.Conflict"
    ec2.associate_subnet_cidr_block(SubnetId=ipv4_only, Ipv6CidrBlock=free_block)


def test_subnet_ipv6_block_in_use_cannot_be_disassociated(ec2, dual_stack):
    ec2.modify_subnet_attribute(SubnetId=dual_stack.dual, AssignIpv6AddressOnCreation={"Value": True})
    (association,) = describe_subnet(ec2, dual_stack.dual)["Ipv6CidrBlockAssociationSet"]
    with pytest.raises(ClientError) as excinfo:
        ec2.disassociate_subnet_cidr_block(AssociationId=association["AssociationId"])
    assert error_code(excinfo) == "InvalidCidrBlock.InUse"
    ec2.modify_subnet_attribute(SubnetId=dual_stack.dual, AssignIpv6AddressOnCreation={"Value": False})
    ec2.disassociate_subnet_cidr_block(AssociationId=association["AssociationId"])
    assert describe_subnet(ec2, dual_stack.dual)["Ipv6CidrBlockAssociationSet"] == []


def test_assign_ipv6_on_creation_needs_an_ipv6_block(ec2, dual_stack):
    ipv4_only = ec2.create_subnet(VpcId=dual_stack.vpc, CidrBlock="10.0.3.0/24")["Subnet"]["SubnetId"]
    with pytest.raises(ClientError) as excinfo:
        ec2.modify_subnet_attribute(SubnetId=ipv4_only, AssignIpv6AddressOnCreation={"Value": True})
    assert error_code(excinfo) == "InvalidParameterValue"
    ec2.modify_subnet_attribute(SubnetId=ipv4_only, AssignIpv6AddressOnCreation={"Value": False})
    assert describe_subnet(ec2, ipv4_only)["AssignIpv6AddressOnCreation"] is False


# -- vpc_ipv6_cidr -----------------------------------------------------------------------------------------------


def test_vpc_ipv6_block_used_by_a_subnet_cannot_be_disassociated(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    association = vpc_ipv6_block(ec2, vpc)
    (block,) = subnet_blocks(ec2, association["Ipv6CidrBlock"], 1)
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", Ipv6CidrBlock=block)["Subnet"]
    with pytest.raises(ClientError) as excinfo:
        ec2.disassociate_vpc_cidr_block(AssociationId=association["AssociationId"])
    assert error_code(excinfo) == "InvalidCidrBlock.InUse"
    subnet_association = subnet["Ipv6CidrBlockAssociationSet"][0]["AssociationId"]
    ec2.disassociate_subnet_cidr_block(AssociationId=subnet_association)
    ec2.disassociate_vpc_cidr_block(AssociationId=association["AssociationId"])


# -- security_group_ipv6_egress ----------------------------------------------------------------------------------


def default_egress(ec2, vpc_id, name):
    group = ec2.create_security_group(VpcId=vpc_id, GroupName=name, Description=name)["GroupId"]
    (rule,) = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0]["IpPermissionsEgress"]
    return [item["CidrIp"] for item in rule["IpRanges"]], [item["CidrIpv6"] for item in rule["Ipv6Ranges"]]


def test_security_group_default_egress_in_an_ipv4_vpc(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    assert default_egress(ec2, vpc, "ipv4") == (["0.0.0.0/0"], [])


def test_security_group_default_egress_follows_the_vpc_ipv6_block(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    assert default_egress(ec2, vpc, "dual-stack") == (["0.0.0.0/0"], [ALL_IPV6])
    ec2.disassociate_vpc_cidr_block(AssociationId=vpc_ipv6_block(ec2, vpc)["AssociationId"])
    assert default_egress(ec2, vpc, "after") == (["0.0.0.0/0"], [])


# -- network_acl_ipv6 --------------------------------------------------------------------------------------------


def default_acl_rules(ec2, vpc_id):
    """``{(egress, rule number): (action, block)}`` of the VPC's default network ACL."""
    filters = [{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
    (acl,) = ec2.describe_network_acls(Filters=filters)["NetworkAcls"]
    return {
        (entry["Egress"], entry["RuleNumber"]): (entry["RuleAction"], entry.get("CidrBlock") or entry["Ipv6CidrBlock"])
        for entry in acl["Entries"]
    }, acl["NetworkAclId"]


def aws_default_rules(ipv6):
    rules = {}
    for egress in (True, False):
        rules[(egress, 100)] = ("allow", "0.0.0.0/0")
        rules[(egress, 32767)] = ("deny", "0.0.0.0/0")
        if ipv6:
            rules[(egress, 101)] = ("allow", ALL_IPV6)
            rules[(egress, 32768)] = ("deny", ALL_IPV6)
    return rules


def test_default_network_acl_of_an_ipv6_vpc_has_the_ipv6_rules(ec2):
    ipv4 = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    dual = ec2.create_vpc(CidrBlock="10.1.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    assert default_acl_rules(ec2, ipv4)[0] == aws_default_rules(ipv6=False)
    assert default_acl_rules(ec2, dual)[0] == aws_default_rules(ipv6=True)


def test_default_network_acl_gains_the_ipv6_rules_with_the_block(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)
    assert default_acl_rules(ec2, vpc)[0] == aws_default_rules(ipv6=True)


def test_changed_default_network_acl_gains_only_the_ipv6_deny(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    acl_id = default_acl_rules(ec2, vpc)[1]
    ec2.create_network_acl_entry(
        NetworkAclId=acl_id,
        RuleNumber=90,
        Protocol="6",
        RuleAction="deny",
        Egress=True,
        CidrBlock="10.9.0.0/16",
        PortRange={"From": 22, "To": 22},
    )
    ec2.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)
    rules = default_acl_rules(ec2, vpc)[0]
    assert rules[(True, 32768)] == ("deny", ALL_IPV6)
    assert (True, 101) not in rules
    assert rules[(False, 101)] == ("allow", ALL_IPV6)


# -- egress_only_gateway -----------------------------------------------------------------------------------------


def test_egress_only_gateway_client_token_returns_the_same_gateway(ec2, dual_stack):
    first = ec2.create_egress_only_internet_gateway(VpcId=dual_stack.vpc, ClientToken="eigw-token")
    again = ec2.create_egress_only_internet_gateway(VpcId=dual_stack.vpc, ClientToken="eigw-token")
    gateway_id = first["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    assert again["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"] == gateway_id
    assert again["ClientToken"] == "eigw-token"
    described = ec2.describe_egress_only_internet_gateways()["EgressOnlyInternetGateways"]
    assert [gateway["EgressOnlyInternetGatewayId"] for gateway in described] == [gateway_id]


def test_egress_only_gateway_client_token_for_another_vpc_is_a_mismatch(ec2, dual_stack):
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    ec2.create_egress_only_internet_gateway(VpcId=dual_stack.vpc, ClientToken="eigw-token")
    with pytest.raises(ClientError) as excinfo:
        ec2.create_egress_only_internet_gateway(VpcId=other, ClientToken="eigw-token")
    assert error_code(excinfo) == "IdempotentParameterMismatch"


def test_egress_only_gateways_filter_by_tag(ec2, dual_stack):
    tags = [{"ResourceType": "egress-only-internet-gateway", "Tags": [EIGW_TAG]}]
    tagged = create_eigw(ec2, dual_stack.vpc, TagSpecifications=tags)["EgressOnlyInternetGatewayId"]
    create_eigw(ec2, dual_stack.vpc)

    def found(name, values):
        filters = [{"Name": name, "Values": values}]
        answer = ec2.describe_egress_only_internet_gateways(Filters=filters)["EgressOnlyInternetGateways"]
        return [gateway["EgressOnlyInternetGatewayId"] for gateway in answer]

    assert found(f"tag:{EIGW_TAG['Key']}", [EIGW_TAG["Value"]]) == [tagged]
    assert found(f"tag:{EIGW_TAG['Key']}", ["other"]) == []
    assert found("tag-key", [EIGW_TAG["Key"]]) == [tagged]


def test_egress_only_gateways_refuse_other_filters(ec2, dual_stack):
    create_eigw(ec2, dual_stack.vpc)
    with pytest.raises(ClientError) as excinfo:
        ec2.describe_egress_only_internet_gateways(Filters=[{"Name": "vpc-id", "Values": [dual_stack.vpc]}])
    assert error_code(excinfo) == "InvalidParameterValue"


def test_route_to_a_deleted_egress_only_gateway_is_blackhole(ec2, dual_stack):
    eigw = create_eigw(ec2, dual_stack.vpc)["EgressOnlyInternetGatewayId"]
    table = ec2.create_route_table(VpcId=dual_stack.vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationIpv6CidrBlock=ALL_IPV6, EgressOnlyInternetGatewayId=eigw)
    assert ipv6_route(ec2, table, ALL_IPV6)["State"] == "active"
    ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw)
    assert ipv6_route(ec2, table, ALL_IPV6)["State"] == "blackhole"
    blackhole = [{"Name": "route.state", "Values": ["blackhole"]}]
    assert [found["RouteTableId"] for found in ec2.describe_route_tables(Filters=blackhole)["RouteTables"]] == [table]


def test_vpc_with_an_egress_only_gateway_cannot_be_deleted(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    eigw = create_eigw(ec2, vpc)["EgressOnlyInternetGatewayId"]
    with pytest.raises(ClientError) as excinfo:
        ec2.delete_vpc(VpcId=vpc)
    assert error_code(excinfo) == "DependencyViolation"
    ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw)
    ec2.delete_vpc(VpcId=vpc)


# -- ipv6_route_exists -------------------------------------------------------------------------------------------


def test_create_route_of_an_existing_ipv6_destination_is_refused(ec2, dual_stack):
    first = create_eigw(ec2, dual_stack.vpc)["EgressOnlyInternetGatewayId"]
    second = create_eigw(ec2, dual_stack.vpc)["EgressOnlyInternetGatewayId"]
    table = ec2.create_route_table(VpcId=dual_stack.vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationIpv6CidrBlock=ALL_IPV6, EgressOnlyInternetGatewayId=first)
    with pytest.raises(ClientError) as excinfo:
        ec2.create_route(RouteTableId=table, DestinationIpv6CidrBlock=ALL_IPV6, EgressOnlyInternetGatewayId=second)
    assert error_code(excinfo) == "RouteAlreadyExists"
    ec2.replace_route(RouteTableId=table, DestinationIpv6CidrBlock=ALL_IPV6, EgressOnlyInternetGatewayId=second)
    assert ipv6_route(ec2, table, ALL_IPV6)["EgressOnlyInternetGatewayId"] == second
