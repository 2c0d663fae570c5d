# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The egress-only internet gateway of a dual-stack or IPv6-only network: outbound-only IPv6 for the task subnets.

It is to IPv6 what the NAT gateway is to IPv4 (connections go out, none come in), with no hourly and no per-GB
processing charge. It is created attached to its VPC and never moves, so it is found by its identity tags and its
attachment. EC2 cannot filter these gateways by VPC: the region's are listed, in the one listing the audit reads too
(a run with nothing to do lists them once).
"""

from __future__ import annotations

import typing
import uuid
from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import create_once
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import egress_only_gateways
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import is_ours, tag_specifications
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import Reconciler, Scope

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

COMPONENT = "egress-only-internet-gateway"

# Shown for a gateway that check mode would create: it has no id yet.
NEW_GATEWAY = "(new egress-only internet gateway)"


def gateway_name(network: str) -> str:
    return f"{network}-eigw"


def attached_to(gateway: Resource, vpc_id: str) -> bool:
    return any(
        attachment.get("VpcId") == vpc_id and attachment.get("State", "attached") == "attached"
        for attachment in gateway.get("Attachments") or []
    )


class EgressOnlyInternetGatewayReconciler(Reconciler):
    """Brings the egress-only internet gateway of the scope's network in its VPC to ``present`` or ``absent``."""

    @property
    def desired_gateway_tags(self) -> dict[str, str]:
        return self.desired_tags(COMPONENT, gateway_name(self.network))

    def ours(self) -> list[dict[str, Any]]:
        """The network's gateways attached to its VPC, lowest id first (the one used should a race have made two)."""
        gateways = egress_only_gateways(self.client, [self.required_vpc_id])
        return sorted(
            (
                gateway
                for gateway in gateways
                if is_ours(gateway, self.network, COMPONENT) and attached_to(gateway, self.required_vpc_id)
            ),
            key=lambda gateway: gateway["EgressOnlyInternetGatewayId"],
        )

    def present(self) -> Outcome:
        """``data["egress_only_internet_gateway_id"]``: the gateway's id (:data:`NEW_GATEWAY` in check mode when it
        would be created)."""
        ours = self.ours()
        if ours:
            gateway = ours[0]
            gateway_id = gateway["EgressOnlyInternetGatewayId"]
            tagged = self.ensure_tags(gateway_id, gateway, self.desired_gateway_tags)
            state = {"egress_only_internet_gateway_id": gateway_id}
            return self._result(["updated egress-only internet gateway"] if tagged else [], state, state, gateway_id)
        if self.check_mode:
            return self._result(
                ["created egress-only internet gateway"], {}, {"egress_only_internet_gateway_id": NEW_GATEWAY}, None
            )
        gateway = create_once(
            self.client,
            "create_egress_only_internet_gateway",
            lambda: next(iter(self.ours()), None),
            result_key="EgressOnlyInternetGateway",
            VpcId=self.required_vpc_id,
            TagSpecifications=tag_specifications("egress-only-internet-gateway", self.desired_gateway_tags),
            # AWS answers a resend with the same token with the same gateway, even before it lists it.
            ClientToken=str(uuid.uuid4()),
        )
        gateway_id = gateway["EgressOnlyInternetGatewayId"]
        self.client.record(
            "describe_egress_only_internet_gateways",
            dict(gateway, Attachments=[{"State": "attached", "VpcId": self.required_vpc_id}]),
            created=True,
        )
        return self._result(
            ["created egress-only internet gateway"],
            {},
            {"egress_only_internet_gateway_id": gateway_id},
            gateway_id,
        )

    def absent(self) -> Outcome:
        """Delete the network's gateways in the VPC (its routes to them must be gone first: the caller's order)."""
        ours = self.ours()
        actions: list[str] = []
        for gateway in ours:
            gateway_id = gateway["EgressOnlyInternetGatewayId"]
            if not self.check_mode:
                self.client.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=gateway_id, aws_retry=True)
                self.client.record_deleted("describe_egress_only_internet_gateways", gateway_id)
            actions.append(f"deleted egress-only internet gateway {gateway_id}")
        before = {"egress_only_internet_gateway_id": ours[0]["EgressOnlyInternetGatewayId"]} if ours else {}
        return self._result(actions, before, {}, None)

    @staticmethod
    def _result(actions: list[str], before: dict[str, Any], after: dict[str, Any], gateway_id: str | None) -> Outcome:
        return Outcome(
            changed=bool(actions),
            actions=actions,
            diff={"before": before, "after": after},
            data={"egress_only_internet_gateway_id": gateway_id or after.get("egress_only_internet_gateway_id")},
        )


def reconcile(scope: Scope, state: str) -> Outcome:
    """The network's egress-only internet gateway in the scope's VPC ``present`` (``data``:
    ``egress_only_internet_gateway_id``) or ``absent``."""
    return EgressOnlyInternetGatewayReconciler(scope).run(state)
