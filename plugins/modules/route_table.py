#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: route_table
short_description: One named route table of a network, with its default route repaired in place
version_added: 1.0.0
description:
  - Ensures one route table of a CloudReactor network, found by its identity tags (never by position), with an
    optional default route C(0.0.0.0/0) to an internet gateway or a NAT gateway, and explicit subnet associations.
  - The default route is checked, not only compared by target. A route in state C(blackhole), a route to a NAT
    gateway that is C(failed), C(deleting) or C(deleted) (even while AWS still reports the route C(active)), or a
    route to another target than the requested one is replaced in place with ReplaceRoute. The table keeps its id
    and its other routes, and each repair is reported in RV(actions) with its reason.
  - Routes the module does not manage are kept (the local routes, the C(pl-...) prefix list routes of gateway VPC
    endpoints, routes added by users) unless O(purge_routes) is set; prefix list routes are never removed.
  - A listed subnet associated with another route table is moved to this one with ReplaceRouteTableAssociation.
  - Every option is validated before the first change, the message naming the option.
  - With O(state=absent) every table of this network with this O(name) (duplicates included) has its associations
    removed, is taken off every gateway VPC endpoint that lists it (ModifyVpcEndpoint, the network's or not), and is
    deleted. A table without the identity tags is never changed.
author:
  - CloudReactor (@CloudReactor)
options:
  vpc_id:
    description:
      - The VPC of the route table, for example C(vpc-0123456789abcdef0).
      - With O(state=present) the VPC must exist. With O(state=absent) a VPC that no longer exists is not an error.
    type: str
    required: true
  network_name:
    description:
      - The name of the network; the value of the C(cloudreactor:network) identity tag.
    type: str
    required: true
  name:
    description:
      - The name of the table within the network, for example V(public) or V(private-us-east-1a); the value of the
        C(cloudreactor:table) identity tag.
      - The table is named C(<network_name>-<name>).
    type: str
    required: true
  state:
    description:
      - V(present) ensures the table, its default route and its associations; V(absent) deletes the table.
    type: str
    choices: [present, absent]
    default: present
  internet_gateway_id:
    description:
      - Send the default route C(0.0.0.0/0) to this internet gateway (a public table).
      - The gateway must exist and be attached to O(vpc_id).
      - Mutually exclusive with O(nat_gateway_id). When neither is given, the default route is not managed.
    type: str
  nat_gateway_id:
    description:
      - Send the default route C(0.0.0.0/0) to this NAT gateway (a private table).
      - The NAT gateway must exist in O(vpc_id) and not be C(failed), C(deleting) or C(deleted); C(pending) is
        accepted.
      - Mutually exclusive with O(internet_gateway_id).
    type: str
  subnet_ids:
    description:
      - Subnets to associate explicitly with this table. Each must exist in O(vpc_id).
      - A subnet associated with another table is moved to this one.
    type: list
    elements: str
    default: []
  purge_subnets:
    description:
      - Remove the associations of subnets that are not in O(subnet_ids). With an empty O(subnet_ids) this removes
        every subnet association of the table.
    type: bool
    default: false
  purge_routes:
    description:
      - Delete the routes of the table other than the local routes, propagated routes, prefix list (C(pl-...))
        routes and the default route this module manages.
      - When neither O(internet_gateway_id) nor O(nat_gateway_id) is given, an existing default route counts as
        one to delete.
    type: bool
    default: false
notes:
  - What this module leaves to the caller - the target itself (it never creates, repairs or replaces an internet
    or NAT gateway; a missing, detached or dead target is refused, so replace a failed NAT gateway with
    M(cloudreactor.aws.nat_gateway) first, whose RV(cloudreactor.aws.nat_gateway#module:routes_to_replaced) lists
    the tables to run this module on); routes other than the default route (kept, or deleted with
    O(purge_routes)); tables without this network's identity tags (never changed, even when they route to the same
    dead target).
  - AWS keeps a deleted NAT gateway for about an hour; during that time a route to it may still be reported
    C(active). The module reads the NAT gateway's own state, so such a route is repaired too.
  - Several tables with the identity tags of one O(name) (left by runs that raced, or by an older release) are
    duplicates. The module keeps the one already associated with the most of O(subnet_ids) (the lowest id among
    equals), moves the listed subnets to it, takes each other one off the network's S3 gateway endpoint and deletes
    it, each step in RV(actions) (C(deleted duplicate route table rtb-...)). A duplicate that holds anything else
    (the VPC's main association, a gateway, a subnet not in O(subnet_ids), another VPC endpoint) makes the module
    fail before any change, naming every duplicate and what holds it. cloudreactor.aws.network_check reports
    duplicates as C(NETWORK_DUPLICATE_ROUTE_TABLES).
attributes:
  check_mode:
    support: full
    details:
      - Reports the actions a real run would take.
  diff_mode:
    support: full
    details:
      - Shows the table's routes and associated subnets before and after.
seealso:
  - module: cloudreactor.aws.nat_gateway
    description: The NAT gateways the private tables route to.
  - module: cloudreactor.aws.internet_gateway
    description: The internet gateway the public table routes to.
  - module: cloudreactor.aws.network
    description: Builds the whole network, its route tables included.
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
- name: Public table, default route to the internet gateway
  cloudreactor.aws.route_table:
    vpc_id: "{{ vpc.vpc_id }}"
    network_name: tasks-prod
    name: public
    internet_gateway_id: "{{ igw.internet_gateway_id }}"
    subnet_ids: "{{ public_subnet_ids }}"

- name: Private table of one zone, default route to that zone's NAT gateway (repaired if it went dead)
  cloudreactor.aws.route_table:
    vpc_id: "{{ vpc.vpc_id }}"
    network_name: tasks-prod
    name: private-us-east-1a
    nat_gateway_id: "{{ nat_a.nat_gateway_id }}"
    subnet_ids:
      - "{{ private_subnet_a }}"
    purge_subnets: true
  register: private_a

- name: Show what was repaired
  ansible.builtin.debug:
    var: private_a.actions

- name: Delete the table
  cloudreactor.aws.route_table:
    vpc_id: "{{ vpc.vpc_id }}"
    network_name: tasks-prod
    name: private-us-east-1a
    state: absent
"""

RETURN = r"""
route_table_id:
  description:
    - The id of the table. V(null) in check mode when the table would be created, and after O(state=absent) when
      there was no table.
  returned: always
  type: str
  sample: rtb-0123456789abcdef0
routes:
  description: The table's routes after the run (empty after O(state=absent)).
  returned: always
  type: list
  elements: dict
  contains:
    destination:
      description: The destination CIDR, or the prefix list id of a gateway endpoint route.
      type: str
      sample: 0.0.0.0/0
    target:
      description: The route's target (an internet gateway, NAT gateway, endpoint... id, or C(local)).
      type: str
      sample: nat-0123456789abcdef0
    state:
      description: The route's state, C(active) or C(blackhole).
      type: str
      sample: active
associations:
  description:
    - The table's explicit subnet associations after the run, subnet id to association id.
    - In check mode an association that would be made has a V(null) id.
  returned: always
  type: dict
  sample: {"subnet-0123456789abcdef0": "rtbassoc-0123456789abcdef0"}
actions:
  description: What the module changed (in check mode, what it would change), one sentence each.
  returned: always
  type: list
  elements: str
  sample:
    - "replaced default route 0.0.0.0/0: nat-0a1b2c3d (NAT gateway nat-0a1b2c3d deleted) -> nat-4e5f6a7b"
    - "moved subnet-0123456789abcdef0 from rtb-0fedcba9876543210"
"""

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.errors import reported_errors
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import ec2_client, exit_with, network_module
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import route_table
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import module_scope


def main():
    argument_spec = dict(
        vpc_id=dict(type="str", required=True),
        network_name=dict(type="str", required=True),
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        internet_gateway_id=dict(type="str"),
        nat_gateway_id=dict(type="str"),
        subnet_ids=dict(type="list", elements="str", default=[]),
        purge_subnets=dict(type="bool", default=False),
        purge_routes=dict(type="bool", default=False),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
    )
    module = network_module(argument_spec, mutually_exclusive=[("internet_gateway_id", "nat_gateway_id")])
    with reported_errors(module):
        table = route_table.desired(module.params)
        outcome = route_table.reconcile(module_scope(module, ec2_client(module)), table, module.params["state"])
        exit_with(module, outcome.result(actions=outcome.actions))


if __name__ == "__main__":
    main()
