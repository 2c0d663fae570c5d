#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: network_check
short_description: Audit, offline and read-only, whether Fargate tasks can pull their image and reach CloudReactor
version_added: 1.0.0
description:
  - Answers before any task fails "can an ECS Fargate task in these subnets, with these security groups and this
    O(assign_public_ip), pull its image and reach CloudReactor, and if not, exactly why and how to fix it?".
  - Reads the network with EC2 describe calls only, batched per VPC and paginated, so the number of calls does not
    grow with the number of subnets. Changes nothing; RV(ignore:changed) is always V(false).
  - Follows each subnet's egress path (subnet, effective route table, NAT gateway, the NAT's subnet and route table,
    internet gateway, or the VPC endpoints of an endpoint-only subnet) and checks DNS attributes, blackhole routes,
    dead or misplaced NAT gateways, cross-AZ NAT use, regional NAT gateways, O(assign_public_ip) against the subnet
    kind, security group egress, network ACLs (in rule order, both directions, on the task subnets, the NAT
    gateways' subnets and the interface endpoints' subnets), interface endpoint security groups, free IP addresses
    and leaked Elastic IPs.
  - Every finding has a stable code; the codes, their severity, meaning and fix are listed in
    C(docs/network-check-findings.md) of the collection.
author:
  - CloudReactor (@CloudReactor)
options:
  vpc_id:
    description:
      - Audit every subnet of this VPC, as candidate task subnets.
      - Public subnets are judged as if tasks there ran with a public IP; security group egress is not checked.
      - Mutually exclusive with O(subnet_ids), O(security_group_ids) and O(assign_public_ip).
    type: str
  subnet_ids:
    description:
      - The subnets a task runs in, exactly as a Run Environment or C(deploy_config) holds them.
      - Requires O(security_group_ids).
    type: list
    elements: str
  security_group_ids:
    description:
      - The security groups of the task. Their egress must allow TCP 443 to 0.0.0.0/0.
    type: list
    elements: str
  assign_public_ip:
    description:
      - Whether the task gets a public IP (the ECS C(assignPublicIp) setting). Public subnets need V(true), subnets
        behind a NAT gateway V(false).
      - Only with O(subnet_ids).
    type: bool
    default: false
  services:
    description:
      - AWS services the tasks call beyond ECR, S3 (image layers) and CloudWatch Logs. They matter for subnets
        without a NAT or internet gateway, which need a VPC endpoint per service.
    type: list
    elements: str
    choices: [secretsmanager, ssm, ssmmessages, kms, sts, sqs, sns, dynamodb, monitoring, events, xray,
              elasticfilesystem]
    default: []
  uses_awslogs:
    description:
      - Whether the tasks ship logs with the C(awslogs) driver (then endpoint-only subnets need a C(logs) endpoint).
    type: bool
    default: true
  single_nat_intended:
    description:
      - Set when one NAT gateway serving several availability zones is a deliberate saving; the cross-AZ NAT warning
        C(NAT_CROSS_AZ) is then not reported.
    type: bool
    default: false
  min_free_ips:
    description:
      - A task subnet with fewer free IP addresses than this is reported (C(SUBNET_FEW_FREE_IPS)); each running task
        takes one address.
    type: int
    default: 16
  network_name:
    description:
      - The name of a network built by this collection (the C(cloudreactor:network) tag). With it, Elastic IPs
        carrying that tag and associated with nothing are reported as leaked (C(EIP_LEAKED)), route tables of the
        audited VPCs that carry the identity tags of one table name of the network as duplicates
        (C(NETWORK_DUPLICATE_ROUTE_TABLES)), and the network's internet gateways attached to no VPC beside the one
        its VPC has as duplicates (C(NETWORK_DUPLICATE_IGW)).
      - Without O(vpc_id) and O(subnet_ids), the audit is of the VPC this collection built for the network (found by
        its identity tags), as with O(vpc_id).
    type: str
  fail_on:
    description:
      - V(error) fails the module when there is at least one error finding, V(warning) when there is an error or a
        warning, V(never) never fails on findings.
      - A failed run still returns RV(findings), RV(subnets) and RV(summary) (and writes the report).
    type: str
    choices: [error, warning, never]
    default: error
  report_path:
    description:
      - Write a Markdown report to this file on the host running the module (usually the controller, with
        C(delegate_to) localhost), with the findings as a table and a Mermaid diagram of the network in which
        broken hops are red. It renders as a picture on GitHub and GitLab.
      - Its directory must exist. The report is written in check mode too, as the audit's output rather than a change.
    type: path
