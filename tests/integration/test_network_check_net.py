"""cloudreactor.aws.network_check: the network builders every network_check test uses, and the healthy network.

A correctly built public + private network (two AZs, one NAT gateway per AZ, DNS attributes on, default ACLs,
allow-all egress) must give zero errors and zero warnings, whichever way it is audited. The other
test_network_check_* files break that network in one way each and assert exactly the expected codes.
"""

from collections import Counter
from types import SimpleNamespace

import pytest
from module_runner import run_module

ZONES = ("us-east-1a", "us-east-1b")
NETWORK = "tasks-test"


# -- builders ----------------------------------------------------------------------------------------------------


def tags(**values):
    return [{"Key": key, "Value": value} for key, value in values.items()]


def spec(resource_type, **values):
    return [{"ResourceType": resource_type, "Tags": tags(**values)}]


def create_vpc(ec2, cidr="10.0.0.0/16", dns=True, hostnames=True):
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": dns})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": hostnames})
    return vpc


def create_subnet(ec2, vpc, cidr, zone, name=None, **kwargs):
    if name:
        kwargs["TagSpecifications"] = spec("subnet", Name=name)
    return ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone, **kwargs)["Subnet"]["SubnetId"]


def create_table(ec2, vpc, subnets=(), default=None):
    """A route table associated with ``subnets``; ``default``: ``{"GatewayId": ...}`` / ``{"NatGatewayId": ...}``."""
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    if default:
        ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", **default)
    return table


def create_nat(ec2, subnet, **kwargs):
    allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
    return ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocation, **kwargs)["NatGateway"]["NatGatewayId"]


def build_network(ec2, zones=ZONES, *, cidr_prefix="10.0", nats="per_az", igw=True, dns=True, hostnames=True):
    """VPC ``<prefix>.0.0/16``: per zone a public /24 (``.<i>.0``) and a private /24 (``.<100+i>.0``) named like the
    CloudReactor wizard; one public route table to the internet gateway; per zone a private route table to the NAT
    gateway of that zone (``nats="per_az"``), all to the first zone's NAT (``"single"``), or no NAT (``"none"``)."""
    vpc = create_vpc(ec2, f"{cidr_prefix}.0.0/16", dns=dns, hostnames=hostnames)
    net = SimpleNamespace(vpc=vpc, zones=list(zones), igw=None, public={}, private={}, private_rtb={}, nat={})
    if igw:
        net.igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=net.igw, VpcId=vpc)
    for index, zone in enumerate(zones):
        letter = zone[-1]
        net.public[zone] = create_subnet(ec2, vpc, f"{cidr_prefix}.{index}.0/24", zone, name=f"{letter} public")
        net.private[zone] = create_subnet(ec2, vpc, f"{cidr_prefix}.{100 + index}.0/24", zone, name=f"{letter} private")
    net.public_rtb = create_table(ec2, vpc, net.public.values(), {"GatewayId": net.igw} if net.igw else None)
    if nats == "per_az":
        net.nat = {zone: create_nat(ec2, net.public[zone]) for zone in zones}
    elif nats == "single":
        net.nat = {zones[0]: create_nat(ec2, net.public[zones[0]])}
    for zone in zones:
        nat = net.nat.get(zone) or net.nat.get(zones[0])
        net.private_rtb[zone] = create_table(ec2, vpc, [net.private[zone]], {"NatGatewayId": nat} if nat else None)
    net.sg = ec2.create_security_group(GroupName="tasks", Description="ECS tasks with no ingress", VpcId=vpc)["GroupId"]
    return net


def private_subnets(net):
    return [net.private[zone] for zone in net.zones]


def public_subnets(net):
    return [net.public[zone] for zone in net.zones]


def default_acl(ec2, vpc):
    acls = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}]
    )
    return acls["NetworkAcls"][0]["NetworkAclId"]


# -- running the module --------------------------------------------------------------------------------------------


def run_check(aws, check_mode=False, **params):
    return run_module("network_check", {**aws.module_params(), **params}, check_mode=check_mode)


def task_params(net, subnets=None, assign_public_ip=False, **params):
    return {
        "subnet_ids": subnets if subnets is not None else private_subnets(net),
        "security_group_ids": [net.sg],
        "assign_public_ip": assign_public_ip,
        "fail_on": "never",
        **params,
    }


def codes(result):
    return {finding["code"] for finding in result["findings"]}


def findings_of(result, code):
    return [finding for finding in result["findings"] if finding["code"] == code]


def assert_only(result, *expected):
    """Exactly the codes ``expected`` were found (the test's own broken condition, and nothing else)."""
    assert "findings" in result, result.get("msg")
    assert codes(result) == set(expected), [(f["code"], f["message"]) for f in result["findings"]]


# -- the healthy network ------------------------------------------------------------------------------------------


@pytest.fixture
def net(ec2):
    return build_network(ec2)


