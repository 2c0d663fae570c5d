# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The security group of a network's tasks: all outbound TCP, inbound exactly as configured.

Inbound rules are given in amazon.aws.ec2_security_group's ``rules`` format (the role's input format). Both
directions are reconciled as sets of single-source permissions (protocol, ports, one CIDR or group), so the order
of rules and the way AWS groups them never cause a change; a description that differs is updated in place.

We find the group by its identity tags, never by name, and we never take over a group we did not build: a group
already holding the name without our tags is reported, not adopted.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import create_once, look_for
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import describe_where, vpc_filter
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.ids import check_id_format
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.outcome import Outcome
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import (
    apply_tag_changes,
    identity_filters,
    is_ours,
    tag_specifications,
    tags_after,
    tags_of,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import Reconciler, Scope

if typing.TYPE_CHECKING:
    from typing import TypeAlias

    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Resource

    # An EC2 IpPermission: ``{"IpProtocol", "FromPort", "ToPort", "IpRanges": [...], ...}``.
    Permission: TypeAlias = dict[str, Any]
    # What a single-source permission allows: (protocol, from port, to port, source list key, source).
    PermissionKey: TypeAlias = tuple[str, Any, Any, str, str]

COMPONENT = "security-group"

# Shown in the diff for a group that check mode would create: it has no id yet.
NEW_GROUP = "(new security group)"

# The only way out: tasks pull images from ECR and talk to CloudReactor and other APIs over TCP.
TASK_EGRESS_RULE = {
    "proto": "tcp",
    "from_port": 0,
    "to_port": 65535,
    "cidr_ip": "0.0.0.0/0",
    "rule_desc": "Outbound TCP (ECR, CloudReactor, external APIs)",
}

# The same over IPv6, in a dual-stack or IPv6-only network: ECR's dual-stack endpoints, S3 and most APIs answer there.
TASK_EGRESS_RULE_IPV6 = {
    "proto": "tcp",
    "from_port": 0,
    "to_port": 65535,
    "cidr_ipv6": "::/0",
    "rule_desc": "Outbound TCP over IPv6 (ECR, CloudReactor, external APIs)",
}

# Keys of the ``rules`` format we accept, and how each source key is sent to EC2 (list key, item key).
SOURCE_KEYS = {
    "cidr_ip": ("IpRanges", "CidrIp"),
    "cidr_ipv6": ("Ipv6Ranges", "CidrIpv6"),
    "group_id": ("UserIdGroupPairs", "GroupId"),
}
RULE_KEYS = {"proto", "from_port", "to_port", "ports", "rule_desc", *SOURCE_KEYS}

# Keys amazon.aws.ec2_security_group accepts that we do not, with what to do instead.
UNSUPPORTED_KEYS = {
    "group_name": "use group_id (a name may match no group, or a group outside the VPC)",
    "group_desc": "groups named in rules are never created here; use group_id",
    "ip_prefix": "prefix lists are not supported",
    "icmp_type": "give the ICMP type as from_port",
    "icmp_code": "give the ICMP code as to_port",
}

# EC2 describes these protocol numbers by name; other numbers stay numbers.
PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "all": "-1"}
PORT_PROTOCOLS = ("tcp", "udp")
ICMP_PROTOCOLS = ("icmp", "icmpv6")

# Where each EC2 permission list keeps its source's identifier (prefix lists only ever appear in rules to purge).
PERMISSION_SOURCES = {
    "IpRanges": "CidrIp",
    "Ipv6Ranges": "CidrIpv6",
    "UserIdGroupPairs": "GroupId",
    "PrefixListIds": "PrefixListId",
}
# The ``rules`` key that shows each kind of source in the diff.
SUMMARY_SOURCE_KEYS = {
    "IpRanges": "cidr_ip",
    "Ipv6Ranges": "cidr_ipv6",
    "UserIdGroupPairs": "group_id",
    "PrefixListIds": "ip_prefix",
}


