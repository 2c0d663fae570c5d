"""Egress-only internet gateways as AWS has them: ``ClientToken`` idempotence, ``tag:``/``tag-key`` describe filters,
routes to a deleted one ``blackhole``, and no DeleteVpc while one exists.

Why (AWS facts):
- CreateEgressOnlyInternetGateway takes a ``ClientToken`` "to ensure the idempotency of the request" (EC2 API
  reference): the same token returns the same gateway. Stock moto ignores it and makes a second gateway, so a retried
  create in the collection would go unnoticed.
- DescribeEgressOnlyInternetGateways filters on ``tag:<key>`` and ``tag-key`` (its only filters, EC2 API reference);
  any other name is refused with ``InvalidParameterValue``. Stock moto ignores every filter and returns all gateways:
  a lookup by the network's identity tag would adopt another network's gateway.
- A route whose egress-only gateway was deleted shows ``State: blackhole``, like one to a deleted NAT or internet
  gateway (``route_blackhole``); stock moto keeps it ``active``, so the audit and the repair never see it.
- DeleteVpc while the VPC has an egress-only gateway: ``DependencyViolation`` "The vpc ... has dependencies and cannot
  be deleted" (gruntwork-io/cloud-nuke #345); stock moto deletes the VPC and orphans the gateway, so a teardown that
  forgot the gateway would pass.

How: the create handler passes ``ClientToken`` to the backend (token -> (gateway id, VPC id) per account/region,
cleared by /moto-api/reset; the same token for another VPC is an ``IdempotentParameterMismatch``) and echoes it; the
describe handler applies the filters; ``Route.state`` answers ``blackhole`` for a gateway no longer in the backend
and otherwise defers to the previous rule; ``delete_vpc`` refuses while a gateway names the VPC.
"""

from collections.abc import Callable
from typing import Any

from moto.core.responses import ActionResult
from moto.ec2.exceptions import DependencyViolationError, EC2ClientError
from moto.ec2.models.internet_gateways import EgressOnlyInternetGateway, EgressOnlyInternetGatewayBackend
from moto.ec2.models.route_tables import Route
from moto.ec2.models.vpcs import VPCBackend
from moto.ec2.responses.egress_only_internet_gateways import EgressOnlyInternetGateway as EgressOnlyResponses
from moto.ec2.utils import add_tag_specification, generic_filter

from aws_emulator.client_tokens import ClientTokens, echoing_token

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_ipv6.py::test_egress_only_gateway_client_token_returns_the_same_gateway",
    "test_emulator_ipv6.py::test_egress_only_gateway_client_token_for_another_vpc_is_a_mismatch",
    "test_emulator_ipv6.py::test_egress_only_gateways_filter_by_tag",
    "test_emulator_ipv6.py::test_egress_only_gateways_refuse_other_filters",
    "test_emulator_ipv6.py::test_route_to_a_deleted_egress_only_gateway_is_blackhole",
    "test_emulator_ipv6.py::test_vpc_with_an_egress_only_gateway_cannot_be_deleted",
)

_PATCHED_FLAG = "_aws_emulator_egress_only_gateway_patched"
#: The filters DescribeEgressOnlyInternetGateways accepts: ``tag:<key>`` and these.
_FILTER_NAMES = ("tag-key",)


class InvalidFilterError(EC2ClientError):
    def __init__(self, name: str) -> None:
        super().__init__("InvalidParameterValue", f"The filter '{name}' is invalid")


def create_response(self: EgressOnlyResponses) -> ActionResult:
    vpc_id = self._get_param("VpcId")
    client_token = self._get_param("ClientToken")
    tags = add_tag_specification(self._get_param("TagSpecifications", []))
    backend = self.ec2_backend
    gateway = ClientTokens(backend, "egress_only_gateway").create_once(
        client_token,
        vpc_id,
        lambda: backend.create_egress_only_internet_gateway(vpc_id=vpc_id, tags=tags),
        backend.egress_only_internet_gateways.__getitem__,
    )
    return ActionResult(echoing_token({"EgressOnlyInternetGateway": gateway}, client_token))


def describe_response(self: EgressOnlyResponses) -> ActionResult:
    filters = self._filters_from_querystring()
    for name in filters:
        if not name.startswith("tag:") and name not in _FILTER_NAMES:
            raise InvalidFilterError(name)
    gateways = self.ec2_backend.describe_egress_only_internet_gateways(
        self._get_param("EgressOnlyInternetGatewayIds", [])
    )
    return ActionResult({"EgressOnlyInternetGateways": generic_filter(filters, gateways)})


def _wrap_route_state(previous: Any) -> property:
    def state(route: Route) -> str:
        gateway = route.egress_only_igw
        if isinstance(gateway, EgressOnlyInternetGateway):
            known = route.route_table.ec2_backend.egress_only_internet_gateways.get(gateway.id)
            if known is not gateway:
                return "blackhole"
        return previous.fget(route) if isinstance(previous, property) else "active"

    return property(state)


def _wrap_delete_vpc(original: Callable[..., Any]) -> Callable[..., Any]:
    def delete_vpc(self: Any, vpc_id: str) -> Any:
        if any(gateway.vpc_id == vpc_id for gateway in self.egress_only_internet_gateways.values()):
            raise DependencyViolationError(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
        return original(self, vpc_id)

    return delete_vpc


def apply() -> None:
    if getattr(EgressOnlyInternetGatewayBackend, _PATCHED_FLAG, False):
        return
    EgressOnlyResponses.create_egress_only_internet_gateway = create_response  # type: ignore[method-assign]
    EgressOnlyResponses.describe_egress_only_internet_gateways = describe_response  # type: ignore[method-assign]
    Route.state = _wrap_route_state(Route.__dict__.get("state"))  # type: ignore[assignment,method-assign]
    VPCBackend.delete_vpc = _wrap_delete_vpc(VPCBackend.delete_vpc)  # type: ignore[method-assign]
    setattr(EgressOnlyInternetGatewayBackend, _PATCHED_FLAG, True)
