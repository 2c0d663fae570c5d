"""``python -m bench`` (``make bench``): our role against the amazon.aws reference, in one run, on one emulator.

For each subject (playbooks/setup_network.yml with the fargate_network role, and bench/reference_amazon_aws.yml) it
measures a cold converge and no-op reruns: wall time, API calls (read / mutating), and per task the time and calls.
The emulator keeps every new NAT gateway ``pending`` for ``--nat-pending`` seconds (default 10), so waiting shows up
as it would on AWS (where it takes minutes). Then it builds 6 networks in one play (``--networks``, one inventory host
and fork each) against one network alone, and times network_check on VPCs of 6, 60 and 300 subnets.

Prints the tables on stdout and writes everything to ``--results`` (default bench/results/latest.json).
Both subjects run in the same emulator, one after the other, each in its own VPC; compare their ratios, not the
absolute seconds, which depend on the machine and its load.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aws_emulator.client import Emulator
from bench import REPO, many_networks, propagation, report, scale
from bench.playbooks import (
    CALIBRATION,
    BenchError,
    nat_step_seconds,
    nat_wait_cost,
    overhead_model,
    run_phase,
    subjects,
)

DEFAULT_RESULTS = REPO / "bench" / "results" / "latest.json"
API_LATENCY_SAMPLES = 40
MAX_COLD_REPEATS = 9


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--nat-pending",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long each new NAT gateway stays pending (default 10)",
    )
    parser.add_argument("--azs", type=int, default=3, help="availability zones, one NAT each (default 3)")
    parser.add_argument(
        "--cold-repeats",
        type=int,
        default=3,
        metavar="N",
        help="cold converges per subject, each building a network of its own; the table shows the median (default 3)",
    )
    parser.add_argument(
        "--no-calibration", action="store_true", help="skip measuring the cost of one task (bench/calibrate.yml)"
    )
    parser.add_argument(
        "--noop-repeats",
        type=int,
        default=5,
        metavar="N",
        help="no-op reruns per subject; the table shows the median (default 5)",
    )
    parser.add_argument(
        "--check-sizes",
        default="6,60,300",
        metavar="N,N,...",
        help="subnet counts for the network_check measurement; empty to skip (default 6,60,300)",
    )
    parser.add_argument(
        "--check-repeats",
        type=int,
        default=3,
        metavar="N",
        help="network_check runs per size; the table shows the median (default 3)",
    )
    parser.add_argument(
        "--no-check-ansible", action="store_true", help="skip the end-to-end `ansible -m network_check` run per size"
    )
    parser.add_argument(
        "--playbook-timeout", type=int, default=900, help="stop a playbook run after this many seconds (default 900)"
    )
    parser.add_argument(
        "--subjects",
        default="ours,reference",
        metavar="ours,reference",
        help="which subjects to run: ours, reference, both (default; ratios need both) or none",
    )
    parser.add_argument(
        "--networks",
        type=int,
        default=6,
        metavar="N",
        help="networks built in one play (one host and fork each) against one network alone; 0 skips (default 6)",
    )
    parser.add_argument(
        "--propagation-delay",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="our cold build again with every new id invisible this long (EC2 eventual consistency); 0 skips "
        "(default 1)",
    )
    parser.add_argument("--wait-timeout", type=int, default=600, help="NAT wait timeout given to both subjects")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help=f"JSON file (default {DEFAULT_RESULTS})")
    parser.add_argument("--workdir", type=Path, help="keep playbook logs and profiles here (default: a temp dir)")
    args = parser.parse_args(argv)
    if args.propagation_delay < 0:
        parser.error("--propagation-delay must be >= 0")
    if args.nat_pending < 0 or min(args.azs, args.cold_repeats, args.noop_repeats, args.check_repeats) < 1:
        parser.error("--nat-pending must be >= 0; --azs, --cold-repeats, --noop-repeats and --check-repeats >= 1")
    if args.cold_repeats > MAX_COLD_REPEATS:
        parser.error(f"--cold-repeats: at most {MAX_COLD_REPEATS}")
    if not 0 <= args.networks <= many_networks.MAX_NETWORKS:
        parser.error(f"--networks: from 0 to {many_networks.MAX_NETWORKS}")
    args.subjects = [key.strip() for key in args.subjects.split(",") if key.strip() not in ("", "none")]
    if set(args.subjects) - {"ours", "reference"}:
        parser.error("--subjects: a comma-separated list of ours, reference (or none: no subject)")
    try:
        args.check_sizes = [int(size) for size in args.check_sizes.split(",") if size.strip()]
    except ValueError:
        parser.error(f"--check-sizes must be comma-separated integers, not {args.check_sizes!r}")
    if any(size < 2 * len(scale.ZONES) for size in args.check_sizes):
        parser.error(f"--check-sizes: each size must be at least {2 * len(scale.ZONES)}")
    return args


def _version_of_amazon_aws():
    import ansible_collections.amazon.aws as amazon_aws  # noqa: PLC0415 (only needed for the report)

    manifest = Path(amazon_aws.__path__[0]) / "MANIFEST.json"
    try:
        return json.loads(manifest.read_text())["collection_info"]["version"]
    except (OSError, KeyError, ValueError):
        return None


def environment():
    import ansible.release  # noqa: PLC0415
    import moto  # noqa: PLC0415

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], check=False, cwd=REPO, capture_output=True, text=True
    )
    dirty = subprocess.run(["git", "status", "--porcelain"], check=False, cwd=REPO, capture_output=True, text=True)
    return {
        "python": platform.python_version(),
        "ansible_core": ansible.release.__version__,
        "amazon_aws": _version_of_amazon_aws(),
        "moto": moto.__version__,
        "cpus": os.cpu_count(),
        "git_commit": commit.stdout.strip() or None,
        "git_dirty": bool(dirty.stdout.strip()),
    }


def _loadavg():
    return [round(value, 2) for value in os.getloadavg()]


def api_call_seconds(emulator):
    """Mean time of one describe call to the emulator from boto3 (signing, HTTP, moto): the API share of a task."""
    ec2 = emulator.boto3_client("ec2")
    ec2.describe_vpcs()
    started = time.monotonic()
    for _ in range(API_LATENCY_SAMPLES):
        ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["bench-*"]}])
    return (time.monotonic() - started) / API_LATENCY_SAMPLES


def _summary(runs):
    """The median run (by wall time) stands for the phase; every run's wall time and calls are kept too."""
    ordered = sorted(runs, key=lambda run: run["wall_seconds"])
    median = dict(ordered[(len(ordered) - 1) // 2])
    median["wall_seconds"] = round(statistics.median(run["wall_seconds"] for run in runs), 3)
    median["runs"] = [
        {"wall_seconds": run["wall_seconds"], "nat_step_seconds": nat_step_seconds(run), "calls": run["calls"]}
        for run in runs
    ]
    median["calls_identical_across_runs"] = len({json.dumps(run["by_action"]) for run in runs}) == 1
    return median


def _progress(message):
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def measure_subjects(emulator, args, workdir):
    """Cold converges (each repeat builds a new network of its own), then no-op reruns on the first network; the
    subjects take turns, so a burst of load on the machine hits both."""
    keys = [key for key in ("ours", "reference") if key in args.subjects]
    runs = {key: {"cold": [], "noop": []} for key in keys}
    results = {}
    for repeat in range(args.cold_repeats):
        for subject in subjects(args.azs, args.wait_timeout, repeat):
            if subject.key in keys:
                results.setdefault(subject.key, {"title": subject.title, "playbook": subject.playbook})
                _progress(f"{subject.key}: cold converge {repeat + 1}/{args.cold_repeats}")
                phase = run_phase(emulator, subject, f"cold{repeat + 1}", workdir, args.playbook_timeout)
                runs[subject.key]["cold"].append(phase)
    for repeat in range(args.noop_repeats):
        for subject in subjects(args.azs, args.wait_timeout, 0):
            if subject.key in keys:
                _progress(f"{subject.key}: no-op rerun {repeat + 1}/{args.noop_repeats}")
                phase = run_phase(emulator, subject, f"noop{repeat + 1}", workdir, args.playbook_timeout)
                runs[subject.key]["noop"].append(phase)
    for key in keys:
        entry = results[key]
        entry["cold"] = _summary(runs[key]["cold"])
        entry["noop"] = _summary(runs[key]["noop"])
        entry["nat_step_seconds"] = round(statistics.median(nat_step_seconds(run) for run in runs[key]["cold"]), 3)
    if "ours" in results:
        ours = results["ours"]
        ours["nat_wait"] = {"cold": nat_wait_cost(ours["cold"]), "noop": nat_wait_cost(ours["noop"])}
    return results


def calibrate(emulator, args, workdir):
    """Cost of one item of a controller-only task, a minimal module run and an AWS module run with one call."""
    phase = run_phase(emulator, CALIBRATION, "calibration", workdir, args.playbook_timeout)
    per_item = {}
    for task, key in zip(
        phase["tasks"], ("controller_item_seconds", "module_run_seconds", "aws_module_run_seconds"), strict=True
    ):
        per_item[key] = round(task["seconds"] / max(task["items"], 1), 3)
    per_item["aws_module_calls_per_run"] = phase["tasks"][2]["reads"] / max(phase["tasks"][2]["items"], 1)
    return per_item


def run(args, workdir):
    transition = f"seconds:{args.nat_pending:g}"
    _progress(f"starting the emulator (NAT transition {transition})")
    results = {
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "settings": {
            "nat_pending_seconds": args.nat_pending,
            "azs": args.azs,
            "subjects": args.subjects,
            "cold_repeats": args.cold_repeats,
            "noop_repeats": args.noop_repeats,
            "check_sizes": args.check_sizes,
            "check_repeats": args.check_repeats,
            "wait_timeout": args.wait_timeout,
            "networks": args.networks,
            "propagation_delay": args.propagation_delay,
        },
        "environment": {**environment(), "loadavg_start": _loadavg()},
        "calibration": None,
    }
    with Emulator.start(nat_transition=transition) as emulator:
        results["subjects"] = measure_subjects(emulator, args, workdir)
        if not args.no_calibration:
            _progress("calibration: the cost of one task")
            results["calibration"] = calibrate(emulator, args, workdir)
        results["many_networks"] = None
        if args.networks:
            _progress(f"{args.networks} networks in one play against one network")
            results["many_networks"] = many_networks.measure(emulator, args, workdir)
        results["propagation"] = None
        if args.propagation_delay:
            _progress(f"our cold build with a {args.propagation_delay:g} s propagation delay")
            results["propagation"] = propagation.measure(emulator, args, workdir)
        latency = api_call_seconds(emulator)
        results["environment"]["api_call_ms"] = round(latency * 1000, 2)
        for entry in results["subjects"].values():
            entry["noop_overhead"] = overhead_model(entry["noop"], latency)
        if args.check_sizes:
            _progress(f"network_check on {', '.join(map(str, args.check_sizes))} subnets")
        results["network_check"] = scale.measure(emulator, args, workdir)
    results["environment"]["loadavg_end"] = _loadavg()
    results["ratios"] = report.ratios(results)
    results["targets"] = report.targets(results)
    return results


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        results = run(args, workdir)
    except BenchError as exc:
        print(f"bench failed (logs kept in {workdir}): {exc}", file=sys.stderr)
        return 1
    if not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    results["duration_seconds"] = round(time.monotonic() - started, 1)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n")
    print(report.render(results))
    print(f"\nResults: {args.results} (run took {results['duration_seconds']:g} s)")
    return 0
