"""Signal a process and everything under it, as a dying machine or a cancelled CI job would."""

import os
import signal
from contextlib import suppress
from pathlib import Path


def descendants(pid):
    """The pids of every process under ``pid`` (read from /proc)."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def kill_tree(pid, sig=signal.SIGKILL):
    """Send ``sig`` to every process group under ``pid`` (its own included). Ansible's workers call setsid(), so each
    has a process group of its own with the module process it runs: signalling the playbook's group alone misses them.
    """
    groups = []
    for process in [pid, *descendants(pid)]:
        with suppress(ProcessLookupError):
            group = os.getpgid(process)
            if group not in groups:
                groups.append(group)
    for group in groups:
        with suppress(ProcessLookupError):
            os.killpg(group, sig)
