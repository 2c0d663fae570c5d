# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The NAT gateways task subnets route through: ready, placed in a public subnet, with an address, in the same AZ;
regional NAT gateways: a way out through their own route table, and an address in each task zone.

A dead NAT (failed, deleting, deleted, unknown) is reported once, as ROUTE_DEAD_NAT, by checks/routes.py (for an
IPv6-only subnet's NAT64 gateway, as NAT64_ROUTE_MISSING by checks/ipv6.py).
"""

from __future__ import annotations

import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit import paths
from ansible_collections.cloudreactor.aws.plugins.module_utils._model import routing

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.findings import Findings
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import AuditContext, SubnetView
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource


def _live_nats(ctx: AuditContext) -> dict[str, tuple[Resource, list[SubnetView]]]:
    """``{nat_id: (nat, [views])}`` for the pending or available NAT gateways task subnets route through."""
    by_nat: dict[str, tuple[Resource, list[SubnetView]]] = {}
    for view in ctx.views:
        through_nat = view.kind in (paths.PRIVATE_NAT, paths.IPV6_ONLY)  # IPv6-only subnets: their NAT64 gateway
        if through_nat and view.nat is not None and routing.nat_problem(view.nat) is None:
            by_nat.setdefault(view.nat["NatGatewayId"], (view.nat, []))[1].append(view)
    return by_nat


def check_nats(ctx: AuditContext, findings: Findings) -> None:
    snapshot = ctx.snapshot
    for nat_id, (nat, views) in _live_nats(ctx).items():
        subnet_ids = [view.id for view in views]
        if nat.get("State") == "pending":
            findings.add(
                "NAT_PENDING",
                nat_id,
                f"NAT gateway {nat_id} is still pending: the subnets behind it have no internet until it is available.",
                f"Wait until {nat_id} is available (aws ec2 wait nat-gateway-available --nat-gateway-ids {nat_id}).",
                subnet_ids,
            )
        if routing.is_regional_nat(nat):
            findings.add(
                "NAT_REGIONAL",
                nat_id,
                f"NAT gateway {nat_id} is regional: it serves every availability zone of {nat.get('VpcId')} and "
                "needs no public subnet of its own.",
                None,
                subnet_ids,
            )
        placement = routing.nat_placement_problem(
            nat, snapshot.route_tables_by_vpc.get(nat.get("VpcId"), []), snapshot.internet_gateways
        )
        if placement:
            findings.add(
                "NAT_NOT_IN_PUBLIC_SUBNET",
                nat_id,
                f"NAT gateway {nat_id} cannot reach the internet: {placement}.",
                f"Route 0.0.0.0/0 of subnet {nat.get('SubnetId')} to the VPC's internet gateway, or recreate the NAT "
                "gateway in a public subnet.",
                subnet_ids,
            )
        if not paths.nat_has_address(snapshot, nat):
            allocations = [a.get("AllocationId") for a in nat.get("NatGatewayAddresses", []) if a.get("AllocationId")]
            detail = f"its allocation {', '.join(allocations)} does not exist" if allocations else "it has none"
            findings.add(
                "NAT_NO_ELASTIC_IP",
                nat_id,
                f"NAT gateway {nat_id} is public but has no Elastic IP in the VPC domain ({detail}).",
                f"Recreate {nat_id} with a newly allocated Elastic IP (domain vpc).",
                subnet_ids,
            )
        _check_zone(ctx, findings, nat, views)
        if routing.is_regional_nat(nat):
            _check_regional(ctx, findings, nat, views)


def _check_regional(ctx: AuditContext, findings: Findings, nat: Resource, views: list[SubnetView]) -> None:
    nat_id = nat["NatGatewayId"]
    exit_problem = paths.regional_nat_exit_problem(ctx.snapshot, nat)
    if exit_problem:
        findings.add(
            "NAT_REGIONAL_NO_INTERNET_ROUTE",
            nat_id,
            f"Regional NAT gateway {nat_id} cannot reach the internet: {exit_problem}.",
            f"In route table {nat.get('RouteTableId')}, route 0.0.0.0/0 to the internet gateway of {nat.get('VpcId')}.",
            [view.id for view in views],
        )
    uncovered: dict[str | None, list[str]] = {}
    for view in views:
        if not paths.regional_nat_covers(nat, view.subnet):
            uncovered.setdefault(view.az, []).append(view.id)
    if not uncovered:
        return
    zones = ", ".join(str(zone) for zone in sorted(uncovered, key=str))
    subnet_ids = [subnet_id for zone in sorted(uncovered, key=str) for subnet_id in uncovered[zone]]
    if paths.is_manual_regional_nat(nat):
        findings.add(
            "NAT_REGIONAL_ZONE_NOT_COVERED",
            nat_id,
            f"Regional NAT gateway {nat_id} is in manual mode and has no address in {zones}: tasks in "
            f"{', '.join(subnet_ids)} have no way out (manual mode never expands to a new zone).",
            f"Recreate {nat_id} with an AvailabilityZoneAddresses entry (an Elastic IP) for {zones}, or keep the "
            "tasks in the zones it covers.",
            subnet_ids,
        )
    else:
        findings.add(
            "NAT_REGIONAL_NEW_ZONE",
            nat_id,
            f"Regional NAT gateway {nat_id} (automatic mode) is not active in {zones} yet. When the first task "
            "starts there, AWS expands the gateway to that zone by itself; until that is done (up to 60 minutes) the "
            "zone's traffic goes out through a zone the gateway already covers, billed as cross-AZ data, and from "
            "then on the zone is billed as an active zone.",
            None,
            subnet_ids,
        )


def _check_zone(ctx: AuditContext, findings: Findings, nat: Resource, views: list[SubnetView]) -> None:
    if routing.is_regional_nat(nat) or ctx.options.single_nat_intended:
        return
    nat_zone = ctx.nat_zone(nat)
    by_table: dict[str | None, list[SubnetView]] = {}
    for view in views:
        if nat_zone and view.az and view.az != nat_zone:
            by_table.setdefault(view.route_table_id, []).append(view)
    for table_id, crossing in by_table.items():
        zones = ", ".join(sorted({view.az for view in crossing if view.az}))
        findings.add(
            "NAT_CROSS_AZ",
            table_id,
            f"Route table {table_id} sends subnets in {zones} through NAT gateway {nat['NatGatewayId']} in {nat_zone}: "
            f"cross-AZ data is billed, and these subnets lose the internet if {nat_zone} fails.",
            f"Create a NAT gateway in {zones} and give those subnets a route table pointing at it, or set "
            "single_nat_intended: true if one NAT is a deliberate saving.",
            [view.id for view in crossing],
        )


CHECKS = (check_nats,)
