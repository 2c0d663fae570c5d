# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network's S3 gateway endpoint: create, associate with the network's route tables, repair, delete.

Why: ECR keeps image layers in S3, so a task pulls most of its image from S3. Through a NAT gateway those bytes are
billed per GB of NAT data processing; through an S3 gateway endpoint (a prefix-list route in the subnet's route
table) they cost nothing. The endpoint does not replace the NAT: ECR's API and CloudReactor still need it.

One gateway endpoint for ``com.amazonaws.<region>.s3`` per network, carrying ``identity_tags(network,
"s3-endpoint")``, associated with the route tables the caller names (the network's own: public and private). A
table that loses the association is added back (ModifyVpcEndpoint ``AddRouteTableIds``); tables someone else
associated with our endpoint stay (we add, never remove).

An S3 gateway endpoint that is not ours is used, never modified: AWS refuses a second S3 gateway endpoint on a route
table that has one, so a table of ours already served by another endpoint is left out of ours, and when every table
is served that way we create none.

``CreateVpcEndpoint`` gets a ClientToken derived from the network, the VPC and the tables, so a retried or re-run
create returns the endpoint the first attempt made (EC2 may not list it yet) instead of a second one.
"""

from __future__ import annotations

import hashlib
import typing
from collections.abc import Iterable, Sequence
from typing import Any

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import describe_where
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import NetworkError
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import is_ours, tag_specifications
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import Reconciler, Scope

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

COMPONENT = "s3-endpoint"
RESOURCE_TYPE = "vpc-endpoint"  # TagSpecifications resource type of CreateVpcEndpoint

# Endpoint states (AWS capitalizes them, some emulators do not) in which it no longer routes anything.
GONE_STATES = ("deleting", "deleted", "failed", "rejected", "expired")

# How many times a create may meet a ClientToken already spent on an endpoint that is gone (see _create).
MAX_STALE_TOKENS = 5

# Shown in the diff for an endpoint that check mode would create, and for a route table it would create.
NEW_ENDPOINT = "(new S3 gateway endpoint)"
NEW_TABLE = "(new route table)"


def service_name(region: str) -> str:
    return f"com.amazonaws.{region}.s3"


def endpoint_name(network: str) -> str:
    return f"{network}-s3"


def client_token(network: str, vpc_id: str, route_table_ids: Iterable[str], replaces: str | None) -> str:
    """The ClientToken of CreateVpcEndpoint: 64 hex characters, same input, same token.

    The tables are part of it because AWS answers a token sent again with other parameters with
    ``IdempotentParameterMismatch``; ``replaces`` is the id of the endpoint of ours a token returned although it is
    gone ("" for the first), so the next create does not meet it again.
    """
    material = "\n".join(("cloudreactor.aws.s3_endpoint", network, vpc_id, *sorted(route_table_ids), replaces or ""))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def is_live(endpoint: Resource) -> bool:
    return bool((endpoint.get("State") or "").lower() not in GONE_STATES)


def is_s3_gateway(endpoint: Resource, region: str) -> bool:
    # Some emulators leave VpcEndpointType out for gateway endpoints: a gateway endpoint has route tables, no subnets.
    declared = (endpoint.get("VpcEndpointType") or "").lower()
    gateway = declared == "gateway" or (not declared and not endpoint.get("SubnetIds"))
    return gateway and bool(endpoint.get("ServiceName") == service_name(region))


def _state(endpoint_id: str | None, route_table_ids: Iterable[str]) -> dict[str, Any]:
    return {"vpc_endpoint_id": endpoint_id, "route_table_ids": sorted(route_table_ids) if endpoint_id else []}


class S3EndpointReconciler(Reconciler):
    """Brings the S3 gateway endpoint of the scope's network in its VPC to ``present`` (associated with
    ``route_table_ids``; ``None`` stands for a table check mode would create) or ``absent``."""

    def __init__(self, scope: Scope, route_table_ids: Sequence[str | None] = ()) -> None:
        super().__init__(scope)
        self.route_table_ids = [table_id or NEW_TABLE for table_id in route_table_ids]
        self.region = self.client.meta.region_name

    @property
    def desired_endpoint_tags(self) -> dict[str, str]:
        return self.desired_tags(COMPONENT, endpoint_name(self.network))

    def _endpoints(self) -> tuple[list[Resource], list[Resource]]:
        """``(ours, others)``: the VPC's live S3 gateway endpoints, each list by id."""
        found = describe_where(self.client, "describe_vpc_endpoints", "VpcEndpoints", "vpc-id", [self.required_vpc_id])
        live = sorted(
            (endpoint for endpoint in found if is_live(endpoint) and is_s3_gateway(endpoint, self.region)),
            key=lambda endpoint: endpoint["VpcEndpointId"],
        )
        ours = [endpoint for endpoint in live if is_ours(endpoint, self.network, COMPONENT)]
        return ours, [endpoint for endpoint in live if endpoint not in ours]

    # -- present -----------------------------------------------------------------------------------------------

    def present(self) -> Outcome:
        ours, others = self._endpoints()
        # A second endpoint of ours would only come from a create made without our token: it is left as it is.
        for extra in ours[1:]:
            self.warn(
                f"S3 gateway endpoint {extra['VpcEndpointId']} also carries the identity tags of network "
                f"{self.network}; {ours[0]['VpcEndpointId']} is the one kept up to date, this one is left alone."
            )
        others = ours[1:] + others
        served_elsewhere = {
            table_id: endpoint["VpcEndpointId"]
            for endpoint in others
            for table_id in endpoint.get("RouteTableIds") or []
            if table_id in self.route_table_ids
        }
        wanted = [table_id for table_id in self.route_table_ids if table_id not in served_elsewhere]
        data = {"other_endpoint_ids": sorted(set(served_elsewhere.values()))}
        if ours:
            return self._repair(ours[0], wanted, data)
        if not wanted:
            return self._result([], _state(None, []), _state(None, []), data)
        return self._create(wanted, data)

    def _repair(self, endpoint: Resource, wanted: list[str], data: dict[str, Any]) -> Outcome:
        endpoint_id = endpoint["VpcEndpointId"]
        current = list(endpoint.get("RouteTableIds") or [])
        missing = [table_id for table_id in wanted if table_id not in current]
        actions: list[str] = []
        if missing:
            if not self.check_mode:
                self.client.modify_vpc_endpoint(VpcEndpointId=endpoint_id, AddRouteTableIds=missing, aws_retry=True)
                self.client.record("describe_vpc_endpoints", dict(endpoint, RouteTableIds=current + missing))
            actions.append(f"associated S3 gateway endpoint {endpoint_id} with {', '.join(missing)}")
        if self.ensure_tags(endpoint_id, endpoint, self.desired_endpoint_tags):
            actions.append(f"tagged S3 gateway endpoint {endpoint_id}")
        before = _state(endpoint_id, current)
        return self._result(actions, before, _state(endpoint_id, current + missing), data)

    def _create(self, wanted: list[str], data: dict[str, Any]) -> Outcome:
        if self.check_mode:
            after = _state(NEW_ENDPOINT, wanted)
            return self._result([f"created S3 gateway endpoint on {', '.join(wanted)}"], _state(None, []), after, data)
        predecessor = ""
        for _attempt in range(MAX_STALE_TOKENS):
            endpoint = self.client.create_vpc_endpoint(
                VpcEndpointType="Gateway",
                VpcId=self.required_vpc_id,
                ServiceName=service_name(self.region),
                RouteTableIds=wanted,
                ClientToken=client_token(self.network, self.required_vpc_id, wanted, predecessor),
                TagSpecifications=tag_specifications(RESOURCE_TYPE, self.desired_endpoint_tags),
                aws_retry=True,
            )["VpcEndpoint"]
            if is_live(endpoint):
                break
            # AWS remembers a token longer than it lists the endpoint it made: that one was deleted since.
            predecessor = endpoint["VpcEndpointId"]
        else:
            raise NetworkError(
                f"CreateVpcEndpoint for network {self.network} keeps returning S3 gateway endpoints that are gone "
                f"(last: {predecessor}); run again later"
            )
        endpoint_id = endpoint["VpcEndpointId"]
        self.client.record("describe_vpc_endpoints", endpoint, created=True)
        actions = [f"created S3 gateway endpoint {endpoint_id} on {', '.join(wanted)}"]
        return self._result(actions, _state(None, []), _state(endpoint_id, wanted), data)

    # -- absent ------------------------------------------------------------------------------------------------

    def absent(self) -> Outcome:
        ours, others = self._endpoints()
        data = {"other_endpoint_ids": [endpoint["VpcEndpointId"] for endpoint in others]}
        if not ours:
            return self._result([], _state(None, []), _state(None, []), data)
        doomed = [endpoint["VpcEndpointId"] for endpoint in ours]
        if not self.check_mode:
            answer = self.client.delete_vpc_endpoints(VpcEndpointIds=doomed, aws_retry=True)
            refused = [
                f"{item.get('ResourceId')}: {item.get('Error', {}).get('Message')}"
                for item in answer.get("Unsuccessful") or []
            ]
            if refused:
                raise NetworkError(
                    f"AWS did not delete the S3 gateway endpoint of network {self.network}: {'; '.join(refused)}"
                )
            for endpoint_id in doomed:
                # Deleting the VPC waits until AWS has finished deleting the endpoint.
                self.client.releasing(f"VPC endpoint {endpoint_id}")
        for endpoint_id in doomed:
            # The rest of the run sees it gone, in check mode too: a teardown's route_table.absent() does not plan to
            # take its tables off it.
            self.client.record_deleted("describe_vpc_endpoints", endpoint_id)
        before = _state(doomed[0], ours[0].get("RouteTableIds") or [])
        actions = [f"deleted S3 gateway endpoint {endpoint_id}" for endpoint_id in doomed]
        return self._result(actions, before, _state(None, []), data)

    # -- result ------------------------------------------------------------------------------------------------

    @staticmethod
    def _result(actions: list[str], before: dict[str, Any], after: dict[str, Any], data: dict[str, Any]) -> Outcome:
        endpoint_id = after["vpc_endpoint_id"]
        return Outcome(
            changed=bool(actions),
            actions=actions,
            diff={"before": before, "after": after},
            data={
                "vpc_endpoint_id": None if endpoint_id == NEW_ENDPOINT else endpoint_id,
                "route_table_ids": after["route_table_ids"],
                **data,
            },
        )


def reconcile(scope: Scope, state: str, route_table_ids: Sequence[str | None] = ()) -> Outcome:
    """The network's S3 gateway endpoint on ``route_table_ids`` ``present``, or ``absent``."""
    return S3EndpointReconciler(scope, route_table_ids).run(state)
