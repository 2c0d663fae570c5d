"""run_environment never shows the CloudReactor API key, even at ``ansible-playbook -vvvv --diff``: given as a
parameter, taken from CLOUDREACTOR_DEPLOY_API_KEY, or rejected by CloudReactor (401). Nor the AWS secret key it
re-sends for a Run Environment that uses an access key, which still reaches the server."""

import os
import subprocess
import sys
from pathlib import Path

from support.cloudreactor_api_server import cloudreactor  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
PARAMETER_KEY = "crkey-param-7f3a9d2e41b8c6"
ENVIRONMENT_KEY = "crkey-env-52c8e0b9a7d3f1"
REJECTED_KEY = "crkey-rejected-9e4b7a1c3d"
AWS_SECRET_KEY = "aws-secret-3c9f8e1d7b2a64"

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Set the network with the key as a parameter
      cloudreactor.aws.run_environment:
        name: staging
        api_key: {parameter_key}
        api_base_url: {url}
        subnets: [subnet-0123456789abcdef0]
        security_groups: [sg-0123456789abcdef0]
        assign_public_ip: false
      register: by_parameter

    - name: Show the whole result
      ansible.builtin.debug:
        var: by_parameter

    - name: Read it with the key from CLOUDREACTOR_DEPLOY_API_KEY
      cloudreactor.aws.run_environment:
        name: staging
        api_base_url: {url}
      register: from_environment

    - name: A key CloudReactor rejects
      cloudreactor.aws.run_environment:
        name: staging
        api_key: {rejected_key}
        api_base_url: {url}
        subnets: [subnet-0123456789abcdef1]
      register: rejected
      ignore_errors: true

    - name: Show the failure
      ansible.builtin.debug:
        var: rejected

    - name: Set the network of a Run Environment that uses an access key, re-sending its secret key
      cloudreactor.aws.run_environment:
        name: keys
        api_key: {parameter_key}
        api_base_url: {url}
        subnets: [subnet-0123456789abcdef0]
        aws_secret_key: {aws_secret_key}
      register: with_secret

    - name: Show that result
      ansible.builtin.debug:
        var: with_secret

    - name: The runs did what they should
      ansible.builtin.assert:
        that:
          - by_parameter is changed
          - from_environment is not changed
          - from_environment.run_environment.network.subnets == ['subnet-0123456789abcdef0']
          - rejected is failed
          - "'HTTP 401' in rejected.msg"
          - with_secret is changed
"""


def test_api_key_never_appears_at_vvvv(cloudreactor, tmp_path):  # noqa: F811
    cloudreactor.add_key(PARAMETER_KEY)
    cloudreactor.add_key(ENVIRONMENT_KEY)
    uuid = cloudreactor.add_run_environment("staging")
    with_keys = cloudreactor.add_run_environment(
        "keys", settings={"access_key": "AKIAEXAMPLE", "secret_key": "the-secret-before-rotation"}
    )
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(
        PLAYBOOK.format(
            parameter_key=PARAMETER_KEY, rejected_key=REJECTED_KEY, aws_secret_key=AWS_SECRET_KEY, url=cloudreactor.url
        )
    )
    environment = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        CLOUDREACTOR_DEPLOY_API_KEY=ENVIRONMENT_KEY,
        ANSIBLE_NOCOLOR="1",
    )
    environment.pop("CLOUDREACTOR_API_BASE_URL", None)

    completed = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-vvvv", "--diff", str(playbook)],
        cwd=REPO,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, output[-3000:]
    assert "ok=8" in output and "failed=0" in output and "ignored=1" in output, output[-1500:]
    # Each key reached the server (so it was really sent)...
    assert cloudreactor.count("PATCH") == 2
    settings = cloudreactor.stored(uuid)["infrastructure_settings"]["AWS"]["__default__"]["settings"]
    assert settings["network"]["subnets"] == ["subnet-0123456789abcdef0"]
    assert (
        cloudreactor.stored(with_keys)["infrastructure_settings"]["AWS"]["__default__"]["settings"]["secret_key"]
        == AWS_SECRET_KEY
    )
    # ...and none of them is in anything ansible-playbook printed.
    for key in (PARAMETER_KEY, ENVIRONMENT_KEY, REJECTED_KEY, AWS_SECRET_KEY):
        assert key not in output
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output
