# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Addresses: free IPs in the task subnets, Elastic IPs of this network that serve nothing."""

from __future__ import annotations

import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import NETWORK_TAG, tags_of
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import elastic_ip

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.findings import Findings
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import AuditContext
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource


def check_free_ips(ctx: AuditContext, findings: Findings) -> None:
    threshold = ctx.options.min_free_ips
    for view in ctx.views:
        free = view.subnet.get("AvailableIpAddressCount")
        if free is None or view.ipv6_native:  # the count is of IPv4 addresses; a /64 never runs out
            continue
        if free == 0:
            findings.add(
                "SUBNET_NO_FREE_IPS",
                view.id,
                f"Subnet {view.id} ({view.cidr}) has no free IP address: a task placed there fails to start.",
                f"Free addresses in {view.id}, or give the tasks a larger subnet in {view.az}.",
                [view.id],
            )
        elif free < threshold:
            findings.add(
                "SUBNET_FEW_FREE_IPS",
                view.id,
                f"Subnet {view.id} ({view.cidr}) has {free} free IP addresses, fewer than min_free_ips ({threshold}); "
                "each running task takes one.",
                f"Give the tasks a larger subnet in {view.az}, or add more task subnets.",
                [view.id],
            )


def is_associated(address: Resource) -> bool:
    return bool(address.get("AssociationId") or address.get("NetworkInterfaceId") or address.get("InstanceId"))


def leaked_addresses(ctx: AuditContext) -> list[Resource]:
    """Elastic IPs tagged ``cloudreactor:network=<network_name>`` and associated with nothing."""
    network = ctx.options.network_name
    if not network:
        return []
    return [
        address
        for address in ctx.snapshot.addresses
        if tags_of(address).get(NETWORK_TAG) == network and not is_associated(address)
    ]


def check_leaked_addresses(ctx: AuditContext, findings: Findings) -> None:
    network = ctx.options.network_name
    for address in leaked_addresses(ctx):
        allocation = address.get("AllocationId")
        release = f"aws ec2 release-address --allocation-id {allocation} (or reuse it for a NAT gateway)."
        if elastic_ip.is_ours(address, network or ""):
            # One the network allocated for a NAT gateway: its converge releases it once no NAT gateway needs it.
            release = (
                f"Run setup_network for network {network}: it releases the free Elastic IPs it allocated (not those "
                f"given in nat_allocation_ids). Or: {release}"
            )
        findings.add(
            "EIP_LEAKED",
            allocation,
            f"Elastic IP {address.get('PublicIp')} ({allocation}) is tagged as network {network}'s "
            "but is associated with nothing: it is billed (about $3.65 a month) for nothing.",
            release,
        )


CHECKS = (check_free_ips, check_leaked_addresses)
