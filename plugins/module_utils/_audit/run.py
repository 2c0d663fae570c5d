# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the audit: read once, analyse every task subnet, collect findings, summarise, optionally render a report."""

from __future__ import annotations

import ipaddress
import os
import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit import report
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.checks import CHECKS
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.cost import monthly_cost
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.findings import (
    ERROR,
    WARNING,
    Findings,
    counts,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import AuditContext, Options
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.snapshot import (
    network_vpc_ids,
    read_snapshot,
    read_task_subnets,
    read_vpcs,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput

if typing.TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.findings import Finding
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import SubnetView
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import Client

FAIL_THRESHOLDS = {"error": (ERROR,), "warning": (ERROR, WARNING), "never": ()}


def _subnet_order(subnet: Resource) -> tuple[str, int, str]:
    cidr = subnet.get("CidrBlock")  # an IPv6-only subnet has none
    try:
        address = int(ipaddress.ip_network(cidr, strict=False).network_address) if cidr else 0
    except (ValueError, TypeError):
        address = 0
    return (subnet.get("AvailabilityZone") or "", address, subnet["SubnetId"])


def collect(client: Client, params: Mapping[str, Any]) -> AuditContext:
    """Read the network and build the :class:`AuditContext` for ``params`` (the module's options). With neither
    ``vpc_id`` nor ``subnet_ids``, the VPC this collection built for ``network_name``."""
    vpc_id: str | None = params.get("vpc_id")
    network_vpcs: list[str] = []
    if not vpc_id and not params.get("subnet_ids"):
        network_vpcs = network_vpc_ids(client, params["network_name"])
        vpc_id = network_vpcs[0]
    options = Options(
        mode="vpc" if vpc_id else "task",
        assign_public_ip=bool(params.get("assign_public_ip")),
        security_group_ids=list(dict.fromkeys(params.get("security_group_ids") or [])),
        services=params.get("services") or (),
        uses_awslogs=params.get("uses_awslogs", True),
        single_nat_intended=params.get("single_nat_intended", False),
        min_free_ips=params.get("min_free_ips", 16),
        network_name=params.get("network_name"),
        network_vpc_ids=network_vpcs,
    )
    if vpc_id is None:  # options.task_mode
        subnet_ids = list(dict.fromkeys(params["subnet_ids"]))
        subnets = read_task_subnets(client, subnet_ids)
        vpc_ids = list(dict.fromkeys(subnet["VpcId"] for subnet in subnets))
        vpcs = read_vpcs(client, vpc_ids, "subnet_ids")
        snapshot = read_snapshot(client, vpcs, options.security_group_ids)
        missing = [group for group in options.security_group_ids if group not in snapshot.security_groups]
        if missing:
            raise InvalidInput("security_group_ids", f"security groups not found: {', '.join(missing)}")
        task_subnet_ids = subnet_ids
    else:
        vpcs = read_vpcs(client, [vpc_id], "vpc_id")
        snapshot = read_snapshot(client, vpcs)
        task_subnet_ids = [subnet["SubnetId"] for subnet in sorted(snapshot.subnets.values(), key=_subnet_order)]
    return AuditContext(snapshot, options, task_subnet_ids)


def analyse(ctx: AuditContext) -> list[Finding]:
    """The findings of every check, sorted (errors first)."""
    findings = Findings()
    for check in CHECKS:
        check(ctx, findings)
    return findings.sorted()


def _subnet_result(ctx: AuditContext, view: SubnetView, codes: Mapping[str, set[str]]) -> dict[str, Any]:
    acl = ctx.snapshot.acl_by_subnet.get(view.id) or {}
    return {
        "subnet_id": view.id,
        "vpc_id": view.vpc_id,
        "availability_zone": view.az,
        "availability_zone_id": view.subnet.get("AvailabilityZoneId"),
        "cidr_block": view.cidr,
        "available_ip_address_count": view.subnet.get("AvailableIpAddressCount"),
        "route_table_id": view.route_table_id,
        "route_table_association": view.association,
        "network_acl_id": acl.get("NetworkAclId"),
        "kind": view.kind,
        "reaches_internet": view.reaches_internet,
        "can_pull_image": view.can_pull_image,
        "egress_path": view.hops,
        "gateway_endpoints": [
            {"service": service, "vpc_endpoint_id": endpoint_id} for service, endpoint_id in view.gateway_endpoints
        ],
        "ipv6_cidr_block": view.ipv6_block,
        "ipv6_native": view.ipv6_native,
        "reaches_internet_ipv6": view.reaches_internet_ipv6,
        "ipv6_egress_path": view.ipv6_hops,
        "finding_codes": sorted(codes.get(view.id, ())),
    }


def result_of(ctx: AuditContext, findings: list[Finding]) -> dict[str, Any]:
    """The module's ``subnets``, ``findings`` and ``summary``."""
    codes: dict[str, set[str]] = {}
    for finding in findings:
        for subnet_id in finding.subnet_ids:
            codes.setdefault(subnet_id, set()).add(finding.code)
    tally = counts(findings)
    summary = {
        "errors": tally[ERROR],
        "warnings": tally[WARNING],
        "info": tally["info"],
        "ok": tally[ERROR] == 0,
        "subnets": len(ctx.views),
        "vpc_ids": sorted(ctx.snapshot.vpcs),
        "monthly_cost": monthly_cost(ctx),
    }
    return {
        "subnets": [_subnet_result(ctx, view, codes) for view in ctx.views],
        "findings": [finding.to_dict() for finding in findings],
        "summary": summary,
    }


def settings_text(ctx: AuditContext) -> str:
    options = ctx.options
    if not options.task_mode:
        vpcs = ", ".join(sorted(ctx.snapshot.vpcs))
        return f"Audited every subnet of {vpcs} (public subnets as if tasks had a public IP)."
    return (
        f"Audited a task with subnets {', '.join(view.id for view in ctx.views)}, security groups "
        f"{', '.join(options.security_group_ids)}, assign_public_ip {str(options.assign_public_ip).lower()}."
    )


def check_report_path(path: str | None, option: str = "report_path") -> None:
    """Refuse a report path that cannot be written (a directory, or in a directory that does not exist) before the
    audit reads anything. An empty path means no report."""
    if not path:
        return
    if os.path.isdir(path):
        raise InvalidInput(option, f"{path} is a directory; name a file")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise InvalidInput(option, f"directory {directory} does not exist")


def failure_message(result: Mapping[str, Any], fail_on: str) -> str | None:
    """The module's failure message when ``fail_on``'s threshold is reached, else ``None``."""
    severities = FAIL_THRESHOLDS[fail_on]
    hits = [finding for finding in result["findings"] if finding["severity"] in severities]
    if not hits:
        return None
    summary = result["summary"]
    listed = "; ".join(f"{finding['code']} ({finding['resource_id']})" for finding in hits[:10])
    more = f"; and {len(hits) - 10} more" if len(hits) > 10 else ""
    return (
        f"Fargate egress audit failed (fail_on={fail_on}): {summary['errors']} errors, {summary['warnings']} "
        f"warnings, {summary['info']} info. {listed}{more}"
    )


def audit(client: Client, params: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Run the whole audit. Returns ``(result, failure message or None)``; writes the report when asked."""
    ctx = collect(client, params)
    result = result_of(ctx, analyse(ctx))
    if params.get("report_path"):
        report.write(params["report_path"], report.render(ctx, result, settings_text(ctx)))
        result["report_path"] = params["report_path"]
    return result, failure_message(result, params.get("fail_on", "error"))
