#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: nat_gateway
short_description: Ensure one public NAT gateway in each of a list of public subnets
version_added: 0.1.0
description:
  - Ensures a public NAT gateway in every subnet of O(subnet_ids), or removes the NAT gateways of a network.
  - A subnet that already has a V(pending) or V(available) public NAT gateway keeps it, whoever made it. A NAT
    gateway without this network's identity tags is used as it is and never modified or deleted.
  - A V(failed) NAT gateway of this network is deleted and replaced, and the result reports its FailureCode.
    A failed or deleted NAT gateway is never used.
  - Each new NAT gateway gets the Elastic IP given in O(allocation_ids); else an unassociated Elastic IP this
    module allocated earlier for the same subnet; else a newly allocated one, tagged as this network's. A run never
    allocates a new address while one of the network's addresses for that subnet is free.
  - CreateNatGateway is called with a ClientToken derived from the network, the subnet, the address and the NAT
    gateway being succeeded, so a retried or interrupted run cannot create a second NAT gateway.
  - All missing NAT gateways are created first, then awaited together (one DescribeNatGateways per poll for all of
    them); the run stops at once with the FailureCode when one fails.
  - Input is checked before anything changes, including that each subnet whose NAT gateway must be created routes
    0.0.0.0/0 to an internet gateway attached to its VPC (otherwise AWS fails the NAT with C(Gateway.NotAttached)).
  - Resources carry the identity tags C(cloudreactor:network), C(cloudreactor:component) (V(nat-gateway) or
    V(elastic-ip)) and C(cloudreactor:subnet); NAT gateways also C(cloudreactor:az).
author:
  - CloudReactor (@CloudReactor)
options:
  network_name:
    description:
      - Name of the network the NAT gateways belong to; the value of their C(cloudreactor:network) tag.
      - Also the prefix of their C(Name) tags, V(<network_name>-nat-<az>) and V(<network_name>-nat-eip-<az>).
    type: str
    required: true
  subnet_ids:
    description:
      - The public subnets that get one NAT gateway each, all in one VPC. Required when O(state=present).
      - With O(state=absent), only the NAT gateways (and Elastic IPs) of this network in these subnets are
        removed; without it, all of them.
    type: list
    elements: str
  allocation_ids:
    description:
      - Allocation ids of Elastic IPs to use for new NAT gateways, one per subnet, in the order of O(subnet_ids).
      - Each must exist and be unassociated when its NAT gateway has to be created.
      - These addresses are never released, also with O(state=absent).
    type: list
    elements: str
  state:
    description:
      - V(present) ensures the NAT gateways; V(absent) deletes this network's NAT gateways, waits until they are
        deleted, then releases every Elastic IP this module allocated for them.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait until every NAT gateway is V(available) (O(state=present)) or V(deleted) (O(state=absent)).
      - With O(state=absent) and O(wait=false), an Elastic IP still held by a NAT gateway being deleted is kept;
        a later run releases it.
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait in total.
    type: int
    default: 600
  tags:
    description:
      - Tags to set on the NAT gateways and the Elastic IPs this module owns. Tags are added or updated, never
        removed. The identity tags always win over tags of the same key.
      - A NAT gateway or Elastic IP without this network's identity tags is never tagged.
    type: dict
notes:
  - A NAT gateway's address cannot be changed. When a subnet keeps its NAT gateway, a different address given in
    O(allocation_ids) is reported in a warning and not used.
attributes:
  check_mode:
    support: full
    details:
      - The result describes what would be created, replaced or deleted.
  diff_mode:
    support: full
seealso:
  - module: cloudreactor.aws.nat_gateway_wait
    description: Waits for the NAT gateways in short rounds, reporting their states.
  - module: cloudreactor.aws.route_table
    description: Routes the private subnets' default route to a NAT gateway.
  - module: cloudreactor.aws.internet_gateway
    description: The internet gateway the public subnets need.
  - module: cloudreactor.aws.network
    description: Builds the whole network, NAT gateways and routes included.
  - name: The cloudreactor.aws.fargate_network role
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/roles/fargate_network/README.md
    description: Builds, audits and publishes a Fargate network with the network module; its variables and outputs.
extends_documentation_fragment:
  - cloudreactor.aws.attributes
  - cloudreactor.aws.attributes.action_group
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: One NAT gateway in each public subnet
  cloudreactor.aws.nat_gateway:
    network_name: prod
    subnet_ids:
      - subnet-0123456789abcdef0
      - subnet-0fedcba9876543210
    tags:
      team: data
  register: nat

