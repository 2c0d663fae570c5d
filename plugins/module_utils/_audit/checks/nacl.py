# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network ACLs, evaluated as AWS does: stateless, by rule number, first match wins, a final ``*`` deny.

IPv4 and IPv6 rules are separate: a question about an IPv6 CIDR is answered by the ``Ipv6CidrBlock`` rules alone, and
AWS numbers the final IPv6 deny 32768 (the IPv4 one 32767).

A question is "may TCP on these ports pass to (or from) every address of this CIDR?". The evaluator walks the rules
in order over the rectangle addresses x ports still undecided, so a rule that allows or denies part of the range
decides only that part; whatever no rule decides falls to the final deny.
"""

from __future__ import annotations

import ipaddress
import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit import paths
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.checks.endpoints import used_interface_endpoints
from ansible_collections.cloudreactor.aws.plugins.module_utils._model import routing

if typing.TYPE_CHECKING:
    from typing import TypeAlias

    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.findings import Findings
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import AuditContext, SubnetView
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

    Range: TypeAlias = tuple[int, int]
    # ``(addresses, ports)``: a rectangle of the evaluator (module docstring).
    Box: TypeAlias = tuple[Range, Range]
    # A rule number, or ``"*"`` for the final deny.
    Rule: TypeAlias = int | str
    # ``(egress, protocol, cidr, ports)``: may this traffic pass?
    Query: TypeAlias = tuple[bool, str, str, Range]

TCP = "6"
UDP = "17"
ALL = "-1"
ANYWHERE = "0.0.0.0/0"
ANYWHERE_IPV6 = "::/0"
HTTPS = (443, 443)
EPHEMERAL = (1024, 65535)
DNS = (53, 53)
_ALL_PORTS = (0, 65535)
_PROTOCOLS = {"tcp": TCP, "udp": UDP, "icmp": "1", "all": ALL}
_PROTOCOL_NAMES = {TCP: "TCP", UDP: "UDP"}
_DEFAULT_RULE = 32767
_FINAL_RULES = (_DEFAULT_RULE, 32768)  # the ``*`` denies: IPv4, IPv6


def _protocol(value: object) -> str:
    text = str(value).lower()
    return _PROTOCOLS.get(text, text)


def _address_range(cidr: str) -> Range:
    network = ipaddress.ip_network(cidr, strict=False)
    return int(network.network_address), int(network.broadcast_address)


def _intersect(a: Range, b: Range) -> Range | None:
    low, high = max(a[0], b[0]), min(a[1], b[1])
    return (low, high) if low <= high else None


def _subtract(box: Box, cut: Box) -> list[Box]:
    """``box`` minus ``cut`` (a sub-box of it), as up to four disjoint boxes. A box is ``(addresses, ports)``."""
    (a_low, a_high), (p_low, p_high) = box
    (c_low, c_high), (q_low, q_high) = cut
    pieces: list[Box] = []
    if a_low < c_low:
        pieces.append(((a_low, c_low - 1), (p_low, p_high)))
    if c_high < a_high:
        pieces.append(((c_high + 1, a_high), (p_low, p_high)))
    if p_low < q_low:
        pieces.append(((c_low, c_high), (p_low, q_low - 1)))
    if q_high < p_high:
        pieces.append(((c_low, c_high), (q_high + 1, p_high)))
    return pieces


def _rule_ports(entry: Resource, protocol: str) -> Range:
    port_range = entry.get("PortRange")
    if protocol in (TCP, UDP) and port_range:
        return port_range.get("From", 0), port_range.get("To", 65535)
    return _ALL_PORTS


def denials(acl: Resource, egress: bool, protocol: object, cidr: str, ports: Range) -> list[Rule]:
    """The rule numbers that deny part of ``protocol``/``ports`` to (``egress``) or from ``cidr``; ``[]`` when all of
    it passes. The final deny is reported as ``"*"``."""
    protocol = _protocol(protocol)
    block_key = "Ipv6CidrBlock" if ipaddress.ip_network(cidr, strict=False).version == 6 else "CidrBlock"
    remaining: list[Box] = [(_address_range(cidr), (ports[0], ports[1]))]
    denied: list[Rule] = []
    entries = sorted(
        (e for e in acl.get("Entries", []) if bool(e.get("Egress")) == egress and e.get(block_key)),
        key=lambda e: e.get("RuleNumber", _DEFAULT_RULE),
    )
    for entry in entries:
        rule_protocol = _protocol(entry.get("Protocol"))
        if rule_protocol not in (ALL, protocol):
            continue
        rule_box = (_address_range(entry[block_key]), _rule_ports(entry, rule_protocol))
        still: list[Box] = []
        for box in remaining:
            addresses = _intersect(box[0], rule_box[0])
            port_range = _intersect(box[1], rule_box[1])
            if addresses is None or port_range is None:
                still.append(box)
                continue
            if entry.get("RuleAction") == "deny":
                number = entry.get("RuleNumber")
                denied.append("*" if number in _FINAL_RULES else number)
            still.extend(_subtract(box, (addresses, port_range)))
        remaining = still
        if not remaining:
            break
    if remaining:
        denied.append("*")
    return list(dict.fromkeys(denied))


def _ports_text(ports: Range) -> str:
    return str(ports[0]) if ports[0] == ports[1] else f"{ports[0]}-{ports[1]}"


def _rules_text(rules: list[Rule]) -> str:
    named = ["the final * deny" if rule == "*" else f"rule {rule}" for rule in rules]
    return ", ".join(named)


class _NaclAuditor:
    def __init__(self, ctx: AuditContext, findings: Findings) -> None:
        self.ctx = ctx
        self.findings = findings
        self._memo: dict[tuple[str, bool, str, str, Range], list[Rule]] = {}

    def acl_of(self, subnet_id: str) -> Resource | None:
        return self.ctx.snapshot.acl_by_subnet.get(subnet_id)

    def ask(self, acl: Resource, query: Query) -> list[Rule]:
        key = (acl["NetworkAclId"],) + query
        if key not in self._memo:
            self._memo[key] = denials(acl, *query)
        return self._memo[key]

    def require(self, code: str, subnet_id: str, query: Query, view: SubnetView, role: str = "task subnet") -> None:
        """Report ``code`` against the ACL of ``subnet_id`` unless it lets ``query`` pass (for task subnet ``view``).
        ``query``: ``(egress, protocol, cidr, ports)``."""
        acl = self.acl_of(subnet_id)
        if acl is None:
            return
        rules = self.ask(acl, query)
        if not rules:
            return
        egress, protocol, cidr, ports = query
        acl_id = acl["NetworkAclId"]
        what = (
            f"{'outbound' if egress else 'inbound'} {_PROTOCOL_NAMES.get(protocol, protocol)} {_ports_text(ports)} "
            f"{'to' if egress else 'from'} {cidr}"
        )
        self.findings.add(
            code,
            acl_id,
            f"Network ACL {acl_id} ({role} {subnet_id}) denies {what}: {_rules_text(rules)}.",
            f"In {acl_id}, allow {what} with a rule numbered below {_first_number(rules)}.",
            [view.id],
        )


def _first_number(rules: list[Rule]) -> Rule:
    numbers = [rule for rule in rules if rule != "*"]
    return min(numbers) if numbers else _DEFAULT_RULE


def check_task_subnets(ctx: AuditContext, findings: Findings) -> None:
    """Each task subnet's own ACL: out to 443, replies back in on 1024-65535 (and DNS to custom servers)."""
    auditor = _NaclAuditor(ctx, findings)
    for view in ctx.views:
        if view.kind == paths.ISOLATED:
            continue
        destinations = _endpoint_cidrs(ctx, view) if view.kind == paths.PRIVATE_ENDPOINTS else [ANYWHERE]
        if view.kind == paths.IPV6_ONLY:
            destinations = [ANYWHERE_IPV6]
        for cidr in destinations:
            auditor.require("NACL_BLOCKS_HTTPS_EGRESS", view.id, (True, TCP, cidr, HTTPS), view)
            auditor.require("NACL_BLOCKS_EPHEMERAL_INGRESS", view.id, (False, TCP, cidr, EPHEMERAL), view)
        for server in ctx.snapshot.dns_servers.get(view.vpc_id, []):
            for protocol in (UDP, TCP):
                auditor.require("NACL_BLOCKS_DNS_EGRESS", view.id, (True, protocol, f"{server}/32", DNS), view)


