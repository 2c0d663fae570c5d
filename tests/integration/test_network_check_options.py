"""network_check, options: the two input forms, validation before any AWS call, fail_on, read-only behaviour."""

import pytest
from support.network_check_helpers import (
    assert_only,
    build_network,
    private_subnets,
    public_subnets,
    run_check,
    task_params,
)

UNKNOWN_SUBNET = "subnet-0123456789abcdef0"
UNKNOWN_GROUP = "sg-0123456789abcdef0"
UNKNOWN_VPC = "vpc-0123456789abcdef0"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"vpc_id": "vpc-12345678", "subnet_ids": ["subnet-12345678"]}, "mutually exclusive"),
        ({"vpc_id": "vpc-12345678", "security_group_ids": ["sg-12345678"]}, "mutually exclusive"),
        ({"vpc_id": "vpc-12345678", "assign_public_ip": True}, "mutually exclusive"),
        ({}, "one of the following is required: vpc_id, subnet_ids"),
        ({"subnet_ids": ["subnet-12345678"]}, "parameters are required together: subnet_ids, security_group_ids"),
        ({"vpc_id": "vpc-12345678", "fail_on": "sometimes"}, "fail_on"),
        ({"vpc_id": "vpc-12345678", "services": ["ecr"]}, "services"),
        ({"vpc_id": "subnet-12345678"}, "vpc_id: 'subnet-12345678' is not a vpc id"),
        ({"subnet_ids": ["sg-12345678"], "security_group_ids": ["sg-12345678"]}, "subnet_ids: 'sg-12345678'"),
        ({"subnet_ids": ["subnet-12345678"], "security_group_ids": ["subnet-1"]}, "security_group_ids:"),
        ({"subnet_ids": [], "security_group_ids": ["sg-12345678"]}, "subnet_ids: must list at least one id"),
        ({"vpc_id": "vpc-12345678", "min_free_ips": -1}, "min_free_ips: must be 0 or more"),
        ({"vpc_id": "vpc-12345678", "network_name": " "}, "network_name"),
        ({"vpc_id": "vpc-12345678", "report_path": "/nonexistent-dir/report.md"}, "report_path: directory"),
    ],
)
def test_invalid_input_fails_before_any_aws_call(aws, params, message):
    with aws.recording() as rec:
        result = run_check(aws, **params)

    assert result["failed"] is True
    assert message in result["msg"]
    assert rec.actions == []


def test_report_path_that_is_a_directory(aws, tmp_path):
    result = run_check(aws, vpc_id="vpc-12345678", report_path=str(tmp_path))

    assert result["failed"] is True and "report_path" in result["msg"]


@pytest.mark.parametrize(
    ("params", "option"),
    [
        ({"vpc_id": UNKNOWN_VPC}, "vpc_id"),
        ({"subnet_ids": [UNKNOWN_SUBNET], "security_group_ids": [UNKNOWN_GROUP]}, "subnet_ids"),
    ],
)
def test_unknown_resources_are_input_errors(aws, params, option):
    with aws.recording() as rec:
        result = run_check(aws, **params)

    assert result["failed"] is True
    assert result["msg"].startswith(f"{option}:")
    assert result["invalid_option"] == option
    assert rec.mutations == []


def test_unknown_security_group_is_an_input_error(aws, net):
    result = run_check(aws, subnet_ids=private_subnets(net), security_group_ids=[net.sg, UNKNOWN_GROUP])

    assert result["failed"] is True
    assert result["msg"] == f"security_group_ids: security groups not found: {UNKNOWN_GROUP}"


def test_fail_on_error_fails_with_a_summary_and_still_returns_the_audit(aws, net):
    result = run_check(aws, **task_params(net, public_subnets(net), fail_on="error"))

    assert result["failed"] is True
    assert result["msg"].startswith("Fargate egress audit failed (fail_on=error): 2 errors, 0 warnings, 0 info.")
    assert "PUBLIC_SUBNET_NO_PUBLIC_IP" in result["msg"]
    assert result["changed"] is False
    assert len(result["findings"]) == 2 and len(result["subnets"]) == 2
    assert result["summary"]["ok"] is False


def test_error_is_the_default_threshold_and_warnings_pass_it(aws, ec2):
    net = build_network(ec2, nats="single")  # NAT_CROSS_AZ: a warning

    result = run_check(aws, subnet_ids=private_subnets(net), security_group_ids=[net.sg])

    assert not result.get("failed"), result.get("msg")
    assert_only(result, "NAT_CROSS_AZ")
    assert result["summary"]["ok"] is True


def test_fail_on_warning_fails_on_a_warning(aws, ec2):
    net = build_network(ec2, nats="single")

    result = run_check(aws, **task_params(net, fail_on="warning"))

    assert result["failed"] is True
    assert "(fail_on=warning): 0 errors, 1 warnings" in result["msg"]
    assert "NAT_CROSS_AZ" in result["msg"]


def test_fail_on_never_reports_errors_without_failing(aws, net):
    result = run_check(aws, **task_params(net, public_subnets(net), fail_on="never"))

    assert not result.get("failed")
    assert result["summary"]["errors"] == 2


def test_duplicate_subnet_ids_are_audited_once(aws, net):
    subnet = private_subnets(net)[0]

    result = run_check(aws, **task_params(net, [subnet, subnet]))

    assert [item["subnet_id"] for item in result["subnets"]] == [subnet]


def test_check_mode_gives_the_same_answer(aws, net):
    normal = run_check(aws, **task_params(net, public_subnets(net)))
    checked = run_check(aws, check_mode=True, **task_params(net, public_subnets(net)))

    assert checked["findings"] == normal["findings"]
    assert checked["subnets"] == normal["subnets"]
    assert checked["changed"] is False


def test_network_name_alone_audits_the_vpc_the_collection_built(aws, ec2, net):
    ec2.create_tags(
        Resources=[net.vpc],
        Tags=[{"Key": "cloudreactor:network", "Value": "tasks"}, {"Key": "cloudreactor:component", "Value": "vpc"}],
    )

    by_name = run_check(aws, network_name="tasks")
    by_vpc = run_check(aws, vpc_id=net.vpc, network_name="tasks")
    unknown = run_check(aws, network_name="nobody")

    assert by_name["subnets"] == by_vpc["subnets"] and by_name["findings"] == by_vpc["findings"]
    assert unknown["failed"] and unknown["msg"].startswith("network_name: no VPC in this region carries")
