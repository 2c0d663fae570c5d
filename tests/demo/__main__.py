"""`make demo`: start the embedded AWS emulator, build a network with setup_network, audit it with
check_network, stop the emulator.

Nothing here touches real AWS: the playbooks reach the emulator through AWS_URL and dummy credentials. NAT gateways
stay `pending` for two describes, as they stay pending for a while on AWS.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from aws_emulator.client import Emulator

REPO = Path(__file__).resolve().parents[2]
REPORT = REPO / ".build" / "demo" / "network-check.md"
PLAYBOOK_RUNS = [
    ["playbooks/setup_network.yml", "-e", "fargate_network_name=demo", "-e", "fargate_network_region=us-east-1"],
    [
        "playbooks/check_network.yml",
        "-e",
        "fargate_network_name=demo",
        "-e",
        "fargate_network_region=us-east-1",
        "-e",
        f"check_network_report_path={REPORT}",
    ],
]


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
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        for arguments in PLAYBOOK_RUNS:
            subprocess.run([bin_dir / "ansible-playbook", *arguments], cwd=REPO, env=env, check=True)
    finally:
        emulator.stop()
    print(f"Demo finished in {time.monotonic() - started:.1f}s; emulator stopped (exit code {emulator.returncode}).")
    print(f"Audit report (Markdown with a Mermaid diagram of the network): {REPORT}")


if __name__ == "__main__":
    main()
