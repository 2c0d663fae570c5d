# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Retry policies for every EC2 call the collection makes.

* ``AWS_RETRY`` retries what AWS asks callers to retry (throttling, 5xx). Every call opts in with
  ``aws_retry=True`` on the client returned by :func:`module.ec2_client`.
* ``PROPAGATION_RETRY`` retries the answers EC2's eventual consistency gives for an id created a moment ago (EC2 API
  reference, "Eventual consistency": ``*.NotFound`` while the id propagates). :class:`run_model.RunModel` applies it
  to calls that name an id the same run created, and to nothing else: an id that came from the user or from a
  describe and answers NotFound does not exist, and the error is reported at once.
* ``RELEASE_RETRY`` retries ``DependencyViolation`` on a delete while AWS releases what a deleted NAT gateway or
  released address held (its network interface, its mapped public address). :class:`run_model.RunModel` applies it
  only while this run knows of such a release.

Both last policies poll fast first (EC2 usually settles within a second) and give up after
:data:`PROPAGATION_TIMEOUT`, the EC2 propagation timeout terraform-provider-aws also uses.
"""

from __future__ import annotations

import typing

from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

if typing.TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, Protocol, TypeVar

    CallableT = TypeVar("CallableT", bound=Callable[..., Any])

    class RetryDecorator(Protocol):
        """What AWSRetry's ``jittered_backoff()`` returns: the wrapped function keeps its signature."""

        def __call__(self, function: CallableT, /) -> CallableT: ...


# Errors EC2 returns for an id that exists but has not propagated yet.
PROPAGATION_CODES = (
    "InvalidVpcID.NotFound",
    "InvalidSubnetID.NotFound",
    "InvalidRouteTableID.NotFound",
    "InvalidInternetGatewayID.NotFound",
    "InvalidNatGatewayID.NotFound",
    "NatGatewayNotFound",
    "InvalidAllocationID.NotFound",
    "InvalidGroup.NotFound",
    "InvalidGroupId.NotFound",
    "InvalidNetworkAclID.NotFound",
    "InvalidVpcEndpointId.NotFound",
)

# Start at 1 s and cap at 20 s: throttling in a busy account clears in seconds, and ten attempts span minutes.
_BACKOFF = dict(retries=10, delay=1, backoff=2.0, max_delay=20)

AWS_RETRY: RetryDecorator = AWSRetry.jittered_backoff(**_BACKOFF)

# Seconds after which a propagation or release retry gives up.
PROPAGATION_TIMEOUT = 300
# 66 attempts with pauses of at most 0.25 s, 0.375 s, ... growing to 5 s (AWSRetry draws each pause between 0 and
# its bound): the first retry comes within a quarter of a second, and the 65 bounds add up to about
# PROPAGATION_TIMEOUT (see :func:`longest_wait`).
PROPAGATION_BACKOFF = dict(retries=66, delay=0.25, backoff=1.5, max_delay=5)


def longest_wait(retries: int, delay: float, backoff: float, max_delay: float) -> float:
    """The most time a jittered backoff with these settings can pause in total, in seconds (AWSRetry's ``retries``
    counts attempts: it pauses between them, ``retries - 1`` times)."""
    return sum(min(delay * backoff**pause, max_delay) for pause in range(retries - 1))


class OnlyCodesRetry(AWSRetry):
    """AWSRetry that retries only the error codes of its subclass's ``codes``: not AWSRetry's own list, which holds
    500s, after which a create must not be sent again (see creates.py)."""

    codes: tuple[str, ...] = ()

    @classmethod
    def found(cls, response_code: str, catch_extra_error_codes: list[str] | None = None) -> bool:
        return response_code in cls.codes


class _PropagationRetry(OnlyCodesRetry):
    codes = PROPAGATION_CODES


class _ReleaseRetry(OnlyCodesRetry):
    codes = ("DependencyViolation",)


PROPAGATION_RETRY: RetryDecorator = _PropagationRetry.jittered_backoff(**PROPAGATION_BACKOFF)
RELEASE_RETRY: RetryDecorator = _ReleaseRetry.jittered_backoff(**PROPAGATION_BACKOFF)