notes:
  - The audit decides from describe calls only; targets it cannot follow (transit gateways, peering, private NAT
    gateways) are reported as C(ROUTE_UNVERIFIABLE) rather than guessed.
  - Costs in RV(summary.monthly_cost) are us-east-1 list prices, hourly charges only.
attributes:
  check_mode:
    support: full
    details:
      - Read-only; a check mode run is exactly a normal run, and writes O(report_path) too.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
seealso:
  - name: Network audit findings
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/docs/network-check-findings.md
    description: Every finding code, its severity, meaning and fix.
  - name: The cloudreactor.aws.check_network playbook
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/playbooks/check_network.yml
    description: Audits the subnets and security groups tasks use, read-only.
  - name: The cloudreactor.aws.check_deploy_config playbook
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/playbooks/check_deploy_config.yml
    description: Resolves every task's network in a deploy_config and audits it.
  - name: The cloudreactor.aws.fargate_network role
    link: https://github.com/CloudReactor/cloudreactor-ansible-aws/blob/main/roles/fargate_network/README.md
    description: Builds, audits and publishes a Fargate network with the network module; its variables and outputs.
  - module: cloudreactor.aws.network
    description: Builds and repairs a network, and runs this audit on it.
  - module: cloudreactor.aws.deploy_config_network_info
    description: The networks of a deploy_config's tasks, to audit with this module.
extends_documentation_fragment:
  - cloudreactor.aws.attributes
  - cloudreactor.aws.attributes.action_group
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Check exactly what the Run Environment will use
  cloudreactor.aws.network_check:
    subnet_ids: "{{ run_environment.subnets }}"
    security_group_ids: "{{ run_environment.security_groups }}"
    assign_public_ip: false
    services: [secretsmanager]
    report_path: "{{ playbook_dir }}/network-report.md"
  delegate_to: localhost

- name: Audit every subnet of a VPC, one NAT gateway on purpose, report but never fail
  cloudreactor.aws.network_check:
    vpc_id: vpc-0123456789abcdef0
    single_nat_intended: true
    network_name: tasks-prod
    fail_on: never
  register: audit

- name: Show the errors
  ansible.builtin.debug:
    msg: "{{ audit.findings | selectattr('severity', 'equalto', 'error') | map(attribute='message') | list }}"
