"""IPv6 planning: a /64 per subnet from the VPC's /56, stable as the network grows; modes that cannot work refused."""

import pytest

from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.ipv6 import (
    check_ip_mode,
    ipv6_cidr,
    plan_ipv6,
)

BLOCK = "2600:1f18:aa:bb00::/56"
PAIRS = [("us-east-1a", "public"), ("us-east-1a", "private"), ("us-east-1b", "public"), ("us-east-1b", "private")]


def test_public_and_private_subnets_sit_side_by_side_in_the_lower_half():
    assert plan_ipv6(BLOCK, PAIRS, {}) == {
        ("us-east-1a", "public"): "2600:1f18:aa:bb00::/64",
        ("us-east-1a", "private"): "2600:1f18:aa:bb01::/64",
        ("us-east-1b", "public"): "2600:1f18:aa:bb02::/64",
        ("us-east-1b", "private"): "2600:1f18:aa:bb03::/64",
    }


def test_ipv6_only_subnets_take_the_upper_half():
    wanted = [("us-east-1a", "ipv6_only"), ("us-east-1b", "ipv6_only")]
    assert list(plan_ipv6(BLOCK, wanted, {}).values()) == ["2600:1f18:aa:bb80::/64", "2600:1f18:aa:bb81::/64"]


def test_existing_subnets_keep_their_64_and_a_new_zone_takes_free_room():
    existing = {("us-east-1b", "public"): "2600:1f18:aa:bb00::/64"}
    plan = plan_ipv6(BLOCK, PAIRS, existing, foreign=["2600:1f18:aa:bb01::/64"])
    assert plan[("us-east-1b", "public")] == "2600:1f18:aa:bb00::/64"
    assert plan[("us-east-1a", "public")] == "2600:1f18:aa:bb02::/64"
    assert plan[("us-east-1a", "private")] == "2600:1f18:aa:bb03::/64"  # bb01 is someone else's
    assert plan[("us-east-1b", "private")] == "2600:1f18:aa:bb05::/64"
    assert len(set(plan.values())) == 4


def test_nothing_is_planned_while_the_vpc_has_no_block():
    assert plan_ipv6(None, PAIRS, {}) == {}


def test_a_full_block_is_refused_naming_the_option():
    with pytest.raises(InvalidInput, match="^ip_mode: .* no free /64 for the public subnet of z"):
        plan_ipv6("2600:1f18:aa:bb00::/62", [("z", "public")] * 3, {})


def test_ipv6_only_without_a_nat_gateway_is_refused_naming_both_variables():
    with pytest.raises(InvalidInput) as error:
        check_ip_mode("ipv6_only", "none", prefix="fargate_network_")
    assert error.value.option == "ip_mode"
    assert "fargate_network_nat_gateways is none" in error.value.reason
    assert "fargate_network_ip_mode to dual_stack" in error.value.reason
    for mode in ("ipv4", "dual_stack"):
        check_ip_mode(mode, "none")
    check_ip_mode("ipv6_only", "regional")


def test_only_a_live_association_counts():
    subnet = {
        "Ipv6CidrBlockAssociationSet": [
            {"Ipv6CidrBlock": "2600:1f18:aa:bb04::/64", "Ipv6CidrBlockState": {"State": "disassociated"}},
            {"Ipv6CidrBlock": "2600:1f18:aa:bb05::/64", "Ipv6CidrBlockState": {"State": "associated"}},
        ]
    }
    assert ipv6_cidr(subnet) == "2600:1f18:aa:bb05::/64"
    assert ipv6_cidr({"Ipv6CidrBlockAssociationSet": []}) is None
