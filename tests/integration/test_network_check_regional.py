"""network_check with a regional NAT gateway (AvailabilityMode regional), and the S3 gateway endpoint.

The networks are built with boto3 on the emulator (its ``nat_regional`` patch): the healthy network's private
subnets all route to one regional NAT gateway, in automatic mode (addresses where tasks run) or manual mode (the
given Elastic IPs per zone). A task is simulated by its network interface in a private subnet.
"""

from collections import Counter

import pytest
from support.network_check_helpers import (
    ZONES,
    add_regional_nat,
    assert_only,
    build_network,
    findings_of,
    private_subnets,
    run_check,
    task_params,
)
from test_network_check_report import check_mermaid, mermaid_blocks, parse_markdown, tables


def start_task(ec2, subnet_id):
    """What a Fargate task leaves in its subnet: one network interface (AWS's cue to expand an automatic gateway)."""
    ec2.create_network_interface(SubnetId=subnet_id)


def regional_nat(ec2, net):
    (nat_id,) = net.nat.values()
    return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]


def subnet_result(result, subnet_id):
    return next(subnet for subnet in result["subnets"] if subnet["subnet_id"] == subnet_id)


def node(resource_id):
    return "n_" + resource_id.replace("-", "_")


@pytest.fixture
def regional(ec2):
    """The healthy network with one regional NAT gateway in automatic mode, and a task running in each zone."""
    net = build_network(ec2, nats="regional")
    for subnet in private_subnets(net):
        start_task(ec2, subnet)
    return net


def test_private_subnets_reach_the_internet_through_the_gateway_and_its_route_table(aws, ec2, regional):
    nat = regional_nat(ec2, regional)

    result = run_check(aws, **task_params(regional))

    assert_only(result, "NAT_REGIONAL")
    assert result["summary"]["ok"] is True
    for zone in regional.zones:
        subnet = subnet_result(result, regional.private[zone])
        assert subnet["kind"] == "private_nat" and subnet["reaches_internet"] and subnet["can_pull_image"]
        path = [(hop["type"], hop["id"], hop["healthy"]) for hop in subnet["egress_path"]]
        assert path == [
            ("subnet", regional.private[zone], True),
            ("route_table", regional.private_rtb[zone], True),
            ("nat_gateway", nat["NatGatewayId"], True),
            ("route_table", nat["RouteTableId"], True),
            ("internet_gateway", regional.igw, True),
        ]
        assert subnet["egress_path"][2]["detail"] == "regional, automatic mode"


@pytest.mark.parametrize("task_zones", [0, 1])
def test_automatic_mode_zone_without_an_address_is_a_note(aws, ec2, task_zones):
    net = build_network(ec2, nats="regional")
    for zone in net.zones[:task_zones]:
        start_task(ec2, net.private[zone])
    waiting = [net.private[zone] for zone in net.zones[task_zones:]]

    result = run_check(aws, **task_params(net))

    assert_only(result, "NAT_REGIONAL", "NAT_REGIONAL_NEW_ZONE")
    (note,) = findings_of(result, "NAT_REGIONAL_NEW_ZONE")
    assert (note["severity"], note["resource_id"]) == ("info", net.nat[net.zones[0]])
    assert note["subnet_ids"] == sorted(waiting)
    assert net.zones[1] in note["message"] and "60 minutes" in note["message"] and "cross-AZ" in note["message"]
    assert result["summary"]["ok"] is True
    # AWS expands an automatic gateway where tasks start: these subnets have a way out, through another zone at first.
    assert all(subnet["reaches_internet"] for subnet in result["subnets"])


def test_manual_mode_task_zone_without_an_address_is_an_error(aws, ec2):
    zones = ("us-east-1a", "us-east-1b", "us-east-1c")
    net = build_network(ec2, zones, nats="none")
    add_regional_nat(ec2, net, manual_zones=zones[:2])
    uncovered = net.private[zones[2]]

    result = run_check(aws, **task_params(net))

    assert_only(result, "NAT_REGIONAL", "NAT_REGIONAL_ZONE_NOT_COVERED")
    (finding,) = findings_of(result, "NAT_REGIONAL_ZONE_NOT_COVERED")
    assert (finding["severity"], finding["subnet_ids"]) == ("error", [uncovered])
    assert "us-east-1c" in finding["message"]
    assert result["summary"]["ok"] is False
    stranded = subnet_result(result, uncovered)
    assert stranded["reaches_internet"] is False
    nat_hop = stranded["egress_path"][2]
    assert (nat_hop["healthy"], nat_hop["detail"]) == (False, "regional, manual mode: no address in us-east-1c")
    assert all(subnet_result(result, net.private[zone])["reaches_internet"] for zone in zones[:2])


def test_manual_mode_covering_every_task_zone_is_healthy(aws, ec2):
    net = build_network(ec2, nats="none")
    add_regional_nat(ec2, net, manual_zones=list(reversed(ZONES)))

    result = run_check(aws, **task_params(net))

    assert_only(result, "NAT_REGIONAL")
    assert subnet_result(result, net.private[net.zones[0]])["egress_path"][2]["detail"] == "regional, manual mode"


