"""network_check at scale: a healthy VPC with N subnets over three zones (one public subnet per zone with its NAT
gateway, the rest private and routed to their zone's NAT gateway), audited VPC-wide; describe calls and wall time.

The module runs in this process (as the tests run it: boto3 over HTTP to the emulator, no Ansible start-up), which
measures the audit itself; unless ``--no-check-ansible`` it also runs through ``ansible localhost -m ...`` to show the
end-to-end time a user waits for, Ansible's start-up included (also the median of the repeats).
"""

import statistics
import sys
import time
from collections import Counter
from pathlib import Path

from support.module_runner import run_module

from bench.playbooks import BenchError, calls_of, playbook_env, run_command

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
SUBNET_SIZE = 64  # /26: 1024 of them fit in the /16


def _cidr(prefix, slot):
    offset = slot * SUBNET_SIZE
    return f"{prefix}.{offset // 256}.{offset % 256}/26"


def _table(ec2, vpc, subnets, **default):
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", **default)
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    return table


def build_network(ec2, subnet_count, index):
    """VPC ``10.<100+index>.0.0/16`` with ``subnet_count`` /26 subnets; returns its id."""
    if subnet_count < 2 * len(ZONES):
        raise ValueError(f"network_check scale needs at least {2 * len(ZONES)} subnets, not {subnet_count}")
    prefix = f"10.{100 + index}"
    vpc = ec2.create_vpc(CidrBlock=f"{prefix}.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public = {
        zone: ec2.create_subnet(VpcId=vpc, CidrBlock=_cidr(prefix, slot), AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for slot, zone in enumerate(ZONES)
    }
    _table(ec2, vpc, public.values(), GatewayId=igw)
    private = {zone: [] for zone in ZONES}
    for slot in range(len(ZONES), subnet_count):
        zone = ZONES[slot % len(ZONES)]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=_cidr(prefix, slot), AvailabilityZone=zone)["Subnet"]
        private[zone].append(subnet["SubnetId"])
    for zone in ZONES:
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=public[zone], AllocationId=allocation)["NatGateway"]["NatGatewayId"]
        _table(ec2, vpc, private[zone], NatGatewayId=nat)
    return vpc


def _run_in_process(emulator, vpc):
    with emulator.recording() as recording:
        started = time.monotonic()
        result = run_module("network_check", {**emulator.module_params(), "vpc_id": vpc, "fail_on": "never"})
        wall = time.monotonic() - started
    if result.get("failed"):
        raise BenchError(f"network_check failed on {vpc}: {result.get('msg')}")
    return wall, recording, result


def _run_ansible(emulator, vpc, workdir, timeout):
    ansible = Path(sys.executable).parent / "ansible"
    command = [str(ansible), "localhost", "-m", "cloudreactor.aws.network_check", "-a", f"vpc_id={vpc} fail_on=never"]
    env = playbook_env(emulator, Path(workdir) / "network_check-adhoc.jsonl", Path(workdir) / "unused")
    with emulator.recording() as recording:
        started = time.monotonic()
        returncode, output = run_command(command, env, timeout)
        wall = time.monotonic() - started
    if returncode != 0:
        raise BenchError(f"ansible -m network_check failed on {vpc}:\n{output[-3000:]}")
    return wall, recording


def measure(emulator, args, workdir):
    """One row per size of ``args.check_sizes``: describe calls (and by action), module wall time (median of
    ``args.check_repeats``), findings; through ``ansible`` too unless ``args.no_check_ansible``."""
    sizes, repeats, timeout = args.check_sizes, args.check_repeats, args.playbook_timeout
    emulator.set_nat_transition("immediate")
    ec2 = emulator.boto3_client("ec2")
    rows = []
    warmed_up = False
    for index, size in enumerate(sizes):
        vpc = build_network(ec2, size, index)
        if not warmed_up:  # the first in-process run pays for imports that a module run through Ansible pays anyway
            _run_in_process(emulator, vpc)
            warmed_up = True
        walls, recordings = [], []
        for _ in range(repeats):
            wall, recording, result = _run_in_process(emulator, vpc)
            walls.append(wall)
            recordings.append(recording)
        summary = result["summary"]
        row = {
            "subnets": size,
            "audited_subnets": summary["subnets"],
            "describe_calls": calls_of(recordings[0])["read"],
            "mutating_calls": calls_of(recordings[0])["mutating"],
            "describe_calls_stable": len({len(rec.actions) for rec in recordings}) == 1,
            "by_action": dict(sorted(Counter(recordings[0].actions).items())),
            "module_seconds": round(statistics.median(walls), 3),
            "module_seconds_all": [round(wall, 3) for wall in walls],
            "errors": summary["errors"],
            "warnings": summary["warnings"],
            "ansible_seconds": None,
            "ansible_describe_calls": None,
        }
        if not args.no_check_ansible:
            runs = [_run_ansible(emulator, vpc, workdir, timeout) for _ in range(repeats)]
            row["ansible_seconds"] = round(statistics.median(wall for wall, _ in runs), 3)
            row["ansible_seconds_all"] = [round(wall, 3) for wall, _ in runs]
            row["ansible_describe_calls"] = calls_of(runs[0][1])["read"]
        rows.append(row)
    return rows
