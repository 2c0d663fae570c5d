"""A normal run of the role (no -v, no check mode) prints one line per change, and nothing when nothing changed."""

import json
import re

from support.network_faults import private_default_route_deleted
from support.playbook_runner import changed_count, run_playbook

NETWORK = {"fargate_network_name": "changes", "fargate_network_az_count": 1}


def change_lines(stdout, task):
    """The lines the role's ``task`` printed (the debug message list), or ``None`` when the task was skipped."""
    banner = re.search(rf"^TASK \[cloudreactor\.aws\.fargate_network : {task}\] \**$", stdout, re.MULTILINE)
    assert banner, stdout[-3000:]
    result = stdout[banner.end() :].lstrip("\n")
    if result.startswith("skipping:"):
        return None
    assert result.startswith("ok: [localhost] => {"), result[:500]
    message = result[result.index("{") : result.index("\n}\n") + 2]
    return json.loads(message)["msg"]


def test_setup_and_teardown_print_each_change_and_a_noop_prints_none(aws, ec2):
    built = run_playbook(aws.endpoint_url, "setup_network.yml", NETWORK)

    assert changed_count(built) == 1
    created = change_lines(built.stdout, "Show what changed")
    assert created[0] == "created VPC"
    assert {"created internet gateway", "created NAT gateway in us-east-1a", "created security group"} <= set(created)

    private_default_route_deleted(ec2, "changes", "us-east-1a")
    repaired = run_playbook(aws.endpoint_url, "setup_network.yml", NETWORK)

    assert changed_count(repaired) == 1
    (repair,) = change_lines(repaired.stdout, "Show what changed")
    assert re.fullmatch(r"route table private-us-east-1a: created default route 0\.0\.0\.0/0 -> nat-\w+", repair)

    noop = run_playbook(aws.endpoint_url, "setup_network.yml", NETWORK)

    assert changed_count(noop) == 0
    assert change_lines(noop.stdout, "Show what changed") is None

    removed = run_playbook(aws.endpoint_url, "teardown_network.yml", NETWORK)

    assert changed_count(removed) == 1
    removals = change_lines(removed.stdout, "Show what was removed")
    assert removals[-1].startswith("deleted VPC vpc-")
    assert sum(line.startswith("deleted subnet ") for line in removals) == 2
