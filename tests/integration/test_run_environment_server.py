"""The fake CloudReactor API answers as CloudReactor's server (task_manager) does, read from its source: the Run
Environment model and serializer, the views, the permissions and the AWS settings classes. Each test pins one
behaviour, so that a change to the fake that makes it kinder than the server fails here, and so do the module tests
that would then prove less than they seem to. Plain HTTP, no module code."""

import json
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from support.cloudreactor_api_server import cloudreactor  # noqa: F401

KEY = "developer-key"
CONSOLE = "https://us-west-2.console.aws.amazon.com/vpc/home?region=us-west-2#"


def call(fake, method, path, body=None, key=KEY):
    """``(status, decoded body, headers)`` of one request."""
    data = json.dumps(body).encode() if body is not None else None
    request = Request(fake.url + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read()), response.headers
    except HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


def detail(uuid):
    return f"/api/v1/run_environments/{uuid}/"


def aws(body):
    return body["infrastructure_settings"]["AWS"]["__default__"]["settings"]


def patch_settings(fake, uuid, settings):
    return call(
        fake, "PATCH", detail(uuid), {"infrastructure_settings": {"AWS": {"__default__": {"settings": settings}}}}
    )


def test_every_save_normalises_the_settings(cloudreactor):  # noqa: F811
    uuid = cloudreactor.add_run_environment("staging")
    sent = {
        "region": "us-west-2",
        "events_role_arn": "arn:aws:iam::123456789012:role/cr-events",
        "assign_public_ip": True,  # the dashboard's checkbox, outside network: not a key of the AWS settings
        "network": {"vpc_id": "vpc-0123456789abcdef0", "subnets": ["subnet-11111111"], "security_groups": []},
    }

    status, body, _headers = patch_settings(cloudreactor, uuid, sent)

    assert status == 200
    expected = {
        "account_id": None,
        "region": "us-west-2",
        "access_key": None,
        "events_role_arn": "arn:aws:iam::123456789012:role/cr-events",
        "events_role_infrastructure_website_url": "https://console.aws.amazon.com/iam/home#/roles/cr-events",
        "assumed_role_external_id": None,
        "execution_role_arn": None,
        "execution_role_infrastructure_website_url": None,
        "workflow_starter_lambda_arn": None,
        "workflow_starter_lambda_infrastructure_website_url": None,
        "workflow_starter_access_key": None,
        "network": {
            "region": None,
            "availability_zone": None,
            "subnets": ["subnet-11111111"],
            "subnet_infrastructure_website_urls": [CONSOLE + "SubnetDetails:subnetId=subnet-11111111"],
            "security_groups": [],
            "security_group_infrastructure_website_urls": [],
            "assign_public_ip": None,
            "networks": None,
        },
        "logging": None,
        "xray": None,
        "tags": None,
    }
    assert aws(body) == expected
    assert aws(call(cloudreactor, "GET", detail(uuid))[1]) == expected
    assert aws(cloudreactor.stored(uuid)) == dict(expected, secret_key=None)


def test_no_region_no_console_links(cloudreactor):  # noqa: F811
    uuid = cloudreactor.add_run_environment("staging")

    _status, body, _headers = patch_settings(cloudreactor, uuid, {"network": {"subnets": ["subnet-11111111"]}})

    assert aws(body)["network"]["subnet_infrastructure_website_urls"] is None


def test_nothing_stored_reads_as_empty_infrastructure_settings(cloudreactor):  # noqa: F811
    uuid = cloudreactor.add_run_environment("fresh", aws=False)

    _status, body, _headers = call(cloudreactor, "GET", detail(uuid))

    assert body["infrastructure_settings"] == {}


def test_ids_are_not_validated(cloudreactor):  # noqa: F811
    """Only the dashboard checks ids; the API stores anything. The module's own checks are the only guard."""
    uuid = cloudreactor.add_run_environment("staging")

    status, body, _headers = patch_settings(
        cloudreactor, uuid, {"network": {"subnets": ["subnet-1", "not an id"], "security_groups": ["sg-XYZ"]}}
    )

    assert status == 200
    assert aws(body)["network"]["subnets"] == ["subnet-1", "not an id"]
    assert aws(body)["network"]["security_groups"] == ["sg-XYZ"]


def test_patch_replaces_the_aws_settings_and_never_returns_the_secret(cloudreactor):  # noqa: F811
    uuid = cloudreactor.add_run_environment("keys", settings={"access_key": "AKIAEXAMPLE", "secret_key": "s1"})
    assert "secret_key" not in aws(call(cloudreactor, "GET", detail(uuid))[1])

    status, body, _headers = patch_settings(cloudreactor, uuid, {"access_key": "AKIAEXAMPLE", "secret_key": "s2"})

    assert status == 200 and "secret_key" not in aws(body)
    stored = aws(cloudreactor.stored(uuid))
    assert stored["secret_key"] == "s2"
    assert stored["account_id"] is None and stored["network"] is None  # not sent: gone


def test_only_the_default_label(cloudreactor):  # noqa: F811
    uuid = cloudreactor.add_run_environment("staging")

    status, body, _headers = call(
        cloudreactor, "PATCH", detail(uuid), {"infrastructure_settings": {"AWS": {"other": {"settings": {}}}}}
    )

    assert status == 400
    assert body["error_class"] == "ValidationError"
    assert body["infrastructure_settings"] == ["Non-default infrastructure settings not supported yet"]


