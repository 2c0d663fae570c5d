# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding codes (the one table: code, severity, meaning, fix) and the findings an audit collects.

Codes are stable: playbooks and dashboards match on them. docs/network-check-findings.md is this table rendered by
:func:`markdown_table`; a test fails when the two differ.
"""

from __future__ import annotations

import typing

if typing.TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)


class Code:
    """One finding code: its fixed severity, what it means, and the generic fix."""

    def __init__(self, name: str, severity: str, meaning: str, fix: str) -> None:
        self.name = name
        self.severity = severity
        self.meaning = meaning
        self.fix = fix


_TABLE = (
    # -- the VPC -------------------------------------------------------------------------------------------------
    Code(
        "VPC_DNS_SUPPORT_DISABLED",
        ERROR,
        "The VPC's enableDnsSupport is off: tasks cannot resolve ECR, CloudWatch Logs or CloudReactor through the "
        "Amazon DNS server.",
        "Turn on the VPC attribute enableDnsSupport.",
    ),
    Code(
        "VPC_DNS_HOSTNAMES_DISABLED",
        WARNING,
        "The VPC's enableDnsHostnames is off: the private DNS names of interface VPC endpoints do not resolve.",
        "Turn on the VPC attribute enableDnsHostnames (interface endpoints with private DNS need both DNS attributes).",
    ),
    Code(
        "IGW_MISSING",
        ERROR,
        "No internet gateway is attached (state available) to the VPC: nothing in it can reach the internet, "
        "so no task can reach CloudReactor.",
        "Create an internet gateway, attach it to the VPC, and route the public subnets' 0.0.0.0/0 to it.",
    ),
    Code(
        "NETWORK_DUPLICATE_VPCS",
        ERROR,
        "More than one VPC carries the network's identity tags (runs that raced before the network's claim existed): "
        "the extra one's NAT gateways and public addresses bill, and deploys may publish either network.",
        "Run setup_network for the network: it keeps the VPC tasks use (or the lowest id) and removes the others.",
    ),
    Code(
        "NETWORK_DUPLICATE_ROUTE_TABLES",
        WARNING,
        "More than one route table of the network's VPC carries the identity tags of one of its tables (runs that "
        "raced before the network's claim existed): the network keeps only one up to date, so subnets on the others "
        "miss its later repairs (a route that breaks on them now is reported by its own finding).",
        "Run setup_network for the network: it keeps one, moves the subnets to it and deletes the others.",
    ),
    Code(
        "NETWORK_DUPLICATE_IGW",
        WARNING,
        "An internet gateway carrying the network's identity tags is attached to no VPC, and the network's VPC has "
        "another (a VPC takes only one; runs that raced before the network's claim existed each created one): it "
        "costs nothing, but it is clutter and counts against the region's internet gateway quota.",
        "Run setup_network for the network: it deletes the network's detached internet gateways, or delete it with "
        "aws ec2 delete-internet-gateway.",
    ),
    Code(
        "MIXED_VPCS",
        ERROR,
        "The task's subnets and security groups do not all belong to one VPC: ECS refuses to start the task.",
        "Use subnets and security groups of a single VPC.",
    ),
    Code(
        "SINGLE_AZ",
        WARNING,
        "All task subnets are in one availability zone: the tasks stop when that zone fails.",
        "Add task subnets in a second availability zone, each with its own way out (NAT gateway or public route).",
    ),
    # -- routes --------------------------------------------------------------------------------------------------
    Code(
        "ROUTE_BLACKHOLE",
        ERROR,
        "A route in a task subnet's route table is a blackhole: its target (internet gateway, NAT gateway, "
        "network interface, peering) is gone or detached, and traffic matching it is dropped.",
        "Point the route at a working target, or delete it.",
    ),
    Code(
        "ROUTE_DEAD_NAT",
        ERROR,
        "A task subnet's default route targets a NAT gateway that is failed, deleting, deleted or unknown, even when "
        "the API still reports the route active.",
        "Point 0.0.0.0/0 at an available NAT gateway in the subnet's AZ; recreate a failed NAT in a public subnet.",
    ),
    Code(
        "ROUTE_UNVERIFIABLE",
        WARNING,
        "A task subnet's default route goes to a target the audit cannot follow (transit gateway, peering, network "
        "interface, virtual private gateway, private NAT gateway).",
        "Check that this target forwards HTTPS to the internet, for example through a central egress VPC.",
    ),
    Code(
        "PRIVATE_SUBNET_ROUTES_TO_IGW",
        WARNING,
        "A subnet tagged or named private sends 0.0.0.0/0 to the internet gateway: it is in fact public, and a task "
        "there without a public IP has no internet.",
        "Route the subnet's 0.0.0.0/0 to a NAT gateway in its AZ (or tag it public and run tasks with a public IP).",
    ),
    Code(
        "PUBLIC_SUBNET_NO_PUBLIC_IP",
        ERROR,
        "A task subnet is public (0.0.0.0/0 goes to the internet gateway) but assign_public_ip is false: the task "
        "gets no public IP and reaches nothing outside the VPC. The subnet's MapPublicIpOnLaunch does not apply to "
        "Fargate.",
        "Set assign_public_ip to true, or run the task in private subnets routed through a NAT gateway.",
    ),
    Code(
        "PRIVATE_SUBNET_PUBLIC_IP",
        WARNING,
        "assign_public_ip is true but the subnet does not route to the internet gateway: the public IP is never "
        "used, and it is billed.",
        "Set assign_public_ip to false for tasks in private subnets.",
    ),
    Code(
        "NO_INTERNET_FOR_CLOUDREACTOR",
        ERROR,
        "A task subnet has no route to the internet (no NAT gateway, no internet gateway): the task cannot report "
        "to CloudReactor, and without a complete set of VPC endpoints it cannot pull its image either.",
        "Route the subnet's 0.0.0.0/0 to an available NAT gateway in its AZ.",
    ),
    # -- NAT gateways --------------------------------------------------------------------------------------------
    Code(
        "NAT_PENDING",
        WARNING,
        "A NAT gateway that task subnets route through is still pending: no internet until it is available.",
        "Wait until the NAT gateway is available (a few minutes), then run the audit again.",
    ),
    Code(
        "NAT_NOT_IN_PUBLIC_SUBNET",
        ERROR,
        "A NAT gateway sits in a subnet that does not route 0.0.0.0/0 to an attached internet gateway: the traffic "
        "of the subnets behind it goes nowhere.",
        "Route the NAT's subnet to the internet gateway, or recreate the NAT gateway in a public subnet.",
    ),
    Code(
        "NAT_NO_ELASTIC_IP",
        ERROR,
        "A public NAT gateway has no Elastic IP that still exists in the VPC domain: it cannot translate to a "
        "public address.",
        "Recreate the NAT gateway with an allocated Elastic IP.",
    ),
    Code(
        "NAT_CROSS_AZ",
        WARNING,
        "Task subnets route through a NAT gateway in another availability zone: cross-AZ data is billed, and the "
        "tasks lose the internet when that zone fails.",
        "Give each AZ its own NAT gateway and route each AZ's subnets to it, or set single_nat_intended.",
    ),
    Code(
        "NAT_REGIONAL",
        INFO,
        "A regional NAT gateway (AvailabilityMode regional) serves the task subnets: it spans availability zones "
        "and needs no public subnet of its own.",
        "Nothing to fix.",
    ),
    Code(
        "NAT_REGIONAL_ZONE_NOT_COVERED",
        ERROR,
        "Task subnets route through a regional NAT gateway in manual mode (AvailabilityZoneAddresses given, "
        "AutoProvisionZones disabled) that has no address in their availability zone: manual mode does not expand "
        "to new zones, so tasks there have no way out.",
        "Give the NAT gateway an Elastic IP in that zone (one AvailabilityZoneAddresses entry per task zone), or use "
        "automatic mode, or run the tasks only in the zones it covers.",
    ),
    Code(
        "NAT_REGIONAL_NEW_ZONE",
        INFO,
        "Task subnets route through a regional NAT gateway in automatic mode that is not active in their "
        "availability zone yet. AWS expands the gateway to a zone by itself when a workload's network interface "
        "appears there (the first task started in the zone); until the expansion is done (AWS: up to 60 minutes) "
        "that zone's traffic goes through the gateway in a zone it already covers, as cross-AZ traffic, and the "
        "new zone is billed as an active zone from then on (Amazon VPC User Guide, Regional NAT gateways for "
        "automatic multi-AZ expansion).",
        "Nothing to fix. To have the zone covered before tasks rely on it, start one task there ahead of time, or "
        "use manual mode with an address per zone.",
    ),
    Code(
        "NAT_REGIONAL_NO_INTERNET_ROUTE",
        ERROR,
        "A regional NAT gateway's own route table (its RouteTableId) does not send 0.0.0.0/0 to an internet "
        "gateway attached to the VPC: AWS creates that route with the gateway, and without it the traffic of every "
        "subnet behind the gateway goes nowhere.",
        "In the NAT gateway's route table, route 0.0.0.0/0 to the VPC's internet gateway.",
    ),
    # -- IPv6 ----------------------------------------------------------------------------------------------------
    Code(
        "IPV6_ROUTE_MISSING",
        WARNING,
        "A dual-stack task subnet's route table has no working ::/0 route (none, a blackhole, or one to an "
        "egress-only or internet gateway that is gone or detached): a task with an IPv6 address (ECS account "
        "setting dualStackIPv6) tries IPv6 first for dual-stack destinations (ECR, S3, most APIs) and hangs until it "
        "falls back to IPv4.",
        "Route the table's ::/0 to the VPC's egress-only internet gateway (private subnets) or internet gateway "
        "(public subnets).",
    ),
    Code(
        "IPV6_ONLY_ROUTE_MISSING",
        ERROR,
        "An IPv6-only task subnet's route table has no working ::/0 route (none, a blackhole, or one to an "
        "egress-only or internet gateway that is gone or detached): tasks there have no IPv4 address, so they reach "
        "nothing outside the VPC.",
        "Route the table's ::/0 to the VPC's egress-only internet gateway.",
    ),
    Code(
        "EGRESS_ONLY_GATEWAY_MISSING",
        WARNING,
        "Task subnets with IPv6 have no working ::/0 route and no egress-only internet gateway is attached to their "
        "VPC: their IPv6 traffic has no outbound-only way out. An egress-only internet gateway has no hourly and no "
        "per-GB processing charge.",
        "Create an egress-only internet gateway for the VPC and route the private subnets' ::/0 to it.",
    ),
    Code(
        "DNS64_DISABLED",
        ERROR,
        "An IPv6-only task subnet has DNS64 off (EnableDns64): the names of IPv4-only destinations "
        "(ecr:GetAuthorizationToken, possibly CloudReactor) resolve to no IPv6 address, so tasks cannot reach them "
        "through NAT64.",
        "Turn on the subnet attribute EnableDns64.",
    ),
    Code(
        "NAT64_ROUTE_MISSING",
        ERROR,
        "An IPv6-only task subnet's route table does not send 64:ff9b::/96 to a working public NAT gateway (no "
        "route, a blackhole, or a NAT gateway that is failed, deleted or private): tasks cannot reach IPv4-only "
        "destinations through NAT64.",
        "Route 64:ff9b::/96 of the table to an available public NAT gateway in the subnet's zone (or to the "
        "regional NAT gateway).",
    ),
    Code(
        "SG_NO_IPV6_EGRESS",
        WARNING,
        "The task subnets are dual-stack and the task security groups do not allow outbound TCP 443 to ::/0: a task "
        "with an IPv6 address tries IPv6 first and hangs until it falls back to IPv4.",
        "Add an egress rule allowing TCP 443 (or all traffic) to ::/0.",
    ),
    Code(
        "NACL_BLOCKS_IPV6_EGRESS",
        WARNING,
        "A dual-stack task subnet's network ACL denies outbound TCP 443 to ::/0 or inbound TCP 1024-65535 from ::/0 "
        "(IPv6 rules are separate from the IPv4 ones; the final IPv6 deny is rule 32768): a task with an IPv6 "
        "address hangs until it falls back to IPv4.",
        "Add IPv6 allow rules (outbound TCP 443 to ::/0, inbound TCP 1024-65535 from ::/0) numbered below the rule "
        "that denies them.",
    ),
    # -- VPC endpoints -------------------------------------------------------------------------------------------
    Code(
        "ENDPOINTS_INCOMPLETE",
        ERROR,
        "A task subnet without NAT or internet gateway can pull its image only through VPC endpoints, and some are "
        "missing or unusable: interface ecr.api and ecr.dkr, the s3 gateway endpoint on the subnet's route table, "
        "logs with awslogs, and the services listed.",
        "Create the missing endpoints (interface: available, private DNS on; s3: gateway endpoint on the subnet's "
        "route table), or route the subnet through a NAT gateway.",
    ),
    Code(
        "ENDPOINT_NOT_IN_AZ",
        WARNING,
        "An interface endpoint the tasks use has no network interface in a task subnet's availability zone: "
        "traffic crosses zones and fails with the other zone.",
        "Add a subnet in that availability zone to the endpoint.",
    ),
    Code(
        "ENDPOINT_SG_BLOCKS_HTTPS",
        ERROR,
        "An interface endpoint's security groups do not allow inbound TCP 443 from the task security groups or "
        "subnet CIDRs. With private DNS on, every task in the VPC reaches that service through the endpoint, "
        "even behind a NAT gateway.",
        "Allow inbound TCP 443 on the endpoint's security group from the task security group or the task subnets.",
    ),
    # -- security groups and network ACLs ------------------------------------------------------------------------
    Code(
        "SG_NO_HTTPS_EGRESS",
        ERROR,
        "The task security groups do not allow outbound TCP 443 to 0.0.0.0/0 (to ::/0 when the task subnets are "
        "IPv6-only).",
        "Add an egress rule allowing TCP 443 (or all traffic) to 0.0.0.0/0 (::/0 for IPv6-only subnets).",
    ),
    Code(
        "NACL_BLOCKS_HTTPS_EGRESS",
        ERROR,
        "A network ACL of a task subnet or NAT gateway subnet denies outbound TCP 443 to the internet (rules are "
        "evaluated in number order; the first match wins). For an IPv6-only task subnet the internet is ::/0.",
        "Add an allow rule for outbound TCP 443 to 0.0.0.0/0 (::/0 for an IPv6-only subnet) numbered below the rule "
        "that denies it.",
    ),
    Code(
        "NACL_BLOCKS_EPHEMERAL_INGRESS",
        ERROR,
        "A network ACL of a task subnet or NAT gateway subnet denies inbound TCP 1024-65535 from the internet: "
        "network ACLs are stateless, so the replies are dropped. For an IPv6-only task subnet the internet is ::/0.",
        "Add an allow rule for inbound TCP 1024-65535 from 0.0.0.0/0 (::/0 for an IPv6-only subnet) numbered below "
        "the rule that denies it.",
    ),
    Code(
        "NACL_BLOCKS_HTTPS_INGRESS",
        ERROR,
        "The network ACL of a NAT gateway's or interface endpoint's subnet denies inbound TCP 443 from task subnets.",
        "Add an allow rule for inbound TCP 443 from the task subnets' CIDRs.",
    ),
    Code(
        "NACL_BLOCKS_EPHEMERAL_EGRESS",
        ERROR,
        "The network ACL of a NAT gateway's or interface endpoint's subnet denies outbound TCP 1024-65535 to task "
        "subnets: the replies never reach the tasks.",
        "Add an allow rule for outbound TCP 1024-65535 to the task subnets' CIDRs.",
    ),
    Code(
        "NACL_BLOCKS_DNS_EGRESS",
        ERROR,
        "The VPC's DHCP options name custom DNS servers, and a task subnet's network ACL denies outbound port 53 "
        "(UDP or TCP) to them.",
        "Allow outbound UDP and TCP 53 to the DNS servers (and inbound 1024-65535 from them).",
    ),
    # -- addresses -----------------------------------------------------------------------------------------------
    Code(
        "SUBNET_FEW_FREE_IPS",
        WARNING,
        "A task subnet has fewer free IP addresses than min_free_ips; each running task takes one.",
        "Use a larger subnet (or more subnets) for the tasks.",
    ),
    Code(
        "SUBNET_NO_FREE_IPS",
        ERROR,
        "A task subnet has no free IP address: no new task can start there.",
        "Free addresses, or run the tasks in a larger subnet.",
    ),
    Code(
        "EIP_LEAKED",
        WARNING,
        "An Elastic IP tagged as this network's is associated with nothing: it is billed for nothing.",
        "Run setup_network for the network (it releases the free Elastic IPs it allocated), or release the Elastic "
        "IP, or reuse it for a NAT gateway.",
    ),
)

CODES = {code.name: code for code in _TABLE}


class Finding:
    """One problem found: a code, the resource it is about, a specific message and fix, the task subnets it hits."""

    def __init__(
        self,
        code: str,
        resource_id: str | None,
        message: str,
        remediation: str | None = None,
        subnet_ids: Iterable[str] = (),
    ) -> None:
        if code not in CODES:
            raise ValueError(f"unknown finding code {code}")
        self.code = code
        self.severity = CODES[code].severity
        self.resource_id = resource_id
        self.message = message
        self.remediation = remediation or CODES[code].fix
        self.subnet_ids = list(subnet_ids)

    def sort_key(self) -> tuple[int, str, str]:
        return (SEVERITIES.index(self.severity), self.code, self.resource_id or "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "resource_id": self.resource_id,
            "message": self.message,
            "remediation": self.remediation,
            "subnet_ids": sorted(self.subnet_ids),
        }


class Findings:
    """The findings of one audit, one per ``(code, resource)``: a second report of the same problem only adds the
    task subnets it hits."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str | None], Finding] = {}

    def add(
        self,
        code: str,
        resource_id: str | None,
        message: str,
        remediation: str | None = None,
        subnet_ids: Iterable[str] = (),
    ) -> None:
        key = (code, resource_id)
        found = self._by_key.get(key)
        if found is None:
            self._by_key[key] = Finding(code, resource_id, message, remediation, subnet_ids)
        else:
            found.subnet_ids.extend(sid for sid in subnet_ids if sid not in found.subnet_ids)

    def sorted(self) -> list[Finding]:
        return sorted(self._by_key.values(), key=Finding.sort_key)

    def codes_for_subnet(self, subnet_id: str) -> list[str]:
        return sorted({finding.code for finding in self._by_key.values() if subnet_id in finding.subnet_ids})

    def __len__(self) -> int:
        return len(self._by_key)


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    """``{"error": n, "warning": n, "info": n}``."""
    result = dict.fromkeys(SEVERITIES, 0)
    for finding in findings:
        result[finding.severity] += 1
    return result


def markdown_table() -> str:
    """The code table as Markdown (what docs/network-check-findings.md holds)."""
    lines = ["| Code | Severity | Meaning | Fix |", "|---|---|---|---|"]
    lines.extend(f"| `{code.name}` | {code.severity} | {code.meaning} | {code.fix} |" for code in _TABLE)
    return "\n".join(lines) + "\n"
