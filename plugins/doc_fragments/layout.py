# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options that place a network's subnet pairs: the VPC's CIDR, the zones and the subnet CIDRs.

Shared by the network module, which builds the network where these options put it, and the network_layout module,
which only plans it; both hand them to ``module_utils.network_layout.plan_network()``. Also ``option_prefix``, which
both use to name the role's variables in error messages.
"""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  vpc_cidr:
    description: CIDR of the VPC to create when there is none yet. Ignored when the VPC exists.
    type: str
    default: 10.0.0.0/16
  availability_zones:
    description: Zone names to use, in order. Overrides O(az_count).
    type: list
    elements: str
    default: []
  az_count:
    description: How many zones to use when O(availability_zones) is empty; zones are chosen by name, stably.
    type: int
    default: 2
  public_subnet_cidrs:
    description: Public subnet CIDRs, one per zone in zone order. Carved from the VPC when empty.
    type: list
    elements: str
    default: []
  private_subnet_cidrs:
    description: Private subnet CIDRs, one per zone in zone order. Carved from the VPC when empty.
    type: list
    elements: str
    default: []
  option_prefix:
    description:
      - Text put before option names in error messages, so a role reports its own variable names
        (for example C(fargate_network_) turns C(az_count) into C(fargate_network_az_count), and
        C(network_name) into C(fargate_network_name)).
    type: str
    default: ""
"""
