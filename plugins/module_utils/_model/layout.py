# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a network's subnet pairs go: which availability zones, and which CIDR each subnet gets.

Pure functions, so every rule is unit-tested without AWS. Two rules keep a network stable as it grows:
a zone that already has our subnets keeps them (and their CIDRs), and a new zone takes free address space
instead of shifting anyone else's, so adding a zone never replaces a subnet, NAT gateway or Elastic IP.
"""

from __future__ import annotations

import typing
from ipaddress import IPv4Network

from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput

if typing.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any, TypeAlias

    # ``{"zone", "public_cidr", "private_cidr"}`` of one zone's subnet pair.
    SubnetPair: TypeAlias = dict[str, Any]

# A /16 VPC gets /20 subnets, public and private interleaved: the CloudReactor setup wizard's layout
# (public x.y.(32*i).0/20, private x.y.(32*i+16).0/20), so networks built by either tool look alike.
SUBNET_PREFIX_DELTA = 4
SMALLEST_SUBNET_PREFIX = 28  # AWS's smallest subnet


def choose_zones(
    available: Sequence[str], requested: Sequence[str] | None, count: int, existing: Iterable[str]
) -> list[str]:
    """The zone names to use, in a stable order.

    ``available``: the region's usable zone names; ``requested``: explicit names (wins when given);
    ``count``: how many to pick otherwise; ``existing``: zones that already hold our subnets (kept first).
    """
    if requested:
        unknown = [zone for zone in requested if zone not in available]
        if unknown:
            raise InvalidInput(
                "availability_zones",
                f"{', '.join(unknown)} not available in this region (available: {', '.join(sorted(available))})",
            )
        if len(set(requested)) != len(requested):
            raise InvalidInput("availability_zones", "each zone may be listed once")
        return list(requested)
    if count < 1 or count > len(available):
        raise InvalidInput("az_count", f"must be between 1 and {len(available)} (the zones this region offers)")
    kept = [zone for zone in sorted(existing) if zone in available][:count]
    added = [zone for zone in sorted(available) if zone not in kept][: count - len(kept)]
    return sorted(kept + added)


def _network(cidr: str, option: str) -> IPv4Network:
    try:
        return IPv4Network(cidr, strict=True)
    except ValueError as error:
        raise InvalidInput(option, f"{cidr!r} is not a valid IPv4 network: {error}") from error


def _check_explicit(
    vpc: IPv4Network, zones: Sequence[str], cidrs: Sequence[str], option: str, taken: list[IPv4Network]
) -> list[IPv4Network]:
    if len(cidrs) != len(zones):
        raise InvalidInput(option, f"give one CIDR per availability zone ({len(zones)}), got {len(cidrs)}")
    networks = [_network(cidr, option) for cidr in cidrs]
    for network in networks:
        if not network.subnet_of(vpc):
            raise InvalidInput(option, f"{network} is not inside the VPC CIDR {vpc}")
        clash = next((other for other in taken if network.overlaps(other)), None)
        if clash is not None:
            raise InvalidInput(option, f"{network} overlaps {clash}")
        taken.append(network)
    return networks


def check_static(
    vpc_cidr: str | None,
    public_cidrs: Sequence[str] | None,
    private_cidrs: Sequence[str] | None,
    zone_count: int | None = None,
) -> None:
    """Validate what needs no AWS call (formats, containment, overlaps, counts), so bad input fails first."""
    vpc = _network(vpc_cidr, "vpc_cidr") if vpc_cidr else None
    taken: list[IPv4Network] = []
    for option, cidrs in (("public_subnet_cidrs", public_cidrs), ("private_subnet_cidrs", private_cidrs)):
        if zone_count is not None and cidrs and len(cidrs) != zone_count:
            raise InvalidInput(option, f"give one CIDR per availability zone ({zone_count}), got {len(cidrs)}")
        for network in (_network(cidr, option) for cidr in cidrs or []):
            if vpc is not None and not network.subnet_of(vpc):
                raise InvalidInput(option, f"{network} is not inside the VPC CIDR {vpc}")
            clash = next((other for other in taken if network.overlaps(other)), None)
            if clash is not None:
                raise InvalidInput(option, f"{network} overlaps {clash}")
            taken.append(network)


def given_subnets(
    vpc_cidr: str,
    zones: Sequence[str],
    public_cidrs: Sequence[str],
    private_cidrs: Sequence[str] | None,
    foreign_cidrs: Iterable[str] = (),
) -> list[SubnetPair]:
    """The user's CIDRs as a ``{"zone", "public_cidr", "private_cidr"}`` pair per zone, validated: one per zone,
    inside the VPC, overlapping neither each other nor ``foreign_cidrs`` (the VPC's other subnets).
    ``private_cidrs`` ``None``: no private subnets (``private_cidr`` None)."""
    vpc = _network(vpc_cidr, "vpc_cidr")
    taken = [IPv4Network(cidr) for cidr in foreign_cidrs]
    public = _check_explicit(vpc, zones, public_cidrs, "public_subnet_cidrs", taken)
    private = [] if private_cidrs is None else _check_explicit(vpc, zones, private_cidrs, "private_subnet_cidrs", taken)
    return [
        {"zone": zone, "public_cidr": str(public[index]), "private_cidr": str(private[index]) if private else None}
        for index, zone in enumerate(zones)
    ]


def carve_subnets(
    vpc_cidr: str,
    zones: Sequence[str],
    existing: Mapping[str, Mapping[str, str | None]],
    foreign_cidrs: Iterable[str] = (),
    private: bool = True,
) -> list[SubnetPair]:
    """A ``{"zone", "public_cidr", "private_cidr"}`` pair per zone (``private_cidr`` is None without private subnets),
    carved from the VPC's free room.

    ``existing``: ``{zone: {"public": cidr, "private": cidr}}`` for our subnets already there (kept as they are);
    ``foreign_cidrs``: other subnets of the VPC, never overlapped.
    """
    vpc = _network(vpc_cidr, "vpc_cidr")
    taken = [IPv4Network(cidr) for cidr in foreign_cidrs]
    prefix = vpc.prefixlen + SUBNET_PREFIX_DELTA
    if prefix > SMALLEST_SUBNET_PREFIX:
        raise InvalidInput("vpc_cidr", f"{vpc} is too small to carve subnets from; use a /24 or larger")
    slots = list(vpc.subnets(new_prefix=prefix))
    for kept in existing.values():
        taken.extend(IPv4Network(cidr) for cidr in kept.values() if cidr)

    def free_slot(tier_offset: int, zone: str) -> str:
        # Public subnets take the even slots and private ones the odd slots, so pairs sit side by side.
        for slot in slots[tier_offset::2]:
            if not any(slot.overlaps(other) for other in taken):
                taken.append(slot)
                return str(slot)
        raise InvalidInput("vpc_cidr", f"{vpc} has no free room for another subnet (zone {zone})")

    plan: list[SubnetPair] = []
    for zone in zones:
        kept = existing.get(zone, {})
        public = kept.get("public") or free_slot(0, zone)
        private_cidr = (kept.get("private") or free_slot(1, zone)) if private else None
        plan.append({"zone": zone, "public_cidr": public, "private_cidr": private_cidr})
    return plan
