# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""IPv6 of the task subnets: the ::/0 route and the egress-only internet gateway, and for IPv6-only subnets DNS64
and the NAT64 route; the network ACL's IPv6 rules of dual-stack subnets.

A dual-stack subnet still has its IPv4 way out, so its IPv6 faults are warnings: a task gets an IPv6 address only with
the ECS account setting dualStackIPv6, and then tries IPv6 first and hangs before falling back to IPv4. An IPv6-only
subnet has no IPv4 at all, so its faults are errors. The security group's ::/0 rule is checks/security_groups.py's,
an IPv6-only subnet's network ACL checks/nacl.py's (with ::/0 as the internet).
"""

from __future__ import annotations

import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit import paths
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.checks.nacl import (
    ANYWHERE_IPV6,
    EPHEMERAL,
    HTTPS,
    TCP,
    denials,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._model import ipv6_routing, routing

if typing.TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.findings import Findings
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import AuditContext, SubnetView


def _by_table(views: Iterable[SubnetView]) -> dict[str, list[SubnetView]]:
    """Views grouped by their route table's id (a subnet with no table stands alone, under its own id)."""
    grouped: dict[str, list[SubnetView]] = {}
    for view in views:
        grouped.setdefault(view.route_table_id or view.id, []).append(view)
    return grouped


def _route_command(view: SubnetView, destination: str, target_option: str) -> str:
    """The CLI command that points ``destination`` of the view's table at ``target_option`` (create or replace)."""
    if view.route_table is None:
        return f"Associate {view.id} with a route table, then route its {destination} ({target_option})"
    verb = "replace-route" if ipv6_routing.ipv6_route(view.route_table, destination) else "create-route"
    return (
        f"aws ec2 {verb} --route-table-id {view.route_table_id} --destination-ipv6-cidr-block {destination} "
        f"{target_option}"
    )


def _egress_only_gateway_ids(ctx: AuditContext, vpc_id: str | None) -> list[str]:
    return ipv6_routing.egress_only_gateways_of(ctx.snapshot.egress_only_gateways.values(), vpc_id)


def _ipv6_default_fix(ctx: AuditContext, view: SubnetView) -> str:
    igw = ctx.snapshot.attached_igw(view.vpc_id)
    if view.kind == paths.PUBLIC and igw is not None:
        return _route_command(view, ipv6_routing.IPV6_DEFAULT_ROUTE_CIDR, f"--gateway-id {igw['InternetGatewayId']}")
    gateway_ids = _egress_only_gateway_ids(ctx, view.vpc_id)
    if gateway_ids:
        option = f"--egress-only-internet-gateway-id {gateway_ids[0]}"
        return _route_command(view, ipv6_routing.IPV6_DEFAULT_ROUTE_CIDR, option)
    return f"aws ec2 create-egress-only-internet-gateway --vpc-id {view.vpc_id}, then " + _route_command(
        view, ipv6_routing.IPV6_DEFAULT_ROUTE_CIDR, "--egress-only-internet-gateway-id <its id>"
    )


def check_ipv6_routes(ctx: AuditContext, findings: Findings) -> None:
    """Every table of IPv6 task subnets needs a ::/0 route to a working egress-only or internet gateway."""
    broken = [view for view in ctx.views if view.ipv6_block and view.ipv6_problem]
    for table_id, views in _by_table(broken).items():
        view = views[0]
        for native in (True, False):
            hit = [item.id for item in views if item.ipv6_native == native]
            if not hit:
                continue
            effect = (
                "tasks there have no IPv4 address, so they reach nothing outside the VPC"
                if native
                else "tasks with an IPv6 address hang on dual-stack destinations until they fall back to IPv4"
            )
            findings.add(
                "IPV6_ONLY_ROUTE_MISSING" if native else "IPV6_ROUTE_MISSING",
                table_id,
                f"Route table {table_id} of {'IPv6-only' if native else 'dual-stack'} subnets {', '.join(hit)}: "
                f"{view.ipv6_problem}; {effect}.",
                _ipv6_default_fix(ctx, view),
                hit,
            )


