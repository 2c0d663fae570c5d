#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: network
short_description: Build, repair and audit the whole network ECS Fargate tasks need, in one task
version_added: 1.0.0
description:
  - Ensures a Fargate network in one call, in dependency order - the VPC (DNS support and hostnames on), a public and
    a private subnet per availability zone, an internet gateway, the public route table, NAT gateways with Elastic
    IPs, one private route table per zone, an S3 gateway endpoint on the route tables, the tasks' security group
    (all outbound TCP, inbound only as given) - and then audits the result with the checks of
    M(cloudreactor.aws.network_check).
  - This is what the C(cloudreactor.aws.fargate_network) role runs. The network is read once, and every step reuses
    that reading until something changes, so a run that has nothing to do makes twelve describe calls and no
    other call.
  - Every resource it creates carries the identity tags C(cloudreactor:network=<network_name>) and
    C(cloudreactor:component); that is how later runs find them. It adopts what is healthy, repairs what is broken
    (dead routes, failed or deleted NAT gateways, a detached internet gateway, subnets moved to another route
    table, revoked egress), and never changes what it did not build - an adopted VPC (O(vpc_id)) is read, not
    modified, and route tables, subnets and security groups of others are left alone.
  - Adding a zone adds a subnet pair (and its NAT gateway) and never replaces an existing subnet, NAT gateway or
    Elastic IP. Switching O(nat_gateways) between V(per_az), V(single), V(regional) and V(none) changes only what it
    must, and never leaves a private subnet without egress on the way - new NAT gateways are created and waited
    for, each private default route that works is moved with ReplaceRoute once its new NAT gateway is available,
    and only then are the NAT gateways no longer used deleted and the addresses this collection allocated for them
    released. A private route table with no working default route (a first build, a route to a dead NAT gateway)
    points at its new NAT gateway at once. Switching to V(none) deletes the NAT gateways; the private subnets and
    their route tables stay (their default routes then go nowhere) for a switch back.
  - An Elastic IP this collection allocated for the network (tagged C(cloudreactor:component=elastic-ip) and
    C(cloudreactor:subnet)) that serves nothing - left by runs that raced, by a run that crashed between allocating
    it and creating its NAT gateway, or by an older release - is reused by a new NAT gateway of its subnet first;
    once the NAT gateways are reconciled, the ones still free (associated with nothing, held by no NAT gateway of
    the VPC that has not failed or been deleted) are released, each named in a change line ("released free Elastic
    IP 203.0.113.10 (eipalloc-...)"). A run that leaves a NAT gateway pending
    (O(wait_for_nat_gateways=false)) leaves that to the run that waits for it. Addresses given in
    O(nat_allocation_ids), and addresses without the network's identity tags, are never released; to keep one of the
    network's for its IP, remove its C(cloudreactor:network) tag. An address AWS no longer lets the run release
    (something took it meanwhile) is kept with a warning.
  - Every input that can be checked without AWS is checked before the first call; error messages name the option.
  - Runs that change one network never overlap - a run that has something to change holds the network's claim (an
    EC2 key pair named C(cloudreactor-aws-claim-<network_name>), which AWS lets only one run create) while it
    changes it, waiting up to O(claim_timeout) while another run holds it; a run with nothing to change, and check
    mode, never claim. A crashed run's claim is taken over once its O(claim_lease) has run out. Duplicates left by
    runs that raced before the claim existed (a second VPC of the network, its detached internet gateways, route
    tables of one name) are removed by the next run when nothing else uses them, and it fails, naming them, when
    something does.
  - With O(state=absent) it removes the network - only what carries its identity tags, in reverse order (security
    groups, the S3 gateway endpoint, route tables, NAT gateways and then every Elastic IP allocated for them, the
    internet gateway, subnets, and the VPC when this network created it). An adopted VPC stays, and so does
    everything in it that is not this network's.
author:
  - CloudReactor (@CloudReactor)
