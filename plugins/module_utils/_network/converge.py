# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build, repair and audit a whole Fargate network in one pass (the ``network`` module, which the role runs).

The order is the dependency order: VPC, subnets, internet gateway and public routes, NAT gateways, private routes,
removal of NAT gateways no route uses any more, the S3 gateway endpoint on the route tables, the tasks' security
group, then the audit. Each step is the reconciler of its resource (vpc.py, subnets.py, internet_gateway.py,
route_table.py, nat_gateway.py, regional_nat_gateway.py, s3_endpoint.py, security_group.py); this file only plans
and chains them.

With ``ip_mode`` dual_stack or ipv6_only the same pass gives the VPC an Amazon-provided /56 and each subnet a /64
(ipv6.py plans them), adds the egress-only internet gateway and the IPv6 routes and security group rule; IPv6-only
task subnets are built beside the private ones, which are deleted only once free. Back to ipv4, it removes what it
added, routes first and the VPC's block last (:meth:`NetworkConverge._remove_ipv6`), and keeps all of it while an
IPv6-only subnet still has tasks.

A switch of NAT mode keeps the private subnets' egress all the way (:meth:`NetworkConverge._move_private_routes`): a
private default route that works is moved (ReplaceRoute) only once its new NAT gateway is available, and the old
gateways are deleted only after that.

