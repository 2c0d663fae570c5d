# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network's VPC: found by its identity tags, created once, DNS support and hostnames on.

An adopted VPC (one the user names by id) is not ours: it is read, never changed; the audit reports what it lacks.
"""

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import create_once
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.run_model import model_of
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    desired_tags,
    ensure_tags,
    identity_filters,
    purges,
    tag_specifications,
    tags_of,
)

COMPONENT = "vpc"

# Fargate tasks resolve ECR, CloudWatch Logs and CloudReactor through the VPC's DNS; interface endpoints also
# need private DNS names, which need both attributes.
DNS_ATTRIBUTES = {"enableDnsSupport": "EnableDnsSupport", "enableDnsHostnames": "EnableDnsHostnames"}


def find_network_vpc(client, network):
    """The VPC tagged as ``network``'s, or ``None``; with several, the lowest id (stable across runs)."""
    vpcs = client.describe_vpcs(Filters=identity_filters(network, COMPONENT), aws_retry=True)["Vpcs"]
    return min(vpcs, key=lambda vpc: vpc["VpcId"]) if vpcs else None


# A new VPC has DNS support on and DNS hostnames off (Amazon VPC user guide, "DNS attributes for your VPC").
NEW_VPC_DNS = {"enableDnsSupport": True, "enableDnsHostnames": False}


def dns_attributes(client, vpc_id):
    """``{"enableDnsSupport": bool, "enableDnsHostnames": bool}`` of ``vpc_id``."""
    return {
        attribute: bool(client.describe_vpc_attribute(VpcId=vpc_id, Attribute=attribute, aws_retry=True)[key]["Value"])
        for attribute, key in DNS_ATTRIBUTES.items()
    }


class VpcManager:
    """Brings network ``network``'s own VPC to: tagged, DNS support and hostnames on; or removes it.

    ``vpc``: the network's VPC as described, or ``None`` when it has none yet (``present()`` creates it).
    """

    def __init__(self, client, *, network, vpc, cidr=None, user_tags=None, purge_tags=True, check_mode=False):
        self.client = model_of(client)
        self.network = network
        self.vpc = vpc
        self.cidr = cidr
        self.user_tags = user_tags
        self.purge_tags = purges(user_tags, purge_tags)
        self.check_mode = check_mode

    @property
    def desired_tags(self):
        return desired_tags(self.network, COMPONENT, self.user_tags, name=self.network)

    def present(self):
        """The VPC created or brought up to date; ``data["vpc_id"]`` is ``None`` when check mode would create it."""
        vpc = self.vpc
        if vpc is None:
            return self._create()
        vpc_id = vpc["VpcId"]
        before = dns_attributes(self.client, vpc_id)
        turned_on = [attribute for attribute, value in before.items() if not value]
        if not self.check_mode:
            for attribute in turned_on:
                self._turn_on(vpc_id, attribute)
        tagged = ensure_tags(
            self.client, vpc_id, tags_of(vpc), self.desired_tags, self.check_mode, purge=self.purge_tags
        )
        changed = bool(turned_on or tagged)
        after = {attribute: True for attribute in before}
        return Outcome(
            changed=changed,
            actions=["updated VPC"] if changed else [],
            diff={"before": {"vpc_id": vpc_id, **before}, "after": {"vpc_id": vpc_id, **after}},
            data={"vpc_id": vpc_id},
        )

    def _create(self):
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
            TagSpecifications=tag_specifications("vpc", self.desired_tags),
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

    def absent(self):
        """Delete the VPC (the network's own: an adopted VPC is never given to this manager). Its dependencies must
        be gone; while AWS releases a deleted NAT gateway's address, the run's model retries the delete."""
        if self.vpc is None:
            return Outcome(data={"vpc_id": None})
        vpc_id = self.vpc["VpcId"]
        if not self.check_mode:
            self.client.delete_vpc(VpcId=vpc_id, aws_retry=True)
            self.client.record_deleted("describe_vpcs", vpc_id)
        return Outcome(
            changed=True,
            actions=[f"deleted VPC {vpc_id}"],
            diff={"before": {"vpc_id": vpc_id}, "after": {}},
            data={"vpc_id": vpc_id},
        )

    def _turn_on(self, vpc_id, attribute):
        # ModifyVpcAttribute takes one attribute per call.
        self.client.modify_vpc_attribute(VpcId=vpc_id, **{DNS_ATTRIBUTES[attribute]: {"Value": True}}, aws_retry=True)
        self.client.record_vpc_attribute(vpc_id, attribute, True)