options:
  network_name:
    description: Name of the network; the value of the identity tag C(cloudreactor:network) and the base of Name tags.
    type: str
    required: true
  state:
    description: V(present) builds or repairs the network; V(absent) removes what this network built.
    type: str
    choices: [present, absent]
    default: present
  vpc_id:
    description:
      - An existing VPC to build in (adopted - read, never changed). Without it, the VPC tagged as this network's is
        used, or created with O(vpc_cidr).
    type: str
  nat_gateways:
    description:
      - V(per_az) - one NAT gateway per zone; each private subnet routes through its own zone's.
      - V(single) - one NAT gateway, in the first zone, for every private subnet (cheaper, one zone's outage away
        from losing egress).
      - V(regional) - one regional NAT gateway (AvailabilityMode regional) for the VPC, in no subnet; every private
        subnet routes through it. Automatic mode (AWS gives it addresses in the zones where tasks run) unless
        O(nat_allocation_ids) are given. The public subnets are still built (for load balancers, and to switch back
        to another mode) but host no NAT gateway.
      - V(none) - no NAT gateway and no private subnets; tasks run in the public subnets with a public IP.
      - Only NAT gateways of this network are removed when the mode changes; a regional NAT gateway found in the VPC
        that is not this network's is used, never changed.
    type: str
    choices: [per_az, single, regional, none]
    default: per_az
  ip_mode:
    description:
      - V(ipv4) - IPv4 only (the network as it always was). A network that has IPv6 loses what this option added -
        its IPv6 routes, the egress-only internet gateway, the tasks' IPv6 egress rule, the subnets' /64s and last
        the VPC's IPv6 block (an adopted VPC keeps its block) - while its IPv4 routes stay as they are.
      - V(dual_stack) - the VPC gets an Amazon-provided IPv6 /56 and each subnet a /64 of it (planned like the IPv4
        CIDRs, stable as the network grows) with IPv6 addresses assigned on launch; an egress-only internet gateway;
        private tables route C(::/0) to it, public tables to the internet gateway; the tasks' security group allows
        all outbound TCP over IPv6 too. IPv4 egress is unchanged. Turning it on or off replaces no subnet.
      - V(ipv6_only) - tasks run in IPv6-only subnets (IPv6-native, DNS64 on), one per zone, whose route table sends
        C(::/0) to the egress-only gateway and C(64:ff9b::/96) (NAT64) to the zone's NAT gateway, or the regional
        one, so IPv4-only destinations stay reachable. The public subnets stay dual-stack (NAT gateways need IPv4).
        A subnet cannot become IPv6-native later, so the IPv6-only subnets are built beside the private ones and
        RV(network.task_subnet_ids) names them; the private subnets are deleted once free (no network interfaces),
        else kept and named in RV(network.retained_subnet_ids). Needs a NAT gateway (O(nat_gateways) not V(none)).
      - Tasks get IPv6 addresses only with the ECS account setting C(dualStackIPv6) enabled; see docs/ipv6.md.
      - An adopted VPC (O(vpc_id)) must already have an IPv6 CIDR for V(dual_stack) or V(ipv6_only).
    type: str
    choices: [ipv4, dual_stack, ipv6_only]
    default: ipv4
  nat_allocation_ids:
    description:
      - Elastic IP allocation ids to give the NAT gateways (bring your own addresses), one per NAT gateway in zone
        order. Without them addresses are allocated, tagged, and released when their NAT gateway is removed (or
        when they are left free).
      - With O(nat_gateways=regional), the addresses of the regional NAT gateway (manual mode) - the same number for
        each zone, zone by zone in zone order - with zones a and b, two ids give one to each, four ids give the first
        two to a and the last two to b. Another count is refused before anything changes. Without them the gateway
        is in automatic mode and AWS owns its addresses.
      - These addresses are never released, also with O(state=absent).
    type: list
    elements: str
    default: []
  s3_gateway_endpoint:
    description:
      - Keep an S3 gateway endpoint (C(com.amazonaws.<region>.s3)) on every route table of the network - public and
        private, in a VPC of this network's or an adopted one. ECR keeps image layers in S3, so without it tasks in
        private subnets pull them through the NAT gateway, billed per GB; the endpoint has no charge.
      - A route table already served by an S3 gateway endpoint that is not this network's keeps it (AWS allows one
        per table); that endpoint is used, never modified, and this network's covers only the other tables.
      - V(false) removes this network's endpoint. Turn it off when something in the subnets must reach S3 from a
        public address (a bucket policy on C(aws:SourceIp)), since through the endpoint it arrives from the VPC.
    type: bool
    default: true
  security_group_name:
    description:
      - Name of the tasks' security group. Default C(<network_name>-tasks).
      - A group the network did not create that holds this name in the VPC, in any case (AWS compares security group
        names without regard to case), makes the run fail before any change (one that takes the name while the run
        builds the network, when the group is created); it is never taken over.
    type: str
  security_group_ingress:
    description:
      - Inbound rules of the tasks' security group, in the format of the
        O(amazon.aws.ec2_security_group#module:rules) option of M(amazon.aws.ec2_security_group) - C(proto),
        C(from_port), C(to_port) or C(ports), C(cidr_ip), C(cidr_ipv6), C(group_id), C(rule_desc).
        Exactly these rules are kept; the default is none.
    type: list
    elements: dict
    default: []
  wait_timeout:
    description: Seconds to wait for NAT gateways to become available or be deleted.
    type: int
    default: 600
  claim_timeout:
    description:
      - Seconds to wait while another run holds the network's claim (it is changing the network). When the wait
        ends first, the module fails with RV(claim_held) - who holds the claim, since when, until when its lease
        runs.
    type: int
    default: 900
  claim_lease:
    description:
      - The lease of this run's claim, in seconds. The run renews it every third of it for as long as it runs; a run
        that crashed stops renewing, and another run takes the claim over once its lease has run out.
    type: int
    default: 120
  wait_for_nat_gateways:
    description:
      - Wait until new (or still pending) NAT gateways are available before the audit.
      - With V(false), the result lists them in RV(pending_nat_gateways) and the audit is skipped; wait with
        M(cloudreactor.aws.nat_gateway_wait), which can print progress, then run this module again. The
        C(cloudreactor.aws.fargate_network) role does so. Private routes without egress already point at them;
        those with egress keep it, listed in RV(pending_routes), and the NAT gateways they use are kept; the run
        after the wait moves them and removes those NAT gateways.
      - Removed NAT gateways are always waited for (their Elastic IPs are released once they are deleted).
    type: bool
    default: true
  audit:
    description:
      - Audit the network after building it (the checks of M(cloudreactor.aws.network_check)).
      - Called C(check) before 1.0.0; renamed so that it is not mistaken for Ansible's check mode.
    type: bool
    default: true
  audit_fail_on:
    description: Fail when the audit finds something of this severity or worse (V(never) to only report).
    type: str
    choices: [error, warning, never]
    default: error
  report_path:
    description: Where to write the audit's Markdown report (findings and a Mermaid diagram). No report when empty.
    type: path
attributes:
  check_mode:
    support: full
    details:
      - When the VPC or a subnet is missing, or the internet gateway must be created or attached, the result lists
        what would change up to that point and says what follows (later steps need the new ids).
  diff_mode:
    support: partial
    details:
      - A real run's diff shows every step's resources before and after. In check mode the diff stops where the
        result does (a missing VPC or subnet, an internet gateway to create or attach).
seealso:
  - name: The cloudreactor.aws.fargate_network role
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/roles/fargate_network/README.md
    description: Builds, audits and publishes a Fargate network with the network module; its variables and outputs.
  - name: The cloudreactor.aws.setup_network playbook
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/playbooks/setup_network.yml
    description: Runs the fargate_network role against one network, from the command line.
  - name: The cloudreactor.aws.teardown_network playbook
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/playbooks/teardown_network.yml
    description: Removes a network built by this collection.
  - name: The cloudreactor.aws.check_network playbook
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/playbooks/check_network.yml
    description: Audits the subnets and security groups tasks use, read-only.
  - module: cloudreactor.aws.network_layout
    description: The zones and CIDRs this module would use, without changing anything.
  - module: cloudreactor.aws.network_check
    description: The audit this module can run after building, on its own.
  - module: cloudreactor.aws.internet_gateway
    description: One step of this module, on its own.
  - module: cloudreactor.aws.nat_gateway
    description: One step of this module, on its own.
  - module: cloudreactor.aws.route_table
    description: One step of this module, on its own.
  - module: cloudreactor.aws.run_environment
    description: Gives the network's subnets and security group to a CloudReactor Run Environment.
  - module: cloudreactor.aws.deploy_config_network
    description: Writes the network into a CloudReactor deploy_config.
extends_documentation_fragment:
  - cloudreactor.aws.attributes
  - cloudreactor.aws.tags
  - cloudreactor.aws.layout
  - cloudreactor.aws.attributes.action_group
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - EC2 is eventually consistent. The module reads the network once and keeps what its own calls answered, so it
    never needs AWS to list what it has just created; calls naming an id it created retry EC2's propagation errors
    (first retry within a quarter of a second, up to 300 seconds); with O(state=absent), deleting a subnet, detaching
    the internet gateway and deleting the VPC are retried while AWS releases the addresses of deleted NAT gateways.
  - A run started within seconds of another run's last change may not see what that run made (AWS does not list it
    yet). A NAT gateway (its address shows it), a security group and a subnet (AWS refuses a second) are then waited
    for and used, not made twice; a second VPC, internet gateway or Elastic IP can be. Let a run that was
    interrupted settle for a minute before running again. The next run removes a second VPC that nothing uses, and
    deletes the network's internet gateways that are attached to no VPC once its VPC has one (a VPC takes only one).
