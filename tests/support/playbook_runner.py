"""Run one of the collection's playbooks with ansible-playbook against the emulator, as a user would."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RECAP = re.compile(r"localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def run_playbook(endpoint_url, playbook, extra_vars=None, *, check=False, environment=None):
    """Run ``playbooks/<playbook>`` (or the playbook at the absolute path ``playbook``) with the role's connection
    variables pointing at ``endpoint_url``.

    ``environment`` adds variables to the run's environment; a ``None`` value removes one. The playbooks run against
    localhost, without an inventory, unless ``environment`` names one (``ANSIBLE_INVENTORY``).
    """
    command, env = playbook_command(endpoint_url, playbook, extra_vars, check=check, environment=environment)
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)


def start_playbook(endpoint_url, playbook, extra_vars=None):
    """``run_playbook`` started in the background: a ``subprocess.Popen`` whose ``communicate()`` gives its output."""
    command, env = playbook_command(endpoint_url, playbook, extra_vars)
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def playbook_command(endpoint_url, playbook, extra_vars=None, *, check=False, environment=None):
    """The command line and environment of ``run_playbook``."""
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "ANSIBLE_NOCOLOR": "1",
        **(environment or {}),
    }
    env = {name: value for name, value in env.items() if value is not None}
    variables = {
        "fargate_network_region": "us-east-1",
        "fargate_network_aws_endpoint_url": endpoint_url,
        **(extra_vars or {}),
    }
    # An absolute ``playbook`` stays itself: pathlib drops what comes before it.
    command = [Path(sys.executable).parent / "ansible-playbook", REPO / "playbooks" / playbook]
    command += ["-e", json.dumps(variables)]
    if check:
        command += ["--check", "--diff"]
    return command, env


def changed_count(run):
    """The ``changed=`` count of the play recap (fails the test when the play did not finish)."""
    match = RECAP.search(run.stdout)
    assert match and run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    return int(match.group(2))
