# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The format of EC2 ids, checked before any call: a typo fails at once, naming its option."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput

# EC2 ids: a type prefix, a dash, then 8 (older resources) or 17 lowercase hex digits.
_EC2_ID_SUFFIX = re.compile(r"^(?:[0-9a-f]{8}|[0-9a-f]{17})$")


def check_id_format(option: str, value: str | Iterable[str] | None, prefix: str) -> None:
    """Raise :class:`InvalidInput` against ``option`` unless ``value`` (an id or a list of ids) looks like
    ``<prefix>-`` followed by 8 or 17 hex digits. Costs no API call: run it before anything else."""
    for item in [value] if isinstance(value, str) else list(value or []):
        head, dash, suffix = str(item).partition("-")
        if head != prefix or not dash or not _EC2_ID_SUFFIX.match(suffix):
            raise InvalidInput(option, f"{item!r} is not a {prefix} id ({prefix}- followed by 8 or 17 hex digits)")


def check_network_ids(params: Mapping[str, Any]) -> None:
    """Check the ``subnets`` and ``security_groups`` lists a task network is given: not empty, well formed, no id
    twice. Lists that are ``None`` (not given) are skipped. Costs no API call."""
    for option, prefix in (("subnets", "subnet"), ("security_groups", "sg")):
        ids = params.get(option)
        if ids is None:
            continue
        if not ids:
            raise InvalidInput(option, "must list at least one id (an empty list would leave tasks without one)")
        check_id_format(option, ids, prefix)
        duplicates = sorted({item for item in ids if ids.count(item) > 1})
        if duplicates:
            raise InvalidInput(option, f"lists {', '.join(duplicates)} more than once")
