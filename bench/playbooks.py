"""Run a subject's playbook against the emulator and measure it: wall time, API calls (read / mutating) and, per
task, time and calls (from the ``bench_profile`` callback's task boundaries and the emulator's request recording)."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from aws_emulator import REGION
from aws_emulator.client import Recording
from bench import REPO

CALLBACK_DIR = Path(__file__).resolve().parent / "callback_plugins"
# Tasks that create NAT gateways and wait for them. Our role does its work in cloudreactor.aws.network, then waits
# for new NAT gateways in rounds of cloudreactor.aws.nat_gateway_wait, printing their states, and runs
# cloudreactor.aws.network again to audit; its "NAT step" is all of those tasks: an upper bound on the time it spends
# waiting for NAT gateways.
CONVERGE_ACTION = "cloudreactor.aws.network"
NAT_WAIT_ACTION = "cloudreactor.aws.nat_gateway_wait"
NAT_ACTIONS = (CONVERGE_ACTION, NAT_WAIT_ACTION, "amazon.aws.ec2_vpc_nat_gateway")
PROGRESS_TASK = "Show the NAT gateways' states"
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)
CONTROLLER_ACTIONS = (
    "ansible.builtin.set_fact",
    "ansible.builtin.debug",
    "ansible.builtin.include_tasks",
    "ansible.builtin.meta",
    "ansible.builtin.assert",
    "ansible.builtin.validate_argument_spec",
)


class BenchError(RuntimeError):
    """A playbook of the benchmark failed, or the emulator did not behave as the benchmark needs."""


@dataclass(frozen=True)
class Subject:
    """One way of building the network: a playbook, the extra vars that give it its own name and VPC CIDR, and any
    further ansible-playbook arguments (an inventory, forks)."""

    key: str
    title: str
    playbook: str
    extra_vars: dict
    arguments: tuple = ()

    def command(self):
        ansible_playbook = Path(sys.executable).parent / "ansible-playbook"
        return [str(ansible_playbook), self.playbook, "-e", json.dumps(self.extra_vars), *self.arguments]


def subjects(azs, wait_timeout, index=0):
    """Ours (the shipped playbook and role, audit included, as users run it) and the amazon.aws reference; ``index``
    gives each repeat of a cold converge a network (name and VPC CIDR) of its own."""
    return [
        Subject(
            key="ours",
            title="cloudreactor.aws (playbooks/setup_network.yml)",
            playbook="playbooks/setup_network.yml",
            extra_vars={
                "fargate_network_name": f"bench-ours-{index}",
                "fargate_network_region": REGION,
                "fargate_network_az_count": azs,
                "fargate_network_vpc_cidr": f"10.{10 + index}.0.0/16",
                "fargate_network_wait_timeout": wait_timeout,
            },
        ),
        Subject(
            key="reference",
            title="amazon.aws only (bench/reference_amazon_aws.yml)",
            playbook="bench/reference_amazon_aws.yml",
            extra_vars={
                "reference_name": f"bench-reference-{index}",
                "reference_region": REGION,
                "reference_az_count": azs,
                "reference_cidr_prefix": f"10.{40 + index}",
                "reference_wait_timeout": wait_timeout,
            },
        ),
    ]


CALIBRATION = Subject(key="calibration", title="cost of one task", playbook="bench/calibrate.yml", extra_vars={})


def recording_file(emulator):
    """The file moto's recorder appends each request to (the emulator handle keeps it in its work directory)."""
    path = Path(emulator._workdir) / "recording.jsonl"
    if not path.parent.is_dir():
        raise BenchError(f"emulator work directory {path.parent} not found; cannot attribute API calls to tasks")
    return path


def playbook_env(emulator, profile_path, recording_path):
    env = dict(os.environ)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        env.pop(name, None)
    enabled = [name for name in env.get("ANSIBLE_CALLBACKS_ENABLED", "").split(",") if name.strip()]
    env.update(emulator.env())
    env.update(
        AWS_URL=emulator.endpoint_url,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACK_DIR),
        ANSIBLE_CALLBACKS_ENABLED=",".join([*enabled, "bench_profile"]),
        ANSIBLE_NOCOLOR="1",
        BENCH_PROFILE_FILE=str(profile_path),
        BENCH_RECORDING_FILE=str(recording_path),
    )
    return env


def run_command(command, env, timeout):
    """Run ``command`` in its own process group; kill the whole group (Ansible's workers too) after ``timeout`` s."""
    with subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    ) as process:
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
            raise BenchError(
                f"{command[0]} {command[1]} did not finish within {timeout} s:\n{output[-4000:]}"
            ) from None
    return process.returncode, output


def mutating_calls(recording):
    """Every call that is not a read: the network's changes and the calls of its claim (``Recording.claim_calls``)."""
    return [action for action in recording.actions if action not in recording.reads]


def calls_of(recording):
    return {"total": len(recording.actions), "read": len(recording.reads), "mutating": len(mutating_calls(recording))}


