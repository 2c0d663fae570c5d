"""cloudreactor.aws.network with ``ip_mode``: dual-stack and IPv6-only networks built, switched, repaired and removed.

Every check of the network reads it with the test's own boto3 client (independent of the module's view). One zone and
a single NAT gateway keep each run cheap; the IPv4 network's call counts are pinned here too, since IPv6 must cost an
IPv4 network nothing.
"""

import ipaddress
import re

import pytest
from support.aws_proxy import AwsProxy, LoseAnswer
from support.egress_gap import assert_no_egress_gap, egress_snapshot
from support.module_runner import run_module

NETWORK = "six"
ONE_ZONE = {"az_count": 1, "nat_gateways": "single"}
# The default network (two zones, a NAT gateway each) built from nothing, and run again with nothing to do: the calls
# it made before IPv6 existed (51 and 12; the build 50 since the internet gateway step lists the region's gateways
# once instead of the VPC's and then the network's), plus, for the build, the network claim's 5 (ImportKeyPair,
# CreateTags, DeleteKeyPair, and the second reading's DescribeVpcs and DescribeAvailabilityZones; see
# docs/reliability.md).
IPV4_COLD_BUILD_CALLS = 50 + 5
IPV4_NOOP_CALLS = 12
# No call of these is an IPv4 network's.
IPV6_OPERATIONS = {
    "AssociateVpcCidrBlock",
    "DisassociateVpcCidrBlock",
    "AssociateSubnetCidrBlock",
    "DisassociateSubnetCidrBlock",
    "CreateEgressOnlyInternetGateway",
    "DeleteEgressOnlyInternetGateway",
    "DescribeEgressOnlyInternetGateways",
    "DescribeNetworkInterfaces",
    "DeleteRoute",
}
# A dual-stack network with nothing to do lists its egress-only internet gateways too (EC2 cannot filter them by VPC,
# so they are not part of the run's first reading of the VPC).
DUAL_STACK_NOOP_CALLS = IPV4_NOOP_CALLS + 1


def run(aws, check_mode=False, **params):
    return run_module("network", {**aws.module_params(), "network_name": NETWORK, **params}, check_mode=check_mode)


def ok(result):
    assert not result.get("failed"), result.get("msg")
    return result


def tables_by_name(ec2, vpc_id):
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    names = {}
    for table in tables:
        tags = {tag["Key"]: tag["Value"] for tag in table.get("Tags") or []}
        if tags.get("cloudreactor:network") == NETWORK:
            names[tags["cloudreactor:table"]] = table
    return names


def ipv6_routes(table):
    return {
        route["DestinationIpv6CidrBlock"]: route.get("EgressOnlyInternetGatewayId")
        or route.get("NatGatewayId")
        or route.get("GatewayId")
        for route in table["Routes"]
        if route.get("DestinationIpv6CidrBlock") and route.get("GatewayId") != "local"
    }


def subnet_ipv6(subnet):
    live = [
        association["Ipv6CidrBlock"]
        for association in subnet.get("Ipv6CidrBlockAssociationSet") or []
        if association["Ipv6CidrBlockState"]["State"] not in ("disassociating", "disassociated")
    ]
    return live[0] if live else None


def vpc_ipv6(ec2, vpc_id):
    vpc = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    live = [
        association["Ipv6CidrBlock"]
        for association in vpc.get("Ipv6CidrBlockAssociationSet") or []
        if association["Ipv6CidrBlockState"]["State"] in ("associating", "associated")
    ]
    return live[0] if live else None


def without_ids(changes):
    """Change lines with the ids of what a run created replaced by what check mode says instead."""
    return [re.sub(r"eigw-[0-9a-f]+", "(new egress-only internet gateway)", change) for change in changes]


def task_egress(ec2, group_id):
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    return sorted(
        (rule["IpProtocol"], rule.get("FromPort"), rule.get("ToPort"), source.get("CidrIp") or source.get("CidrIpv6"))
        for rule in group["IpPermissionsEgress"]
        for source in rule.get("IpRanges", []) + rule.get("Ipv6Ranges", [])
    )


def our_eigws(ec2):
    return ec2.describe_egress_only_internet_gateways(
        Filters=[{"Name": "tag:cloudreactor:network", "Values": [NETWORK]}]
    )["EgressOnlyInternetGateways"]