"""

RETURN = r"""
subnets:
  description: One entry per audited subnet, in the order given (with O(vpc_id), by availability zone and CIDR).
  returned: always
  type: list
  elements: dict
  contains:
    subnet_id:
      description: The subnet.
      type: str
      sample: subnet-0123456789abcdef0
    vpc_id:
      description: Its VPC.
      type: str
      sample: vpc-0123456789abcdef0
    availability_zone:
      description: Its availability zone.
      type: str
      sample: us-east-1a
    availability_zone_id:
      description: Its availability zone id.
      type: str
      sample: use1-az1
    cidr_block:
      description: Its IPv4 CIDR (null for an IPv6-only subnet).
      type: str
      sample: 10.0.16.0/20
    ipv6_cidr_block:
      description: Its associated IPv6 CIDR, or null when it has none.
      type: str
      sample: 2600:1f18:abcd:1200::/64
    ipv6_native:
      description: V(true) for an IPv6-only subnet (no IPv4 at all; IPv4-only destinations through DNS64 and NAT64).
      type: bool
      sample: false
    available_ip_address_count:
      description: Free IP addresses.
      type: int
      sample: 4086
    route_table_id:
      description: The effective route table (explicit association, else the VPC's main table).
      type: str
      sample: rtb-0123456789abcdef0
    route_table_association:
      description: V(explicit) or V(main).
      type: str
      sample: explicit
    network_acl_id:
      description: The network ACL associated with the subnet.
      type: str
      sample: acl-0123456789abcdef0
    kind:
      description:
        - V(public) (0.0.0.0/0 to an internet gateway), V(private_nat) (to a NAT gateway), V(private_endpoints) (no
          default route, interface VPC endpoints), V(private_other) (to a target the audit cannot follow),
          V(isolated) (no way out), V(ipv6_only) (an IPv6-only subnet, with ::/0 to an egress-only or internet
          gateway and 64:ff9b::/96 to a NAT gateway for NAT64).
      type: str
      sample: private_nat
    reaches_internet:
      description:
        - Whether a task here reaches the internet, hence CloudReactor. For an IPv6-only subnet, over IPv6 and to
          IPv4-only destinations too (working ::/0 route, DNS64 on, working NAT64 route).
      type: bool
      sample: true
    reaches_internet_ipv6:
      description: Whether the subnet's ::/0 route leaves through a working egress-only or internet gateway.
      type: bool
      sample: true
    can_pull_image:
      description: Whether a task here can pull its image from ECR (through the internet or VPC endpoints).
      type: bool
      sample: true
    egress_path:
      description:
        - The hops of the way out, in order, for example subnet, route table, NAT gateway, the NAT's subnet, its
          route table, internet gateway. A regional NAT gateway sits in no subnet, so its path goes subnet, route
          table, NAT gateway, the NAT gateway's own route table, internet gateway. Endpoint-only subnets list one
          C(vpc_endpoint) hop per service needed. An IPv6-only subnet's path is its NAT64 path (route table,
          64:ff9b::/96, NAT gateway...).
        - Each hop has C(type), C(id) (null when missing), C(state), C(healthy) and C(detail).
      type: list
      elements: dict
      sample:
        - {type: subnet, id: subnet-0123456789abcdef0, state: available, healthy: true, detail: null}
        - {type: route_table, id: rtb-0123456789abcdef0, state: active, healthy: true,
           detail: "explicit; 0.0.0.0/0 -> nat-0123456789abcdef0 (active)"}
        - {type: nat_gateway, id: nat-0123456789abcdef0, state: available, healthy: true, detail: null}
    ipv6_egress_path:
      description:
        - For a subnet with an IPv6 CIDR, the hops of its ::/0 way out (subnet, route table, then an
          C(egress_only_internet_gateway) or C(internet_gateway) hop); empty without IPv6.
      type: list
      elements: dict
      sample:
        - {type: subnet, id: subnet-0123456789abcdef0, state: available, healthy: true, detail: null}
        - {type: route_table, id: rtb-0123456789abcdef0, state: active, healthy: true,
           detail: "explicit; ::/0 -> eigw-0123456789abcdef0 (active)"}
        - {type: egress_only_internet_gateway, id: eigw-0123456789abcdef0, state: attached, healthy: true,
           detail: null}
    gateway_endpoints:
      description:
        - The available gateway endpoints (C(s3), C(dynamodb)) on this subnet's route table, with C(service) and
          C(vpc_endpoint_id). Traffic to those services leaves through them, not through the NAT gateway, so it is
          not billed as NAT data processing (an image pull's layers come from S3).
      type: list
      elements: dict
      sample: [{"service": "s3", "vpc_endpoint_id": "vpce-0123456789abcdef0"}]
    finding_codes:
      description: The codes of the findings that concern this subnet.
      type: list
      elements: str
      sample: [NAT_CROSS_AZ]
findings:
  description: What is wrong, errors first. Codes are stable and documented in C(docs/network-check-findings.md).
  returned: always
  type: list
  elements: dict
  contains:
    code:
      description: The stable finding code.
      type: str
      sample: ROUTE_DEAD_NAT
    severity:
      description: V(error), V(warning) or V(info).
      type: str
      sample: error
    resource_id:
      description: The resource the finding is about (route table, NAT gateway, subnet, network ACL...).
      type: str
      sample: rtb-0123456789abcdef0
    message:
      description: What is wrong, with the ids involved.
      type: str
      sample: Route table rtb-0123456789abcdef0 sends 0.0.0.0/0 to NAT gateway nat-0123456789abcdef0, which is deleted
    remediation:
      description: How to fix it.
      type: str
      sample: Point 0.0.0.0/0 of rtb-0123456789abcdef0 at an available NAT gateway in us-east-1a
    subnet_ids:
      description: The audited subnets the finding concerns.
      type: list
      elements: str
      sample: [subnet-0123456789abcdef0]
summary:
  description: Counts per severity, the verdict, and what the NAT gateways and addresses seen cost.
  returned: always
  type: dict
  contains:
    errors:
      description: Number of error findings.
      type: int
      sample: 0
    warnings:
      description: Number of warning findings.
      type: int
      sample: 1
    info:
      description: Number of info findings.
      type: int
      sample: 0
    ok:
      description: V(true) when there is no error finding.
      type: bool
      sample: true
    subnets:
      description: Number of subnets audited.
      type: int
      sample: 2
    vpc_ids:
      description: The VPCs read.
      type: list
      elements: str
      sample: [vpc-0123456789abcdef0]
    monthly_cost:
      description:
        - Counts and monthly list prices (USD, us-east-1, 730 hours) of the NAT gateways (pending or available) of
          the VPC, their public IPv4 addresses and leaked Elastic IPs, and the interface endpoints' AZs.
        - C(nat_gateway_zones) is what the NAT gateway hourly charge is paid for - one per zonal NAT gateway, and
          for a regional NAT gateway one per availability zone in which it is active (has an address), as the
          Amazon VPC pricing page bills it.
        - C(egress_only_gateways) counts the VPC's egress-only internet gateways, which have no hourly and no per-GB
          processing charge (C(egress_only_gateways_usd) is always 0). C(ipv6_task_subnets) counts the audited
          subnets behind a NAT gateway (or NAT64) whose ::/0 leaves through a working egress-only or internet
          gateway; their traffic to dual-stack destinations skips the NAT gateway's processing charge,
          C(nat_gateway_usd_per_gb) per GB.
      type: dict
      sample:
        nat_gateways: 2
        nat_gateway_zones: 2
        public_ipv4_addresses: 2
        interface_endpoint_azs: 0
        nat_gateways_usd: 65.7
        public_ipv4_usd: 7.3
        interface_endpoints_usd: 0.0
        egress_only_gateways: 0
        egress_only_gateways_usd: 0.0
        ipv6_task_subnets: 0
        nat_gateway_usd_per_gb: 0.045
        total_usd: 73.0
        basis: us-east-1 list prices, 730 hours a month, hourly charges only (data processed is extra); a regional
          NAT gateway is billed for each availability zone it is active in
report_path:
  description: The Markdown report written.
  returned: when O(report_path) is set
  type: str
  sample: /home/user/network-report.md
"""

from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.endpoints import EXTRA_SERVICES
from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.run import audit, check_report_path
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.errors import reported_errors
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.module import ec2_client, network_module
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import InvalidInput, NetworkError
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.ids import check_id_format
from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import check_network_name


def validate(params):
    """Every option checked before the first AWS call; the message names the option."""
    if params["vpc_id"] is not None:
        check_id_format("vpc_id", params["vpc_id"], "vpc")
    elif params["subnet_ids"] is not None or params["network_name"] is None:
        for option, prefix in (("subnet_ids", "subnet"), ("security_group_ids", "sg")):
            if not params[option]:
                raise InvalidInput(option, "must list at least one id")
            check_id_format(option, params[option], prefix)
    if params["min_free_ips"] < 0:
        raise InvalidInput("min_free_ips", f"must be 0 or more, not {params['min_free_ips']}")
    if params["network_name"] is not None:
        check_network_name(params["network_name"])
    check_report_path(params["report_path"])


def main():
    argument_spec = dict(
        vpc_id=dict(type="str"),
        subnet_ids=dict(type="list", elements="str"),
        security_group_ids=dict(type="list", elements="str"),
        assign_public_ip=dict(type="bool", default=False),
        services=dict(type="list", elements="str", choices=list(EXTRA_SERVICES), default=[]),
        uses_awslogs=dict(type="bool", default=True),
        single_nat_intended=dict(type="bool", default=False),
        min_free_ips=dict(type="int", default=16),
        network_name=dict(type="str"),
        fail_on=dict(type="str", choices=["error", "warning", "never"], default="error"),
        report_path=dict(type="path"),
    )
    module = network_module(
        argument_spec,
        required_one_of=[["vpc_id", "subnet_ids", "network_name"]],
        mutually_exclusive=[
            ["vpc_id", "subnet_ids"],
            ["vpc_id", "security_group_ids"],
            ["vpc_id", "assign_public_ip"],
        ],
        required_together=[["subnet_ids", "security_group_ids"]],
    )
    with reported_errors(module):
        validate(module.params)
        result, failure = audit(ec2_client(module), module.params)
        if failure:
            raise NetworkError(failure, changed=False, **result)
        module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