class _RuleProblem(Exception):
    """What is wrong with one rule; :func:`check_ingress_rules` adds the rule's index."""


# -- rules format -> IpPermissions ------------------------------------------------------------------------------


def normalise_protocol(proto: object) -> str:
    """``tcp``, ``udp``, ``icmp``, ``icmpv6``, ``-1`` (all) or another protocol number, as EC2 describes it."""
    text = str(proto).strip().lower()
    return PROTOCOL_NAMES.get(text, text)


def _protocol(rule: Mapping[str, Any]) -> str:
    # amazon.aws's format defaults to TCP.
    proto = rule.get("proto", "tcp")
    if isinstance(proto, bool):
        raise _RuleProblem(f"proto {proto!r} is not a protocol")
    protocol = normalise_protocol(proto)
    if protocol in PORT_PROTOCOLS + ICMP_PROTOCOLS + ("-1",):
        return protocol
    if protocol.isdigit() and 0 <= int(protocol) <= 255:
        return protocol
    raise _RuleProblem(f"proto {proto!r} is not tcp, udp, icmp, icmpv6, all, -1 or a protocol number (0-255)")


def _number(key: str, value: object, low: int, high: int) -> int:
    """``value`` (an int, or its text as templating renders it) when it lies in ``low``..``high``."""
    text = str(value).strip()
    if isinstance(value, bool) or not re.fullmatch(r"-?[0-9]+", text) or not low <= int(text) <= high:
        raise _RuleProblem(f"{key} {value!r} is not a number from {low} to {high}")
    return int(text)


def _port_range(item: object) -> tuple[int, int]:
    """An item of ``ports`` (``80``, ``"80"`` or ``"8000-8100"``) as a (from, to) pair."""
    match = None if isinstance(item, bool) else re.fullmatch(r"([0-9]+)(?:-([0-9]+))?", str(item).strip())
    if not match:
        raise _RuleProblem(f"ports item {item!r} is not a port or a range such as 8000-8100")
    from_port = _number("ports item", match.group(1), 0, 65535)
    to_port = _number("ports item", match.group(2), 0, 65535) if match.group(2) else from_port
    if from_port > to_port:
        raise _RuleProblem(f"ports item {item!r} starts above where it ends")
    return from_port, to_port


def _port_ranges(rule: Mapping[str, Any], protocol: str) -> list[tuple[int, int] | tuple[None, None]]:
    """The (from, to) pairs of ``rule``: port ranges for TCP/UDP, (type, code) for ICMP, ``(None, None)`` else."""
    given = sorted(key for key in ("from_port", "to_port", "ports") if key in rule)
    if protocol in PORT_PROTOCOLS:
        if "ports" in rule:
            if given != ["ports"]:
                raise _RuleProblem("ports cannot be given together with from_port/to_port")
            ports = rule["ports"] if isinstance(rule["ports"], list) else [rule["ports"]]
            if not ports:
                raise _RuleProblem("ports is empty")
            return [_port_range(item) for item in ports]
        if given != ["from_port", "to_port"]:
            raise _RuleProblem(f"a {protocol} rule needs from_port and to_port, or ports")
        from_port = _number("from_port", rule["from_port"], 0, 65535)
        to_port = _number("to_port", rule["to_port"], 0, 65535)
        if from_port > to_port:
            raise _RuleProblem(f"from_port {from_port} is greater than to_port {to_port}")
        return [(from_port, to_port)]
    if protocol in ICMP_PROTOCOLS:
        if "ports" in rule:
            raise _RuleProblem(f"ports do not apply to {protocol}: give the type as from_port, the code as to_port")
        icmp_type = _number("from_port (ICMP type)", rule.get("from_port", -1), -1, 255)
        icmp_code = _number("to_port (ICMP code)", rule.get("to_port", -1), -1, 255)
        if icmp_type == -1 and icmp_code != -1:
            raise _RuleProblem("all ICMP types (from_port -1) needs all codes (to_port -1)")
        return [(icmp_type, icmp_code)]
    if given:
        # AWS opens every port for these protocols: a port given here would be silently ignored.
        raise _RuleProblem(f"{', '.join(given)} cannot be given for protocol {protocol}: it has no ports")
    return [(None, None)]


