# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""An EC2 client that answers describe calls from earlier answers of the same process, until something may change.

A converge runs several reconcilers in one process and each describes what it needs on its own, so one network is
read many times over (the VPC's subnets listed, then the same subnets described by id...). :class:`CachedReads`
wraps the client and remembers:

* complete listings: a describe whose only selector is its *scope* (``vpc-id``, ``attachment.vpc-id`` for internet
  gateways, ``domain`` for addresses, or no selector at all) returned every item of that scope. A later read of the
  same operation is answered from them when it names a listed scope, or only ids that were all seen, and its other
  filters can be evaluated here (tags and a few plain fields, see :data:`LISTED_OPERATIONS`);
* exact repeats: any describe made again with the same arguments.

Anything else taken from the client, even only looked at (``create_tags``, the ``no_resend`` twin, ``uncached``),
may change AWS: everything learned is forgotten first. An error answer is never remembered, so AWS reports it again
with its own code.
"""

from __future__ import annotations

import copy
import functools
import json
import typing
from dataclasses import dataclass

if typing.TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping
    from typing import Any, TypeAlias

    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import Client

    # ``[(filter name, its values)]``: EC2 filters that equality can evaluate (see :func:`plain_filters`).
    PlainFilters: TypeAlias = list[tuple[str, frozenset[str]]]
    # ``(filter name, value)`` listed in full, or :data:`EVERYTHING`.
    Scope: TypeAlias = tuple[str, str]

# Client attributes that neither read nor change AWS.
PASSED_THROUGH = frozenset(("meta", "exceptions", "can_paginate"))

# The scope of a listing made without any selector: it holds every item of the operation.
EVERYTHING = ("", "")


@dataclass(frozen=True)
class Listing:
    """How the items of one describe operation are identified, selected and filtered here.

    ``fields`` maps a filter name to the path of the item field it compares; a list met on the path matches when any
    of its elements does. Only filters whose EC2 meaning is that plain comparison belong there.
    """

    result_key: str
    id_field: str
    ids_kwarg: str
    id_filter: str
    scopes: tuple[str, ...]
    fields: dict[str, tuple[str, ...]]
    filter_kwarg: str = "Filters"


LISTED_OPERATIONS = {
    "describe_vpcs": Listing(
        "Vpcs",
        "VpcId",
        "VpcIds",
        "vpc-id",
        ("vpc-id",),
        {
            "vpc-id": ("VpcId",),
            "state": ("State",),
            "dhcp-options-id": ("DhcpOptionsId",),
            "is-default": ("IsDefault",),
        },
    ),
    "describe_subnets": Listing(
        "Subnets",
        "SubnetId",
        "SubnetIds",
        "subnet-id",
        ("vpc-id",),
        {
            "subnet-id": ("SubnetId",),
            "vpc-id": ("VpcId",),
            "state": ("State",),
            "availability-zone": ("AvailabilityZone",),
            "cidr-block": ("CidrBlock",),
            "default-for-az": ("DefaultForAz",),
        },
    ),
    "describe_route_tables": Listing(
        "RouteTables",
        "RouteTableId",
        "RouteTableIds",
        "route-table-id",
        ("vpc-id",),
        {
            "route-table-id": ("RouteTableId",),
            "vpc-id": ("VpcId",),
            "association.subnet-id": ("Associations", "SubnetId"),
            "association.route-table-association-id": ("Associations", "RouteTableAssociationId"),
        },
    ),
    "describe_internet_gateways": Listing(
        "InternetGateways",
        "InternetGatewayId",
        "InternetGatewayIds",
        "internet-gateway-id",
        ("attachment.vpc-id",),
        {
            "internet-gateway-id": ("InternetGatewayId",),
            "attachment.vpc-id": ("Attachments", "VpcId"),
            "attachment.state": ("Attachments", "State"),
        },
    ),
    "describe_nat_gateways": Listing(
        "NatGateways",
        "NatGatewayId",
        "NatGatewayIds",
        "nat-gateway-id",
        ("vpc-id",),
        {
            "nat-gateway-id": ("NatGatewayId",),
            "vpc-id": ("VpcId",),
            "subnet-id": ("SubnetId",),
            "state": ("State",),
        },
        filter_kwarg="Filter",
    ),
    "describe_addresses": Listing(
        "Addresses",
        "AllocationId",
        "AllocationIds",
        "allocation-id",
        ("domain",),
        {
            "allocation-id": ("AllocationId",),
            "domain": ("Domain",),
            "public-ip": ("PublicIp",),
            "association-id": ("AssociationId",),
            "network-interface-id": ("NetworkInterfaceId",),
            "instance-id": ("InstanceId",),
        },
    ),
    "describe_security_groups": Listing(
        "SecurityGroups",
        "GroupId",
        "GroupIds",
        "group-id",
        ("vpc-id",),
        {"group-id": ("GroupId",), "group-name": ("GroupName",), "vpc-id": ("VpcId",)},
    ),
    "describe_network_acls": Listing(
        "NetworkAcls",
        "NetworkAclId",
        "NetworkAclIds",
        "network-acl-id",
        ("vpc-id",),
        {
            "network-acl-id": ("NetworkAclId",),
            "vpc-id": ("VpcId",),
            "association.subnet-id": ("Associations", "SubnetId"),
            "default": ("IsDefault",),
        },
    ),
    "describe_egress_only_internet_gateways": Listing(
        "EgressOnlyInternetGateways",
        "EgressOnlyInternetGatewayId",
        "EgressOnlyInternetGatewayIds",
        "egress-only-internet-gateway-id",
        (),  # EC2 offers no VPC filter: only a listing without any filter is complete
        {"egress-only-internet-gateway-id": ("EgressOnlyInternetGatewayId",)},
    ),
    "describe_vpc_endpoints": Listing(
        "VpcEndpoints",
        "VpcEndpointId",
        "VpcEndpointIds",
        "vpc-endpoint-id",
        ("vpc-id",),
        {"vpc-endpoint-id": ("VpcEndpointId",), "vpc-id": ("VpcId",), "service-name": ("ServiceName",)},
    ),
}


# -- filters ---------------------------------------------------------------------------------------------------------


def plain_filters(filters: Iterable[Any] | None) -> PlainFilters | None:
    """EC2 ``filters`` as ``[(name, {values})]``; ``None`` when one cannot be matched here by equality: malformed
    (AWS must report it), empty, or holding a ``*``/``?`` wildcard."""
    parsed: PlainFilters = []
    for entry in filters or []:
        name = entry.get("Name") if isinstance(entry, dict) else None
        values = entry.get("Values") if isinstance(entry, dict) else None
        if not isinstance(name, str) or not values or not isinstance(values, (list, tuple)):
            return None
        if any(not isinstance(value, str) or "*" in value or "?" in value for value in values):
            return None
        parsed.append((name, frozenset(values)))
    return parsed


def evaluable(listing: Listing, name: str) -> bool:
    return name.startswith("tag:") or name == "tag-key" or name in listing.fields


def values_at(item: Resource, path: Iterable[str]) -> list[Any]:
    """The values found at ``path`` in ``item``, following every element of the lists met on the way."""
    values: list[Any] = [item]
    for key in path:
        found: list[Any] = []
        for parent in values:
            value = parent.get(key) if isinstance(parent, dict) else None
            if isinstance(value, list):
                found.extend(value)
            elif value is not None:
                found.append(value)
        values = found
    return values


def as_filter_value(value: object) -> str:
    """An item field as EC2 filter values spell it (booleans are ``true``/``false``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def matches(listing: Listing, item: Resource, name: str, values: frozenset[str]) -> bool:
    """EC2 semantics for one filter: the item matches when any of its values is one of ``values``."""
    tags = item.get("Tags") or []
    if name.startswith("tag:"):
        found = [tag.get("Value") for tag in tags if tag.get("Key") == name[len("tag:") :]]
    elif name == "tag-key":
        found = [tag.get("Key") for tag in tags]
    else:
        found = values_at(item, listing.fields[name])
    return any(as_filter_value(value) in values for value in found)


def listed_scopes(listing: Listing, arguments: Mapping[str, Any]) -> set[Scope] | None:
    """The scopes a request lists in full: ``{(scope filter, value)}``, or ``{EVERYTHING}`` when it has no selector;
    ``None`` when it selects anything else (ids, other filters, a page size...)."""
    if set(arguments) - {listing.filter_kwarg}:
        return None
    filters = plain_filters(arguments.get(listing.filter_kwarg))
    if filters == []:
        return {EVERYTHING}
    if filters is None or len(filters) != 1 or filters[0][0] not in listing.scopes:
        return None
    name, values = filters[0]
    return {(name, value) for value in values}


def request_key(kind: str, operation: str, arguments: Mapping[str, Any]) -> tuple[str, str, str]:
    return kind, operation, json.dumps(arguments, sort_keys=True, default=repr)


# -- the client --------------------------------------------------------------------------------------------------


class CachedReads:
    """Wraps an EC2 client (the object returned by ``module.ec2_client(module)``: a boto3 client whose methods accept
    an extra ``aws_retry=True`` kwarg, passed through untouched to the real call)."""

    __slots__ = ("_client", "_items", "_complete", "_answers")

    def __init__(self, client: Client) -> None:
        self._client = client
        self.forget()

    @property
    def uncached(self) -> Client:
        """The wrapped client: waiters poll it, because polling must see AWS, not this cache. What is done with it
        is unseen here, so taking it forgets everything, as any other non-read attribute does."""
        self.forget()
        return self._client

    def forget(self) -> None:
        """Drop everything learned."""
        self._items: dict[
            str, dict[str, Resource]
        ] = {}  # operation -> {id: item} from every answer; the latest answer wins
        self._complete: dict[
            str, set[Scope]
        ] = {}  # operation -> {(scope filter, value)} listed in full, or {EVERYTHING}
        self._answers: dict[
            tuple[str, str, str], Any
        ] = {}  # request_key(...) -> the answer of an earlier identical request

    def __getattr__(self, name: str) -> Any:
        if name in CachedReads.__slots__ or name.startswith("__"):
            # Not set yet (copy, pickle) or a protocol probe: never delegated, or lookups would recurse.
            raise AttributeError(name)
        if name in PASSED_THROUGH:
            return getattr(self._client, name)
        if name.startswith("describe_"):
            return self._cached_call(name, getattr(self._client, name))
        self.forget()
        return getattr(self._client, name)

    def get_paginator(self, operation_name: str) -> CachedPaginator:
        """The real paginator, whose ``paginate(...).build_full_result()`` is a cached read."""
        return CachedPaginator(self, operation_name, self._client.get_paginator(operation_name))

    def _cached_call(self, operation: str, call: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(call)
        def read(**kwargs: Any) -> Any:
            return self._read("call", operation, kwargs, lambda: call(**kwargs))

        return read

    def _read(self, kind: str, operation: str, kwargs: Mapping[str, Any], fetch: Callable[[], Any]) -> Any:
        """The answer of ``operation`` called with ``kwargs``: from memory when it follows from earlier answers,
        else from ``fetch()``, which is then learned. ``kind`` tells a direct call from a paginated listing."""
        arguments = {name: value for name, value in kwargs.items() if name != "aws_retry"}
        key = request_key(kind, operation, arguments)
        if key in self._answers:
            return copy.deepcopy(self._answers[key])
        listing = LISTED_OPERATIONS.get(operation)
        if listing is not None:
            items = self._answer_locally(listing, operation, arguments)
            if items is not None:
                return {listing.result_key: copy.deepcopy(items)}
        response = fetch()
        stored = copy.deepcopy(response)
        self._answers[key] = stored
        if listing is not None:
            self._learn(listing, operation, arguments, stored)
        return response

    def _learn(
        self, listing: Listing, operation: str, arguments: Mapping[str, Any], response: Mapping[str, Any]
    ) -> None:
        items = response.get(listing.result_key) or []
        known = self._items.setdefault(operation, {})
        for item in items:
            if item.get(listing.id_field):
                known[item[listing.id_field]] = item
        scopes = listed_scopes(listing, arguments)
        # A page (NextToken) or an item we cannot index is not a complete listing.
        if scopes and not response.get("NextToken") and all(item.get(listing.id_field) for item in items):
            self._complete.setdefault(operation, set()).update(scopes)

    def _answer_locally(self, listing: Listing, operation: str, arguments: Mapping[str, Any]) -> list[Resource] | None:
        """The items AWS would return, when earlier answers hold all of them; ``None`` when AWS must be asked."""
        if set(arguments) - {listing.filter_kwarg, listing.ids_kwarg}:
            return None
        filters = plain_filters(arguments.get(listing.filter_kwarg))
        if filters is None or not all(evaluable(listing, name) for name, _values in filters):
            return None
        if listing.ids_kwarg in arguments:
            candidates = self._seen_items(operation, arguments[listing.ids_kwarg] or [])
        elif self._covers(listing, operation, filters):
            candidates = list(self._items.get(operation, {}).values())
        else:
            ids = [item_id for name, values in filters if name == listing.id_filter for item_id in values]
            candidates = self._seen_items(operation, ids)
        if candidates is None:
            return None
        return [item for item in candidates if all(matches(listing, item, name, values) for name, values in filters)]

    def _covers(self, listing: Listing, operation: str, filters: PlainFilters) -> bool:
        """True when a complete listing holds every item of a scope filter among ``filters``."""
        complete = self._complete.get(operation, set())
        if EVERYTHING in complete:
            return True
        return any(
            name in listing.scopes and all((name, value) in complete for value in values) for name, values in filters
        )

    def _seen_items(self, operation: str, ids: Iterable[str]) -> list[Resource] | None:
        """The items ``ids``, when every one of them was seen; ``None`` otherwise: an id never seen may exist
        outside what was listed, or not at all, and then AWS must answer with its own NotFound."""
        known = self._items.get(operation, {})
        wanted = set(ids)
        if not wanted or not wanted <= set(known):
            return None
        return [item for item_id, item in known.items() if item_id in wanted]


def uncached(client: Client) -> Client:
    """The client behind ``client`` when it is a :class:`CachedReads`, else ``client``: for polling, which must see
    AWS. Taking it from a cache forgets what the cache learned (see :attr:`CachedReads.uncached`)."""
    return client.uncached if isinstance(client, CachedReads) else client


class CachedPaginator:
    """``CachedReads.get_paginator(operation)``: ``paginate(...)`` gives pages whose ``build_full_result()`` is a
    cached read; anything else is the real paginator's."""

    def __init__(self, reads: CachedReads, operation: str, paginator: Any) -> None:
        self._reads = reads
        self._operation = operation
        self._paginator = paginator

    def paginate(self, **kwargs: Any) -> CachedPages:
        return CachedPages(self._reads, self._operation, self._paginator, kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._paginator, name)


class CachedPages:
    """The result of ``CachedPaginator.paginate(...)``: ``build_full_result()`` is cached; iterating the pages or
    anything else goes to the real page iterator."""

    def __init__(self, reads: CachedReads, operation: str, paginator: Any, kwargs: dict[str, Any]) -> None:
        self._reads = reads
        self._operation = operation
        self._paginator = paginator
        self._kwargs = kwargs

    def build_full_result(self) -> Any:
        return self._reads._read(
            "paginate",
            self._operation,
            self._kwargs,
            lambda: self._paginator.paginate(**self._kwargs).build_full_result(),
        )

    def __iter__(self) -> Iterator[Any]:
        return iter(self._paginator.paginate(**self._kwargs))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._paginator.paginate(**self._kwargs), name)
