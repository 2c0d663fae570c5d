"""A new security group's default ``::/0`` egress rule only in a VPC that has an associated IPv6 block (AWS).

Why: AWS gives a new VPC security group an outbound rule allowing all IPv4 traffic, and one allowing all IPv6
traffic only "if your VPC has an IPv6 CIDR block" (Amazon VPC User Guide, security group rules / default egress).
Stock moto checks whether the VPC ever had an IPv6 block: after DisassociateVpcCidrBlock the block stays in its list
as ``disassociated``, and every new group still gets ``::/0``. The collection's task security group's IPv6 rule is
added and removed with dual-stack, and its audit reads these rules, so a phantom rule would hide a missing one.

How: wraps ``SecurityGroup.__init__``; when the VPC has no IPv6 block in state ``associated``, the ``::/0`` egress
rule moto just added is dropped.
"""

from collections.abc import Callable
from typing import Any

from moto.ec2.models.security_groups import SecurityGroup

from .subnet_ipv6_cidr import associated_vpc_ipv6_blocks

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = ("test_emulator_ipv6.py::test_security_group_default_egress_follows_the_vpc_ipv6_block",)

_PATCHED_FLAG = "_aws_emulator_sg_ipv6_egress_patched"
ALL_IPV6 = "::/0"


def _wrap_init(original: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: SecurityGroup, ec2_backend: Any, *args: Any, **kwargs: Any) -> None:
        original(self, ec2_backend, *args, **kwargs)
        vpc = ec2_backend.vpcs.get(self.vpc_id) if self.vpc_id else None
        if vpc is not None and not associated_vpc_ipv6_blocks(vpc):
            self.egress_rules = [rule for rule in self.egress_rules if rule.ip_range.get("CidrIpv6") != ALL_IPV6]

    return __init__


def apply() -> None:
    if getattr(SecurityGroup, _PATCHED_FLAG, False):
        return
    SecurityGroup.__init__ = _wrap_init(SecurityGroup.__init__)  # type: ignore[method-assign]
    setattr(SecurityGroup, _PATCHED_FLAG, True)
