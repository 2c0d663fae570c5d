"""IPv6 routing facts (dual-stack and IPv6-only subnets, ::/0 and NAT64 routes) and the network ACL's IPv6 rules."""

import pytest

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.checks.nacl import denials
from ansible_collections.cloudreactor.aws.plugins.module_utils._model import ipv6_routing

VPC = "vpc-1"
EIGW = {"EgressOnlyInternetGatewayId": "eigw-1", "Attachments": [{"VpcId": VPC, "State": "attached"}]}
IGW = {"InternetGatewayId": "igw-1", "Attachments": [{"VpcId": VPC, "State": "available"}]}
NAT = {"NatGatewayId": "nat-1", "State": "available", "ConnectivityType": "public"}


def block_set(*states):
    return {
        "Ipv6CidrBlockAssociationSet": [
            {"Ipv6CidrBlock": f"2600:1f18:0:{index}::/64", "Ipv6CidrBlockState": {"State": state}}
            for index, state in enumerate(states)
        ]
    }


def test_associated_block_skips_blocks_on_their_way_out():
    assert ipv6_routing.associated_block(block_set("disassociated", "associated")) == "2600:1f18:0:1::/64"
    assert ipv6_routing.associated_block(block_set("disassociating")) is None
    assert ipv6_routing.associated_block({}) is None


def test_ipv6_targets():
    assert ipv6_routing.ipv6_target({"EgressOnlyInternetGatewayId": "eigw-1"}) == (
        "egress_only_internet_gateway",
        "eigw-1",
    )
    assert ipv6_routing.ipv6_target({"GatewayId": "igw-1"}) == ("internet_gateway", "igw-1")
    assert ipv6_routing.ipv6_target({"NatGatewayId": "nat-1"}) == ("nat_gateway", "nat-1")
    assert ipv6_routing.ipv6_target({"TransitGatewayId": "tgw-1"}) == ("other", "tgw-1")


def ipv6_default(**target):
    return {"DestinationIpv6CidrBlock": "::/0", "State": "active", **target}


@pytest.mark.parametrize(
    ("route", "eigws", "problem"),
    [
        (ipv6_default(EgressOnlyInternetGatewayId="eigw-1"), {"eigw-1": EIGW}, None),
        (ipv6_default(GatewayId="igw-1"), {}, None),
        (None, {}, "no ::/0 route"),
        (ipv6_default(EgressOnlyInternetGatewayId="eigw-1", State="blackhole"), {}, "is a blackhole"),
        (ipv6_default(EgressOnlyInternetGatewayId="eigw-1"), {}, "gone or not attached"),
        (ipv6_default(GatewayId="igw-2"), {}, "not attached"),
    ],
    ids=["egress-only", "internet-gateway", "missing", "blackhole", "eigw-gone", "igw-detached"],
)
def test_default_route_problem(route, eigws, problem):
    found = ipv6_routing.default_route_problem(route, VPC, {"igw-1": IGW}, eigws)
    assert (found is None) if problem is None else (problem in found)


@pytest.mark.parametrize(
    ("route", "nats", "problem"),
    [
        (
            {"DestinationIpv6CidrBlock": "64:ff9b::/96", "NatGatewayId": "nat-1", "State": "active"},
            {"nat-1": NAT},
            None,
        ),
        (None, {}, "no 64:ff9b::/96 route"),
        ({"DestinationIpv6CidrBlock": "64:ff9b::/96", "GatewayId": "igw-1"}, {}, "not to a NAT gateway"),
        (
            {"DestinationIpv6CidrBlock": "64:ff9b::/96", "NatGatewayId": "nat-1", "State": "blackhole"},
            {"nat-1": {**NAT, "State": "deleted"}},
            "which is deleted",
        ),
        (
            {"DestinationIpv6CidrBlock": "64:ff9b::/96", "NatGatewayId": "nat-1", "State": "active"},
            {"nat-1": {**NAT, "ConnectivityType": "private"}},
            "is private",
        ),
    ],
    ids=["working", "missing", "not-a-nat", "dead-nat", "private-nat"],
)
def test_nat64_route_problem(route, nats, problem):
    found = ipv6_routing.nat64_route_problem(route, nats)
    assert (found is None) if problem is None else (problem in found)


def acl(*entries):
    return {"NetworkAclId": "acl-1", "Entries": list(entries)}


def entry(number, action, *, ipv6=True, protocol="-1", ports=None):
    """An outbound network ACL entry, for ::/0 or (not ``ipv6``) 0.0.0.0/0."""
    item = {"RuleNumber": number, "RuleAction": action, "Egress": True, "Protocol": protocol}
    item["Ipv6CidrBlock" if ipv6 else "CidrBlock"] = "::/0" if ipv6 else "0.0.0.0/0"
    if ports:
        item["PortRange"] = {"From": ports[0], "To": ports[1]}
    return item


def test_ipv6_questions_use_only_the_ipv6_rules_and_the_final_deny_is_32768():
    default = acl(entry(100, "allow", ipv6=False), entry(32767, "deny", ipv6=False), entry(32768, "deny"))
    assert denials(default, True, "6", "::/0", (443, 443)) == ["*"]
    assert denials(default, True, "6", "0.0.0.0/0", (443, 443)) == []
    with_ipv6 = acl(*default["Entries"], entry(101, "allow"))
    assert denials(with_ipv6, True, "6", "::/0", (443, 443)) == []
    blocked = acl(*with_ipv6["Entries"], entry(50, "deny", protocol="6", ports=(443, 443)))
    assert denials(blocked, True, "6", "::/0", (443, 443)) == [50]
    assert denials(blocked, True, "6", "0.0.0.0/0", (443, 443)) == []
