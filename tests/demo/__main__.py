"""`make demo`: what the collection promises, in six steps and under a minute, against the embedded AWS emulator.

Build a network, break it the way networks break in real accounts, audit it (findings, fixes, report), repair it by
running the same playbook again, audit it clean, and rerun once more to show that a healthy network costs a few
read-only API calls and changes nothing.

Nothing here touches real AWS: the playbooks reach the emulator through AWS_URL and dummy credentials. NAT gateways
stay `pending` for two describes, as they stay pending for a while on AWS.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from support.network_faults import nat_deleted, private_default_route_deleted

from aws_emulator.client import Emulator

REPO = Path(__file__).resolve().parents[2]
REPORT = REPO / ".build" / "demo" / "network-check.md"
NETWORK = "demo"
REGION = "us-east-1"
NETWORK_VARS = ["-e", f"fargate_network_name={NETWORK}", "-e", f"fargate_network_region={REGION}"]
# A table cell ends at a `|` that the report did not escape as `\|`.
CELL_SEPARATOR = re.compile(r"(?<!\\)\|")


class DemoError(RuntimeError):
    """A step did not turn out as the story says: the demo stops rather than tell it wrong."""


def emulator_environment(endpoint_url):
    """Environment that points amazon.aws and our modules (and any boto3 client) at the emulator."""
    return dict(
        os.environ,
        AWS_URL=endpoint_url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        # Skipped tasks (deploy_config publishing, teardown, ...) say nothing about this story.
        ANSIBLE_DISPLAY_SKIPPED_HOSTS="false",
    )


def step(number, explanation):
    print(f"\n==> Step {number}/6: {explanation}", flush=True)


def report_findings(path):
    """(code, resource, fix) of each finding in the Findings table of a network_check Markdown report."""
    findings = []
    in_findings = False
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            in_findings = line == "## Findings"
        elif in_findings and line.startswith("| ") and not line.startswith(("| Severity ", "|---")):
            _, severity, code, resource, _subnets, _message, fix, _ = CELL_SEPARATOR.split(line)
            findings.append((severity.strip(), code.strip(" `"), resource.strip(), fix.strip().replace("\\|", "|")))
    return findings


class Demo:
    def __init__(self, emulator):
        self.emulator = emulator
        self.env = emulator_environment(emulator.endpoint_url)
        self.ansible_playbook = Path(sys.executable).parent / "ansible-playbook"

    def playbook(self, name, *arguments):
        """Run ``playbooks/<name>`` with its output on the terminal; return its exit code."""
        command = [self.ansible_playbook, f"playbooks/{name}", *NETWORK_VARS, *arguments]
        return subprocess.run(command, cwd=REPO, env=self.env, check=False).returncode

    def setup(self):
        returncode = self.playbook("setup_network.yml")
        if returncode != 0:
            raise DemoError(f"setup_network failed (exit code {returncode})")

    def audit(self):
        return self.playbook("check_network.yml", "-e", f"check_network_report_path={REPORT}")

    def run(self):
        step(1, "Build: setup_network creates the network, prints each thing it created, and audits it.")
        self.setup()

        step(2, "Break it as networks break in real accounts: a NAT gateway deleted, a private route removed.")
        ec2 = self.emulator.boto3_client("ec2")
        nat_deleted(ec2, NETWORK, f"{REGION}a")
        print(f"Deleted the NAT gateway of {REGION}a: its private route table now sends traffic into a blackhole.")
        private_default_route_deleted(ec2, NETWORK, f"{REGION}b")
        print(f"Deleted the default route of the {REGION}b private route table: its tasks have no way out.")

        step(3, "Audit (read-only): check_network finds both faults, writes a report, and fails the play as CI would.")
        returncode = self.audit()
        findings = report_findings(REPORT)
        if returncode == 0 or len(findings) < 2:
            raise DemoError(f"the audit of the broken network passed (exit code {returncode}, findings {findings})")
        print(f"\ncheck_network exited with code {returncode}. The report, {REPORT}, gives each finding its fix:")
        for severity, code, resource, fix in findings:
            print(f"  {severity} {code} ({resource}): {fix}")

        step(4, "Repair: rerun setup_network; it puts right what broke, in place, and prints each repair.")
        self.setup()

        step(5, "Audit again: the network is clean.")
        returncode = self.audit()
        if returncode != 0:
            raise DemoError(f"the audit of the repaired network failed (exit code {returncode})")

        step(6, "Rerun setup_network on the healthy network: nothing changes, and it costs a few read-only API calls.")
        with self.emulator.recording() as recording:
            self.setup()
        if recording.mutations:
            raise DemoError(f"the rerun changed the network: {recording.mutations}")
        print(f"\nThe rerun made {len(recording.actions)} EC2 API calls, none of them a change.")


REAL_ACCOUNT = f"""
Against a real AWS account, with your usual credentials (environment, AWS_PROFILE or instance role). NAT gateways
are billed by the hour: tear the network down when you are done.
  ansible-galaxy collection install cloudreactor.aws
  ansible-playbook cloudreactor.aws.setup_network {" ".join(NETWORK_VARS)} --check --diff   # the plan only
  ansible-playbook cloudreactor.aws.setup_network {" ".join(NETWORK_VARS)}
  ansible-playbook cloudreactor.aws.check_network {" ".join(NETWORK_VARS)}
  ansible-playbook cloudreactor.aws.teardown_network {" ".join(NETWORK_VARS)}
From this checkout, without installing: .venv/bin/ansible-playbook playbooks/setup_network.yml ... (same options)."""


def main():
    started = time.monotonic()
    emulator = Emulator.start(nat_transition="describes:2")
    print(f"Emulator running at {emulator.endpoint_url} (pid {emulator.pid}); nothing here reaches AWS.", flush=True)
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    try:
        Demo(emulator).run()
    except DemoError as exc:
        print(f"\nThe demo stopped: {exc}", file=sys.stderr)
        return 1
    finally:
        emulator.stop()
    print(f"\nDemo finished in {time.monotonic() - started:.1f}s; emulator stopped (exit code {emulator.returncode}).")
    print(REAL_ACCOUNT)
    return 0


if __name__ == "__main__":
    sys.exit(main())
