"""The role refuses bad variables before any AWS call, and the message names the variable."""

import pytest
from playbook_runner import run_playbook


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
        run = run_playbook(aws.endpoint_url, "setup_network.yml", extra_vars)

    assert run.returncode != 0
    assert message in run.stdout + run.stderr
    assert rec.mutations == []
    if not reads_needed:
        assert rec.actions == []
