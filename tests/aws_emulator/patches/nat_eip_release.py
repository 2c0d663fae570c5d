"""A NAT gateway's Elastic IP is freed when the NAT is deleted (or fails), and cannot be released while in use.

Why: on AWS, once a NAT gateway is ``deleted`` (or ``failed``) its Elastic IP is disassociated and its network
interface is gone, so the EIP can be released or reused; while the NAT still exists (``pending``, ``available``,
``deleting``) ReleaseAddress is refused (``InvalidIPAddress.InUse``). Stock moto keeps the EIP associated for ever
and lets ReleaseAddress pull it from under a live NAT, so cleanup ordering bugs in our roles go unnoticed.

How: a ``nat_lifecycle.TRANSITION_HOOKS`` hook disassociates the EIP from the NAT's ENI and removes the ENI when the
NAT reaches ``deleted``/``failed``. ``release_address`` refuses an EIP attached to the ENI of a NAT that is not
``deleted``/``failed``. ``describe_addresses`` and ``release_address`` first read every NAT's state (a read never
counts as a describe) so that time-based transitions are settled before addresses are shown.
"""

from collections.abc import Callable
from typing import Any

from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.elastic_ip_addresses import ElasticAddressBackend
from moto.ec2.models.nat_gateways import NatGateway

from . import nat_lifecycle

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_routes_eip.py::test_eip_disassociated_after_nat_deleted",
    "test_emulator_routes_eip.py::test_eip_disassociated_when_time_based_deletion_completes",
    "test_emulator_routes_eip.py::test_release_of_eip_in_use_by_nat_is_refused",
)

RELEASED_STATES = frozenset({"deleted", "failed"})
_PATCHED_FLAG = "_aws_emulator_eip_patched"


class AddressInUseError(EC2ClientError):
    def __init__(self, address: str, nat_gateway_id: str) -> None:
        super().__init__(
            "InvalidIPAddress.InUse",
            f"Address {address} is in use by NAT gateway {nat_gateway_id}.",
        )


def free_nat_resources(nat: NatGateway, old_state: str, new_state: str) -> None:
    """Transition hook: a deleted/failed NAT lets go of its Elastic IP and network interface."""
    if new_state not in RELEASED_STATES:
        return
    backend = nat.ec2_backend
    eni = nat._eni
    for eip in list(backend.addresses):
        if eip.eni is not None and eip.eni.id == eni.id:
            backend.disassociate_address(address=eip.public_ip)
    for address in nat.address_set:
        address.pop("associationId", None)
    backend.enis.pop(eni.id, None)


def _settle_nat_states(backend: Any) -> None:
    for nat in list(backend.nat_gateways.values()):
        nat_lifecycle.current_state(nat)


def _nat_using(backend: Any, eip: Any) -> NatGateway | None:
    _settle_nat_states(backend)
    if eip.eni is None:
        return None
    for nat in backend.nat_gateways.values():
        if nat._eni.id == eip.eni.id and nat_lifecycle.current_state(nat) not in RELEASED_STATES:
            return nat
    return None


def _wrap_release(original: Callable[..., None]) -> Callable[..., None]:
    def release_address(self: Any, address: str | None = None, allocation_id: str | None = None) -> None:
        eips = self.address_by_ip([address]) if address else self.address_by_allocation([allocation_id])
        nat = _nat_using(self, eips[0])
        if nat is not None:
            raise AddressInUseError(eips[0].allocation_id or eips[0].public_ip, nat.id)
        return original(self, address=address, allocation_id=allocation_id)

    return release_address


def _wrap_describe(original: Callable[..., list[Any]]) -> Callable[..., list[Any]]:
    def describe_addresses(self: Any, *args: Any, **kwargs: Any) -> list[Any]:
        _settle_nat_states(self)
        return original(self, *args, **kwargs)

    return describe_addresses


def apply() -> None:
    if free_nat_resources not in nat_lifecycle.TRANSITION_HOOKS:
        nat_lifecycle.TRANSITION_HOOKS.append(free_nat_resources)
    if getattr(ElasticAddressBackend, _PATCHED_FLAG, False):
        return
    ElasticAddressBackend.release_address = _wrap_release(ElasticAddressBackend.release_address)  # type: ignore[method-assign]
    ElasticAddressBackend.describe_addresses = _wrap_describe(  # type: ignore[method-assign]
        ElasticAddressBackend.describe_addresses
    )
    setattr(ElasticAddressBackend, _PATCHED_FLAG, True)