def test_gateway_route_table_without_internet_route_is_an_error(aws, ec2, regional):
    nat = regional_nat(ec2, regional)
    ec2.delete_route(RouteTableId=nat["RouteTableId"], DestinationCidrBlock="0.0.0.0/0")

    result = run_check(aws, **task_params(regional))

    assert_only(result, "NAT_REGIONAL", "NAT_REGIONAL_NO_INTERNET_ROUTE")
    (finding,) = findings_of(result, "NAT_REGIONAL_NO_INTERNET_ROUTE")
    assert nat["RouteTableId"] in finding["message"]
    assert sorted(finding["subnet_ids"]) == sorted(private_subnets(regional))
    for subnet in result["subnets"]:
        assert subnet["reaches_internet"] is False
        assert (subnet["egress_path"][3]["id"], subnet["egress_path"][3]["healthy"]) == (nat["RouteTableId"], False)


def test_deleted_regional_gateway_is_a_dead_target(aws, ec2, regional):
    (nat_id,) = regional.nat.values()
    ec2.delete_nat_gateway(NatGatewayId=nat_id)

    result = run_check(aws, **task_params(regional))

    assert_only(result, "ROUTE_DEAD_NAT")
    assert not any(subnet["reaches_internet"] for subnet in result["subnets"])


# -- cost ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_zones", [1, 2])
def test_regional_gateway_is_priced_per_active_zone(aws, ec2, task_zones, tmp_path):
    net = build_network(ec2, nats="regional")
    for zone in net.zones[:task_zones]:
        start_task(ec2, net.private[zone])
    path = tmp_path / "report.md"

    cost = run_check(aws, vpc_id=net.vpc, report_path=str(path))["summary"]["monthly_cost"]

    assert (cost["nat_gateways"], cost["nat_gateway_zones"], cost["public_ipv4_addresses"]) == (
        1,
        task_zones,
        task_zones,
    )
    assert cost["nat_gateways_usd"] == pytest.approx(task_zones * 0.045 * 730)
    assert "each availability zone" in cost["basis"]
    row = f"| NAT gateways (zones billed) | 1 ({task_zones}) | {cost['nat_gateways_usd']:.2f} |"
    assert row in path.read_text(encoding="utf-8")


def test_zonal_gateways_are_priced_one_zone_each(aws, net):
    cost = run_check(aws, vpc_id=net.vpc)["summary"]["monthly_cost"]

    assert (cost["nat_gateways"], cost["nat_gateway_zones"]) == (2, 2)


# -- describe calls -----------------------------------------------------------------------------------------------


def test_regional_audit_makes_the_same_describe_calls_as_a_zonal_one(aws, ec2, regional):
    zonal = build_network(ec2, cidr_prefix="10.1")
    with aws.recording() as zonal_run:
        run_check(aws, **task_params(zonal))
    with aws.recording() as regional_run:
        run_check(aws, **task_params(regional))

    assert Counter(regional_run.reads) == Counter(zonal_run.reads)
    assert regional_run.mutations == []


# -- the S3 gateway endpoint --------------------------------------------------------------------------------------


def test_s3_gateway_endpoint_on_a_task_route_table_is_shown(aws, ec2, regional, tmp_path):
    with_endpoint, without = regional.zones
    endpoint = ec2.create_vpc_endpoint(
        VpcId=regional.vpc,
        ServiceName="com.amazonaws.us-east-1.s3",
        VpcEndpointType="Gateway",
        RouteTableIds=[regional.private_rtb[with_endpoint]],
    )["VpcEndpoint"]["VpcEndpointId"]
    path = tmp_path / "report.md"

    result = run_check(aws, **task_params(regional), report_path=str(path))

    assert_only(result, "NAT_REGIONAL")
    shown = subnet_result(result, regional.private[with_endpoint])["gateway_endpoints"]
    assert shown == [{"service": "s3", "vpc_endpoint_id": endpoint}]
    assert subnet_result(result, regional.private[without])["gateway_endpoints"] == []
    tokens = parse_markdown(path.read_text(encoding="utf-8"))
    endpoint_rows = [table for table in tables(tokens) if table[0][:3] == ["Route table", "Service", "Endpoint"]]
    assert endpoint_rows == [
        [
            ["Route table", "Service", "Endpoint", "Subnets"],
            [regional.private_rtb[with_endpoint], "s3", endpoint, regional.private[with_endpoint]],
        ]
    ]
    (diagram,) = mermaid_blocks(tokens)
    _declared, edges, _lines = check_mermaid(diagram)
    assert (node(regional.private_rtb[with_endpoint]), node(endpoint)) in edges
    assert (node(regional.private_rtb[without]), node(endpoint)) not in edges


def test_report_without_gateway_endpoint_says_s3_goes_through_the_nat(aws, ec2, regional, tmp_path):
    path = tmp_path / "report.md"

    run_check(aws, **task_params(regional), report_path=str(path))

    text = path.read_text(encoding="utf-8")
    assert "No gateway endpoint on the task subnets' route tables" in text