"""

EXAMPLES = r"""
- name: A network with a NAT gateway per zone, in two zones
  cloudreactor.aws.network:
    network_name: cloudreactor-tasks
    region: us-east-1
  register: network

- name: Use its subnets and security group for the tasks
  ansible.builtin.debug:
    msg: "{{ network.network.task_subnet_ids }} {{ network.network.security_group_id }}"

- name: Three zones, one NAT gateway, our own CIDRs, a report
  cloudreactor.aws.network:
    network_name: batch
    availability_zones: [us-west-2a, us-west-2b, us-west-2c]
    nat_gateways: single
    vpc_cidr: 10.20.0.0/16
    report_path: /tmp/batch-network.md

- name: One regional NAT gateway for every zone, with our own two addresses in each of two zones
  cloudreactor.aws.network:
    network_name: egress-allowlisted
    nat_gateways: regional
    availability_zones: [us-east-1a, us-east-1b]
    nat_allocation_ids:
      - eipalloc-0123456789abcdef0  # us-east-1a
      - eipalloc-0123456789abcdef1  # us-east-1a
      - eipalloc-0fedcba9876543210  # us-east-1b
      - eipalloc-0fedcba9876543211  # us-east-1b

- name: Build into an existing VPC; tasks get a public IP and no NAT gateway
  cloudreactor.aws.network:
    network_name: public-tasks
    vpc_id: vpc-0123456789abcdef0
    nat_gateways: none

