"""`make demo`: start the embedded AWS emulator, run the collection's playbooks against it, stop it.

Nothing here touches real AWS: the playbooks reach the emulator through AWS_URL and dummy credentials.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from aws_emulator.client import Emulator

REPO = Path(__file__).resolve().parents[2]
PLAYBOOKS = [REPO / "tests" / "demo" / "round_trip.yml"]


def emulator_environment(endpoint_url):
    """Environment that points amazon.aws and our modules (and any boto3 client) at the emulator."""
    return dict(
        os.environ,
        AWS_URL=endpoint_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
    )


def main():
    started = time.monotonic()
    emulator = Emulator.start(nat_transition="describes:2")
    print(f"Emulator running at {emulator.endpoint_url} (pid {emulator.pid})", flush=True)
    try:
        env = emulator_environment(emulator.endpoint_url)
        bin_dir = Path(sys.executable).parent
        for playbook in PLAYBOOKS:
            subprocess.run([bin_dir / "ansible-playbook", playbook], cwd=REPO, env=env, check=True)
    finally:
        emulator.stop()
    print(f"Demo finished in {time.monotonic() - started:.1f}s; emulator stopped (exit code {emulator.returncode}).")


if __name__ == "__main__":
    main()
