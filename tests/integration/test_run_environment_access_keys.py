"""run_environment on Run Environments that authenticate to AWS with an access key: CloudReactor never returns the
secret key and replaces the whole AWS settings on update, so only an update that sends the secret key again keeps
it. The stored secret is read back from the fake server's state."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support.cloudreactor_api_server import cloudreactor  # noqa: F401
from test_run_environment import NEW, OLD_NETWORK, aws_settings, network_fields, run

from ansible_collections.cloudreactor.aws.plugins.module_utils._cloudreactor.api import CloudReactorClient

REPO = Path(__file__).resolve().parents[2]
KEY = "developer-key"
STORED_SECRET = "stored-secret-0b7e2a"
ROLE_SECRET = "role-secret-6a2d9f0c4e"


@pytest.fixture
def with_keys(cloudreactor):  # noqa: F811
    return cloudreactor.add_run_environment(
        "keys", network=OLD_NETWORK, settings={"access_key": "AKIAEXAMPLE", "secret_key": STORED_SECRET}
    )


def test_the_server_erases_the_secret_on_a_blind_round_trip(cloudreactor, with_keys):  # noqa: F811
    """The danger itself, as the dashboard's form meets it: GET never returns secret_key, and PATCH replaces the
    settings - so sending back what was read stores no secret key."""
    client = CloudReactorClient(cloudreactor.url, KEY)
    record = client.get_run_environment(with_keys)
    assert "secret_key" not in aws_settings(record)

    client.patch_run_environment(with_keys, {"infrastructure_settings": record["infrastructure_settings"]})

    assert aws_settings(cloudreactor.stored(with_keys))["secret_key"] is None


def test_refused_without_the_secret_key_with_true_advice(cloudreactor, with_keys):  # noqa: F811
    result = run(cloudreactor, name="keys", **NEW)

    assert result["failed"] is True
    message = result["msg"]
    assert "authenticates to AWS with an access key" in message
    assert "erases it - whether it comes from this module or from the CloudReactor dashboard's form" in message
    assert (
        "give the secret key in aws_secret_key" in message
        and "move the Run Environment to an assumed IAM role" in message
    )
    assert cloudreactor.count("PATCH") == 0
    assert aws_settings(cloudreactor.stored(with_keys))["secret_key"] == STORED_SECRET


def test_the_secret_key_is_sent_in_the_same_update_and_kept(cloudreactor, with_keys):  # noqa: F811
    result = run(cloudreactor, diff=True, name="keys", aws_secret_key=STORED_SECRET, **NEW)

    assert result["changed"] is True, result
    settings = aws_settings(cloudreactor.stored(with_keys))
    assert settings["secret_key"] == STORED_SECRET
    assert settings["access_key"] == "AKIAEXAMPLE"
    assert network_fields(settings["network"]) == NEW
    assert cloudreactor.count("PATCH") == 1
    assert STORED_SECRET not in json.dumps(result)


def test_a_new_secret_key_replaces_the_stored_one(cloudreactor, with_keys):  # noqa: F811
    """The module cannot compare with the stored secret (never returned): what it is given is what is stored."""
    result = run(cloudreactor, name="keys", aws_secret_key="rotated-secret-91c4", subnets=["subnet-22222222"])

    assert result["changed"] is True
    assert aws_settings(cloudreactor.stored(with_keys))["secret_key"] == "rotated-secret-91c4"
    assert "rotated-secret-91c4" not in json.dumps(result)


def test_nothing_is_sent_when_the_network_is_already_set(cloudreactor, with_keys):  # noqa: F811
    result = run(cloudreactor, name="keys", aws_secret_key="another-secret", subnets=OLD_NETWORK["subnets"])

    assert result["changed"] is False
    assert cloudreactor.count("PATCH") == 0
    assert aws_settings(cloudreactor.stored(with_keys))["secret_key"] == STORED_SECRET


def test_access_keys_are_fine_when_nothing_changes(cloudreactor, with_keys):  # noqa: F811
    result = run(cloudreactor, name="keys", subnets=OLD_NETWORK["subnets"])

    assert result["changed"] is False


def test_a_secret_key_for_a_run_environment_without_access_key_is_refused(cloudreactor):  # noqa: F811
    uuid = cloudreactor.add_run_environment("roles", network=OLD_NETWORK)

    result = run(cloudreactor, name="roles", aws_secret_key="unused-secret-5d1f", **NEW)

    assert result["failed"] is True
    assert "aws_secret_key: Run Environment 'roles' does not authenticate to AWS with an access key" in result["msg"]
    assert cloudreactor.count("PATCH") == 0
    assert aws_settings(cloudreactor.stored(uuid))["secret_key"] is None


def test_the_role_re_sends_the_secret_key_and_prints_it_nowhere(cloudreactor, with_keys, tmp_path):  # noqa: F811
    """fargate_network's publish step passes fargate_network_run_environment_aws_secret_key to the module."""
    playbook = tmp_path / "publish.yml"
    variables = {
        "fargate_network": {
            "task_subnet_ids": NEW["subnets"],
            "security_group_id": NEW["security_groups"][0],
            "assign_public_ip": False,
        },
        "fargate_network_run_environment": "keys",
        "fargate_network_cloudreactor_api_key": KEY,
        "fargate_network_cloudreactor_api_base_url": cloudreactor.url,
        "fargate_network_run_environment_aws_secret_key": ROLE_SECRET,
    }
    tasks = [
        {"ansible.builtin.include_role": {"name": "cloudreactor.aws.fargate_network", "tasks_from": "publish.yml"}}
    ]
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "vars": variables, "tasks": tasks}]))
    environment = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    for name in ("CLOUDREACTOR_DEPLOY_API_KEY", "CLOUDREACTOR_API_BASE_URL"):
        environment.pop(name, None)

    completed = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-vvvv", "--diff", str(playbook)],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    settings = aws_settings(cloudreactor.stored(with_keys))
    assert settings["secret_key"] == ROLE_SECRET
    assert network_fields(settings["network"]) == NEW
    assert ROLE_SECRET not in output