- name: Remove the network batch (its VPC too, since this network created it)
  cloudreactor.aws.network:
    network_name: batch
    state: absent
"""

RETURN = r"""
changed:
  description: Whether anything was (or in check mode would be) created, changed or removed.
  returned: always
  type: bool
changes:
  description: What changed, in order.
  returned: always
  type: list
  elements: str
  sample: ["created VPC", "created public us-east-1a subnet", "route table public: created"]
network:
  description:
    - The network; what the role publishes as the fact C(fargate_network). Ids are null in check mode for resources
      that do not exist yet.
    - With O(state=absent), only C(name) and C(vpc_id) (the VPC the network was in, or null).
  returned: always
  type: dict
  contains:
    name:
      description: The network's name.
      type: str
    vpc_id:
      description: The VPC.
      type: str
      sample: vpc-0123456789abcdef0
    availability_zones:
      description: The zones, in order.
      type: list
      elements: str
    public_subnet_ids:
      description: Public subnets, in zone order.
      type: list
      elements: str
    private_subnet_ids:
      description: Private subnets, in zone order (empty with O(nat_gateways=none)).
      type: list
      elements: str
    ipv6_only_subnet_ids:
      description: IPv6-only subnets, in zone order (empty unless O(ip_mode=ipv6_only)).
      type: list
      elements: str
    task_subnet_ids:
      description:
        - The subnets tasks should use - the private ones, the IPv6-only ones with O(ip_mode=ipv6_only), or the
          public ones with O(nat_gateways=none).
      type: list
      elements: str
    retained_subnet_ids:
      description:
        - Subnets of a kind the network no longer uses (private subnets after a move to O(ip_mode=ipv6_only),
          IPv6-only subnets after a move away from it) that are kept because they still have network interfaces;
          a later run deletes them once they are free.
      type: list
      elements: str
    ip_mode:
      description: The network's O(ip_mode).
      type: str
    ipv6_cidr:
      description: The VPC's IPv6 block; null without one (or in check mode before it is associated).
      type: str
      sample: 2600:1f18:1234:5600::/56
    egress_only_internet_gateway_id:
      description: The egress-only internet gateway; null with O(ip_mode=ipv4).
      type: str
      sample: eigw-0123456789abcdef0
    assign_public_ip:
      description: What tasks should set C(assign_public_ip) to.
      type: bool
    internet_gateway_id:
      description: The internet gateway attached to the VPC.
      type: str
    nat_gateway_ids:
      description: The NAT gateways, in zone order (with O(nat_gateways=regional), the one regional NAT gateway).
      type: list
      elements: str
    security_group_id:
      description: The tasks' security group.
      type: str
    s3_gateway_endpoint_id:
      description:
        - The network's S3 gateway endpoint; null when O(s3_gateway_endpoint=false), in check mode before it exists,
          or when endpoints that are not the network's serve all its route tables.
      type: str
      sample: vpce-0123456789abcdef0
    findings:
      description: The audit's findings (see RV(audit)); empty when the audit did not run.
      type: list
      elements: dict
