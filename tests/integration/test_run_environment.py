"""run_environment: set a CloudReactor Run Environment's network through the API, against a local fake as strict as
CloudReactor's server (tests/support/cloudreactor_api_server.py; its own behaviour is pinned by
test_run_environment_server.py, the error messages by test_run_environment_errors.py)."""

import json

import pytest
from support.cloudreactor_api_server import cloudreactor  # noqa: F401
from support.module_runner import run_module

KEY = "developer-key"
OLD_NETWORK = {
    "region": "us-west-2",
    "subnets": ["subnet-11111111"],
    "security_groups": ["sg-11111111"],
    "assign_public_ip": True,
}
NEW = {
    "subnets": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "security_groups": ["sg-0123456789abcdef0"],
    "assign_public_ip": False,
}
SUBNET_URL = "https://us-west-2.console.aws.amazon.com/vpc/home?region=us-west-2#SubnetDetails:subnetId="


def run(fake, check_mode=False, diff=False, **params):
    params.setdefault("api_key", KEY)
    params.setdefault("api_base_url", fake.url)
    return run_module("run_environment", params, check_mode=check_mode, diff=diff)


def warnings_of(result):
    """Warning texts (ansible-core 2.19 returns structured warnings)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def aws_settings(record):
    return record["infrastructure_settings"]["AWS"]["__default__"]["settings"]


def network_fields(network):
    return {field: network.get(field) for field in NEW}


@pytest.fixture
def staging(cloudreactor):  # noqa: F811
    return cloudreactor.add_run_environment("staging", network=OLD_NETWORK)


def test_sets_the_network_and_keeps_everything_else(cloudreactor, staging):  # noqa: F811
    before = cloudreactor.stored(staging)

    result = run(cloudreactor, name="staging", **NEW)

    assert result.get("failed") is not True, result
    assert result["changed"] is True
    after = cloudreactor.stored(staging)
    settings = aws_settings(after)
    assert network_fields(settings["network"]) == NEW
    assert settings["network"]["region"] == "us-west-2"
    old_settings = aws_settings(before)
    assert {key: value for key, value in settings.items() if key != "network"} == {
        key: value for key, value in old_settings.items() if key != "network"
    }
    assert after["execution_method_settings"] == before["execution_method_settings"]
    assert after["name"] == "staging" and after["description"] == before["description"]
    # What the server stored, its derived links included, read back after the write.
    assert result["run_environment"]["network"] == settings["network"]
    assert result["run_environment"]["network"]["subnet_infrastructure_website_urls"] == [
        SUBNET_URL + subnet for subnet in NEW["subnets"]
    ]
    assert result["run_environment"]["uuid"] == staging
    assert result["concurrent_changes"] == []
    assert cloudreactor.count("PATCH") == 1
    assert cloudreactor.count("GET") == 3  # the name lookup, the read, the read after the write
    assert any("keep the network they were deployed with" in warning for warning in warnings_of(result))


def test_second_run_changes_nothing_and_sends_no_patch(cloudreactor, staging):  # noqa: F811
    """The server answers every known key (null where unset) and its derived links: none of that is a change."""
    run(cloudreactor, name="staging", **NEW)
    cloudreactor.requests.clear()

    result = run(cloudreactor, name="staging", **NEW)

    assert result["changed"] is False
    assert cloudreactor.count("PATCH") == 0
    assert cloudreactor.count("GET") == 2  # the name lookup and the read
    assert "warnings" not in result


def test_same_ids_in_another_order_are_no_change(cloudreactor, staging):  # noqa: F811
    run(cloudreactor, name="staging", **NEW)

    result = run(cloudreactor, name="staging", subnets=list(reversed(NEW["subnets"])))

    assert result["changed"] is False
    assert cloudreactor.count("PATCH") == 1


def test_only_given_fields_change(cloudreactor, staging):  # noqa: F811
    result = run(cloudreactor, name="staging", assign_public_ip=False)

    assert result["changed"] is True
    network = aws_settings(cloudreactor.stored(staging))["network"]
    assert network_fields(network) == dict(network_fields(OLD_NETWORK), assign_public_ip=False)


def test_keys_the_server_drops_are_not_kept(cloudreactor):  # noqa: F811
    """vpc_id is not part of CloudReactor's network: dropped when the Run Environment is saved, whoever saves it."""
    uuid = cloudreactor.add_run_environment("staging", network=dict(OLD_NETWORK, vpc_id="vpc-0123456789abcdef0"))

    result = run(cloudreactor, name="staging", **NEW)

    assert "vpc_id" not in result["run_environment"]["network"]
    assert "vpc_id" not in aws_settings(cloudreactor.stored(uuid))["network"]


