"""docs/iam-policy.json (the collection's own actions, which test_iam_policy.py proves exact) is all the real-AWS
tests (molecule/aws_lifecycle) need: the test harness's own actions (break a route, the VPC that is not ours, the
sweep, the cost) are among the collection's (the sweep's DescribeKeyPairs is the network claim's), so
docs/testing-on-aws.md asks for no second policy. A harness call the collection does not make fails here."""

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


def test_the_collections_policy_allows_everything_the_aws_tests_call(aws, ec2):
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
    assert sorted(harness - collection) == [], "called by the harness but not in docs/iam-policy.json"
