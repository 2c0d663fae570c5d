"""CreateNatGateway is idempotent on ``ClientToken``: the same token returns the same NAT gateway (AWS).

Why: amazon.aws's ``ec2_vpc_nat_gateway`` passes ``client_token`` so a retried or re-run create does not make a
second NAT (and a second ENI, and a second bill). Stock moto ignores the token and creates another NAT every time.

How: the CreateNatGateway handler echoes ``ClientToken`` in the response and remembers, on the backend,
``token -> (nat id, request fingerprint)`` per account/region (cleared by /moto-api/reset); a repeated
token returns the existing NAT without creating anything, and a repeated token with different parameters fails with
``IdempotentParameterMismatch`` like AWS.
"""

from moto.core.responses import ActionResult
from moto.ec2.models.nat_gateways import NatGatewayBackend
from moto.ec2.responses.nat_gateways import NatGateways
from moto.ec2.utils import add_tag_specification

from aws_emulator.client_tokens import ClientTokens, echoing_token

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_nat.py::test_client_token_is_idempotent",
    "test_emulator_nat.py::test_client_token_reused_with_other_parameters_is_refused",
)

_PATCHED_FLAG = "_aws_emulator_client_token_patched"
TOKEN_KIND = "nat"  # zonal and regional NAT gateways share their tokens


def create_nat_gateway_response(self: NatGateways) -> ActionResult:
    client_token = self._get_param("ClientToken")
    subnet_id, allocation_id = self._get_param("SubnetId"), self._get_param("AllocationId")
    connectivity_type = self._get_param("ConnectivityType")
    backend = self.ec2_backend
    nat_gateway = ClientTokens(backend, TOKEN_KIND).create_once(
        client_token,
        (subnet_id, allocation_id or None, connectivity_type or "public"),
        lambda: backend.create_nat_gateway(
            subnet_id=subnet_id,
            allocation_id=allocation_id,
            tags=add_tag_specification(self._get_param("TagSpecifications", [])),
            connectivity_type=connectivity_type,
        ),
        backend.nat_gateways.__getitem__,
    )
    return ActionResult(echoing_token({"NatGateway": nat_gateway}, client_token))


def apply() -> None:
    if getattr(NatGatewayBackend, _PATCHED_FLAG, False):
        return
    NatGateways.create_nat_gateway = create_nat_gateway_response  # type: ignore[method-assign]
    setattr(NatGatewayBackend, _PATCHED_FLAG, True)