def _cidr(key: str, text: object, version: int) -> str:
    network_class = ipaddress.IPv4Network if version == 4 else ipaddress.IPv6Network
    if not isinstance(text, str) or "/" not in text:
        raise _RuleProblem(f"{key} {text!r} is not a CIDR block (address/prefix length)")
    try:
        network = network_class(text.strip())
    except ValueError as error:
        # A CIDR with host bits set is ambiguous (did they mean the host or the network?): make the user say.
        raise _RuleProblem(f"{key} {text!r} is not a valid IPv{version} CIDR block: {error}") from None
    return str(network)


def _sources(rule: Mapping[str, Any]) -> list[tuple[str, dict[str, str]]]:
    """(EC2 list key, item) for every source of ``rule``: each CIDR, IPv6 CIDR and group it names."""
    sources = []
    for key, (list_key, item_key) in SOURCE_KEYS.items():
        values = rule.get(key, [])
        for value in values if isinstance(values, list) else [values]:
            if key == "group_id":
                try:
                    check_id_format(key, value, "sg")
                except InvalidInput as error:
                    raise _RuleProblem(str(error)) from None
                identifier = value
            else:
                identifier = _cidr(key, value, 4 if key == "cidr_ip" else 6)
            sources.append((list_key, {item_key: identifier}))
    if not sources:
        raise _RuleProblem("names no source: give cidr_ip, cidr_ipv6 or group_id")
    return sources


def _check_keys(rule: object) -> None:
    if not isinstance(rule, dict):
        raise _RuleProblem(f"must be a mapping of rule keys, not {type(rule).__name__}")
    for key in sorted(set(rule) - RULE_KEYS):
        hint = UNSUPPORTED_KEYS.get(key, f"supported keys: {', '.join(sorted(RULE_KEYS))}")
        raise _RuleProblem(f"{key!r} is not supported: {hint}")
    description = rule.get("rule_desc")
    if description is not None and not isinstance(description, str):
        raise _RuleProblem(f"rule_desc must be a string, not {type(description).__name__}")


def _permission(
    protocol: str,
    ports: tuple[int, int] | tuple[None, None],
    source: tuple[str, dict[str, str]],
    description: str | None,
) -> Permission:
    """One EC2 IpPermission with a single source."""
    permission: Permission = {"IpProtocol": protocol}
    if ports != (None, None):
        permission["FromPort"], permission["ToPort"] = ports
    list_key, item = source
    permission[list_key] = [dict(item, Description=description) if description else dict(item)]
    return permission


def _rule_permissions(rule: Any) -> list[Permission]:
    _check_keys(rule)
    # amazon.aws treats a key set to null as absent; templated rules rely on it.
    rule = {key: value for key, value in rule.items() if value is not None}
    protocol = _protocol(rule)
    port_ranges = _port_ranges(rule, protocol)
    sources = _sources(rule)
    return [_permission(protocol, ports, source, rule.get("rule_desc")) for ports in port_ranges for source in sources]


