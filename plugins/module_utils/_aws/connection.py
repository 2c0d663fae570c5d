# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a module's AWS region and credentials come from, and what to tell a user when one cannot be found.

amazon.aws resolves both as boto3 does (module options, then the AWS environment variables, then the profile's
configuration files) and, when one is missing, says only that a region is required or that credentials cannot be
located. A user of the role sets ``fargate_network_region`` and ``fargate_network_aws_profile``: the messages here name
those, the modules' options, and the AWS environment variables, and say how to see which account and region a run
will use.
"""

from __future__ import annotations

import typing

try:
    import boto3
    from botocore.exceptions import ProfileNotFound
except ImportError:  # AnsibleAWSModule reports the missing dependency itself
    boto3 = None
    ProfileNotFound = ()

if typing.TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

HOW_TO_CHECK = (
    "To see the account and region a run will use, run `aws configure list` and `aws sts get-caller-identity` "
    "with the same environment (and AWS_PROFILE)."
)
PROFILE_HELP = (
    "fargate_network_aws_profile (the role and the playbooks; the option `profile` of a module) or the AWS_PROFILE "
    "environment variable"
)


class ConnectionSetupError(Exception):
    """The AWS region, profile or credentials a module needs cannot be found (``errors.reported_errors`` reports it)."""


def missing_region() -> ConnectionSetupError:
    return ConnectionSetupError(
        "No AWS region is set. Set fargate_network_region (the role and the playbooks; the option `region` of a "
        "module), or the AWS_REGION or AWS_DEFAULT_REGION environment variable, or `region` in the AWS profile's "
        f"configuration (the profile is {PROFILE_HELP}). {HOW_TO_CHECK}"
    )


def missing_credentials() -> ConnectionSetupError:
    return ConnectionSetupError(
        "No AWS credentials were found. Set "
        f"{PROFILE_HELP} to a profile of ~/.aws/credentials or ~/.aws/config, or the AWS_ACCESS_KEY_ID and "
        "AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials) environment variables, or run where "
        f"an instance or task role provides them. {HOW_TO_CHECK}"
    )


def profile_not_found(error: Exception) -> ConnectionSetupError:
    return ConnectionSetupError(
        f"{error}. Set {PROFILE_HELP} to a profile of ~/.aws/credentials or ~/.aws/config "
        f"(`aws configure list-profiles` lists them), or leave both empty. {HOW_TO_CHECK}"
    )


def check_region(params: Mapping[str, Any]) -> None:
    """Raise :class:`ConnectionSetupError` when no region can be found, as boto3 would look for one (the module's
    ``region`` option, then the environment and the profile's configuration), or the profile does not exist."""
    if params.get("region") or boto3 is None:
        return
    try:
        region = boto3.session.Session(profile_name=params.get("profile") or None).region_name
    except ProfileNotFound as error:
        raise profile_not_found(error) from error
    if not region:
        raise missing_region()
