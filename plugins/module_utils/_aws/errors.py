# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one path by which a module reports failure.

Helpers raise; modules never call ``fail_json`` themselves. ``main()`` wraps its work in
:func:`reported_errors`, which turns our own errors and AWS's into one shape of failure message.
"""

from contextlib import contextmanager

try:
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
except ImportError:  # AnsibleAWSModule reports the missing dependency itself
    BotoCoreError = ClientError = NoCredentialsError = ()

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.connection import (
    ConnectionSetupError,
    missing_credentials,
)


class NetworkError(Exception):
    """A failure we can explain: what is wrong and what to do. ``details`` go into the module result."""

    def __init__(self, message, **details):
        super().__init__(message)
        self.details = details


class InvalidInput(NetworkError):
    """An option's value cannot work. Raised before the first mutating call; the message names the option."""

    def __init__(self, option, message, **details):
        super().__init__(f"{option}: {message}", invalid_option=option, **details)
        self.option = option
        self.reason = message

    def with_prefix(self, prefix, renamed=None):
        """The same error reported against ``prefix + option`` (a role's variable name, e.g. ``fargate_network_``);
        ``renamed`` maps options whose variable is not ``prefix + option`` to the name after the prefix."""
        name = (renamed or {}).get(self.option, self.option)
        return InvalidInput(
            prefix + name, self.reason, **{k: v for k, v in self.details.items() if k != "invalid_option"}
        )


class ResourceFailed(NetworkError):
    """AWS reports a resource we depend on in a failed state (for example a NAT gateway's FailureCode)."""


class WaitTimeout(NetworkError):
    """A resource did not reach the state we need within the allowed time."""


def describe_failed_call(error):
    """A prefix naming the AWS operation that failed, e.g. ``EC2 CreateNatGateway failed``."""
    operation = getattr(error, "operation_name", None)
    return f"EC2 {operation} failed" if operation else "AWS request failed"


@contextmanager
def reported_errors(module):
    """Report any error raised inside the block as this module's failure (and never return normally after it)."""
    try:
        yield
    except NetworkError as error:
        module.fail_json(msg=str(error), **error.details)
    except ConnectionSetupError as error:
        module.fail_json(msg=str(error))
    except NoCredentialsError:
        # boto3 finds no credentials only when it signs the first request.
        module.fail_json(msg=str(missing_credentials()))
    except (BotoCoreError, ClientError) as error:
        module.fail_json_aws(error, msg=describe_failed_call(error))
