"""network_check, routes: blackholes, dead NAT targets, targets it cannot follow, the subnet kind against
assign_public_ip, subnets without a way out. Each test breaks the healthy network one way on the emulator."""

from support.network_check_helpers import (
    assert_only,
    build_network,
    create_subnet,
    create_table,
    findings_of,
    private_subnets,
    public_subnets,
    run_check,
    task_params,
)


def test_blackhole_route_to_a_deleted_nat_that_is_not_the_default_route(aws, ec2, net):
    zone = net.zones[0]
    extra_nat = ec2.create_nat_gateway(
        SubnetId=net.public[zone], AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"]
    )["NatGateway"]["NatGatewayId"]
    ec2.create_route(RouteTableId=net.private_rtb[zone], DestinationCidrBlock="192.168.0.0/16", NatGatewayId=extra_nat)
    ec2.delete_nat_gateway(NatGatewayId=extra_nat)

    result = run_check(aws, **task_params(net))

    assert_only(result, "ROUTE_BLACKHOLE")
    (finding,) = findings_of(result, "ROUTE_BLACKHOLE")
    assert finding["resource_id"] == net.private_rtb[zone]
    assert "192.168.0.0/16" in finding["message"] and extra_nat in finding["message"]
    assert finding["subnet_ids"] == [net.private[zone]]
    # The default route still works: the subnet reaches the internet.
    assert all(subnet["reaches_internet"] for subnet in result["subnets"])


def test_detached_internet_gateway_blackholes_public_routes(aws, ec2, net):
    ec2.detach_internet_gateway(InternetGatewayId=net.igw, VpcId=net.vpc)

    result = run_check(aws, **task_params(net, public_subnets(net), assign_public_ip=True))

    assert_only(result, "ROUTE_BLACKHOLE", "IGW_MISSING")
    (blackhole,) = findings_of(result, "ROUTE_BLACKHOLE")
    assert blackhole["resource_id"] == net.public_rtb
    assert sorted(blackhole["subnet_ids"]) == sorted(public_subnets(net))
    for subnet in result["subnets"]:
        igw_hop = subnet["egress_path"][-1]
        assert (igw_hop["type"], igw_hop["id"], igw_hop["healthy"]) == ("internet_gateway", net.igw, False)
        assert subnet["reaches_internet"] is False


def test_vpc_without_internet_gateway(aws, ec2):
    net = build_network(ec2, igw=False, nats="none")

    result = run_check(aws, **task_params(net))

    assert_only(result, "IGW_MISSING", "NO_INTERNET_FOR_CLOUDREACTOR")
    assert findings_of(result, "IGW_MISSING")[0]["resource_id"] == net.vpc


def test_default_route_to_a_deleted_nat(aws, ec2, net):
    zone = net.zones[0]
    ec2.delete_nat_gateway(NatGatewayId=net.nat[zone])

    result = run_check(aws, **task_params(net))

    # A route to a dead NAT is reported once, as ROUTE_DEAD_NAT (not also as a blackhole).
    assert_only(result, "ROUTE_DEAD_NAT")
    (finding,) = findings_of(result, "ROUTE_DEAD_NAT")
    assert finding["resource_id"] == net.private_rtb[zone]
    assert finding["subnet_ids"] == [net.private[zone]]
    assert net.nat[zone] in finding["message"]
    by_id = {subnet["subnet_id"]: subnet for subnet in result["subnets"]}
    nat_hop = by_id[net.private[zone]]["egress_path"][2]
    assert (nat_hop["type"], nat_hop["state"], nat_hop["healthy"]) == ("nat_gateway", "deleted", False)
    assert by_id[net.private[zone]]["reaches_internet"] is False
    assert by_id[net.private[net.zones[1]]]["reaches_internet"] is True


def test_default_route_to_a_failed_nat_reports_its_failure_code(aws, ec2, net):
    zone = net.zones[0]
    # A NAT created in a private subnet fails with Gateway.NotAttached (the emulator behaves like AWS).
    failed = ec2.create_nat_gateway(
        SubnetId=net.private[zone], AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"]
    )["NatGateway"]["NatGatewayId"]
    ec2.replace_route(RouteTableId=net.private_rtb[zone], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=failed)

    result = run_check(aws, **task_params(net))

    assert_only(result, "ROUTE_DEAD_NAT")
    (finding,) = findings_of(result, "ROUTE_DEAD_NAT")
    assert "Gateway.NotAttached" in finding["message"]
    assert "failed" in finding["message"]


