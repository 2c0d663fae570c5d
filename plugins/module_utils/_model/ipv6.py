# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A network's IPv6: its modes, the rules that refuse a mode that cannot work, and where each subnet's /64 goes.

Pure functions, like layout.py, and stable for the same reasons: a subnet that has a /64 keeps it, and a new subnet
takes a free /64 instead of shifting anyone's, so adding a zone or changing modes never renumbers a subnet. The VPC's
Amazon-provided block (a /56: 256 /64s) is split in two halves: public subnets take the even /64s of the lower half and
private subnets the odd ones (side by side, like the IPv4 pairs), and IPv6-only task subnets take the upper half, so a
move between modes never needs a /64 another tier holds.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput

IPV4 = "ipv4"
DUAL_STACK = "dual_stack"
IPV6_ONLY = "ipv6_only"
IP_MODES = (IPV4, DUAL_STACK, IPV6_ONLY)

IPV6_DEFAULT_ROUTE = "::/0"
# The well-known prefix of NAT64 (RFC 6052): DNS64 answers IPv4-only names with addresses in it, and the NAT gateway
# translates traffic to them to IPv4.
NAT64_PREFIX = "64:ff9b::/96"
# The IPv6 routes the network manages in its own tables; turning IPv6 off removes them, and no other IPv6 route.
MANAGED_IPV6_ROUTES = (IPV6_DEFAULT_ROUTE, NAT64_PREFIX)

SUBNET_IPV6_PREFIX = 64  # AWS gives a subnet exactly a /64

# The tiers of subnet a network may have, and the part of the VPC's block each takes its /64 from:
# (first slot as a fraction of the block's /64s, step).
TIER_SLOTS: dict[str, tuple[int | None, int]] = {"public": (0, 2), "private": (1, 2), IPV6_ONLY: (None, 1)}

# A CIDR association in one of these states is going or gone (EC2's VpcCidrBlockState / SubnetCidrBlockState).
ENDED_ASSOCIATION_STATES = ("disassociating", "disassociated", "failing", "failed")


def has_ipv6(ip_mode: str) -> bool:
    return ip_mode in (DUAL_STACK, IPV6_ONLY)


def check_ip_mode(ip_mode: str, nat_gateways: str, prefix: str = "") -> None:
    """Refuse, before any call, a mode that cannot work with the other options. ``prefix``: the role's variable
    prefix, so that the message names the variables the user sets."""
    if ip_mode == IPV6_ONLY and nat_gateways == "none":
        raise InvalidInput(
            "ip_mode",
            f"{IPV6_ONLY} needs a NAT gateway, and {prefix}nat_gateways is none: IPv6-only tasks reach IPv4-only "
            f"destinations (ecr:GetAuthorizationToken is one; ECR cannot pull an image without it) only through "
            f"NAT64, a {NAT64_PREFIX} route to a NAT gateway. Set {prefix}nat_gateways to per_az, single or regional, "
            f"or {prefix}ip_mode to {DUAL_STACK} (tasks keep IPv4 and go out through the internet gateway).",
        )


def live_ipv6_association(resource: Mapping[str, Any]) -> dict[str, Any] | None:
    """The IPv6 CIDR association of a VPC or subnet (as EC2 describes it) that is associated or associating, or
    ``None``."""
    associations: list[dict[str, Any]] = resource.get("Ipv6CidrBlockAssociationSet") or []
    for association in associations:
        state = association.get("Ipv6CidrBlockState") or {}
        if state.get("State") not in ENDED_ASSOCIATION_STATES and association.get("Ipv6CidrBlock"):
            return association
    return None


def ipv6_cidr(resource: Mapping[str, Any] | None) -> str | None:
    """The live IPv6 CIDR of a VPC or subnet, or ``None``."""
    association = live_ipv6_association(resource or {})
    return str(ipaddress.ip_network(association["Ipv6CidrBlock"])) if association else None


def _slots(block: ipaddress.IPv6Network, tier: str) -> Iterator[ipaddress.IPv6Network]:
    """The /64s of ``block`` that ``tier`` may take, in the order it takes them."""
    count = 2 ** (SUBNET_IPV6_PREFIX - block.prefixlen)
    half = count // 2
    first, step = TIER_SLOTS[tier]
    start, stop = (half, count) if first is None else (first, half)
    base = int(block.network_address)
    size = 2 ** (128 - SUBNET_IPV6_PREFIX)
    for index in range(start, stop, step):
        yield ipaddress.IPv6Network((base + index * size, SUBNET_IPV6_PREFIX))


def plan_ipv6(
    vpc_block: str | None,
    wanted: Iterable[tuple[str, str]],
    existing: Mapping[tuple[str, str], str],
    foreign: Iterable[str] = (),
) -> dict[tuple[str, str], str]:
    """``{(zone, tier): "/64"}`` for each ``(zone, tier)`` of ``wanted`` (in order).

    ``vpc_block``: the VPC's IPv6 CIDR (``None`` while it is being associated: nothing can be planned, ``{}``);
    ``existing``: ``{(zone, tier): cidr}`` of our subnets that have a /64 (kept); ``foreign``: the /64s of the VPC's
    other subnets, never taken.
    """
    if not vpc_block:
        return {}
    block = ipaddress.IPv6Network(vpc_block)
    if block.prefixlen > SUBNET_IPV6_PREFIX - 1:
        raise InvalidInput("ip_mode", f"the VPC's IPv6 block {block} is too small to give each subnet a /64")
    taken = {ipaddress.IPv6Network(cidr) for cidr in [*existing.values(), *foreign]}
    plan = {}
    for zone, tier in wanted:
        if (zone, tier) in existing:
            plan[(zone, tier)] = str(ipaddress.IPv6Network(existing[(zone, tier)]))
            continue
        slot = next((slot for slot in _slots(block, tier) if slot not in taken), None)
        if slot is None:
            raise InvalidInput(
                "ip_mode", f"the VPC's IPv6 block {block} has no free /64 for the {tier} subnet of {zone}"
            )
        taken.add(slot)
        plan[(zone, tier)] = str(slot)
    return plan
