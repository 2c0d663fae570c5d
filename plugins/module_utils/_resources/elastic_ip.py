# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Elastic IP addresses for public NAT gateways: find ours, check given ones, allocate, release.

An address we allocate carries ``cloudreactor:component=elastic-ip`` and ``cloudreactor:subnet=<subnet id>`` (the
subnet of the NAT gateway it is for), so a later run finds it again instead of allocating another one, and only
such addresses are ever released. Addresses a user brings are used as given and never released.

An address of ours that serves nothing is billed for nothing: a run that crashed between AllocateAddress and
CreateNatGateway, runs that raced before the network's claim existed, or an older release can leave one. A NAT
gateway that needs an address takes such a one of its subnet first (nat_gateway.py); the converge then releases the
ones still free (:func:`release_free`), and a teardown releases them with the rest.
DescribeAddresses is not paginated: each lookup below is one call.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws import describe
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import create_once
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    NETWORK_TAG,
    TAG_PREFIX,
    has_identity,
    identity_filters,
    tag_specifications,
    tags_of,
)

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import Client
    from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import Scope

COMPONENT = "elastic-ip"
RESOURCE_TYPE = "elastic-ip"  # TagSpecifications resource type of AllocateAddress
SUBNET_TAG = TAG_PREFIX + "subnet"
# A NAT gateway holds its addresses until it has failed or is deleted (AWS then disassociates them); a pending one's
# may not show the association yet.
RELEASING_NAT_STATES = ("failed", "deleted")
# What ReleaseAddress answers when the address is no longer ours to release: something was associated with it since
# it was described (InvalidIPAddress.InUse), or an earlier release went through and another account has it now
# (AuthFailure; EC2 API reference, ReleaseAddress).
TAKEN_CODES = ["InvalidIPAddress.InUse", "AuthFailure"]


def our_addresses(client: Client, network: str, subnet_ids: Iterable[str] | None = None) -> list[Resource]:
    """The addresses tagged as NAT addresses of ``network`` (only those of ``subnet_ids`` when given)."""
    # Every address is a VPC address today; saying so lets a converge's read cache answer from its listing of them.
    filters = identity_filters(network, COMPONENT) + describe.VPC_ADDRESSES
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


def is_ours(address: Mapping[str, Any], network: str) -> bool:
    """True for an address allocated for a NAT gateway of ``network``: its identity tags and the subnet it was for."""
    return has_identity(address, network, COMPONENT) and bool(tags_of(address).get(SUBNET_TAG))


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


def release(scope: Scope, addresses: Sequence[Mapping[str, Any]]) -> list[str]:
    """Release ``addresses`` (ours, described free or freed by this run); returns the allocation ids released (in
    check mode: that would be). One already released is skipped.

    One that AWS will not release because it is no longer ours to release (:data:`TAKEN_CODES`) is kept, with a
    warning, and the run goes on: releasing is housekeeping, the address is on no task's path, and a deploy whose
    network is healthy should not fail over an address something else has just taken. A later audit still reports
    it if it stays free (EIP_LEAKED)."""
    released = []
    for address in addresses:
        allocation_id = address["AllocationId"]
        if not scope.check_mode:
            try:
                scope.client.release_address(AllocationId=allocation_id, aws_retry=True)
            except is_boto3_error_code("InvalidAllocationID.NotFound"):
                continue
            except is_boto3_error_code(TAKEN_CODES) as error:
                scope.warn(
                    f"Elastic IP {address.get('PublicIp')} ({allocation_id}) of network {scope.network} was kept: "
                    f"it is no longer free to release ({error})"
                )
                continue
            scope.client.releasing(f"Elastic IP {allocation_id}")
        released.append(allocation_id)
    return released


def release_free(scope: Scope, kept: Iterable[str]) -> Outcome:
    """Release the network's free addresses: those of ours (:func:`is_ours`) associated with nothing, held by no NAT
    gateway of the scope's VPC that has not failed or been deleted, and not among ``kept`` (the addresses the user
    gave, and those the run's NAT gateways use or, in check mode, would use).

    Call it once the NAT gateways are reconciled: a NAT gateway that needs an address takes a free one of its subnet
    first, so only the addresses beyond what the network needs are released. In a converge this costs no call of its
    own: the listing of addresses is its first reading's (``describe.vpc_addresses``), or, once the run has changed
    something, the audit's that follows; the VPC's NAT gateways are read only when an address is free."""
    client = scope.client
    kept = set(kept)
    free = [
        address
        for address in describe.vpc_addresses(client)
        if is_ours(address, scope.network) and not association(address) and address["AllocationId"] not in kept
    ]
    if free and scope.vpc_id:
        held = {
            address.get("AllocationId")
            for nat in describe.vpc_nat_gateways(client, scope.vpc_id)
            if nat.get("State") not in RELEASING_NAT_STATES
            for address in nat.get("NatGatewayAddresses") or []
        }
        free = [address for address in free if address["AllocationId"] not in held]
    free.sort(key=lambda address: address["AllocationId"])
    released = release(scope, free)
    ips = {address["AllocationId"]: address.get("PublicIp") for address in free}
    return Outcome(
        changed=bool(released),
        actions=[f"released free Elastic IP {ips[allocation_id]} ({allocation_id})" for allocation_id in released],
        diff={"before": ips, "after": {key: ip for key, ip in ips.items() if key not in released}},
        data={"released_allocation_ids": released},
    )
