# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The internet gateway of one network: exactly one gateway attached to the VPC, never a second one.

A VPC can have one internet gateway attached. When it already has one we use it, whoever built it, and we never
tag, detach or delete a gateway without our identity tags. A gateway of ours left detached (for example by a run
that created it and then failed to attach it) is attached again rather than duplicated. Once the VPC has its
gateway, the network's other detached gateways are duplicates (runs that raced before the network's claim existed
each created one, and only one could attach: AttachInternetGateway answers Resource.AlreadyAssociated to the others):
they hold nothing, and are deleted.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import create_once
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import (
    describe_vpc,
    internet_gateways,
    region_internet_gateways,
    vpc_internet_gateways,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import NetworkError
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.ids import check_id_format
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    check_network_name,
    identity_filters,
    is_ours,
    tag_specifications,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import Reconciler, Scope

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

COMPONENT = "internet-gateway"

# Shown in the diff for a gateway that check mode would create: it has no id yet.
NEW_GATEWAY = "(new internet gateway)"


def gateway_name(network: str) -> str:
    return f"{network}-igw"


def attached_vpcs(igw: Resource) -> list[str]:
    """The VPCs ``igw`` is attached to (or attaching to, or detaching from: not yet free)."""
    return [
        attachment["VpcId"]
        for attachment in igw.get("Attachments") or []
        if attachment.get("VpcId") and attachment.get("State") != "detached"
    ]


def attached_to(igw: Resource, vpc_id: str) -> bool:
    """True when ``igw`` has an attachment to ``vpc_id``, in any state (EC2's ``attachment.vpc-id`` filter)."""
    return any(attachment.get("VpcId") == vpc_id for attachment in igw.get("Attachments") or [])


def first_detached(igws: Iterable[Resource]) -> Resource | None:
    """The detached gateway with the lowest id among ``igws`` (the same one every run), or ``None``."""
    detached = sorted((igw for igw in igws if not attached_vpcs(igw)), key=lambda igw: igw["InternetGatewayId"])
    return detached[0] if detached else None


def _state(igw_id: str | None, vpc_id: str | None) -> dict[str, str | None]:
    return {"internet_gateway_id": igw_id, "attached_vpc": vpc_id if igw_id else None}


class InternetGatewayReconciler(Reconciler):
    """Brings the internet gateway of the scope's network in its VPC to ``present`` or ``absent``."""

    @property
    def desired_gateway_tags(self) -> dict[str, str]:
        return self.desired_tags(COMPONENT, gateway_name(self.network))

    def _ours(self) -> list[Resource]:
        """Every internet gateway tagged as this network's, attached anywhere or nowhere."""
        return internet_gateways(self.client, identity_filters(self.network, COMPONENT))

    # -- present -----------------------------------------------------------------------------------------------

    def present(self) -> Outcome:
        describe_vpc(self.client, self.required_vpc_id)
        # One listing of the region's gateways tells both which one the VPC has and which are the network's (a
        # region has few: their quota is the VPCs', 5 by default). converge.prime reads the same listing, so that
        # a converge pays nothing here.
        region = region_internet_gateways(self.client)
        attached = sorted(
            (igw for igw in region if attached_to(igw, self.required_vpc_id)), key=lambda igw: igw["InternetGatewayId"]
        )
        ours = [igw for igw in region if is_ours(igw, self.network, COMPONENT)]
        if attached:
            kept, outcome = attached[0], self._use_attached(attached[0])
        else:
            for igw in ours:
                if attached_vpcs(igw):
                    self.warn(
                        f"Internet gateway {igw['InternetGatewayId']} carries the identity tags of network "
                        f"{self.network} but is attached to {', '.join(attached_vpcs(igw))}; it is left alone."
                    )
            detached = first_detached(ours)
            if not detached:
                return self._create()  # no gateway of ours is detached: none is a duplicate
            kept, outcome = detached, self._attach_detached(detached)
        duplicates = [igw for igw in ours if igw is not kept and not attached_vpcs(igw)]
        return self._delete_duplicates(outcome, duplicates) if duplicates else outcome

    def _use_attached(self, igw: Resource) -> Outcome:
        igw_id = igw["InternetGatewayId"]
        state = _state(igw_id, self.required_vpc_id)
        if not is_ours(igw, self.network, COMPONENT):
            # Someone else's gateway: the VPC has its way out, and we do not touch what we did not build.
            return self._result("adopted", igw_id, False, state, state)
        tagged = self._ensure_tags(igw)
        return self._result("tagged" if tagged else "none", igw_id, tagged, state, state)

    def _attach_detached(self, igw: Resource) -> Outcome:
        igw_id = igw["InternetGatewayId"]
        if not self.check_mode:
            self.client.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=self.required_vpc_id, aws_retry=True)
            self._record_attached(igw, created=False)
        self._ensure_tags(igw)
        return self._result("attached", igw_id, True, _state(None, None), _state(igw_id, self.required_vpc_id))

    def _delete_duplicates(self, outcome: Outcome, duplicates: Iterable[Resource]) -> Outcome:
        """``outcome`` (the VPC's gateway kept or attached) with the network's ``duplicates`` deleted: detached
        gateways of ours, which nothing can use while the VPC has its gateway."""
        deleted = sorted(igw["InternetGatewayId"] for igw in duplicates)
        if not self.check_mode:
            for igw_id in deleted:
                self.client.delete_internet_gateway(InternetGatewayId=igw_id, aws_retry=True)
                self.client.record_deleted("describe_internet_gateways", igw_id)
        outcome.changed = True
        outcome.actions = outcome.actions + [f"deleted duplicate internet gateway {igw_id}" for igw_id in deleted]
        outcome.diff = {
            "before": {**outcome.diff["before"], "duplicate_internet_gateway_ids": deleted},
            "after": {**outcome.diff["after"], "duplicate_internet_gateway_ids": []},
        }
        outcome.data["deleted_internet_gateway_ids"] = deleted
        return outcome

    def _ensure_tags(self, igw: Resource) -> bool:
        """Bring the tags of ``igw``, a gateway of ours, to the desired ones; returns ``changed``."""
        return self.ensure_tags(igw["InternetGatewayId"], igw, self.desired_gateway_tags)

    def _create(self) -> Outcome:
        if self.check_mode:
            return self._result("created", None, True, _state(None, None), _state(NEW_GATEWAY, self.required_vpc_id))
        igw = create_once(
            self.client,
            "create_internet_gateway",
            self._created_gateway,
            result_key="InternetGateway",
            TagSpecifications=tag_specifications("internet-gateway", self.desired_gateway_tags),
        )
        igw_id = igw["InternetGatewayId"]
        self._record_attached(igw, created=True)
        # Should this attach fail, the next run finds the tagged, detached gateway and attaches it.
        self.client.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=self.required_vpc_id, aws_retry=True)
        return self._result("created", igw_id, True, _state(None, None), _state(igw_id, self.required_vpc_id))

    def _record_attached(self, igw: Resource, *, created: bool) -> None:
        attached = dict(igw, Attachments=[{"State": "available", "VpcId": self.required_vpc_id}])
        self.client.record("describe_internet_gateways", attached, created=created)

    def _created_gateway(self) -> Resource | None:
        """The gateway our create call made, should its answer be lost: we create only when no gateway of ours is
        detached, so a detached one carrying our identity tags now is that call's."""
        return first_detached(self._ours())

    # -- absent ------------------------------------------------------------------------------------------------

    def absent(self) -> Outcome:
        attached = vpc_internet_gateways(self.client, self.required_vpc_id)
        ours = self._ours()
        before_id = attached[0]["InternetGatewayId"] if attached else None
        before = _state(before_id, self.required_vpc_id)

        foreign = [igw for igw in attached if not is_ours(igw, self.network, COMPONENT)]
        for igw in foreign:
            self.warn(
                f"Internet gateway {igw['InternetGatewayId']} attached to {self.vpc_id} does not carry the identity "
                f"tags of network {self.network}: it was not built by this collection for this network, so it is "
                "left attached."
            )
        ours_attached = [igw for igw in attached if is_ours(igw, self.network, COMPONENT)]
        # Detached gateways of ours are leftovers of this network: they go too. Ours attached to another VPC stay.
        doomed = ours_attached + [igw for igw in ours if not attached_vpcs(igw)]
        if not doomed:
            return self._result("none", before_id, False, before, before)

        if not self.check_mode:
            for igw in ours_attached:
                self._detach(igw["InternetGatewayId"])
            for igw in doomed:
                self.client.delete_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], aws_retry=True)
                self.client.record_deleted("describe_internet_gateways", igw["InternetGatewayId"])
        remaining = foreign[0]["InternetGatewayId"] if foreign else None
        deleted = sorted(igw["InternetGatewayId"] for igw in doomed)
        outcome = self._result("deleted", remaining, True, before, _state(remaining, self.required_vpc_id))
        outcome.actions = [f"deleted internet gateway {igw_id}" for igw_id in deleted]
        outcome.data["deleted_internet_gateway_ids"] = deleted
        return outcome

    def _detach(self, igw_id: str) -> None:
        try:
            self.client.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=self.required_vpc_id, aws_retry=True)
        except is_boto3_error_code("DependencyViolation") as error:
            raise NetworkError(
                f"Cannot detach internet gateway {igw_id} from {self.vpc_id}: the VPC still has public addresses "
                "mapped (NAT gateways, Elastic IPs or instances with public IPs). Remove them first, e.g. delete "
                f"the network's NAT gateways. AWS said: {error}"
            ) from error

    # -- result ------------------------------------------------------------------------------------------------

    @staticmethod
    def _result(
        action: str, igw_id: str | None, changed: bool, before: dict[str, Any], after: dict[str, Any]
    ) -> Outcome:
        return Outcome(
            changed=changed,
            actions=[f"{action} internet gateway"] if changed else [],
            diff={"before": before, "after": after},
            data={"internet_gateway_id": igw_id, "action": action, "deleted_internet_gateway_ids": []},
        )


def check_options(params: Mapping[str, Any]) -> None:
    """The module's checks that need no AWS call."""
    check_id_format("vpc_id", params["vpc_id"], "vpc")
    check_network_name(params["network_name"])


def reconcile(scope: Scope, state: str) -> Outcome:
    """The internet gateway of the scope's network, attached to its VPC, ``present`` or ``absent``."""
    return InternetGatewayReconciler(scope).run(state)
