"""The role refuses bad variables before any AWS call, and the message names the variable (one the role has)."""

import re
from pathlib import Path

import pytest
import yaml
from support.playbook_runner import run_playbook

ROLE_SPECS = Path(__file__).resolve().parents[2] / "roles" / "fargate_network" / "meta" / "argument_specs.yml"
ROLE_VARIABLES = set(yaml.safe_load(ROLE_SPECS.read_text())["argument_specs"]["main"]["options"])


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
        ({"fargate_network_name": ""}, "fargate_network_name: must not be empty", False),
        ({"fargate_network_name": " prod"}, "fargate_network_name: ' prod' has leading", False),
        (
            {"fargate_network_nat_allocation_ids": ["eipalloc-0123456789abcdef0"]},
            "fargate_network_nat_allocation_ids: has 1 entries",
            False,
        ),
        (
            {"fargate_network_security_group_ingress": [{"proto": "tcp"}]},
            "fargate_network_security_group_ingress",
            False,
        ),
        ({"fargate_network_report_path": "/"}, "fargate_network_report_path: / is a directory", False),
    ],
)
def test_bad_variable_fails_before_any_change_naming_it(aws, extra_vars, message, reads_needed):
    with aws.recording() as rec:
        run = run_playbook(aws.endpoint_url, "setup_network.yml", extra_vars)

    output = run.stdout + run.stderr
    assert run.returncode != 0
    assert message in output
    # The variable a module error names (invalid_option) is one the role really has.
    assert set(re.findall(r'"invalid_option": "([^"]+)"', output)) <= ROLE_VARIABLES
    assert rec.mutations == []
    if not reads_needed:
        assert rec.actions == []


# No region, profile or config file. AWS_EC2_METADATA_DISABLED keeps boto3 from asking the instance metadata
# address for credentials: tests reach nothing but the emulator.
NO_AWS_CONFIG = {
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_REGION": None,
    "AWS_DEFAULT_REGION": None,
    "AWS_PROFILE": None,
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
}


def test_missing_region_fails_before_any_aws_call(aws):
    with aws.recording() as rec:
        run = run_playbook(
            aws.endpoint_url, "setup_network.yml", {"fargate_network_region": ""}, environment=NO_AWS_CONFIG
        )

    assert run.returncode != 0
    assert "requires a region" in run.stdout
    assert rec.actions == []


def test_missing_credentials_fail_before_any_aws_call(aws):
    no_credentials = {**NO_AWS_CONFIG, "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}
    with aws.recording() as rec:
        run = run_playbook(aws.endpoint_url, "setup_network.yml", environment=no_credentials)

    assert run.returncode != 0
    assert "credentials" in run.stdout.lower()
    assert rec.actions == []
