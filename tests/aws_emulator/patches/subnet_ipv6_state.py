"""DescribeSubnets reports a subnet's IPv6 block state as AWS does: ``{"State": "associated"}``, and an IPv6-only
subnet's ``AvailableIpAddressCount`` as 0.

Why: AWS's ``SubnetCidrBlockState.State`` is a string (``associating | associated | disassociating | disassociated |
failing | failed``, EC2 API reference); stock moto nests its whole state dict and serializes it as the string
``"{'State': 'associated'}"``, so code that waits for or checks ``associated`` never sees it.
``AvailableIpAddressCount`` is "the number of unused private IPv4 addresses" (EC2 API reference, Subnet): an
IPv6-native subnet has none, where stock moto reports 2**64 - 5, which the audit's address check would read as plenty
of room.

How: replaces ``Subnet.ipv6_cidr_block_association_set`` (the serializer's source; still only ``associated`` blocks,
as moto lists them) and wraps ``Subnet.available_ip_address_count`` to answer 0 for IPv6-native subnets.
"""

from typing import Any

from moto.ec2.models.subnets import Subnet

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_ipv6.py::test_subnet_ipv6_block_state_is_a_string",
    "test_emulator_ipv6.py::test_ipv6_native_subnet_has_no_ipv4_addresses",
)

_PATCHED_FLAG = "_aws_emulator_subnet_ipv6_state_patched"


def ipv6_cidr_block_association_set(subnet: Subnet) -> list[dict[str, Any]]:
    return [
        {
            "ipv6CidrBlock": association["ipv6CidrBlock"],
            "associationId": association["associationId"],
            "ipv6CidrBlockState": {"state": association["ipv6CidrBlockState"]["State"]},
        }
        for association in subnet.ipv6_cidr_block_associations.values()
        if association["ipv6CidrBlockState"]["State"] == "associated"
    ]


def apply() -> None:
    if getattr(Subnet, _PATCHED_FLAG, False):
        return
    ipv4_count = Subnet.available_ip_address_count

    def available_ip_address_count(subnet: Subnet) -> int:
        return 0 if subnet.ipv6_native else ipv4_count.fget(subnet)  # type: ignore[attr-defined]

    Subnet.ipv6_cidr_block_association_set = property(ipv6_cidr_block_association_set)  # type: ignore[assignment,method-assign]
    Subnet.available_ip_address_count = property(available_ip_address_count)  # type: ignore[assignment,method-assign]
    setattr(Subnet, _PATCHED_FLAG, True)
