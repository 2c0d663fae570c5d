"""run_environment's failures name their cause: each answer CloudReactor's server gives, from the fake that answers
as the server does (status and error body)."""

import json
import socket

import pytest
from support.cloudreactor_api_server import cloudreactor  # noqa: F401
from support.module_runner import run_module
from test_run_environment import NEW, OLD_NETWORK, aws_settings, network_fields, run

from ansible_collections.cloudreactor.aws.plugins.module_utils._cloudreactor.api import (
    MAX_THROTTLE_WAIT,
    CloudReactorClient,
    Throttling,
)
from ansible_collections.cloudreactor.aws.plugins.module_utils._common.errors import NetworkError

KEY = "developer-key"


@pytest.fixture
def staging(cloudreactor):  # noqa: F811
    return cloudreactor.add_run_environment("staging", network=OLD_NETWORK)


def test_unknown_key_is_a_clear_401(cloudreactor, staging):  # noqa: F811
    result = run(cloudreactor, name="staging", api_key="not-a-key-5f2c", **NEW)

    assert result["failed"] is True
    assert "HTTP 401" in result["msg"] and "CLOUDREACTOR_DEPLOY_API_KEY" in result["msg"]
    assert "not-a-key-5f2c" not in json.dumps(result)


def test_deactivated_key_says_so(cloudreactor, staging):  # noqa: F811
    cloudreactor.deactivate_key(KEY)

    result = run(cloudreactor, name="staging", **NEW)

    assert result["failed"] is True
    assert "HTTP 403: PermissionDenied: Token is deactivated" in result["msg"]
    assert "the API key is deactivated; enable it again in the CloudReactor dashboard" in result["msg"]
    assert "Developer access level" not in result["msg"]
    assert result["status"] == 403


def test_key_below_developer_cannot_see_the_settings(cloudreactor, staging):  # noqa: F811
    cloudreactor.add_key("support-key", "support")

    result = run(cloudreactor, name="staging", api_key="support-key", **NEW)

    assert result["failed"] is True
    assert "does not show the infrastructure settings" in result["msg"]
    assert "Developer access level" in result["msg"]
    assert cloudreactor.count("PATCH") == 0


def test_forbidden_patch_names_the_access_level(cloudreactor, staging):  # noqa: F811
    """The server's 403 for a PATCH with a key below Developer (the module stops before, at the hidden settings)."""
    cloudreactor.add_key("support-key", "support")
    client = CloudReactorClient(cloudreactor.url, "support-key")

    with pytest.raises(NetworkError) as raised:
        client.patch_run_environment(staging, {"infrastructure_settings": {}})

    assert "HTTP 403: PermissionDenied: You do not have permission to perform this action." in str(raised.value)
    assert "Developer access level (500)" in str(raised.value)


def test_another_groups_run_environment_is_404_by_uuid(cloudreactor):  # noqa: F811
    other = cloudreactor.add_run_environment("staging", network=OLD_NETWORK, group_id=2)

    result = run(cloudreactor, uuid=other, **NEW)

    assert result["failed"] is True
    assert f"CloudReactor found nothing to read Run Environment {other} (HTTP 404)" in result["msg"]
    assert "an API key sees only the Run Environments of its own group" in result["msg"]
    assert network_fields(aws_settings(cloudreactor.stored(other))["network"]) == network_fields(OLD_NETWORK)


def test_another_groups_run_environment_is_not_found_by_name(cloudreactor):  # noqa: F811
    cloudreactor.add_run_environment("staging", network=OLD_NETWORK, group_id=2)

    result = run(cloudreactor, name="staging", **NEW)

    assert result["failed"] is True
    assert "no Run Environment named 'staging' is visible to this API key" in result["msg"]
    assert "names are exact and case-sensitive" in result["msg"]


