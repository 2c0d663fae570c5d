# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one path by which a module that calls AWS reports failure: our own errors (``_common.errors``) and AWS's in
one shape of failure message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

try:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
except ImportError:  # AnsibleAWSModule reports the missing dependency itself
    BotoCoreError = ClientError = NoCredentialsError = ()

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.connection import (
    ConnectionSetupError,
    missing_credentials,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._common import errors as common_errors


def describe_failed_call(error: Exception) -> str:
    """A prefix naming the AWS operation that failed, e.g. ``EC2 CreateNatGateway failed``."""
    operation = getattr(error, "operation_name", None)
    return f"EC2 {operation} failed" if operation else "AWS request failed"


@contextmanager
def reported_errors(module: Any) -> Iterator[None]:
    """Report any error raised inside the block as this module's failure (and never return normally after it)."""
    try:
        with common_errors.reported_errors(module):
            yield
    except ConnectionSetupError as error:
        module.fail_json(msg=str(error))
    except NoCredentialsError:
        # boto3 finds no credentials only when it signs the first request.
        module.fail_json(msg=str(missing_credentials()))
    except (BotoCoreError, ClientError) as error:
        module.fail_json_aws(error, msg=describe_failed_call(error))
