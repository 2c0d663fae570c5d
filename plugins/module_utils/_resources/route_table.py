# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One named route table of a network: its default route, repaired in place, and its subnet associations.

The table is found by its identity tags (``cloudreactor:table=<name>``), never by position. Its default route is
compared with its state and with the state of the NAT gateway it points at, so a ``blackhole`` route or a route to a
dead NAT (which AWS may still report ``active``) is replaced in place with ReplaceRoute: the table, its id and its
other routes stay, and traffic is never left without a route between a delete and a create.

Given ``ipv6_routes`` (a dual-stack or IPv6-only network's tables), the IPv6 routes the network manages (``::/0`` and
NAT64's ``64:ff9b::/96``) are repaired the same way, and those not wanted any more are deleted; no other IPv6 route is
touched.

Every step updates an in-memory model of the table as well as AWS, so check mode reports exactly what a real run
would do and the result describes the table after the run without describing it again.

Several tables with the identity tags of one name (runs that raced before the network's claim existed, or an older
release) are duplicates: ``present()`` keeps one (:func:`choose_table`), moves the subnets it wants onto it, and
deletes the others once they hold nothing else (taken off the network's S3 gateway endpoint first); a duplicate that
still holds something (the VPC's main association, a gateway, a subnet the table does not want, another endpoint)
makes it fail before its first change, naming every duplicate and what holds it. ``absent()`` deletes them all, each
taken off every gateway endpoint that lists it first.
"""

from __future__ import annotations

import copy
import dataclasses
import typing
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import create_once
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import (
    describe_subnets,
    describe_vpc,
    describe_where,
    internet_gateways_by_id,
    nat_gateways_by_id,
    vpc_route_tables,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput, NetworkError
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.ids import check_id_format
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.ipv6 import MANAGED_IPV6_ROUTES
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.routing import (
    DEFAULT_ROUTE_CIDR,
    NAT_DEAD_STATES,
    default_route,
    explicit_association,
    igw_attached_to,
    ipv6_route,
    nat_problem,
    route_destination,
    route_problem,
    route_target,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    check_network_name,
    has_identity,
    is_ours,
    tag_specifications,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import s3_endpoint
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import Reconciler, Scope

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

COMPONENT = "route-table"

# Stands in for ids that check mode cannot know: the table it would create, the associations it would make.
NEW_TABLE = "(new route table)"

# The kind of target of a default route to a NAT gateway a check-mode run would create (``planned_nat_gateway``).
PLANNED_NAT = "planned_nat_gateway"

# Origins of routes AWS manages itself: the VPC's local routes and routes propagated from a virtual private gateway.
# DeleteRoute cannot remove them, so purging never tries.
_UNOWNED_ORIGINS = ("CreateRouteTable", "EnableVgwRoutePropagation")

_LIVE_ASSOCIATION_STATES = ("associating", "associated")


def table_name_tag(network: str, name: str) -> str:
    return f"{network}-{name}"


def _association_live(association: Resource) -> bool:
    return (association.get("AssociationState") or {}).get("State", "associated") in _LIVE_ASSOCIATION_STATES


def subnet_associations(table: Resource | None) -> dict[str, str]:
    """``{subnet id: association id}`` of the table's explicit subnet associations."""
    return {
        association["SubnetId"]: association.get("RouteTableAssociationId")
        for association in (table or {}).get("Associations", [])
        if association.get("SubnetId") and _association_live(association)
    }


def route_summary(route: Resource) -> dict[str, Any]:
    """A route as the module reports it: where it goes, through what, and whether AWS says it works."""
    return {
        "destination": route_destination(route),
        "target": route_target(route)[1],
        "state": route.get("State", "active"),
    }


def table_summary(table: Resource | None) -> dict[str, Any]:
    """The part of a table the diff and the result show: id, routes, explicitly associated subnets."""
    if table is None:
        return {"route_table_id": None, "routes": [], "subnet_ids": []}
    return {
        "route_table_id": table.get("RouteTableId"),
        "routes": [route_summary(route) for route in table.get("Routes", [])],
        "subnet_ids": sorted(subnet_associations(table)),
    }


def _target_args(kind: str, target_id: str) -> dict[str, str]:
    if kind in ("nat_gateway", PLANNED_NAT):
        return {"NatGatewayId": target_id}
    if kind == "egress_only_internet_gateway":
        return {"EgressOnlyInternetGatewayId": target_id}
    return {"GatewayId": target_id}


def _route_model(kind: str, target_id: str) -> dict[str, str]:
    """The default route as AWS describes it after CreateRoute / ReplaceRoute to a working target."""
    route = {"DestinationCidrBlock": DEFAULT_ROUTE_CIDR, "Origin": "CreateRoute", "State": "active"}
    route.update(_target_args(kind, target_id))
    return route


def _vpc_cidrs(vpc: Resource) -> list[str]:
    """The VPC's IPv4 CIDRs: each gets a ``local`` route in every table of the VPC."""
    cidrs = [
        association["CidrBlock"]
        for association in vpc.get("CidrBlockAssociationSet") or []
        if (association.get("CidrBlockState") or {}).get("State", "associated") == "associated"
    ]
    return cidrs or [vpc["CidrBlock"]]


def _local_route(cidr: str) -> dict[str, str]:
    return {"DestinationCidrBlock": cidr, "GatewayId": "local", "Origin": "CreateRouteTable", "State": "active"}


def _delete_route_args(route: Resource) -> dict[str, str]:
    if route.get("DestinationCidrBlock"):
        return {"DestinationCidrBlock": route["DestinationCidrBlock"]}
    if route.get("DestinationIpv6CidrBlock"):
        return {"DestinationIpv6CidrBlock": route["DestinationIpv6CidrBlock"]}
    return {"DestinationPrefixListId": route["DestinationPrefixListId"]}


def our_tables(tables: Iterable[Resource], network: str, name: str) -> list[Resource]:
    """The tables among ``tables`` with the identity tags of route table ``name`` of ``network``, lowest id first."""
    return sorted(
        (table for table in tables if has_identity(table, network, COMPONENT, table=name)),
        key=lambda table: table["RouteTableId"],
    )


def choose_table(ours: Sequence[Resource], subnet_ids: Iterable[str]) -> tuple[Resource | None, list[Resource]]:
    """``(the table kept, its duplicates)`` among ``ours`` (one name's tables, lowest id first, as
    :func:`our_tables` gives them). Kept: the one already associated with the most of ``subnet_ids``, so that the
    fewest subnets change tables (each move is a moment of changed routing for its tasks); among equals, the lowest
    id, so that every run chooses the same one."""
    if not ours:
        return None, []
    wanted = set(subnet_ids)
    # max() returns the first of equals: the lowest id.
    kept = max(ours, key=lambda table: len(wanted & set(subnet_associations(table))))
    return kept, [table for table in ours if table is not kept]


def default_route_problem(
    route: Resource, vpc_id: str, igws_by_id: Mapping[Any, Resource], nats_by_id: Mapping[Any, Resource]
) -> str | None:
    """Why the default route does not work, naming the underlying cause (a dead NAT, a detached gateway) before
    the ``blackhole`` state that results from it. ``None`` when the route works."""
    underlying = route_problem(dict(route, State="active"), vpc_id, igws_by_id, nats_by_id)
    return underlying or route_problem(route, vpc_id, igws_by_id, nats_by_id)


@dataclasses.dataclass(frozen=True)
class RouteTable:
    """Route table ``name`` as the route_table module's options of the same names describe it (see its
    documentation). ``planned_nat_gateway``, in check mode only, names the NAT gateway the run would create (it has
    no id yet) as the default route's target. ``ipv6_routes``: ``{IPv6 destination: (kind, target id), or None to
    keep the route as it is}``; a managed destination (ipv6.py's ``MANAGED_IPV6_ROUTES``) left out is deleted;
    ``None``: IPv6 routes are not managed."""

    name: str
    subnet_ids: Sequence[str] = ()
    internet_gateway_id: str | None = None
    nat_gateway_id: str | None = None
    planned_nat_gateway: str | None = None
    ipv6_routes: Mapping[str, tuple[str, str] | None] | None = None
    purge_subnets: bool = False
    purge_routes: bool = False

    @property
    def target(self) -> tuple[str, str] | None:
        """The default route's ``(kind, target id)``, or ``None`` when the table is not given one."""
        if self.internet_gateway_id:
            return ("internet_gateway", self.internet_gateway_id)
        if self.nat_gateway_id:
            return ("nat_gateway", self.nat_gateway_id)
        if self.planned_nat_gateway:
            return (PLANNED_NAT, self.planned_nat_gateway)
        return None


class RouteTableReconciler(Reconciler):
    """Brings route table ``desired.name`` of the scope's network in its VPC to ``desired``."""

    def __init__(self, scope: Scope, desired: RouteTable) -> None:
        super().__init__(scope)
        self.name = desired.name
        self.subnet_ids = list(dict.fromkeys(desired.subnet_ids or []))
        self.purge_subnets = desired.purge_subnets
        self.purge_routes = desired.purge_routes
        self.target = desired.target
        self.ipv6_routes = desired.ipv6_routes
        self.actions: list[str] = []
        # The model: the described table, updated by every step (present() describes or creates it first).
        self.table: Resource = {}
        self.table_id: str | None = None

    def _call(self, method: str, **kwargs: Any) -> Any:
        return getattr(self.client, method)(aws_retry=True, **kwargs)

    # -- validation (reads only) -------------------------------------------------------------------------------

    def _validate_subnets(self) -> None:
        for subnet in describe_subnets(self.client, self.subnet_ids):
            if subnet["VpcId"] != self.required_vpc_id:
                raise InvalidInput(
                    "subnet_ids", f"subnet {subnet['SubnetId']} is in {subnet['VpcId']}, not in {self.vpc_id}"
                )

    def _describe_targets(self, current_route: Resource | None) -> tuple[dict[str, Resource], dict[str, Resource]]:
        """The requested target and the current default route's target, described in one call per kind."""
        igw_ids: set[str] = set()
        nat_ids: set[str] = set()
        targets: list[tuple[str, str | None]] = [self.target] if self.target else []
        if current_route is not None:
            targets.append(route_target(current_route))
        for kind, target_id in targets:
            if target_id is None:
                continue  # only a route to something else (not described here) has no target id
            if kind == "internet_gateway":
                igw_ids.add(target_id)
            elif kind == "nat_gateway":
                nat_ids.add(target_id)
        return internet_gateways_by_id(self.client, igw_ids), nat_gateways_by_id(self.client, nat_ids)

    def _validate_target(self, igws_by_id: Mapping[str, Resource], nats_by_id: Mapping[str, Resource]) -> None:
        if self.target is None or self.target[0] == PLANNED_NAT:
            return
        kind, target_id = self.target
        if kind == "internet_gateway":
            igw = igws_by_id.get(target_id)
            if igw is None:
                raise InvalidInput("internet_gateway_id", f"internet gateway {target_id} does not exist")
            if not igw_attached_to(igw, self.required_vpc_id):
                where = ", ".join(a["VpcId"] for a in igw.get("Attachments") or [] if a.get("VpcId")) or "no VPC"
                raise InvalidInput(
                    "internet_gateway_id",
                    f"internet gateway {target_id} is attached to {where}, not to {self.vpc_id}",
                )
            return
        nat = nats_by_id.get(target_id)
        if nat is None:
            raise InvalidInput("nat_gateway_id", f"NAT gateway {target_id} does not exist")
        if nat.get("VpcId") != self.required_vpc_id:
            raise InvalidInput(
                "nat_gateway_id", f"NAT gateway {target_id} is in {nat.get('VpcId')}, not in {self.vpc_id}"
            )
        if nat.get("State") in NAT_DEAD_STATES:
            raise InvalidInput(
                "nat_gateway_id",
                f"NAT gateway {target_id} is {nat_problem(nat)}: it cannot carry traffic; give a working NAT gateway",
            )

    # -- present -----------------------------------------------------------------------------------------------

    def present(self) -> Outcome:
        vpc = describe_vpc(self.client, self.required_vpc_id)
        self._validate_subnets()
        tables = vpc_route_tables(self.client, self.required_vpc_id)
        found, duplicates = choose_table(our_tables(tables, self.network, self.name), self.subnet_ids)
        current_route = default_route(found)
        igws_by_id, nats_by_id = self._describe_targets(current_route)
        self._validate_target(igws_by_id, nats_by_id)
        endpoints = self._refuse_duplicates_in_use(duplicates)
        # All input is valid: from here on the module may change things.

        before = table_summary(found)
        wanted_tags = self.desired_tags(COMPONENT, table_name_tag(self.network, self.name), table=self.name)
        if found is None:
            self._create(wanted_tags, vpc)
        else:
            self.table = copy.deepcopy(found)
            self.table_id = found["RouteTableId"]
            if self.ensure_tags(self.table_id, found, wanted_tags):
                self.actions.append("updated tags")

        self._ensure_default_route(igws_by_id, nats_by_id)
        self._ensure_ipv6_routes(nats_by_id)
        self._purge_routes()
        self._warn_broken_routes()
        self._ensure_associations(tables)
        if self.table_id:
            # The table as this run left it: later reads of the run see it so, even before AWS lists it.
            self.client.record("describe_route_tables", self.table, created=self.client.created(self.table_id))
        for duplicate in duplicates:
            # It holds nothing now (_refuse_duplicates_in_use): its subnets have just moved to the kept table.
            self._delete_table(duplicate, endpoints, (), "duplicate route table")
        return self._result(before, duplicates)

    def _create(self, tags: dict[str, str], vpc: Resource) -> None:
        if self.check_mode:
            self.table_id = None
            self.table = {
                "RouteTableId": NEW_TABLE,
                "VpcId": self.required_vpc_id,
                "Routes": [_local_route(cidr) for cidr in _vpc_cidrs(vpc)],
                "Associations": [],
            }
        else:
            self.table = create_once(
                self.client,
                "create_route_table",
                self._created_table,
                result_key="RouteTable",
                VpcId=self.required_vpc_id,
                TagSpecifications=tag_specifications("route-table", tags),
                # One token per table this run creates: AWS answers a resend of it with the same table, even while
                # the table is not yet listed for _created_table to find.
                ClientToken=str(uuid.uuid4()),
            )
            self.table_id = self.table["RouteTableId"]
            self.client.record_created_id(self.table_id)
        self.table.setdefault("Routes", [])
        self.table.setdefault("Associations", [])
        self.actions.append(
            f"created route table {self.table_id or NEW_TABLE} ({table_name_tag(self.network, self.name)})"
        )

    def _created_table(self) -> Resource | None:
        """The table our create call made, should its answer be lost: we create only when no table of the VPC has
        this table's identity tags, so one that has them now is that call's."""
        return next(
            iter(our_tables(vpc_route_tables(self.client, self.required_vpc_id), self.network, self.name)), None
        )

    # -- duplicates --------------------------------------------------------------------------------------------

    def _live_endpoints(self) -> list[Resource]:
        """The VPC's live endpoints (in a network run, prime() has read them already: no call)."""
        found = describe_where(self.client, "describe_vpc_endpoints", "VpcEndpoints", "vpc-id", [self.required_vpc_id])
        return [endpoint for endpoint in found if s3_endpoint.is_live(endpoint)]

    def _holders(self, table: Resource, endpoints: Sequence[Resource], moving: Iterable[str]) -> list[str]:
        """What holds ``table`` besides the subnets of ``moving`` (those present() moves to the kept table): the
        VPC's main association, a gateway, another subnet, a gateway endpoint that is not the network's own."""
        held = []
        for association in table.get("Associations", []):
            if not _association_live(association):
                continue
            if association.get("Main"):
                held.append(f"the main association of {self.vpc_id}")
            elif association.get("GatewayId"):
                held.append(f"gateway {association['GatewayId']}")
            elif association.get("SubnetId") not in moving:
                held.append(f"subnet {association.get('SubnetId')}")
        held.extend(
            f"VPC endpoint {endpoint['VpcEndpointId']}"
            for endpoint in endpoints
            if table["RouteTableId"] in (endpoint.get("RouteTableIds") or [])
            and not is_ours(endpoint, self.network, s3_endpoint.COMPONENT)
        )
        return held

    def _refuse_duplicates_in_use(self, duplicates: Sequence[Resource]) -> list[Resource]:
        """Fails, before any change, when a duplicate holds something else (see :meth:`_holders`); returns the VPC's
        live endpoints (read only when there are duplicates: the network module has them already)."""
        if not duplicates:
            return []
        endpoints = self._live_endpoints()
        held = {table["RouteTableId"]: self._holders(table, endpoints, self.subnet_ids) for table in duplicates}
        if any(held.values()):
            described = "; ".join(
                f"{table_id} held by {', '.join(holders) if holders else 'nothing'}"
                for table_id, holders in held.items()
            )
            raise NetworkError(
                f"Route table {table_name_tag(self.network, self.name)} of network {self.network} has "
                f"{len(duplicates)} duplicate(s) with its identity tags, and some are in use: {described}. Nothing was "
                "changed. Move what holds them to the kept table (or delete the duplicates yourself), then run again.",
                duplicate_route_tables=held,
            )
        return endpoints

    def _delete_table(
        self, table: Resource, endpoints: list[Resource], associations: Sequence[Resource], what: str
    ) -> None:
        """Delete ``table`` (in check mode, say so): ``associations`` first, then its place on each gateway endpoint
        of ``endpoints`` (the VPC's, updated here as an endpoint changes) that lists it. present() takes duplicates
        off the network's S3 gateway endpoint only (it refuses a duplicate another endpoint lists); absent() takes
        the tables it was asked to delete off any endpoint: the table goes whatever is done, and an endpoint left
        listing a deleted table is one whose own later changes and delete may fail on it."""
        table_id = table["RouteTableId"]
        for association in associations:
            if not self.check_mode:
                self._call("disassociate_route_table", AssociationId=association["RouteTableAssociationId"])
            self.actions.append(f"disassociated {association.get('SubnetId') or association.get('GatewayId')}")
        for index, endpoint in enumerate(endpoints):
            listed = endpoint.get("RouteTableIds") or []
            if table_id not in listed:
                continue
            # Taken off with ModifyVpcEndpoint rather than left to DeleteRouteTable: AWS documents what
            # RemoveRouteTableIds does to the endpoint and its routes, not what deleting an associated table does to
            # the endpoint's RouteTableIds.
            if not self.check_mode:
                self._call(
                    "modify_vpc_endpoint", VpcEndpointId=endpoint["VpcEndpointId"], RemoveRouteTableIds=[table_id]
                )
                endpoints[index] = dict(endpoint, RouteTableIds=[item for item in listed if item != table_id])
                self.client.record("describe_vpc_endpoints", endpoints[index])
            self.actions.append(f"took {table_id} off {self._endpoint_label(endpoint)}")
        if not self.check_mode:
            self._call("delete_route_table", RouteTableId=table_id)
            self.client.record_deleted("describe_route_tables", table_id)
        self.actions.append(f"deleted {what} {table_id}")

    def _endpoint_label(self, endpoint: Resource) -> str:
        """``S3 gateway endpoint vpce-…``, naming the service when it is not S3 and the owner when it is not the
        network."""
        service = endpoint.get("ServiceName") or ""
        label = f"{'S3 ' if service.endswith('.s3') else ''}gateway endpoint {endpoint['VpcEndpointId']}"
        if not service.endswith(".s3"):
            label += f" ({service})"
        if not is_ours(endpoint, self.network, s3_endpoint.COMPONENT):
            label += f", not network {self.network}'s"
        return label

    def _ensure_default_route(self, igws_by_id: Mapping[Any, Resource], nats_by_id: Mapping[Any, Resource]) -> None:
        if self.target is None:
            return
        kind, target_id = self.target
        current = default_route(self.table)
        if current is None:
            if not self.check_mode:
                self._call(
                    "create_route",
                    RouteTableId=self.table_id,
                    DestinationCidrBlock=DEFAULT_ROUTE_CIDR,
                    **_target_args(kind, target_id),
                )
            self.table["Routes"].append(_route_model(kind, target_id))
            self.actions.append(f"created default route {DEFAULT_ROUTE_CIDR} -> {target_id}")
            return

        current_target = route_target(current)[1]
        problem = default_route_problem(current, self.required_vpc_id, igws_by_id, nats_by_id)
        if current_target == target_id and problem is None:
            return
        reason = problem or "not the requested target"
        if not self.check_mode:
            self._call(
                "replace_route",
                RouteTableId=self.table_id,
                DestinationCidrBlock=DEFAULT_ROUTE_CIDR,
                **_target_args(kind, target_id),
            )
        index = self.table["Routes"].index(current)
        self.table["Routes"][index] = _route_model(kind, target_id)
        self.actions.append(f"replaced default route {DEFAULT_ROUTE_CIDR}: {current_target} ({reason}) -> {target_id}")

    def _ensure_ipv6_routes(self, nats_by_id: Mapping[Any, Resource]) -> None:
        """Each managed IPv6 route to its wanted target (created, or replaced when it goes elsewhere or nowhere), and
        those not wanted deleted. A route whose target is a NAT gateway that is dead counts as going nowhere."""
        if self.ipv6_routes is None:
            return
        for destination in MANAGED_IPV6_ROUTES:
            current = ipv6_route(self.table, destination)
            if destination not in self.ipv6_routes:
                if current is not None:
                    if not self.check_mode:
                        self._call("delete_route", RouteTableId=self.table_id, DestinationIpv6CidrBlock=destination)
                    self.table["Routes"].remove(current)
                    self.actions.append(f"deleted route {destination} -> {route_target(current)[1]}")
                continue
            wanted_target = self.ipv6_routes[destination]
            if wanted_target is None:
                continue  # kept as it is
            kind, target_id = wanted_target
            wanted = {"DestinationIpv6CidrBlock": destination, "Origin": "CreateRoute", "State": "active"}
            wanted.update(_target_args(kind, target_id))
            if current is None:
                if not self.check_mode:
                    self._call(
                        "create_route",
                        RouteTableId=self.table_id,
                        DestinationIpv6CidrBlock=destination,
                        **_target_args(kind, target_id),
                    )
                self.table["Routes"].append(wanted)
                self.actions.append(f"created route {destination} -> {target_id}")
                continue
            current_kind, current_target = route_target(current)
            dead_nat = current_kind == "nat_gateway" and nat_problem(nats_by_id.get(current_target))
            if current_target == target_id and current.get("State") != "blackhole" and not dead_nat:
                continue
            reason = "a blackhole" if current.get("State") == "blackhole" else "not the wanted target"
            if not self.check_mode:
                self._call(
                    "replace_route",
                    RouteTableId=self.table_id,
                    DestinationIpv6CidrBlock=destination,
                    **_target_args(kind, target_id),
                )
            self.table["Routes"][self.table["Routes"].index(current)] = wanted
            self.actions.append(f"replaced route {destination}: {current_target} ({reason}) -> {target_id}")

    def _purgeable(self, route: Resource) -> bool:
        """A route this module may delete with purge_routes: not AWS's own, not an endpoint's prefix list route,
        not the default route it manages."""
        if route.get("Origin") in _UNOWNED_ORIGINS or route.get("GatewayId") == "local":
            return False
        if (route.get("DestinationPrefixListId") or "").startswith("pl-"):
            return False
        return not (self.target is not None and route.get("DestinationCidrBlock") == DEFAULT_ROUTE_CIDR)

    def _purge_routes(self) -> None:
        if not self.purge_routes:
            return
        for route in [route for route in self.table["Routes"] if self._purgeable(route)]:
            if not self.check_mode:
                self._call("delete_route", RouteTableId=self.table_id, **_delete_route_args(route))
            self.table["Routes"].remove(route)
            summary = route_summary(route)
            self.actions.append(f"deleted route {summary['destination']} -> {summary['target']}")

    def _warn_broken_routes(self) -> None:
        """Routes this module keeps but does not manage: say when they go nowhere (the default route is repaired
        when a target is given, so it is reported here only when it is not)."""
        for route in self.table["Routes"]:
            if route.get("State") != "blackhole":
                continue
            summary = route_summary(route)
            if summary["destination"] == DEFAULT_ROUTE_CIDR and self.target is None:
                hint = "; set internet_gateway_id or nat_gateway_id to repair it"
            elif summary["destination"] == DEFAULT_ROUTE_CIDR:
                continue
            else:
                hint = "; it is not managed by this module (purge_routes removes it)"
            self.warn(f"Route {summary['destination']} -> {summary['target']} of {self.table_id} is a blackhole{hint}.")

    def _ensure_associations(self, tables: Sequence[Resource]) -> None:
        ours = subnet_associations(self.table)
        for subnet_id in self.subnet_ids:
            if subnet_id in ours:
                continue
            other_table, association = explicit_association(subnet_id, tables)
            if (
                other_table is not None
                and association is not None
                and other_table["RouteTableId"] != (self.table_id or NEW_TABLE)
            ):
                association_id = None
                if not self.check_mode:
                    association_id = self._call(
                        "replace_route_table_association",
                        AssociationId=association["RouteTableAssociationId"],
                        RouteTableId=self.table_id,
                    )["NewAssociationId"]
                    # The table the subnet left is changed too: the rest of the run sees it without the subnet.
                    moved = association["RouteTableAssociationId"]
                    kept = [
                        item
                        for item in other_table.get("Associations", [])
                        if item.get("RouteTableAssociationId") != moved
                    ]
                    self.client.record("describe_route_tables", dict(other_table, Associations=kept))
                self.actions.append(f"moved {subnet_id} from {other_table['RouteTableId']}")
            else:
                association_id = None
                if not self.check_mode:
                    association_id = self._call(
                        "associate_route_table", RouteTableId=self.table_id, SubnetId=subnet_id
                    )["AssociationId"]
                self.actions.append(f"associated {subnet_id}")
            self.table["Associations"].append(
                {"SubnetId": subnet_id, "RouteTableAssociationId": association_id, "Main": False}
            )

        if not self.purge_subnets:
            return
        for association in list(self.table["Associations"]):
            subnet_id = association.get("SubnetId")
            if not subnet_id or subnet_id in self.subnet_ids or not _association_live(association):
                continue
            if not self.check_mode:
                self._call("disassociate_route_table", AssociationId=association["RouteTableAssociationId"])
            self.table["Associations"].remove(association)
            self.actions.append(f"disassociated {subnet_id}")

    def _result(self, before: dict[str, Any], duplicates: Sequence[Resource] = ()) -> Outcome:
        after = table_summary(self.table)
        if duplicates:
            # The diff shows the duplicates as they were (present() deletes them); the key is there only with them.
            before = dict(before, duplicates=[table_summary(table) for table in duplicates])
            after = dict(after, duplicates=[])
        return Outcome(
            changed=bool(self.actions),
            actions=self.actions,
            diff={"before": before, "after": after},
            data={
                "route_table_id": self.table_id,
                "routes": after["routes"],
                "associations": subnet_associations(self.table),
            },
        )

    # -- absent ------------------------------------------------------------------------------------------------

    def absent(self) -> Outcome:
        # A VPC that no longer exists has no tables: nothing to do, not an error (teardown reruns stay green).
        ours = our_tables(vpc_route_tables(self.client, self.required_vpc_id), self.network, self.name)
        found, duplicates = choose_table(ours, ())
        before = table_summary(found)
        if duplicates:
            before["duplicates"] = [table_summary(table) for table in duplicates]
        main = [
            table["RouteTableId"]
            for table in ours
            if any(association.get("Main") for association in table.get("Associations", []))
        ]
        if main:
            raise NetworkError(
                f"Route table {', '.join(main)} ({table_name_tag(self.network, self.name)}) is the main route table of "
                f"{self.vpc_id}, which AWS cannot delete; make another table the main one first."
            )
        # A gateway endpoint lists a table exactly while its prefix-list route (``pl-… -> vpce-…``) is in the table
        # (AWS adds and removes it with the association), so the VPC's endpoints are read only when a table has such
        # a route. A teardown has deleted the network's S3 gateway endpoint, and with it those routes: no call more.
        routed = any(
            (route.get("GatewayId") or "").startswith("vpce-") for table in ours for route in table.get("Routes", [])
        )
        endpoints = self._live_endpoints() if routed else []
        for table in ours:
            live = [association for association in table.get("Associations", []) if _association_live(association)]
            self._delete_table(table, endpoints, live, "route table")
        return Outcome(
            changed=bool(self.actions),
            actions=self.actions,
            diff={"before": before, "after": table_summary(None)},
            data={"route_table_id": found and found["RouteTableId"], "routes": [], "associations": {}},
        )


def desired(params: Mapping[str, Any]) -> RouteTable:
    """The route_table module's table; checks what needs no API call first, so a typo fails before anything is read
    or changed."""
    check_id_format("vpc_id", params["vpc_id"], "vpc")
    check_network_name(params["network_name"])
    name = params["name"]
    if not name or name != name.strip() or len(name) > 64:
        raise InvalidInput("name", f"{name!r} must be 1 to 64 characters without leading or trailing spaces")
    check_id_format("subnet_ids", params["subnet_ids"] or [], "subnet")
    if params["internet_gateway_id"]:
        check_id_format("internet_gateway_id", params["internet_gateway_id"], "igw")
    if params["nat_gateway_id"]:
        check_id_format("nat_gateway_id", params["nat_gateway_id"], "nat")
    return RouteTable(
        name=name,
        subnet_ids=params["subnet_ids"] or (),
        internet_gateway_id=params["internet_gateway_id"],
        nat_gateway_id=params["nat_gateway_id"],
        purge_subnets=params["purge_subnets"],
        purge_routes=params["purge_routes"],
    )


def reconcile(scope: Scope, desired: RouteTable, state: str) -> Outcome:
    """Route table ``desired.name`` of the scope's network ``present`` as ``desired`` says, or ``absent``."""
    return RouteTableReconciler(scope, desired).run(state)
