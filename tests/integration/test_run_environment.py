"""run_environment: set a CloudReactor Run Environment's network through the API (a local fake with the documented
semantics: name filter and pagination, Bearer keys and access levels, PATCH replaces, secret_key never returned)."""

import json
import socket

import pytest
from ansible.module_utils.common import warnings as ansible_warnings
from cloudreactor_api_server import FakeCloudReactor, cloudreactor  # noqa: F401
from module_runner import run_module

from ansible_collections.cloudreactor.aws.plugins.module_utils.cloudreactor_api import CloudReactorClient

KEY = "developer-key"
OLD_NETWORK = {
    "region": "us-west-2",
    "vpc_id": "vpc-0123456789abcdef0",
    "subnets": ["subnet-11111111"],
    "security_groups": ["sg-11111111"],
    "assign_public_ip": True,
}
NEW = {
    "subnets": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
    "security_groups": ["sg-0123456789abcdef0"],
    "assign_public_ip": False,
}


def run(fake, check_mode=False, diff=False, **params):
    ansible_warnings._global_warnings.clear()  # in-process runs share ansible's warning list
    params.setdefault("api_key", KEY)
    params.setdefault("api_base_url", fake.url)
    return run_module("run_environment", params, check_mode=check_mode, diff=diff)


def warnings_of(result):
    """Warning texts (ansible-core 2.19 returns structured warnings)."""
    return [w["event"]["msg"] if isinstance(w, dict) else w for w in result.get("warnings", [])]


def aws_settings(record):
    return record["infrastructure_settings"]["AWS"]["__default__"]["settings"]


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
    assert settings["network"] == {"region": "us-west-2", "vpc_id": "vpc-0123456789abcdef0", **NEW}
    old_settings = aws_settings(before)
    for key in ("account_id", "region", "events_role_arn", "assumed_role_external_id", "tags"):
        assert settings[key] == old_settings[key]
    assert after["execution_method_settings"] == before["execution_method_settings"]
    assert after["name"] == "staging" and after["description"] == before["description"]
    assert result["run_environment"]["network"] == settings["network"]
    assert result["run_environment"]["uuid"] == staging
    assert cloudreactor.count("PATCH") == 1
    assert any("keep the network they were deployed with" in warning for warning in warnings_of(result))


def test_second_run_changes_nothing_and_sends_no_patch(cloudreactor, staging):  # noqa: F811
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
    assert aws_settings(cloudreactor.stored(staging))["network"] == dict(OLD_NETWORK, assign_public_ip=False)


def test_check_mode_reports_the_change_and_sends_nothing(cloudreactor, staging):  # noqa: F811
    before = cloudreactor.stored(staging)

    result = run(cloudreactor, check_mode=True, diff=True, name="staging", **NEW)

    assert result["changed"] is True
    assert cloudreactor.count("PATCH") == 0
    assert cloudreactor.stored(staging) == before
    assert result["diff"]["before"] == OLD_NETWORK
    assert result["diff"]["after"] == dict(OLD_NETWORK, **NEW)
    assert result["run_environment"]["network"] == dict(OLD_NETWORK, **NEW)


def test_diff_only_in_diff_mode(cloudreactor, staging):  # noqa: F811
    assert "diff" not in run(cloudreactor, name="staging", subnets=["subnet-22222222"])
    assert run(cloudreactor, diff=True, name="staging", subnets=["subnet-33333333"])["diff"]["after"]["subnets"] == [
        "subnet-33333333"
    ]


def test_without_network_options_it_only_reads(cloudreactor, staging):  # noqa: F811
    result = run(cloudreactor, name="staging")

    assert result["changed"] is False
    assert result["run_environment"]["network"] == OLD_NETWORK
    assert cloudreactor.count("PATCH") == 0


def test_by_uuid(cloudreactor, staging):  # noqa: F811
    result = run(cloudreactor, uuid=staging, **NEW)

    assert result["changed"] is True
    assert cloudreactor.count("GET", "/api/v1/run_environments/") == 1  # no name lookup


def test_refuses_a_run_environment_with_access_keys(cloudreactor):  # noqa: F811
    uuid = cloudreactor.add_run_environment(
        "keys", network=OLD_NETWORK, settings={"access_key": "AKIAEXAMPLE", "secret_key": "stored-secret"}
    )

    result = run(cloudreactor, name="keys", **NEW)

    assert result["failed"] is True
    assert "access key" in result["msg"] and "erase the secret key" in result["msg"]
    assert cloudreactor.count("PATCH") == 0
    assert aws_settings(cloudreactor.stored(uuid))["secret_key"] == "stored-secret"


def test_access_keys_are_fine_when_nothing_changes(cloudreactor):  # noqa: F811
    cloudreactor.add_run_environment(
        "keys", network=OLD_NETWORK, settings={"access_key": "AKIAEXAMPLE", "secret_key": "s"}
    )

    result = run(cloudreactor, name="keys", subnets=OLD_NETWORK["subnets"])

    assert result["changed"] is False


