"""check_deploy_config's verdicts and report, from deploy_config_network_info given the network_check results
(here written by hand: what the audit finds is network_check's own tests' business)."""

import pytest
from test_deploy_config_info import run_info, task, write_vars

SUBNETS = ["subnet-0d0d0d0d0d0d0d0d1"]
GROUPS = ["sg-0d0d0d0d0d0d0d0d1"]
COMMON = {
    "schema_version": 4,
    "project_task_name_to_config": {
        "etl": {},
        "templated": {"aws": {"network": {"subnets": "{{ subnets | first }}"}}},
        "retired": {"deployed": False},
    },
}
ENV = {"env_aws": {"network": {"subnets": SUBNETS, "security_groups": GROUPS, "assign_public_ip": False}}}


def audit(tasks, errors=0, warnings=0, message="no route | no NAT"):
    findings = []
    if errors:
        findings.append(
            dict(code="NO_EGRESS", severity="error", resource_id="rtb-01", message=message, remediation="add | a NAT")
        )
    if warnings:
        findings.append(dict(code="WIDE_OPEN", severity="warning", resource_id=GROUPS[0], message="m", remediation="r"))
    findings.append(dict(code="NOTE", severity="info", resource_id="vpc-01", message="m", remediation="r"))
    network = dict(subnets=SUBNETS, security_groups=GROUPS, assign_public_ip=False, tasks=tasks)
    return dict(item=network, summary=dict(errors=errors, warnings=warnings), findings=findings)


def check(tmp_path, audits, **params):
    return run_info(write_vars(tmp_path, COMMON, ENV), audit_results=audits, **params)


def test_each_task_gets_its_verdict_and_the_report_escapes_its_cells(tmp_path):
    result = check(tmp_path, [audit(["etl", "retired"], errors=1)])

    assert task(result, "etl")["audit"] == {
        "verdict": "FAIL NO_EGRESS",
        "passed": False,
        "errors": 1,
        "warnings": 0,
    }
    assert task(result, "templated")["audit"]["verdict"] == "not audited: subnets written as templates"
    assert task(result, "templated")["audit"]["passed"] is None
    assert task(result, "retired")["audit"]["verdict"] == "not deployed (deployed: false)"
    assert result["failing_tasks"] == ["etl"]
    report = result["report"]
    assert f"| etl | {SUBNETS[0]} | {GROUPS[0]} | false | FAIL NO_EGRESS |" in report
    assert "| templated | {{ subnets \\| first }} |" in report
    assert "| `NO_EGRESS` | error | rtb-01 | no route \\| no NAT | add \\| a NAT |" in report
    # Where each value comes from, and when it is decided.
    assert "| etl | subnets | vars/staging.yml: env_aws.network.subnets | at deploy time |" in report
    assert result["table"][1] == f"etl | {SUBNETS[0]} | {GROUPS[0]} | false | FAIL NO_EGRESS"


def test_values_left_to_the_run_environment_say_so_in_the_report(tmp_path):
    common = dict(COMMON, project_task_name_to_config={"etl": {"aws": {"network": {"assign_public_ip": None}}}})
    directory = write_vars(tmp_path, common, {"env_aws": {"network": {"subnets": SUBNETS}}})

    report = run_info(directory, audit_results=[])["report"]

    assert "| etl | security_groups | the Run Environment | at deploy time |" in report
    assert (
        "| etl | assign_public_ip | the Run Environment (null at vars/common.yml: "
        "project_task_name_to_config.etl.aws.network.assign_public_ip) | when the task runs |"
    ) in report
    assert "| etl | " + SUBNETS[0] + " | unknown | unset (false) | unknown: security_groups, assign_public_ip" in report


@pytest.mark.parametrize(
    ("fail_on", "errors", "warnings", "failing"),
    [
        ("error", 0, 1, []),
        ("warning", 0, 1, ["etl"]),
        ("never", 1, 0, []),
    ],
)
def test_fail_on_decides_which_tasks_fail(tmp_path, fail_on, errors, warnings, failing):
    result = check(tmp_path, [audit(["etl"], errors=errors, warnings=warnings)], fail_on=fail_on)

    assert result["failing_tasks"] == failing
    expected = "ok" if not (errors or warnings) else ("FAIL NO_EGRESS" if errors else "warn WIDE_OPEN")
    assert task(result, "etl")["audit"]["verdict"] == expected


def test_an_audit_that_could_not_run_fails_the_task(tmp_path):
    # What the playbook's loop registers (failed_when: false) when network_check itself fails.
    failed = dict(item=dict(tasks=["etl"], subnets=SUBNETS, security_groups=GROUPS), failed=False, msg="access denied")

    result = check(tmp_path, [failed])

    assert task(result, "etl")["audit"] == {
        "verdict": "audit failed: access denied",
        "passed": False,
        "errors": 0,
        "warnings": 0,
    }
    assert result["failing_tasks"] == ["etl"]
    assert "The audit failed: access denied" in result["report"]
