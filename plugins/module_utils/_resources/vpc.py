# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network's VPC: found by its identity tags, created once, DNS support and hostnames on.

An adopted VPC (one the user names by id) is not ours: it is read, never changed; the audit reports what it lacks.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import create_once
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    identity_filters,
    tag_specifications,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import Reconciler, Scope

COMPONENT = "vpc"

# Fargate tasks resolve ECR, CloudWatch Logs and CloudReactor through the VPC's DNS; interface endpoints also
# need private DNS names, which need both attributes.
DNS_ATTRIBUTES = {"enableDnsSupport": "EnableDnsSupport", "enableDnsHostnames": "EnableDnsHostnames"}


def find_network_vpc(client: Any, network: str) -> dict[str, Any] | None:
    """The VPC tagged as ``network``'s, or ``None``; with several, the lowest id (stable across runs)."""
    vpcs = client.describe_vpcs(Filters=identity_filters(network, COMPONENT), aws_retry=True)["Vpcs"]
    return min(vpcs, key=lambda vpc: vpc["VpcId"]) if vpcs else None


# A new VPC has DNS support on and DNS hostnames off (Amazon VPC user guide, "DNS attributes for your VPC").
NEW_VPC_DNS = {"enableDnsSupport": True, "enableDnsHostnames": False}


def dns_attributes(client: Any, vpc_id: str) -> dict[str, bool]:
    """``{"enableDnsSupport": bool, "enableDnsHostnames": bool}`` of ``vpc_id``."""
    return {
        attribute: bool(client.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute, aws_retry=True)[key]["Value"])
        for attribute, key in DNS_ATTRIBUTES.items()
    }


class VpcReconciler(Reconciler):
    """Brings network ``network``'s own VPC (the scope's ``vpc_id``; none yet, and ``present()`` creates it with
    ``cidr``) to: tagged, DNS support and hostnames on; or removes it. An adopted VPC is never given to it."""

    def __init__(self, scope: Scope, cidr: str | None = None) -> None:
        super().__init__(scope)
        self.cidr = cidr

    @property
    def desired_vpc_tags(self) -> dict[str, str]:
        return self.desired_tags(COMPONENT, self.network)

    def present(self) -> Outcome:
        """The VPC created or brought up to date; ``data["vpc_id"]`` is ``None`` when check mode would create it."""
        vpc_id = self.vpc_id
        if vpc_id is None:
            return self._create()
        vpc = self.client.describe_vpcs(VpcIds=[vpc_id], aws_retry=True)["Vpcs"][0]
        before = dns_attributes(self.client, vpc_id)
        turned_on = [attribute for attribute, value in before.items() if not value]
        if not self.check_mode:
            for attribute in turned_on:
                self._turn_on(vpc_id, attribute)
        tagged = self.ensure_tags(vpc_id, vpc, self.desired_vpc_tags)
        changed = bool(turned_on or tagged)
        after = {attribute: True for attribute in before}
        return Outcome(
            changed=changed,
            actions=["updated VPC"] if changed else [],
            diff={"before": {"vpc_id": vpc_id, **before}, "after": {"vpc_id": vpc_id, **after}},
            data={"vpc_id": vpc_id},
        )

    def _create(self) -> Outcome:
        after = {"cidr": self.cidr, **{attribute: True for attribute in DNS_ATTRIBUTES}}
        diff = {"before": {}, "after": after}
        if self.check_mode:
            return Outcome(changed=True, actions=["created VPC"], diff=diff, data={"vpc_id": None})
        vpc = create_once(
            self.client,
            "create_vpc",
            lambda: find_network_vpc(self.client, self.network),
            result_key="Vpc",
            CidrBlock=self.cidr,
            TagSpecifications=tag_specifications("vpc", self.desired_vpc_tags),
        )
        vpc_id = vpc["VpcId"]
        self.client.record("describe_vpcs", vpc, created=True)
        # Its DNS attributes are AWS's documented defaults: reading them would only ask AWS about an id it may not
        # list yet. Should this fail, the next run finds the tagged VPC and turns them on then.
        for attribute, value in NEW_VPC_DNS.items():
            self.client.record_vpc_attribute(vpc_id, attribute, value)
            if not value:
                self._turn_on(vpc_id, attribute)
        diff["after"]["vpc_id"] = vpc_id
        return Outcome(changed=True, actions=["created VPC"], diff=diff, data={"vpc_id": vpc_id})

    def absent(self) -> Outcome:
        """Delete the VPC. Its dependencies must be gone; while AWS releases a deleted NAT gateway's address, the run's
        model retries the delete."""
        vpc_id = self.vpc_id
        if vpc_id is None:
            return Outcome(data={"vpc_id": None})
        if not self.check_mode:
            self.client.delete_vpc(VpcId=vpc_id, aws_retry=True)
            self.client.record_deleted("describe_vpcs", vpc_id)
        return Outcome(
            changed=True,
            actions=[f"deleted VPC {vpc_id}"],
            diff={"before": {"vpc_id": vpc_id}, "after": {}},
            data={"vpc_id": vpc_id},
        )

    def _turn_on(self, vpc_id: str, attribute: str) -> None:
        # ModifyVpcAttribute takes one attribute per call.
        self.client.modify_vpc_attribute(VpcId=vpc_id, **{DNS_ATTRIBUTES[attribute]: {"Value": True}}, aws_retry=True)
        self.client.record_vpc_attribute(vpc_id, attribute, True)


def reconcile(scope: Scope, state: str, cidr: str | None = None) -> Outcome:
    """The network's own VPC (the scope's ``vpc_id``, or a new one with ``cidr``) ``present`` or ``absent``."""
    return VpcReconciler(scope, cidr).run(state)