- name: Keep the addresses across rebuilds by bringing them
  cloudreactor.aws.nat_gateway:
    network_name: prod
    subnet_ids: [subnet-0123456789abcdef0, subnet-0fedcba9876543210]
    allocation_ids: [eipalloc-0123456789abcdef0, eipalloc-0fedcba9876543210]

- name: Create without waiting for the NAT gateways to become available
  cloudreactor.aws.nat_gateway:
    network_name: prod
    subnet_ids: "{{ public_subnet_ids }}"
    wait: false

- name: Remove the network's NAT gateways and release the addresses it allocated
  cloudreactor.aws.nat_gateway:
    network_name: prod
    state: absent
"""

RETURN = r"""
nat_gateways:
  description:
    - With O(state=present), one entry per subnet in the order of O(subnet_ids).
    - With O(state=absent), one entry per NAT gateway of this network that was not already deleted.
    - In check mode, a NAT gateway that would be created has no id and no state yet.
  returned: always
  type: list
  elements: dict
  contains:
    subnet_id:
      description: The subnet.
      type: str
      sample: subnet-0123456789abcdef0
    availability_zone:
      description: The subnet's availability zone.
      type: str
      sample: us-east-1a
    nat_gateway_id:
      description: The NAT gateway serving the subnet (deleted, with O(state=absent)).
      type: str
      sample: nat-0123456789abcdef0
    state:
      description: The NAT gateway's state when the module returned.
      type: str
      sample: available
    allocation_id:
      description: The allocation id of the NAT gateway's Elastic IP.
      type: str
      sample: eipalloc-0123456789abcdef0
    public_ip:
      description: The NAT gateway's public address.
      type: str
      sample: 203.0.113.10
    allocation_source:
      description:
        - Where the address comes from. V(given) (O(allocation_ids)), V(reused) (a free address of this network),
          V(allocated) (allocated by this run), V(existing) (the address of a NAT gateway kept as it is).
        - V(null) with O(state=absent).
      type: str
      sample: reused
    action:
      description:
        - V(none) (our NAT gateway, nothing to do), V(updated) (our NAT gateway, tags updated),
          V(adopted) (a NAT gateway that is not ours, used unchanged), V(created), V(replaced) (a failed NAT
          gateway of ours was deleted and a new one created), V(deleted).
      type: str
      sample: created
    replaced_nat_gateway_id:
      description: With V(replaced), the failed NAT gateway that was deleted.
      type: str
      sample: nat-0fedcba9876543210
    failure_code:
      description: With V(replaced), the failed NAT gateway's FailureCode.
      type: str
      sample: Gateway.NotAttached
    failure_message:
      description: With V(replaced), the failed NAT gateway's FailureMessage.
      type: str
      sample: Network vpc-0123456789abcdef0 has no Internet gateway attached
  sample:
    - subnet_id: subnet-0123456789abcdef0
      availability_zone: us-east-1a
      nat_gateway_id: nat-0123456789abcdef0
      state: available
      allocation_id: eipalloc-0123456789abcdef0
      public_ip: 203.0.113.10
      allocation_source: allocated
      action: created
      replaced_nat_gateway_id: null
      failure_code: null
      failure_message: null
released_allocation_ids:
  description: With O(state=absent), the Elastic IPs of this network that were (in check mode, would be) released.
  returned: when O(state=absent)
  type: list
  elements: str
  sample: [eipalloc-0123456789abcdef0]
not_public_subnets:
  description: On failure, the subnets refused because their default route does not reach an internet gateway.
  returned: when a subnet is not public
  type: list
  elements: str
  sample: [subnet-0123456789abcdef0]
failure_code:
  description: On failure, the FailureCode of the NAT gateway that failed while the module waited for it.
  returned: when a NAT gateway failed while waiting
  type: str
  sample: Gateway.NotAttached
"""

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.errors import reported_errors
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import ec2_client, exit_with, network_module
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.nat_gateway import run


def main():
    argument_spec = dict(
        network_name=dict(type="str", required=True),
        subnet_ids=dict(type="list", elements="str"),
        allocation_ids=dict(type="list", elements="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
        tags=dict(type="dict"),
    )
    module = network_module(argument_spec, required_if=[("state", "present", ["subnet_ids"])])
    with reported_errors(module):
        result = run(ec2_client(module), module)
        exit_with(module, result)


if __name__ == "__main__":
    main()
