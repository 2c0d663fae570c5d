"""Smoke run of the benchmark harness (``python -m bench``, ``make bench``) with tiny settings, so it cannot rot.

Structural assertions only (the shape of the results JSON, call attribution, a no-op rerun without mutations):
timings are measured and reported by ``make bench``, never asserted in tests. The smoke run builds only our network
(one AZ, NAT pending 0 s, one cold converge and one no-op rerun), builds, reruns and removes 2 networks in one play
against one network alone, and audits one 6-subnet VPC. The amazon.aws reference
playbook (whose modules sleep ~13 s per AZ) would double the test's time and the calibration playbook add ~15 s, so
those two are only syntax-checked here.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PHASE_KEYS = {
    "wall_seconds",
    "startup_seconds",
    "shutdown_seconds",
    "changed_tasks",
    "calls",
    "by_action",
    "mutating_actions",
    "unattributed_calls",
    "tasks",
}
TASK_KEYS = {"name", "action", "seconds", "items", "changed", "skipped", "reads", "mutations", "actions"}
TARGET_KEYS = {
    "cold_wall_ratio",
    "noop_wall_ratio",
    "noop_mutations",
    "noop_calls",
    "nat_overlap",
    "noop_no_nat_wait",
    "check_calls_constant",
    "many_networks_ratio",
    "propagation_added",
}


def _environment():
    return dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"))


def _assert_phase(phase):
    assert set(phase) >= PHASE_KEYS, sorted(PHASE_KEYS - set(phase))
    calls = phase["calls"]
    assert calls["total"] == calls["read"] + calls["mutating"] == sum(phase["by_action"].values())
    assert phase["tasks"], "the bench_profile callback recorded no task"
    for task in phase["tasks"]:
        assert set(task) >= TASK_KEYS, (task["name"], sorted(TASK_KEYS - set(task)))
    # Every API call is attributed to the task that made it.
    assert phase["unattributed_calls"] == 0
    assert sum(task["reads"] + task["mutations"] for task in phase["tasks"]) == calls["total"]


def _assert_nat_wait(ours):
    # The cold converge built the one-AZ network: one NAT gateway, made by the role's first converge task; the role
    # then waited for it in rounds, printing a line each, and ran the converge again to audit.
    assert ours["cold"]["by_action"].get("CreateNatGateway") == 1
    converge, audit = [task for task in ours["cold"]["tasks"] if task["action"] == "cloudreactor.aws.network"]
    assert converge["actions"].get("CreateNatGateway") == 1
    assert audit["mutations"] == 0
    polls = [task for task in ours["cold"]["tasks"] if task["action"] == "cloudreactor.aws.nat_gateway_wait"]
    assert polls and all(set(task["actions"]) == {"DescribeNatGateways"} for task in polls)
    nat_seconds = sum(task["seconds"] for task in [converge, audit, *polls])
    assert ours["nat_step_seconds"] == pytest.approx(nat_seconds, abs=0.005)
    cold_wait = ours["nat_wait"]["cold"]
    assert (cold_wait["polls"], cold_wait["progress_lines"]) == (len(polls), len(polls))
    assert cold_wait["extra_module_runs"] == len(polls) + 1
    assert cold_wait["extra_calls"] == sum(task["reads"] for task in [audit, *polls])
    # A no-op never waits: no round, no progress line, no second converge.
    assert ours["nat_wait"]["noop"]["extra_module_runs"] == ours["nat_wait"]["noop"]["extra_calls"] == 0


def test_bench_smoke_run(tmp_path):
    results_path = tmp_path / "results.json"
    command = [sys.executable, "-m", "bench", "--subjects", "ours", "--nat-pending", "0", "--azs", "1"]
    command += ["--cold-repeats", "1", "--noop-repeats", "1", "--no-calibration"]
    command += ["--check-sizes", "6", "--check-repeats", "1", "--no-check-ansible", "--networks", "2"]
    command += ["--propagation-delay", "0.5"]
    command += ["--playbook-timeout", "240", "--results", str(results_path)]

    process = subprocess.run(
        command, cwd=REPO, env=_environment(), capture_output=True, text=True, timeout=400, check=False
    )

    assert process.returncode == 0, process.stdout[-3000:] + process.stderr[-3000:]
    assert "Targets:" in process.stdout and "Per-task profile" in process.stdout
    assert "2 networks in one play" in process.stdout
    results = json.loads(results_path.read_text())
    assert {"settings", "environment", "subjects", "network_check", "ratios", "targets"} <= set(results)
    assert set(results["subjects"]) == {"ours"}
    ours = results["subjects"]["ours"]
    _assert_phase(ours["cold"])
    _assert_phase(ours["noop"])
    _assert_nat_wait(ours)
    # The no-op rerun changes nothing and makes no mutating call.
    assert ours["noop"]["calls"]["mutating"] == 0 and ours["noop"]["mutating_actions"] == {}
    assert ours["noop"]["changed_tasks"] == 0
    assert ours["noop_overhead"]["module_runs"] > 0
    # Without the reference there is no ratio, and the ratio targets are not judged.
    assert set(results["ratios"].values()) == {None}
    targets = {target["key"]: target for target in results["targets"]}
    assert set(targets) >= TARGET_KEYS
    assert targets["noop_mutations"]["met"] is True
    assert targets["noop_no_nat_wait"]["met"] is True
    assert targets["cold_wall_ratio"]["met"] is None and targets["nat_overlap"]["met"] is None
    # Two networks in one play cost twice the calls of one alone; their rerun changes nothing; teardown removes.
    many = results["many_networks"]
    assert (many["networks"], many["forks"]) == (2, 2)
    assert many["cold"]["calls"]["total"] == 2 * many["one_cold"]["calls"]["total"] > 0
    assert many["noop"]["calls"]["mutating"] == 0 < many["noop"]["calls"]["read"]
    assert many["teardown"]["calls"]["mutating"] > 0
    assert many["wall_ratio"] > 0 and targets["many_networks_ratio"]["met"] in (True, False)
    # The same build through a propagation delay: the same kinds of change (a call retried while its new id
    # propagates is recorded each time it is sent).
    measured = results["propagation"]
    _assert_phase(measured["consistent"])
    _assert_phase(measured["delayed"])
    assert set(measured["delayed"]["mutating_actions"]) == set(measured["consistent"]["mutating_actions"])
    assert measured["added_per_delay"] == pytest.approx(measured["added_seconds"] / 0.5, abs=0.01)
    assert targets["propagation_added"]["met"] in (True, False)
    (row,) = results["network_check"]
    assert (row["subnets"], row["audited_subnets"], row["mutating_calls"]) == (6, 6, 0)
    assert row["describe_calls"] == sum(row["by_action"].values()) > 0
    assert (row["errors"], row["warnings"]) == (0, 0)


@pytest.mark.parametrize("playbook", ["bench/reference_amazon_aws.yml", "bench/calibrate.yml"])
def test_bench_playbook_is_valid(playbook):
    ansible_playbook = Path(sys.executable).parent / "ansible-playbook"

    process = subprocess.run(
        [str(ansible_playbook), "--syntax-check", playbook],
        cwd=REPO,
        env=_environment(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert process.returncode == 0, process.stdout + process.stderr
