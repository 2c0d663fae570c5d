# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build, repair and audit a whole Fargate network in one pass (the ``network`` module, which the role runs).

The order is the dependency order: VPC, subnets, internet gateway and public routes, NAT gateways, private routes,
removal of NAT gateways no route uses any more, the S3 gateway endpoint on the route tables, the tasks' security
group, then the audit. Each step is the reconciler of its resource (vpc.py, subnets.py, internet_gateway.py,
route_table.py, nat_gateway.py, regional_nat_gateway.py, s3_endpoint.py, security_group.py); this file only plans
and chains them.

A switch of NAT mode keeps the private subnets' egress all the way (:meth:`NetworkConverge._move_private_routes`): a
private default route that works is moved (ReplaceRoute) only once its new NAT gateway is available, and the old
gateways are deleted only after that.

Why one module rather than one Ansible task per resource: every task costs a module start-up (most of a no-op run),
and every reconciler used to read the network again. Here the network is read once, up front, into the run's model
(:class:`run_model.RunModel`), which answers the reconcilers' and the audit's reads from that reading, and keeps what
each step created or changed as that step's own calls answered it: no step asks AWS about what an earlier step made
(EC2 may not list it yet), and calls naming it retry while it propagates.
"""

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.run import audit, check_report_path
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import (
    describe_where,
    internet_gateways_by_id,
    nat_gateways_by_id,
    vpc_route_tables,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput, NetworkError
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.ids import check_id_format
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.layout import check_static
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.routing import (
    default_route,
    is_regional_nat,
    route_problem,
    route_target,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.run_model import RunModel
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import check_network_name
from ansible_collections.cloudreactor.aws.plugins.module_utils._network.network_layout import plan_network
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import (
    internet_gateway,
    route_table,
    s3_endpoint,
    security_group,
    subnets,
    vpc,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.nat_gateway import NatGatewayManager
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.nat_gateway_wait import pending_nat_gateways
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.regional_nat_gateway import (
    RegionalNatGatewayManager,
    zone_addresses,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.route_table import RouteTable, our_tables
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import ABSENT, PRESENT, Scope
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.security_group import (
    check_ingress_rules,
    refuse_taken_name,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.subnets import check_cidrs_kept

NAT_MODES = ("per_az", "single", "regional", "none")


def nat_label(nat):
    """A NAT gateway as the NAT gateway reconcilers' ``present()`` report it, named in a change line."""
    if nat.get("availability_mode") == "regional":
        return f"regional NAT gateway {nat['nat_gateway_id']}" if nat["nat_gateway_id"] else "new regional NAT gateway"
    if nat["nat_gateway_id"]:
        return f"NAT gateway {nat['nat_gateway_id']} in {nat['availability_zone']}"
    return f"new NAT gateway in {nat['availability_zone']}"


def carries_traffic(route, vpc_id, igws_by_id, nats_by_id):
    """True when a private table's default route works now: to a NAT gateway that is available (a pending one does
    not carry traffic yet), or to another target that works (a transit gateway, an instance...)."""
    if route is None or route_problem(route, vpc_id, igws_by_id, nats_by_id):
        return False
    kind, target = route_target(route)
    return kind != "nat_gateway" or nats_by_id[target].get("State") == "available"


def check_options(params):
    """Every check that needs no AWS call, before the first one. Messages name the option (with its prefix)."""
    check_network_name(params["network_name"], "network_name")
    if params["vpc_id"]:
        check_id_format("vpc_id", params["vpc_id"], "vpc")
    zone_count = len(params["availability_zones"]) or params["az_count"]
    private = params["nat_gateways"] != "none"
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
    check_ingress_rules(params["security_group_ingress"], "security_group_ingress")
    if params["audit"]:
        check_report_path(params["report_path"])


def prime(client, vpc_id):
    """Read, in one call each, everything of ``vpc_id`` the reconcilers look up: later reads come from the cache."""
    describe_where(client, "describe_vpcs", "Vpcs", "vpc-id", [vpc_id])
    for operation, result_key, name in (
        ("describe_route_tables", "RouteTables", "vpc-id"),
        ("describe_internet_gateways", "InternetGateways", "attachment.vpc-id"),
        ("describe_security_groups", "SecurityGroups", "vpc-id"),
        ("describe_vpc_endpoints", "VpcEndpoints", "vpc-id"),
    ):
        describe_where(client, operation, result_key, name, [vpc_id])
    describe_where(client, "describe_nat_gateways", "NatGateways", "vpc-id", [vpc_id], filter_key="Filter")
    client.describe_addresses(Filters=[{"Name": "domain", "Values": ["vpc"]}], aws_retry=True)