def test_the_fake_erases_the_secret_on_a_blind_round_trip(cloudreactor):  # noqa: F811
    """Proves the danger the refusal avoids: GET never returns secret_key, and PATCH replaces the settings."""
    uuid = cloudreactor.add_run_environment("keys", settings={"access_key": "AKIAEXAMPLE", "secret_key": "s"})
    client = CloudReactorClient(cloudreactor.url, KEY)
    record = client.get_run_environment(uuid)
    assert "secret_key" not in aws_settings(record)
    client.patch_run_environment(uuid, {"infrastructure_settings": record["infrastructure_settings"]})
    assert "secret_key" not in aws_settings(cloudreactor.stored(uuid))


def test_unknown_key_is_a_clear_401(cloudreactor, staging):  # noqa: F811
    result = run(cloudreactor, name="staging", api_key="not-a-key-5f2c", **NEW)

    assert result["failed"] is True
    assert "HTTP 401" in result["msg"] and "CLOUDREACTOR_DEPLOY_API_KEY" in result["msg"]
    assert "not-a-key-5f2c" not in json.dumps(result)


def test_key_below_developer_cannot_see_the_settings(cloudreactor, staging):  # noqa: F811
    cloudreactor.add_key("support-key", "support")

    result = run(cloudreactor, name="staging", api_key="support-key", **NEW)

    assert result["failed"] is True
    assert "Developer access level" in result["msg"]
    assert cloudreactor.count("PATCH") == 0


def test_forbidden_patch_is_a_clear_403(cloudreactor, staging):  # noqa: F811
    cloudreactor.patch_forbidden.add(KEY)

    result = run(cloudreactor, name="staging", **NEW)

    assert result["failed"] is True
    assert "HTTP 403" in result["msg"] and "Developer access level" in result["msg"]
    assert aws_settings(cloudreactor.stored(staging))["network"] == OLD_NETWORK


def test_unknown_uuid_is_a_clear_404(cloudreactor):  # noqa: F811
    result = run(cloudreactor, uuid="3f1e9c8a-0000-0000-0000-000000000000", **NEW)

    assert result["failed"] is True
    assert "HTTP 404" in result["msg"] and "3f1e9c8a-0000-0000-0000-000000000000" in result["msg"]


def test_unknown_name(cloudreactor, staging):  # noqa: F811
    result = run(cloudreactor, name="Staging", **NEW)

    assert result["failed"] is True
    assert "no Run Environment is named 'Staging'" in result["msg"]


def test_several_matches_across_pages(cloudreactor):  # noqa: F811
    cloudreactor.page_size = 2
    uuids = [cloudreactor.add_run_environment("shared", group_id=group) for group in (1, 2, 3)]
    cloudreactor.add_run_environment("other")

    result = run(cloudreactor, name="shared", **NEW)

    assert result["failed"] is True
    assert "3 Run Environments are named 'shared'" in result["msg"] and "give uuid" in result["msg"]
    assert all(uuid in result["msg"] for uuid in uuids)
    assert cloudreactor.count("GET") == 2  # two pages of the filtered list
    assert cloudreactor.count("PATCH") == 0


def test_exact_name_match_on_a_later_page(cloudreactor):  # noqa: F811
    """Names are matched exactly by the module too, across every page, whatever the server's filter does."""
    cloudreactor.page_size = 2
    cloudreactor.ignore_name_filter = True
    for name in ("target-2", "Target", "other", "target "):
        cloudreactor.add_run_environment(name)
    target = cloudreactor.add_run_environment("target")

    result = run(cloudreactor, name="target", **NEW)

    assert result["changed"] is True and result["run_environment"]["uuid"] == target
    assert cloudreactor.count("GET") == 4  # three pages, then the Run Environment itself


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
        ({"api_key": ""}, "api_key: no CloudReactor API key"),
        ({"api_base_url": "ftp://example.com"}, "api_base_url:"),
    ],
)
def test_invalid_input_fails_before_any_request(cloudreactor, staging, params, message, monkeypatch):  # noqa: F811
    monkeypatch.delenv("CLOUDREACTOR_DEPLOY_API_KEY", raising=False)
    result = run(cloudreactor, **{"name": "staging", **params})

    assert result["failed"] is True
    assert message in result["msg"]
    assert cloudreactor.requests == []


def test_missing_name_and_uuid():
    result = run_module("run_environment", {"api_key": KEY})

    assert result["failed"] is True and "one of the following is required: name, uuid" in result["msg"]


def test_unreachable_api_is_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_module(
        "run_environment", {"name": "staging", "api_key": KEY, "api_base_url": f"http://127.0.0.1:{port}", "timeout": 5}
    )

    assert result["failed"] is True
    assert f"cannot reach CloudReactor at http://127.0.0.1:{port}" in result["msg"]
