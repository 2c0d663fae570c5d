# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Duplicate networks: more than one VPC tagged as one network, left by runs that raced before the network's claim
existed (or by an older release). docs/reliability.md, section 7.

The network keeps one VPC: the one tasks use (its subnets hold network interfaces other than the network's own NAT
gateways'), or, when none is in use, the lowest id. The others are removed like a teardown removes a network, only
what carries the network's identity tags. When more than one is in use, nothing is changed: the run fails, naming
each VPC and what holds it.
"""

from __future__ import annotations

import typing
from collections.abc import Sequence

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import describe_where
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import NetworkError
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import identity_filters, is_ours
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.vpc import COMPONENT as VPC

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import Client


def network_vpcs(client: Client, network: str) -> list[Resource]:
    """Every VPC tagged as ``network``'s, lowest id first (the same call as ``vpc.find_network_vpc``'s)."""
    vpcs = client.describe_vpcs(Filters=identity_filters(network, VPC), aws_retry=True)["Vpcs"]
    ordered: list[Resource] = sorted(vpcs, key=lambda vpc: vpc["VpcId"])
    return ordered


def holders(client: Client, network: str, vpc_ids: Sequence[str]) -> dict[str, list[str]]:
    """``{vpc id: [what holds it]}``: the network interfaces in each VPC other than the network's NAT gateways'."""
    nats = describe_where(client, "describe_nat_gateways", "NatGateways", "vpc-id", vpc_ids)
    nat_interfaces = {
        address.get("NetworkInterfaceId")
        for nat in nats
        if is_ours(nat, network)
        for address in nat.get("NatGatewayAddresses") or []
    }
    interfaces = client.describe_network_interfaces(
        Filters=[{"Name": "vpc-id", "Values": list(vpc_ids)}], aws_retry=True
    )["NetworkInterfaces"]
    held: dict[str, list[str]] = {vpc_id: [] for vpc_id in vpc_ids}
    for interface in interfaces:
        if interface["NetworkInterfaceId"] in nat_interfaces:
            continue
        held[interface["VpcId"]].append(
            f"network interface {interface['NetworkInterfaceId']} ({interface.get('Description') or 'no description'})"
        )
    return held


def choose_vpc(client: Client, network: str, vpcs: Sequence[Resource]) -> tuple[Resource, list[Resource]]:
    """The VPC the network keeps among its duplicate ``vpcs``, and the others (to remove). Raises when more than one
    is in use."""
    held = holders(client, network, [vpc["VpcId"] for vpc in vpcs])
    in_use = [vpc for vpc in vpcs if held[vpc["VpcId"]]]
    if len(in_use) > 1:
        described = "; ".join(f"{vpc['VpcId']} held by {', '.join(held[vpc['VpcId']])}" for vpc in in_use)
        raise NetworkError(
            f"Network {network} has {len(vpcs)} VPCs tagged as its own, and {len(in_use)} of them are in use: "
            f"{described}. Nothing was changed. Move the tasks off all but one of them (or remove the one you do not "
            "want with teardown_network and fargate_network_vpc_id), then run again.",
            duplicate_vpcs={vpc["VpcId"]: held[vpc["VpcId"]] for vpc in vpcs},
        )
    kept = in_use[0] if in_use else vpcs[0]
    return kept, [vpc for vpc in vpcs if vpc is not kept]