def check_egress_only_gateway(ctx: AuditContext, findings: Findings) -> None:
    """A VPC whose private IPv6 task subnets have no way out over IPv6 and no egress-only internet gateway."""
    by_vpc: dict[str | None, list[SubnetView]] = {}
    for view in ctx.views:
        if view.ipv6_block and view.ipv6_problem and view.kind != paths.PUBLIC:
            by_vpc.setdefault(view.vpc_id, []).append(view)
    for vpc_id, views in by_vpc.items():
        if _egress_only_gateway_ids(ctx, vpc_id):
            continue
        subnet_ids = [view.id for view in views]
        findings.add(
            "EGRESS_ONLY_GATEWAY_MISSING",
            vpc_id,
            f"No egress-only internet gateway is attached to {vpc_id}, and its IPv6 task subnets "
            f"{', '.join(subnet_ids)} have no working ::/0 route.",
            f"aws ec2 create-egress-only-internet-gateway --vpc-id {vpc_id}, then route ::/0 of the private route "
            "tables to it.",
            subnet_ids,
        )


def check_dns64(ctx: AuditContext, findings: Findings) -> None:
    for view in ctx.views:
        if view.ipv6_native and not ipv6_routing.dns64_enabled(view.subnet):
            findings.add(
                "DNS64_DISABLED",
                view.id,
                f"IPv6-only subnet {view.id} has DNS64 off: IPv4-only names (ecr:GetAuthorizationToken's endpoint, "
                "possibly CloudReactor) resolve to no IPv6 address, so tasks there cannot reach them through NAT64.",
                f"aws ec2 modify-subnet-attribute --subnet-id {view.id} --enable-dns64",
                [view.id],
            )


def _nat64_candidate(ctx: AuditContext, view: SubnetView) -> str | None:
    """An available public NAT gateway for ``view``'s NAT64 route: one in its zone, else the VPC's regional one."""
    usable: list[dict[str, Any]] = [
        nat
        for nat in ctx.snapshot.nat_gateways.values()
        if nat.get("VpcId") == view.vpc_id and nat.get("State") == "available" and not routing.is_private_nat(nat)
    ]
    in_zone = [nat for nat in usable if not routing.is_regional_nat(nat) and ctx.nat_zone(nat) == view.az]
    regional = [nat for nat in usable if routing.is_regional_nat(nat)]
    chosen = in_zone or regional
    return str(chosen[0]["NatGatewayId"]) if chosen else None


def check_nat64(ctx: AuditContext, findings: Findings) -> None:
    broken = [view for view in ctx.views if view.ipv6_native and view.nat64_problem]
    for table_id, views in _by_table(broken).items():
        view = views[0]
        candidate = _nat64_candidate(ctx, view)
        fix = (
            _route_command(view, ipv6_routing.NAT64_PREFIX, f"--nat-gateway-id {candidate}")
            if candidate
            else f"Create a public NAT gateway in a public subnet of {view.az} (or a regional one), then route "
            f"{ipv6_routing.NAT64_PREFIX} of {table_id} to it."
        )
        subnet_ids = [item.id for item in views]
        findings.add(
            "NAT64_ROUTE_MISSING",
            table_id,
            f"Route table {table_id} of IPv6-only subnets {', '.join(subnet_ids)}: {view.nat64_problem}; tasks there "
            "cannot reach IPv4-only destinations (ecr:GetAuthorizationToken, possibly CloudReactor).",
            fix,
            subnet_ids,
        )


def check_ipv6_nacls(ctx: AuditContext, findings: Findings) -> None:
    """A dual-stack subnet's network ACL must pass TCP 443 out to ::/0 and the replies (1024-65535) back in."""
    for view in ctx.views:
        if not view.ipv6_block or view.ipv6_native:
            continue
        acl = ctx.snapshot.acl_by_subnet.get(view.id)
        if acl is None:
            continue
        denied = []
        for egress, ports, what in _IPV6_NACL_QUESTIONS:
            rules = denials(acl, egress, TCP, ANYWHERE_IPV6, ports)
            if rules:
                named = ", ".join("the final * deny (32768)" if rule == "*" else f"rule {rule}" for rule in rules)
                denied.append(f"{what} ({named})")
        if denied:
            acl_id = acl["NetworkAclId"]
            findings.add(
                "NACL_BLOCKS_IPV6_EGRESS",
                acl_id,
                f"Network ACL {acl_id} (dual-stack task subnet {view.id}) denies {'; '.join(denied)}: tasks with an "
                "IPv6 address hang until they fall back to IPv4.",
                f"In {acl_id}, allow outbound TCP 443 to ::/0 and inbound TCP 1024-65535 from ::/0 (Ipv6CidrBlock "
                "rules) numbered below the rules that deny them.",
                [view.id],
            )


_IPV6_NACL_QUESTIONS = (
    (True, HTTPS, "outbound TCP 443 to ::/0"),
    (False, EPHEMERAL, "inbound TCP 1024-65535 from ::/0"),
)

CHECKS = (check_ipv6_routes, check_egress_only_gateway, check_dns64, check_nat64, check_ipv6_nacls)
