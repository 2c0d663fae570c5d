"""network_check, IPv6: dual-stack task subnets (::/0 to an egress-only gateway) and IPv6-only ones (::/0, DNS64,
NAT64 to the zone's NAT gateway). Each test breaks a healthy dual-stack or IPv6-only network one way on the
emulator, in task context (the task's subnets and security group) and where it applies in VPC context."""

import ipaddress
from collections import Counter

import pytest
from support.network_check_helpers import (
    assert_only,
    build_network,
    create_table,
    default_acl,
    findings_of,
    private_subnets,
    public_subnets,
    run_check,
    task_params,
)

ALL_IPV6 = "::/0"
NAT64 = "64:ff9b::/96"


def build_ipv6_network(ec2, *, ipv6_only=False):
    """The healthy two-zone network of build_network, made dual-stack: the VPC gets an Amazon /56, the public
    subnets a /64 each with ::/0 to the internet gateway, an egress-only internet gateway, and the task security
    group all outbound over IPv6. Dual-stack: the private subnets get a /64 each, their tables ::/0 to the egress-only
    gateway. IPv6-only: a new IPv6-native subnet per zone (DNS64 on) with its own table, ::/0 to the egress-only
    gateway and 64:ff9b::/96 to the zone's NAT gateway; ``net.tasks`` are the task subnets either way."""
    net = build_network(ec2)
    association = ec2.associate_vpc_cidr_block(VpcId=net.vpc, AmazonProvidedIpv6CidrBlock=True)
    blocks = iter(ipaddress.ip_network(association["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"]).subnets(64))
    net.eigw = ec2.create_egress_only_internet_gateway(VpcId=net.vpc)["EgressOnlyInternetGateway"][
        "EgressOnlyInternetGatewayId"
    ]
    for subnet in public_subnets(net):
        ec2.associate_subnet_cidr_block(SubnetId=subnet, Ipv6CidrBlock=str(next(blocks)))
    ec2.create_route(RouteTableId=net.public_rtb, DestinationIpv6CidrBlock=ALL_IPV6, GatewayId=net.igw)
    ec2.authorize_security_group_egress(
        GroupId=net.sg, IpPermissions=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": ALL_IPV6}]}]
    )
    net.native, net.native_rtb = {}, {}
    for zone in net.zones:
        if ipv6_only:
            subnet = ec2.create_subnet(
                VpcId=net.vpc, Ipv6Native=True, Ipv6CidrBlock=str(next(blocks)), AvailabilityZone=zone
            )["Subnet"]["SubnetId"]
            ec2.modify_subnet_attribute(SubnetId=subnet, EnableDns64={"Value": True})
            table = create_table(ec2, net.vpc, [subnet])
            ec2.create_route(RouteTableId=table, DestinationIpv6CidrBlock=NAT64, NatGatewayId=net.nat[zone])
            net.native[zone], net.native_rtb[zone] = subnet, table
        else:
            ec2.associate_subnet_cidr_block(SubnetId=net.private[zone], Ipv6CidrBlock=str(next(blocks)))
            table = net.private_rtb[zone]
        ec2.create_route(RouteTableId=table, DestinationIpv6CidrBlock=ALL_IPV6, EgressOnlyInternetGatewayId=net.eigw)
    net.tasks = [net.native[zone] for zone in net.zones] if ipv6_only else private_subnets(net)
    net.task_rtb = net.native_rtb if ipv6_only else net.private_rtb
    return net


@pytest.fixture
def dual(ec2):
    return build_ipv6_network(ec2)


@pytest.fixture
def native(ec2):
    return build_ipv6_network(ec2, ipv6_only=True)


def by_subnet(result):
    return {subnet["subnet_id"]: subnet for subnet in result["subnets"]}


# -- healthy ----------------------------------------------------------------------------------------------------------


def test_dual_stack_network_is_clean_with_its_ipv6_path(aws, dual):
    result = run_check(aws, **task_params(dual, dual.tasks))

    assert_only(result)
    for subnet in result["subnets"]:
        assert subnet["kind"] == "private_nat" and subnet["ipv6_native"] is False
        assert subnet["reaches_internet"] and subnet["reaches_internet_ipv6"]
        hops = [(hop["type"], hop["healthy"]) for hop in subnet["ipv6_egress_path"]]
        assert hops == [("subnet", True), ("route_table", True), ("egress_only_internet_gateway", True)]
        assert subnet["ipv6_egress_path"][-1]["id"] == dual.eigw
    cost = result["summary"]["monthly_cost"]
    assert (cost["egress_only_gateways"], cost["egress_only_gateways_usd"], cost["ipv6_task_subnets"]) == (1, 0.0, 2)


