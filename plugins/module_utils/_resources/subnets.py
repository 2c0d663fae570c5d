# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network's subnets: one public and (unless the network is public-only) one private subnet per zone.

Where they go comes from layout.py's plan; this file makes the plan true. A subnet of ours is found by its identity
tags (network, tier, zone), so a zone that has its subnets keeps them; only missing ones are created. Public subnets
give tasks a public IP on launch, private ones never do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import create_once
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    identity_filters,
    tag_specifications,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import Reconciler, Scope

TIERS = {"public": "subnet-public", "private": "subnet-private"}  # tier -> identity component


def subnet_name(network, tier, zone):
    return f"{network}-{tier}-{zone}"


def check_cidrs_kept(plan, subnets_by_id, option_prefix=""):
    """Refuse a plan that asks an existing subnet of ours for another CIDR: AWS cannot change a subnet's CIDR, and
    a second subnet would be created beside it. Costs no API call (``subnets_by_id`` is already described)."""
    for pair in plan:
        for tier in TIERS:
            subnet = subnets_by_id.get(pair[f"{tier}_subnet_id"])
            wanted = pair[f"{tier}_cidr"]
            if subnet and wanted and subnet["CidrBlock"] != wanted:
                raise InvalidInput(
                    f"{option_prefix}{tier}_subnet_cidrs",
                    f"zone {pair['zone']} already has {tier} subnet {subnet['SubnetId']} with CIDR "
                    f"{subnet['CidrBlock']}, not {wanted}; a subnet's CIDR cannot change: keep {subnet['CidrBlock']}",
                )


class SubnetsReconciler(Reconciler):
    """Creates the missing subnets of a plan and keeps the existing ones tagged and set up for their tier; or removes
    the network's subnets.

    ``plan``: layout pairs with their existing ids (layout.py); ``existing``: those subnets as described, by id.
    """

    def __init__(
        self, scope: Scope, plan: Sequence[Mapping[str, Any]] = (), existing: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(scope)
        self.plan = plan
        self.existing = existing or {}

    def _tags(self, tier: str, zone: str) -> dict[str, str]:
        return self.desired_tags(TIERS[tier], subnet_name(self.network, tier, zone), az=zone)

    def present(self) -> Outcome:
        """Ensure every subnet of the plan. ``data``: ``{"public": [ids], "private": [ids]}`` in plan order (``None``
        for a subnet that check mode would create); ``actions`` such as ``"created public us-east-1a subnet"``."""
        ids = {"public": [], "private": []}
        actions = []
        before, after = {}, {}
        created_public = []
        for pair in self.plan:
            for tier in TIERS:
                cidr = pair[f"{tier}_cidr"]
                if not cidr:
                    continue
                subnet = self.existing.get(pair[f"{tier}_subnet_id"])
                label = f"{tier} {pair['zone']}"
                if subnet is None:
                    subnet_id = self._create(tier, pair["zone"], cidr)
                    actions.append(f"created {label} subnet")
                    if tier == "public" and subnet_id:
                        created_public.append(subnet_id)
                else:
                    subnet_id = subnet["SubnetId"]
                    before[label] = {"subnet_id": subnet_id, "cidr": cidr, **_settings(subnet)}
                    if self._update(tier, pair["zone"], subnet):
                        actions.append(f"updated {label} subnet")
                ids[tier].append(subnet_id)
                after[label] = {"subnet_id": subnet_id, "cidr": cidr, "map_public_ip_on_launch": tier == "public"}
        # Only once every subnet is created: the first ones have propagated meanwhile (the call names a new id).
        for subnet_id in created_public:
            self.client.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True}, aws_retry=True)
        return Outcome(changed=bool(actions), actions=actions, diff={"before": before, "after": after}, data=ids)

    def absent(self) -> Outcome:
        """Delete every subnet of the VPC that carries the network's identity tags. While AWS releases a deleted NAT
        gateway's interface, the run's model retries the DependencyViolation this answers."""
        subnets = self.client.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [self.vpc_id]}] + identity_filters(self.network), aws_retry=True
        )["Subnets"]
        actions = []
        for subnet in sorted(subnets, key=lambda subnet: subnet["SubnetId"]):
            if not self.check_mode:
                self.client.delete_subnet(SubnetId=subnet["SubnetId"], aws_retry=True)
                self.client.record_deleted("describe_subnets", subnet["SubnetId"])
            actions.append(f"deleted subnet {subnet['SubnetId']}")
        before = {subnet["SubnetId"]: {"cidr": subnet["CidrBlock"]} for subnet in subnets}
        return Outcome(changed=bool(actions), actions=actions, diff={"before": before, "after": {}})

    def _create(self, tier, zone, cidr):
        if self.check_mode:
            return None
        tags = self._tags(tier, zone)
        subnet = create_once(
            self.client,
            "create_subnet",
            lambda: self._find(tier, zone),
            result_key="Subnet",
            VpcId=self.vpc_id,
            CidrBlock=cidr,
            AvailabilityZone=zone,
            TagSpecifications=tag_specifications("subnet", tags),
            taken_codes=("InvalidSubnet.Conflict",),
        )
        # Recorded with the public-IP setting present() gives it once every subnet is created.
        self.client.record("describe_subnets", dict(subnet, MapPublicIpOnLaunch=tier == "public"), created=True)
        return subnet["SubnetId"]

    def _find(self, tier, zone):
        """The subnet of ours for ``tier`` in ``zone``, or ``None``: what a create whose answer was lost made."""
        filters = identity_filters(self.network, TIERS[tier], az=zone) + [{"Name": "vpc-id", "Values": [self.vpc_id]}]
        found = self.client.describe_subnets(Filters=filters, aws_retry=True)["Subnets"]
        return min(found, key=lambda subnet: subnet["SubnetId"]) if found else None

    def _update(self, tier, zone, subnet):
        """Put back the tier's public-IP setting and the tags; returns ``changed``."""
        wanted = tier == "public"
        changed = bool(subnet.get("MapPublicIpOnLaunch")) != wanted
        if changed and not self.check_mode:
            self.client.modify_subnet_attribute(
                SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": wanted}, aws_retry=True
            )
            self.client.record("describe_subnets", dict(subnet, MapPublicIpOnLaunch=wanted))
        tagged = self.ensure_tags(subnet["SubnetId"], subnet, self._tags(tier, zone))
        return changed or tagged


def _settings(subnet):
    return {"map_public_ip_on_launch": bool(subnet.get("MapPublicIpOnLaunch"))}


def reconcile(
    scope: Scope, state: str, plan: Sequence[Mapping[str, Any]] = (), existing: Mapping[str, Any] | None = None
) -> Outcome:
    """The subnets of ``plan`` (``existing``: those it names, as described) ``present``, or the network's ``absent``."""
    return SubnetsReconciler(scope, plan, existing).run(state)