def check_ingress_rules(rules: object, option: str = "security_group_ingress") -> list[Permission]:
    """Validate ``rules`` (amazon.aws.ec2_security_group's ``rules`` format) without any API call.

    Returns them as EC2 IpPermissions, one per (port range, source) pair. Raises :class:`InvalidInput` against
    ``option`` naming the bad rule by its index (from 0) and what is wrong with it.
    """
    if rules is None:
        return []
    if not isinstance(rules, list):
        raise InvalidInput(option, f"must be a list of rules, not {type(rules).__name__}")
    # Permission key -> (index of the first rule giving it, the permission). A repeat is dropped, as amazon.aws
    # does: authorizing it twice would fail.
    seen = {}
    for index, rule in enumerate(rules):
        try:
            rule_permissions = _rule_permissions(rule)
        except _RuleProblem as problem:
            raise InvalidInput(option, f"rule [{index}]: {problem}") from None
        for permission in rule_permissions:
            key = permission_key(permission)
            if key not in seen:
                seen[key] = (index, permission)
            elif description_of(permission) != description_of(seen[key][1]):
                # One permission carries one description: which one is meant cannot be guessed.
                raise InvalidInput(
                    option,
                    f"rule [{index}]: repeats {_describe_key(key)} of rule [{seen[key][0]}] with another rule_desc",
                )
    return [permission for _index, permission in seen.values()]


# -- comparing permissions ----------------------------------------------------------------------------------------


def _canonical_source(list_key: str, identifier: str) -> str:
    if list_key in ("IpRanges", "Ipv6Ranges"):
        try:
            return str(ipaddress.ip_network(identifier, strict=False))
        except ValueError:
            return identifier
    return identifier


def single_source_permissions(permissions: Iterable[Permission] | None) -> Iterator[Permission]:
    """EC2 permissions split into one permission per source, each kept as described (for revoking it)."""
    for permission in permissions or []:
        base: dict[str, Any] = {
            key: permission[key] for key in ("IpProtocol", "FromPort", "ToPort") if key in permission
        }
        for list_key in PERMISSION_SOURCES:
            for source in permission.get(list_key) or []:
                yield {**base, list_key: [source]}


def _source_of(permission: Permission) -> tuple[str, dict[str, Any]]:
    list_key = next(key for key in PERMISSION_SOURCES if permission.get(key))
    return list_key, permission[list_key][0]


def permission_key(permission: Permission) -> PermissionKey:
    """What a single-source permission allows, whatever its description and however EC2 spells it."""
    protocol = normalise_protocol(permission["IpProtocol"])
    if protocol in PORT_PROTOCOLS + ICMP_PROTOCOLS:
        ports = (permission.get("FromPort"), permission.get("ToPort"))
    else:
        # EC2 ignores ports for other protocols (and may report -1 for them).
        ports = (None, None)
    list_key, source = _source_of(permission)
    return (protocol, *ports, list_key, _canonical_source(list_key, source[PERMISSION_SOURCES[list_key]]))


def description_of(permission: Permission) -> str | None:
    return _source_of(permission)[1].get("Description") or None


def _describe_key(key: PermissionKey) -> str:
    protocol, from_port, to_port, _source_kind, identifier = key
    ports = "" if from_port is None else f" {from_port}-{to_port}"
    return f"{protocol}{ports} from {identifier}"


def _by_key(permissions: Iterable[Permission]) -> dict[PermissionKey, Permission]:
    return {permission_key(permission): permission for permission in permissions}


def rule_summary(permission: Permission) -> dict[str, Any]:
    """A single-source permission in the ``rules`` format, for the diff."""
    protocol, from_port, to_port, list_key, identifier = permission_key(permission)
    summary: dict[str, Any] = {"proto": protocol}
    if from_port is not None:
        summary.update(from_port=from_port, to_port=to_port)
    summary[SUMMARY_SOURCE_KEYS[list_key]] = identifier
    if description_of(permission):
        summary["rule_desc"] = description_of(permission)
    return summary


def _summaries(permissions: Iterable[Permission] | None) -> list[dict[str, Any]]:
    """``permissions`` (as EC2 describes them, or single-source) as ``rules`` items in a stable order."""
    by_key = _by_key(single_source_permissions(permissions))
    return [rule_summary(by_key[key]) for key in sorted(by_key, key=lambda key: tuple(map(str, key)))]


