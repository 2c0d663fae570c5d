# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base every module of this collection uses: amazon.aws's AnsibleAWSModule and a retrying EC2 client.

Building on AnsibleAWSModule gives our modules the same connection options as amazon.aws's (region, profile,
``endpoint_url``, credentials...), so one ``module_defaults: group/cloudreactor.aws.aws`` block serves both.
"""

from __future__ import annotations

import typing

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.connection import check_region
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.creates import NO_RESEND_RETRY
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import AWS_RETRY

if typing.TYPE_CHECKING:
    from typing import Any, NoReturn, TypeAlias

    from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.read_cache import CachedReads


class NetworkModule(AnsibleAWSModule):
    """AnsibleAWSModule whose warnings reach Ansible once.

    amazon.aws 10 also copies warnings into the result for ansible-core 2.19, which already reports them and flags
    the copy as a deprecated way to warn; every warning of ours would come with that deprecation notice.
    ``_should_inject_warnings`` is private to amazon.aws: it is overridden only where amazon.aws defines it, so an
    amazon.aws without it is used exactly as it is.
    """

    if hasattr(AnsibleAWSModule, "_should_inject_warnings"):

        def _should_inject_warnings(self) -> bool:
            return False


def network_module(argument_spec: dict[str, Any], **kwargs: Any) -> NetworkModule:
    """A NetworkModule that supports check mode (every module of ours does)."""
    return NetworkModule(argument_spec=argument_spec, supports_check_mode=True, **kwargs)


class Ec2Client(RetryingBotoClientWrapper):
    """amazon.aws's retrying EC2 client, plus ``no_resend``: a second client that never sends a request twice.

    botocore resends a request whose connection dropped, whatever the call; for a create without a ClientToken
    that is a second resource when AWS had carried out the first request. :func:`creates.create_once` makes such
    calls through ``no_resend``. It is built on first use: a client loads the EC2 service model, and most runs
    create nothing.
    """

    def __init__(self, module: AnsibleAWSModule) -> None:
        # Checked first: amazon.aws's own message for a missing region names none of the role's variables.
        check_region(module.params)
        super().__init__(module.client("ec2"), AWS_RETRY)
        self._module = module
        self._no_resend: Any = None

    @property
    def no_resend(self) -> Any:
        """An EC2 client on which botocore retries nothing; ``aws_retry=True`` retries only AWS's refusals."""
        if self._no_resend is None:
            # botocore's ``max_attempts`` counts retries, not attempts, in legacy, standard and adaptive mode alike:
            # 0 sends each request once. (A new dict each time: botocore rewrites it in place.) It is passed as
            # ``aws_config``, not ``config``: amazon.aws merges the user's ``aws_config`` option last, so a ``retries``
            # there would turn botocore's resends back on. The user's other settings are kept.
            aws_config = dict(self._module.params.get("aws_config") or {}, retries={"max_attempts": 0})
            self._no_resend = self._module.client("ec2", retry_decorator=NO_RESEND_RETRY, aws_config=aws_config)
        return self._no_resend


if typing.TYPE_CHECKING:
    # What every EC2 call of ours goes through: the module's retrying client, or the run's model of the network
    # around it (a CachedReads). Their methods are botocore's, made when the client is: ``Any`` to a type checker.
    Client: TypeAlias = Ec2Client | CachedReads


def ec2_client(module: AnsibleAWSModule) -> Ec2Client:
    """An EC2 client whose calls retry throttling when made with ``aws_retry=True`` (see :class:`Ec2Client`)."""
    return Ec2Client(module)


def exit_with(module: AnsibleAWSModule, result: dict[str, Any]) -> NoReturn:
    """``exit_json`` with ``result``; its ``diff`` is returned only when Ansible runs with ``--diff``."""
    diff = result.pop("diff", None)
    if module._diff and diff is not None:
        result["diff"] = diff
    module.exit_json(**result)
