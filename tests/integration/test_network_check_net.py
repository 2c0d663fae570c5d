"""cloudreactor.aws.network_check: the healthy network.

A correctly built public + private network (two AZs, one NAT gateway per AZ, DNS attributes on, default ACLs,
allow-all egress) must give zero errors and zero warnings, whichever way it is audited. The other
test_network_check_* files break that network in one way each and assert exactly the expected codes. The network
builders are in tests/support/network_check_helpers.py, the ``net`` fixture in tests/integration/conftest.py.
"""

from collections import Counter

import pytest
from support.network_check_helpers import (
    assert_only,
    create_subnet,
    private_subnets,
    public_subnets,
    run_check,
    task_params,
)

# -- the healthy network ------------------------------------------------------------------------------------------


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
