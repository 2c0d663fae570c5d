# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base every module of this collection uses: amazon.aws's AnsibleAWSModule and a retrying EC2 client.

Building on AnsibleAWSModule gives our modules the same connection options as amazon.aws's (region, profile,
``endpoint_url``, credentials...), so one ``module_defaults: group/cloudreactor.aws.aws`` block serves both.
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudreactor.aws.plugins.module_utils.retries import AWS_RETRY


class NetworkModule(AnsibleAWSModule):
    """AnsibleAWSModule whose warnings reach Ansible once.

    amazon.aws 10 also copies warnings into the result for ansible-core 2.19, which already reports them and flags
    the copy as a deprecated way to warn; every warning of ours would come with that deprecation notice.
    """

    def _should_inject_warnings(self):
        return False


def network_module(argument_spec, **kwargs):
    """A NetworkModule that supports check mode (every module of ours does)."""
    return NetworkModule(argument_spec=argument_spec, supports_check_mode=True, **kwargs)


def ec2_client(module):
    """An EC2 client whose calls retry throttling when made with ``aws_retry=True``."""
    return module.client("ec2", retry_decorator=AWS_RETRY)


def exit_with(module, result):
    """``exit_json`` with ``result``; its ``diff`` is returned only when Ansible runs with ``--diff``."""
    diff = result.pop("diff", None)
    if module._diff and diff is not None:
        result["diff"] = diff
    module.exit_json(**result)
