"""Every Molecule scenario of molecule/, as a test (``molecule test -s <scenario>``).

Run by pytest rather than one after another by ``molecule test --all``: pytest-xdist then runs them beside the other
tests, and their CPU work (each step is an ansible-playbook) fills the time the other tests spend waiting on AWS
state (propagation delays, NAT gateways). Each scenario starts its own emulator on a free port and keeps its state in
its own ephemeral directory, so scenarios run side by side. ``make molecule`` still runs them all with Molecule alone.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
SCENARIOS = sorted(path.parent.name for path in (REPO / "molecule").glob("*/molecule.yml"))
TIMEOUT = 900


def test_every_scenario_directory_is_found():
    assert "fresh_per_az" in SCENARIOS and "shared" not in SCENARIOS


@pytest.mark.molecule
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario):
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "ANSIBLE_NOCOLOR": "1"}
    run = subprocess.run(
        [BIN / "molecule", "test", "--scenario-name", scenario],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]
