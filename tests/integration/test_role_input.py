"""The role refuses bad variables before any AWS call, and the message names the variable (one the role has).

The bad-variable cases run as the hosts of one playbook run (two: the cases that need no AWS call at all, whose
run must make none, and those that need a read), each host with its case's variables: a playbook's start-up costs
seconds of CPU, the cases only milliseconds. Each case is still a test of its own, on its host's results.
"""

import json
import sys
from pathlib import Path

import pytest
import yaml
from support.playbook_runner import run_playbook

ROLE_SPECS = Path(__file__).resolve().parents[2] / "roles" / "fargate_network" / "meta" / "argument_specs.yml"
ROLE_VARIABLES = set(yaml.safe_load(ROLE_SPECS.read_text())["argument_specs"]["main"]["options"])
ROLE_ON_EVERY_HOST = [
    {
        "name": "The role, on each case's host",
        "hosts": "all",
        "connection": "local",
        "gather_facts": False,
        "roles": [{"role": "cloudreactor.aws.fargate_network"}],
    }
]

# Types, choices and CIDRs are checked with no AWS call at all; a zone or VPC id needs a read to be checked.
BAD_VARIABLES = [
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
]


def host_results(output):
    """The json callback's output: each host's task results, in order."""
    results = {}
    for play in json.loads(output)["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                results.setdefault(host, []).append(result)
    return results


# The two runs' results, kept for the worker's later tests: xdist tears a module fixture down between two tests of
# its group when the worker runs out of queued tests, and the fixture would run both playbooks again.
BAD_VARIABLE_RUNS = {}


@pytest.fixture(scope="module")
def bad_variable_runs(emulator, tmp_path_factory):
    """Case index -> (that host's failed results, the EC2 calls of its run): one run for the cases that need no AWS
    call, one for those that need a read."""
    if not BAD_VARIABLE_RUNS:
        BAD_VARIABLE_RUNS.update(run_bad_variables(emulator, tmp_path_factory))
    return BAD_VARIABLE_RUNS


def run_bad_variables(emulator, tmp_path_factory):
    directory = tmp_path_factory.mktemp("role_input")
    playbook = directory / "role_on_every_host.yml"
    playbook.write_text(yaml.safe_dump(ROLE_ON_EVERY_HOST))
    found = {}
    for reads_needed in (False, True):
        cases = {index: case for index, case in enumerate(BAD_VARIABLES) if case[2] is reads_needed}
        hosts = {
            f"case{index}": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, **variables}
            for index, (variables, _message, _reads) in cases.items()
        }
        inventory = directory / f"inventory_reads_{reads_needed}.yml"
        inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
        emulator.reset()
        with emulator.recording() as rec:
            environment = {"ANSIBLE_INVENTORY": str(inventory), "ANSIBLE_STDOUT_CALLBACK": "json"}
            run = run_playbook(emulator.endpoint_url, playbook, environment=environment)
        assert run.returncode != 0, run.stdout[-3000:]
        results = host_results(run.stdout)
        for index in cases:
            failed = [result for result in results[f"case{index}"] if result.get("failed")]
            found[index] = (failed, rec)
    return found


@pytest.mark.xdist_group("role_input")
@pytest.mark.parametrize(
    ("case", "extra_vars", "message", "reads_needed"),
    [(index, *case) for index, case in enumerate(BAD_VARIABLES)],
    ids=[f"{index}-{next(iter(case[0]))}" for index, case in enumerate(BAD_VARIABLES)],
)
def test_bad_variable_fails_before_any_change_naming_it(bad_variable_runs, case, extra_vars, message, reads_needed):
    failed, rec = bad_variable_runs[case]

    assert failed, f"the role accepted {extra_vars}"
    assert message in json.dumps(failed)
    # The variable a module error names (invalid_option) is one the role really has.
    assert {result["invalid_option"] for result in failed if "invalid_option" in result} <= ROLE_VARIABLES
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
    # The message says what would fix it (tests/integration/test_connection_errors.py checks it in full).
    assert "No AWS region is set. Set fargate_network_region" in run.stdout
    assert rec.actions == []


def test_missing_credentials_fail_before_any_aws_call(aws):
    no_credentials = {**NO_AWS_CONFIG, "AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}
    with aws.recording() as rec:
        run = run_playbook(aws.endpoint_url, "setup_network.yml", environment=no_credentials)

    assert run.returncode != 0
    assert "No AWS credentials were found. Set fargate_network_aws_profile" in run.stdout
    assert rec.actions == []
