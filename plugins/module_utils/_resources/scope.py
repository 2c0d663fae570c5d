# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every reconciler works in, and the shape they all share.

A :class:`Scope` is one run's setting: its EC2 client (the run's model), the network, its VPC, the user's tags and
``purge_tags``, check mode and how to warn. The fine-grained modules build it with :func:`module_scope`; the
``network`` module's converge and teardown build one for the whole run.

Each file of ``_resources`` has one entry, ``reconcile(scope, [desired,] state) -> Outcome``, which the fine-grained
module, converge and teardown all call. Behind it, a :class:`Reconciler` takes the scope and only its resource's own
desired state, and has ``present()`` and ``absent()``. A resource that must still be waited for (a NAT gateway left
``pending``) says so in its outcome (``Outcome.pending``), for the caller to wait when it chooses.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import NetworkError
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.run_model import RunModel, model_of
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    apply_tag_changes,
    desired_tags,
    purges,
    tag_changes,
    tags_of,
)

PRESENT = "present"
ABSENT = "absent"


@dataclasses.dataclass(frozen=True)
class Scope:
    """One run's setting, shared by every reconciler of the run. ``vpc_id`` is ``None`` until the network has a VPC
    (see :meth:`in_vpc`); ``tags`` are the user's (``None``: the option was not given)."""

    client: RunModel
    network: str
    warn: Callable[[str], None]
    vpc_id: str | None = None
    tags: Mapping[str, Any] | None = None
    purge_tags: bool = True
    check_mode: bool = False

    def __post_init__(self) -> None:
        # Every reconciler of a run reads and records through the same model of the network.
        object.__setattr__(self, "client", model_of(self.client))

    @property
    def purges(self) -> bool:
        """Whether tags outside the desired ones are removed (only when the user gave ``tags``)."""
        return purges(self.tags, self.purge_tags)

    def in_vpc(self, vpc_id: str | None) -> Scope:
        return dataclasses.replace(self, vpc_id=vpc_id)


def module_scope(module: Any, client: Any, *, vpc_id: str | None = None) -> Scope:
    """The scope of a fine-grained module: its ``network_name``, ``vpc_id`` (unless given), ``tags`` and ``purge_tags``
    options, its check mode and its warnings."""
    params = module.params
    return Scope(
        client=client,
        network=params["network_name"],
        warn=module.warn,
        vpc_id=vpc_id or params.get("vpc_id"),
        tags=params.get("tags"),
        purge_tags=params.get("purge_tags", True),
        check_mode=module.check_mode,
    )


class Reconciler:
    """One resource in a :class:`Scope`: ``present()`` and ``absent()`` each return an :class:`Outcome`."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.client = scope.client
        self.network = scope.network
        self.vpc_id = scope.vpc_id
        self.check_mode = scope.check_mode
        self.warn = scope.warn

    @property
    def required_vpc_id(self) -> str:
        """The scope's VPC, for a reconciler that cannot work without one (``vpc_id`` is ``None`` until the network
        has a VPC, and some ``absent()`` then look in every VPC)."""
        if self.vpc_id is None:
            raise NetworkError(f"{type(self).__name__} works in the network's VPC, and its scope has none yet")
        return self.vpc_id

    def present(self) -> Outcome:
        raise NotImplementedError

    def absent(self) -> Outcome:
        raise NotImplementedError

    def run(self, state: str) -> Outcome:
        return self.present() if state == PRESENT else self.absent()

    def delete_each(self, ids: Iterable[str], delete: Callable[[str], Any], describe_operation: str) -> list[str]:
        """Delete each of ``ids`` in id order with ``delete(id)`` (in check mode, none) and tell the run's model;
        returns the ids, sorted."""
        ids = sorted(ids)
        if not self.check_mode:
            for item_id in ids:
                delete(item_id)
                self.client.record_deleted(describe_operation, item_id)
        return ids

    def desired_tags(self, component: str, name: str | None, **qualifiers: str) -> dict[str, str]:
        """The user's tags, a ``Name`` and the identity tags of ``component`` (see :func:`tagging.desired_tags`)."""
        return desired_tags(self.network, component, self.scope.tags, name, **qualifiers)

    def tag_changes(self, resource: Mapping[str, Any], desired: Mapping[str, str]) -> Any:
        """The :class:`tagging.TagChanges` that bring ``resource``'s tags to ``desired`` (purging as the scope says)."""
        return tag_changes(tags_of(resource), desired, self.scope.purges)

    def ensure_tags(self, resource_id: str, resource: Mapping[str, Any], desired: Mapping[str, str]) -> bool:
        """Bring the tags of ``resource`` (ours, described) to ``desired``; returns ``changed``."""
        changes = self.tag_changes(resource, desired)
        if changes and not self.check_mode:
            apply_tag_changes(self.client, resource_id, changes)
        return bool(changes)