def test_names_are_unique_per_group(cloudreactor):  # noqa: F811
    cloudreactor.add_run_environment("staging", group_id=1)
    cloudreactor.add_run_environment("staging", group_id=2)

    with pytest.raises(ValueError, match="group 1 already has a Run Environment named 'staging'"):
        cloudreactor.add_run_environment("staging", group_id=1)


def test_the_list_is_scoped_to_the_keys_group(cloudreactor):  # noqa: F811
    own = cloudreactor.add_run_environment("staging", group_id=1)
    cloudreactor.add_run_environment("staging", group_id=2)
    cloudreactor.add_run_environment("production", group_id=2)

    status, body, _headers = call(cloudreactor, "GET", "/api/v1/run_environments/?name=staging")
    _status, everything, _headers = call(cloudreactor, "GET", "/api/v1/run_environments/")

    assert status == 200
    assert [item["uuid"] for item in body["results"]] == [own] and body["count"] == 1
    assert [item["uuid"] for item in everything["results"]] == [own]


def test_a_foreign_group_id_is_422(cloudreactor):  # noqa: F811
    cloudreactor.add_run_environment("staging", group_id=2)

    status, body, _headers = call(cloudreactor, "GET", "/api/v1/run_environments/?created_by_group__id=2")

    assert status == 422
    assert body == {
        "detail": "Group ID does not match authenticated Group",
        "error_code": "unprocessable_entity",
        "error_class": "UnprocessableEntity",
        "error_message": "Group ID does not match authenticated Group",
    }


def test_a_foreign_group_in_the_body_is_422(cloudreactor):  # noqa: F811
    uuid = cloudreactor.add_run_environment("staging")

    status, body, _headers = call(cloudreactor, "PATCH", detail(uuid), {"created_by_group": {"id": 2}})

    assert status == 422
    assert body["created_by_group"] == ["Request body group does not match authenticated Group"]
    assert body["error_class"] == "UnprocessableEntity"


@pytest.mark.parametrize("method", ["GET", "PATCH"])
def test_another_groups_run_environment_is_404_not_403(cloudreactor, method):  # noqa: F811
    other = cloudreactor.add_run_environment("staging", group_id=2)

    status, body, _headers = call(cloudreactor, method, detail(other), {} if method == "PATCH" else None)

    assert status == 404
    assert body == {
        "detail": "Not found.",
        "error_code": "not_found",
        "error_class": "NotFound",
        "error_message": "Not found.",
    }


def test_a_scoped_key_sees_only_its_run_environment(cloudreactor):  # noqa: F811
    staging = cloudreactor.add_run_environment("staging")
    production = cloudreactor.add_run_environment("production")
    cloudreactor.add_key("staging-key", run_environment=staging)

    listed = call(cloudreactor, "GET", "/api/v1/run_environments/", key="staging-key")[1]

    assert [item["uuid"] for item in listed["results"]] == [staging]
    assert call(cloudreactor, "GET", detail(production), key="staging-key")[0] == 404
    assert call(cloudreactor, "GET", detail(staging), key="staging-key")[0] == 200


def test_unknown_and_deactivated_keys(cloudreactor):  # noqa: F811
    uuid = cloudreactor.add_run_environment("staging")
    cloudreactor.add_key("old-key")
    cloudreactor.deactivate_key("old-key")

    unknown = call(cloudreactor, "GET", detail(uuid), key="nobody")
    deactivated = call(cloudreactor, "GET", detail(uuid), key="old-key")

    assert unknown[0] == 401 and unknown[1]["error_class"] == "AuthenticationFailed"
    assert deactivated[0] == 403
    assert deactivated[1] == {
        "detail": "Token is deactivated",
        "error_code": "permission_denied",
        "error_class": "PermissionDenied",
        "error_message": "Token is deactivated",
    }


def test_below_developer_reads_a_summary_and_cannot_patch(cloudreactor):  # noqa: F811
    uuid = cloudreactor.add_run_environment("staging")
    cloudreactor.add_key("support-key", "support")

    read = call(cloudreactor, "GET", detail(uuid), key="support-key")[1]
    patched = call(cloudreactor, "PATCH", detail(uuid), {}, key="support-key")

    assert "infrastructure_settings" not in read and "execution_method_settings" not in read
    assert read["uuid"] == uuid
    assert patched[0] == 403 and patched[1]["error_class"] == "PermissionDenied"


def test_throttling_is_429_with_retry_after_and_processes_nothing(cloudreactor):  # noqa: F811
    uuid = cloudreactor.add_run_environment("staging")
    before = cloudreactor.stored(uuid)
    cloudreactor.throttle(1, retry_after=3)

    status, body, headers = patch_settings(cloudreactor, uuid, {"network": {"subnets": ["subnet-22222222"]}})

    assert status == 429
    assert headers["Retry-After"] == "3"
    assert body["error_class"] == "Throttled" and body["error_code"] == "throttled"
    assert body["detail"] == "Request was throttled. Expected available in 3 seconds."
    assert cloudreactor.stored(uuid) == before
    assert call(cloudreactor, "GET", detail(uuid))[0] == 200  # throttling ended
