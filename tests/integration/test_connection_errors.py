"""A missing region, profile or credentials is reported with what would fix it, before any AWS call.

The messages name the role's variables (checked against its argument specs), the AWS environment variables, and the
commands that show which account and region a run will use.
"""

from pathlib import Path

import pytest
import yaml
from support.module_runner import run_module
from support.playbook_runner import run_playbook

ROLE_SPECS = Path(__file__).resolve().parents[2] / "roles" / "fargate_network" / "meta" / "argument_specs.yml"
ROLE_VARIABLES = set(yaml.safe_load(ROLE_SPECS.read_text())["argument_specs"]["main"]["options"])
CHECK_COMMANDS = ("aws configure list", "aws sts get-caller-identity")
# Every place boto3 would find a region or credentials, emptied for these tests.
AWS_SOURCES = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
)


@pytest.fixture
def no_aws_configuration(monkeypatch, tmp_path):
    for name in AWS_SOURCES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


def test_role_variables_named_exist():
    assert {"fargate_network_region", "fargate_network_aws_profile"} <= ROLE_VARIABLES


def test_missing_region_names_the_variables_and_makes_no_call(aws, no_aws_configuration):
    with aws.recording() as rec:
        result = run_module("network", {"network_name": "n", "endpoint_url": aws.endpoint_url})

    assert result["failed"]
    for words in ("fargate_network_region", "AWS_REGION", "AWS_DEFAULT_REGION", "fargate_network_aws_profile"):
        assert words in result["msg"]
    assert all(command in result["msg"] for command in CHECK_COMMANDS)
    assert rec.actions == []


def test_missing_credentials_names_the_variables(aws, no_aws_configuration):
    result = run_module(
        "network_check", {"vpc_id": "vpc-0abc1234", "region": "us-east-1", "endpoint_url": aws.endpoint_url}
    )

    assert result["failed"]
    for words in ("fargate_network_aws_profile", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        assert words in result["msg"]
    assert all(command in result["msg"] for command in CHECK_COMMANDS)


def test_unknown_profile_names_the_variable(aws, no_aws_configuration):
    result = run_module("network", {"network_name": "n", "profile": "nope", "endpoint_url": aws.endpoint_url})

    assert result["failed"]
    assert "nope" in result["msg"] and "fargate_network_aws_profile" in result["msg"]


def test_check_network_without_a_region_says_how_to_set_one(aws, no_aws_configuration):
    """What a newcomer sees: the playbook's output (test_role_input.py checks setup_network's)."""
    run = run_playbook(
        aws.endpoint_url,
        "check_network.yml",
        {"fargate_network_region": ""},
        environment={name: None for name in AWS_SOURCES},
    )

    assert run.returncode != 0
    assert "fargate_network_region" in run.stdout and "aws sts get-caller-identity" in run.stdout
