"""Many networks in one play (docs/scale.md): one inventory host per network, ``connection: local``, one fork per host.

Builds one network alone, then ``count`` networks in one play of bench/networks.yml with ``count`` forks, both cold;
the wall time ratio says what running them side by side costs. Then a no-op rerun and a teardown of the ``count``
networks, so that each network's API-call budget (cold build, no-op, teardown) is measured where users spend it.
"""

import json
from pathlib import Path

from aws_emulator import REGION
from bench.playbooks import Subject, run_phase

PLAYBOOK = "bench/networks.yml"
MAX_NETWORKS = 30  # VPC CIDRs 10.60.0.0/16 to 10.89.0.0/16; 10.59.0.0/16 is the lone network's


def inventory(path, networks, azs, wait_timeout):
    """An inventory of one host per network, as docs/scale.md describes: ``networks`` is a list of (name, CIDR). The
    hosts are not `localhost`, so Ansible would look for a Python on them: the controller's has boto3."""
    hosts = {name: {"fargate_network_name": name, "fargate_network_vpc_cidr": cidr} for name, cidr in networks}
    content = {
        "all": {
            "vars": {
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "fargate_network_region": REGION,
                "fargate_network_az_count": azs,
                "fargate_network_wait_timeout": wait_timeout,
            },
            "hosts": hosts,
        }
    }
    Path(path).write_text(json.dumps(content, indent=2))
    return path


def _play(key, inventory_path, forks, extra_vars=None):
    return Subject(
        key=key,
        title=f"{PLAYBOOK} with {forks} fork(s)",
        playbook=PLAYBOOK,
        extra_vars=extra_vars or {},
        arguments=("-i", str(inventory_path), "-f", str(forks)),
    )


def _summary(phase, networks):
    calls = phase["calls"]
    return {
        "wall_seconds": phase["wall_seconds"],
        "calls": calls,
        "calls_per_network": round(calls["total"] / networks, 1),
        "mutating_calls_per_network": round(calls["mutating"] / networks, 1),
        "by_action": phase["by_action"],
    }


def measure(emulator, args, workdir):
    """Cold build of one network, then of ``args.networks`` networks in one play (as many forks), their no-op rerun
    and their teardown; wall times, API calls, and the ratio of the two cold builds' wall times."""
    count, azs, wait_timeout, timeout = args.networks, args.azs, args.wait_timeout, args.playbook_timeout
    workdir = Path(workdir)
    one = inventory(workdir / "inventory-one.json", [("bench-lone", "10.59.0.0/16")], azs, wait_timeout)
    fleet = [(f"bench-many-{index}", f"10.{60 + index}.0.0/16") for index in range(count)]
    many = inventory(workdir / f"inventory-{count}.json", fleet, azs, wait_timeout)

    lone_cold = run_phase(emulator, _play("one", one, 1), "cold", workdir, timeout)
    many_cold = run_phase(emulator, _play("many", many, count), "cold", workdir, timeout)
    many_noop = run_phase(emulator, _play("many", many, count), "noop", workdir, timeout)
    teardown = _play("many", many, count, {"fargate_network_state": "absent"})
    many_teardown = run_phase(emulator, teardown, "teardown", workdir, timeout)
    return {
        "networks": count,
        "forks": count,
        "one_cold": _summary(lone_cold, 1),
        "cold": _summary(many_cold, count),
        "noop": _summary(many_noop, count),
        "teardown": _summary(many_teardown, count),
        "wall_ratio": round(many_cold["wall_seconds"] / lone_cold["wall_seconds"], 3),
    }