def test_ipv6_only_network_is_clean_and_reaches_ipv4_through_nat64(aws, native):
    result = run_check(aws, **task_params(native, native.tasks))

    assert_only(result)
    for zone in native.zones:
        subnet = by_subnet(result)[native.native[zone]]
        assert (subnet["kind"], subnet["ipv6_native"], subnet["cidr_block"]) == ("ipv6_only", True, None)
        assert subnet["reaches_internet"] and subnet["can_pull_image"] and subnet["reaches_internet_ipv6"]
        nat_hop = subnet["egress_path"][2]
        assert (nat_hop["type"], nat_hop["id"]) == ("nat_gateway", native.nat[zone])
        assert NAT64 in subnet["egress_path"][1]["detail"]


@pytest.mark.parametrize("ipv6_only", [False, True], ids=["dual_stack", "ipv6_only"])
def test_vpc_context_is_clean(aws, ec2, ipv6_only):
    net = build_ipv6_network(ec2, ipv6_only=ipv6_only)

    assert_only(run_check(aws, vpc_id=net.vpc, fail_on="never"))


def test_ipv4_network_makes_no_egress_only_gateway_call_and_ipv6_exactly_one(aws, ec2):
    ipv4 = build_network(ec2, cidr_prefix="10.1")
    with aws.recording() as ipv4_run:
        run_check(aws, **task_params(ipv4))
    dual = build_ipv6_network(ec2)
    with aws.recording() as ipv6_run:
        run_check(aws, **task_params(dual, dual.tasks))

    assert ipv4_run.count("DescribeEgressOnlyInternetGateways") == 0
    assert Counter(ipv6_run.reads) - Counter(ipv4_run.reads) == Counter({"DescribeEgressOnlyInternetGateways": 1})


# -- routes and the egress-only gateway ---------------------------------------------------------------------------


def test_dual_stack_table_without_ipv6_default_route(aws, ec2, dual):
    zone = dual.zones[0]
    ec2.delete_route(RouteTableId=dual.private_rtb[zone], DestinationIpv6CidrBlock=ALL_IPV6)

    for params in (task_params(dual, dual.tasks), {"vpc_id": dual.vpc, "fail_on": "never"}):
        result = run_check(aws, **params)
        assert_only(result, "IPV6_ROUTE_MISSING")
        (finding,) = findings_of(result, "IPV6_ROUTE_MISSING")
        assert (finding["resource_id"], finding["subnet_ids"]) == (dual.private_rtb[zone], [dual.private[zone]])
        assert finding["severity"] == "warning"
        assert f"--egress-only-internet-gateway-id {dual.eigw}" in finding["remediation"]
        assert "create-route" in finding["remediation"]
        subnet = by_subnet(result)[dual.private[zone]]
        assert subnet["reaches_internet"] is True and subnet["reaches_internet_ipv6"] is False


def test_deleted_egress_only_gateway_breaks_dual_stack_ipv6(aws, ec2, dual):
    ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=dual.eigw)

    result = run_check(aws, **task_params(dual, dual.tasks))

    # The blackhole ::/0 routes are IPV6_ROUTE_MISSING, not also ROUTE_BLACKHOLE.
    assert_only(result, "IPV6_ROUTE_MISSING", "EGRESS_ONLY_GATEWAY_MISSING")
    (gateway,) = findings_of(result, "EGRESS_ONLY_GATEWAY_MISSING")
    assert gateway["resource_id"] == dual.vpc and sorted(gateway["subnet_ids"]) == sorted(dual.tasks)
    assert "blackhole" in findings_of(result, "IPV6_ROUTE_MISSING")[0]["message"]
    assert "create-egress-only-internet-gateway" in findings_of(result, "IPV6_ROUTE_MISSING")[0]["remediation"]
    for subnet in result["subnets"]:
        assert subnet["ipv6_egress_path"][-1]["healthy"] is False


def test_public_dual_stack_subnet_routes_ipv6_to_the_internet_gateway(aws, ec2, dual):
    ec2.delete_route(RouteTableId=dual.public_rtb, DestinationIpv6CidrBlock=ALL_IPV6)

    result = run_check(aws, **task_params(dual, public_subnets(dual), assign_public_ip=True))

    assert_only(result, "IPV6_ROUTE_MISSING")
    assert f"--gateway-id {dual.igw}" in findings_of(result, "IPV6_ROUTE_MISSING")[0]["remediation"]


