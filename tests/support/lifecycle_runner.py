"""Run Molecule's aws_lifecycle scenario so that its teardown runs whatever happens (``make test-aws``).

``molecule test`` tears down after a failed step (its ``destroy``), and its first step tears down what an earlier run
left pending (a run whose machine died). Molecule does not tear down after an interrupt: Ctrl-C, or the SIGTERM of a
cancelled CI job. This runner does: it lets the interrupted path stop, then runs the teardown, and exits with 130.

    CLOUDREACTOR_TEST_TARGET=aws CLOUDREACTOR_AWS_TESTS=1 AWS_PROFILE=... python -m support.lifecycle_runner
"""

import ctypes
import os
import signal
import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent
PATH_COMMAND = [str(BIN / "molecule"), "test", "--scenario-name", "aws_lifecycle"]
TEARDOWN_COMMAND = [str(BIN / "molecule"), "destroy", "--scenario-name", "aws_lifecycle"]
INTERRUPTED = 130
PR_SET_CHILD_SUBREAPER = 36


def adopt_orphans():
    """Make the processes the path leaves behind ours (Linux): an interrupted ansible-playbook exits while the module
    process it started goes on with its calls, in a session of its own that Ctrl-C does not reach."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def wait_for_every_descendant():
    """Return once no process the path started is left: none can make an AWS call beside the teardown."""
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


def run_with_teardown(path_command, teardown_command, **popen_options):
    """Run ``path_command``; when this process is interrupted (SIGINT, SIGTERM) while it runs, let it stop, then run
    ``teardown_command``. Returns the path's exit code, or 130 after an interrupt (whatever the teardown's)."""
    adopt_orphans()
    path = subprocess.Popen(path_command, **popen_options)

    def terminated(_signum, _frame):
        # A cancelled job's SIGTERM may reach this process alone: pass the interrupt on, as Ctrl-C would.
        path.send_signal(signal.SIGINT)
        raise KeyboardInterrupt

    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, terminated),
        signal.SIGINT: signal.getsignal(signal.SIGINT),
    }
    try:
        return path.wait()
    except KeyboardInterrupt:
        print("Interrupted: waiting for the run to stop, then tearing down.", flush=True)
        # A second Ctrl-C while the path stops or the teardown runs must not skip the teardown.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        path.wait()
        wait_for_every_descendant()
        subprocess.run(teardown_command, check=False, **popen_options)
        return INTERRUPTED
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(run_with_teardown(PATH_COMMAND, TEARDOWN_COMMAND, cwd=Path(__file__).resolve().parents[2]))