pending_nat_gateways:
  description:
    - The NAT gateways that are not available yet, in zone order; empty unless O(wait_for_nat_gateways=false).
    - The audit did not run when this list is not empty.
  returned: always
  type: list
  elements: dict
  contains:
    nat_gateway_id:
      description: The NAT gateway.
      type: str
      sample: nat-0123456789abcdef0
    availability_zone:
      description: Its zone; V(regional) for a regional NAT gateway, which serves every zone.
      type: str
      sample: us-east-1a
    subnet_id:
      description: The public subnet it is in (null for a regional NAT gateway).
      type: str
    state:
      description: Its state (V(pending) while AWS brings it up).
      type: str
      sample: pending
pending_routes:
  description:
    - Private route tables that keep their working default route until their new NAT gateway is available (a switch
      of O(nat_gateways) with O(wait_for_nat_gateways=false)); run this module again once RV(pending_nat_gateways)
      are available to move them.
  returned: always
  type: list
  elements: dict
  contains:
    route_table:
      description: The table's name (its C(cloudreactor:table) tag).
      type: str
      sample: private-us-east-1b
    current_target:
      description: Where its default route goes until then.
      type: str
      sample: nat-0123456789abcdef0
    next_nat_gateway_id:
      description: The NAT gateway it will point at.
      type: str
      sample: nat-0fedcba9876543210
