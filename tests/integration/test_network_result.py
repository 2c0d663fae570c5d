"""The result file a CI job reads (docs/network-result.schema.json) and check_network's findings with their fixes.

Each playbook run writes the file for one outcome: findings (check_network on a broken network), a check-mode plan
(setup_network --check), an error (setup_network failing after it started). A file left by an earlier run is removed
first. The build, repair and teardown results of a real run are checked by Molecule's aws_lifecycle scenario.
"""

import jsonschema
from support.network_check_helpers import build_network
from support.network_result import SCHEMA, read_result
from support.playbook_runner import run_playbook

ZONE = "us-east-1a"


def test_schema_is_a_valid_json_schema_with_a_version():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["version"] == {"const": 1, "description": "The version of this shape."}


def test_check_network_prints_each_finding_with_its_fix_and_writes_them(aws, ec2, tmp_path):
    net = build_network(ec2, zones=(ZONE,))
    ec2.delete_route(RouteTableId=net.private_rtb[ZONE], DestinationCidrBlock="0.0.0.0/0")
    result_path = tmp_path / "check.json"
    result_path.write_text("left by an earlier run")

    run = run_playbook(
        aws.endpoint_url,
        "check_network.yml",
        {
            "check_network_subnet_ids": [net.private[ZONE]],
            "check_network_security_group_ids": [net.sg],
            "check_network_report_path": "",
            "check_network_result_path": str(result_path),
        },
    )

    assert run.returncode == 2, run.stdout[-3000:]
    result = read_result(result_path)
    assert result["operation"] == "check" and result["outcome"] == "findings" and result["error"] is None
    assert result["summary"]["errors"] > 0
    for finding in result["findings"]:
        line = f"{finding['severity'].upper()} {finding['code']} ({finding['resource_id']}): {finding['message']}."
        assert line in run.stdout
        assert f"Fix: {finding['remediation']}" in run.stdout


def test_setup_network_in_check_mode_writes_its_plan(aws, tmp_path):
    result_path = tmp_path / "plan.json"

    run = run_playbook(
        aws.endpoint_url,
        "setup_network.yml",
        {
            "fargate_network_name": "plan",
            "fargate_network_az_count": 1,
            "fargate_network_result_path": f"{result_path}",
        },
        check=True,
    )

    assert run.returncode == 0, run.stdout[-3000:]
    result = read_result(result_path)
    assert (result["operation"], result["outcome"], result["check_mode"]) == ("setup", "clean", True)
    assert result["changes"] == [] and "created VPC" in result["plan"] and result["changed"]
    assert result["network"]["name"] == "plan" and result["network"]["vpc_id"] is None


def test_a_failed_run_writes_an_error_result(aws, tmp_path):
    result_path = tmp_path / "error.json"
    result_path.write_text("left by an earlier run")

    run = run_playbook(
        aws.endpoint_url,
        "setup_network.yml",
        {"fargate_network_vpc_id": "vpc-0abc1234", "fargate_network_result_path": str(result_path)},
    )

    assert run.returncode == 2
    result = read_result(result_path)
    assert result["outcome"] == "error" and "fargate_network_vpc_id" in result["error"]
    assert result["error"] in run.stdout
