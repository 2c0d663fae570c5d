# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit as a Markdown report: summary, findings table, subnets table, and a Mermaid diagram of the network.

The diagram is drawn from the subnets' egress paths: consecutive hops become edges, so what the diagram shows is
exactly what the audit followed. Unhealthy hops and the edges into them are drawn red; GitHub and GitLab render the
```mermaid block as a picture. A subnet with IPv6 also has its ::/0 path drawn, beside the IPv4 one (an IPv6-only
subnet's main path is its NAT64 path, 64:ff9b::/96); each route table edge is labelled with the destinations it
carries.
"""

from __future__ import annotations

import re
import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._common.markdown import cell
from ansible_collections.cloudreactor.aws.plugins.module_utils._model import ipv6_routing

if typing.TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from typing import Any

    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import AuditContext, Hop

IPV4_DEFAULT = "0.0.0.0/0"
IPV6_DEFAULT = "::/0"
NAT64 = "64:ff9b::/96"

_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_]")
_SHAPES = {
    "subnet": ('["', '"]'),
    "route_table": ('("', '")'),
    "nat_gateway": ('{{"', '"}}'),
    "internet_gateway": ('[["', '"]]'),
    "egress_only_internet_gateway": ('[["', '"]]'),
    "vpc_endpoint": ('[("', '")]'),
}
_GATEWAYS = ("internet_gateway", "egress_only_internet_gateway")
_TITLES = {
    "route_table": "route table",
    "nat_gateway": "NAT gateway",
    "internet_gateway": "internet gateway",
    "egress_only_internet_gateway": "egress-only internet gateway",
    "vpc_endpoint": "endpoint",
}
BROKEN_STYLE = "stroke:#d32f2f,stroke-width:3px,stroke-dasharray:5 3"

# Mermaid refuses diagrams with more than 500 edges or 50,000 characters (its default maxEdges and maxTextSize, which
# GitHub and GitLab keep). Past these budgets the task subnets are drawn in groups: one node per zone, kind, route
# table health and onward path.
MAX_DETAILED_EDGES = 400
MAX_DETAILED_CHARS = 40000


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def node_id(text: object) -> str:
    """A Mermaid node id for a resource id: letters, digits and ``_`` only, never a keyword (``end``...)."""
    return "n_" + _UNSAFE_ID.sub("_", str(text))


def _label(text: object) -> str:
    return str(text).replace('"', "#quot;")


class _Diagram:
    def __init__(self, ctx: AuditContext, compact: bool = False, keep: Iterable[str] = ()) -> None:
        self.ctx = ctx
        self.compact = compact
        self.keep = set(keep)  # subnets never grouped (those NAT gateways sit in: other paths lead to them)
        self.groups: dict[str, dict[str, Any]] = {}  # group node id -> {"subnets": set, "tables": set, "kind": str}
        self._group_ids: dict[tuple[Any, ...], str] = {}
        self.nodes: dict[str, tuple[str, str, bool]] = {}  # id -> (type, label, healthy)
        self.edges: list[tuple[str | None, str, str, bool, bool]] = []  # (source, target, label, dashed, broken)
        self._edge_index: dict[tuple[str | None, str], int] = {}
        self.zone_of: dict[str, tuple[str | None, str | None]] = {}  # subnet node id -> (vpc id, zone)

    def _hop_node(self, hop: Hop, index: int) -> str:
        resource = hop["id"] or f"{hop['type']}_{hop.get('detail') or 'missing'}_{index}"
        nid = node_id(resource)
        title = _TITLES.get(hop["type"], hop["type"])
        if hop["type"] == "subnet":
            subnet = self.ctx.snapshot.subnets.get(hop["id"]) or {}
            view = self.ctx.views_by_id.get(hop["id"])
            role = view.kind if view else "NAT subnet"
            label = f"{hop['id']}<br/>{subnet.get('CidrBlock') or ipv6_routing.associated_block(subnet) or ''} {role}"
            self.zone_of[nid] = (subnet.get("VpcId"), subnet.get("AvailabilityZone"))
        elif hop["type"] == "vpc_endpoint":
            label = f"{hop['id'] or 'missing'}<br/>{hop.get('detail') or ''}"
        else:
            label = f"{title} {hop['id'] or 'missing'}<br/>{hop['state']}"
        known = self.nodes.get(nid)
        healthy = hop["healthy"] and (known is None or known[2])
        self.nodes[nid] = (hop["type"], label, healthy)
        return nid

    def _edge(self, source: str | None, target: str, label: str, dashed: bool, broken: bool) -> None:
        """One edge per pair of nodes: a second path along it (IPv6 beside IPv4) adds its label and its breakage."""
        key = (source, target)
        index = self._edge_index.get(key)
        if index is None:
            self._edge_index[key] = len(self.edges)
            self.edges.append((source, target, label, dashed, broken))
            return
        _source, _target, known, known_dashed, known_broken = self.edges[index]
        labels = [text for text in known.split(", ") + [label] if text]
        merged = ", ".join(dict.fromkeys(labels))
        self.edges[index] = (source, target, merged, known_dashed, known_broken or broken)

    def _group_node(self, hops: Sequence[Hop]) -> str:
        """Compact mode: the node standing for a task subnet and its route table, shared with every task subnet of
        the same VPC, zone and kind whose table is as healthy and whose path goes on through the same hops."""
        subnet_hop, table_hop = hops[0], hops[1]
        view = self.ctx.views_by_id[subnet_hop["id"]]
        onward = tuple((hop["type"], hop["id"], hop["healthy"]) for hop in hops[2:])
        key = (view.vpc_id, view.az, view.kind, subnet_hop["healthy"], table_hop["healthy"], onward)
        nid = self._group_ids.setdefault(key, f"group_{len(self._group_ids) + 1}")
        group = self.groups.setdefault(nid, {"subnets": set(), "tables": set(), "kind": view.kind})
        group["subnets"].add(subnet_hop["id"])
        group["tables"].add(table_hop["id"])
        self.nodes[nid] = ("subnet", "", subnet_hop["healthy"] and table_hop["healthy"])
        self.zone_of[nid] = (view.vpc_id, view.az)
        return nid

    def add_path(
        self, hops: Sequence[Hop], gateway_endpoints: Iterable[Mapping[str, str]] = (), destination: str = IPV4_DEFAULT
    ) -> None:
        """Draw one task subnet's path, and the gateway endpoints (S3...) that hang from its own route table.
        ``destination``: the route the path takes out of the subnet's route table (the label of that edge)."""
        table_node = None
        previous, previous_hop = None, None
        first = hops[0]["id"] if hops else None
        task_table = node_id(hops[1]["id"]) if len(hops) >= 2 and hops[1]["id"] else None
        if self.compact and len(hops) >= 2 and first in self.ctx.views_by_id and first not in self.keep:
            previous = table_node = task_table = self._group_node(hops)
            previous_hop = hops[1]
            hops = hops[2:]
        out_of_task_table = destination  # the first route table edge; later tables (the NAT's) carry 0.0.0.0/0
        for index, hop in enumerate(hops):
            nid = self._hop_node(hop, index)
            if hop["type"] == "vpc_endpoint":
                self._edge(table_node, nid, "", False, not hop["healthy"])
                continue
            if previous_hop is not None:
                label = ""
                dashed = False
                if previous_hop["type"] == "route_table":
                    label, out_of_task_table = out_of_task_table, IPV4_DEFAULT
                elif previous_hop["type"] == "nat_gateway" and hop["type"] == "subnet":
                    label, dashed = "sits in", True
                self._edge(previous, nid, label, dashed, not hop["healthy"])
            if hop["type"] == "route_table":
                table_node = nid
            previous, previous_hop = nid, hop
        if previous_hop and previous_hop["type"] in _GATEWAYS:
            self.nodes["internet"] = ("internet", "Internet", True)
            self._edge(previous, "internet", "", False, not previous_hop["healthy"])
        for endpoint in gateway_endpoints if task_table else ():
            nid = node_id(endpoint["vpc_endpoint_id"])
            label = f"{endpoint['vpc_endpoint_id']}<br/>{endpoint['service']} gateway"
            self.nodes.setdefault(nid, ("vpc_endpoint", label, True))
            self._edge(task_table, nid, endpoint["service"], False, False)

    def render(self) -> str:
        lines = ["flowchart LR"]
        by_vpc: dict[str | None, dict[str | None, list[str]]] = {}
        for nid, (vpc_id, zone) in self.zone_of.items():
            by_vpc.setdefault(vpc_id, {}).setdefault(zone, []).append(nid)
        placed = set()
        for vpc_id in sorted(by_vpc, key=str):
            lines.append(f'  subgraph {node_id("vpc_" + str(vpc_id))}["VPC {vpc_id}"]')
            for zone in sorted(by_vpc[vpc_id], key=str):
                lines.append(f'    subgraph {node_id("az_" + str(vpc_id) + "_" + str(zone))}["{zone}"]')
                for nid in by_vpc[vpc_id][zone]:
                    lines.append("      " + self._node_line(nid))
                    placed.add(nid)
                lines.append("    end")
            lines.append("  end")
        for nid in self.nodes:
            if nid not in placed:
                lines.append("  " + self._node_line(nid))
        broken_links = []
        for index, (source, target, label, dashed, broken) in enumerate(self.edges):
            arrow = "-.->" if dashed else "-->"
            text = f"|{_label(label)}|" if label else ""
            lines.append(f"  {source} {arrow}{text} {target}")
            if broken:
                broken_links.append(str(index))
        lines.append("  classDef broken fill:#fdecea,stroke:#d32f2f,stroke-width:2px,color:#b71c1c")
        lines.append("  classDef healthy fill:#edf7ed,stroke:#2e7d32")
        broken_nodes = [nid for nid, (_kind, _label_text, healthy) in self.nodes.items() if not healthy]
        healthy_nodes = [nid for nid, (_kind, _label_text, healthy) in self.nodes.items() if healthy]
        if healthy_nodes:
            lines.append(f"  class {','.join(healthy_nodes)} healthy")
        if broken_nodes:
            lines.append(f"  class {','.join(broken_nodes)} broken")
        if broken_links:
            lines.append(f"  linkStyle {','.join(broken_links)} {BROKEN_STYLE}")
        return "\n".join(lines)

    def _node_line(self, nid: str) -> str:
        kind, label, _healthy = self.nodes[nid]
        group = self.groups.get(nid)
        if group:
            subnets, tables = len(group["subnets"]), _count(len(group["tables"] - {None}), "route table")
            label = f"{subnets} {group['kind']} subnets<br/>{tables}"
            if subnets <= 3:
                label = f"{'<br/>'.join(sorted(group['subnets']))}<br/>{group['kind']}, {tables}"
        if kind == "internet":
            return f'{nid}(("{label}"))'
        opening, closing = _SHAPES.get(kind, ('["', '"]'))
        return f"{nid}{opening}{_label(label)}{closing}"


def mermaid(ctx: AuditContext, subnets: Sequence[Mapping[str, Any]]) -> str:
    """The flowchart: every hop of every path, or task subnets in groups when that would exceed Mermaid's limits."""
    text = ""
    nat_subnets = {hop["id"] for subnet in subnets for hop in subnet["egress_path"][1:] if hop["type"] == "subnet"}
    for compact in (False, True):
        diagram = _Diagram(ctx, compact=compact, keep=nat_subnets)
        for subnet in subnets:
            destination = NAT64 if subnet.get("ipv6_native") else IPV4_DEFAULT
            diagram.add_path(subnet["egress_path"], subnet.get("gateway_endpoints", ()), destination)
            if subnet.get("ipv6_egress_path") and not compact:  # grouped subnets show their IPv4 (or NAT64) path
                diagram.add_path(subnet["ipv6_egress_path"], (), IPV6_DEFAULT)
        text = diagram.render()
        if len(diagram.edges) <= MAX_DETAILED_EDGES and len(text) <= MAX_DETAILED_CHARS:
            break
    return text


def _path_text(hops: Iterable[Hop]) -> str:
    parts = []
    for hop in hops:
        name = hop["id"] or f"missing {hop.get('detail') or hop['type']}"
        parts.append(name if hop["healthy"] else f"**✗ {name} ({hop['state']})**")
    return " → ".join(parts)


def _gateway_endpoint_lines(subnets: Iterable[Mapping[str, Any]]) -> list[str]:
    """Which gateway endpoints (S3, DynamoDB) the task subnets' route tables carry: their traffic skips the NAT."""
    by_table: dict[tuple[str, str, str], list[str]] = {}
    for subnet in subnets:
        for endpoint in subnet.get("gateway_endpoints", ()):
            key = (subnet["route_table_id"], endpoint["service"], endpoint["vpc_endpoint_id"])
            by_table.setdefault(key, []).append(subnet["subnet_id"])
    if not by_table:
        return [
            "No gateway endpoint on the task subnets' route tables: S3 traffic (image layers) goes through the NAT "
            "gateway and is billed as NAT data processing."
        ]
    lines = ["| Route table | Service | Endpoint | Subnets |", "|---|---|---|---|"]
    for (table_id, service, endpoint_id), subnet_ids in sorted(by_table.items()):
        shown = ", ".join(subnet_ids) if len(subnet_ids) <= 3 else f"{len(subnet_ids)} subnets"
        lines.append(f"| {table_id} | {service} | {endpoint_id} | {shown} |")
    return lines


def render(ctx: AuditContext, result: Mapping[str, Any], settings: str) -> str:
    """The Markdown report. ``result``: the module's ``subnets``, ``findings`` and ``summary``; ``settings``: a line
    describing what was audited."""
    summary = result["summary"]
    verdict = "OK" if summary["ok"] else "NOT OK"
    counts = f"{summary['errors']} errors, {summary['warnings']} warnings, {summary['info']} info"
    lines = [
        f"# Fargate egress audit: {', '.join(summary['vpc_ids'])}",
        "",
        f"**{verdict}**: {counts}. {settings}",
        "",
        "## Findings",
        "",
    ]
    if result["findings"]:
        lines.append("| Severity | Code | Resource | Subnets | Message | Fix |")
        lines.append("|---|---|---|---|---|---|")
        for finding in result["findings"]:
            subnet_ids = finding["subnet_ids"]
            subnets_text = ", ".join(subnet_ids) if len(subnet_ids) <= 3 else f"{len(subnet_ids)} subnets"
            cells = [
                finding["severity"],
                f"`{finding['code']}`",
                cell(finding["resource_id"]),
                cell(subnets_text),
                cell(finding["message"]),
                cell(finding["remediation"]),
            ]
            lines.append(f"| {' | '.join(cells)} |")
    else:
        lines.append("No findings: tasks in these subnets can pull their image and reach CloudReactor.")
    lines.extend(["", "## Subnets", ""])
    lines.extend(_subnet_lines(result["subnets"]))
    lines.extend(["", "## Gateway endpoints", ""])
    lines.extend(_gateway_endpoint_lines(result["subnets"]))
    lines.extend(["", "## Network", "", "```mermaid", mermaid(ctx, result["subnets"]), "```", ""])
    cost = summary["monthly_cost"]
    lines.extend(
        [
            "## Monthly cost",
            "",
            "| Item | Count | USD per month |",
            "|---|---|---|",
            f"| NAT gateways (zones billed) | {cost['nat_gateways']} ({cost['nat_gateway_zones']}) "
            f"| {cost['nat_gateways_usd']:.2f} |",
            f"| Public IPv4 addresses | {cost['public_ipv4_addresses']} | {cost['public_ipv4_usd']:.2f} |",
            f"| Interface endpoint AZs | {cost['interface_endpoint_azs']} | {cost['interface_endpoints_usd']:.2f} |",
            *_egress_only_cost_rows(cost),
            f"| **Total** | | **{cost['total_usd']:.2f}** |",
            "",
            f"_{cost['basis']}._",
            "",
            *_ipv6_savings_lines(cost),
        ]
    )
    return "\n".join(lines)


def _yes(value: Any) -> str:
    return "yes" if value else "no"


def _subnet_lines(subnets: Sequence[dict[str, Any]]) -> list[str]:
    """The subnets table; with IPv6 subnets, their IPv6 CIDR and ::/0 path beside the IPv4 ones."""
    with_ipv6 = any(subnet.get("ipv6_cidr_block") for subnet in subnets)
    ipv6_head = " IPv6 CIDR | IPv6 path (::/0) | IPv6 internet |" if with_ipv6 else ""
    lines = [
        f"| Subnet | AZ | CIDR | Kind | Route table | Egress path | Internet | Image pull |{ipv6_head}",
        "|---|---|---|---|---|---|---|---|" + ("---|---|---|" if with_ipv6 else ""),
    ]
    for subnet in subnets:
        ipv6_cells = ""
        if with_ipv6:
            ipv6_path = _path_text(subnet["ipv6_egress_path"]) if subnet.get("ipv6_cidr_block") else "none"
            ipv6_cells = (
                f" {cell(subnet.get('ipv6_cidr_block') or 'none')} | {cell(ipv6_path)} "
                f"| {_yes(subnet.get('reaches_internet_ipv6'))} |"
            )
        lines.append(
            f"| {subnet['subnet_id']} | {subnet['availability_zone']} | {subnet['cidr_block'] or 'none (IPv6-only)'} "
            f"| {subnet['kind']} | {cell(subnet['route_table_id'])} ({subnet['route_table_association']}) "
            f"| {cell(_path_text(subnet['egress_path']))} | {_yes(subnet['reaches_internet'])} "
            f"| {_yes(subnet['can_pull_image'])} |{ipv6_cells}"
        )
    return lines


def _egress_only_cost_rows(cost: dict[str, Any]) -> list[str]:
    if not cost.get("egress_only_gateways") and not cost.get("ipv6_task_subnets"):
        return []
    return [
        f"| Egress-only internet gateways | {cost['egress_only_gateways']} | {cost['egress_only_gateways_usd']:.2f} |"
    ]


def _ipv6_savings_lines(cost: dict[str, Any]) -> list[str]:
    """What moves from the NAT gateway to the egress-only (or internet) gateway when tasks have IPv6."""
    subnets = cost.get("ipv6_task_subnets")
    if not subnets:
        return []
    per_gb = cost["nat_gateway_usd_per_gb"]
    return [
        f"IPv6: {_count(subnets, 'audited subnet')} behind a NAT gateway send ::/0 out through an egress-only or "
        "internet gateway, which "
        f"charges neither per hour nor per GB processed. Their traffic to dual-stack destinations (ECR's dual-stack "
        f"endpoints, S3, most APIs) moves off the NAT gateway, which charges ${per_gb:.3f} per GB processed: each "
        f"100 GB a month that moves saves ${100 * per_gb:.2f}. IPv4-only destinations still go through the NAT "
        "gateway (NAT64 for IPv6-only subnets).",
        "",
    ]


def write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
