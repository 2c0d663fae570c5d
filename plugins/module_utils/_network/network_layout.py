# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read what a network's layout depends on (zones, the VPC, subnets already there) and plan it with layout.py."""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import describe_vpc, vpc_subnets
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.layout import (
    carve_subnets,
    choose_zones,
    given_subnets,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    COMPONENT_TAG,
    NETWORK_TAG,
    TAG_PREFIX,
    tags_of,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.vpc import find_network_vpc

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import Client

PUBLIC_SUBNET = "subnet-public"
PRIVATE_SUBNET = "subnet-private"
IPV6_ONLY_SUBNET = "subnet-ipv6-only"
TIER_OF_COMPONENT = {PUBLIC_SUBNET: "public", PRIVATE_SUBNET: "private", IPV6_ONLY_SUBNET: "ipv6_only"}
ZONE_TAG = TAG_PREFIX + "az"


def usable_zones(client: Client) -> list[str]:
    """Names of the region's availability zones that are available and need no opt-in (no Local Zones)."""
    zones = client.describe_availability_zones(
        Filters=[{"Name": "state", "Values": ["available"]}, {"Name": "zone-type", "Values": ["availability-zone"]}],
        aws_retry=True,
    )["AvailabilityZones"]
    return [zone["ZoneName"] for zone in zones if zone.get("OptInStatus", "opt-in-not-required") != "not-opted-in"]


def our_subnets_by_zone(subnets: Iterable[Resource], network_name: str) -> dict[str, dict[str, Resource]]:
    """``{zone: {"public": subnet, "private": subnet, "ipv6_only": subnet}}`` for the subnets tagged as this
    network's."""
    by_zone: dict[str, dict[str, Resource]] = {}
    for subnet in subnets:
        tags = tags_of(subnet)
        if tags.get(NETWORK_TAG) != network_name:
            continue
        tier = TIER_OF_COMPONENT.get(tags.get(COMPONENT_TAG, ""))
        if tier:
            by_zone.setdefault(subnet["AvailabilityZone"], {})[tier] = subnet
    return by_zone


def plan_network(client: Client, params: Mapping[str, Any], claimed_vpc_id: str | None = None) -> dict[str, Any]:
    """The module's result: the VPC, the chosen zones and one planned subnet pair per zone. ``claimed_vpc_id``: see
    :func:`vpc.find_network_vpc`."""
    network_name = params["network_name"]
    vpc: Resource | None
    if params["vpc_id"]:
        vpc = describe_vpc(client, params["vpc_id"])
    else:
        vpc = find_network_vpc(client, network_name, claimed_vpc_id)
    vpc_cidr = vpc["CidrBlock"] if vpc else params["vpc_cidr"]
    subnets = vpc_subnets(client, vpc["VpcId"]) if vpc else []
    ours = our_subnets_by_zone(subnets, network_name)
    our_ids = {subnet["SubnetId"] for pair in ours.values() for subnet in pair.values()}

    zones = choose_zones(usable_zones(client), params["availability_zones"], params["az_count"], ours)
    existing = {
        zone: {tier: subnet["CidrBlock"] for tier, subnet in pair.items() if subnet.get("CidrBlock")}
        for zone, pair in ours.items()
        if zone in zones
    }
    foreign = [
        subnet["CidrBlock"] for subnet in subnets if subnet["SubnetId"] not in our_ids and subnet.get("CidrBlock")
    ]
    public_cidrs, private_cidrs = params["public_subnet_cidrs"], params["private_subnet_cidrs"]
    if public_cidrs or private_cidrs:
        private_cidrs = (private_cidrs or []) if params["private_subnets"] else None
        plan = given_subnets(vpc_cidr, zones, public_cidrs or [], private_cidrs, foreign)
    else:
        plan = carve_subnets(vpc_cidr, zones, existing, foreign, params["private_subnets"])
    for pair in plan:
        zone_subnets = ours.get(pair["zone"], {})
        pair["public_subnet_id"] = zone_subnets.get("public", {}).get("SubnetId")
        pair["private_subnet_id"] = zone_subnets.get("private", {}).get("SubnetId")
        if "ipv6_only" in zone_subnets:  # an IPv6-only network's (the network module reads it; see ipv6.py)
            pair["ipv6_only_subnet_id"] = zone_subnets["ipv6_only"]["SubnetId"]
    return {
        "vpc_id": vpc["VpcId"] if vpc else None,
        "vpc_cidr": vpc_cidr,
        "availability_zones": zones,
        "subnets": plan,
    }
