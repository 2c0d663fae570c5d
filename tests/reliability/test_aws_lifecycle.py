"""The aws_lifecycle path (molecule/aws_lifecycle) leaves nothing behind, however its run ends, and never touches AWS
without the opt-in.

The tests run the scenario's playbooks with ansible-playbook against the session's emulator
(``CLOUDREACTOR_TEST_ENDPOINT_URL``), as ``molecule test`` runs them, without Molecule's own cost: ``create`` (name the
run's network, note it as pending, a VPC that is not ours beside it), then ``converge`` through the AWS proxy, stopped
right after AWS carried out its first CreateNatGateway (the costly resource), then what runs next.
"""

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import yaml
from support.aws_proxy import AwsProxy
from support.aws_run import leftovers
from support.process_tree import kill_tree

REPO = Path(__file__).resolve().parents[2]
SCENARIO = REPO / "molecule" / "aws_lifecycle"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
TIMEOUT = 300


def scenario_env(ephemeral_dir, endpoint_url, **extra):
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "MOLECULE_PROJECT_DIRECTORY": str(REPO),
        "MOLECULE_EPHEMERAL_DIRECTORY": str(ephemeral_dir),
        "CLOUDREACTOR_TEST_ENDPOINT_URL": endpoint_url,
        **extra,
    }
    return {name: value for name, value in env.items() if value is not None}


def playbook_command(step):
    return [str(ANSIBLE_PLAYBOOK), str(SCENARIO / f"{step}.yml")]


def run_step(step, env):
    return subprocess.run(
        playbook_command(step), cwd=REPO, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
    )


def stop_at_first_nat_gateway(stop):
    """A proxy ``on_answer`` hook: ``stop()`` once AWS has carried out the first CreateNatGateway (before its answer
    reaches the caller)."""
    stopped = threading.Event()

    def on_answer(call, status):
        if call.action == "CreateNatGateway" and 200 <= status < 300 and not stopped.is_set():
            stopped.set()
            stop()

    return on_answer, stopped


def created_run(aws, ephemeral_dir):
    """``create`` against the emulator: the run's network name."""
    create = run_step("create", scenario_env(ephemeral_dir, aws.endpoint_url))
    assert create.returncode == 0, create.stdout[-3000:]
    return (ephemeral_dir / "network-name").read_text()


def assert_nat_gateway_left(ec2, network):
    assert "nat_gateway" in {kind for kind, _ in leftovers(ec2, network)}, "the stopped run left no NAT gateway"


def test_a_run_killed_after_its_first_nat_gateway_is_torn_down_by_the_next_run(aws, ec2, tmp_path):
    network = created_run(aws, tmp_path)
    process = None
    on_answer, stopped = stop_at_first_nat_gateway(lambda: kill_tree(process.pid))
    with AwsProxy(aws.endpoint_url, on_answer=on_answer) as proxy:
        process = subprocess.Popen(
            playbook_command("converge"),
            cwd=REPO,
            env=scenario_env(tmp_path, proxy.endpoint_url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own process group: kill_tree kills the groups under it, never this test's.
            start_new_session=True,
        )
        process.wait(timeout=TIMEOUT)
    assert stopped.is_set() and process.returncode == -signal.SIGKILL
    assert_nat_gateway_left(ec2, network)

    # The next `molecule test` starts with destroy: it tears down what the killed run left, then sweeps.
    destroy = run_step("destroy", scenario_env(tmp_path, aws.endpoint_url))

    assert destroy.returncode == 0, destroy.stdout[-4000:]
    assert "cost of " + network in destroy.stdout
    assert leftovers(ec2, network, whole_region=True) == []
    assert list(tmp_path.glob("*.pending")) == []


def test_an_interrupted_run_tears_down_before_it_exits(aws, ec2, tmp_path):
    # What create leaves (the kill test runs create itself): the run's name, and the network noted as pending.
    network = "crtest-interrupted"
    (tmp_path / "network-name").write_text(network)
    (tmp_path / f"{network}.pending").write_text(json.dumps({"network": network, "region": "us-east-1"}))
    runner = None
    # Ctrl-C in a terminal: SIGINT to the runner's whole process group (the playbook's too).
    on_answer, stopped = stop_at_first_nat_gateway(lambda: os.killpg(runner.pid, signal.SIGINT))
    with AwsProxy(aws.endpoint_url, on_answer=on_answer) as proxy:
        # The path (converge) goes through the proxy, the teardown (destroy) straight to the emulator.
        path = ["env", f"CLOUDREACTOR_TEST_ENDPOINT_URL={proxy.endpoint_url}", *playbook_command("converge")]
        code = (
            "import sys; from support.lifecycle_runner import run_with_teardown; "
            f"sys.exit(run_with_teardown({path!r}, {playbook_command('destroy')!r}))"
        )
        runner = subprocess.Popen(
            [sys.executable, "-c", code],
            cwd=REPO,
            env=scenario_env(tmp_path, aws.endpoint_url),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        output, _ = runner.communicate(timeout=TIMEOUT)

    assert stopped.is_set() and runner.returncode == 130, output[-4000:]
    assert "Interrupted: waiting for the run to stop, then tearing down." in output
    assert "cost of " + network in output
    assert leftovers(ec2, network, whole_region=True) == []
    assert list(tmp_path.glob("*.pending")) == []


def test_every_step_refuses_first_without_the_opt_in():
    for step in ("create", "converge", "destroy"):
        plays = yaml.safe_load((SCENARIO / f"{step}.yml").read_text())
        assert plays[0] == {
            "name": "Refuse to touch AWS without the opt-in",
            "ansible.builtin.import_playbook": "refuse.yml",
        }


def test_the_first_step_refuses_to_touch_aws_without_the_opt_in(aws, tmp_path):
    """destroy, the first step of `molecule test`, would tear down the networks an earlier run left pending."""
    # Were it to go ahead, boto3 would send its calls to the emulator (AWS_ENDPOINT_URL), which records them.
    env = scenario_env(
        tmp_path,
        None,
        CLOUDREACTOR_TEST_TARGET="aws",
        CLOUDREACTOR_AWS_TESTS=None,
        AWS_ENDPOINT_URL=aws.endpoint_url,
        AWS_REGION="us-east-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        CLOUDREACTOR_AWS_TESTS_STATE_DIR=str(tmp_path),
    )
    (tmp_path / "crtest-left.pending").write_text(json.dumps({"network": "crtest-left", "region": "us-east-1"}))
    with aws.recording() as rec:
        run = run_step("destroy", env)

    assert run.returncode == 2, run.stdout[-2000:]
    assert "Refusing to run: CLOUDREACTOR_TEST_TARGET=aws" in run.stdout
    assert rec.actions == []
