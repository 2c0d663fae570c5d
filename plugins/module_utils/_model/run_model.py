# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one model of the network a run keeps: what AWS answered, corrected by what this run's own calls answered.

EC2 is eventually consistent (EC2 API reference, "Eventual consistency"): for a while after a create, a describe can
leave the new resource out and a call naming its id can answer ``*.NotFound``; after a NAT gateway is deleted, the
delete of its subnet, VPC or internet gateway attachment can answer ``DependencyViolation`` until AWS has released
its network interface and public address. A run that asked AWS again about what it had just made would see its
work missing, and fail, or make it twice. :class:`RunModel` wraps the run's EC2 client so that it never has to:

* **reads** are :class:`read_cache.CachedReads`' (the network is read once, up front; later describes are answered
  from that reading until something changes), with this run's own records laid over AWS's answers: what a
  reconciler created or changed, recorded from the answers of its own calls (:meth:`RunModel.record`), replaces
  AWS's version of the same resource and fills in what AWS does not list yet; a describe that names only recorded
  resources is answered without asking AWS. What the run deleted (:meth:`RunModel.record_deleted`) is left out.
* **calls that name an id this run created** retry EC2's propagation answers (``retries.PROPAGATION_RETRY``: the
  first retry within a quarter of a second, giving up after ``retries.PROPAGATION_TIMEOUT``). An id that came from
  the user or from a describe is not retried: its NotFound is a real answer.