Why one module rather than one Ansible task per resource: every task costs a module start-up (most of a no-op run),
and every reconciler used to read the network again. Here the network is read once, up front, into the run's model
(:class:`run_model.RunModel`), which answers the reconcilers' and the audit's reads from that reading, and keeps what
each step created or changed as that step's own calls answered it: no step asks AWS about what an earlier step made
(EC2 may not list it yet), and calls naming it retry while it propagates.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.run import audit, check_report_path
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import (
    describe_where,
    internet_gateways_by_id,
    nat_gateways_by_id,
    region_internet_gateways,
    vpc_addresses,
    vpc_route_tables,
    vpc_subnets,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput, NetworkError
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.ids import check_id_format
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.ipv6 import (
    IPV6_DEFAULT_ROUTE,
    IPV6_ONLY,
    NAT64_PREFIX,
    check_ip_mode,
    has_ipv6,
    ipv6_cidr,
    plan_ipv6,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.layout import check_static
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.routing import (
    DEFAULT_ROUTE_CIDR,
    default_route,
    is_regional_nat,
    route_problem,
    route_target,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.run_model import model_of
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import check_network_name
from ansible_collections.cloudreactor.aws.plugins.module_utils._network.network_layout import plan_network
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import (
    egress_only_internet_gateway,
    elastic_ip,
    internet_gateway,
    nat_gateway,
    regional_nat_gateway,
    route_table,
    s3_endpoint,
    security_group,
    subnets,
    vpc,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.nat_gateway import NatGateways
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.nat_lifecycle import (
    NatDesired,
    allocation_ids,
    pending_nat_gateways,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.regional_nat_gateway import (
    RegionalNatGateway,
    zone_addresses,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.route_table import (
    PLANNED_NAT,
    RouteTable,
    choose_table,
    our_tables,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import ABSENT, PRESENT, Scope
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.security_group import (
    SecurityGroup,
    check_ingress_rules,
    refuse_taken_name,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.subnets import (
    check_cidrs_kept,
    subnets_in_use,
    wait_for_ipv6_released,
)

if typing.TYPE_CHECKING:
    from typing import TypeAlias

    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

    # ``(table name, private subnet id, NAT gateway as the NAT reconcilers' present() reports it)``.
    PrivateRoute: TypeAlias = tuple[str, str, dict[str, Any]]

NAT_MODES = ("per_az", "single", "regional", "none")


def nat_label(nat: Mapping[str, Any]) -> str:
    """A NAT gateway as the NAT gateway reconcilers' ``present()`` report it, named in a change line."""
    if nat.get("availability_mode") == "regional":
        return f"regional NAT gateway {nat['nat_gateway_id']}" if nat["nat_gateway_id"] else "new regional NAT gateway"
    if nat["nat_gateway_id"]:
        return f"NAT gateway {nat['nat_gateway_id']} in {nat['availability_zone']}"
    return f"new NAT gateway in {nat['availability_zone']}"


def carries_traffic(
    route: Resource | None, vpc_id: str, igws_by_id: Mapping[Any, Resource], nats_by_id: Mapping[Any, Resource]
) -> bool:
    """True when a private table's default route works now: to a NAT gateway that is available (a pending one does
    not carry traffic yet), or to another target that works (a transit gateway, an instance...)."""
    if route is None or route_problem(route, vpc_id, igws_by_id, nats_by_id):
        return False
    kind, target = route_target(route)
    return kind != "nat_gateway" or nats_by_id[target].get("State") == "available"


def check_options(params: Mapping[str, Any]) -> None:
    """Every check that needs no AWS call, before the first one. Messages name the option (with its prefix)."""
    check_network_name(params["network_name"], "network_name")
    check_ip_mode(params["ip_mode"], params["nat_gateways"], params["option_prefix"])
    if params["vpc_id"]:
        check_id_format("vpc_id", params["vpc_id"], "vpc")
    zone_count = len(params["availability_zones"]) or params["az_count"]
    private = params["nat_gateways"] != "none" and params["ip_mode"] != IPV6_ONLY
    check_static(
        None if params["vpc_id"] else params["vpc_cidr"],
        params["public_subnet_cidrs"],
        params["private_subnet_cidrs"] if private else [],
        zone_count,
    )
    allocation_ids = params["nat_allocation_ids"]
    check_id_format("nat_allocation_ids", allocation_ids, "eipalloc")
    if allocation_ids and params["nat_gateways"] == "regional":
        # Split over the zones in zone order, the same number each (numbered when the layout chooses them later).
        zones = params["availability_zones"] or [f"zone {index + 1}" for index in range(zone_count)]
        zone_addresses(zones, allocation_ids, "nat_allocation_ids")
    elif allocation_ids:
        wanted = 0 if not private else 1 if params["nat_gateways"] == "single" else zone_count
        if len(allocation_ids) != wanted:
            raise InvalidInput(
                "nat_allocation_ids",
                f"has {len(allocation_ids)} entries; nat_gateways {params['nat_gateways']} with {zone_count} zones "
                f"needs {wanted} (one per NAT gateway, in zone order), or none",
            )
    if params["wait_timeout"] < 0:
        raise InvalidInput("wait_timeout", "must be 0 or more seconds")
    if params.get("claim_timeout", 0) < 0:
        raise InvalidInput("claim_timeout", "must be 0 or more seconds")
    if params.get("claim_lease", 1) <= 0:
        raise InvalidInput("claim_lease", "must be more than 0 seconds")
    check_ingress_rules(params["security_group_ingress"], "security_group_ingress")
    if params["audit"]:
        check_report_path(params["report_path"])


def ipv4_way_out(table: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    """What makes a table's subnets public or not (its diff summary's subnets and 0.0.0.0/0 route)."""
    routes = [route for route in table["routes"] if route["destination"] == DEFAULT_ROUTE_CIDR]
    return table["subnet_ids"], routes


def prime(client: Any, vpc_id: str) -> None:
    """Read, in one call each, everything of ``vpc_id`` the reconcilers look up: later reads come from the cache."""
    describe_where(client, "describe_vpcs", "Vpcs", "vpc-id", [vpc_id])
    # Internet gateways: the region's listing, not the VPC's. It costs the same one call (a region has few: their
    # quota is the VPCs', 5 by default) and answers the network's detached gateways too, which no filter by VPC
    # returns: internet_gateway.present() deletes them as duplicates, and the audit reports them, with no call more.
    region_internet_gateways(client)
    for operation, result_key, name in (
        ("describe_route_tables", "RouteTables", "vpc-id"),
        ("describe_security_groups", "SecurityGroups", "vpc-id"),
        ("describe_vpc_endpoints", "VpcEndpoints", "vpc-id"),
        ("describe_nat_gateways", "NatGateways", "vpc-id"),
    ):
        describe_where(client, operation, result_key, name, [vpc_id])
    vpc_addresses(client)


class NetworkRun:
    """One run of the ``network`` module, building (:class:`NetworkConverge`) or removing (``teardown.py``) the
    network: ``run()`` returns the module's result."""

    def __init__(
        self, client: Any, params: Mapping[str, Any], check_mode: bool, warn: Callable[[str], None], claim: Any = None
    ) -> None:
        self.client = model_of(client)
        self.claim = claim  # the network's claim (_aws/lease.py) this run holds, or None when it changes nothing
        self.params = params
        self.check_mode = check_mode
        self.warn = warn
        self.network = params["network_name"]
        # Every step's scope: the VPC's id is added once it is known.
        self.scope = Scope(
            client=self.client,
            network=self.network,
            warn=warn,
            tags=params["tags"],
            purge_tags=params["purge_tags"],
            check_mode=check_mode,
        )
        self.changes: list[str] = []  # what this run changed (or would change), in order, e.g. "created VPC"


class NetworkConverge(NetworkRun):
    """Build and repair the network, then audit it."""

    def __init__(
        self, client: Any, params: Mapping[str, Any], check_mode: bool, warn: Callable[[str], None], claim: Any = None
    ) -> None:
        super().__init__(client, params, check_mode, warn, claim)
        self.private = params["nat_gateways"] != "none"
        self.ip_mode = params["ip_mode"]
        self.ipv6_only = self.ip_mode == IPV6_ONLY
        self.ipv6 = has_ipv6(self.ip_mode)  # IPv6 built (or kept: see _retiring) in this run
        self.nat64 = self.ipv6_only  # the private tables route 64:ff9b::/96 to their NAT gateway
        self.egress_only_gateway_id = ""  # set by _egress_only_gateway(), before any table routes to it
        self.removing_ipv6 = False  # ip_mode ipv4 on a network that still has IPv6: removed in this run
        self.security_group_name = params["security_group_name"] or f"{self.network}-tasks"
        self.nat_wait: Callable[[], None] | None = (
            None  # the wait for the NAT gateways the private routes use, while one is pending
        )
        self.route_table_ids: list[
            str | None
        ] = []  # the network's route tables, as this run built them (None: check mode's new ones)
        self.pending_nat_gateways: list[
            dict[str, Any]
        ] = []  # left pending (wait_for_nat_gateways false): the caller waits, then audits
        self.pending_routes: list[
            dict[str, Any]
        ] = []  # private routes kept on their old NAT gateway until a pending one is available
        self.diff: dict[str, dict[str, Any]] = {"before": {}, "after": {}}
        # Never released as free: the user's addresses, and those the NAT gateways have (or, in check mode, would get).
        self.nat_allocation_ids = set(params["nat_allocation_ids"])

    def run(self) -> dict[str, Any]:
        check_options(self.params)
        claimed_vpc_id = self.claim.previous_vpc_id if self.claim else None
        layout = plan_network(
            self.client, {**self.params, "private_subnets": self.private and not self.ipv6_only}, claimed_vpc_id
        )
        vpc_id = layout["vpc_id"]
        described_vpc = None
        if vpc_id:
            prime(self.client, vpc_id)
            refuse_taken_name(self.scope.in_vpc(vpc_id), self.security_group_name)
            described_vpc = self.client.describe_vpcs(VpcIds=[vpc_id], aws_retry=True)["Vpcs"][0]
        subnets_by_id = self._our_subnets(layout)
        check_cidrs_kept(layout["subnets"], subnets_by_id)
        retiring, in_use = self._retiring(layout, subnets_by_id)
        if self.ipv6 and self.params["vpc_id"] and not ipv6_cidr(described_vpc):
            raise InvalidInput(
                "ip_mode",
                f"{self.ip_mode} needs an IPv6 CIDR on the VPC, and {vpc_id} ({self.params['option_prefix']}vpc_id, "
                "adopted: never changed) has none. Associate one with it (an Amazon-provided /56), or let the network "
                "build its own VPC.",
            )

        vpc_id, vpc_block = self._vpc(layout, described_vpc)
        if self.claim and vpc_id and not layout["vpc_id"]:
            self.claim.record_vpc(vpc_id)  # for the run that takes the claim next, while EC2 does not list it
        subnet_ids = self._subnets(vpc_id, layout, subnets_by_id, vpc_block)
        task_ids = subnet_ids[IPV6_ONLY] if self.ipv6_only else subnet_ids["private"]
        network = {
            "name": self.network,
            "vpc_id": vpc_id,
            "ip_mode": self.ip_mode,
            "ipv6_cidr": vpc_block,
            "availability_zones": layout["availability_zones"],
            "public_subnet_ids": subnet_ids["public"],
            "private_subnet_ids": subnet_ids["private"],
            "ipv6_only_subnet_ids": subnet_ids[IPV6_ONLY],
            "task_subnet_ids": task_ids if self.private else subnet_ids["public"],
            "retained_subnet_ids": [],
            "assign_public_ip": not self.private,
            "internet_gateway_id": None,
            "egress_only_internet_gateway_id": None,
            "nat_gateway_ids": [],
            "security_group_id": None,
            "s3_gateway_endpoint_id": None,
        }
        if None in subnet_ids["public"] + task_ids or not vpc_id:
            # Check mode on a network that lacks its VPC or subnets: what follows needs their ids.
            self.changes.append("then build the internet gateway, NAT gateways, route tables and security group")
            if self.ipv6:
                nat64 = ", and NAT64's 64:ff9b::/96 to the NAT gateways" if self.nat64 else ""
                self.changes.append(f"then route ::/0 to the egress-only internet gateway{nat64}")
            # The subnets this mode no longer uses: what the run after the build does with each.
            self.changes.extend(
                f"then keep subnet {subnet['SubnetId']}: no longer used, but it still has network interfaces"
                if subnet["SubnetId"] in in_use
                else f"then delete subnet {subnet['SubnetId']} (no longer used, and free)"
                for subnet in retiring
            )
            return self._result(network, None)

        network["internet_gateway_id"], igw_action = self._internet_gateway(vpc_id)
        if self.check_mode and igw_action in ("created", "attached"):
            # Check mode with a gateway to create or re-attach: routes and NAT gateways are validated against an
            # attached gateway, which only the real run provides.
            self.changes.append("then repair the routes, NAT gateways and security group through that gateway")
            return self._result(network, None)
        self.removing_ipv6 = not self.ipv6 and bool(ipv6_cidr(described_vpc))
        if self.ipv6:
            network["egress_only_internet_gateway_id"] = self._egress_only_gateway(vpc_id)
        public_ipv6_routes = {IPV6_DEFAULT_ROUTE: ("internet_gateway", network["internet_gateway_id"])}
        public = RouteTable(
            "public",
            subnet_ids["public"],
            internet_gateway_id=network["internet_gateway_id"],
            ipv6_routes=public_ipv6_routes if self.ipv6 else ({} if self.removing_ipv6 else None),
        )
        public_diff = self._route_table(vpc_id, public).diff
        if self.check_mode and ipv4_way_out(public_diff["before"]) != ipv4_way_out(public_diff["after"]):
            # Check mode with the public subnets' way out to make or change: new NAT gateways are validated against
            # public subnets routed to the internet gateway, which only the real run provides (a network another run
            # is building right now, or one whose public table was lost, would be refused here, not repaired).
            self.changes.append("then repair the NAT gateways, private routes and security group behind that table")
            return self._result(network, None)
        network["nat_gateway_ids"] = self._private_side(vpc_id, layout, subnet_ids, task_ids)
        network["s3_gateway_endpoint_id"] = self._s3_endpoint(vpc_id)
        network["security_group_id"] = self._security_group(vpc_id)
        retired = subnets.retire(self.scope.in_vpc(vpc_id), retiring, in_use)
        network["retained_subnet_ids"] = self._take("retired_subnets", retired)["kept"]
        if self.removing_ipv6:
            self._remove_ipv6(vpc_id, subnets_by_id)
        if self.params["wait_for_nat_gateways"] and not self.check_mode:
            # Last: the private routes and the security group were built while the NAT gateways came up.
            self._wait_for_nat_gateways()
        if not self.pending_nat_gateways:  # a pending one's address may not show it yet: the run that waits releases
            self._take("free_elastic_ips", elastic_ip.release_free(self.scope.in_vpc(vpc_id), self.nat_allocation_ids))
        audits = self.params["audit"] and not (self.check_mode and self.changes) and not self.pending_nat_gateways
        audit_run = self._audit(network) if audits else None
        return self._result(network, audit_run)

    def _strip_ipv6_from_kept_private_tables(self, vpc_id: str, layout: Mapping[str, Any]) -> None:
        """With no NAT gateways the private tables stay, untouched, for a switch back; going back to IPv4 their IPv6
        routes go too, before the egress-only gateway they point at (never a table that is not there)."""
        tables = vpc_route_tables(self.client, vpc_id)
        for pair in layout["subnets"]:
            name = f"private-{pair['zone']}"
            if our_tables(tables, self.network, name):
                outcome = route_table.reconcile(self.scope.in_vpc(vpc_id), RouteTable(name, ipv6_routes={}), PRESENT)
                outcome.actions = [f"route table {name}: {action}" for action in outcome.actions]
                self._take(f"route_table_{name}", outcome)

    def _remove_ipv6(self, vpc_id: str, subnets_by_id: Mapping[str, Resource]) -> None:
        """Back to IPv4: the routes and the security group rule went in their steps; now the egress-only gateway,
        the subnets' /64s, and last the VPC's block (AWS refuses it while a subnet holds a /64 of it)."""
        scope = self.scope.in_vpc(vpc_id)
        self._take("egress_only_internet_gateway", egress_only_internet_gateway.reconcile(scope, ABSENT))
        ids = sorted(subnets_by_id)
        ours = self.client.describe_subnets(SubnetIds=ids, aws_retry=True)["Subnets"] if ids else []
        outcome = subnets.remove_ipv6(scope, ours)
        self._take("subnets_ipv6", outcome)
        if self.params["vpc_id"]:
            return  # adopted: its block is the user's
        if outcome.changed and not self.check_mode:
            wait_for_ipv6_released(self.client, vpc_id, self.params["wait_timeout"])
        self._take("vpc_ipv6", vpc.remove_ipv6(scope))

    # -- steps -------------------------------------------------------------------------------------------------

    def _retiring(
        self, layout: Mapping[str, Any], subnets_by_id: Mapping[str, Resource]
    ) -> tuple[list[Resource], list[str]]:
        """The subnets of ours of a tier this mode does not use (the private ones for IPv6-only tasks, the IPv6-only
        ones otherwise), and those of them that still have network interfaces (tasks). While an IPv6-only subnet
        has tasks, the network keeps its IPv6 path, whatever ``ip_mode`` says."""
        tier = "private" if self.ipv6_only else IPV6_ONLY
        retiring = [
            subnets_by_id[pair[f"{tier}_subnet_id"]]
            for pair in layout["subnets"]
            if pair.get(f"{tier}_subnet_id") in subnets_by_id
        ]
        in_use = subnets_in_use(self.client, [subnet["SubnetId"] for subnet in retiring])
        if tier == IPV6_ONLY and in_use:
            self.ipv6 = self.nat64 = True
            self.warn(
                f"IPv6-only subnets {', '.join(in_use)} of network {self.network} still have network interfaces "
                f"(tasks): they and the network's IPv6 path stay until they are free; move the tasks to the "
                f"task_subnet_ids and run again."
            )
        return retiring, in_use

    def _private_ipv6_routes(self, nat: Mapping[str, Any] | None) -> dict[str, tuple[str, str] | None] | None:
        """A private table's ``ipv6_routes``: ``::/0`` to the egress-only gateway, and with NAT64 ``64:ff9b::/96`` to
        ``nat`` (as the NAT gateway reconcilers report it; ``None``: the route stays on the NAT gateway it uses, which
        the table's default route keeps too until its new one is available)."""
        if not self.ipv6:
            return {} if self.removing_ipv6 else None
        routes: dict[str, tuple[str, str] | None] = {
            IPV6_DEFAULT_ROUTE: ("egress_only_internet_gateway", self.egress_only_gateway_id)
        }
        if self.nat64:
            if nat is None:
                routes[NAT64_PREFIX] = None
            elif nat["nat_gateway_id"]:
                routes[NAT64_PREFIX] = ("nat_gateway", nat["nat_gateway_id"])
            else:
                routes[NAT64_PREFIX] = (PLANNED_NAT, f"({nat_label(nat)})")
        return routes

    def _our_subnets(self, layout: Mapping[str, Any]) -> dict[str, Resource]:
        tiers = ("public", "private", IPV6_ONLY)
        ids = {pair.get(f"{tier}_subnet_id") for pair in layout["subnets"] for tier in tiers} - {None}
        if not ids:
            return {}
        subnets = describe_where(self.client, "describe_subnets", "Subnets", "subnet-id", ids)
        return {subnet["SubnetId"]: subnet for subnet in subnets}

    def _vpc(self, layout: Mapping[str, Any], described_vpc: Resource | None) -> tuple[str | None, str | None]:
        """``(vpc id, its IPv6 block)``; both ``None`` when check mode would create the VPC."""
        if self.params["vpc_id"]:
            return layout["vpc_id"], ipv6_cidr(described_vpc)  # adopted: read, never changed
        outcome = vpc.reconcile(
            self.scope.in_vpc(layout["vpc_id"]),
            PRESENT,
            cidr=layout["vpc_cidr"],
            ipv6=self.ipv6,
            wait_timeout=self.params["wait_timeout"],
        )
        data = self._take("vpc", outcome)
        return data["vpc_id"], data["ipv6_cidr"]

    def _subnets(
        self, vpc_id: str, layout: Mapping[str, Any], subnets_by_id: Mapping[str, Resource], vpc_block: str | None
    ) -> dict[str, Any]:
        ipv6_cidrs = self._plan_ipv6(vpc_id, layout, subnets_by_id, vpc_block) if self.ipv6 else None
        plan = [dict(pair, ipv6_only=self.ipv6_only) for pair in layout["subnets"]]
        outcome = subnets.reconcile(self.scope.in_vpc(vpc_id), PRESENT, plan, subnets_by_id, ipv6_cidrs)
        return self._take("subnets", outcome)

    def _plan_ipv6(
        self, vpc_id: str, layout: Mapping[str, Any], subnets_by_id: Mapping[str, Resource], vpc_block: str | None
    ) -> dict[tuple[str, str], str]:
        """ipv6.py's plan: a /64 for each subnet the mode wants, the ones they have kept."""
        wanted, existing = [], {}
        for pair in layout["subnets"]:
            tiers = ["public"] + (["private"] if pair["private_cidr"] else []) + ([IPV6_ONLY] if self.ipv6_only else [])
            for tier in tiers:
                wanted.append((pair["zone"], tier))
                cidr = ipv6_cidr(subnets_by_id.get(pair.get(f"{tier}_subnet_id")))
                if cidr:
                    existing[(pair["zone"], tier)] = cidr
        taken = [ipv6_cidr(subnet) for subnet in (vpc_subnets(self.client, vpc_id) if vpc_id else [])]
        return plan_ipv6(vpc_block, wanted, existing, [cidr for cidr in taken if cidr])

    def _internet_gateway(self, vpc_id: str) -> tuple[str | None, str]:
        igw = self._take("internet_gateway", internet_gateway.reconcile(self.scope.in_vpc(vpc_id), PRESENT))
        return igw["internet_gateway_id"], igw["action"]

    def _egress_only_gateway(self, vpc_id: str) -> str | None:
        outcome = egress_only_internet_gateway.reconcile(self.scope.in_vpc(vpc_id), PRESENT)
        self.egress_only_gateway_id = self._take("egress_only_internet_gateway", outcome)[
            "egress_only_internet_gateway_id"
        ]
        return self.egress_only_gateway_id

    def _private_side(
        self, vpc_id: str, layout: Mapping[str, Any], subnet_ids: Mapping[str, list[Any]], task_ids: Sequence[str]
    ) -> list[str | None]:
        public_ids = subnet_ids["public"]
        mode = self.params["nat_gateways"]
        nat_subnet_ids = public_ids if mode == "per_az" else public_ids[:1] if mode == "single" else []
        nat_ids = []
        in_use = []  # NAT gateways that private routes keep until their new one is available
        nats = None
        if mode == "none" and self.removing_ipv6:
            self._strip_ipv6_from_kept_private_tables(vpc_id, layout)
        if mode == "regional":
            nats = self._regional_nat_gateway(vpc_id, layout["availability_zones"])
        elif nat_subnet_ids:
            nats = self._nat_gateways(vpc_id, "nat_gateways", nat_subnet_ids, self.params["nat_allocation_ids"])
        if nats:
            nat_ids = [nat["nat_gateway_id"] for nat in nats["nat_gateways"]]
            if not self.params["wait_for_nat_gateways"]:
                self.pending_nat_gateways = pending_nat_gateways(nats)
            routes = [
                (
                    f"private-{pair['zone']}",
                    task_ids[index],
                    nats["nat_gateways"][index if mode == "per_az" else 0],
                )
                for index, pair in enumerate(layout["subnets"])
            ]
            in_use = self._move_private_routes(vpc_id, routes)
        # Only now that the private routes use the NAT gateways that stay: remove the others of ours (but not one a
        # private route still uses while its new NAT gateway comes up: the run after the wait removes it).
        kept = set(nat_subnet_ids) | {nat.get("SubnetId") for nat in in_use}
        unused = [subnet_id for subnet_id in public_ids if subnet_id not in kept]
        if unused:
            self._nat_gateways(vpc_id, "unused_nat_gateways", unused, [])
        if mode != "regional" and not any(is_regional_nat(nat) for nat in in_use):
            self._regional_nat_gateway(vpc_id, None)
        return nat_ids

    def _move_private_routes(self, vpc_id: str, routes: Sequence[PrivateRoute]) -> list[Resource]:
        """Point each private route table at its NAT gateway (``routes``: ``(table name, private subnet id, NAT
        gateway as present() reports it)``) and never leave a table without egress on the way.

        A table whose default route works now keeps it until its new NAT gateway is available, then ReplaceRoute
        moves it. One without a working route (a first build, a route to a dead NAT gateway) points at its NAT
        gateway at once, even a pending one: it has no egress to lose. Returns the NAT gateways (as described) that
        tables still use because their new one is not available yet (only with wait_for_nat_gateways false: the
        caller waits, then runs again)."""
        egress = self._working_private_routes(vpc_id, {name: subnet_id for name, subnet_id, _nat in routes})
        waiting = [route for route in routes if route[0] in egress and route[2]["state"] != "available"]
        for route in routes:
            if route not in waiting:
                self._private_route_table(vpc_id, *route)
        if not waiting:
            return []
        new_nats = {(nat["nat_gateway_id"], nat["availability_zone"]): nat for _name, _subnet_id, nat in waiting}
        if not self.check_mode and not self.params["wait_for_nat_gateways"]:
            for name, subnet_id, nat in waiting:
                # Its subnet and tags; its default route (and NAT64 route) stays.
                self._route_table(vpc_id, RouteTable(name, [subnet_id], ipv6_routes=self._private_ipv6_routes(None)))
                self.pending_routes.append(
                    {"route_table": name, "current_target": egress[name], "next_nat_gateway_id": nat["nat_gateway_id"]}
                )
            # A route to a target without an id (a carrier or local gateway) has no NAT gateway to describe.
            used = {target for name, _subnet_id, _nat in waiting if (target := egress[name])}
            return list(nat_gateways_by_id(self.client, used).values())
        if self.check_mode:
            self.changes.extend(f"wait for {nat_label(nat)} to become available" for nat in new_nats.values())
        else:
            self._wait_for_nat_gateways()
            self.changes.extend(f"waited for {nat_label(nat)} to become available" for nat in new_nats.values())
        for route in waiting:
            self._private_route_table(vpc_id, *route)
        return []

    def _working_private_routes(self, vpc_id: str, subnets: Mapping[str, str]) -> dict[str, str | None]:
        """``{table name: target}`` of the tables of ``subnets`` (``{table name: its subnet}``) whose default route
        carries traffic now: of each name's tables, the one route_table keeps (``choose_table``)."""
        tables = vpc_route_tables(self.client, vpc_id)
        routes = {
            name: default_route(choose_table(our_tables(tables, self.network, name), [subnet_id])[0])
            for name, subnet_id in subnets.items()
        }
        targets = [route_target(route) for route in routes.values() if route]
        nats_by_id = nat_gateways_by_id(
            self.client, {target for kind, target in targets if kind == "nat_gateway" and target}
        )
        igws_by_id = internet_gateways_by_id(
            self.client, {target for kind, target in targets if kind == "internet_gateway" and target}
        )
        return {
            name: route_target(route)[1]
            for name, route in routes.items()
            if route is not None and carries_traffic(route, vpc_id, igws_by_id, nats_by_id)
        }

    def _private_route_table(self, vpc_id: str, name: str, subnet_id: str, nat: Mapping[str, Any]) -> None:
        ipv6_routes = self._private_ipv6_routes(nat)
        if nat["nat_gateway_id"]:
            table = RouteTable(name, [subnet_id], nat_gateway_id=nat["nat_gateway_id"], ipv6_routes=ipv6_routes)
        else:  # check mode, and the NAT gateway would be created
            table = RouteTable(name, [subnet_id], planned_nat_gateway=f"({nat_label(nat)})", ipv6_routes=ipv6_routes)
        self._route_table(vpc_id, table)

    def _regional_nat_gateway(self, vpc_id: str, zones: Sequence[str] | None) -> dict[str, Any]:
        """``present`` in the network's ``zones`` (the user's addresses split over them, or automatic mode); with
        ``zones`` ``None``, the regional NAT gateway of ours no route uses any more ``absent``."""
        # As for zonal NAT gateways (see _nat_gateways), a new one is waited for later and a removed one at once.
        if zones is None:
            desired = RegionalNatGateway(wait=True, wait_timeout=self.params["wait_timeout"])
            outcome = regional_nat_gateway.reconcile(self.scope.in_vpc(vpc_id), desired, ABSENT)
            return self._take("unused_regional_nat_gateway", outcome)
        desired = RegionalNatGateway(
            zones=zones,
            allocation_ids=self.params["nat_allocation_ids"],
            wait=False,
            wait_timeout=self.params["wait_timeout"],
        )
        return self._nat_present("regional_nat_gateway", regional_nat_gateway.reconcile, vpc_id, desired)

    def _nat_gateways(
        self, vpc_id: str, key: str, subnet_ids: Sequence[str], allocation_ids: Sequence[str]
    ) -> dict[str, Any]:
        """``present`` in ``subnet_ids`` when the user's ``allocation_ids`` (or none) are given for them; the
        unused ones (``key`` ``unused_nat_gateways``) ``absent``."""
        # New NAT gateways are waited for only once the rest of the network is built (see run()); removed ones at
        # once, so that their addresses can be released.
        unused = key == "unused_nat_gateways"
        desired = NatGateways(
            subnet_ids=subnet_ids, allocation_ids=allocation_ids, wait=unused, wait_timeout=self.params["wait_timeout"]
        )
        if unused:
            return self._take(key, nat_gateway.reconcile(self.scope.in_vpc(vpc_id), desired, ABSENT))
        return self._nat_present(key, nat_gateway.reconcile, vpc_id, desired)

    def _nat_present(
        self, key: str, reconcile: Callable[..., Outcome], vpc_id: str, desired: NatDesired
    ) -> dict[str, Any]:
        try:
            outcome = reconcile(self.scope.in_vpc(vpc_id), desired, PRESENT)
        except InvalidInput as error:
            if error.option != "allocation_ids":
                raise
            raise InvalidInput("nat_allocation_ids", error.reason) from error
        self.nat_wait = outcome.pending
        self.nat_allocation_ids |= allocation_ids(outcome.data)
        return self._take(key, outcome)

    def _wait_for_nat_gateways(self) -> None:
        """Wait for the NAT gateways the private routes use, if one is still pending (once: then they are not)."""
        if self.nat_wait:
            self.nat_wait()
            self.nat_wait = None

    def _route_table(self, vpc_id: str, table: RouteTable) -> Outcome:
        """Reconcile ``table``; returns its outcome."""
        outcome = route_table.reconcile(self.scope.in_vpc(vpc_id), table, PRESENT)
        outcome.actions = [f"route table {table.name}: {action}" for action in outcome.actions]
        self.route_table_ids.append(self._take(f"route_table_{table.name}", outcome)["route_table_id"])
        return outcome

    def _s3_endpoint(self, vpc_id: str) -> str | None:
        """After the route tables: the S3 gateway endpoint goes on each of them (or, turned off, ours goes)."""
        state = PRESENT if self.params["s3_gateway_endpoint"] else ABSENT
        outcome = s3_endpoint.reconcile(self.scope.in_vpc(vpc_id), state, self.route_table_ids)
        endpoint_id: str | None = self._take("s3_gateway_endpoint", outcome)["vpc_endpoint_id"]
        return endpoint_id

    def _security_group(self, vpc_id: str) -> str | None:
        desired = SecurityGroup(
            name=self.security_group_name,
            description=f"ECS Fargate tasks of network {self.network} (outbound TCP only)",
            ingress=self.params["security_group_ingress"],
            ipv6_egress=self.ipv6,
        )
        outcome = security_group.reconcile(self.scope.in_vpc(vpc_id), desired, PRESENT)
        group = self._take("security_group", outcome)
        if group["name"] != self.security_group_name:
            self.warn(
                f"Security group {group['group_id']} of network {self.network} keeps its name {group['name']!r}: EC2 "
                f"cannot rename a group, so security_group_name {self.security_group_name!r} applies only to a new one."
            )
        group_id: str | None = group["group_id"]
        return group_id

    def _audit(self, network: Mapping[str, Any]) -> dict[str, Any]:
        params = {
            "subnet_ids": network["task_subnet_ids"],
            "security_group_ids": [network["security_group_id"]],
            "assign_public_ip": network["assign_public_ip"],
            "single_nat_intended": self.params["nat_gateways"] == "single",
            "network_name": self.network,
            "fail_on": self.params["audit_fail_on"],
            "report_path": self.params["report_path"],
        }
        result, failure = audit(self.client, params)
        return {"result": result, "failure": failure}

    # -- result ------------------------------------------------------------------------------------------------

    def _take(self, key: str, outcome: Outcome) -> dict[str, Any]:
        """Add a step's outcome to the run's changes and diff (under ``key``); returns its data."""
        self.changes.extend(outcome.actions)
        self.diff["before"][key] = outcome.diff["before"]
        self.diff["after"][key] = outcome.diff["after"]
        return outcome.data

    def _result(self, network: dict[str, Any], audit_run: Mapping[str, Any] | None) -> dict[str, Any]:
        network["findings"] = audit_run["result"]["findings"] if audit_run else []
        result = {
            "changed": bool(self.changes),
            "changes": self.changes,
            "network": network,
            "pending_nat_gateways": self.pending_nat_gateways,
            "pending_routes": self.pending_routes,
            "diff": self.diff,
        }
        if audit_run:
            result["audit"] = audit_run["result"]
            if audit_run["failure"]:
                raise NetworkError(audit_run["failure"], **{k: v for k, v in result.items() if k != "diff"})
        return result