class NetworkConverge:
    """One run of the ``network`` module: ``run()`` returns the module's result."""

    def __init__(self, client, params, check_mode, warn):
        self.client = RunModel(client)
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
        self.user_tags = params["tags"]
        self.purge_tags = params["purge_tags"]
        self.private = params["nat_gateways"] != "none"
        self.security_group_name = params["security_group_name"] or f"{self.network}-tasks"
        self.changes = []  # what this run changed (or would change), in order, e.g. "created VPC"
        self.nat_gateways = None  # the manager of the NAT gateways the private routes use
        self.route_table_ids = []  # the network's route tables, as this run built them (None: check mode's new ones)
        self.pending_nat_gateways = []  # left pending (wait_for_nat_gateways false): the caller waits, then audits
        self.pending_routes = []  # private routes kept on their old NAT gateway until a pending one is available
        self.diff = {"before": {}, "after": {}}

    def run(self):
        check_options(self.params)
        layout = plan_network(self.client, {**self.params, "private_subnets": self.private})
        vpc_id = layout["vpc_id"]
        if vpc_id:
            prime(self.client, vpc_id)
            refuse_taken_name(self.scope.in_vpc(vpc_id), self.security_group_name)
        subnets_by_id = self._our_subnets(layout)
        check_cidrs_kept(layout["subnets"], subnets_by_id)

        vpc_id = self._vpc(layout)
        subnet_ids = self._subnets(vpc_id, layout, subnets_by_id)
        network = {
            "name": self.network,
            "vpc_id": vpc_id,
            "availability_zones": layout["availability_zones"],
            "public_subnet_ids": subnet_ids["public"],
            "private_subnet_ids": subnet_ids["private"],
            "task_subnet_ids": subnet_ids["private"] if self.private else subnet_ids["public"],
            "assign_public_ip": not self.private,
            "internet_gateway_id": None,
            "nat_gateway_ids": [],
            "security_group_id": None,
            "s3_gateway_endpoint_id": None,
        }
        if None in subnet_ids["public"] + subnet_ids["private"] or not vpc_id:
            # Check mode on a network that lacks its VPC or subnets: what follows needs their ids.
            self.changes.append("then build the internet gateway, NAT gateways, route tables and security group")
            return self._result(network, None)

        network["internet_gateway_id"], igw_action = self._internet_gateway(vpc_id)
        if self.check_mode and igw_action in ("created", "attached"):
            # Check mode with a gateway to create or re-attach: routes and NAT gateways are validated against an
            # attached gateway, which only the real run provides.
            self.changes.append("then repair the routes, NAT gateways and security group through that gateway")
            return self._result(network, None)
        self._route_table(vpc_id, "public", subnet_ids["public"], internet_gateway_id=network["internet_gateway_id"])
        network["nat_gateway_ids"] = self._private_side(vpc_id, layout, subnet_ids)
        network["s3_gateway_endpoint_id"] = self._s3_endpoint(vpc_id)
        network["security_group_id"] = self._security_group(vpc_id)
        if self.nat_gateways and self.params["wait_for_nat_gateways"] and not self.check_mode:
            # Last: the private routes and the security group were built while the NAT gateways came up.
            self.nat_gateways.wait_for_pending()
        audits = self.params["audit"] and not (self.check_mode and self.changes) and not self.pending_nat_gateways
        audit_run = self._audit(network) if audits else None
        return self._result(network, audit_run)

    # -- steps -------------------------------------------------------------------------------------------------

    def _our_subnets(self, layout):
        ids = {pair[f"{tier}_subnet_id"] for pair in layout["subnets"] for tier in ("public", "private")} - {None}
        if not ids:
            return {}
        subnets = describe_where(self.client, "describe_subnets", "Subnets", "subnet-id", ids)
        return {subnet["SubnetId"]: subnet for subnet in subnets}

    def _vpc(self, layout):
        if self.params["vpc_id"]:
            return layout["vpc_id"]  # adopted: read, never changed
        outcome = vpc.reconcile(self.scope.in_vpc(layout["vpc_id"]), PRESENT, cidr=layout["vpc_cidr"])
        return self._take("vpc", outcome)["vpc_id"]

    def _subnets(self, vpc_id, layout, subnets_by_id):
        outcome = subnets.reconcile(self.scope.in_vpc(vpc_id), PRESENT, layout["subnets"], subnets_by_id)
        return self._take("subnets", outcome)

    def _internet_gateway(self, vpc_id):
        igw = self._take("internet_gateway", internet_gateway.reconcile(self.scope.in_vpc(vpc_id), PRESENT))
        return igw["internet_gateway_id"], igw["action"]

    def _private_side(self, vpc_id, layout, subnet_ids):
        public_ids = subnet_ids["public"]
        mode = self.params["nat_gateways"]
        nat_subnet_ids = public_ids if mode == "per_az" else public_ids[:1] if mode == "single" else []
        nat_ids = []
        in_use = []  # NAT gateways that private routes keep until their new one is available
        nats = None
        if mode == "regional":
            nats = self._regional_nat_gateway(vpc_id, layout["availability_zones"])
        elif nat_subnet_ids:
            nats = self._nat_gateways("nat_gateways", nat_subnet_ids, self.params["nat_allocation_ids"])
        if nats:
            nat_ids = [nat["nat_gateway_id"] for nat in nats["nat_gateways"]]
            if not self.params["wait_for_nat_gateways"]:
                self.pending_nat_gateways = pending_nat_gateways(nats)
            routes = [
                (
                    f"private-{pair['zone']}",
                    subnet_ids["private"][index],
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
            self._nat_gateways("unused_nat_gateways", unused, [])
        if mode != "regional" and not any(is_regional_nat(nat) for nat in in_use):
            self._regional_nat_gateway(vpc_id, None)
        return nat_ids

    def _move_private_routes(self, vpc_id, routes):
        """Point each private route table at its NAT gateway (``routes``: ``(table name, private subnet id, NAT
        gateway as present() reports it)``) and never leave a table without egress on the way.

        A table whose default route works now keeps it until its new NAT gateway is available, then ReplaceRoute
        moves it. One without a working route (a first build, a route to a dead NAT gateway) points at its NAT
        gateway at once, even a pending one: it has no egress to lose. Returns the NAT gateways (as described) that
        tables still use because their new one is not available yet (only with wait_for_nat_gateways false: the
        caller waits, then runs again)."""
        egress = self._working_private_routes(vpc_id, [name for name, _subnet_id, _nat in routes])
        waiting = [route for route in routes if route[0] in egress and route[2]["state"] != "available"]
        for route in routes:
            if route not in waiting:
                self._private_route_table(vpc_id, *route)
        if not waiting:
            return []
        new_nats = {(nat["nat_gateway_id"], nat["availability_zone"]): nat for _name, _subnet_id, nat in waiting}
        if not self.check_mode and not self.params["wait_for_nat_gateways"]:
            for name, subnet_id, nat in waiting:
                self._route_table(vpc_id, name, [subnet_id])  # its subnet and tags; its default route stays
                self.pending_routes.append(
                    {"route_table": name, "current_target": egress[name], "next_nat_gateway_id": nat["nat_gateway_id"]}
                )
            return list(nat_gateways_by_id(self.client, {egress[name] for name, _subnet_id, _nat in waiting}).values())
        if self.check_mode:
            self.changes.extend(f"wait for {nat_label(nat)} to become available" for nat in new_nats.values())
        else:
            self.nat_gateways.wait_for_pending()
            self.changes.extend(f"waited for {nat_label(nat)} to become available" for nat in new_nats.values())
        for route in waiting:
            self._private_route_table(vpc_id, *route)
        return []

    def _working_private_routes(self, vpc_id, names):
        """``{table name: target}`` of the tables among ``names`` whose default route carries traffic now."""
        tables = vpc_route_tables(self.client, vpc_id)
        routes = {name: default_route(next(iter(our_tables(tables, self.network, name)), None)) for name in names}
        targets = [route_target(route) for route in routes.values() if route]
        nats_by_id = nat_gateways_by_id(self.client, {target for kind, target in targets if kind == "nat_gateway"})
        igws_by_id = internet_gateways_by_id(
            self.client, {target for kind, target in targets if kind == "internet_gateway"}
        )
        return {
            name: route_target(route)[1]
            for name, route in routes.items()
            if carries_traffic(route, vpc_id, igws_by_id, nats_by_id)
        }

    def _private_route_table(self, vpc_id, name, subnet_id, nat):
        if nat["nat_gateway_id"]:
            self._route_table(vpc_id, name, [subnet_id], nat_gateway_id=nat["nat_gateway_id"])
        else:  # check mode, and the NAT gateway would be created
            self._route_table(vpc_id, name, [subnet_id], planned_nat_gateway=f"({nat_label(nat)})")

    def _regional_nat_gateway(self, vpc_id, zones):
        """``present`` in the network's ``zones`` (the user's addresses split over them, or automatic mode); with
        ``zones`` ``None``, the regional NAT gateway of ours no route uses any more ``absent``."""
        manager = RegionalNatGatewayManager(
            self.client,
            network=self.network,
            vpc_id=vpc_id,
            zones=zones or [],
            allocation_ids=self.params["nat_allocation_ids"] if zones is not None else [],
            wait=zones is None,  # as for zonal NAT gateways (see _nat_gateways)
            wait_timeout=self.params["wait_timeout"],
            user_tags=self.user_tags,
            purge_tags=self.purge_tags,
            check_mode=self.check_mode,
            warn=self.warn,
        )
        if zones is None:
            return self._take("unused_regional_nat_gateway", manager.absent())
        self.nat_gateways = manager
        try:
            return self._take("regional_nat_gateway", manager.present())
        except InvalidInput as error:
            if error.option != "allocation_ids":
                raise
            raise InvalidInput("nat_allocation_ids", error.reason) from error

    def _nat_gateways(self, key, subnet_ids, allocation_ids):
        """``present`` in ``subnet_ids`` when the user's ``allocation_ids`` (or none) are given for them; the
        unused ones (``key`` ``unused_nat_gateways``) ``absent``."""
        manager = NatGatewayManager(
            self.client,
            network=self.network,
            subnet_ids=subnet_ids,
            allocation_ids=allocation_ids,
            # New NAT gateways are waited for only once the rest of the network is built (see run()); removed ones
            # at once, so that their addresses can be released.
            wait=key == "unused_nat_gateways",
            wait_timeout=self.params["wait_timeout"],
            user_tags=self.user_tags,
            purge_tags=self.purge_tags,
            check_mode=self.check_mode,
            warn=self.warn,
        )
        if key == "unused_nat_gateways":
            return self._take(key, manager.absent())
        self.nat_gateways = manager
        try:
            return self._take(key, manager.present())
        except InvalidInput as error:
            if error.option != "allocation_ids":
                raise
            raise InvalidInput("nat_allocation_ids", error.reason) from error

    def _route_table(
        self, vpc_id, name, subnet_ids, *, internet_gateway_id=None, nat_gateway_id=None, planned_nat_gateway=None
    ):
        table = RouteTable(
            name=name,
            subnet_ids=subnet_ids,
            internet_gateway_id=internet_gateway_id,
            nat_gateway_id=nat_gateway_id,
            planned_nat_gateway=planned_nat_gateway,
        )
        outcome = route_table.reconcile(self.scope.in_vpc(vpc_id), table, PRESENT)
        outcome.actions = [f"route table {name}: {action}" for action in outcome.actions]
        self.route_table_ids.append(self._take(f"route_table_{name}", outcome)["route_table_id"])

    def _s3_endpoint(self, vpc_id):
        """After the route tables: the S3 gateway endpoint goes on each of them (or, turned off, ours goes)."""
        state = PRESENT if self.params["s3_gateway_endpoint"] else ABSENT
        outcome = s3_endpoint.reconcile(self.scope.in_vpc(vpc_id), state, self.route_table_ids)
        return self._take("s3_gateway_endpoint", outcome)["vpc_endpoint_id"]

    def _security_group(self, vpc_id):
        outcome = security_group.reconcile(
            self.scope.in_vpc(vpc_id),
            PRESENT,
            name=self.security_group_name,
            description=f"ECS Fargate tasks of network {self.network} (outbound TCP only)",
            ingress=self.params["security_group_ingress"],
        )
        group = self._take("security_group", outcome)
        if group["name"] != self.security_group_name:
            self.warn(
                f"Security group {group['group_id']} of network {self.network} keeps its name {group['name']!r}: EC2 "
                f"cannot rename a group, so security_group_name {self.security_group_name!r} applies only to a new one."
            )
        return group["group_id"]

    def _audit(self, network):
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

    def _take(self, key, outcome):
        """Add a step's outcome to the run's changes and diff (under ``key``); returns its data."""
        self.changes.extend(outcome.actions)
        self.diff["before"][key] = outcome.diff["before"]
        self.diff["after"][key] = outcome.diff["after"]
        return outcome.data

    def _result(self, network, audit_run):
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
