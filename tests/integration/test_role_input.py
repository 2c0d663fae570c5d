"""The role refuses bad variables before any AWS call, and the message names the variable."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def setup_network(aws, extra_vars):
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "ANSIBLE_NOCOLOR": "1",
    }
    variables = {
        "fargate_network_region": "us-east-1",
        "fargate_network_aws_endpoint_url": aws.endpoint_url,
        **extra_vars,
    }
    command = [
        Path(sys.executable).parent / "ansible-playbook",
        "playbooks/setup_network.yml",
        "-e",
        json.dumps(variables),
    ]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)


# Types, choices and CIDRs are checked with no AWS call at all; a zone or VPC id needs a read to be checked.
@pytest.mark.parametrize(
    ("extra_vars", "message", "reads_needed"),
    [
        ({"fargate_network_nat_gateways": "sometimes"}, "fargate_network_nat_gateways", False),
        ({"fargate_network_az_count": "two"}, "fargate_network_az_count", False),
        ({"fargate_network_az_count": 0}, "fargate_network_az_count: must be between 1 and", True),
        ({"fargate_network_vpc_cidr": "10.0.0.0/33"}, "fargate_network_vpc_cidr: '10.0.0.0/33' is not a valid", False),
        (
            {
                "fargate_network_public_subnet_cidrs": ["10.0.0.0/24", "10.0.1.0/24"],
                "fargate_network_private_subnet_cidrs": ["10.0.1.0/24", "10.0.2.0/24"],
            },
            "fargate_network_private_subnet_cidrs: 10.0.1.0/24 overlaps 10.0.1.0/24",
            False,
        ),
        ({"fargate_network_availability_zones": ["mars-1a"]}, "fargate_network_availability_zones: mars-1a not", True),
        ({"fargate_network_vpc_id": "vpc-0abc1234"}, "fargate_network_vpc_id: VPC vpc-0abc1234 does not exist", True),
    ],
)
def test_bad_variable_fails_before_any_change_naming_it(aws, extra_vars, message, reads_needed):
    with aws.recording() as rec:
        run = setup_network(aws, extra_vars)

    assert run.returncode != 0
    assert message in run.stdout + run.stderr
    assert rec.mutations == []
    if not reads_needed:
        assert rec.actions == []
