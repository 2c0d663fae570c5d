"""`make demo` (``python -m demo``) tells the whole story: build, break, findings with fixes, repair, clean audit, and
a rerun that changes nothing; then the commands for a real account."""

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_demo_shows_break_findings_repair_and_a_clean_rerun():
    process = subprocess.run(
        [sys.executable, "-m", "demo"], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )

    assert process.returncode == 0, process.stdout[-4000:] + process.stderr[-3000:]
    steps = re.split(r"^==> Step \d/6: ", process.stdout, flags=re.MULTILINE)
    assert len(steps) == 7, process.stdout[-4000:]
    _, build, break_, audit, repair, clean_audit, rerun = steps
    assert '"created VPC"' in build
    assert "Deleted the NAT gateway of us-east-1a" in break_
    fixes = dict(re.findall(r"^  error (\w+) \(\S+\): (.+)$", audit, re.MULTILINE))
    assert set(fixes) == {"ROUTE_DEAD_NAT", "NO_INTERNET_FOR_CLOUDREACTOR"}, audit[-3000:]
    assert all("NAT gateway in us-east-1" in fix for fix in fixes.values())
    assert "network-check.md, gives each finding its fix" in audit
    assert '"created NAT gateway in us-east-1a"' in repair
    assert re.search(r'"route table private-us-east-1b: created default route 0\.0\.0\.0/0 -> nat-\w+"', repair)
    assert '"0 error(s), 0 warning(s)"' in clean_audit
    assert "Show what changed" not in rerun
    calls = re.search(r"^The rerun made (\d+) EC2 API calls, none of them a change\.$", rerun, re.MULTILINE)
    assert calls and int(calls.group(1)) > 0, rerun[-2000:]
    assert "ansible-playbook cloudreactor.aws.setup_network -e fargate_network_name=demo" in rerun