def test_a_key_scoped_to_another_run_environment(cloudreactor, staging):  # noqa: F811
    production = cloudreactor.add_run_environment("production")
    cloudreactor.add_key("production-key", run_environment=production)

    by_uuid = run(cloudreactor, uuid=staging, api_key="production-key", **NEW)
    by_name = run(cloudreactor, name="staging", api_key="production-key", **NEW)

    assert by_uuid["failed"] is True and "(HTTP 404)" in by_uuid["msg"]
    assert "a key scoped to one Run Environment sees only that one" in by_uuid["msg"]
    assert by_name["failed"] is True and "no Run Environment named 'staging' is visible" in by_name["msg"]
    assert "a key scoped to one Run Environment sees only that one" in by_name["msg"]
    assert cloudreactor.count("PATCH") == 0


def test_a_key_scoped_to_its_run_environment_sets_it(cloudreactor, staging):  # noqa: F811
    cloudreactor.add_key("staging-key", run_environment=staging)

    result = run(cloudreactor, name="staging", api_key="staging-key", **NEW)

    assert result["changed"] is True
    assert network_fields(aws_settings(cloudreactor.stored(staging))["network"]) == NEW


def test_throttled_requests_are_sent_again(cloudreactor, staging):  # noqa: F811
    cloudreactor.throttle(3)  # Retry-After: 0

    result = run(cloudreactor, name="staging", **NEW)

    assert result["changed"] is True
    assert network_fields(aws_settings(cloudreactor.stored(staging))["network"]) == NEW
    assert cloudreactor.count("GET") == 3 + 3  # the name lookup throttled thrice, then it, the read, the re-read


def test_throttled_patch_is_sent_again(cloudreactor, staging):  # noqa: F811
    """The server throttles before it processes: a throttled PATCH changed nothing, and sending it again is safe."""
    client = CloudReactorClient(cloudreactor.url, KEY)
    record = client.get_run_environment(staging)
    settings = aws_settings(record)
    settings["network"]["subnets"] = ["subnet-22222222"]
    cloudreactor.throttle(2)

    client.patch_run_environment(staging, {"infrastructure_settings": {"AWS": {"__default__": {"settings": settings}}}})

    assert cloudreactor.count("PATCH") == 3
    assert aws_settings(cloudreactor.stored(staging))["network"]["subnets"] == ["subnet-22222222"]


def test_throttling_that_does_not_end_is_a_clear_429(cloudreactor, staging):  # noqa: F811
    cloudreactor.throttle(100)

    result = run(cloudreactor, name="staging", throttle_retries=2, **NEW)

    assert result["failed"] is True
    assert "CloudReactor throttled the requests to list the Run Environments named 'staging' (HTTP 429" in result["msg"]
    assert "still throttled after 3 attempts" in result["msg"] and "run again later" in result["msg"]
    assert cloudreactor.count("GET") == 3


def test_throttle_waits_follow_retry_after_then_back_off(cloudreactor, staging):  # noqa: F811
    """The waits the client asks for (recorded, not slept): the server's Retry-After, capped; without one, doubling."""
    waits = []
    client = CloudReactorClient(cloudreactor.url, KEY, throttling=Throttling(3, sleep=waits.append))

    cloudreactor.throttle(2, retry_after=7)
    client.get_run_environment(staging)
    cloudreactor.throttle(1, retry_after=3600)
    client.get_run_environment(staging)
    cloudreactor.throttle(3, retry_after=None)
    client.get_run_environment(staging)

    assert waits == [7.0, 7.0, MAX_THROTTLE_WAIT, 1.0, 2.0, 4.0]


def test_other_errors_carry_the_servers_error_class_and_message(cloudreactor, staging):  # noqa: F811
    client = CloudReactorClient(cloudreactor.url, KEY)

    with pytest.raises(NetworkError) as raised:
        client.patch_run_environment(staging, {"created_by_group": {"id": 2}})

    message = str(raised.value)
    assert f"CloudReactor could not update Run Environment {staging} (HTTP 422: UnprocessableEntity: " in message
    assert "Request body group does not match authenticated Group" in message


def test_unreachable_api_is_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_module(
        "run_environment", {"name": "staging", "api_key": KEY, "api_base_url": f"http://127.0.0.1:{port}", "timeout": 5}
    )

    assert result["failed"] is True
    assert f"cannot reach CloudReactor at http://127.0.0.1:{port}" in result["msg"]