class RulePlan:
    """The calls that turn one direction's ``current`` permissions into ``desired`` ones."""

    def __init__(self, current: Iterable[Permission] | None, desired: Iterable[Permission]) -> None:
        current_by_key = _by_key(single_source_permissions(current))
        desired_by_key = _by_key(desired)
        self.authorize = [permission for key, permission in desired_by_key.items() if key not in current_by_key]
        self.revoke = [permission for key, permission in current_by_key.items() if key not in desired_by_key]
        self.redescribe = [
            permission
            for key, permission in desired_by_key.items()
            if key in current_by_key and description_of(permission) != description_of(current_by_key[key])
        ]

    @property
    def changed(self) -> bool:
        return bool(self.authorize or self.revoke or self.redescribe)


# -- the group ----------------------------------------------------------------------------------------------------


def _state(
    group_id: str | None,
    name: str | None,
    ingress: Iterable[Permission] | None,
    egress: Iterable[Permission] | None,
    tags: Mapping[str, str],
) -> dict[str, Any]:
    return {
        "group_id": group_id,
        "name": name,
        "ingress": _summaries(ingress),
        "egress": _summaries(egress),
        "tags": dict(tags),
    }


ABSENT = _state(None, None, [], [], {})


@dataclasses.dataclass(frozen=True)
class SecurityGroup:
    """The tasks' security group: created as ``name`` with ``description`` (EC2 cannot change either afterwards);
    inbound exactly ``ingress``, in amazon.aws.ec2_security_group's ``rules`` format; outbound exactly
    :data:`TASK_EGRESS_RULE`, and :data:`TASK_EGRESS_RULE_IPV6` with ``ipv6_egress``. ``absent`` needs none of it."""

    name: str | None = None
    description: str = ""
    ingress: Sequence[Mapping[str, Any]] | None = None
    ipv6_egress: bool = False


def same_name(held: str, wanted: str | None) -> bool:
    """Whether a group named ``held`` takes the name ``wanted``: EC2 keeps names unique per VPC without regard to case
    (CreateSecurityGroup, GroupName: "Names are case-insensitive and must be unique within the VPC")."""
    return wanted is not None and held.casefold() == wanted.casefold()