def assert_dual_stack(ec2, network):
    """The independent checks of a dual-stack network, read from EC2."""
    block = ipaddress.ip_network(vpc_ipv6(ec2, network["vpc_id"]))
    assert block.prefixlen == 56 and network["ipv6_cidr"] == str(block)
    subnets = ec2.describe_subnets(SubnetIds=network["public_subnet_ids"] + network["private_subnet_ids"])["Subnets"]
    for subnet in subnets:
        cidr = ipaddress.ip_network(subnet_ipv6(subnet))
        assert cidr.prefixlen == 64 and cidr.subnet_of(block)
        assert subnet["AssignIpv6AddressOnCreation"] is True
    eigw = network["egress_only_internet_gateway_id"]
    assert [gateway["EgressOnlyInternetGatewayId"] for gateway in our_eigws(ec2)] == [eigw]
    tables = tables_by_name(ec2, network["vpc_id"])
    assert ipv6_routes(tables["public"]) == {"::/0": network["internet_gateway_id"]}
    for name, table in tables.items():
        if name.startswith("private-"):
            assert ipv6_routes(table) == {"::/0": eigw}
    assert ("tcp", 0, 65535, "::/0") in task_egress(ec2, network["security_group_id"])


def assert_no_ipv6(ec2, network):
    assert vpc_ipv6(ec2, network["vpc_id"]) is None
    subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [network["vpc_id"]]}])["Subnets"]
    assert [subnet_ipv6(subnet) for subnet in subnets] == [None] * len(subnets)
    assert not any(subnet["AssignIpv6AddressOnCreation"] for subnet in subnets)
    assert our_eigws(ec2) == []
    assert all(ipv6_routes(table) == {} for table in tables_by_name(ec2, network["vpc_id"]).values())
    assert task_egress(ec2, network["security_group_id"]) == [("tcp", 0, 65535, "0.0.0.0/0")]


def test_the_ipv4_network_makes_the_calls_it_made_before_ipv6(aws):
    with aws.recording() as cold:
        ok(run(aws))
    with aws.recording() as noop:
        again = ok(run(aws))
    assert (len(cold.actions), len(noop.actions)) == (IPV4_COLD_BUILD_CALLS, IPV4_NOOP_CALLS), sorted(cold.actions)
    assert IPV6_OPERATIONS.isdisjoint(cold.actions + noop.actions)
    assert (again["network"]["ip_mode"], again["network"]["egress_only_internet_gateway_id"]) == ("ipv4", None)


def test_dual_stack_from_scratch_audits_clean_and_a_rerun_changes_nothing(aws, ec2):
    built = ok(run(aws, ip_mode="dual_stack", **ONE_ZONE))
    assert_dual_stack(ec2, built["network"])
    assert built["audit"]["summary"]["errors"] == 0
    with aws.recording() as rec:
        again = ok(run(aws, ip_mode="dual_stack", **ONE_ZONE))
    assert (again["changes"], rec.mutations) == ([], [])
    assert len(rec.actions) == DUAL_STACK_NOOP_CALLS, sorted(rec.actions)
    assert again["network"] == built["network"] | {"findings": again["network"]["findings"]}


def test_ipv4_to_dual_stack_to_ipv4_replaces_no_subnet_keeps_ipv4_egress_and_leaves_nothing(aws, ec2):
    ipv4 = ok(run(aws, **ONE_ZONE))["network"]
    subnets = ipv4["public_subnet_ids"] + ipv4["private_subnet_ids"]

    with aws.recording() as check:
        planned = ok(run(aws, check_mode=True, ip_mode="dual_stack", **ONE_ZONE))
    assert check.mutations == []
    before = egress_snapshot(ec2, NETWORK)
    with aws.recording() as on:
        dual = ok(run(aws, ip_mode="dual_stack", **ONE_ZONE))
    assert planned["changes"] == without_ids(dual["changes"])
    assert dual["network"]["public_subnet_ids"] + dual["network"]["private_subnet_ids"] == subnets
    assert_dual_stack(ec2, dual["network"])
    assert_no_egress_gap(before, on)
    assert not {"CreateSubnet", "DeleteSubnet"} & set(on.actions)

    before = egress_snapshot(ec2, NETWORK)
    with aws.recording() as off:
        back = ok(run(aws, **ONE_ZONE))
    assert back["network"]["public_subnet_ids"] + back["network"]["private_subnet_ids"] == subnets
    assert_no_ipv6(ec2, back["network"])
    assert_no_egress_gap(before, off)
    assert not {"CreateSubnet", "DeleteSubnet"} & set(off.actions)
    # Routes first, the VPC's block last: no step leaves a route or address pointing at what is gone.
    order = [action for action in off.mutations if action != "CreateTags"]
    assert order.index("DeleteRoute") < order.index("DeleteEgressOnlyInternetGateway")
    assert order.index("DeleteEgressOnlyInternetGateway") < order.index("DisassociateSubnetCidrBlock")
    assert order[-1] == "DisassociateVpcCidrBlock"
    with aws.recording() as rec:
        assert ok(run(aws, **ONE_ZONE))["changes"] == []
    assert len(rec.actions) == IPV4_NOOP_CALLS


