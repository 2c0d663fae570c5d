"""The default network ACL gets AWS's IPv6 rules when its VPC has an IPv6 block: rule 101 allows ``::/0`` and the
final rule, number 32768, denies ``::/0``, inbound and outbound.

Why: "If you create a VPC with an IPv6 CIDR block or if you associate an IPv6 CIDR block with your existing VPC, we
automatically add rules that allow all IPv6 traffic to flow in and out of your subnet" (Amazon VPC User Guide,
default network ACL: rules 100 and 101 allow, then ``*`` denies for IPv4 and for IPv6); the allow rule is not added
to a direction whose rules were changed. DescribeNetworkAcls numbers the IPv4 ``*`` rule 32767 and the IPv6 one 32768
(ansible/ansible #49979, hashicorp/terraform #12831). Stock moto adds only the IPv4 rules, so the audit's IPv6 NACL
check would see every dual-stack subnet's IPv6 traffic denied.

How: wraps ``NetworkAclBackend.add_default_entries`` (moto's CreateVpc makes the default ACL after the VPC's blocks)
and ``VPCBackend.associate_vpc_cidr_block``; each adds the IPv6 rules the default ACL lacks: the deny always, the
allow only to a direction that still has exactly its default IPv4 rules.
"""

from collections.abc import Callable
from typing import Any

from moto.ec2.models.network_acls import NetworkAcl, NetworkAclBackend
from moto.ec2.models.vpcs import VPCBackend

from .subnet_ipv6_cidr import associated_vpc_ipv6_blocks

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = (
    "test_emulator_ipv6.py::test_default_network_acl_of_an_ipv6_vpc_has_the_ipv6_rules",
    "test_emulator_ipv6.py::test_default_network_acl_gains_the_ipv6_rules_with_the_block",
    "test_emulator_ipv6.py::test_changed_default_network_acl_gains_only_the_ipv6_deny",
)

_PATCHED_FLAG = "_aws_emulator_network_acl_ipv6_patched"
ALL_IPV4 = "0.0.0.0/0"
ALL_IPV6 = "::/0"
IPV6_ALLOW_RULE = 101
IPV6_DENY_RULE = 32768
#: A direction's rules as CreateVpc makes them: (rule number, action, IPv4 block).
_DEFAULT_IPV4_RULES = {(100, "allow", ALL_IPV4), (32767, "deny", ALL_IPV4)}


def _add_ipv6_rules(backend: Any, network_acl: NetworkAcl) -> None:
    for egress in (True, False):
        entries = [entry for entry in network_acl.network_acl_entries if entry.egress == egress]
        numbers = {entry.rule_number for entry in entries}
        unchanged = {(entry.rule_number, entry.rule_action, entry.cidr_block) for entry in entries} == (
            _DEFAULT_IPV4_RULES
        )
        wanted = [(IPV6_DENY_RULE, "deny")] + ([(IPV6_ALLOW_RULE, "allow")] if unchanged else [])
        for rule_number, action in wanted:
            if rule_number in numbers:
                continue
            backend.create_network_acl_entry(
                network_acl_id=network_acl.id,
                rule_number=rule_number,
                protocol="-1",
                rule_action=action,
                egress=egress,
                cidr_block=None,
                icmp_code=None,
                icmp_type=None,
                port_range_from=None,
                port_range_to=None,
                ipv6_cidr_block=ALL_IPV6,
            )


def _wrap_add_default_entries(original: Callable[[Any, str], None]) -> Callable[[Any, str], None]:
    def add_default_entries(self: Any, network_acl_id: str) -> None:
        original(self, network_acl_id)
        network_acl = self.get_network_acl(network_acl_id)
        if associated_vpc_ipv6_blocks(self.get_vpc(network_acl.vpc_id)):
            _add_ipv6_rules(self, network_acl)

    return add_default_entries


def _wrap_associate(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def associate_vpc_cidr_block(self: Any, vpc_id: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        association = original(self, vpc_id, *args, **kwargs)
        if "::/" in association["cidr_block"]:
            for network_acl in self.network_acls.values():
                if network_acl.vpc_id == vpc_id and network_acl.default:
                    _add_ipv6_rules(self, network_acl)
        return association

    return associate_vpc_cidr_block


def apply() -> None:
    if getattr(NetworkAclBackend, _PATCHED_FLAG, False):
        return
    NetworkAclBackend.add_default_entries = _wrap_add_default_entries(NetworkAclBackend.add_default_entries)  # type: ignore[method-assign]
    VPCBackend.associate_vpc_cidr_block = _wrap_associate(VPCBackend.associate_vpc_cidr_block)  # type: ignore[method-assign]
    setattr(NetworkAclBackend, _PATCHED_FLAG, True)
