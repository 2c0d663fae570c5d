# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting on AWS state: poll until a condition holds, fail fast when it never will, time out with a reason."""

from __future__ import annotations

import time
import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import WaitTimeout

if typing.TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

# The first re-check comes quickly (the emulator and small changes settle in a second); the interval then grows
# so a NAT gateway that takes minutes on AWS is polled a few times a minute, not hammered.
FIRST_POLL_INTERVAL = 1.0
MAX_POLL_INTERVAL = 15.0
POLL_GROWTH = 1.5


def poll_until(check: Callable[[], tuple[bool, Any]], timeout: float, what: str) -> Any:
    """Call ``check()`` until it returns ``(True, value)``; return ``value``.

    ``check`` returns ``(done, value_or_pending_description)`` and raises to stop at once (for example when a
    resource failed). When ``timeout`` seconds pass first, raise :class:`WaitTimeout` naming ``what`` and what
    the last check still reported as not ready.
    """
    deadline = time.monotonic() + timeout
    interval = FIRST_POLL_INTERVAL
    while True:
        done, value = check()
        if done:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeout(f"Timed out after {timeout}s waiting for {what}; still not ready: {value}")
        time.sleep(min(interval, remaining))
        interval = min(interval * POLL_GROWTH, MAX_POLL_INTERVAL)