def test_ipv6_only_without_a_nat_gateway_is_refused_before_any_call(aws):
    with aws.recording() as rec:
        result = run(aws, ip_mode="ipv6_only", nat_gateways="none", option_prefix="fargate_network_")
    assert result["failed"]
    assert result["msg"].startswith("fargate_network_ip_mode: ipv6_only needs a NAT gateway"), result["msg"]
    assert "fargate_network_nat_gateways is none" in result["msg"]
    assert rec.actions == []


def test_dual_stack_in_an_adopted_vpc_without_ipv6_is_refused_before_any_change(aws, ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    with aws.recording() as rec:
        result = run(aws, vpc_id=vpc_id, ip_mode="dual_stack", option_prefix="fargate_network_", **ONE_ZONE)
    assert result["failed"]
    assert result["msg"].startswith(f"fargate_network_ip_mode: dual_stack needs an IPv6 CIDR on the VPC, and {vpc_id}")
    assert rec.mutations == []


@pytest.fixture
def dual_stack(aws, ec2):
    return ok(run(aws, ip_mode="dual_stack", **ONE_ZONE))["network"]


def test_ipv6_only_builds_new_task_subnets_and_removes_the_private_ones_once_free(aws, ec2, dual_stack):
    private_id = dual_stack["private_subnet_ids"][0]
    interface = ec2.create_network_interface(SubnetId=private_id)["NetworkInterface"]["NetworkInterfaceId"]

    with aws.recording() as check:
        planned = ok(run(aws, check_mode=True, ip_mode="ipv6_only", **ONE_ZONE))
    assert check.mutations == []
    assert planned["changes"][0] == "created ipv6-only us-east-1a subnet"
    assert planned["changes"][-2:] == [
        "then route ::/0 to the egress-only internet gateway, and NAT64's 64:ff9b::/96 to the NAT gateways",
        f"then keep subnet {private_id}: no longer used, but it still has network interfaces",
    ]
    before = egress_snapshot(ec2, NETWORK)
    with aws.recording() as rec:
        moved = ok(run(aws, ip_mode="ipv6_only", **ONE_ZONE))
    network = moved["network"]
    assert moved["audit"]["summary"]["errors"] == 0, moved["audit"]["findings"]
    assert_no_egress_gap(before, rec)
    assert "ReplaceRoute" not in rec.actions and "DeleteRoute" not in rec.actions  # ::/0 and 0.0.0.0/0 stay
    assert network["task_subnet_ids"] == network["ipv6_only_subnet_ids"] != []
    assert network["retained_subnet_ids"] == [private_id]
    assert f"kept subnet {private_id}: no longer used, but it still has network interfaces" in moved["changes"]

    task_subnet = ec2.describe_subnets(SubnetIds=network["task_subnet_ids"])["Subnets"][0]
    assert task_subnet["Ipv6Native"] is True and "CidrBlock" not in task_subnet
    assert ipaddress.ip_network(subnet_ipv6(task_subnet)).subnet_of(ipaddress.ip_network(network["ipv6_cidr"]))
    table = tables_by_name(ec2, network["vpc_id"])["private-us-east-1a"]
    assert ipv6_routes(table) == {
        "::/0": network["egress_only_internet_gateway_id"],
        "64:ff9b::/96": network["nat_gateway_ids"][0],
    }
    assert {association.get("SubnetId") for association in table["Associations"]} == {
        private_id,
        task_subnet["SubnetId"],
    }

    ec2.delete_network_interface(NetworkInterfaceId=interface)
    freed = ok(run(aws, ip_mode="ipv6_only", **ONE_ZONE))
    assert freed["changes"] == [f"deleted subnet {private_id} (no longer used, and free)"]
    assert freed["network"]["retained_subnet_ids"] == []
    with aws.recording() as rec:
        again = ok(run(aws, ip_mode="ipv6_only", **ONE_ZONE))
    assert (again["changes"], rec.mutations) == ([], [])
    assert ec2.describe_subnets(SubnetIds=network["task_subnet_ids"])["Subnets"][0]["EnableDns64"] is True


def test_teardown_removes_the_egress_only_gateway_and_the_ipv6_routes(aws, ec2, dual_stack):
    removed = ok(run(aws, state="absent"))
    assert f"deleted egress-only internet gateway {dual_stack['egress_only_internet_gateway_id']}" in removed["changes"]
    assert our_eigws(ec2) == []
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:cloudreactor:network", "Values": [NETWORK]}])["Vpcs"] == []


@pytest.mark.parametrize("nat_gateways", ["single", "regional"])
def test_ipv6_only_from_scratch_audits_clean_and_a_rerun_changes_nothing(aws, ec2, nat_gateways):
    params = {"ip_mode": "ipv6_only", "az_count": 1, "nat_gateways": nat_gateways}
    built = ok(run(aws, **params))
    network = built["network"]
    assert built["audit"]["summary"]["errors"] == 0, built["audit"]["findings"]
    assert network["private_subnet_ids"] == [] and network["task_subnet_ids"] == network["ipv6_only_subnet_ids"]
    (task_subnet,) = ec2.describe_subnets(SubnetIds=network["task_subnet_ids"])["Subnets"]
    assert (task_subnet["Ipv6Native"], task_subnet["EnableDns64"], task_subnet["AssignIpv6AddressOnCreation"]) == (
        True,
        True,
        True,
    )
    tables = tables_by_name(ec2, network["vpc_id"])
    assert ipv6_routes(tables["public"]) == {"::/0": network["internet_gateway_id"]}
    assert ipv6_routes(tables["private-us-east-1a"]) == {
        "::/0": network["egress_only_internet_gateway_id"],
        "64:ff9b::/96": network["nat_gateway_ids"][0],
    }
    (nat,) = ec2.describe_nat_gateways(NatGatewayIds=network["nat_gateway_ids"])["NatGateways"]
    assert nat.get("AvailabilityMode", "zonal") == ("regional" if nat_gateways == "regional" else "zonal")
    with aws.recording() as rec:
        again = ok(run(aws, **params))
    assert (again["changes"], rec.mutations) == ([], [])


def test_a_lost_answer_of_the_egress_only_gateways_create_makes_one_gateway(aws, ec2):
    with AwsProxy(aws.endpoint_url, LoseAnswer("CreateEgressOnlyInternetGateway")) as proxy:
        built = ok(run(aws, endpoint_url=proxy.endpoint_url, ip_mode="dual_stack", **ONE_ZONE))
    assert proxy.lost == ["CreateEgressOnlyInternetGateway"]
    assert proxy.forwarded.count("CreateEgressOnlyInternetGateway") == 1
    assert [gateway["EgressOnlyInternetGatewayId"] for gateway in our_eigws(ec2)] == [
        built["network"]["egress_only_internet_gateway_id"]
    ]


def test_teardown_of_an_ipv6_only_network_leaves_nothing(aws, ec2):
    ok(run(aws, ip_mode="ipv6_only", audit=False, **ONE_ZONE))
    ok(run(aws, state="absent"))
    assert our_eigws(ec2) == []
    assert ec2.describe_subnets(Filters=[{"Name": "tag:cloudreactor:network", "Values": [NETWORK]}])["Subnets"] == []
    assert ec2.describe_vpcs(Filters=[{"Name": "tag:cloudreactor:network", "Values": [NETWORK]}])["Vpcs"] == []


def test_back_to_ipv4_without_nat_gateways_also_clears_the_private_tables_kept_for_a_switch_back(aws, ec2):
    ok(run(aws, ip_mode="dual_stack", **ONE_ZONE))
    public_only = ok(run(aws, ip_mode="dual_stack", az_count=1, nat_gateways="none"))["network"]
    assert ipv6_routes(tables_by_name(ec2, public_only["vpc_id"])["private-us-east-1a"]) != {}
    back = ok(run(aws, az_count=1, nat_gateways="none"))
    assert (
        "route table private-us-east-1a: deleted route ::/0 -> " + public_only["egress_only_internet_gateway_id"]
        in back["changes"]
    )
    assert_no_ipv6(ec2, back["network"])
