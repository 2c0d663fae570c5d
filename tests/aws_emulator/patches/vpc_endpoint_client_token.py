"""CreateVpcEndpoint is idempotent on ``ClientToken``: the same token returns the same endpoint (AWS).

Why: ``ClientToken`` exists for CreateVpcEndpoint (botocore 1.44.8 model) so that a create whose answer was lost can
be sent again without making a second endpoint; for a gateway endpoint a second one would also fight the first over
the prefix-list route of every route table. Stock moto stores the token on the endpoint but ignores it: each call
creates another endpoint.

How: wraps the backend's ``create_vpc_endpoint``. It remembers ``token -> (endpoint id, request fingerprint)`` per
account/region (cleared by /moto-api/reset); a repeated token returns the endpoint it made without creating anything,
and a repeated token with different parameters fails with ``IdempotentParameterMismatch`` (``client_tokens``).
"""

from collections.abc import Callable
from typing import Any

from moto.ec2.models.vpcs import VPCBackend

from aws_emulator.client_tokens import ClientTokens

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_gateway_endpoint.py::test_client_token_returns_the_same_endpoint",
    "test_emulator_gateway_endpoint.py::test_client_token_with_other_parameters_is_a_mismatch",
)

_PATCHED_FLAG = "_aws_emulator_vpc_endpoint_client_token_patched"
#: The request parameters that make two creates the same create.
_FINGERPRINT_KEYS = ("vpc_id", "service_name", "endpoint_type", "policy_document", "private_dns_enabled")
_FINGERPRINT_LISTS = ("route_table_ids", "subnet_ids", "security_group_ids")


def _fingerprint(kwargs: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(kwargs.get(key) for key in _FINGERPRINT_KEYS) + tuple(
        tuple(sorted(kwargs.get(key) or [])) for key in _FINGERPRINT_LISTS
    )


def _wrap_create(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_vpc_endpoint(self: Any, **kwargs: Any) -> Any:
        # moto's handler passes keywords only.
        return ClientTokens(self, "vpc_endpoint").create_once(
            kwargs.get("client_token"),
            _fingerprint(kwargs),
            lambda: original(self, **kwargs),
            self.vpc_end_points.__getitem__,
        )

    return create_vpc_endpoint


def apply() -> None:
    if getattr(VPCBackend, _PATCHED_FLAG, False):
        return
    VPCBackend.create_vpc_endpoint = _wrap_create(VPCBackend.create_vpc_endpoint)  # type: ignore[method-assign]
    setattr(VPCBackend, _PATCHED_FLAG, True)
