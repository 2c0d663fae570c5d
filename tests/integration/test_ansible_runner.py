"""setup_network through ansible-runner, the engine AWX and Automation Platform run playbooks with, against the
emulator: the project playbook of docs/awx.md (tests/awx_project/setup_network.yml), which imports
cloudreactor.aws.setup_network and hands the network to the next workflow nodes with set_stats."""

import os
import sys
from pathlib import Path

import ansible_runner

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "tests" / "awx_project"


def test_setup_network_through_ansible_runner(aws, tmp_path):
    result = ansible_runner.run(
        private_data_dir=str(tmp_path),
        project_dir=str(PROJECT),
        playbook="setup_network.yml",
        extravars={
            "fargate_network_name": "runner",
            "fargate_network_region": "us-east-1",
            "fargate_network_aws_endpoint_url": aws.endpoint_url,
        },
        # What an AWS credential gives a job in AWX; Ansible and the collection come from this checkout's
        # virtualenv instead of an execution environment.
        envvars={
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
            "ANSIBLE_COLLECTIONS_PATH": str(REPO / "collections"),
        },
        quiet=True,
    )

    assert (result.status, result.rc) == ("successful", 0), result.stdout.read()[-4000:]
    events = list(result.events)
    (published,) = [
        event["event_data"]["res"]["ansible_facts"]["fargate_network"]
        for event in events
        if event["event"] == "runner_on_ok" and "fargate_network" in event["event_data"]["res"].get("ansible_facts", {})
    ]
    (vpc,) = aws.boto3_client("ec2").describe_vpcs(VpcIds=[published["vpc_id"]])["Vpcs"]
    assert {"Key": "cloudreactor:network", "Value": "runner"} in vpc["Tags"]
    assert len(published["task_subnet_ids"]) == 2 and published["security_group_id"].startswith("sg-")
    (stats,) = [event for event in events if event["event"] == "playbook_on_stats"]
    assert stats["event_data"]["artifact_data"] == {"fargate_network": published}
