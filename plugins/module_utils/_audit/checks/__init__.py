# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit's checks, one module per part of the network; ``CHECKS`` runs them in the order findings are listed."""

from __future__ import annotations

import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.checks import (
    addresses,
    endpoints,
    ipv6,
    nacl,
    nat,
    routes,
    security_groups,
    vpc,
)

if typing.TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeAlias

    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.findings import Findings
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import AuditContext

    Check: TypeAlias = Callable[[AuditContext, Findings], None]

CHECKS: tuple[Check, ...] = (
    vpc.CHECKS
    + routes.CHECKS
    + nat.CHECKS
    + ipv6.CHECKS
    + endpoints.CHECKS
    + security_groups.CHECKS
    + nacl.CHECKS
    + addresses.CHECKS
)