def test_default_route_to_a_network_interface_is_unverifiable(aws, ec2, net):
    zone = net.zones[0]
    eni = ec2.create_network_interface(SubnetId=net.public[zone])["NetworkInterface"]["NetworkInterfaceId"]
    ec2.replace_route(RouteTableId=net.private_rtb[zone], DestinationCidrBlock="0.0.0.0/0", NetworkInterfaceId=eni)

    result = run_check(aws, **task_params(net))

    assert_only(result, "ROUTE_UNVERIFIABLE")
    (finding,) = findings_of(result, "ROUTE_UNVERIFIABLE")
    assert finding["resource_id"] == net.private_rtb[zone] and eni in finding["message"]
    kinds = {subnet["subnet_id"]: subnet["kind"] for subnet in result["subnets"]}
    assert kinds[net.private[zone]] == "private_other"


def test_default_route_to_a_private_nat_is_unverifiable(aws, ec2, net):
    zone = net.zones[0]
    private_nat = ec2.create_nat_gateway(SubnetId=net.private[zone], ConnectivityType="private")["NatGateway"][
        "NatGatewayId"
    ]
    ec2.replace_route(RouteTableId=net.private_rtb[zone], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=private_nat)

    result = run_check(aws, **task_params(net))

    assert_only(result, "ROUTE_UNVERIFIABLE")
    assert "private NAT gateway" in findings_of(result, "ROUTE_UNVERIFIABLE")[0]["message"]


def test_public_subnet_without_public_ip_is_an_error(aws, net):
    result = run_check(aws, **task_params(net, public_subnets(net), assign_public_ip=False))

    assert_only(result, "PUBLIC_SUBNET_NO_PUBLIC_IP")
    assert sorted(f["resource_id"] for f in result["findings"]) == sorted(public_subnets(net))
    assert result["summary"]["errors"] == 2
    assert not any(subnet["reaches_internet"] for subnet in result["subnets"])


def test_private_subnet_with_public_ip_is_a_warning(aws, net):
    result = run_check(aws, **task_params(net, private_subnets(net), assign_public_ip=True))

    assert_only(result, "PRIVATE_SUBNET_PUBLIC_IP")
    assert {f["severity"] for f in result["findings"]} == {"warning"}
    assert all(subnet["reaches_internet"] for subnet in result["subnets"])


def test_subnet_named_private_that_routes_to_the_internet_gateway(aws, ec2, net):
    zone = net.zones[0]
    ec2.replace_route(RouteTableId=net.private_rtb[zone], DestinationCidrBlock="0.0.0.0/0", GatewayId=net.igw)

    result = run_check(aws, **task_params(net, [net.private[zone], net.public[net.zones[1]]], assign_public_ip=True))

    assert_only(result, "PRIVATE_SUBNET_ROUTES_TO_IGW")
    assert findings_of(result, "PRIVATE_SUBNET_ROUTES_TO_IGW")[0]["resource_id"] == net.private[zone]


def test_wizard_private_subnet_without_nat_has_no_internet(aws, ec2, net):
    """The CloudReactor wizard leaves private subnets of AZs without a NAT with no default route."""
    zone = net.zones[1]
    bare = create_subnet(ec2, net.vpc, "10.0.150.0/24", zone, name="b private")
    create_table(ec2, net.vpc, [bare])

    result = run_check(aws, **task_params(net, [net.private[net.zones[0]], bare]))

    assert_only(result, "NO_INTERNET_FOR_CLOUDREACTOR")
    (finding,) = findings_of(result, "NO_INTERNET_FOR_CLOUDREACTOR")
    assert finding["resource_id"] == bare
    assert "cannot pull its image either" in finding["message"]
    by_id = {subnet["subnet_id"]: subnet for subnet in result["subnets"]}
    assert by_id[bare]["kind"] == "isolated"
    assert (by_id[bare]["reaches_internet"], by_id[bare]["can_pull_image"]) == (False, False)
    table_hop = by_id[bare]["egress_path"][1]
    assert (table_hop["state"], table_hop["healthy"]) == ("no default route", False)


def test_tables_of_one_name_of_the_network_are_reported(aws, ec2, net):
    """Runs that raced before the network's claim existed each made table ``private`` and put a subnet on theirs."""
    identity = {"network": "raced", "component": "route-table", "table": "private"}
    tables = sorted(net.private_rtb.values())
    ec2.create_tags(
        Resources=tables, Tags=[{"Key": f"cloudreactor:{key}", "Value": value} for key, value in identity.items()]
    )

    result = run_check(aws, **task_params(net, network_name="raced"))

    assert_only(result, "NETWORK_DUPLICATE_ROUTE_TABLES")
    (finding,) = findings_of(result, "NETWORK_DUPLICATE_ROUTE_TABLES")
    assert (finding["severity"], finding["resource_id"]) == ("warning", tables[0])
    assert tables[1] in finding["message"] and "setup_network" in finding["remediation"]
    assert finding["subnet_ids"] == sorted(private_subnets(net))
    assert_only(run_check(aws, **task_params(net)))  # the network's tables are known by its name only