def test_check_mode_reports_the_change_and_sends_nothing(cloudreactor, staging):  # noqa: F811
    before = cloudreactor.stored(staging)
    network_before = aws_settings(before)["network"]

    result = run(cloudreactor, check_mode=True, diff=True, name="staging", **NEW)

    assert result["changed"] is True
    assert cloudreactor.count("PATCH") == 0
    assert cloudreactor.stored(staging) == before
    assert result["diff"]["before"] == network_before
    # The links the server would derive from the new ids are left out: only the server computes them.
    predicted = dict(network_before, **NEW)
    del predicted["subnet_infrastructure_website_urls"], predicted["security_group_infrastructure_website_urls"]
    assert result["diff"]["after"] == predicted
    assert result["run_environment"]["network"] == predicted
    assert "concurrent_changes" not in result


def test_diff_only_in_diff_mode(cloudreactor, staging):  # noqa: F811
    assert "diff" not in run(cloudreactor, name="staging", subnets=["subnet-22222222"])
    after = run(cloudreactor, diff=True, name="staging", subnets=["subnet-33333333"])["diff"]["after"]
    assert after["subnets"] == ["subnet-33333333"]
    assert after["subnet_infrastructure_website_urls"] == [SUBNET_URL + "subnet-33333333"]


def test_without_network_options_it_only_reads(cloudreactor, staging):  # noqa: F811
    result = run(cloudreactor, name="staging")

    assert result["changed"] is False
    assert result["run_environment"]["network"] == aws_settings(cloudreactor.stored(staging))["network"]
    assert network_fields(result["run_environment"]["network"]) == network_fields(OLD_NETWORK)
    assert cloudreactor.count("PATCH") == 0


def test_a_run_environment_without_aws_settings(cloudreactor):  # noqa: F811
    """The server answers infrastructure_settings {} when nothing is stored; the first network creates them."""
    uuid = cloudreactor.add_run_environment("fresh", aws=False)

    read = run(cloudreactor, name="fresh")
    result = run(cloudreactor, name="fresh", **NEW)

    assert read["run_environment"]["network"] == {}
    assert result["changed"] is True
    settings = aws_settings(cloudreactor.stored(uuid))
    assert network_fields(settings["network"]) == NEW
    assert settings["account_id"] is None and settings["secret_key"] is None


def test_by_uuid(cloudreactor, staging):  # noqa: F811
    result = run(cloudreactor, uuid=staging, **NEW)

    assert result["changed"] is True
    assert not any(query for method, _path, query in cloudreactor.requests if method == "GET")  # no name lookup


def test_only_the_keys_group_is_searched(cloudreactor):  # noqa: F811
    """Names are unique per group, not across groups; the key's group's Run Environment is the one changed."""
    other = cloudreactor.add_run_environment("staging", network=OLD_NETWORK, group_id=2)
    own = cloudreactor.add_run_environment("staging", network=OLD_NETWORK, group_id=1)

    result = run(cloudreactor, name="staging", **NEW)

    assert result["changed"] is True and result["run_environment"]["uuid"] == own
    assert network_fields(aws_settings(cloudreactor.stored(other))["network"]) == network_fields(OLD_NETWORK)


