# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network's subnets: one public and (unless the network is public-only) one private subnet per zone, or, for
IPv6-only tasks, one IPv6-only subnet per zone instead of the private one.

Where they go comes from layout.py's plan (and ipv6.py's for their /64s); this file makes the plan true. A subnet of
ours is found by its identity tags (network, tier, zone), so a zone that has its subnets keeps them; only missing ones
are created. Public subnets give tasks a public IP on launch, private ones never do. In a dual-stack network every
subnet has a /64 and gives each new interface an IPv6 address; IPv6-only subnets (IPv6-native: made so at creation,
never after) have DNS64 on. A subnet of a tier the network no longer uses is deleted once free (:meth:`retire`).
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import create_once
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.read_cache import uncached
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.waiters import poll_until
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.ipv6 import (
    IPV6_ONLY,
    ipv6_cidr,
    live_ipv6_association,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    identity_filters,
    tag_specifications,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import Reconciler, Scope

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import Client

TIERS = {"public": "subnet-public", "private": "subnet-private", IPV6_ONLY: "subnet-ipv6-only"}  # -> component


def subnet_name(network: str, tier: str, zone: str) -> str:
    return f"{network}-{tier}-{zone}"


def check_cidrs_kept(
    plan: Iterable[Mapping[str, Any]], subnets_by_id: Mapping[Any, Resource], option_prefix: str = ""
) -> None:
    """Refuse a plan that asks an existing subnet of ours for another CIDR: AWS cannot change a subnet's CIDR, and
    a second subnet would be created beside it. Costs no API call (``subnets_by_id`` is already described)."""
    for pair in plan:
        for tier in TIERS:
            subnet = subnets_by_id.get(pair.get(f"{tier}_subnet_id"))
            wanted = pair.get(f"{tier}_cidr")
            if subnet and wanted and subnet.get("CidrBlock") != wanted:
                raise InvalidInput(
                    f"{option_prefix}{tier}_subnet_cidrs",
                    f"zone {pair['zone']} already has {tier} subnet {subnet['SubnetId']} with CIDR "
                    f"{subnet['CidrBlock']}, not {wanted}; a subnet's CIDR cannot change: keep {subnet['CidrBlock']}",
                )


class SubnetsReconciler(Reconciler):
    """Creates the missing subnets of a plan and keeps the existing ones tagged and set up for their tier; or removes
    the network's subnets.

    ``plan``: layout pairs with their existing ids (layout.py; a pair with ``ipv6_only`` true wants an IPv6-only
    subnet); ``existing``: those subnets as described, by id; ``ipv6_cidrs``: ``{(zone, tier): /64}`` (ipv6.py's
    plan), given when the network is dual-stack or IPv6-only.
    """

    def __init__(
        self,
        scope: Scope,
        plan: Sequence[Mapping[str, Any]] = (),
        existing: Mapping[Any, Resource] | None = None,
        ipv6_cidrs: Mapping[tuple[str, str], str] | None = None,
    ) -> None:
        super().__init__(scope)
        self.plan = plan
        self.existing = existing or {}
        self.ipv6_cidrs = ipv6_cidrs

    def _tags(self, tier: str, zone: str) -> dict[str, str]:
        return self.desired_tags(TIERS[tier], subnet_name(self.network, tier, zone), az=zone)

    def present(self) -> Outcome:
        """Ensure every subnet of the plan. ``data``: ``{"public": [ids], "private": [ids], "ipv6_only": [ids]}`` in
        plan order (``None`` for a subnet that check mode would create); ``actions`` such as ``"created public
        us-east-1a subnet"``."""
        ids: dict[str, list[str | None]] = {tier: [] for tier in TIERS}
        actions = []
        before, after = {}, {}
        created = []
        for pair in self.plan:
            for tier in TIERS:
                cidr = pair.get(f"{tier}_cidr")
                if not (cidr or (tier == IPV6_ONLY and pair.get(IPV6_ONLY))):
                    continue
                subnet = self.existing.get(pair.get(f"{tier}_subnet_id"))
                label = f"{tier.replace('_', '-')} {pair['zone']}"
                wanted = self._settings(tier, pair["zone"])
                if subnet is None:
                    subnet_id = self._create(tier, pair["zone"], cidr, wanted["ipv6_cidr"])
                    actions.append(f"created {label} subnet")
                    if subnet_id:
                        created.append((subnet_id, tier))
                else:
                    subnet_id = subnet["SubnetId"]
                    before[label] = {"subnet_id": subnet_id, "cidr": cidr, **_settings(subnet)}
                    if self._update(tier, pair["zone"], subnet, wanted):
                        actions.append(f"updated {label} subnet")
                ids[tier].append(subnet_id)
                after[label] = {"subnet_id": subnet_id, "cidr": cidr, **wanted}
        # Only once every subnet is created: the first ones have propagated meanwhile (the call names a new id).
        for subnet_id, tier in created:
            for attribute, value in _attributes(tier, self.ipv6_cidrs is not None).items():
                if value:
                    self.client.modify_subnet_attribute(
                        SubnetId=subnet_id, **{attribute: {"Value": True}}, aws_retry=True
                    )
        return Outcome(changed=bool(actions), actions=actions, diff={"before": before, "after": after}, data=ids)

    def _settings(self, tier: str, zone: str) -> dict[str, Any]:
        """The subnet of ``tier`` in ``zone`` as the plan wants it (the diff's ``after``)."""
        ipv6 = self.ipv6_cidrs is not None
        attributes = _attributes(tier, ipv6)
        return {
            "map_public_ip_on_launch": attributes["MapPublicIpOnLaunch"],
            "ipv6_cidr": (self.ipv6_cidrs or {}).get((zone, tier)),
            "assign_ipv6_address_on_creation": attributes["AssignIpv6AddressOnCreation"],
            "enable_dns64": attributes["EnableDns64"],
        }

    def retire(self, subnets: Iterable[Mapping[str, Any]], busy: Sequence[str]) -> Outcome:
        """Delete the ``subnets`` (as described) of a tier the network no longer uses, each once it is free; keep
        those in ``busy`` (:func:`subnets_in_use`) and say so. ``data["kept"]``: the ids kept."""
        ids = sorted(subnet["SubnetId"] for subnet in subnets)
        if not ids:
            return Outcome(data={"kept": []})
        actions = [
            f"kept subnet {subnet_id}: no longer used, but it still has network interfaces" for subnet_id in busy
        ]
        for subnet_id in ids:
            if subnet_id in busy:
                continue
            if not self.check_mode:
                self.client.delete_subnet(SubnetId=subnet_id, aws_retry=True)
                self.client.record_deleted("describe_subnets", subnet_id)
            actions.append(f"deleted subnet {subnet_id} (no longer used, and free)")
        before = {subnet_id: "present" for subnet_id in ids}
        after = {subnet_id: "kept (in use)" for subnet_id in busy}
        return Outcome(
            changed=bool(actions), actions=actions, diff={"before": before, "after": after}, data={"kept": busy}
        )

    def remove_ipv6(self, subnets: Iterable[Mapping[str, Any]]) -> Outcome:
        """Take the /64 away from each of ``subnets`` (as described) that has one, and stop assigning IPv6 addresses."""
        actions = []
        for subnet in sorted(subnets, key=lambda subnet: subnet["SubnetId"]):
            association = live_ipv6_association(subnet)
            if association is None:
                continue
            if not self.check_mode:
                if subnet.get("AssignIpv6AddressOnCreation"):
                    self.client.modify_subnet_attribute(
                        SubnetId=subnet["SubnetId"], AssignIpv6AddressOnCreation={"Value": False}, aws_retry=True
                    )
                self.client.disassociate_subnet_cidr_block(AssociationId=association["AssociationId"], aws_retry=True)
                self.client.record(
                    "describe_subnets",
                    dict(subnet, AssignIpv6AddressOnCreation=False, Ipv6CidrBlockAssociationSet=[]),
                )
            actions.append(f"disassociated IPv6 CIDR {association['Ipv6CidrBlock']} from subnet {subnet['SubnetId']}")
        return Outcome(changed=bool(actions), actions=actions)

    def absent(self) -> Outcome:
        """Delete every subnet of the VPC that carries the network's identity tags. While AWS releases a deleted NAT
        gateway's interface, the run's model retries the DependencyViolation this answers."""
        subnets = self.client.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}] + identity_filters(self.network), aws_retry=True
        )["Subnets"]
        deleted = self.delete_each(
            (subnet["SubnetId"] for subnet in subnets),
            lambda subnet_id: self.client.delete_subnet(SubnetId=subnet_id, aws_retry=True),
            "describe_subnets",
        )
        actions = [f"deleted subnet {subnet_id}" for subnet_id in deleted]
        before = {
            subnet["SubnetId"]: {"cidr": subnet.get("CidrBlock"), "ipv6_cidr": ipv6_cidr(subnet)} for subnet in subnets
        }
        return Outcome(changed=bool(actions), actions=actions, diff={"before": before, "after": {}})

    def _create(self, tier: str, zone: str, cidr: str | None, ipv6_block: str | None) -> str | None:
        if self.check_mode:
            return None
        tags = self._tags(tier, zone)
        addresses: dict[str, Any] = {"CidrBlock": cidr} if cidr else {"Ipv6Native": True}
        if ipv6_block:
            addresses["Ipv6CidrBlock"] = ipv6_block
        subnet = create_once(
            self.client,
            "create_subnet",
            lambda: self._find(tier, zone),
            result_key="Subnet",
            VpcId=self.vpc_id,
            AvailabilityZone=zone,
            TagSpecifications=tag_specifications("subnet", tags),
            taken_codes=("InvalidSubnet.Conflict",),
            **addresses,
        )
        # Recorded with the attributes present() gives it once every subnet is created.
        attributes = _attributes(tier, self.ipv6_cidrs is not None)
        self.client.record("describe_subnets", dict(subnet, **attributes), created=True)
        subnet_id: str = subnet["SubnetId"]
        return subnet_id

    def _find(self, tier: str, zone: str) -> Resource | None:
        """The subnet of ours for ``tier`` in ``zone``, or ``None``: what a create whose answer was lost made."""
        filters = identity_filters(self.network, TIERS[tier], az=zone) + [{"Name": "vpc-id", "Values": [self.vpc_id]}]
        found = self.client.describe_subnets(Filters=filters, aws_retry=True)["Subnets"]
        return min(found, key=lambda subnet: subnet["SubnetId"]) if found else None

    def _update(self, tier: str, zone: str, subnet: Resource, wanted: Mapping[str, Any]) -> bool:
        """Put back the tier's settings (public IP, the /64, IPv6 addresses, DNS64) and the tags; returns
        ``changed``."""
        changed = False
        described = dict(subnet)
        if wanted["ipv6_cidr"] and live_ipv6_association(subnet) is None:
            changed = True
            if not self.check_mode:
                association = self.client.associate_subnet_cidr_block(
                    SubnetId=subnet["SubnetId"], Ipv6CidrBlock=wanted["ipv6_cidr"], aws_retry=True
                )["Ipv6CidrBlockAssociation"]
                described["Ipv6CidrBlockAssociationSet"] = [association]
        for attribute, value in _attributes(tier, self.ipv6_cidrs is not None).items():
            # Only what the tier needs is set; an IPv4 subnet's IPv6 settings are left to remove_ipv6().
            if bool(subnet.get(attribute)) == value or (attribute != "MapPublicIpOnLaunch" and not value):
                continue
            changed = True
            if not self.check_mode:
                self.client.modify_subnet_attribute(
                    SubnetId=subnet["SubnetId"], **{attribute: {"Value": value}}, aws_retry=True
                )
            described[attribute] = value
        if changed and not self.check_mode:
            self.client.record("describe_subnets", described)
        tagged = self.ensure_tags(subnet["SubnetId"], subnet, self._tags(tier, zone))
        return changed or tagged


