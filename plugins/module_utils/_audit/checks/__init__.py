# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit's checks, one module per part of the network; ``CHECKS`` runs them in the order findings are listed."""

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.checks import (
    addresses,
    endpoints,
    nacl,
    nat,
    routes,
    security_groups,
    vpc,
)

CHECKS = (
    vpc.CHECKS + routes.CHECKS + nat.CHECKS + endpoints.CHECKS + security_groups.CHECKS + nacl.CHECKS + addresses.CHECKS
)
