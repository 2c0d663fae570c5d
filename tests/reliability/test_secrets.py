"""An AWS secret key given to our modules never appears in Ansible's output, even at -vvvv."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SECRET = "wJalrXUtnFEMI-sentinel-secret-0123456789"

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  module_defaults:
    group/cloudreactor.aws.aws:
      endpoint_url: "{endpoint}"
      region: us-east-1
      access_key: testing
      secret_key: "{secret}"
  tasks:
    - cloudreactor.aws.network_layout:
        network_name: secrets
    - cloudreactor.aws.network_check:
        vpc_id: vpc-0123456789abcdef0
        fail_on: never
      ignore_errors: true
"""


def test_secret_key_is_never_printed(aws, tmp_path):
    playbook = tmp_path / "secrets.yml"
    playbook.write_text(PLAYBOOK.format(endpoint=aws.endpoint_url, secret=SECRET))
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}

    run = subprocess.run(
        [Path(sys.executable).parent / "ansible-playbook", "-vvvv", str(playbook)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    output = run.stdout + run.stderr
    assert "network_layout" in output  # the module ran and its arguments were logged...
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output or "********" in output
    assert SECRET not in output  # ...without the secret
