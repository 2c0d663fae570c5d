# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Routes of the task subnets: blackholes, dead NAT targets, the subnet kind against ``assign_public_ip``; route tables
of a network that share one table name."""

from __future__ import annotations

import re
import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit import paths
from ansible_collections.cloudreactor.aws.plugins.module_utils._model import ipv6_routing, routing
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    COMPONENT_TAG,
    TABLE_TAG,
    is_ours,
    tags_of,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.route_table import COMPONENT as ROUTE_TABLE
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.route_table import subnet_associations

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.findings import Findings
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import AuditContext, SubnetView
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

_PRIVATE_WORD = re.compile(r"(^|[^a-z])private([^a-z]|$)")
IPV6_CHECKED_DESTINATIONS = (ipv6_routing.IPV6_DEFAULT_ROUTE_CIDR, ipv6_routing.NAT64_PREFIX)


def declared_private(subnet: Resource) -> bool:
    """True when a subnet's tags say it is meant to be private: ``Reach=private`` (the CloudReactor wizard), our
    ``cloudreactor:component=subnet-private``, or the word "private" in its Name."""
    tags = tags_of(subnet)
    if tags.get("Reach", "").lower() == "private" or "private" in tags.get(COMPONENT_TAG, "").lower():
        return True
    return bool(_PRIVATE_WORD.search(tags.get("Name", "").lower()))


def _views_by_table(ctx: AuditContext) -> dict[str | None, list[SubnetView]]:
    by_table: dict[str | None, list[SubnetView]] = {}
    for view in ctx.views:
        if view.route_table is not None:
            by_table.setdefault(view.route_table_id, []).append(view)
    return by_table


def check_blackholes(ctx: AuditContext, findings: Findings) -> None:
    """Every blackhole route of a task subnet's table (a default route to a dead NAT is ROUTE_DEAD_NAT instead; the
    ::/0 and NAT64 routes of a table with IPv6 task subnets are checks/ipv6.py's)."""
    for table_id, views in _views_by_table(ctx).items():
        table = views[0].route_table or {}  # every view here has a table (_views_by_table)
        vpc_id = table.get("VpcId")
        ipv6_checked = IPV6_CHECKED_DESTINATIONS if any(view.ipv6_block for view in views) else ()
        broken = []
        for route in table.get("Routes", []):
            kind, target = routing.route_target(route)
            is_default = route.get("DestinationCidrBlock") == routing.DEFAULT_ROUTE_CIDR
            if (is_default and kind == "nat_gateway") or route.get("DestinationIpv6CidrBlock") in ipv6_checked:
                continue
            if route.get("State") == "blackhole":
                broken.append(f"{routing.route_destination(route)} -> {target}")
            elif is_default and kind == "internet_gateway":
                problem = routing.route_problem(route, vpc_id, ctx.snapshot.internet_gateways, {})
                if problem:
                    broken.append(f"{routing.route_destination(route)} -> {target} ({problem})")
        if broken:
            findings.add(
                "ROUTE_BLACKHOLE",
                table_id,
                f"Route table {table_id} has routes whose target is gone: {'; '.join(broken)}.",
                f"In {table_id}, point these routes at a working target (or delete them).",
                [view.id for view in views],
            )


def _dead_nat_phrase(nat: Resource | None) -> str:
    if nat is None:
        return "does not exist"
    if nat.get("State") == "failed":
        return f"failed ({nat.get('FailureCode', 'no code')}: {nat.get('FailureMessage', 'no message')})"
    return f"is {nat.get('State')}"


def check_nat_targets(ctx: AuditContext, findings: Findings) -> None:
    for table_id, views in _views_by_table(ctx).items():
        view = views[0]
        if view.kind != paths.PRIVATE_NAT:
            continue
        if routing.nat_problem(view.nat) is None:
            continue
        problem = _dead_nat_phrase(view.nat)
        failure_hint = ""
        if view.nat is not None and view.nat.get("FailureCode") == "Gateway.NotAttached":
            failure_hint = " (it was created in a subnet without a route to an attached internet gateway)"
        findings.add(
            "ROUTE_DEAD_NAT",
            table_id,
            f"Route table {table_id} sends 0.0.0.0/0 to NAT gateway {view.target_id}, which {problem}{failure_hint}; "
            f"the route is reported {(view.default_route or {}).get('State', 'unknown')}.",
            f"Point 0.0.0.0/0 of {table_id} at an available NAT gateway in {view.az}; a replacement NAT must sit in "
            "a public subnet.",
            [item.id for item in views],
        )


def check_unverifiable(ctx: AuditContext, findings: Findings) -> None:
    for table_id, views in _views_by_table(ctx).items():
        view = views[0]
        if view.kind != paths.PRIVATE_OTHER:
            continue
        what = "a private NAT gateway" if routing.is_private_nat(view.nat) else "a target"
        findings.add(
            "ROUTE_UNVERIFIABLE",
            table_id,
            f"Route table {table_id} sends 0.0.0.0/0 to {what} ({view.target_id}) the audit cannot follow to the "
            "internet.",
            f"Check that {view.target_id} forwards HTTPS to the internet (e.g. through an egress VPC with a NAT).",
            [item.id for item in views],
        )


