"""ModifyVpcEndpoint ``AddRouteTableIds``/``RemoveRouteTableIds`` add and remove a gateway endpoint's routes (AWS).

Why: on AWS a gateway endpoint (S3, DynamoDB) is a prefix-list route (``pl-... -> vpce-...``) in each route table it
is associated with; associating a table adds that route and disassociating it removes the route. Stock moto adds the
routes at CreateVpcEndpoint and removes them at DeleteVpcEndpoints, but ModifyVpcEndpoint only edits the endpoint's
``RouteTableIds`` list: a table added later gets no route (its tasks' S3 traffic still goes through the NAT gateway,
billed per GB) and a removed table keeps it. The repair of "a route table lost the S3 endpoint" depends on this.

How: wraps the backend's ``modify_vpc_endpoint``. For a gateway endpoint, each added table (not already associated)
gets the prefix-list route to the endpoint, each removed table (associated) loses it; then moto updates the list.
CreateVpcEndpoint, DeleteVpcEndpoints, tags and the describe filters (``vpc-id``, ``service-name``, ``tag:``) are
right in stock moto and left alone (their proofs are in tests/emulator/test_emulator_gateway_endpoint.py).
"""

from collections.abc import Callable
from typing import Any

from moto.ec2.models.vpcs import VPCBackend

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_gateway_endpoint.py::test_modify_add_route_table_adds_the_route",
    "test_emulator_gateway_endpoint.py::test_modify_remove_route_table_removes_the_route",
    "test_emulator_gateway_endpoint.py::test_modify_add_of_an_associated_table_keeps_one_route",
)

_PATCHED_FLAG = "_aws_emulator_gateway_endpoint_routes_patched"


def _wrap_modify(original: Callable[..., None]) -> Callable[..., None]:
    def modify_vpc_endpoint(self: Any, **kwargs: Any) -> None:
        # moto's handler passes keywords only; its ``vpc_id`` holds the endpoint id.
        endpoint = self.describe_vpc_endpoints(vpc_end_point_ids=[kwargs["vpc_id"]])[0]
        prefix_list_id = endpoint.destination_prefix_list_id
        if prefix_list_id:
            for route_table_id in kwargs.get("add_route_tables") or []:
                if route_table_id not in endpoint.route_table_ids:
                    self.create_route(
                        route_table_id, None, gateway_id=endpoint.id, destination_prefix_list_id=prefix_list_id
                    )
            for route_table_id in kwargs.get("remove_route_tables") or []:
                if route_table_id in endpoint.route_table_ids:
                    self.delete_route(route_table_id, None, destination_prefix_list_id=prefix_list_id)
        original(self, **kwargs)

    return modify_vpc_endpoint


def apply() -> None:
    if getattr(VPCBackend, _PATCHED_FLAG, False):
        return
    VPCBackend.modify_vpc_endpoint = _wrap_modify(VPCBackend.modify_vpc_endpoint)  # type: ignore[method-assign]
    setattr(VPCBackend, _PATCHED_FLAG, True)