def _endpoint_cidrs(ctx: AuditContext, view: SubnetView) -> list[str]:
    cidrs = []
    for endpoint in used_interface_endpoints(ctx, view):
        for subnet_id in endpoint.get("SubnetIds", []):
            cidr = (ctx.snapshot.subnets.get(subnet_id) or {}).get("CidrBlock")
            if subnet_id != view.id and cidr:
                cidrs.append(cidr)
    return list(dict.fromkeys(cidrs))


def check_serving_subnets(ctx: AuditContext, findings: Findings) -> None:
    """The ACLs of the subnets that carry task traffic on: the NAT gateway's (both ways, to the task subnets and to
    the internet) and the interface endpoints' (443 in from the task subnets, replies out to them)."""
    auditor = _NaclAuditor(ctx, findings)
    for view in ctx.views:
        task_cidr = view.cidr or view.ipv6_block  # an IPv6-only subnet has only its IPv6 block
        if task_cidr is None:
            continue
        nat = view.nat
        through_nat = view.kind in (paths.PRIVATE_NAT, paths.IPV6_ONLY)  # IPv6-only: NAT64
        if through_nat and nat and routing.nat_problem(nat) is None and nat.get("SubnetId"):
            nat_subnet = nat["SubnetId"]
            if nat_subnet != view.id:  # traffic inside one subnet does not cross its ACL
                role = f"subnet of NAT gateway {nat['NatGatewayId']},"
                auditor.require("NACL_BLOCKS_HTTPS_INGRESS", nat_subnet, (False, TCP, task_cidr, HTTPS), view, role)
                auditor.require("NACL_BLOCKS_HTTPS_EGRESS", nat_subnet, (True, TCP, ANYWHERE, HTTPS), view, role)
                auditor.require(
                    "NACL_BLOCKS_EPHEMERAL_INGRESS", nat_subnet, (False, TCP, ANYWHERE, EPHEMERAL), view, role
                )
                auditor.require(
                    "NACL_BLOCKS_EPHEMERAL_EGRESS", nat_subnet, (True, TCP, task_cidr, EPHEMERAL), view, role
                )
        for endpoint in used_interface_endpoints(ctx, view):
            role = f"subnet of endpoint {endpoint['VpcEndpointId']},"
            for subnet_id in endpoint.get("SubnetIds", []):
                if subnet_id == view.id:
                    continue
                auditor.require("NACL_BLOCKS_HTTPS_INGRESS", subnet_id, (False, TCP, task_cidr, HTTPS), view, role)
                auditor.require(
                    "NACL_BLOCKS_EPHEMERAL_EGRESS", subnet_id, (True, TCP, task_cidr, EPHEMERAL), view, role
                )


CHECKS = (check_task_subnets, check_serving_subnets)
