#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: nat_gateway
short_description: Ensure one public NAT gateway in each of a list of public subnets
version_added: 1.0.0
description:
  - Ensures a public NAT gateway in every subnet of O(subnet_ids), or removes the NAT gateways of a network.
  - A subnet that already has a V(pending) or V(available) public NAT gateway keeps it, whoever made it. A NAT
    gateway without this network's identity tags is used as it is and never modified or deleted.
  - A V(failed) NAT gateway of this network is deleted and replaced, and the result reports its FailureCode.
    A failed or deleted NAT gateway is never used.
  - This module does not route. Routes that still send traffic to a failed or deleted NAT gateway of this network
    in one of the subnets are listed in RV(routes_to_replaced), with the NAT gateway now serving that subnet; run
    M(cloudreactor.aws.route_table) next with that O(cloudreactor.aws.route_table#module:nat_gateway_id) (or let
    M(cloudreactor.aws.network) do both).
  - Each new NAT gateway gets the Elastic IP given in O(allocation_ids); else an unassociated Elastic IP this
    module allocated earlier for the same subnet; else a newly allocated one, tagged as this network's. A run never
    allocates a new address while one of the network's addresses for that subnet is free. This module releases no
    free address with O(state=present) (it warns about the spare ones of a subnet); M(cloudreactor.aws.network)
    releases the network's free addresses once its NAT gateways are reconciled.
  - CreateNatGateway is called with a ClientToken derived from the network, the subnet, the address and the NAT
    gateway being succeeded, so a retried or interrupted run cannot create a second NAT gateway.
  - All missing NAT gateways are created first, then awaited together (one DescribeNatGateways per poll for all of
    them); the run stops at once with the FailureCode when one fails.
  - Input is checked before anything changes, including that each subnet whose NAT gateway must be created routes
    0.0.0.0/0 to an internet gateway attached to its VPC (otherwise AWS fails the NAT with C(Gateway.NotAttached)).
  - Resources carry the identity tags C(cloudreactor:network), C(cloudreactor:component) (V(nat-gateway) or
    V(elastic-ip)) and C(cloudreactor:subnet); NAT gateways also C(cloudreactor:az).
  - With O(availability_mode=regional), the one regional NAT gateway of the VPC O(vpc_id) instead, in no subnet
    (tagged C(cloudreactor:mode=regional)). A V(pending) or V(available) regional NAT gateway of the VPC is kept,
    whoever made it (one that is not this network's is never modified); a V(failed) one of this network is replaced.
    Without O(allocation_ids) it is created in automatic mode, where AWS gives it addresses in the zones where
    workloads run; with them, in manual mode over O(availability_zones). It needs an internet gateway attached to
    the VPC, and no public subnet. Its addresses are never released (AWS owns automatic mode's, manual mode's are
    the user's).
author:
  - CloudReactor (@CloudReactor)
options:
  network_name:
    description:
      - Name of the network the NAT gateways belong to; the value of their C(cloudreactor:network) tag.
      - Also the prefix of their C(Name) tags, V(<network_name>-nat-<az>) and V(<network_name>-nat-eip-<az>).
    type: str
    required: true
  availability_mode:
    description:
      - V(zonal) - one NAT gateway in each subnet of O(subnet_ids).
      - V(regional) - one regional NAT gateway for the VPC O(vpc_id).
    type: str
    choices: [zonal, regional]
    default: zonal
  vpc_id:
    description:
      - With O(availability_mode=regional), the VPC of the regional NAT gateway. Required when O(state=present);
        with O(state=absent) it limits the removal to that VPC.
    type: str
  availability_zones:
    description:
      - With O(availability_mode=regional) and O(allocation_ids), the zones the addresses are for, in order.
        O(allocation_ids) are split over them evenly, zone by zone - with zones a and b, two ids give one to each,
        four ids give the first two to a and the last two to b; another count is refused before anything changes.
    type: list
    elements: str
  subnet_ids:
    description:
      - The public subnets that get one NAT gateway each, all in one VPC. Required when O(state=present) with
        O(availability_mode=zonal); not with O(availability_mode=regional).
      - With O(state=absent), only the NAT gateways (and Elastic IPs) of this network in these subnets are
        removed; without it, all of them.
    type: list
    elements: str
  allocation_ids:
    description:
      - Allocation ids of Elastic IPs to use for new NAT gateways, one per subnet, in the order of O(subnet_ids).
      - With O(availability_mode=regional), the addresses of a new regional NAT gateway (manual mode), split over
        O(availability_zones).
      - Each must exist and be unassociated when its NAT gateway has to be created.
      - These addresses are never released, also with O(state=absent).
    type: list
    elements: str
  state:
    description:
      - V(present) ensures the NAT gateways; V(absent) deletes this network's NAT gateways, waits until they are
        deleted, then releases every Elastic IP this module allocated in these subnets (theirs, and free ones). One
        that AWS no longer lets it release (something was associated with it meanwhile) is kept, with a warning.
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
notes:
  - What this module leaves to the caller - the private route tables (see RV(routes_to_replaced)); with
    O(state=absent), the routes to the deleted NAT gateways, which become blackholes (delete them, or the tables,
    with M(cloudreactor.aws.route_table)); the internet gateway and the public route that a new NAT gateway's
    subnet needs (M(cloudreactor.aws.internet_gateway), M(cloudreactor.aws.route_table)).
  - Routes are reported rather than moved because a route table may not be this network's, and the collection
    never changes what it did not build; RV(routes_to_replaced[].ours) tells them apart.
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
  - cloudreactor.aws.tags
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

- name: One regional NAT gateway for the VPC, in automatic mode
  cloudreactor.aws.nat_gateway:
    network_name: prod
    availability_mode: regional
    vpc_id: vpc-0123456789abcdef0

- name: A regional NAT gateway with our own address in each of two zones (manual mode)
  cloudreactor.aws.nat_gateway:
    network_name: prod
    availability_mode: regional
    vpc_id: vpc-0123456789abcdef0
    availability_zones: [us-east-1a, us-east-1b]
    allocation_ids: [eipalloc-0123456789abcdef0, eipalloc-0fedcba9876543210]

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
    - With O(availability_mode=regional), one entry, for the regional NAT gateway (no subnet, no zone).
    - In check mode, a NAT gateway that would be created has no id and no state yet.
  returned: always
  type: list
  elements: dict
  contains:
    subnet_id:
      description: The subnet (null for a regional NAT gateway).
      type: str
      sample: subnet-0123456789abcdef0
    availability_zone:
      description: The subnet's availability zone (null for a regional NAT gateway).
      type: str
      sample: us-east-1a
    availability_mode:
      description: V(regional).
      type: str
      returned: with O(availability_mode=regional)
      sample: regional
    addresses:
      description:
        - The regional NAT gateway's addresses with their zones (in automatic mode, those AWS gave it so far; in
          check mode, the given ones it would be created with).
      type: list
      elements: dict
      returned: with O(availability_mode=regional)
      sample:
        - availability_zone: us-east-1a
          allocation_id: eipalloc-0123456789abcdef0
          public_ip: 203.0.113.10
    route_table_id:
      description: The regional NAT gateway's own route table (0.0.0.0/0 to the internet gateway), made by AWS.
      type: str
      returned: with O(availability_mode=regional)
      sample: rtb-0123456789abcdef0
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
          V(allocated) (allocated by this run), V(existing) (the address of a NAT gateway kept as it is),
          V(automatic) (a new regional NAT gateway in automatic mode, whose addresses AWS provides).
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
routes_to_replaced:
  description:
    - With O(state=present), each route in the VPC whose target is still a failed or deleted NAT gateway of this
      network in one of O(subnet_ids) (one this run replaced, or an earlier run). Empty when every route is right.
    - Point each at RV(routes_to_replaced[].nat_gateway_id) with M(cloudreactor.aws.route_table) (tables of this
      network), or with your own tooling (the others).
    - AWS lists a deleted NAT gateway for about an hour; a route to one it no longer lists is not reported here
      (M(cloudreactor.aws.network_check) reports it).
  returned: when O(state=present)
  type: list
  elements: dict
  contains:
    route_table_id:
      description: The route table.
      type: str
      sample: rtb-0123456789abcdef0
    destination:
      description: The route's destination (CIDR or prefix list).
      type: str
      sample: 0.0.0.0/0
    replaced_nat_gateway_id:
      description: The failed or deleted NAT gateway the route still targets.
      type: str
      sample: nat-0fedcba9876543210
    nat_gateway_id:
      description: The NAT gateway now serving that subnet (V(null) in check mode when it would be created).
      type: str
      sample: nat-0123456789abcdef0
    subnet_id:
      description: The subnet of both NAT gateways.
      type: str
      sample: subnet-0123456789abcdef0
    ours:
      description: Whether the route table carries this network's identity tags (M(cloudreactor.aws.route_table)
        manages it).
      type: bool
      sample: true
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
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources import nat_gateway, regional_nat_gateway
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.scope import module_scope


def main():
    argument_spec = dict(
        network_name=dict(type="str", required=True),
        availability_mode=dict(type="str", default="zonal", choices=["zonal", "regional"]),
        vpc_id=dict(type="str"),
        availability_zones=dict(type="list", elements="str"),
        subnet_ids=dict(type="list", elements="str"),
        allocation_ids=dict(type="list", elements="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
        tags=dict(type="dict"),
        purge_tags=dict(type="bool", default=True),
    )
    module = network_module(argument_spec)
    with reported_errors(module):
        regional = module.params["availability_mode"] == "regional"
        resource = regional_nat_gateway if regional else nat_gateway
        desired = resource.desired(module.params)
        outcome = resource.reconcile(module_scope(module, ec2_client(module)), desired, module.params["state"])
        exit_with(module, outcome.result())


if __name__ == "__main__":
    main()