class SecurityGroupReconciler(Reconciler):
    """Brings the tasks' security group of the scope's network in its VPC to ``desired``'s rules and tags, or removes
    the network's groups. The rules are validated here, before any call."""

    def __init__(self, scope: Scope, desired: SecurityGroup) -> None:
        super().__init__(scope)
        self.name = desired.name
        self.description = desired.description
        self.ingress = check_ingress_rules(desired.ingress)
        egress = [TASK_EGRESS_RULE] + ([TASK_EGRESS_RULE_IPV6] if desired.ipv6_egress else [])
        self.egress = check_ingress_rules(egress)

    def tags_for(self, group_name: str | None) -> dict[str, str]:
        return self.desired_tags(COMPONENT, group_name)

    def find_ours(self) -> Resource | None:
        """Our group in the VPC, or ``None``. Should several carry our tags (two runs racing to create it), the
        lowest GroupId is ours: a deterministic choice every later run repeats."""
        filters = vpc_filter(self.required_vpc_id) + identity_filters(self.network, COMPONENT)
        groups = self.client.describe_security_groups(Filters=filters, aws_retry=True)["SecurityGroups"]
        return min(groups, key=lambda group: group["GroupId"]) if groups else None

    def refuse_foreign_namesake(self) -> list[Resource]:
        """Raise when a group without our tags holds the name in the VPC, in any case (:func:`same_name`); else return
        the groups of ours that hold it (none, or one EC2 lists in the VPC but not yet by its tags). The names are
        compared here in the VPC's listing (the one converge.prime reads), not by a ``group-name`` filter: EC2 does
        not document whether that filter ignores case."""
        groups = describe_where(
            self.client, "describe_security_groups", "SecurityGroups", "vpc-id", [self.required_vpc_id]
        )
        taken = [group for group in groups if same_name(group["GroupName"], self.name)]
        foreign = [group for group in taken if not is_ours(group, self.network, COMPONENT)]
        if foreign:
            group_id, group_name = foreign[0]["GroupId"], foreign[0]["GroupName"]
            held_as = (
                ""
                if group_name == self.name
                else f" as {group_name!r} (AWS compares security group names without regard to case)"
            )
            raise InvalidInput(
                "security_group_name",
                f"{self.name!r} is taken in {self.vpc_id} by {group_id}{held_as}, which network {self.network} did "
                "not create, and a group we did not build is never taken over. Choose another name, or tag "
                f"{group_id} with cloudreactor:network={self.network} and cloudreactor:component={COMPONENT} to "
                "make it this network's.",
                security_group_id=group_id,
            )
        return taken

    def absent(self) -> Outcome:
        """Delete every security group of the VPC that carries the network's identity tags."""
        filters = vpc_filter(self.required_vpc_id) + identity_filters(self.network)
        groups = self.client.describe_security_groups(Filters=filters, aws_retry=True)["SecurityGroups"]
        deleted = self.delete_each(
            (group["GroupId"] for group in groups),
            lambda group_id: self.client.delete_security_group(GroupId=group_id, aws_retry=True),
            "describe_security_groups",
        )
        actions = [f"deleted security group {group_id}" for group_id in deleted]
        before = {group["GroupId"]: group["GroupName"] for group in groups}
        return Outcome(changed=bool(actions), actions=actions, diff={"before": before, "after": {}})

    def present(self) -> Outcome:
        group = self.find_ours()
        if group is None:
            self.refuse_foreign_namesake()
            return self._create()
        return self._converge(group)

    def _create(self) -> Outcome:
        tags = self.tags_for(self.name)
        if self.check_mode:
            after = _state(NEW_GROUP, self.name, self.ingress, self.egress, tags)
            return _result(None, "created", True, ABSENT, after)
        try:
            created = create_once(
                self.client,
                "create_security_group",
                self.find_ours,
                GroupName=self.name,
                Description=self.description,
                VpcId=self.vpc_id,
                TagSpecifications=tag_specifications("security-group", tags),
            )
        except is_boto3_error_code("InvalidGroup.Duplicate") as duplicate:
            created = self._namesake(duplicate)
        group_id = created["GroupId"]
        self.client.record_created_id(group_id)
        if "IpPermissionsEgress" in created:
            # Found as described, not made by this call's answer: a lost answer's group, or one an earlier run made
            # that AWS did not list yet. Its rules are read, not assumed.
            return self._converge(created)
        group = {
            "GroupId": group_id,
            "GroupName": self.name,
            "Description": self.description,
            "VpcId": self.vpc_id,
            "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
            "IpPermissions": [],
            "IpPermissionsEgress": self._default_egress(),
        }
        self._apply_rules(group)
        # The group as this run left it: later reads of the run (the audit) see it so, even before AWS lists it.
        self.client.record(
            "describe_security_groups",
            dict(group, IpPermissions=self.ingress, IpPermissionsEgress=self.egress),
            created=True,
        )
        after = _state(group_id, self.name, self.ingress, self.egress, tags)
        return _result(group_id, "created", True, ABSENT, after)

    def _namesake(self, duplicate: Exception) -> Resource:
        """The group of ours that made CreateSecurityGroup answer ``duplicate`` (InvalidGroup.Duplicate), though
        none held the name when :meth:`refuse_foreign_namesake` looked: someone else's group that appeared since, or
        that EC2 did not list yet, is refused at once by one more look at the VPC's groups; ours is adopted. With
        none listed yet, AWS is still propagating one: ours is looked for as after a lost answer, and without it
        ``duplicate`` is raised."""
        ours = self.refuse_foreign_namesake()
        if ours:
            return ours[0]
        found = look_for(self.client, self.find_ours)
        if found is None:
            raise duplicate
        return found

    def _default_egress(self) -> list[Permission]:
        """The egress rules AWS gives a new group (Amazon VPC user guide, "Security group rules": all traffic to
        0.0.0.0/0, and to ::/0 when the VPC has an IPv6 CIDR). Taken as documented, not read back: AWS may not list
        the new group yet."""
        vpc = self.client.describe_vpcs(VpcIds=[self.vpc_id], aws_retry=True)["Vpcs"][0]
        rules = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        if vpc.get("Ipv6CidrBlockAssociationSet"):
            rules.append({"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]})
        return rules

    def _converge(self, group: Resource) -> Outcome:
        group_id = group["GroupId"]
        current_tags = tags_of(group)
        # EC2 cannot rename a group: the Name tag follows the name it has, not one given after it was created.
        changes = self.tag_changes(group, self.tags_for(group["GroupName"]))
        tags = tags_after(current_tags, changes)
        changed = self._apply_rules(group)
        if changes and not self.check_mode:
            apply_tag_changes(self.client, group_id, changes)
        changed |= bool(changes)
        if changed and not self.check_mode:
            described_tags = [{"Key": key, "Value": value} for key, value in tags.items()]
            self.client.record(
                "describe_security_groups",
                dict(group, IpPermissions=self.ingress, IpPermissionsEgress=self.egress, Tags=described_tags),
            )
        before = _state(
            group_id, group["GroupName"], group.get("IpPermissions"), group.get("IpPermissionsEgress"), current_tags
        )
        after = _state(group_id, group["GroupName"], self.ingress, self.egress, tags)
        return _result(group_id, "updated" if changed else "none", changed, before, after)

    def _apply_rules(self, group: Resource) -> bool:
        """Make both directions of ``group`` exactly the desired rules; returns whether anything differed."""
        changed = False
        for direction, current, desired in (
            ("egress", group.get("IpPermissionsEgress"), self.egress),
            ("ingress", group.get("IpPermissions"), self.ingress),
        ):
            plan = RulePlan(current, desired)
            changed |= plan.changed
            if not self.check_mode:
                self._apply_plan(group["GroupId"], direction, plan)
        return changed

    def _apply_plan(self, group_id: str, direction: str, plan: RulePlan) -> None:
        # Authorize before revoking: traffic a replaced rule allowed stays allowed while the new one arrives.
        for operation, permissions in (
            (f"authorize_security_group_{direction}", plan.authorize),
            (f"update_security_group_rule_descriptions_{direction}", plan.redescribe),
            (f"revoke_security_group_{direction}", plan.revoke),
        ):
            if not permissions:
                continue
            getattr(self.client, operation)(GroupId=group_id, IpPermissions=permissions, aws_retry=True)


def _result(group_id: str | None, action: str, changed: bool, before: dict[str, Any], after: dict[str, Any]) -> Outcome:
    """``data``: ``group_id`` (``None`` when check mode would create it), ``action`` (``created``, ``updated`` or
    ``none``) and the group's ``name`` (EC2 cannot rename: an existing group keeps its own)."""
    return Outcome(
        changed=changed,
        actions=[f"{action} security group"] if changed else [],
        diff={"before": before, "after": after},
        data={"group_id": group_id, "action": action, "name": after["name"]},
    )


def refuse_taken_name(scope: Scope, name: str) -> None:
    """Raise :class:`InvalidInput` when ``name`` is held in the scope's VPC by a group its network did not create: run
    it before the first change, so a converge does not stop half-way at its last step. No ingress is checked here."""
    reconciler = SecurityGroupReconciler(scope, SecurityGroup(name))
    if reconciler.find_ours() is None:
        reconciler.refuse_foreign_namesake()


def reconcile(scope: Scope, desired: SecurityGroup, state: str) -> Outcome:
    """The tasks' security group ``present`` as ``desired`` says, or the network's groups ``absent``."""
    return SecurityGroupReconciler(scope, desired).run(state)
