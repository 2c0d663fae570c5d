# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Identity tags: how a resource is recognised as part of one network built by this collection.

Every resource we create carries ``cloudreactor:network=<network name>`` and ``cloudreactor:component=<what it is>``,
plus qualifiers where a network has several of one component: ``cloudreactor:az=<zone>`` for per-AZ resources,
``cloudreactor:subnet=<subnet id>`` for a NAT's Elastic IP, ``cloudreactor:table=<name>`` for route tables.
We find our resources by these tags, never by position in a list, and we modify or delete only resources that
carry them.

The user's ``tags`` and ``purge_tags`` options mean what they mean in amazon.aws: ``tags`` omitted (``None``) leaves
the user's tags alone; given, they are set, and with ``purge_tags`` every other tag is removed. Two kinds of tag are
the collection's own and never removed: the identity tags (any ``cloudreactor:`` key) and the ``Name`` tag (the
user's ``Name`` if ``tags`` has one, otherwise the collection's). AWS's reserved ``aws:`` tags are never removed
either.
"""

from __future__ import annotations

import typing
from typing import NamedTuple

from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
    boto3_tag_specifications,
    compare_aws_tags,
)

from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput

if typing.TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.describe import Filters
    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import Client

TAG_PREFIX = "cloudreactor:"
NETWORK_TAG = TAG_PREFIX + "network"
COMPONENT_TAG = TAG_PREFIX + "component"
# The qualifier naming which of a network's route tables a table is (``public``, ``private-<zone>``...).
TABLE_TAG = TAG_PREFIX + "table"


def identity_tags(network: str, component: str, **qualifiers: str | None) -> dict[str, str]:
    """The tags that say "this is the ``component`` of network ``network``".

    ``qualifiers`` (``az=``, ``subnet=``, ``table=``...) tell apart several components of one kind; ``None`` values
    are left out.
    """
    tags = {NETWORK_TAG: network, COMPONENT_TAG: component}
    tags.update({TAG_PREFIX + key: value for key, value in qualifiers.items() if value is not None})
    return tags


def desired_tags(
    network: str,
    component: str,
    user_tags: Mapping[Any, Any] | None = None,
    name: str | None = None,
    **qualifiers: str | None,
) -> dict[str, str]:
    """User tags, then a ``Name``, then identity tags: identity always wins so a user tag cannot disown a resource.

    ``user_tags`` ``None`` (the ``tags`` option omitted) gives only the collection's own tags. Keys and values are
    strings, as EC2 takes them (YAML may have given numbers)."""
    tags = {str(key): str(value) for key, value in (user_tags or {}).items()}
    if name:
        tags.setdefault("Name", name)
    tags.update(identity_tags(network, component, **qualifiers))
    return tags


def identity_filters(network: str, component: str | None = None, **qualifiers: str | None) -> Filters:
    """EC2 ``Filters`` that select the resources carrying these identity tags."""
    tags = {NETWORK_TAG: network}
    if component:
        tags[COMPONENT_TAG] = component
    tags.update({TAG_PREFIX + key: value for key, value in qualifiers.items() if value is not None})
    return [{"Name": f"tag:{key}", "Values": [value]} for key, value in tags.items()]


def tags_of(resource: Mapping[str, Any]) -> dict[str, str]:
    """A described resource's tags as a dict (EC2 returns a ``Tags`` list of Key/Value pairs)."""
    tags: dict[str, str] = boto3_tag_list_to_ansible_dict(resource.get("Tags") or [])
    return tags


def is_ours(resource: Mapping[str, Any], network: str, component: str | None = None) -> bool:
    """True when ``resource`` carries the identity tags of ``network`` (and of ``component`` when given)."""
    tags = tags_of(resource)
    if tags.get(NETWORK_TAG) != network:
        return False
    return component is None or tags.get(COMPONENT_TAG) == component


def tag_specifications(resource_type: str, tags: Mapping[str, str]) -> list[dict[str, Any]]:
    """``TagSpecifications`` for a create call, so a resource is never visible without its identity."""
    specifications: list[dict[str, Any]] = boto3_tag_specifications(tags, [resource_type])
    return specifications


def purges(user_tags: Mapping[Any, Any] | None, purge_tags: bool | None) -> bool:
    """Whether tags outside ``desired_tags`` are removed: only when the user gave ``tags`` (amazon.aws's meaning)."""
    return bool(purge_tags) and user_tags is not None


class TagChanges(NamedTuple):
    """What one resource's tags need: ``to_set`` (a dict) and ``to_unset`` (sorted keys). False when nothing."""

    to_set: dict[str, str]
    to_unset: list[str]

    def __bool__(self) -> bool:
        return bool(self.to_set or self.to_unset)


def tag_changes(current: Mapping[str, str], desired: Mapping[str, str], purge: bool = False) -> TagChanges:
    """The :class:`TagChanges` that bring ``current`` to ``desired``; with ``purge``, tags outside ``desired`` go too,
    except the identity tags (``cloudreactor:`` keys) and AWS's reserved ``aws:`` tags, which are never removed."""
    to_set, to_unset = compare_aws_tags(current, desired, purge_tags=purge)
    return TagChanges(to_set, sorted(key for key in to_unset if not key.startswith(TAG_PREFIX)))


def tags_after(current: Mapping[str, str], changes: TagChanges) -> dict[str, str]:
    """``current`` with ``changes`` applied: a resource's tags once :func:`apply_tag_changes` has run."""
    tags = {key: value for key, value in current.items() if key not in changes.to_unset}
    tags.update(changes.to_set)
    return tags


def apply_tag_changes(client: Client, resource_id: str, changes: TagChanges) -> None:
    """Make ``changes`` on ``resource_id``: one CreateTags and one DeleteTags call at most."""
    if changes.to_set:
        client.create_tags(Resources=[resource_id], Tags=ansible_dict_to_boto3_tag_list(changes.to_set), aws_retry=True)
    if changes.to_unset:
        client.delete_tags(Resources=[resource_id], Tags=[{"Key": key} for key in changes.to_unset], aws_retry=True)


def has_identity(resource: Mapping[str, Any], network: str, component: str, **qualifiers: str | None) -> bool:
    """True when ``resource`` carries every identity tag of ``identity_tags(network, component, **qualifiers)``."""
    tags = tags_of(resource)
    return all(tags.get(key) == value for key, value in identity_tags(network, component, **qualifiers).items())


# AWS allows 256 characters in a tag value; leave room for the suffixes of Name tags (``<network>-<table>``).
MAX_NETWORK_NAME = 128


def check_network_name(network: str | None, option: str = "network_name") -> None:
    """Raise :class:`InvalidInput` unless ``network`` can be the value of our identity tags."""
    if not network or not network.strip():
        raise InvalidInput(option, "must not be empty: it is the value of the identity tags")
    if network != network.strip():
        raise InvalidInput(option, f"{network!r} has leading or trailing spaces")
    if len(network) > MAX_NETWORK_NAME:
        raise InvalidInput(option, f"must be at most {MAX_NETWORK_NAME} characters, not {len(network)}")
