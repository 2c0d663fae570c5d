"""Subnet layout: stable zones, the setup wizard's CIDRs on a /16, growth without moving anything."""

import pytest

from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.layout import (
    carve_subnets,
    check_static,
    choose_zones,
    given_subnets,
)

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d"]


def test_zones_by_count_are_the_first_names_and_existing_ones_are_kept():
    assert choose_zones(ZONES, None, 2, existing=[]) == ["us-east-1a", "us-east-1b"]
    assert choose_zones(ZONES, None, 2, existing=["us-east-1c"]) == ["us-east-1a", "us-east-1c"]
    assert choose_zones(ZONES, None, 3, existing=["us-east-1a", "us-east-1b"]) == ZONES[:3]


def test_explicit_zones_are_validated():
    assert choose_zones(ZONES, ["us-east-1d", "us-east-1b"], 2, existing=[]) == ["us-east-1d", "us-east-1b"]
    with pytest.raises(InvalidInput, match="availability_zones: us-east-1z not available"):
        choose_zones(ZONES, ["us-east-1z"], 1, existing=[])
    with pytest.raises(InvalidInput, match="listed once"):
        choose_zones(ZONES, ["us-east-1a", "us-east-1a"], 2, existing=[])


@pytest.mark.parametrize("count", [0, 5])
def test_zone_count_out_of_range(count):
    with pytest.raises(InvalidInput, match="az_count: must be between 1 and 4"):
        choose_zones(ZONES, None, count, existing=[])


def test_a_16_gets_the_setup_wizard_layout():
    plan = carve_subnets("10.0.0.0/16", ZONES[:3], existing={})
    assert plan == [
        {"zone": "us-east-1a", "public_cidr": "10.0.0.0/20", "private_cidr": "10.0.16.0/20"},
        {"zone": "us-east-1b", "public_cidr": "10.0.32.0/20", "private_cidr": "10.0.48.0/20"},
        {"zone": "us-east-1c", "public_cidr": "10.0.64.0/20", "private_cidr": "10.0.80.0/20"},
    ]


def test_other_sizes_carve_sixteen_slots():
    assert carve_subnets("172.16.0.0/20", ZONES[:1], existing={}) == [
        {"zone": "us-east-1a", "public_cidr": "172.16.0.0/24", "private_cidr": "172.16.1.0/24"}
    ]


def test_adding_a_zone_keeps_existing_cidrs_and_takes_free_room():
    existing = {"us-east-1b": {"public": "10.0.0.0/20", "private": "10.0.16.0/20"}}
    plan = carve_subnets("10.0.0.0/16", ["us-east-1a", "us-east-1b"], existing=existing)
    assert plan == [
        {"zone": "us-east-1a", "public_cidr": "10.0.32.0/20", "private_cidr": "10.0.48.0/20"},
        {"zone": "us-east-1b", "public_cidr": "10.0.0.0/20", "private_cidr": "10.0.16.0/20"},
    ]


def test_foreign_subnets_are_never_overlapped():
    plan = carve_subnets("10.0.0.0/16", ["us-east-1a"], existing={}, foreign_cidrs=["10.0.20.0/24"])
    assert plan == [{"zone": "us-east-1a", "public_cidr": "10.0.0.0/20", "private_cidr": "10.0.48.0/20"}]


def test_public_only_layout_has_no_private_cidrs():
    plan = carve_subnets("10.0.0.0/16", ["us-east-1a"], existing={}, private=False)
    assert plan == [{"zone": "us-east-1a", "public_cidr": "10.0.0.0/20", "private_cidr": None}]


def test_explicit_cidrs_are_used_and_validated():
    plan = given_subnets("10.1.0.0/16", ZONES[:1], public_cidrs=["10.1.0.0/24"], private_cidrs=["10.1.1.0/24"])
    assert plan == [{"zone": "us-east-1a", "public_cidr": "10.1.0.0/24", "private_cidr": "10.1.1.0/24"}]


@pytest.mark.parametrize(
    ("public", "private", "message"),
    [
        (["10.1.0.0/24"], ["10.2.0.0/24"], "private_subnet_cidrs: 10.2.0.0/24 is not inside the VPC CIDR 10.1.0.0/16"),
        (["10.1.0.0/24"], ["10.1.0.128/25"], "private_subnet_cidrs: 10.1.0.128/25 overlaps 10.1.0.0/24"),
        (["10.1.0.0/33"], ["10.1.1.0/24"], "public_subnet_cidrs: '10.1.0.0/33' is not a valid IPv4 network"),
        (["10.1.0.0/24", "10.1.2.0/24"], ["10.1.1.0/24"], "public_subnet_cidrs: give one CIDR per availability zone"),
        # An IPv6 CIDR once reached ipaddress's subnet_of beside the IPv4 VPC and crashed with a TypeError.
        (["fd00::/64"], ["10.1.1.0/24"], "public_subnet_cidrs: 'fd00::/64' is not a valid IPv4 network"),
    ],
)
def test_bad_explicit_cidrs_name_the_option(public, private, message):
    with pytest.raises(InvalidInput, match=message.replace(".", r"\.").replace("(", r"\(").replace(")", r"\)")):
        given_subnets("10.1.0.0/16", ZONES[:1], public_cidrs=public, private_cidrs=private)


def test_too_small_or_full_vpc_is_refused():
    with pytest.raises(InvalidInput, match="vpc_cidr: 10.0.0.0/26 is too small"):
        carve_subnets("10.0.0.0/26", ZONES[:1], {})
    with pytest.raises(InvalidInput, match="no free room for another subnet"):
        carve_subnets("10.0.0.0/24", ZONES[:1], {}, foreign_cidrs=["10.0.0.0/24"])


def test_static_checks_need_no_aws():
    check_static("10.0.0.0/16", ["10.0.0.0/24"], ["10.0.1.0/24"], zone_count=1)
    with pytest.raises(InvalidInput, match="vpc_cidr: '10.0.0.0/8x'"):
        check_static("10.0.0.0/8x", None, None)
    with pytest.raises(InvalidInput, match="private_subnet_cidrs: give one CIDR per availability zone"):
        check_static("10.0.0.0/16", ["10.0.0.0/24"], ["10.0.1.0/24", "10.0.2.0/24"], zone_count=1)
    with pytest.raises(InvalidInput, match="private_subnet_cidrs: 10.0.0.0/25 overlaps"):
        check_static(None, ["10.0.0.0/24"], ["10.0.0.0/25"])
    with pytest.raises(InvalidInput, match="vpc_cidr: 'fd00::/56' is not a valid IPv4 network"):
        check_static("fd00::/56", None, None)
    with pytest.raises(InvalidInput, match="public_subnet_cidrs: 'fd00::/64' is not a valid IPv4 network"):
        check_static(None, ["10.0.0.0/24", "fd00::/64"], None)
