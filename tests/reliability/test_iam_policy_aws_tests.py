"""docs/iam-policy-aws-tests.json, attached beside docs/iam-policy.json (the collection's own actions, which
test_iam_policy.py proves exact), allows exactly what the real-AWS tests (molecule/aws_lifecycle) call besides: the
test harness's actions (break a route, the VPC that is not ours, the sweep, the cost), none missing, none spare."""

import json
from pathlib import Path

from support import aws_run
from support.module_runner import run_module
from support.network_faults import private_default_route_deleted

DOCS = Path(__file__).resolve().parents[2] / "docs"
NETWORK = "iam-aws-tests"


def statement_actions(path):
    statements = {statement["Sid"]: statement for statement in json.loads(path.read_text())["Statement"]}
    assert all(statement["Effect"] == "Allow" for statement in statements.values())
    return {sid: set(statement["Action"]) for sid, statement in statements.items()}


def test_policy_allows_exactly_what_the_aws_tests_call(aws, ec2):
    collection = set().union(*statement_actions(DOCS / "iam-policy.json").values())
    built = run_module(
        "network",
        {**aws.module_params(), "network_name": NETWORK, "az_count": 1, "nat_gateways": "single", "audit": False},
    )
    assert not built.get("failed"), built
    with aws.recording() as rec:
        aws_run.create_foreign_vpc(ec2, NETWORK)
        private_default_route_deleted(ec2, NETWORK, built["network"]["availability_zones"][0])
        aws_run.run_cost(ec2, NETWORK)
        aws_run.remove_foreign_vpc(ec2, NETWORK)
        aws_run.leftovers(ec2, NETWORK)
    # Tags given at creation (TagSpecifications) need ec2:CreateTags as well.
    harness = {f"ec2:{action}" for action in rec.actions} | {"ec2:CreateTags"}

    tests_only = set().union(*statement_actions(DOCS / "iam-policy-aws-tests.json").values())
    assert sorted(tests_only - harness) == [], "allowed but never used"
    assert sorted(harness - collection - tests_only) == [], "used but not allowed"
    assert sorted(tests_only & collection) == [], "already in docs/iam-policy.json"