def _recording_of(raw):
    recording = Recording()
    recording._load(raw.decode("utf-8", errors="replace"))
    return recording


def _task_rows(events, raw):
    rows = []
    for event in events:
        if event.get("kind") == "end":
            continue
        start, end = event.get("start_offset"), event.get("end_offset")
        recording = _recording_of(raw[start:end]) if start is not None and end is not None else Recording()
        rows.append(
            {
                "name": event["name"],
                "action": event["action"],
                "seconds": round(event["end"] - event["start"], 3),
                "items": event["items"],
                "changed": event["changed"],
                "skipped": event["skipped"],
                "reads": len(recording.reads),
                "mutations": len(mutating_calls(recording)),
                "actions": dict(sorted(Counter(recording.actions).items())),
            }
        )
    return rows


def run_phase(emulator, subject, label, workdir, timeout):
    """Run ``subject``'s playbook once; return the phase's measurements (raises BenchError when it fails)."""
    profile_path = Path(workdir) / f"{subject.key}-{label}.jsonl"
    recording_path = recording_file(emulator)
    env = playbook_env(emulator, profile_path, recording_path)
    with emulator.recording() as recording:
        started = time.monotonic()
        returncode, output = run_command(subject.command(), env, timeout)
        wall = time.monotonic() - started
    raw = recording_path.read_bytes() if recording_path.exists() else b""
    log_path = Path(workdir) / f"{subject.key}-{label}.log"
    log_path.write_text(output)
    if returncode != 0:
        raise BenchError(
            f"{subject.playbook} ({label}) exited with {returncode}; output in {log_path}:\n{output[-4000:]}"
        )
    events = [json.loads(line) for line in profile_path.read_text().splitlines()] if profile_path.exists() else []
    tasks = _task_rows(events, raw)
    recap = RECAP.search(output)
    first_start = next((event["start"] for event in events if event.get("kind") != "end"), None)
    end = next((event["end"] for event in events if event.get("kind") == "end"), None)
    return {
        "wall_seconds": round(wall, 3),
        "startup_seconds": round(first_start - started, 3) if first_start is not None else None,
        "shutdown_seconds": round(started + wall - end, 3) if end is not None else None,
        "changed_tasks": int(recap.group(2)) if recap else None,
        "calls": calls_of(recording),
        "by_action": dict(sorted(Counter(recording.actions).items())),
        "mutating_actions": dict(sorted(Counter(mutating_calls(recording)).items())),
        "unattributed_calls": len(recording.actions) - sum(task["reads"] + task["mutations"] for task in tasks),
        "tasks": tasks,
    }


def nat_step_seconds(phase):
    """Time the phase spent in NAT gateway tasks that ran (creation plus waiting for ``available``)."""
    return round(
        sum(task["seconds"] for task in phase["tasks"] if task["action"] in NAT_ACTIONS and not task["skipped"]), 3
    )


def nat_wait_cost(phase):
    """What our role's wait for pending NAT gateways added to ``phase``: its rounds (a nat_gateway_wait module run
    each, then a progress line) and the converge after the first (the audit once the NAT gateways are available)."""
    ran = [task for task in phase["tasks"] if not task["skipped"]]
    polls = [task for task in ran if task["action"] == NAT_WAIT_ACTION]
    extra = polls + [task for task in ran if task["action"] == CONVERGE_ACTION][1:]
    return {
        "polls": len(polls),
        "poll_calls": sum(task["reads"] + task["mutations"] for task in polls),
        "progress_lines": sum(task["name"].endswith(PROGRESS_TASK) for task in ran),
        "extra_module_runs": len(extra),
        "extra_calls": sum(task["reads"] + task["mutations"] for task in extra),
        "extra_seconds": round(sum(task["seconds"] for task in extra), 3),
    }


def overhead_model(phase, api_call_seconds):
    """Split a phase's wall time into Ansible start-up, controller-only tasks, module runs and API time.

    ``module runs`` counts one per item of a looped module task; the per-run overhead is what a module run costs
    beyond its API calls (AnsiballZ packaging, Python start-up, imports, boto3 client creation, Ansible's own
    per-task work)."""
    controller = [task for task in phase["tasks"] if task["action"] in CONTROLLER_ACTIONS or task["skipped"]]
    modules = [task for task in phase["tasks"] if task not in controller]
    runs = sum(max(task["items"], 1) for task in modules)
    module_seconds = sum(task["seconds"] for task in modules)
    api_seconds = phase["calls"]["total"] * api_call_seconds
    return {
        "startup_seconds": phase["startup_seconds"],
        "controller_tasks": len(controller),
        "controller_seconds": round(sum(task["seconds"] for task in controller), 3),
        "module_runs": runs,
        "module_seconds": round(module_seconds, 3),
        "api_seconds_estimate": round(api_seconds, 3),
        "overhead_per_module_run_seconds": round((module_seconds - api_seconds) / runs, 3) if runs else None,
    }