def subnets_in_use(client: Client, subnet_ids: Iterable[str]) -> list[str]:
    """The ids among ``subnet_ids`` that have network interfaces (a running task has one): sorted; no call for none."""
    if not subnet_ids:
        return []
    interfaces = client.describe_network_interfaces(
        Filters=[{"Name": "subnet-id", "Values": sorted(subnet_ids)}], aws_retry=True
    )["NetworkInterfaces"]
    return sorted({interface["SubnetId"] for interface in interfaces})


def wait_for_ipv6_released(client: Client, vpc_id: str, timeout: float) -> None:
    """Wait until no subnet of ``vpc_id`` holds a /64 any more, disassociating ones included: AWS refuses to
    disassociate the VPC's block until then."""
    polled = uncached(client)

    def released() -> tuple[bool, str]:
        subnets = polled.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}], aws_retry=True)["Subnets"]
        holding = [
            subnet["SubnetId"]
            for subnet in subnets
            for association in subnet.get("Ipv6CidrBlockAssociationSet") or []
            if (association.get("Ipv6CidrBlockState") or {}).get("State") != "disassociated"
        ]
        return not holding, f"subnets {', '.join(holding)} still hold a /64"

    poll_until(released, timeout, f"the subnets of {vpc_id} to release their IPv6 CIDRs")


