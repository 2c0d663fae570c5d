# -*- coding: utf-8 -*-
# Copyright: Contributors to the cloudreactor.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""VPC-wide conditions: DNS attributes, the internet gateway, one VPC for everything, more than one AZ; the network's
duplicate VPCs and detached internet gateways."""

from __future__ import annotations

import typing

from ansible_collections.cloudreactor.aws.plugins.module_utils._model.tagging import is_ours
from ansible_collections.cloudreactor.aws.plugins.module_utils._resources.internet_gateway import (
    COMPONENT as IGW_COMPONENT,
)

if typing.TYPE_CHECKING:
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.findings import Findings
    from ansible_collections.cloudreactor.aws.plugins.module_utils._audit.paths import AuditContext


def _task_vpc_ids(ctx: AuditContext) -> list[str | None]:
    return list(dict.fromkeys(view.vpc_id for view in ctx.views))


def check_dns(ctx: AuditContext, findings: Findings) -> None:
    for vpc_id in _task_vpc_ids(ctx):
        dns = ctx.snapshot.dns.get(vpc_id, {})
        subnet_ids = [view.id for view in ctx.views if view.vpc_id == vpc_id]
        if not dns.get("support"):
            findings.add(
                "VPC_DNS_SUPPORT_DISABLED",
                vpc_id,
                f"VPC {vpc_id} has enableDnsSupport off: the Amazon DNS server does not answer, so tasks cannot "
                "resolve the ECR, CloudWatch Logs and CloudReactor names.",
                f"aws ec2 modify-vpc-attribute --vpc-id {vpc_id} --enable-dns-support",
                subnet_ids,
            )
        if not dns.get("hostnames"):
            findings.add(
                "VPC_DNS_HOSTNAMES_DISABLED",
                vpc_id,
                f"VPC {vpc_id} has enableDnsHostnames off: interface VPC endpoints' private DNS names do not resolve.",
                f"aws ec2 modify-vpc-attribute --vpc-id {vpc_id} --enable-dns-hostnames",
                subnet_ids,
            )


def check_internet_gateway(ctx: AuditContext, findings: Findings) -> None:
    for vpc_id in _task_vpc_ids(ctx):
        if ctx.snapshot.attached_igw(vpc_id) is None:
            findings.add(
                "IGW_MISSING",
                vpc_id,
                f"No internet gateway is attached to VPC {vpc_id}: neither public subnets nor NAT gateways can reach "
                "the internet, so no task there can reach CloudReactor.",
                f"Create an internet gateway, attach it to {vpc_id}, and route the public subnets' 0.0.0.0/0 to it.",
                [view.id for view in ctx.views if view.vpc_id == vpc_id],
            )


def check_one_vpc(ctx: AuditContext, findings: Findings) -> None:
    """Task mode: the subnets and security groups must all be in the VPC of the first subnet."""
    if not ctx.options.task_mode or not ctx.views:
        return
    home = ctx.views[0].vpc_id
    all_ids = [view.id for view in ctx.views]
    for view in ctx.views:
        if view.vpc_id != home:
            findings.add(
                "MIXED_VPCS",
                view.id,
                f"Subnet {view.id} is in {view.vpc_id}, the first task subnet {ctx.views[0].id} in {home}: "
                "a task's subnets must all belong to one VPC.",
                f"Use only subnets of {home} (or only of {view.vpc_id}).",
                all_ids,
            )
    for group_id in ctx.options.security_group_ids:
        group_vpc = (ctx.snapshot.security_groups.get(group_id) or {}).get("VpcId")
        if group_vpc and group_vpc != home:
            findings.add(
                "MIXED_VPCS",
                group_id,
                f"Security group {group_id} belongs to {group_vpc}, the task subnets to {home}: ECS rejects the task.",
                f"Use a security group of {home}.",
                all_ids,
            )


def check_zones(ctx: AuditContext, findings: Findings) -> None:
    zones = sorted({view.az for view in ctx.views if view.az})
    if ctx.views and len(zones) < 2:
        vpc_id = ctx.views[0].vpc_id
        where = zones[0] if zones else "an unknown zone"
        findings.add(
            "SINGLE_AZ",
            vpc_id,
            f"Every task subnet is in {where}: the tasks stop when that availability zone fails.",
            f"Add a task subnet in a second availability zone of {vpc_id}, with its own NAT gateway or public route.",
            [view.id for view in ctx.views],
        )


def check_duplicate_vpcs(ctx: AuditContext, findings: Findings) -> None:
    if len(ctx.options.network_vpc_ids) < 2:
        return
    vpc_id, *duplicates = ctx.options.network_vpc_ids
    findings.add(
        "NETWORK_DUPLICATE_VPCS",
        vpc_id,
        f"Network {ctx.options.network_name} has {len(duplicates) + 1} VPCs tagged as its own: {vpc_id} (audited) "
        f"and {', '.join(duplicates)}. Their NAT gateways and public addresses bill, and deploys may publish either.",
        f"Run setup_network for network {ctx.options.network_name}: it keeps the VPC tasks use (or the lowest id, "
        "here the one audited) and removes the others, saying what it removed.",
    )


def check_duplicate_internet_gateways(ctx: AuditContext, findings: Findings) -> None:
    """With ``network_name``: the network's internet gateways that setup_network deletes. A VPC has one gateway
    attached, so the network's detached ones are duplicates, except the one setup_network would attach to a VPC that
    has none (the lowest id; the VPC's missing gateway is IGW_MISSING)."""
    network = ctx.options.network_name
    if not network:
        return
    detached = sorted(
        (igw for igw in ctx.snapshot.detached_internet_gateways if is_ours(igw, network, IGW_COMPONENT)),
        key=lambda igw: igw["InternetGatewayId"],
    )
    if not any(ctx.snapshot.attached_igw(vpc_id) for vpc_id in ctx.snapshot.vpcs):
        detached = detached[1:]
    for igw in detached:
        igw_id = igw["InternetGatewayId"]
        findings.add(
            "NETWORK_DUPLICATE_IGW",
            igw_id,
            f"Internet gateway {igw_id} carries the identity tags of network {network} but is attached to no VPC, and "
            "the network's VPC has another (a VPC takes only one): a duplicate left by runs that raced before the "
            "network's claim existed. It costs nothing, but counts against the region's internet gateway quota.",
            f"Run setup_network for network {network}: it deletes the network's detached internet gateways. Or: "
            f"aws ec2 delete-internet-gateway --internet-gateway-id {igw_id}",
        )


CHECKS = (
    check_duplicate_vpcs,
    check_dns,
    check_internet_gateway,
    check_duplicate_internet_gateways,
    check_one_vpc,
    check_zones,
)
