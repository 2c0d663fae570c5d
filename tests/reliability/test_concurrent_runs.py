"""Runs of one network at the same time (docs/reliability.md, section 7): the network's claim serialises them.

Two real ansible-playbook processes run setup_network for one network at the same moment, strongly consistent and
through a 2 s propagation delay: both succeed, both publish the same VPC, subnets and security group, and the region
holds one network. A run that finds the claim held by another run says who holds it, waits, and fails after
fargate_network_claim_timeout saying how to proceed.
"""

import re

import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from support.aws_proxy import AwsProxy
from support.module_runner import run_module
from support.network_faults import nat_deleted, public_route_table_deleted
from support.network_shape import one_network_counts, region_counts
from support.playbook_runner import run_playbook, start_playbook

from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.lease import NetworkClaim
from ansible_collections.cloudreactor.aws.plugins.module_utils._aws.retries import AWS_RETRY

NETWORK = "together"
ZONES = 2
PUBLISHED = re.compile(
    r"Network \S+: VPC (?P<vpc>vpc-\w+).*?Subnets: (?P<subnets>[\w, -]+?)\".*?Security group: (?P<group>sg-\w+)", re.S
)


def published(process):
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stdout[-3000:] + stderr[-2000:]
    match = PUBLISHED.search(stdout)
    assert match, stdout[-3000:]
    return match["vpc"], match["subnets"], match["group"]


@pytest.mark.parametrize("propagation_delay", [0.0, 2.0], indirect=True)
def test_two_runs_started_together_build_and_publish_one_network(aws, ec2, propagation_delay):
    extra_vars = {"fargate_network_name": NETWORK, "fargate_network_az_count": ZONES}
    runs = [start_playbook(aws.endpoint_url, "setup_network.yml", extra_vars) for _ in range(2)]

    first, second = (published(run) for run in runs)

    assert first == second
    aws.set_propagation_delay(0)  # count what AWS will list once everything has propagated
    assert region_counts(ec2) == one_network_counts(ZONES)
    endpoints = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    groups = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{NETWORK}-tasks"]}])
    assert (len(endpoints), len(groups["SecurityGroups"])) == (1, 1)
    assert ec2.describe_key_pairs()["KeyPairs"] == []  # both claims given back


def test_a_run_waits_for_the_claim_another_run_holds_then_says_how_to_proceed(aws, ec2):
    holder = NetworkClaim(RetryingBotoClientWrapper(ec2, AWS_RETRY), NETWORK, lease=600, holder="run deploy-1")
    holder.take(timeout=0)

    run = run_playbook(
        aws.endpoint_url,
        "setup_network.yml",
        {"fargate_network_name": NETWORK, "fargate_network_progress_interval": 1, "fargate_network_claim_timeout": 2},
    )

    assert run.returncode != 0
    assert re.search(r"Network together is being changed by another run \(run deploy-1,\s+since", run.stdout)
    assert "(fargate_network_claim_timeout)" in run.stdout
    assert f"aws ec2 delete-key-pair --key-pair-id {holder.key_pair_id}" in run.stdout
    assert region_counts(ec2)["vpcs"] == 0  # it changed nothing
    holder.release()


def test_a_run_that_plans_while_another_run_builds_waits_for_the_claim_then_builds(aws, ec2):
    """A run plans, as check mode does, from what it reads before it claims; that may be a network another run is
    building: here NAT gateways to create for public subnets whose route table that run has not made yet (they route
    through the VPC's main table, which has no way out). The plan must not refuse them as not public: the run waits
    for the claim, reads again and builds. (The same state without another run, a network whose public route table
    was lost, is repaired alike.) The holder gives the claim back once the run has read it (the proxy)."""
    network, zone = "halfway", "us-east-1a"
    params = {**aws.module_params(), "network_name": network, "az_count": 1, "nat_gateways": "single"}
    assert not run_module("network", params).get("failed")
    public_route_table_deleted(ec2, network, zone)
    nat_deleted(ec2, network, zone)
    holder = NetworkClaim(RetryingBotoClientWrapper(ec2, AWS_RETRY), network, lease=600, holder="run deploy-1")
    holder.take(timeout=0)

    def give_back_once_read(call, _status):
        if call.action == "DescribeKeyPairs" and holder.key_pair_id:
            holder.release()

    with AwsProxy(aws.endpoint_url, on_answer=give_back_once_read) as proxy:
        result = run_module("network", {**params, "endpoint_url": proxy.endpoint_url, "claim_timeout": 60})

    assert not result.get("failed"), result.get("msg")
    assert holder.key_pair_id is None  # given back while the run waited, not broken
    assert any(change.startswith("route table public: ") for change in result["changes"]), result["changes"]
    assert any("NAT gateway" in change for change in result["changes"]), result["changes"]
