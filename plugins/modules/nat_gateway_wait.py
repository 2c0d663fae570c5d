#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: nat_gateway_wait
short_description: Wait a short while for NAT gateways to become available, and report their states
version_added: 1.0.0
description:
  - Polls the NAT gateways of O(nat_gateway_ids), with one DescribeNatGateways call per poll for all of them, until
    they are all V(available) or O(timeout) seconds have passed, and returns their states. It changes nothing.
  - A NAT gateway takes minutes to become available on AWS. Running this module in a loop with a short O(timeout),
    and printing its result after each run, shows a play's progress instead of minutes of silence; the
    C(cloudreactor.aws.fargate_network) role does so after M(cloudreactor.aws.network) with
    O(cloudreactor.aws.network#module:wait_for_nat_gateways=false).
  - Zonal and regional NAT gateways alike.
  - It fails at once when a NAT gateway is V(failed), with AWS's FailureCode and FailureMessage, or is being
    deleted; waiting longer cannot make it available.
  - Reaching O(timeout) is not a failure; RV(available) is then V(false).
author:
  - CloudReactor (@CloudReactor)
options:
  nat_gateway_ids:
    description: The NAT gateways to wait for.
    type: list
    elements: str
    required: true
  timeout:
    description:
      - The most seconds to wait before returning the states. V(0) describes the NAT gateways once.
    type: int
    default: 20
notes:
  - What this module leaves to the caller - everything but waiting. It replaces nothing and routes nothing. After a
    failure, run M(cloudreactor.aws.nat_gateway) (or M(cloudreactor.aws.network)) again to replace the failed NAT
    gateway, then M(cloudreactor.aws.route_table) for the tables in
    RV(cloudreactor.aws.nat_gateway#module:routes_to_replaced).
seealso:
  - module: cloudreactor.aws.nat_gateway
    description: Creates the NAT gateways this module waits for.
  - module: cloudreactor.aws.network
    description: Builds the whole network; the role waits for its NAT gateways with this module.
  - name: The cloudreactor.aws.fargate_network role
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/roles/fargate_network/README.md
    description: Builds, audits and publishes a Fargate network with the network module; its variables and outputs.
extends_documentation_fragment:
  - cloudreactor.aws.attributes
  - cloudreactor.aws.attributes.action_group
  - cloudreactor.aws.attributes.info_module
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Build the network without waiting for its NAT gateways
  cloudreactor.aws.network:
    network_name: batch
    wait_for_nat_gateways: false
  register: network

- name: Wait up to 20 seconds for them
  cloudreactor.aws.nat_gateway_wait:
    nat_gateway_ids: "{{ network.pending_nat_gateways | map(attribute='nat_gateway_id') }}"
    timeout: 20
  register: nat_wait
  when: network.pending_nat_gateways | length > 0

- name: Show their states
  ansible.builtin.debug:
    msg: "{{ nat_wait.nat_gateways | map(attribute='state') }}"
  when: nat_wait is not skipped
"""

RETURN = r"""
available:
  description: Whether every NAT gateway of O(nat_gateway_ids) is V(available).
  returned: always
  type: bool
nat_gateways:
  description: The NAT gateways as the last poll saw them, in the order of O(nat_gateway_ids).
  returned: always
  type: list
  elements: dict
  contains:
    nat_gateway_id:
      description: The NAT gateway.
      type: str
      sample: nat-0123456789abcdef0
    subnet_id:
      description: Its subnet (null for a regional NAT gateway, and while EC2 does not list a new NAT gateway yet).
      type: str
      sample: subnet-0123456789abcdef0
    state:
      description: Its state, V(pending) or V(available) (null while EC2 does not list a new NAT gateway yet).
      type: str
      sample: pending
"""

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.errors import reported_errors
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import ec2_client, network_module
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.ids import check_id_format
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.nat_lifecycle import wait_a_round

ARGUMENT_SPEC = dict(
    nat_gateway_ids=dict(type="list", elements="str", required=True),
    timeout=dict(type="int", default=20),
)


def main():
    module = network_module(ARGUMENT_SPEC)
    with reported_errors(module):
        nat_gateway_ids = module.params["nat_gateway_ids"]
        check_id_format("nat_gateway_ids", nat_gateway_ids, "nat")
        if not nat_gateway_ids:
            raise InvalidInput("nat_gateway_ids", "give at least one NAT gateway id")
        if module.params["timeout"] < 0:
            raise InvalidInput("timeout", "must be 0 or more seconds")
        available, states = wait_a_round(ec2_client(module), nat_gateway_ids, module.params["timeout"])
    module.exit_json(changed=False, available=available, nat_gateways=states)


if __name__ == "__main__":
    main()
