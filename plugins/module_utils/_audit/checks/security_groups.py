# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Security groups: the task's egress to 443, and what a restricted egress still reaches.

Security groups are stateful and allow-only: a permission that covers TCP 443 and the destination is enough. A task
in an IPv6-only subnet needs 443 to ::/0 instead of 0.0.0.0/0; one in a dual-stack subnet needs both.
"""

from __future__ import annotations

import ipaddress
import typing

if typing.TYPE_CHECKING:
    from collections.abc import Iterable

    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.findings import Findings
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import AuditContext
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

ANYWHERE = "0.0.0.0/0"
ANYWHERE_IPV6 = "::/0"
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


def _ranges(permission: Resource) -> list[str | None]:
    """The permission's IPv4 and IPv6 ranges (``CidrIp`` / ``CidrIpv6``)."""
    return [item.get("CidrIp") for item in permission.get("IpRanges", [])] + [
        item.get("CidrIpv6") for item in permission.get("Ipv6Ranges", [])
    ]


def allows_tcp_port(
    permissions: Iterable[Resource], port: int, cidr: str | None = None, group_ids: Iterable[str] = ()
) -> bool:
    """True when one of ``permissions`` covers TCP ``port`` for traffic from/to ``cidr`` (an IPv4 or IPv6 range
    wholly inside one of its ``IpRanges`` or ``Ipv6Ranges``) or from/to one of ``group_ids`` (a ``UserIdGroupPairs``
    entry)."""
    for permission in permissions:
        if not covers_tcp_port(permission, port):
            continue
        if cidr and any(_covers_network(block, cidr) for block in _ranges(permission)):
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
        places.extend(_ranges(permission))
        places.extend(item.get("PrefixListId") for item in permission.get("PrefixListIds", []))
        places.extend(pair.get("GroupId") for pair in permission.get("UserIdGroupPairs", []))
    return [place for place in dict.fromkeys(places) if place]


def _authorize_command(group_id: str, destination: str) -> str:
    """The CLI command that allows TCP 443 out to ``destination`` (``--cidr`` takes IPv4 ranges only)."""
    command = f"aws ec2 authorize-security-group-egress --group-id {group_id}"
    if destination == ANYWHERE_IPV6:
        return f"{command} --ip-permissions 'IpProtocol=tcp,FromPort=443,ToPort=443,Ipv6Ranges=[{{CidrIpv6=::/0}}]'"
    return f"{command} --protocol tcp --port 443 --cidr {destination}"


def check_task_egress(ctx: AuditContext, findings: Findings) -> None:
    """TCP 443 to the internet over each address family the task subnets give a task: 0.0.0.0/0 unless every subnet
    is IPv6-only, ::/0 for IPv6-only subnets (SG_NO_HTTPS_EGRESS); ::/0 for dual-stack ones (SG_NO_IPV6_EGRESS)."""
    if not ctx.options.task_mode:
        return
    group_ids = ctx.options.security_group_ids
    groups = [
        ctx.snapshot.security_groups[group_id] for group_id in group_ids if group_id in ctx.snapshot.security_groups
    ]
    egress = [permission for group in groups for permission in group.get("IpPermissionsEgress", [])]
    ipv4_views = [view for view in ctx.views if not view.ipv6_native]
    native_views = [view for view in ctx.views if view.ipv6_native]
    needed = ([ANYWHERE] if ipv4_views or not native_views else []) + ([ANYWHERE_IPV6] if native_views else [])
    missing = [destination for destination in needed if not allows_tcp_port(egress, 443, cidr=destination)]
    if missing:
        places = reachable_on_port(egress, 443)
        reach = (
            f"TCP 443 may go only to {', '.join(places)}, so the task reaches at most the endpoints or addresses "
            "behind them, never CloudReactor."
            if places
            else "No egress rule covers TCP 443 at all."
        )
        names = ", ".join(group_ids)
        findings.add(
            "SG_NO_HTTPS_EGRESS",
            names,
            f"The task security groups ({names}) do not allow outbound TCP 443 to {' nor '.join(missing)}. {reach}",
            "; ".join(_authorize_command(group_ids[0], destination) for destination in missing),
            [view.id for view in ctx.views],
        )
    check_task_ipv6_egress(ctx, findings, egress)


def check_task_ipv6_egress(ctx: AuditContext, findings: Findings, egress: Iterable[Resource]) -> None:
    """Dual-stack task subnets: TCP 443 to ::/0, else a task with an IPv6 address hangs before falling back."""
    dual_stack = [view for view in ctx.views if view.ipv6_block and not view.ipv6_native]
    if not dual_stack or allows_tcp_port(egress, 443, cidr=ANYWHERE_IPV6):
        return
    group_ids = ctx.options.security_group_ids
    names = ", ".join(group_ids)
    subnets = ", ".join(view.id for view in dual_stack)
    findings.add(
        "SG_NO_IPV6_EGRESS",
        names,
        f"The task subnets {subnets} are dual-stack, and the task security groups ({names}) do not allow outbound "
        "TCP 443 to ::/0: a task with an IPv6 address tries IPv6 first for dual-stack destinations and hangs until "
        "it falls back to IPv4.",
        _authorize_command(group_ids[0], ANYWHERE_IPV6),
        [view.id for view in dual_stack],
    )


CHECKS = (check_task_egress,)
