# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Remove a Fargate network (the ``network`` module with ``state=absent``): only what carries its identity tags.

Every VPC tagged as the network's goes, duplicates left by runs that raced included (``duplicates.py``). The order
is the reverse of the build: security groups, the S3 gateway endpoint, route tables (their IPv6 routes
with them), the egress-only internet gateway, NAT gateways (waited
for, then every Elastic IP of the network released, theirs and free ones earlier runs left, except addresses the user
gave; a regional NAT gateway's addresses are AWS's in automatic mode and the user's in manual mode, so none is
released), the internet gateway, subnets, and the VPC
when this network created it. An adopted VPC and everything in it that is not tagged as this network's stay as they
are.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence
from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import describe_where, vpc_subnets
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.ipv6 import ipv6_cidr
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import TABLE_TAG, is_ours, tags_of
from ansible_collections.cloudreactor.aws.plugins.module_utils._network.converge import NetworkRun, check_options, prime
from ansible_collections.cloudreactor.aws.plugins.module_utils._network.duplicates import network_vpcs
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import (
    egress_only_internet_gateway,
    internet_gateway,
    nat_gateway,
    regional_nat_gateway,
    route_table,
    s3_endpoint,
    security_group,
    subnets,
    vpc,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.nat_gateway import NatGateways
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.regional_nat_gateway import RegionalNatGateway
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.route_table import COMPONENT as ROUTE_TABLE
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.route_table import RouteTable
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import ABSENT
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.security_group import SecurityGroup
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.vpc import COMPONENT as VPC
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.vpc import find_network_vpc

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource
    from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome


class NetworkTeardown(NetworkRun):
    """One ``state=absent`` run."""

    def run(self) -> dict[str, Any]:
        check_options(self.params)
        vpcs = self._vpcs()
        if not vpcs:
            return {"changed": False, "changes": [], "network": {"name": self.network, "vpc_id": None}}
        # Duplicates (earlier runs that raced) go first, each entirely; the network's own VPC last.
        for duplicate in vpcs[1:]:
            self.remove(duplicate, duplicate=True)
        self.remove(vpcs[0])
        return {
            "changed": bool(self.changes),
            "changes": self.changes,
            "network": {"name": self.network, "vpc_id": vpcs[0]["VpcId"]},
        }

    def remove(self, network_vpc: Resource, duplicate: bool = False) -> None:
        """Remove what is the network's in ``network_vpc``, and the VPC itself when it is the network's own.
        ``duplicate``: another VPC of the network's (duplicates.py): only its NAT gateways and addresses go, and each
        change line names it."""
        before = len(self.changes)
        vpc_id = network_vpc["VpcId"]
        prime(self.client, vpc_id)
        scope = self.scope.in_vpc(vpc_id)
        self._take(security_group.reconcile(scope, SecurityGroup(), ABSENT))
        self._take(s3_endpoint.reconcile(scope, ABSENT))
        for name in self._route_table_names(vpc_id):
            outcome = route_table.reconcile(scope, RouteTable(name), ABSENT)
            self.changes.extend(f"route table {name}: {action}" for action in outcome.actions)
        if ipv6_cidr(network_vpc):
            # Only a VPC with an IPv6 block can have the network's egress-only gateway: an IPv4 network pays no call.
            self._take(egress_only_internet_gateway.reconcile(scope, ABSENT))
        if not duplicate:
            self._take(self._nat_gateways(()))  # the network's own VPC: every NAT gateway of the network, wherever
        else:
            subnet_ids = [subnet["SubnetId"] for subnet in vpc_subnets(self.client, vpc_id)]
            if subnet_ids:
                self._take(self._nat_gateways(subnet_ids))  # only the duplicate's
        regional = RegionalNatGateway(wait_timeout=self.params["wait_timeout"])
        self._take(regional_nat_gateway.reconcile(scope, regional, ABSENT))
        self._take(internet_gateway.reconcile(scope, ABSENT))
        self._take(subnets.reconcile(scope, ABSENT))
        if not self.params["vpc_id"] and is_ours(network_vpc, self.network, VPC):
            self._take(vpc.reconcile(scope, ABSENT))
        if duplicate:
            self.changes[before:] = [f"duplicate VPC {vpc_id}: {change}" for change in self.changes[before:]]

    def _nat_gateways(self, subnet_ids: Sequence[str]) -> Outcome:
        nats = NatGateways(
            subnet_ids=subnet_ids,
            allocation_ids=self.params["nat_allocation_ids"],
            wait_timeout=self.params["wait_timeout"],
        )
        # A zonal NAT gateway is found by its identity tags (and subnets), in whatever VPC.
        return nat_gateway.reconcile(self.scope, nats, ABSENT)

    def _vpcs(self) -> list[Resource]:
        """The VPCs to empty: the adopted one; or every VPC tagged as the network's, its own (lowest id) first."""
        if self.params["vpc_id"]:
            return describe_where(self.client, "describe_vpcs", "Vpcs", "vpc-id", [self.params["vpc_id"]])
        found = network_vpcs(self.client, self.network)
        if found:
            return found
        claimed = find_network_vpc(self.client, self.network, self.claim.previous_vpc_id if self.claim else None)
        return [claimed] if claimed else []

    def _route_table_names(self, vpc_id: str) -> list[str]:
        tables = describe_where(self.client, "describe_route_tables", "RouteTables", "vpc-id", [vpc_id])
        names = {tags_of(table).get(TABLE_TAG) for table in tables if is_ours(table, self.network, ROUTE_TABLE)}
        return sorted(name for name in names if name is not None)

    def _take(self, outcome: Outcome) -> None:
        self.changes.extend(outcome.actions)
