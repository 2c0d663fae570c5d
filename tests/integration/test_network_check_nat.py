"""network_check, NAT gateways: pending, misplaced, without an Elastic IP, in another AZ (regional NAT gateways:
test_network_check_regional.py).

One state cannot be built on the emulator: a public NAT gateway whose Elastic IP no longer exists (AWS, and the
emulator like it, refuse to release an address a live NAT gateway uses, so the state is reachable only through
AWS-side failures). For it the AWS proxy removes that address from the emulator's DescribeAddresses answer; every
other answer is the emulator's.
"""

import xml.etree.ElementTree as ET

from support.aws_proxy import AwsProxy
from support.network_check_helpers import (
    assert_only,
    build_network,
    findings_of,
    run_check,
    task_params,
)

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit import run as audit_run
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import AuditContext, Options
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.snapshot import Described, Snapshot


def test_pending_nat_is_a_warning(aws, ec2):
    aws.set_nat_transition("manual", times=3)  # the first two describes see "pending"
    net = build_network(ec2)

    result = run_check(aws, **task_params(net))

    assert_only(result, "NAT_PENDING")
    assert sorted(f["resource_id"] for f in result["findings"]) == sorted(net.nat.values())
    assert result["summary"]["ok"] is True  # warnings only
    nat_hop = result["subnets"][0]["egress_path"][2]
    assert (nat_hop["state"], nat_hop["healthy"]) == ("pending", False)


def test_nat_in_a_subnet_without_route_to_the_internet_gateway(aws, ec2):
    net = build_network(ec2)
    # The NAT gateways were created in public subnets; then the public route to the IGW was removed.
    ec2.delete_route(RouteTableId=net.public_rtb, DestinationCidrBlock="0.0.0.0/0")

    result = run_check(aws, **task_params(net))

    assert_only(result, "NAT_NOT_IN_PUBLIC_SUBNET")
    assert sorted(f["resource_id"] for f in result["findings"]) == sorted(net.nat.values())
    assert "no default route" in result["findings"][0]["message"]
    assert not any(subnet["reaches_internet"] for subnet in result["subnets"])


def test_single_nat_serving_two_zones_is_a_cross_az_warning(aws, ec2):
    net = build_network(ec2, nats="single")
    other_zone = net.zones[1]

    result = run_check(aws, **task_params(net))

    assert_only(result, "NAT_CROSS_AZ")
    (finding,) = findings_of(result, "NAT_CROSS_AZ")
    assert finding["resource_id"] == net.private_rtb[other_zone]
    assert finding["subnet_ids"] == [net.private[other_zone]]
    assert net.zones[0] in finding["message"] and other_zone in finding["message"]


def test_single_nat_intended_suppresses_the_cross_az_warning(aws, ec2):
    net = build_network(ec2, nats="single")

    result = run_check(aws, **task_params(net, single_nat_intended=True, fail_on="warning"))

    assert not result.get("failed"), result.get("msg")
    assert_only(result)


# -- a state the emulator cannot express: the proxy edits one answer -----------------------------------------------


def without_address(allocation_id):
    """A DescribeAddresses answer edit: the address ``allocation_id`` is no longer listed."""

    def edit(body):
        answer = ET.fromstring(body)
        namespace = answer.tag.partition("}")[0] + "}"  # "{http://ec2.amazonaws.com/doc/...}"
        ET.register_namespace("", namespace[1:-1])
        (listed,) = answer.iter(f"{namespace}addressesSet")
        for item in list(listed):
            if item.findtext(f"{namespace}allocationId") == allocation_id:
                listed.remove(item)
        return ET.tostring(answer, xml_declaration=True, encoding="UTF-8")

    return edit


def described_nats(ec2, vpc):
    nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NatGateways"]
    return [{key: value for key, value in nat.items() if key != "ResponseMetadata"} for nat in nats]


def test_nat_whose_elastic_ip_no_longer_exists(aws, ec2):
    net = build_network(ec2)
    lost_zone = net.zones[0]
    lost = next(
        address["AllocationId"]
        for nat in described_nats(ec2, net.vpc)
        if nat["NatGatewayId"] == net.nat[lost_zone]
        for address in nat["NatGatewayAddresses"]
    )

    with AwsProxy(aws.endpoint_url, edit_answers={"DescribeAddresses": without_address(lost)}) as proxy:
        result = run_check(aws, endpoint_url=proxy.endpoint_url, **task_params(net))

    assert "DescribeAddresses" in proxy.forwarded.actions
    assert_only(result, "NAT_NO_ELASTIC_IP")
    (finding,) = findings_of(result, "NAT_NO_ELASTIC_IP")
    assert finding["resource_id"] == net.nat[lost_zone] and lost in finding["message"]
    by_id = {subnet["subnet_id"]: subnet for subnet in result["subnets"]}
    assert by_id[net.private[lost_zone]]["reaches_internet"] is False


# -- a route the API still reports active, to a NAT that is gone --------------------------------------------------


def test_active_route_to_a_deleted_nat_is_still_a_dead_nat():
    """AWS can report a route ``active`` for a while after its NAT is deleted; the audit trusts the NAT's state.
    (The emulator always reports such a route as a blackhole, so this is decided on a hand-made snapshot.)"""
    vpc = {"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16", "DhcpOptionsId": "default"}
    subnet = {"SubnetId": "subnet-1", "VpcId": "vpc-1", "AvailabilityZone": "us-east-1a", "CidrBlock": "10.0.1.0/24",
              "State": "available", "AvailableIpAddressCount": 250}  # fmt: skip
    table = {
        "RouteTableId": "rtb-1",
        "VpcId": "vpc-1",
        "Associations": [{"SubnetId": "subnet-1"}, {"Main": True}],
        "Routes": [{"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-1", "State": "active"}],
    }
    igw = {"InternetGatewayId": "igw-1", "Attachments": [{"VpcId": "vpc-1", "State": "available"}]}
    nat = {"NatGatewayId": "nat-1", "VpcId": "vpc-1", "SubnetId": "subnet-2", "State": "deleted"}
    snapshot = Snapshot("us-east-1", Described(
        vpcs=[vpc], dns_attributes={"vpc-1": {"support": True, "hostnames": True}},
        subnets=[subnet], route_tables=[table], internet_gateways=[igw], nat_gateways=[nat], addresses=[],
        network_acls=[], endpoints=[], security_groups=[], dhcp_options=[],
    ))  # fmt: skip
    ctx = AuditContext(snapshot, Options(mode="vpc"), ["subnet-1"])

    found = audit_run.analyse(ctx)

    assert [(f.code, f.resource_id) for f in found] == [("ROUTE_DEAD_NAT", "rtb-1"), ("SINGLE_AZ", "vpc-1")]
    assert "route is reported active" in found[0].message
    assert ctx.views[0].reaches_internet is False
