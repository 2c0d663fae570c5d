# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network's VPC: found by its identity tags, created once, DNS support and hostnames on, and in a dual-stack or
IPv6-only network an Amazon-provided IPv6 /56.

An adopted VPC (one the user names by id) is not ours: it is read, never changed; the audit reports what it lacks.
"""

from __future__ import annotations

import typing
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import create_once
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.read_cache import uncached
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.waiters import poll_until
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import NetworkError
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.ipv6 import (
    ENDED_ASSOCIATION_STATES,
    ipv6_cidr,
    live_ipv6_association,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.run_model import model_of
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    identity_filters,
    tag_specifications,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import Reconciler, Scope

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

COMPONENT = "vpc"

# Fargate tasks resolve ECR, CloudWatch Logs and CloudReactor through the VPC's DNS; interface endpoints also
# need private DNS names, which need both attributes.
DNS_ATTRIBUTES = {"enableDnsSupport": "EnableDnsSupport", "enableDnsHostnames": "EnableDnsHostnames"}


def find_network_vpc(client: Any, network: str, claimed_vpc_id: str | None = None) -> dict[str, Any] | None:
    """The VPC tagged as ``network``'s, or ``None``; with several, the lowest id (stable across runs).

    ``claimed_vpc_id``: the VPC the network's claim recorded (``_aws/lease.py``), which the run that held the claim
    before this one may have just created: while EC2 does not list it by its tags yet, it is described by its id,
    and its NotFound retried as for an id this run created."""
    vpcs = client.describe_vpcs(Filters=identity_filters(network, COMPONENT), aws_retry=True)["Vpcs"]
    if vpcs:
        first: dict[str, Any] = min(vpcs, key=lambda vpc: vpc["VpcId"])
        return first
    if not claimed_vpc_id:
        return None
    model_of(client).record_created_id(claimed_vpc_id)
    try:
        vpcs = client.describe_vpcs(VpcIds=[claimed_vpc_id], aws_retry=True)["Vpcs"]
    except is_boto3_error_code("InvalidVpcID.NotFound"):
        return None  # deleted since it was recorded
    return vpcs[0] if vpcs else None


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

    def __init__(self, scope: Scope, cidr: str | None = None, ipv6: bool = False, wait_timeout: int = 600) -> None:
        super().__init__(scope)
        self.cidr = cidr
        self.ipv6 = ipv6  # an Amazon-provided IPv6 block wanted (present() adds it; remove_ipv6() takes it away)
        self.wait_timeout = wait_timeout

    @property
    def desired_vpc_tags(self) -> dict[str, str]:
        return self.desired_tags(COMPONENT, self.network)

    def present(self) -> Outcome:
        """The VPC created or brought up to date; ``data["vpc_id"]`` is ``None`` when check mode would create it."""
        vpc_id = self.vpc_id
        if vpc_id is None:
            return self._create()
        vpc = self.client.describe_vpcs(VpcIds=[vpc_id], aws_retry=True)["Vpcs"][0]
        before: dict[str, Any] = dns_attributes(self.client, vpc_id)
        turned_on = [attribute for attribute, value in before.items() if not value]
        if not self.check_mode:
            for attribute in turned_on:
                self._turn_on(vpc_id, attribute)
        tagged = self.ensure_tags(vpc_id, vpc, self.desired_vpc_tags)
        actions = ["updated VPC"] if turned_on or tagged else []
        after: dict[str, Any] = {attribute: True for attribute in before}
        before["ipv6_cidr"] = after["ipv6_cidr"] = ipv6_cidr(vpc)
        if self.ipv6:
            after["ipv6_cidr"] = self._ensure_ipv6(vpc, actions)
        return Outcome(
            changed=bool(actions),
            actions=actions,
            diff={"before": {"vpc_id": vpc_id, **before}, "after": {"vpc_id": vpc_id, **after}},
            data={"vpc_id": vpc_id, "ipv6_cidr": after["ipv6_cidr"]},
        )

    def _ensure_ipv6(self, vpc: Resource, actions: list[str]) -> str | None:
        """The VPC's IPv6 block, associating an Amazon-provided one when it has none; ``None`` in check mode then.
        An association still ``associating`` (AWS picks the block after the call answers) is waited for."""
        states = [
            (association.get("Ipv6CidrBlockState") or {}).get("State")
            for association in vpc.get("Ipv6CidrBlockAssociationSet") or []
        ]
        if "associated" in states and ipv6_cidr(vpc):
            return ipv6_cidr(vpc)
        if "associating" not in states:
            actions.append("associated an Amazon-provided IPv6 CIDR with the VPC")
            if self.check_mode:
                return None
            self.client.associate_vpc_cidr_block(VpcId=vpc["VpcId"], AmazonProvidedIpv6CidrBlock=True, aws_retry=True)
        return self._wait_for_ipv6(vpc["VpcId"])

    def _wait_for_ipv6(self, vpc_id: str) -> str | None:
        """Wait until the VPC's IPv6 association is ``associated`` (AWS picks the block after the call answers);
        record the VPC with it and return the block."""
        client = uncached(self.client)

        def associated() -> tuple[bool, Any]:
            vpc = client.describe_vpcs(VpcIds=[vpc_id], aws_retry=True)["Vpcs"][0]
            association = live_ipv6_association(vpc)
            state = ((association or {}).get("Ipv6CidrBlockState") or {}).get("State")
            if state == "associated":
                return True, vpc
            failed = [
                item.get("Ipv6CidrBlockState")
                for item in vpc.get("Ipv6CidrBlockAssociationSet") or []
                if (item.get("Ipv6CidrBlockState") or {}).get("State") in ("failing", "failed")
            ]
            if association is None and failed:
                raise NetworkError(f"AWS failed to associate an IPv6 CIDR with {vpc_id}: {failed[-1]}")
            return False, f"IPv6 CIDR of {vpc_id} {state or 'not associated yet'}"

        vpc = poll_until(associated, self.wait_timeout, f"the IPv6 CIDR of {vpc_id}")
        self.client.record("describe_vpcs", vpc, created=self.client.created(vpc_id))
        return ipv6_cidr(vpc)

    def remove_ipv6(self) -> Outcome:
        """Disassociate the VPC's IPv6 blocks (its subnets' /64s must be gone: the caller's order)."""
        if self.vpc_id is None:
            return Outcome(data={"vpc_id": None})
        vpc = self.client.describe_vpcs(VpcIds=[self.vpc_id], aws_retry=True)["Vpcs"][0]
        associations = [
            association
            for association in vpc.get("Ipv6CidrBlockAssociationSet") or []
            if (association.get("Ipv6CidrBlockState") or {}).get("State") not in ENDED_ASSOCIATION_STATES
        ]
        if not associations:
            return Outcome(data={"vpc_id": vpc["VpcId"]})
        if not self.check_mode:
            for association in associations:
                self.client.disassociate_vpc_cidr_block(AssociationId=association["AssociationId"], aws_retry=True)
            ended = [dict(association, Ipv6CidrBlockState={"State": "disassociating"}) for association in associations]
            self.client.record("describe_vpcs", dict(vpc, Ipv6CidrBlockAssociationSet=ended))
        blocks = [association.get("Ipv6CidrBlock") for association in associations]
        return Outcome(
            changed=True,
            actions=[f"disassociated IPv6 CIDR {block} from the VPC" for block in blocks],
            diff={"before": {"ipv6_cidr": blocks[0]}, "after": {"ipv6_cidr": None}},
            data={"vpc_id": vpc["VpcId"]},
        )

    def _create(self) -> Outcome:
        after = {"cidr": self.cidr, **{attribute: True for attribute in DNS_ATTRIBUTES}}
        if self.ipv6:
            after["ipv6_cidr"] = "(Amazon-provided /56)"
        diff = {"before": {}, "after": after}
        if self.check_mode:
            return Outcome(changed=True, actions=["created VPC"], diff=diff, data={"vpc_id": None, "ipv6_cidr": None})
        ipv6: dict[str, Any] = {"AmazonProvidedIpv6CidrBlock": True} if self.ipv6 else {}
        vpc = create_once(
            self.client,
            "create_vpc",
            lambda: find_network_vpc(self.client, self.network),
            result_key="Vpc",
            CidrBlock=self.cidr,
            TagSpecifications=tag_specifications("vpc", self.desired_vpc_tags),
            **ipv6,
        )
        vpc_id = vpc["VpcId"]
        self.client.record("describe_vpcs", vpc, created=True)
        if self.ipv6:
            after["ipv6_cidr"] = self._ensure_ipv6(vpc, [])
        # Its DNS attributes are AWS's documented defaults: reading them would only ask AWS about an id it may not
        # list yet. Should this fail, the next run finds the tagged VPC and turns them on then.
        for attribute, value in NEW_VPC_DNS.items():
            self.client.record_vpc_attribute(vpc_id, attribute, value)
            if not value:
                self._turn_on(vpc_id, attribute)
        diff["after"]["vpc_id"] = vpc_id
        data = {"vpc_id": vpc_id, "ipv6_cidr": after.get("ipv6_cidr")}
        return Outcome(changed=True, actions=["created VPC"], diff=diff, data=data)

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


def reconcile(
    scope: Scope, state: str, cidr: str | None = None, ipv6: bool = False, wait_timeout: int = 600
) -> Outcome:
    """The network's own VPC (the scope's ``vpc_id``, or a new one with ``cidr``; ``ipv6``: with an Amazon-provided
    IPv6 block, waited for up to ``wait_timeout`` seconds) ``present`` or ``absent``."""
    return VpcReconciler(scope, cidr, ipv6, wait_timeout).run(state)


def remove_ipv6(scope: Scope) -> Outcome:
    """The network's own VPC without its IPv6 blocks (its subnets' /64s must be gone first)."""
    return VpcReconciler(scope).remove_ipv6()