claim_held:
  description: When the module failed because another run held the network's claim for all of O(claim_timeout).
  returned: on that failure
  type: dict
  contains:
    key_pair_id:
      description: The claim's key pair (deleting it breaks the claim at once).
      type: str
      sample: key-0123456789abcdef0
    holder:
      description: The run holding it - a run id, its host and its process id.
      type: str
      sample: run 3f2a9c1b7d4e on deploy-runner-1 pid 4242
    since:
      description: When it took the claim (UTC).
      type: str
      sample: "2026-01-31T12:00:00Z"
    lease_expires:
      description: When its lease runs out (UTC, by AWS's clock); after that the next run takes the claim over.
      type: str
      sample: "2026-01-31T12:30:00Z"
    waited:
      description: Seconds this run waited.
      type: int
      sample: 900
audit:
  description: The audit's result, as M(cloudreactor.aws.network_check) returns it (subnets, findings, summary).
  returned: when O(audit) is true and the audit ran (not in check mode when something would change)
  type: dict
diff:
  description: Before and after of each component, keyed by component.
  returned: in diff mode
  type: dict
"""

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.errors import reported_errors
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import ec2_client, exit_with, network_module
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput, NetworkError
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.ipv6 import IP_MODES
from ansible_collections.cloudreactor.aws.plugins.module_utils._network.claimed import run_network
from ansible_collections.cloudreactor.aws.plugins.module_utils._network.converge import NAT_MODES

ARGUMENT_SPEC = dict(
    network_name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"], default="present"),
    vpc_id=dict(type="str"),
    vpc_cidr=dict(type="str", default="10.0.0.0/16"),
    availability_zones=dict(type="list", elements="str", default=[]),
    az_count=dict(type="int", default=2),
    nat_gateways=dict(type="str", choices=list(NAT_MODES), default="per_az"),
    ip_mode=dict(type="str", choices=list(IP_MODES), default="ipv4"),
    public_subnet_cidrs=dict(type="list", elements="str", default=[]),
    private_subnet_cidrs=dict(type="list", elements="str", default=[]),
    nat_allocation_ids=dict(type="list", elements="str", default=[]),
    s3_gateway_endpoint=dict(type="bool", default=True),
    security_group_name=dict(type="str"),
    security_group_ingress=dict(type="list", elements="dict", default=[]),
    tags=dict(type="dict"),
    purge_tags=dict(type="bool", default=True),
    wait_timeout=dict(type="int", default=600),
    claim_timeout=dict(type="int", default=900),
    claim_lease=dict(type="int", default=120),
    wait_for_nat_gateways=dict(type="bool", default=True),
    audit=dict(type="bool", default=True),
    audit_fail_on=dict(type="str", choices=["error", "warning", "never"], default="error"),
    report_path=dict(type="path"),
    option_prefix=dict(type="str", default=""),
)


# The role's variable for an option is its prefix and the option's name, except for the network's name
# (fargate_network_name).
PREFIXED_NAMES = {"network_name": "name"}


def main():
    module = network_module(ARGUMENT_SPEC)
    with reported_errors(module):
        try:
            result = run_network(ec2_client(module), module.params, module.check_mode, module.warn)
        except InvalidInput as error:
            raise user_error(error, module.params["option_prefix"]) from error
    exit_with(module, result)


def user_error(error, prefix):
    """``error`` named after the option (or, through the role, the variable) the user set; an error about a value
    the run found in AWS rather than one the user gave is reported as the network's state, naming no option."""
    if error.option not in ARGUMENT_SPEC:
        return NetworkError(f"{error.reason} (the network's state in AWS, not an option you set)")
    return error.with_prefix(prefix, PREFIXED_NAMES) if prefix else error


if __name__ == "__main__":
    main()
