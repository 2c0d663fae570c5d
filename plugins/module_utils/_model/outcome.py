# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a reconciler did: every resource's reconciler (vpc.py, subnets.py, internet_gateway.py, nat_gateway.py,
regional_nat_gateway.py, route_table.py, s3_endpoint.py, security_group.py) has ``present()`` and ``absent()``, and
both return an :class:`Outcome`.

The network's converge and teardown chain outcomes into one change list and one diff; a fine-grained module
returns its outcome as its result.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from dataclasses import dataclass, field

if typing.TYPE_CHECKING:
    from typing import Any


def _empty_diff() -> dict[str, Any]:
    return {"before": {}, "after": {}}


@dataclass
class Outcome:
    """``changed``: whether anything changed (in check mode: would change). ``actions``: what, one sentence each.
    ``diff``: the resource before and after. ``data``: the resource's ids and details, as its module returns them.
    ``pending``: what is left to wait for (a NAT gateway still ``pending``), for the caller to run when it chooses;
    ``None`` when nothing is."""

    changed: bool = False
    actions: list[str] = field(default_factory=list)
    diff: dict[str, Any] = field(default_factory=_empty_diff)
    data: dict[str, Any] = field(default_factory=dict)
    pending: Callable[[], None] | None = None

    def result(self, **extra: Any) -> dict[str, Any]:
        """The outcome as a module's result (``exit_with`` returns ``diff`` only in diff mode)."""
        return {"changed": self.changed, **self.data, **extra, "diff": self.diff}
