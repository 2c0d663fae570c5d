# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Remove a Fargate network (the ``network`` module with ``state=absent``): only what carries its identity tags.

The order is the reverse of the build: security groups, route tables, NAT gateways (waited for, then their Elastic
IPs released, except addresses the user gave), the internet gateway, subnets, and the VPC when this network created
it. An adopted VPC and everything in it that is not tagged as this network's stay as they are.
"""

from ansible_collections.cloudreactor.aws.plugins.module_utils.converge import check_options, prime
from ansible_collections.cloudreactor.aws.plugins.module_utils.describe import describe_where
from ansible_collections.cloudreactor.aws.plugins.module_utils.internet_gateway import InternetGatewayManager
from ansible_collections.cloudreactor.aws.plugins.module_utils.nat_gateway import NatGateways
from ansible_collections.cloudreactor.aws.plugins.module_utils.route_table import COMPONENT as ROUTE_TABLE
from ansible_collections.cloudreactor.aws.plugins.module_utils.route_table import manage_route_table
from ansible_collections.cloudreactor.aws.plugins.module_utils.run_model import RunModel
from ansible_collections.cloudreactor.aws.plugins.module_utils.security_group import remove_groups
from ansible_collections.cloudreactor.aws.plugins.module_utils.subnets import remove_subnets
from ansible_collections.cloudreactor.aws.plugins.module_utils.tagging import TAG_PREFIX, is_ours, tags_of
from ansible_collections.cloudreactor.aws.plugins.module_utils.vpc import COMPONENT as VPC
from ansible_collections.cloudreactor.aws.plugins.module_utils.vpc import find_network_vpc

TABLE_TAG = TAG_PREFIX + "table"


class NetworkTeardown:
    """One ``state=absent`` run: ``run()`` returns the module's result."""

    def __init__(self, client, params, check_mode, warn):
        self.client = RunModel(client)
        self.params = params
        self.check_mode = check_mode
        self.warn = warn
        self.network = params["network_name"]
        self.changes = []

    def run(self):
        check_options(self.params)
        vpc = self._vpc()
        if vpc is None:
            return {"changed": False, "changes": [], "network": {"name": self.network, "vpc_id": None}}
        vpc_id = vpc["VpcId"]
        prime(self.client, vpc_id)
        self.changes.extend(remove_groups(self.client, vpc_id, self.network, self.check_mode))
        self._route_tables(vpc_id)
        self._nat_gateways()
        self._internet_gateway(vpc_id)
        self.changes.extend(remove_subnets(self.client, vpc_id, self.network, self.check_mode))
        if not self.params["vpc_id"] and is_ours(vpc, self.network, VPC):
            self._delete(self.client.delete_vpc, f"deleted VPC {vpc_id}", VpcId=vpc_id)
        return {
            "changed": bool(self.changes),
            "changes": self.changes,
            "network": {"name": self.network, "vpc_id": vpc_id},
        }

    def _vpc(self):
        if self.params["vpc_id"]:
            vpcs = describe_where(self.client, "describe_vpcs", "Vpcs", "vpc-id", [self.params["vpc_id"]])
            return vpcs[0] if vpcs else None
        return find_network_vpc(self.client, self.network)

    def _ours(self, operation, result_key, vpc_id):
        items = describe_where(self.client, operation, result_key, "vpc-id", [vpc_id])
        return [item for item in items if is_ours(item, self.network)]

    def _delete(self, method, change, **kwargs):
        if not self.check_mode:
            method(aws_retry=True, **kwargs)
        self.changes.append(change)

    def _route_tables(self, vpc_id):
        tables = self._ours("describe_route_tables", "RouteTables", vpc_id)
        for name in sorted(
            {tags_of(table).get(TABLE_TAG) for table in tables if is_ours(table, self.network, ROUTE_TABLE)} - {None}
        ):
            params = {
                "vpc_id": vpc_id,
                "network_name": self.network,
                "name": name,
                "state": "absent",
                "internet_gateway_id": None,
                "nat_gateway_id": None,
                "subnet_ids": [],
                "purge_subnets": False,
                "purge_routes": False,
                "tags": {},
            }
            result = manage_route_table(self.client, params, self.check_mode, self.warn)
            self.changes.extend(f"route table {name}: {action}" for action in result["actions"])

    def _nat_gateways(self):
        params = {
            "network_name": self.network,
            "subnet_ids": [],
            "allocation_ids": self.params["nat_allocation_ids"],
            "state": "absent",
            "wait": True,
            "wait_timeout": self.params["wait_timeout"],
            "tags": {},
        }
        result = NatGateways(self.client, params, self.check_mode, self.warn).run()
        self.changes.extend(
            f"deleted NAT gateway {nat['nat_gateway_id']}"
            for nat in result["nat_gateways"]
            if nat["action"] == "deleted"
        )
        self.changes.extend(f"released Elastic IP {eip}" for eip in result["released_allocation_ids"])

    def _internet_gateway(self, vpc_id):
        result = InternetGatewayManager(
            self.client, vpc_id=vpc_id, network=self.network, user_tags={}, check_mode=self.check_mode, warn=self.warn
        ).absent()
        self.changes.extend(f"deleted internet gateway {igw_id}" for igw_id in result["deleted_internet_gateway_ids"])
