# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Our errors, and the one path by which a module reports them.

Helpers raise; modules never call ``fail_json`` themselves. ``main()`` wraps its work in :func:`reported_errors`
(or, in a module that calls AWS, ``_aws.errors.reported_errors``, which reports AWS's errors too).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class NetworkError(Exception):
    """A failure we can explain: what is wrong and what to do. ``details`` go into the module result."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.details = details


class InvalidInput(NetworkError):
    """An option's value cannot work. Raised before the first mutating call; the message names the option."""

    def __init__(self, option: str, message: str, **details: Any) -> None:
        super().__init__(f"{option}: {message}", invalid_option=option, **details)
        self.option = option
        self.reason = message

    def with_prefix(self, prefix: str, renamed: dict[str, str] | None = None) -> InvalidInput:
        """The same error reported against ``prefix + option`` (a role's variable name, e.g. ``fargate_network_``);
        ``renamed`` maps options whose variable is not ``prefix + option`` to the name after the prefix."""
        name = (renamed or {}).get(self.option, self.option)
        return InvalidInput(
            prefix + name, self.reason, **{k: v for k, v in self.details.items() if k != "invalid_option"}
        )


class ResourceFailed(NetworkError):
    """AWS reports a resource we depend on in a failed state (for example a NAT gateway's FailureCode)."""


class WaitTimeout(NetworkError):
    """A resource did not reach the state we need within the allowed time."""


@contextmanager
def reported_errors(module: Any) -> Iterator[None]:
    """Report a :class:`NetworkError` raised inside the block as this module's failure."""
    try:
        yield
    except NetworkError as error:
        module.fail_json(msg=str(error), **error.details)