def _attributes(tier: str, ipv6: bool) -> dict[str, bool]:
    """The subnet attributes (as ModifySubnetAttribute names them) a subnet of ``tier`` has; ``ipv6``: the network
    is dual-stack or IPv6-only."""
    return {
        "MapPublicIpOnLaunch": tier == "public",
        "AssignIpv6AddressOnCreation": ipv6,
        "EnableDns64": tier == IPV6_ONLY,
    }


def _settings(subnet: Resource) -> dict[str, Any]:
    return {
        "map_public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch")),
        "ipv6_cidr": ipv6_cidr(subnet),
        "assign_ipv6_address_on_creation": bool(subnet.get("AssignIpv6AddressOnCreation")),
        "enable_dns64": bool(subnet.get("EnableDns64")),
    }


def reconcile(
    scope: Scope,
    state: str,
    plan: Sequence[Mapping[str, Any]] = (),
    existing: Mapping[Any, Resource] | None = None,
    ipv6_cidrs: Mapping[tuple[str, str], str] | None = None,
) -> Outcome:
    """The subnets of ``plan`` (``existing``: those it names, as described; ``ipv6_cidrs``: their /64s in a network
    with IPv6) ``present``, or the network's ``absent``."""
    return SubnetsReconciler(scope, plan, existing, ipv6_cidrs).run(state)


def retire(scope: Scope, retiring: Sequence[Mapping[str, Any]], busy: Sequence[str]) -> Outcome:
    """The network's subnets of a tier it no longer uses (``retiring``, as described) deleted, except those in
    ``busy`` (:func:`subnets_in_use`), which are kept and said so."""
    return SubnetsReconciler(scope).retire(retiring, busy)


def remove_ipv6(scope: Scope, ours: Sequence[Mapping[str, Any]]) -> Outcome:
    """The network's subnets (``ours``, as described) without their /64s."""
    return SubnetsReconciler(scope).remove_ipv6(ours)
