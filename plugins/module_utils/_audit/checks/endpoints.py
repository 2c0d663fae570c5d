# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VPC endpoints: the endpoint-only alternative to a NAT, and interface endpoints every task resolves to.

An interface endpoint with private DNS answers for its service's public name in the whole VPC, so its security
groups and zones matter to tasks behind a NAT gateway too.
"""

from __future__ import annotations

import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit import paths
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.checks.security_groups import (
    allows_tcp_port,
    covers_tcp_port,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.endpoints import endpoint_type

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.findings import Findings
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import AuditContext, SubnetView
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource


def check_endpoint_set(ctx: AuditContext, findings: Findings) -> None:
    by_table: dict[str | None, list[SubnetView]] = {}
    for view in ctx.views:
        if view.kind == paths.PRIVATE_ENDPOINTS:
            by_table.setdefault(view.route_table_id, []).append(view)
    for table_id, views in by_table.items():
        gaps = [f"{service}: {problem}" for service, _endpoint, problem in views[0].endpoint_status if problem]
        if not gaps:
            continue
        findings.add(
            "ENDPOINTS_INCOMPLETE",
            table_id,
            f"Subnets on route table {table_id} have no NAT or internet gateway, and their VPC endpoints are "
            f"incomplete, so tasks cannot pull their image: {'; '.join(gaps)}. Even with every endpoint, "
            "CloudReactor itself still needs the internet.",
            "Create the missing endpoints (interface endpoints available with private DNS on; the s3 gateway "
            f"endpoint associated with {table_id}), or route 0.0.0.0/0 through a NAT gateway.",
            [view.id for view in views],
        )


def used_interface_endpoints(ctx: AuditContext, view: SubnetView) -> list[Resource]:
    """The interface endpoints a task in ``view`` talks to: those its endpoint path relies on, and those whose
    private DNS answers for a needed service anyway."""
    used: dict[str, Resource] = {}
    for _service, endpoint, problem in view.endpoint_status:
        if endpoint is not None and problem is None and endpoint_type(endpoint) == "interface":
            used[endpoint["VpcEndpointId"]] = endpoint
    for service in ctx.services:
        for endpoint in ctx.endpoints.dns_intercepting(view.vpc_id, service):
            used[endpoint["VpcEndpointId"]] = endpoint
    return list(used.values())


def check_endpoint_zones(ctx: AuditContext, findings: Findings) -> None:
    for view in ctx.views:
        for endpoint in used_interface_endpoints(ctx, view):
            zones = sorted({zone for zone in map(ctx.subnet_zone, endpoint.get("SubnetIds", [])) if zone is not None})
            if view.az and view.az not in zones:
                endpoint_id = endpoint["VpcEndpointId"]
                findings.add(
                    "ENDPOINT_NOT_IN_AZ",
                    endpoint_id,
                    f"Interface endpoint {endpoint_id} ({endpoint.get('ServiceName')}) has network interfaces only in "
                    f"{', '.join(zones) or 'no zone'}; tasks in {view.az} cross zones to reach it.",
                    f"Add a subnet in {view.az} to {endpoint_id} (aws ec2 modify-vpc-endpoint --add-subnet-ids).",
                    [view.id],
                )


def check_endpoint_security_groups(ctx: AuditContext, findings: Findings) -> None:
    task_groups = ctx.options.security_group_ids if ctx.options.task_mode else ()
    for view in ctx.views:
        for endpoint in used_interface_endpoints(ctx, view):
            found = [ctx.snapshot.security_groups.get(group.get("GroupId")) for group in endpoint.get("Groups", [])]
            groups = [group for group in found if group]
            if not groups:
                continue
            ingress = [permission for group in groups for permission in group.get("IpPermissions", [])]
            if allows_tcp_port(ingress, 443, cidr=view.cidr, group_ids=task_groups):
                continue
            if not ctx.options.task_mode and any(
                covers_tcp_port(permission, 443) and permission.get("UserIdGroupPairs") for permission in ingress
            ):
                continue  # allowed from some security group; without the task's groups the audit cannot tell
            endpoint_id = endpoint["VpcEndpointId"]
            group_ids = ", ".join(group["GroupId"] for group in groups)
            source = f"the task security groups or {view.cidr}" if task_groups else view.cidr
            findings.add(
                "ENDPOINT_SG_BLOCKS_HTTPS",
                endpoint_id,
                f"Interface endpoint {endpoint_id} ({endpoint.get('ServiceName')}) has security groups {group_ids} "
                f"that do not allow inbound TCP 443 from {source}; its private DNS sends every task of the VPC to "
                "it, so calls to that service time out.",
                f"Allow inbound TCP 443 on {groups[0]['GroupId']} from the task security group or the task subnets' "
                "CIDRs.",
                [view.id],
            )


CHECKS = (check_endpoint_set, check_endpoint_zones, check_endpoint_security_groups)