def check_public_ip(ctx: AuditContext, findings: Findings) -> None:
    """``assign_public_ip`` against the subnet kind, both directions (task mode only)."""
    if not ctx.options.task_mode:
        return
    for view in ctx.views:
        if view.kind == paths.PUBLIC and not ctx.options.assign_public_ip:
            map_note = (
                " Its MapPublicIpOnLaunch is on, but that applies to EC2 instances, not to Fargate tasks."
                if view.subnet.get("MapPublicIpOnLaunch")
                else ""
            )
            findings.add(
                "PUBLIC_SUBNET_NO_PUBLIC_IP",
                view.id,
                f"Subnet {view.id} is public (0.0.0.0/0 -> {view.target_id}) and assign_public_ip is false: the task "
                f"gets no public IP, so it cannot pull its image nor reach CloudReactor.{map_note}",
                f"Set assign_public_ip: true, or use private subnets of {view.vpc_id} routed through a NAT gateway.",
                [view.id],
            )
        elif view.kind != paths.PUBLIC and ctx.options.assign_public_ip:
            findings.add(
                "PRIVATE_SUBNET_PUBLIC_IP",
                view.id,
                f"assign_public_ip is true but subnet {view.id} ({view.kind}) does not route to an internet gateway: "
                "the public IP is never used, and each one is billed.",
                "Set assign_public_ip: false.",
                [view.id],
            )


def check_declared_private(ctx: AuditContext, findings: Findings) -> None:
    for view in ctx.views:
        if view.kind == paths.PUBLIC and declared_private(view.subnet):
            findings.add(
                "PRIVATE_SUBNET_ROUTES_TO_IGW",
                view.id,
                f"Subnet {view.id} is tagged or named private, but its route table {view.route_table_id} sends "
                f"0.0.0.0/0 to internet gateway {view.target_id}: it is public, and tasks without a public IP there "
                "have no internet.",
                f"Route 0.0.0.0/0 of {view.id} to a NAT gateway in {view.az} (with its own route table).",
                [view.id],
            )


def check_no_internet(ctx: AuditContext, findings: Findings) -> None:
    for view in ctx.views:
        if view.kind not in (paths.PRIVATE_ENDPOINTS, paths.ISOLATED):
            continue
        where = f"route table {view.route_table_id}" if view.route_table else "no route table"
        image = (
            "It can pull its image through VPC endpoints."
            if view.can_pull_image
            else "It cannot pull its image either (no complete set of VPC endpoints)."
        )
        findings.add(
            "NO_INTERNET_FOR_CLOUDREACTOR",
            view.id,
            f"Subnet {view.id} ({where}) has no default route to a NAT or internet gateway: a task there cannot "
            f"report to CloudReactor. {image}",
            f"Route 0.0.0.0/0 of {view.id} to an available NAT gateway in {view.az}.",
            [view.id],
        )


def check_duplicate_tables(ctx: AuditContext, findings: Findings) -> None:
    """Route tables with the identity tags of one table name of the audited network (runs that raced before the
    network's claim existed): the network repairs and keeps only one, so subnets on the others miss its repairs."""
    network = ctx.options.network_name
    if not network:
        return
    by_name: dict[tuple[str | None, str], list[Resource]] = {}
    for table in sorted(ctx.snapshot.route_tables, key=lambda table: table["RouteTableId"]):
        name = tags_of(table).get(TABLE_TAG)
        if name is not None and is_ours(table, network, ROUTE_TABLE):
            by_name.setdefault((table.get("VpcId"), name), []).append(table)
    for (vpc_id, name), tables in sorted(by_name.items(), key=lambda item: (item[0][0] or "", item[0][1])):
        if len(tables) < 2:
            continue
        held = [
            f"{table['RouteTableId']} ({', '.join(sorted(subnet_associations(table))) or 'no subnet'})"
            for table in tables
        ]
        subnet_ids = {subnet_id for table in tables for subnet_id in subnet_associations(table)}
        findings.add(
            "NETWORK_DUPLICATE_ROUTE_TABLES",
            tables[0]["RouteTableId"],
            f"Route table {name} of network {network} is {len(tables)} tables in {vpc_id}: {'; '.join(held)}. Only "
            "one is kept up to date (routes repaired, S3 gateway endpoint); subnets on the others miss its repairs.",
            f"Run setup_network for network {network}: it keeps one, moves the subnets to it and deletes the others "
            "(it changes nothing while one holds a subnet that is not the network's, and says which).",
            [view.id for view in ctx.views if view.id in subnet_ids],
        )


CHECKS = (
    check_duplicate_tables,
    check_blackholes,
    check_nat_targets,
    check_unverifiable,
    check_public_ip,
    check_declared_private,
    check_no_internet,
)
