# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Elastic IP addresses for public NAT gateways: find ours, check given ones, allocate, release.

An address we allocate carries ``cloudreactor:component=elastic-ip`` and ``cloudreactor:subnet=<subnet id>`` (the
subnet of the NAT gateway it is for), so a later run finds it again instead of allocating another one, and only
such addresses are ever released. Addresses a user brings are used as given and never released.
DescribeAddresses is not paginated: each lookup below is one call.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import create_once
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    NETWORK_TAG,
    TAG_PREFIX,
    identity_filters,
    tag_specifications,
)

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import Client

COMPONENT = "elastic-ip"
RESOURCE_TYPE = "elastic-ip"  # TagSpecifications resource type of AllocateAddress
SUBNET_TAG = TAG_PREFIX + "subnet"


def our_addresses(client: Client, network: str, subnet_ids: Iterable[str] | None = None) -> list[Resource]:
    """The addresses tagged as NAT addresses of ``network`` (only those of ``subnet_ids`` when given)."""
    # Every address is a VPC address today; saying so lets a converge's read cache answer from its listing of them.
    filters = identity_filters(network, COMPONENT) + [{"Name": "domain", "Values": ["vpc"]}]
    if subnet_ids:
        filters.append({"Name": f"tag:{SUBNET_TAG}", "Values": sorted(set(subnet_ids))})
    addresses: list[Resource] = client.describe_addresses(Filters=filters, aws_retry=True)["Addresses"]
    return addresses


def given_addresses(
    client: Client, allocation_ids: Iterable[str] | None, option: str = "allocation_ids"
) -> dict[str, Resource]:
    """The addresses ``allocation_ids`` by allocation id; unknown ids are reported against ``option``."""
    if not allocation_ids:
        return {}
    try:
        found = client.describe_addresses(AllocationIds=sorted(set(allocation_ids)), aws_retry=True)["Addresses"]
    except is_boto3_error_code(["InvalidAllocationID.NotFound", "InvalidAllocationID.Malformed"]) as error:
        raise InvalidInput(option, f"not every Elastic IP allocation exists in this region: {error}") from error
    by_id = {address["AllocationId"]: address for address in found}
    missing = [allocation_id for allocation_id in allocation_ids if allocation_id not in by_id]
    if missing:
        raise InvalidInput(option, f"Elastic IP allocations not found: {', '.join(missing)}")
    return by_id


def association(address: Mapping[str, Any]) -> str | None:
    """What ``address`` is associated with (``"network interface eni-…"``...), or ``None`` when it is free."""
    for key, label in (
        ("NetworkInterfaceId", "network interface"),
        ("InstanceId", "instance"),
        ("AssociationId", "association"),
    ):
        if address.get(key):
            return f"{label} {address[key]}"
    return None


def allocate(client: Client, tags: dict[str, str], seen_allocation_ids: Iterable[str]) -> Resource:
    """Allocate one VPC address tagged with ``tags`` at creation; returns it (``AllocationId``, ``PublicIp``...).

    ``tags`` carry our identity tags, the subnet qualifier included. ``seen_allocation_ids`` are the addresses the
    caller described before it decided to allocate (:func:`our_addresses`): should the answer be lost, an address
    with these identity tags that is not among them is the one this call allocated.
    """
    seen = set(seen_allocation_ids)

    def allocated() -> Resource | None:
        new = [
            address
            for address in our_addresses(client, tags[NETWORK_TAG], [tags[SUBNET_TAG]])
            if address["AllocationId"] not in seen
        ]
        return min(new, key=lambda address: address["AllocationId"]) if new else None

    return create_once(
        client, "allocate_address", allocated, Domain="vpc", TagSpecifications=tag_specifications(RESOURCE_TYPE, tags)
    )


def release(client: Client, allocation_id: str) -> None:
    client.release_address(AllocationId=allocation_id, aws_retry=True)