def test_ipv6_only_table_without_ipv6_default_route(aws, ec2, native):
    zone = native.zones[1]
    ec2.delete_route(RouteTableId=native.native_rtb[zone], DestinationIpv6CidrBlock=ALL_IPV6)

    result = run_check(aws, **task_params(native, native.tasks))

    assert_only(result, "IPV6_ONLY_ROUTE_MISSING")
    (finding,) = findings_of(result, "IPV6_ONLY_ROUTE_MISSING")
    assert (finding["severity"], finding["resource_id"]) == ("error", native.native_rtb[zone])
    assert by_subnet(result)[native.native[zone]]["reaches_internet"] is False


def test_deleted_egress_only_gateway_cuts_ipv6_only_subnets_off(aws, ec2, native):
    ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=native.eigw)

    for params in (task_params(native, native.tasks), {"vpc_id": native.vpc, "fail_on": "never"}):
        result = run_check(aws, **params)
        assert_only(result, "IPV6_ONLY_ROUTE_MISSING", "EGRESS_ONLY_GATEWAY_MISSING")
        assert result["summary"]["ok"] is False


# -- DNS64 and NAT64 ----------------------------------------------------------------------------------------------


def test_ipv6_only_subnet_with_dns64_off(aws, ec2, native):
    subnet = native.native[native.zones[0]]
    ec2.modify_subnet_attribute(SubnetId=subnet, EnableDns64={"Value": False})

    for params in (task_params(native, native.tasks), {"vpc_id": native.vpc, "fail_on": "never"}):
        result = run_check(aws, **params)
        assert_only(result, "DNS64_DISABLED")
        (finding,) = findings_of(result, "DNS64_DISABLED")
        assert finding["resource_id"] == subnet and "--enable-dns64" in finding["remediation"]
        assert by_subnet(result)[subnet]["reaches_internet"] is False


def test_ipv6_only_table_without_nat64_route(aws, ec2, native):
    zone = native.zones[0]
    ec2.delete_route(RouteTableId=native.native_rtb[zone], DestinationIpv6CidrBlock=NAT64)

    result = run_check(aws, **task_params(native, native.tasks))

    assert_only(result, "NAT64_ROUTE_MISSING")
    (finding,) = findings_of(result, "NAT64_ROUTE_MISSING")
    assert finding["resource_id"] == native.native_rtb[zone]
    assert f"create-route --route-table-id {native.native_rtb[zone]}" in finding["remediation"]
    assert f"--nat-gateway-id {native.nat[zone]}" in finding["remediation"]


def test_nat64_route_to_a_deleted_nat(aws, ec2, native):
    zone = native.zones[0]
    ec2.delete_nat_gateway(NatGatewayId=native.nat[zone])

    result = run_check(aws, **task_params(native, native.tasks))

    assert_only(result, "NAT64_ROUTE_MISSING")
    (finding,) = findings_of(result, "NAT64_ROUTE_MISSING")
    assert f"NAT gateway {native.nat[zone]}, which is deleted" in finding["message"]
    # No other NAT gateway in the zone: the fix says to make one.
    assert finding["remediation"].startswith(f"Create a public NAT gateway in a public subnet of {zone}")
    nat_hop = by_subnet(result)[native.native[zone]]["egress_path"][2]
    assert (nat_hop["state"], nat_hop["healthy"]) == ("deleted", False)


# -- security group and network ACL -------------------------------------------------------------------------------


def revoke_ipv6_egress(ec2, group_id):
    ec2.revoke_security_group_egress(
        GroupId=group_id, IpPermissions=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": ALL_IPV6}]}]
    )


def test_dual_stack_task_security_group_without_ipv6_egress(aws, ec2, dual):
    revoke_ipv6_egress(ec2, dual.sg)

    result = run_check(aws, **task_params(dual, dual.tasks))

    assert_only(result, "SG_NO_IPV6_EGRESS")
    (finding,) = findings_of(result, "SG_NO_IPV6_EGRESS")
    assert finding["severity"] == "warning" and "CidrIpv6=::/0" in finding["remediation"]


