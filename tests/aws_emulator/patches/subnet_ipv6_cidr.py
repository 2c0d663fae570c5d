"""A subnet's IPv6 block follows AWS's rules: inside the VPC's IPv6 block, not overlapping another subnet's, not
disassociated while the subnet assigns IPv6 addresses on creation, and required before it can assign them.

Why (AWS facts, each refused with HTTP 400):
- CreateSubnet / AssociateSubnetCidrBlock with an IPv6 block outside the VPC's associated IPv6 blocks:
  ``InvalidSubnet.Range``; overlapping another subnet's block: ``InvalidSubnet.Conflict`` (the same rules as IPv4,
  which stock moto does enforce). The collection plans each subnet's /64 from the VPC's /56; stock moto accepts any
  block, so a planning bug would pass every test.
- DisassociateSubnetCidrBlock while ``AssignIpv6AddressOnCreation`` is true: ``InvalidCidrBlock.InUse`` "... may not
  be disassociated, because its subnet has assign-ipv6-address-on-creation set to true" (terraform-provider-aws
  #1519, #3562, #46017). Turning dual-stack off must switch the attribute off first.
- ModifySubnetAttribute ``AssignIpv6AddressOnCreation=true`` on a subnet with no IPv6 block:
  ``InvalidParameterValue`` "Cannot set assign-ipv6-address-on-creation to true unless the subnet ... has an IPv6
  CIDR block associated with it" (terraform-aws-vpc #735). Turning dual-stack on must associate the block first.

How: wraps the backend's ``create_subnet``, ``associate_subnet_cidr_block``, ``disassociate_subnet_cidr_block`` and
``modify_subnet_attribute`` with these checks, then calls moto.
"""

import ipaddress
from typing import Any

from moto.ec2.exceptions import EC2ClientError, InvalidSubnetConflictError, InvalidSubnetRangeError
from moto.ec2.models.subnets import Subnet, SubnetBackend

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_ipv6.py::test_subnet_ipv6_block_outside_the_vpc_block_is_refused",
    "test_emulator_ipv6.py::test_subnet_ipv6_block_overlapping_another_subnet_is_refused",
    "test_emulator_ipv6.py::test_subnet_ipv6_block_in_use_cannot_be_disassociated",
    "test_emulator_ipv6.py::test_assign_ipv6_on_creation_needs_an_ipv6_block",
)

_PATCHED_FLAG = "_aws_emulator_subnet_ipv6_cidr_patched"


class InvalidCidrBlockInUseError(EC2ClientError):
    def __init__(self, message: str) -> None:
        super().__init__("InvalidCidrBlock.InUse", message)


class AssignIpv6WithoutBlockError(EC2ClientError):
    def __init__(self, subnet_id: str) -> None:
        super().__init__(
            "InvalidParameterValue",
            "Invalid value 'true' for assign-ipv6-address-on-creation. Cannot set assign-ipv6-address-on-creation to "
            f"true unless the subnet ({subnet_id}) has an IPv6 CIDR block associated with it.",
        )


def associated_vpc_ipv6_blocks(vpc: Any) -> list[ipaddress.IPv6Network]:
    """The VPC's IPv6 blocks in state ``associated``."""
    return [
        ipaddress.IPv6Network(association["cidr_block"])
        for association in vpc.get_cidr_block_association_set(ipv6=True)
        if association["cidr_block_state"]["state"] == "associated"
    ]


def associated_subnet_ipv6_blocks(subnet: Subnet) -> list[ipaddress.IPv6Network]:
    return [
        ipaddress.IPv6Network(association["ipv6CidrBlock"])
        for association in subnet.ipv6_cidr_block_associations.values()
        if association["ipv6CidrBlockState"]["State"] == "associated"
    ]


def _check_block(backend: Any, vpc_id: str, ipv6_cidr_block: str, subnet_id: str | None) -> None:
    block = ipaddress.IPv6Network(ipv6_cidr_block)
    if not any(block.subnet_of(vpc_block) for vpc_block in associated_vpc_ipv6_blocks(backend.get_vpc(vpc_id))):
        raise InvalidSubnetRangeError(ipv6_cidr_block)
    for subnet in backend.describe_subnets(filters={"vpc-id": vpc_id}):
        if subnet.id != subnet_id and any(block.overlaps(other) for other in associated_subnet_ipv6_blocks(subnet)):
            raise InvalidSubnetConflictError(ipv6_cidr_block)


def apply() -> None:
    if getattr(SubnetBackend, _PATCHED_FLAG, False):
        return
    create_subnet = SubnetBackend.create_subnet
    associate = SubnetBackend.associate_subnet_cidr_block
    disassociate = SubnetBackend.disassociate_subnet_cidr_block
    modify = SubnetBackend.modify_subnet_attribute

    def checked_create_subnet(
        self: Any, vpc_id: str, cidr_block: str, ipv6_cidr_block: str | None = None, *args: Any, **kwargs: Any
    ) -> Subnet:
        if ipv6_cidr_block:
            _check_block(self, vpc_id, ipv6_cidr_block, None)
        return create_subnet(self, vpc_id, cidr_block, ipv6_cidr_block, *args, **kwargs)

    def checked_associate(self: Any, subnet_id: str, ipv6_cidr_block: str) -> dict[str, Any]:
        _check_block(self, self.get_subnet(subnet_id).vpc_id, ipv6_cidr_block, subnet_id)
        return associate(self, subnet_id, ipv6_cidr_block)

    def checked_disassociate(self: Any, association_id: str) -> tuple[str, dict[str, str]]:
        subnet = self.get_subnet_from_ipv6_association(association_id)
        if subnet is not None and subnet.assign_ipv6_address_on_creation:
            raise InvalidCidrBlockInUseError(
                f"The subnet IPv6 CIDR block with association ID {association_id} may not be disassociated, "
                "because its subnet has assign-ipv6-address-on-creation set to true."
            )
        return disassociate(self, association_id)

    def checked_modify(self: Any, subnet_id: str, attr_name: str, attr_value: Any) -> None:
        turning_on = attr_value is True or str(attr_value).lower() == "true"
        assigning = attr_name == "assign_ipv6_address_on_creation" and turning_on
        if assigning and not associated_subnet_ipv6_blocks(self.get_subnet(subnet_id)):
            raise AssignIpv6WithoutBlockError(subnet_id)
        return modify(self, subnet_id, attr_name, attr_value)

    SubnetBackend.create_subnet = checked_create_subnet  # type: ignore[method-assign]
    SubnetBackend.associate_subnet_cidr_block = checked_associate  # type: ignore[method-assign]
    SubnetBackend.disassociate_subnet_cidr_block = checked_disassociate  # type: ignore[method-assign]
    SubnetBackend.modify_subnet_attribute = checked_modify  # type: ignore[method-assign]
    setattr(SubnetBackend, _PATCHED_FLAG, True)
