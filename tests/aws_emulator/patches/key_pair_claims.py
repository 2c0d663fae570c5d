"""Key pairs as the collection's network claim relies on them (plugins/module_utils/_aws/lease.py).

Why: the claim is an EC2 key pair whose name AWS keeps unique in the region: of runs importing one name at the same
moment, exactly one succeeds and the others answer ``InvalidKeyPair.Duplicate`` (EC2 API reference, ImportKeyPair
and "Error codes": ``InvalidKeyPair.Duplicate`` "The key pair already exists"). Stock moto differs in three ways:

* its name check and insert are two steps run on moto server's request threads without a lock, so two imports at the
  same moment can both pass the check (AWS arbitrates the name atomically);
* DeleteKeyPair by ``KeyPairId`` (EC2 API reference, DeleteKeyPair: "KeyName or KeyPairId") deletes nothing: moto
  reads only ``KeyName``;
* it is strongly consistent. EC2 is not (EC2 API reference, "Eventual consistency": a call's result "might not be
  immediately visible to all subsequent commands"): under the emulator's propagation delay L, a new key pair is
  left out of DescribeKeyPairs, and a deleted one is still listed and its name still refused, for L seconds.

How: wraps ``KeyPairBackend``'s create, import, delete and describe. One lock serialises every name check with its
insert or delete. A delete may name the key pair by id. While L > 0 (``eventual_consistency``'s delay), the backend
remembers new key pairs' ids until they become visible and deleted key pairs until they are forgotten (per
account/region, cleared by /moto-api/reset with the backends).
"""

import threading
import time
from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import InvalidKeyPairDuplicateError, InvalidKeyPairNameError
from moto.ec2.models.key_pairs import KeyPair, KeyPairBackend
from moto.ec2.responses.key_pairs import KeyPairs
from moto.ec2.utils import generic_filter

from . import eventual_consistency

#: The proofs in tests/emulator, and what each shows.
PROOFS = {
    "test_emulator_key_pairs.py::test_concurrent_imports_of_one_name_one_succeeds": "the atomic name check",
    "test_emulator_key_pairs.py::test_delete_by_key_pair_id_frees_the_name": "DeleteKeyPair by KeyPairId",
    "test_emulator_key_pairs.py::test_delete_by_the_id_of_a_replaced_key_pair_keeps_the_new_one": "delete by id only",
    "test_emulator_key_pairs.py::test_a_new_key_pair_is_not_listed_during_the_delay": "a new key pair propagates",
    "test_emulator_key_pairs.py::test_a_deleted_key_pair_lingers_during_the_delay": "a deletion propagates",
}

_PATCHED_FLAG = "_aws_emulator_key_pair_claims_patched"
_HIDDEN_ATTR = "_aws_emulator_key_pairs_hidden"  # key pair id -> visible at (monotonic)
_LINGERING_ATTR = "_aws_emulator_key_pairs_lingering"  # name -> (deleted key pair, forgotten at)
_lock = threading.Lock()


def _delay() -> float:
    return eventual_consistency._state.delay


def _hidden(backend: Any) -> dict[str, float]:
    hidden = backend.__dict__.setdefault(_HIDDEN_ATTR, {})
    if not _delay():
        hidden.clear()  # no delay (any more): strongly consistent
    return hidden


def _lingering(backend: Any, now: float) -> dict[str, tuple[KeyPair, float]]:
    lingering = backend.__dict__.setdefault(_LINGERING_ATTR, {})
    if not _delay():
        lingering.clear()
    for name, (_pair, until) in list(lingering.items()):
        if until <= now:
            del lingering[name]
    return lingering


def _wrap_create(original: Callable[..., KeyPair]) -> Callable[..., KeyPair]:
    def create(self: Any, name: str, *args: Any, **kwargs: Any) -> KeyPair:
        with _lock:
            now = time.monotonic()
            if name in _lingering(self, now):
                raise InvalidKeyPairDuplicateError(name)
            pair = original(self, name, *args, **kwargs)
            if _delay():
                _hidden(self)[pair.id] = now + _delay()
            return pair

    return create


def delete_key_pair(self: Any, name: str | None = None, key_pair_id: str | None = None) -> KeyPair | None:
    with _lock:
        if key_pair_id is not None:
            name = next((pair.key_name for pair in self.key_pairs.values() if pair.id == key_pair_id), None)
        pair = self.key_pairs.pop(name, None) if name is not None else None
        if pair is not None and _delay():
            _lingering(self, time.monotonic())[pair.key_name] = (pair, time.monotonic() + _delay())
        return pair


def _wrap_describe(original: Callable[..., list[KeyPair]]) -> Callable[..., list[KeyPair]]:
    def describe_key_pairs(self: Any, key_names: list[str], filters: Any = None) -> list[KeyPair]:
        with _lock:
            now = time.monotonic()
            hidden = {pair_id for pair_id, visible_at in _hidden(self).items() if visible_at > now}
            lingering = _lingering(self, now)
            if not hidden and not lingering:
                return original(self, key_names, filters)
            listed = [pair for pair in self.key_pairs.values() if pair.id not in hidden]
            listed += [pair for pair, _until in lingering.values()]
        if any(key_names):
            found = [pair for pair in listed if pair.key_name in key_names]
            unknown = set(key_names) - {pair.key_name for pair in found}
            if unknown:
                raise InvalidKeyPairNameError(unknown)
            listed = found
        if filters:
            return generic_filter(filters, listed)
        return listed

    return describe_key_pairs


def _delete_response(self: KeyPairs) -> ActionResult:
    key_name = self._get_param("KeyName")
    key_pair_id = self._get_param("KeyPairId")
    self.error_on_dryrun()
    pair = self.ec2_backend.delete_key_pair(key_name, key_pair_id=key_pair_id)
    return ActionResult({"Return": True, "KeyPairId": pair.id if pair else None})


def apply() -> None:
    if getattr(KeyPairBackend, _PATCHED_FLAG, False):
        return
    KeyPairBackend.create_key_pair = _wrap_create(KeyPairBackend.create_key_pair)  # type: ignore[method-assign]
    KeyPairBackend.import_key_pair = _wrap_create(KeyPairBackend.import_key_pair)  # type: ignore[method-assign]
    KeyPairBackend.delete_key_pair = delete_key_pair  # type: ignore[method-assign]
    KeyPairBackend.describe_key_pairs = _wrap_describe(KeyPairBackend.describe_key_pairs)  # type: ignore[method-assign]
    KeyPairs.delete_key_pair = _delete_response  # type: ignore[method-assign]
    setattr(KeyPairBackend, _PATCHED_FLAG, True)
