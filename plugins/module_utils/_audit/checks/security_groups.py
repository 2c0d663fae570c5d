# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security groups: the task's egress to 443, and what a restricted egress still reaches.

Security groups are stateful and allow-only: a permission that covers TCP 443 and the destination is enough.
"""

from __future__ import annotations

import ipaddress
import typing

if typing.TYPE_CHECKING:
    from collections.abc import Iterable

    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.findings import Findings
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import AuditContext
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

_PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "-1": "-1", "all": "-1"}


def _protocol(permission: Resource) -> str:
    value = str(permission.get("IpProtocol", "")).lower()
    return _PROTOCOL_NAMES.get(value, value)


def covers_tcp_port(permission: Resource, port: int) -> bool:
    """True when ``permission`` covers TCP ``port`` (all traffic, or TCP with a port range that includes it)."""
    protocol = _protocol(permission)
    if protocol == "-1":
        return True
    if protocol != "tcp":
        return False
    low: int | None = permission.get("FromPort")
    high: int | None = permission.get("ToPort")
    if low is None or high is None or (low == -1 and high == -1):
        return True
    return low <= port <= high


def _covers_network(cidr: str | None, network: str) -> bool:
    try:
        # A missing cidr raises ValueError, networks of two IP versions TypeError: both mean no.
        return ipaddress.ip_network(network, strict=False).subnet_of(
            ipaddress.ip_network(cidr, strict=False)  # type: ignore[arg-type]
        )
    except (ValueError, TypeError):
        return False


def allows_tcp_port(
    permissions: Iterable[Resource], port: int, cidr: str | None = None, group_ids: Iterable[str] = ()
) -> bool:
    """True when one of ``permissions`` covers TCP ``port`` for traffic from/to ``cidr`` (an IPv4 range wholly
    inside one of its ``IpRanges``) or from/to one of ``group_ids`` (a ``UserIdGroupPairs`` entry)."""
    for permission in permissions:
        if not covers_tcp_port(permission, port):
            continue
        if cidr and any(_covers_network(item.get("CidrIp"), cidr) for item in permission.get("IpRanges", [])):
            return True
        if any(pair.get("GroupId") in group_ids for pair in permission.get("UserIdGroupPairs", [])):
            return True
    return False


def reachable_on_port(permissions: Iterable[Resource], port: int) -> list[str]:
    """Where TCP ``port`` may go, for messages: CIDRs, prefix lists and security groups."""
    places: list[str | None] = []
    for permission in permissions:
        if not covers_tcp_port(permission, port):
            continue
        places.extend(item.get("CidrIp") for item in permission.get("IpRanges", []))
        places.extend(item.get("PrefixListId") for item in permission.get("PrefixListIds", []))
        places.extend(pair.get("GroupId") for pair in permission.get("UserIdGroupPairs", []))
    return [place for place in dict.fromkeys(places) if place]


def check_task_egress(ctx: AuditContext, findings: Findings) -> None:
    if not ctx.options.task_mode:
        return
    group_ids = ctx.options.security_group_ids
    groups = [
        ctx.snapshot.security_groups[group_id] for group_id in group_ids if group_id in ctx.snapshot.security_groups
    ]
    egress = [permission for group in groups for permission in group.get("IpPermissionsEgress", [])]
    if allows_tcp_port(egress, 443, cidr="0.0.0.0/0"):
        return
    places = reachable_on_port(egress, 443)
    reach = (
        f"TCP 443 may go only to {', '.join(places)}, so the task reaches at most the endpoints or addresses behind "
        "them, never CloudReactor."
        if places
        else "No egress rule covers TCP 443 at all."
    )
    names = ", ".join(group_ids)
    findings.add(
        "SG_NO_HTTPS_EGRESS",
        names,
        f"The task security groups ({names}) do not allow outbound TCP 443 to 0.0.0.0/0. {reach}",
        f"aws ec2 authorize-security-group-egress --group-id {group_ids[0]} --protocol tcp --port 443 --cidr 0.0.0.0/0",
        [view.id for view in ctx.views],
    )


CHECKS = (check_task_egress,)