* **deletes that wait on a release** (a subnet, an internet gateway's detachment, a VPC) retry
  ``DependencyViolation`` while the run knows of NAT gateways or addresses AWS is still releasing
  (:meth:`RunModel.releasing`), and then fail naming them.
"""

from __future__ import annotations

import copy
import typing

try:
    from botocore.exceptions import ClientError
except ImportError:  # AnsibleAWSModule reports the missing dependency itself
    ClientError = ()

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.read_cache import (
    LISTED_OPERATIONS,
    PASSED_THROUGH,
    CachedReads,
    evaluable,
    matches,
    plain_filters,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import (
    PROPAGATION_RETRY,
    PROPAGATION_TIMEOUT,
    RELEASE_RETRY,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import NetworkError

if typing.TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any

    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import Client
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.read_cache import Listing

# Deletes that AWS refuses with DependencyViolation until a deleted NAT gateway's interface and address are released.
WAITS_ON_RELEASE = frozenset(("delete_subnet", "detach_internet_gateway", "delete_vpc"))


def named_values(value: object) -> Iterator[str]:
    """Every string in a call's arguments (ids given directly, in lists, in filters or in nested structures)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from named_values(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from named_values(item)


class RunModel(CachedReads):
    """The run's EC2 client: :class:`read_cache.CachedReads` plus this run's records and retries (module docstring).

    Reconcilers record what they made: ``model.record("describe_subnets", subnet, created=True)``, with the resource
    as the create call answered it (and as the reconciler then changed it), in the shape EC2 describes it.
    """

    __slots__ = ("_records", "_deleted", "_created", "_releases", "_vpc_attributes")

    def __init__(self, client: Client) -> None:
        self._records: dict[
            str, dict[str, Resource]
        ] = {}  # describe operation -> {id: the resource as this run made or changed it}
        self._deleted: set[str] = set()  # ids this run deleted
        self._created: set[str] = set()  # ids this run created: calls naming them retry propagation errors
        self._releases: list[str] = []  # what AWS is still releasing: "NAT gateway nat-… (deleted)"...
        self._vpc_attributes: dict[
            tuple[str | None, str | None], Any
        ] = {}  # (vpc id, attribute) -> value this run set or knows
        super().__init__(client)

    # -- what the run tells the model ----------------------------------------------------------------------------

    def record(self, operation: str, item: Resource, *, created: bool = False) -> None:
        """Lay ``item`` (a resource as ``operation``, e.g. ``describe_subnets``, returns it) over AWS's answers."""
        item_id = item[LISTED_OPERATIONS[operation].id_field]
        self._records.setdefault(operation, {})[item_id] = copy.deepcopy(item)
        self._deleted.discard(item_id)
        if created:
            self._created.add(item_id)

    def record_created_id(self, item_id: str) -> None:
        """An id this run created but does not record as a resource (an Elastic IP): calls naming it retry."""
        self._created.add(item_id)

    def record_deleted(self, operation: str, item_id: str) -> None:
        self._records.get(operation, {}).pop(item_id, None)
        self._deleted.add(item_id)

    def record_vpc_attribute(self, vpc_id: str, attribute: str, value: Any) -> None:
        """``attribute`` (``enableDnsSupport``...) of ``vpc_id`` as this run set it or as AWS documents it."""
        self._vpc_attributes[(vpc_id, attribute)] = value

    def releasing(self, what: str) -> None:
        """AWS is releasing ``what`` (e.g. ``"NAT gateway nat-… (deleted)"``): deletes that wait on it retry."""
        if what not in self._releases:
            self._releases.append(what)

    def created(self, item_id: str) -> bool:
        return item_id in self._created

    # -- calls ---------------------------------------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        if name in RunModel.__slots__:
            raise AttributeError(name)  # not set yet (copy, pickle): never delegated
        attribute = super().__getattr__(name)
        if name in PASSED_THROUGH or name == "uncached":
            return attribute
        if name == "no_resend":
            return _Guarded(self, attribute)
        if name == "describe_vpc_attribute":
            return self._vpc_attribute_reader(attribute)
        return self._guard(name, attribute) if callable(attribute) else attribute

    def _guard(self, name: str, call: Callable[..., Any]) -> Callable[..., Any]:
        """``call`` with the retries this run's state asks for (see the module docstring)."""

        def guarded(**kwargs: Any) -> Any:
            if name in WAITS_ON_RELEASE and self._releases:
                return self._delete_after_release(name, call, kwargs)
            if not self._created.isdisjoint(named_values(kwargs)):
                return PROPAGATION_RETRY(call)(**kwargs)
            return call(**kwargs)

        return guarded

    def _delete_after_release(self, name: str, call: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        try:
            return RELEASE_RETRY(call)(**kwargs)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "DependencyViolation":
                raise
            raise NetworkError(
                f"EC2 {error.operation_name} still answers DependencyViolation after {PROPAGATION_TIMEOUT} s: AWS has "
                f"not finished releasing {', '.join(self._releases)}. Run again in a few minutes. AWS said: {error}"
            ) from error

    def _vpc_attribute_reader(self, call: Callable[..., Any]) -> Callable[..., Any]:
        def read(**kwargs: Any) -> Any:
            value = self._vpc_attributes.get((kwargs.get("VpcId"), kwargs.get("Attribute")))
            if value is None:
                return self._guard("describe_vpc_attribute", call)(**kwargs)
            key = kwargs["Attribute"][0].upper() + kwargs["Attribute"][1:]
            return {"VpcId": kwargs["VpcId"], key: {"Value": value}}

        return read

    # -- reads ---------------------------------------------------------------------------------------------------

    def _read(self, kind: str, operation: str, kwargs: Mapping[str, Any], fetch: Callable[[], Any]) -> Any:
        listing = LISTED_OPERATIONS.get(operation)
        records = self._records.get(operation, {}) if listing else {}
        if listing is None or not (records or self._deleted):
            return self._fetch_guarded(kind, operation, kwargs, fetch)
        arguments = {name: value for name, value in kwargs.items() if name != "aws_retry"}
        requested = _requested_ids(listing, arguments)
        recorded_ids = set(records) & requested if requested is not None else set()
        if requested and requested <= set(records) | self._deleted:
            # Every resource named is this run's: AWS need not be asked.
            response: dict[str, Any] = {listing.result_key: []}
        elif recorded_ids or (requested and requested & self._deleted):
            # Ask AWS only about the others: it may not know this run's resources yet, and would answer NotFound.
            narrowed = _without_ids(listing, kwargs, recorded_ids | self._deleted)
            response = self._fetch_guarded(kind, operation, narrowed, self._fetcher(kind, operation, narrowed))
        else:
            response = self._fetch_guarded(kind, operation, kwargs, fetch)
        return self._overlay(listing, records, arguments, requested, response)

    def _fetch_guarded(self, kind: str, operation: str, kwargs: Mapping[str, Any], fetch: Callable[[], Any]) -> Any:
        if self._created.isdisjoint(named_values(kwargs)):
            return super()._read(kind, operation, kwargs, fetch)
        return PROPAGATION_RETRY(super()._read)(kind, operation, kwargs, fetch)

    def _fetcher(self, kind: str, operation: str, kwargs: Mapping[str, Any]) -> Callable[[], Any]:
        client = self._client
        if kind == "paginate":
            return lambda: client.get_paginator(operation).paginate(**kwargs).build_full_result()
        return lambda: getattr(client, operation)(**kwargs)

    def _overlay(
        self,
        listing: Listing,
        records: Mapping[str, Resource],
        arguments: Mapping[str, Any],
        requested: set[str] | None,
        response: Mapping[str, Any],
    ) -> dict[str, Any]:
        """AWS's answer with this run's records laid over it and its deletions left out."""
        items = response.get(listing.result_key) or []
        id_field = listing.id_field
        kept = []
        for item in items:
            item_id = item.get(id_field)
            if item_id in self._deleted:
                continue
            record = records.get(item_id)
            verdict = None if record is None else _record_matches(listing, record, arguments)
            if record is None or verdict is None:
                kept.append(item)  # AWS's version, when ours cannot be checked against this request's filters
            elif verdict:
                kept.append(copy.deepcopy(record))
        answered = {item.get(id_field) for item in items}
        for item_id, record in records.items():
            if item_id in answered or (requested is not None and item_id not in requested):
                continue
            if _record_matches(listing, record, arguments):
                kept.append(copy.deepcopy(record))
        return {**response, listing.result_key: kept}


class _Guarded:
    """A client (the ``no_resend`` twin) whose calls naming an id this run created retry propagation errors."""

    def __init__(self, model: RunModel, client: Any) -> None:
        self._model = model
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        attribute = getattr(self._client, name)
        return self._model._guard(name, attribute) if callable(attribute) else attribute


def _requested_ids(listing: Listing, arguments: Mapping[str, Any]) -> set[str] | None:
    """The ids a describe names (by its ids argument or its id filter), or ``None`` when it lists by other means."""
    if listing.ids_kwarg in arguments:
        return set(arguments[listing.ids_kwarg] or [])
    for entry in arguments.get(listing.filter_kwarg) or []:
        if isinstance(entry, dict) and entry.get("Name") == listing.id_filter:
            return set(entry.get("Values") or [])
    return None


def _without_ids(listing: Listing, kwargs: Mapping[str, Any], ids: set[str]) -> dict[str, Any]:
    """``kwargs`` of a describe with ``ids`` taken out of the ids it names."""
    narrowed = dict(kwargs)
    if listing.ids_kwarg in narrowed:
        narrowed[listing.ids_kwarg] = [item for item in narrowed[listing.ids_kwarg] if item not in ids]
        return narrowed
    narrowed[listing.filter_kwarg] = [
        dict(entry, Values=[value for value in entry.get("Values") or [] if value not in ids])
        if isinstance(entry, dict) and entry.get("Name") == listing.id_filter
        else entry
        for entry in narrowed.get(listing.filter_kwarg) or []
    ]
    return narrowed


def _record_matches(listing: Listing, record: Resource, arguments: Mapping[str, Any]) -> bool | None:
    """True/False when ``record`` does / does not match the request's filters; ``None`` when a filter cannot be
    evaluated here (AWS's answer then stands)."""
    filters = plain_filters(arguments.get(listing.filter_kwarg))
    if filters is None or not all(evaluable(listing, name) for name, _values in filters):
        return None
    return all(matches(listing, record, name, values) for name, values in filters)


def model_of(client: Client) -> RunModel:
    """``client`` when it already is a run's model, else a new :class:`RunModel` around it."""
    return client if isinstance(client, RunModel) else RunModel(client)
