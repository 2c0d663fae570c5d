"""DisassociateVpcCidrBlock refuses an IPv6 block that a subnet still uses (AWS), instead of moto allowing it.

Why: AWS answers ``InvalidCidrBlock.InUse`` "The vpc ... currently has a subnet within CIDR block ..."
(terraform-provider-aws #29077): a VPC's IPv6 block goes only after every subnet's block inside it. Turning
dual-stack off must disassociate the subnets' blocks first; stock moto lets the VPC's go first and leaves the
subnets with blocks outside any VPC block.

How: wraps the backend's ``disassociate_vpc_cidr_block``; an IPv6 association with an associated subnet block inside
it is refused before moto runs.
"""

import ipaddress
from collections.abc import Callable
from typing import Any

from moto.ec2.models.vpcs import VPCBackend

from .subnet_ipv6_cidr import InvalidCidrBlockInUseError, associated_subnet_ipv6_blocks

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = ("test_emulator_ipv6.py::test_vpc_ipv6_block_used_by_a_subnet_cannot_be_disassociated",)

_PATCHED_FLAG = "_aws_emulator_vpc_ipv6_cidr_patched"


def _wrap_disassociate(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def disassociate_vpc_cidr_block(self: Any, association_id: str) -> dict[str, Any]:
        for vpc in self.vpcs.values():
            association = vpc._cidr_block_association_set.get(association_id)
            if association is None or "::/" not in association["cidr_block"]:
                continue
            vpc_block = ipaddress.IPv6Network(association["cidr_block"])
            for subnet in self.describe_subnets(filters={"vpc-id": vpc.id}):
                if any(block.subnet_of(vpc_block) for block in associated_subnet_ipv6_blocks(subnet)):
                    raise InvalidCidrBlockInUseError(
                        f"The vpc {vpc.id} currently has a subnet within CIDR block {association['cidr_block']}"
                    )
        return original(self, association_id)

    return disassociate_vpc_cidr_block


def apply() -> None:
    if getattr(VPCBackend, _PATCHED_FLAG, False):
        return
    VPCBackend.disassociate_vpc_cidr_block = _wrap_disassociate(VPCBackend.disassociate_vpc_cidr_block)  # type: ignore[method-assign]
    setattr(VPCBackend, _PATCHED_FLAG, True)