def test_exact_name_match_on_a_later_page(cloudreactor):  # noqa: F811
    """Names are matched exactly by the module too, across every page, whatever the server's filter does."""
    cloudreactor.page_size = 2
    cloudreactor.ignore_name_filter = True
    for name in ("target-2", "Target", "other", "target "):
        cloudreactor.add_run_environment(name)
    target = cloudreactor.add_run_environment("target")

    result = run(cloudreactor, name="target", **NEW)

    assert result["changed"] is True and result["run_environment"]["uuid"] == target
    assert cloudreactor.count("GET") == 5  # three pages, the Run Environment itself, the read after the write


def test_an_edit_saved_right_after_the_update_is_reported(cloudreactor, staging):  # noqa: F811
    """No ETag: the module reads again after its PATCH and reports what someone else changed meanwhile."""

    def colleague_saves(settings):
        settings["network"]["subnets"] = ["subnet-44444444"]
        settings["tags"] = {"team": "platform"}

    cloudreactor.edit_after_next_patch(colleague_saves)

    result = run(cloudreactor, name="staging", **NEW)

    assert result["changed"] is True
    assert result["concurrent_changes"] == [  # the console links derived from the subnets are not repeated
        {"key": "network.subnets", "written": NEW["subnets"], "now": ["subnet-44444444"]},
        {"key": "tags.team", "written": "data", "now": "platform"},
    ]
    assert result["run_environment"]["network"]["subnets"] == ["subnet-44444444"]  # what is stored now
    warnings = warnings_of(result)
    assert any("changed right after this update: network.subnets is now ['subnet-44444444']" in w for w in warnings)
    assert any("tags.team is now 'platform', not 'data'" in w for w in warnings)


def test_key_and_url_from_the_environment(cloudreactor, staging, monkeypatch):  # noqa: F811
    monkeypatch.setenv("CLOUDREACTOR_DEPLOY_API_KEY", KEY)
    monkeypatch.setenv("CLOUDREACTOR_API_BASE_URL", cloudreactor.url)

    result = run_module("run_environment", {"name": "staging", **NEW})

    assert result["changed"] is True
    assert KEY not in json.dumps(result)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"subnets": ["subnet-1"]}, "subnets: 'subnet-1' is not a subnet id"),
        ({"subnets": ["subnet-0123456789ABCDEF0"]}, "subnets:"),
        ({"security_groups": ["subnet-11111111"]}, "security_groups:"),
        ({"subnets": []}, "subnets: must list at least one id"),
        ({"subnets": ["subnet-11111111", "subnet-11111111"]}, "subnets: lists subnet-11111111 more than once"),
        ({"name": " "}, "name: must not be empty"),
        ({"uuid": "x"}, "mutually exclusive"),
        ({"timeout": 0}, "timeout:"),
        ({"throttle_retries": -1}, "throttle_retries: must be 0 or more"),
        ({"aws_secret_key": "s3cr3t"}, "aws_secret_key: is sent only with a change of the network"),
        ({"aws_secret_key": "", "subnets": ["subnet-11111111"]}, "aws_secret_key: must not be empty"),
        ({"api_key": ""}, "api_key: no CloudReactor API key"),
        ({"api_base_url": "ftp://example.com"}, "api_base_url:"),
    ],
)
def test_invalid_input_fails_before_any_request(cloudreactor, staging, params, message, monkeypatch):  # noqa: F811
    """The server stores any id it is sent (test_run_environment_server.py): these checks are the only guard."""
    monkeypatch.delenv("CLOUDREACTOR_DEPLOY_API_KEY", raising=False)
    result = run(cloudreactor, **{"name": "staging", **params})

    assert result["failed"] is True
    assert message in result["msg"]
    assert cloudreactor.requests == []


def test_missing_name_and_uuid():
    result = run_module("run_environment", {"api_key": KEY})

    assert result["failed"] is True and "one of the following is required: name, uuid" in result["msg"]
