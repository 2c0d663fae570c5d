"""A security group's name is unique in its VPC without regard to case (AWS), as moto holds it only case for case.

Why: CreateSecurityGroup (EC2 API reference, GroupName): "Names are case-insensitive and must be unique within the
VPC." Stock moto refuses a second ``net-tasks`` but creates ``Net-Tasks`` beside it. The collection's task security
group refuses a name another group holds before any change; the emulator must refuse what AWS refuses, or a name
taken in another case would look free here and fail only on AWS.

How: wraps ``SecurityGroupBackend.create_security_group``; unless the caller forces it (moto's ``force``, which skips
its own check too), a group of the VPC whose name is the new one in another case answers ``InvalidGroup.Duplicate``,
as an exact match does.
"""

from collections.abc import Callable
from typing import Any

from moto.ec2.exceptions import InvalidSecurityGroupDuplicateError
from moto.ec2.models.security_groups import SecurityGroup, SecurityGroupBackend

#: Its proofs in tests/emulator/ (file::test): each checks, with boto3 only, an AWS behaviour this patch restores.
PROOFS = ("test_emulator_security_groups.py::test_a_name_that_differs_only_in_case_answers_duplicate",)

_PATCHED_FLAG = "_aws_emulator_security_group_name_case_patched"


def _wrap_create(original: Callable[..., SecurityGroup]) -> Callable[..., SecurityGroup]:
    def create_security_group(
        self: SecurityGroupBackend, name: str, description: str, vpc_id: str | None = None, *args: Any, **kwargs: Any
    ) -> SecurityGroup:
        if not kwargs.get("force"):
            groups = self.groups[vpc_id or self.default_vpc.id].values()  # type: ignore[attr-defined]
            if any(group.name.casefold() == name.casefold() for group in groups):
                raise InvalidSecurityGroupDuplicateError(name)
        return original(self, name, description, vpc_id, *args, **kwargs)

    return create_security_group


def apply() -> None:
    if getattr(SecurityGroupBackend, _PATCHED_FLAG, False):
        return
    SecurityGroupBackend.create_security_group = _wrap_create(  # type: ignore[method-assign]
        SecurityGroupBackend.create_security_group
    )
    setattr(SecurityGroupBackend, _PATCHED_FLAG, True)
