"""A role run that waits for NAT gateways prints their states after every round of the wait, in the play's output
(no -v); a run with nothing to do prints none and costs what it did before the wait had rounds."""

import re

from support.module_runner import run_module
from support.network_faults import DEFAULT_ROUTE, NETWORK_TAG, _igw, _subnet, _table, nat_deleted
from support.playbook_runner import changed_count, run_playbook

NAME = "progress"
# A round every second, so the emulator's pending NAT gateways are seen pending before they become available.
NETWORK = {"fargate_network_name": NAME, "fargate_network_az_count": 2, "fargate_network_progress_interval": 1}
PROGRESS = re.compile(
    r"^TASK \[cloudreactor\.aws\.fargate_network : Show the NAT gateways' states\] \**\n(.*?)\n\n",
    re.MULTILINE | re.DOTALL,
)
LINE = re.compile(r'"msg": "NAT gateways after \d+ s: (.*)"')
# The module's own no-op budget (tests/integration/test_network_module.py): the role adds no call to it.
NOOP_CALLS = 12


def progress_lines(stdout):
    """Each round's line, as ``[(nat_gateway_id, zone, state), ...]``."""
    rounds = []
    for output in PROGRESS.findall(stdout):
        line = LINE.search(output)
        assert line, output
        rounds.append(re.findall(r"(nat-\w+) \((us-east-1\w)\) ([\w ]+?)(?:,|$)", line.group(1)))
    return rounds


def test_a_build_prints_the_nat_gateways_states_until_available_then_audits(aws):
    aws.set_nat_transition("manual", times=6)  # pending for several rounds of the wait

    built = run_playbook(aws.endpoint_url, "setup_network.yml", NETWORK)

    assert changed_count(built) == 1
    rounds = progress_lines(built.stdout)
    assert len(rounds) >= 2, built.stdout[-3000:]
    zones = [[zone for _nat_id, zone, _state in states] for states in rounds]
    assert zones == [["us-east-1a", "us-east-1b"]] * len(rounds)
    assert [state for _nat_id, _zone, state in rounds[0]] == ["pending", "pending"]
    assert [state for _nat_id, _zone, state in rounds[-1]] == ["available", "available"]
    assert "TASK [cloudreactor.aws.fargate_network : Audit the network now that its NAT gateways are available]" in (
        built.stdout
    )

    with aws.recording() as rec:
        noop = run_playbook(aws.endpoint_url, "setup_network.yml", NETWORK)

    assert changed_count(noop) == 0
    assert "Poll the NAT gateways" not in noop.stdout
    assert progress_lines(noop.stdout) == []
    assert rec.mutations == []
    assert len(rec.actions) == NOOP_CALLS, sorted(rec.actions)


def test_check_mode_waits_for_a_pending_nat_gateway_and_changes_nothing(aws):
    # A run was interrupted while its NAT gateways were pending.
    aws.set_nat_transition("manual", times=4)
    left = run_module("network", {**aws.module_params(), "network_name": NAME, "wait_for_nat_gateways": False})
    assert [nat["state"] for nat in left["pending_nat_gateways"]] == ["pending", "pending"]

    with aws.recording() as rec:
        checked = run_playbook(aws.endpoint_url, "setup_network.yml", NETWORK, check=True)

    assert changed_count(checked) == 0
    assert [state for _nat_id, _zone, state in progress_lines(checked.stdout)[-1]] == ["available", "available"]
    assert rec.mutations == []


def test_a_nat_gateway_failing_during_the_wait_fails_the_role_with_its_failure_code(aws, ec2):
    run_playbook(aws.endpoint_url, "setup_network.yml", NETWORK)
    # Pending through the converge's describes (its plan, then its reading once it holds the network's claim).
    aws.set_nat_transition("manual", times=5)
    # The zone's NAT gateway was deleted, and its replacement made while the public subnet had no way out: AWS
    # fails the replacement once it leaves pending, while the role waits for it.
    public = _subnet(ec2, NAME, "public", "us-east-1a")
    public_table = _table(ec2, NAME, "public")
    nat_deleted(ec2, NAME, "us-east-1a")
    ec2.delete_route(RouteTableId=public_table["RouteTableId"], DestinationCidrBlock=DEFAULT_ROUTE)
    tags = {
        NETWORK_TAG: NAME,
        "cloudreactor:component": "nat-gateway",
        "cloudreactor:az": "us-east-1a",
        "cloudreactor:subnet": public["SubnetId"],
    }
    doomed = ec2.create_nat_gateway(
        SubnetId=public["SubnetId"],
        AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"],
        TagSpecifications=[
            {"ResourceType": "natgateway", "Tags": [{"Key": key, "Value": value} for key, value in tags.items()]}
        ],
    )["NatGateway"]["NatGatewayId"]
    ec2.create_route(
        RouteTableId=public_table["RouteTableId"],
        DestinationCidrBlock=DEFAULT_ROUTE,
        GatewayId=_igw(ec2, NAME)["InternetGatewayId"],
    )

    failed = run_playbook(aws.endpoint_url, "setup_network.yml", NETWORK)

    assert failed.returncode != 0
    assert "TASK [cloudreactor.aws.fargate_network : Poll the NAT gateways]" in failed.stdout
    assert f"NAT gateway {doomed} in subnet {public['SubnetId']} failed: Gateway.NotAttached" in failed.stdout