def test_ipv6_only_task_security_group_without_ipv6_egress(aws, ec2, native):
    revoke_ipv6_egress(ec2, native.sg)

    result = run_check(aws, **task_params(native, native.tasks))

    # Its IPv4 rule (0.0.0.0/0) does not help a task that has no IPv4.
    assert_only(result, "SG_NO_HTTPS_EGRESS")
    assert "to ::/0" in findings_of(result, "SG_NO_HTTPS_EGRESS")[0]["message"]


def deny_ipv6(ec2, acl_id, egress, rule_number=50, ports=(443, 443)):
    ec2.create_network_acl_entry(
        NetworkAclId=acl_id,
        RuleNumber=rule_number,
        Protocol="6",
        RuleAction="deny",
        Egress=egress,
        Ipv6CidrBlock=ALL_IPV6,
        PortRange={"From": ports[0], "To": ports[1]},
    )


def test_dual_stack_acl_denying_ipv6_https(aws, ec2, dual):
    acl = default_acl(ec2, dual.vpc)
    deny_ipv6(ec2, acl, egress=True)

    result = run_check(aws, **task_params(dual, dual.tasks))

    assert_only(result, "NACL_BLOCKS_IPV6_EGRESS")
    (finding,) = findings_of(result, "NACL_BLOCKS_IPV6_EGRESS")
    assert finding["resource_id"] == acl and "rule 50" in finding["message"]


def test_dual_stack_acl_without_the_ipv6_allow_falls_to_rule_32768(aws, ec2, dual):
    acl = default_acl(ec2, dual.vpc)
    ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=101, Egress=False)

    result = run_check(aws, **task_params(dual, dual.tasks))

    assert_only(result, "NACL_BLOCKS_IPV6_EGRESS")
    message = findings_of(result, "NACL_BLOCKS_IPV6_EGRESS")[0]["message"]
    assert "inbound TCP 1024-65535 from ::/0 (the final * deny (32768))" in message


def test_ipv6_only_acl_denying_https_to_the_ipv6_internet(aws, ec2, native):
    acl = ec2.create_network_acl(VpcId=native.vpc)["NetworkAcl"]["NetworkAclId"]
    for egress in (True, False):
        ec2.create_network_acl_entry(
            NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=egress, Ipv6CidrBlock=ALL_IPV6
        )
    deny_ipv6(ec2, acl, egress=True)
    subnet = native.native[native.zones[0]]
    current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
    (association,) = [item for item in current["NetworkAcls"][0]["Associations"] if item["SubnetId"] == subnet]
    ec2.replace_network_acl_association(AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl)

    result = run_check(aws, **task_params(native, native.tasks))

    assert_only(result, "NACL_BLOCKS_HTTPS_EGRESS")
    (finding,) = findings_of(result, "NACL_BLOCKS_HTTPS_EGRESS")
    assert finding["resource_id"] == acl and "to ::/0" in finding["message"]


# -- the report ---------------------------------------------------------------------------------------------------


def test_report_shows_the_ipv6_path_beside_the_ipv4_one_and_what_moves_off_the_nat(aws, tmp_path, native):
    path = tmp_path / "report.md"
    tasks = native.tasks + private_subnets(native)

    run_check(aws, **task_params(native, tasks), report_path=str(path))

    text = path.read_text(encoding="utf-8")
    assert "| IPv6 CIDR | IPv6 path (::/0) | IPv6 internet |" in text
    assert "none (IPv6-only)" in text
    diagram = text.split("```mermaid", 1)[1].split("```", 1)[0]
    assert f"|{NAT64}|" in diagram and f"|{ALL_IPV6}|" in diagram and "|0.0.0.0/0|" in diagram
    assert "egress-only internet gateway" in diagram
    assert "| Egress-only internet gateways | 1 | 0.00 |" in text
    assert "$0.045 per GB processed" in text and "saves $4.50" in text


def test_ipv4_report_has_no_ipv6_columns(aws, tmp_path, net):
    path = tmp_path / "report.md"

    run_check(aws, **task_params(net), report_path=str(path))

    text = path.read_text(encoding="utf-8")
    assert "IPv6" not in text and "::/0" not in text


def test_shared_route_table_edge_carries_both_labels(aws, ec2, tmp_path, dual):
    path = tmp_path / "report.md"

    run_check(aws, **task_params(dual, public_subnets(dual), assign_public_ip=True), report_path=str(path))

    diagram = path.read_text(encoding="utf-8").split("```mermaid", 1)[1]
    assert "|0.0.0.0/0, ::/0|" in diagram
