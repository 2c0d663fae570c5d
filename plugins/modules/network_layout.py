#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: network_layout
short_description: Plan where a Fargate network's subnet pairs go (zones and CIDRs), without changing anything
version_added: 1.0.0
description:
  - Chooses the availability zones and the public/private subnet CIDRs of a network built by the
    C(cloudreactor.aws.fargate_network) role. Read-only, it makes describe calls only and never reports a change.
  - Zones are chosen by name and stay stable across runs; a zone that already holds this network's subnets keeps
    them and their CIDRs, and a new zone takes free address space, so growing a network never moves a subnet.
  - On a /16 VPC the default CIDRs follow the CloudReactor setup wizard's layout (public C(x.y.(32*i).0/20), private
    C(x.y.(32*i+16).0/20)); other VPC sizes are split into sixteen equal slots the same way.
  - Every input that can be checked without AWS is checked before the first AWS call.
author:
  - CloudReactor (@CloudReactor)
options:
  network_name:
    description: Name of the network. Its resources carry the tag C(cloudreactor:network=<network_name>).
    type: str
    required: true
  vpc_id:
    description:
      - An existing VPC to build in. Without it, the VPC tagged as this network's is used when it exists.
    type: str
  private_subnets:
    description: Whether the network has private subnets (it has none when tasks run in public subnets).
    type: bool
    default: true
seealso:
  - module: cloudreactor.aws.network
    description: Builds the network where this module plans it.
  - name: The cloudreactor.aws.fargate_network role
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/roles/fargate_network/README.md
    description: Builds, audits and publishes a Fargate network with the network module; its variables and outputs.
extends_documentation_fragment:
  - cloudreactor.aws.attributes
  - cloudreactor.aws.layout
  - cloudreactor.aws.attributes.action_group
  - cloudreactor.aws.attributes.info_module
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Plan a 3-zone network in a new /16 VPC
  cloudreactor.aws.network_layout:
    network_name: tasks-prod
    az_count: 3
  register: layout

- name: Plan inside an existing VPC with explicit CIDRs
  cloudreactor.aws.network_layout:
    network_name: tasks-prod
    vpc_id: vpc-0123456789abcdef0
    availability_zones: [us-east-1a, us-east-1b]
    public_subnet_cidrs: [10.20.0.0/24, 10.20.1.0/24]
    private_subnet_cidrs: [10.20.10.0/24, 10.20.11.0/24]
"""

RETURN = r"""
vpc_id:
  description: The VPC to build in; null when it does not exist yet.
  returned: always
  type: str
  sample: vpc-0123456789abcdef0
vpc_cidr:
  description: The VPC's CIDR (the existing VPC's, or O(vpc_cidr)).
  returned: always
  type: str
  sample: 10.0.0.0/16
availability_zones:
  description: The chosen zones, in order.
  returned: always
  type: list
  elements: str
  sample: [us-east-1a, us-east-1b]
subnets:
  description: One entry per zone with the planned CIDRs and the ids of this network's subnets already there.
  returned: always
  type: list
  elements: dict
  contains:
    zone:
      description: Availability zone name.
      type: str
      sample: us-east-1a
    public_cidr:
      description: CIDR of the zone's public subnet.
      type: str
      sample: 10.0.0.0/20
    private_cidr:
      description: CIDR of the zone's private subnet; null without private subnets.
      type: str
      sample: 10.0.16.0/20
    public_subnet_id:
      description: The existing public subnet of this network in the zone, or null.
      type: str
    private_subnet_id:
      description: The existing private subnet of this network in the zone, or null.
      type: str
"""

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.errors import reported_errors
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import ec2_client, network_module
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.layout import check_static
from ansible_collections.cloudreactor.aws.plugins.module_utils._network.network_layout import plan_network

ARGUMENT_SPEC = dict(
    network_name=dict(type="str", required=True),
    vpc_id=dict(type="str"),
    vpc_cidr=dict(type="str", default="10.0.0.0/16"),
    availability_zones=dict(type="list", elements="str", default=[]),
    az_count=dict(type="int", default=2),
    public_subnet_cidrs=dict(type="list", elements="str", default=[]),
    private_subnet_cidrs=dict(type="list", elements="str", default=[]),
    private_subnets=dict(type="bool", default=True),
    option_prefix=dict(type="str", default=""),
)


def plan(module):
    params = module.params
    zone_count = len(params["availability_zones"]) or params["az_count"]
    check_static(
        None if params["vpc_id"] else params["vpc_cidr"],
        params["public_subnet_cidrs"],
        params["private_subnet_cidrs"] if params["private_subnets"] else [],
        zone_count,
    )
    return plan_network(ec2_client(module), params)


def main():
    module = network_module(ARGUMENT_SPEC)
    with reported_errors(module):
        try:
            result = plan(module)
        except InvalidInput as error:
            raise error.with_prefix(module.params["option_prefix"]) from error
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
