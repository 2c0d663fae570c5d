"""A subnet's ``EnableDns64`` attribute is stored and described (AWS), instead of moto dropping it.

Why: AWS documents ``ModifySubnetAttribute EnableDns64`` ("Indicates whether DNS queries made to the Amazon-provided
DNS Resolver in this subnet should return synthetic IPv6 addresses for IPv4-only destinations", EC2 API reference)
and returns it as the subnet's ``EnableDns64`` in DescribeSubnets, ``false`` until it is turned on. An IPv6-only
task subnet reaches IPv4-only destinations (``ecr:GetAuthorizationToken``) only with DNS64 on and a NAT64 route, so
the collection turns it on, repairs it and audits it. Stock moto ignores the parameter and never returns the field.

How: ``Subnet.enable_dns64`` (``False`` by default), which moto's serializer reads for ``EnableDns64``; the
ModifySubnetAttribute handler sets it from ``EnableDns64.Value`` and hands every other attribute to moto.
"""

from collections.abc import Callable

from moto.core.responses import ActionResult
from moto.ec2.models.subnets import Subnet
from moto.ec2.responses.subnets import Subnets

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_ipv6.py::test_enable_dns64_is_stored_and_described",
    "test_emulator_ipv6.py::test_enable_dns64_is_false_until_turned_on",
)

_PATCHED_FLAG = "_aws_emulator_dns64_patched"


def _wrap_modify(original: Callable[[Subnets], ActionResult]) -> Callable[[Subnets], ActionResult]:
    def modify_subnet_attribute(self: Subnets) -> ActionResult:
        enable_dns64 = self._get_param("EnableDns64.Value")
        if enable_dns64 is not None:
            subnet = self.ec2_backend.get_subnet(self._get_param("SubnetId"))
            subnet.enable_dns64 = str(enable_dns64).lower() == "true"
        return original(self)

    return modify_subnet_attribute


def apply() -> None:
    if getattr(Subnet, _PATCHED_FLAG, False):
        return
    Subnet.enable_dns64 = False  # type: ignore[attr-defined]
    Subnets.modify_subnet_attribute = _wrap_modify(Subnets.modify_subnet_attribute)  # type: ignore[method-assign]
    setattr(Subnet, _PATCHED_FLAG, True)
