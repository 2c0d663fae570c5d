"""AWS NotFound error codes for unknown NAT gateway ids (instead of ``[]``, HTTP 500 or a route with no target).

Why: AWS answers DescribeNatGateways / DeleteNatGateway with an unknown id with ``NatGatewayNotFound`` (HTTP 400;
botocore's ``nat_gateway_available`` waiter retries on it), and CreateRoute / ReplaceRoute with an unknown
``NatGatewayId`` with ``InvalidNatGatewayID.NotFound``. Stock moto returns ``[]``, crashes (HTTP 500) or creates a
route without a target, so error handling in our roles cannot be tested.

How: wraps the backend methods and raises ``EC2ClientError`` subclasses (moto serializes them as AWS errors with
HTTP 400). Deleted NAT gateways stay known (their records are kept), so they are not "not found".
"""

import inspect
from collections.abc import Callable
from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.nat_gateways import NatGatewayBackend
from moto.ec2.models.route_tables import RouteBackend

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_nat.py::test_describe_unknown_nat_is_not_found",
    "test_emulator_nat.py::test_delete_unknown_nat_is_not_found",
    "test_emulator_nat.py::test_create_route_to_unknown_nat_is_not_found",
    "test_emulator_nat.py::test_replace_route_to_unknown_nat_is_not_found",
)

_PATCHED_FLAG = "_aws_emulator_not_found_patched"


class NatGatewayNotFoundError(EC2ClientError):
    def __init__(self, nat_gateway_id: str) -> None:
        super().__init__("NatGatewayNotFound", f"The Nat Gateway {nat_gateway_id} was not found")


class InvalidNatGatewayIdNotFoundError(EC2ClientError):
    def __init__(self, nat_gateway_id: str) -> None:
        super().__init__("InvalidNatGatewayID.NotFound", f"The natGateway ID '{nat_gateway_id}' does not exist")


def _wrap_describe(original: Callable[..., Any]) -> Callable[..., Any]:
    def describe_nat_gateways(self: Any, filters: Any, nat_gateway_ids: list[str] | None, **kwargs: Any) -> Any:
        for nat_gateway_id in nat_gateway_ids or []:
            if nat_gateway_id not in self.nat_gateways:
                raise NatGatewayNotFoundError(nat_gateway_id)
        return original(self, filters, nat_gateway_ids, **kwargs)

    return describe_nat_gateways


def _wrap_delete(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_nat_gateway(self: Any, nat_gateway_id: str) -> Any:
        if nat_gateway_id not in self.nat_gateways:
            raise NatGatewayNotFoundError(nat_gateway_id)
        return original(self, nat_gateway_id)

    return delete_nat_gateway


def _wrap_route_method(original: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(original)

    def route_method(self: Any, *args: Any, **kwargs: Any) -> Any:
        nat_gateway_id = signature.bind(self, *args, **kwargs).arguments.get("nat_gateway_id")
        if nat_gateway_id is not None and nat_gateway_id not in self.nat_gateways:
            raise InvalidNatGatewayIdNotFoundError(nat_gateway_id)
        return original(self, *args, **kwargs)

    route_method.__name__ = original.__name__
    return route_method


def apply() -> None:
    if getattr(NatGatewayBackend, _PATCHED_FLAG, False):
        return
    NatGatewayBackend.describe_nat_gateways = _wrap_describe(NatGatewayBackend.describe_nat_gateways)  # type: ignore[method-assign]
    NatGatewayBackend.delete_nat_gateway = _wrap_delete(NatGatewayBackend.delete_nat_gateway)  # type: ignore[method-assign]
    RouteBackend.create_route = _wrap_route_method(RouteBackend.create_route)  # type: ignore[method-assign]
    RouteBackend.replace_route = _wrap_route_method(RouteBackend.replace_route)  # type: ignore[method-assign]
    setattr(NatGatewayBackend, _PATCHED_FLAG, True)
