#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: internet_gateway
short_description: Give a VPC exactly one internet gateway, without duplicating or touching someone else's
version_added: 1.0.0
description:
  - Makes sure the VPC of a CloudReactor network has one internet gateway attached, the way out to the internet for
    public subnets and for the NAT gateways of private subnets.
  - When an internet gateway is already attached to the VPC it is used as it is, whoever created it. A gateway
    without this network's identity tags is never tagged, detached or deleted.
  - When none is attached, a detached gateway that carries this network's identity tags (for example left by an
    interrupted run) is attached again instead of creating a second one. Otherwise a gateway is created with its
    tags and attached.
  - Once the VPC has its gateway, the other gateways with this network's identity tags that are attached to no VPC
    are deleted and listed in RV(deleted_internet_gateway_ids). A VPC takes only one gateway, so they are
    duplicates, for example left by runs that raced before the network's claim existed.
  - A gateway with this network's identity tags that is attached to another VPC is left alone.
  - With O(state=absent), the gateway attached to the VPC is detached and deleted only when it is this network's,
    together with any detached gateways of this network.
author:
  - CloudReactor (@CloudReactor)
options:
  vpc_id:
    description:
      - The VPC the internet gateway is attached to, for example C(vpc-0123456789abcdef0).
      - With O(state=present) the VPC must exist. With O(state=absent) a VPC that no longer exists is not an error.
    type: str
    required: true
  network_name:
    description:
      - The name of the network; the value of the C(cloudreactor:network) identity tag.
      - The gateway this module creates is named C(<network_name>-igw).
    type: str
    required: true
  state:
    description:
      - V(present) ensures one internet gateway is attached to the VPC; V(absent) removes this network's gateway.
    type: str
    choices: [present, absent]
    default: present
notes:
  - What this module leaves to the caller - routing. It adds no route; the public subnets need a default route to
    the gateway (M(cloudreactor.aws.route_table) with O(cloudreactor.aws.route_table#module:internet_gateway_id)).
    When it creates a gateway because this network's was deleted, routes to the deleted one stay blackholes until
    M(cloudreactor.aws.route_table) points them at the new RV(internet_gateway_id);
    M(cloudreactor.aws.network_check) lists them. With O(state=absent), routes to the deleted gateway are left as
    blackholes (remove them, or their tables, with M(cloudreactor.aws.route_table)).
  - Detaching fails while the VPC still has public addresses mapped (NAT gateways, Elastic IPs); remove those first.
attributes:
  check_mode:
    support: full
    details:
      - Reports what would change.
  diff_mode:
    support: full
    details:
      - Shows the gateway attached to the VPC before and after, and the duplicates deleted
        (C(duplicate_internet_gateway_ids)).
seealso:
  - module: cloudreactor.aws.route_table
    description: Routes a table's default route to this gateway.
  - module: cloudreactor.aws.nat_gateway
    description: NAT gateways in public subnets, which need this gateway.
  - module: cloudreactor.aws.network
    description: Builds the whole network, this gateway included.
  - name: The cloudreactor.aws.fargate_network role
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/roles/fargate_network/README.md
    description: Builds, audits and publishes a Fargate network with the network module; its variables and outputs.
extends_documentation_fragment:
  - cloudreactor.aws.attributes
  - cloudreactor.aws.tags
  - cloudreactor.aws.attributes.action_group
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Give the VPC its internet gateway
  cloudreactor.aws.internet_gateway:
    vpc_id: "{{ vpc.vpc_id }}"
    network_name: tasks-prod
    tags:
      team: platform
  register: igw

- name: Remove the network's internet gateway (a gateway someone else attached stays)
  cloudreactor.aws.internet_gateway:
    vpc_id: "{{ vpc.vpc_id }}"
    network_name: tasks-prod
    state: absent
"""

RETURN = r"""
internet_gateway_id:
  description:
    - The internet gateway attached to the VPC after the run.
    - V(null) when none is (after O(state=absent)), or in check mode when the gateway would be created.
  returned: always
  type: str
  sample: igw-0123456789abcdef0
action:
  description:
    - What the module did.
    - V(created) created a gateway and attached it. V(attached) attached a detached gateway of this network.
      V(adopted) found a gateway that is not this network's attached to the VPC and used it untouched.
      V(tagged) found this network's gateway attached and updated its tags. V(deleted) detached and deleted
      this network's gateways. V(none) nothing to do.
    - With O(state=present) it says what happened to the gateway attached to the VPC; duplicates deleted beside it
      are in RV(deleted_internet_gateway_ids).
  returned: always
  type: str
  sample: created
deleted_internet_gateway_ids:
  description:
    - The gateways deleted (or, in check mode, that would be deleted).
    - With O(state=present), this network's detached gateways other than the one attached to the VPC.
  returned: always
  type: list
  elements: str
  sample: [igw-0123456789abcdef0]
"""

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.errors import reported_errors
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import ec2_client, exit_with, network_module
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import internet_gateway
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import module_scope


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        network_name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
    )
    module = network_module(argument_spec)
    with reported_errors(module):
        internet_gateway.check_options(module.params)
        outcome = internet_gateway.reconcile(module_scope(module, ec2_client(module)), module.params["state"])
        exit_with(module, outcome.result())


if __name__ == "__main__":
    main()