def test_healthy_network_audited_by_vpc_has_no_errors_or_warnings(aws, net):
    result = run_check(aws, vpc_id=net.vpc)

    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False
    assert result["findings"] == []
    summary = result["summary"]
    assert (summary["errors"], summary["warnings"], summary["info"], summary["ok"]) == (0, 0, 0, True)
    assert summary["subnets"] == 4 and summary["vpc_ids"] == [net.vpc]
    kinds = {subnet["subnet_id"]: subnet["kind"] for subnet in result["subnets"]}
    assert kinds == {
        **dict.fromkeys(public_subnets(net), "public"),
        **dict.fromkeys(private_subnets(net), "private_nat"),
    }
    assert all(subnet["reaches_internet"] and subnet["can_pull_image"] for subnet in result["subnets"])


def test_healthy_private_subnets_as_task_settings_have_no_findings(aws, net):
    result = run_check(aws, **task_params(net, fail_on="warning"))

    assert not result.get("failed"), result.get("msg")
    assert_only(result)
    assert [subnet["subnet_id"] for subnet in result["subnets"]] == private_subnets(net)


def test_healthy_public_subnets_with_public_ip_have_no_findings(aws, net):
    result = run_check(aws, **task_params(net, public_subnets(net), assign_public_ip=True, fail_on="warning"))

    assert not result.get("failed"), result.get("msg")
    assert_only(result)
    assert {subnet["kind"] for subnet in result["subnets"]} == {"public"}


def test_egress_path_lists_every_hop_with_state_and_health(aws, net):
    zone = net.zones[0]
    result = run_check(aws, **task_params(net, [net.private[zone]]))

    (subnet,) = result["subnets"]
    assert subnet["route_table_id"] == net.private_rtb[zone]
    assert subnet["route_table_association"] == "explicit"
    assert subnet["availability_zone"] == zone
    assert subnet["network_acl_id"].startswith("acl-")
    hops = [(hop["type"], hop["id"], hop["state"], hop["healthy"]) for hop in subnet["egress_path"]]
    assert hops == [
        ("subnet", net.private[zone], "available", True),
        ("route_table", net.private_rtb[zone], "active", True),
        ("nat_gateway", net.nat[zone], "available", True),
        ("subnet", net.public[zone], "available", True),
        ("route_table", net.public_rtb, "active", True),
        ("internet_gateway", net.igw, "available", True),
    ]


def test_subnet_without_explicit_association_uses_the_vpc_main_table(aws, ec2, net):
    extra = create_subnet(ec2, net.vpc, "10.0.200.0/24", net.zones[0])

    result = run_check(aws, **task_params(net, [extra]))

    (subnet,) = result["subnets"]
    assert subnet["route_table_association"] == "main"
    assert subnet["kind"] == "isolated"  # the main table of a new VPC has only the local route
    assert_only(result, "NO_INTERNET_FOR_CLOUDREACTOR", "SINGLE_AZ")


def test_audit_is_read_only_in_check_mode_and_normal_mode(aws, net):
    for check_mode in (True, False):
        with aws.recording() as rec:
            result = run_check(aws, check_mode=check_mode, vpc_id=net.vpc)
        assert result["changed"] is False
        assert rec.mutations == []
        assert rec.reads, "the audit must read the network"


def test_vpc_audit_describe_calls(aws, net):
    with aws.recording() as rec:
        run_check(aws, vpc_id=net.vpc)

    assert sorted(rec.reads) == sorted(
        [
            "DescribeVpcs",
            "DescribeVpcAttribute",
            "DescribeVpcAttribute",
            "DescribeSubnets",
            "DescribeRouteTables",
            "DescribeInternetGateways",
            "DescribeNatGateways",
            "DescribeAddresses",
            "DescribeNetworkAcls",
            "DescribeVpcEndpoints",
        ]
    )


def test_cost_of_nat_gateways_and_their_addresses(aws, net):
    result = run_check(aws, vpc_id=net.vpc)

    cost = result["summary"]["monthly_cost"]
    assert (cost["nat_gateways"], cost["public_ipv4_addresses"], cost["interface_endpoint_azs"]) == (2, 2, 0)
    assert cost["nat_gateways_usd"] == pytest.approx(2 * 0.045 * 730)
    assert cost["public_ipv4_usd"] == pytest.approx(2 * 0.005 * 730)
    assert cost["total_usd"] == pytest.approx(2 * 0.045 * 730 + 2 * 0.005 * 730)


def test_task_audit_describe_calls(aws, net):
    with aws.recording() as rec:
        run_check(aws, **task_params(net))

    # The task's subnets by id, then the whole VPC (the NAT gateways' subnets too), and the task security groups.
    assert Counter(rec.reads) == Counter(
        {
            "DescribeSubnets": 2,
            "DescribeVpcAttribute": 2,
            "DescribeVpcs": 1,
            "DescribeRouteTables": 1,
            "DescribeInternetGateways": 1,
            "DescribeNatGateways": 1,
            "DescribeAddresses": 1,
            "DescribeNetworkAcls": 1,
            "DescribeVpcEndpoints": 1,
            "DescribeSecurityGroups": 1,
        }
    )
