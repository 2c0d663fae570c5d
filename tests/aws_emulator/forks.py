"""Emulators forked from one process that has imported moto once: ``with EmulatorForks.start() as forks:
emu = forks.emulator(skip_patches=["nat_lifecycle"])``.

Why: starting an emulator costs ~1.3 CPU-s, nearly all of it importing moto's EC2 models (moto loads its region and
instance type data at import). tests/emulator/test_emulator_patch_proofs.py needs an emulator without each patch in
turn; forked from a process that has imported moto and the patch modules (and applied none), each costs ~0.1 CPU-s.

How: ``python -m aws_emulator.forks`` imports them, then (single-threaded, so that forking it is safe) reads one
JSON request a line on stdin. ``{"nat_transition", "propagation_delay", "skip_patches", "workdir"}`` forks a child
that runs the launcher's ``main()`` (so it applies the patches not skipped and serves exactly as
``python -m aws_emulator`` does) in ``workdir``, its stderr in ``workdir/server.log``; the child prints the
launcher's listening line, the fork server prints ``FORKED_PREFIX pid``. The child's stdin is a pipe the fork server
holds: ``{"stop": pid}`` closes it, the child stops (the launcher's ``--exit-on-stdin-eof``) and the fork server
answers ``STOPPED_PREFIX pid code``. When the fork server's stdin closes (the test process ended), or it dies, every
child's stdin closes too, so no emulator outlives the tests.

moto's request recorder was created when moto was imported, with the default recording file ``moto_recording``,
relative: each child works in its own ``workdir``, so its recording is its own.
"""

import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aws_emulator.client import STARTUP_TIMEOUT, STOP_TIMEOUT, Emulator, EmulatorError, _pump_stdout, _tail
from aws_emulator.server import LISTENING_PREFIX, parse_nat_transition

FORKED_PREFIX = "aws_emulator forked "
STOPPED_PREFIX = "aws_emulator stopped "
EXITED_PREFIX = "aws_emulator exited "
_TESTS_DIR = Path(__file__).resolve().parent.parent


class ForkedProcess:
    """A forked emulator as ``Emulator`` drives its process (``pid``, ``poll``, ``terminate``, ``wait``, ``kill``):
    it stops through the fork server, which is its parent and the only one to see it exit, so ``poll()`` knows of the
    stop it asked for, not of a crash (the emulator's requests then fail)."""

    def __init__(self, forks: "EmulatorForks", pid: int) -> None:
        self._forks = forks
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = None

    def poll(self) -> int | None:
        return self.returncode

    def terminate(self) -> None:
        if self.returncode is None:
            self.returncode = self._forks._stop(self.pid)

    def wait(self, timeout: float | None = None) -> int | None:
        return self.returncode

    def kill(self) -> None:
        self.terminate()


class EmulatorForks:
    """Test-side handle of the fork server: ``emulator()`` forks an emulator, ``stop()`` ends them all."""

    def __init__(self, process: subprocess.Popen[bytes], lines: "queue.Queue[str | None]", log_path: Path) -> None:
        self._process = process
        self._lines = lines
        self._log_path = log_path
        self._lock = threading.Lock()

    @classmethod
    def start(cls) -> "EmulatorForks":
        workdir = Path(tempfile.mkdtemp(prefix="aws_emulator-forks-"))
        log_file = (workdir / "forks.log").open("wb")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_TESTS_DIR), env.get("PYTHONPATH")]))
        for name in ("MOTO_RECORDER_FILEPATH", "MOTO_ENABLE_RECORDING", "AWS_EMULATOR_SKIP_PATCHES"):
            env.pop(name, None)
        process = subprocess.Popen(
            [sys.executable, "-m", "aws_emulator.forks"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=env,
            cwd=workdir,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(
            target=_pump_stdout, args=(process.stdout, lines, log_file), name="aws_emulator-forks", daemon=True
        ).start()
        return cls(process, lines, workdir / "forks.log")

    def emulator(
        self, nat_transition: str = "immediate", *, propagation_delay: float = 0.0, skip_patches: Sequence[str] = ()
    ) -> Emulator:
        """A new emulator, as ``Emulator.start()`` would start it."""
        transition = parse_nat_transition(nat_transition)
        workdir = Path(tempfile.mkdtemp(prefix="aws_emulator-"))
        log_file = (workdir / "server.log").open("wb")
        request = {
            "nat_transition": nat_transition,
            "propagation_delay": propagation_delay,
            "skip_patches": list(skip_patches),
            "workdir": str(workdir),
        }
        with self._lock:
            self._send(request)
            pid, endpoint_url, exited = None, None, None
            deadline = time.monotonic() + STARTUP_TIMEOUT
            # The fork server's line and the child's come in either order: read both, so none is left for the next.
            while pid is None or (endpoint_url is None and exited is None):
                line = self._next_line(deadline, log_file.name)
                if line.startswith(FORKED_PREFIX):
                    pid = int(line[len(FORKED_PREFIX) :])
                elif line.startswith(LISTENING_PREFIX):
                    endpoint_url = line[len(LISTENING_PREFIX) :].strip()
                elif line.startswith(EXITED_PREFIX):
                    exited = line
            if exited is not None:
                log_file.close()
                log = _tail(Path(log_file.name))
                shutil.rmtree(workdir, ignore_errors=True)
                raise EmulatorError(f"forked aws_emulator {exited}; log:\n{log}")
        return Emulator(
            process=ForkedProcess(self, pid),
            endpoint_url=endpoint_url,
            nat_transition=transition,
            propagation_delay=propagation_delay,
            log_file=log_file,
        )

    def _stop(self, pid: int) -> int:
        with self._lock:
            self._send({"stop": pid})
            deadline = time.monotonic() + STOP_TIMEOUT
            while True:
                line = self._next_line(deadline, str(self._log_path))
                if line.startswith(f"{STOPPED_PREFIX}{pid} "):
                    return int(line.rsplit(" ", 1)[1])

    def _send(self, request: dict[str, Any]) -> None:
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(json.dumps(request).encode() + b"\n")
            self._process.stdin.flush()
        except OSError as exc:
            raise EmulatorError(f"the fork server is gone: {exc}; log:\n{_tail(self._log_path)}") from exc

    def _next_line(self, deadline: float, log_path: str) -> str:
        try:
            line = self._lines.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            raise EmulatorError(f"no answer from the fork server in time; log:\n{_tail(Path(log_path))}") from None
        if line is None:
            raise EmulatorError(f"the fork server exited; log:\n{_tail(self._log_path)}")
        return line

    def stop(self) -> None:
        """Close the fork server's stdin: it stops its emulators and exits."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        shutil.rmtree(self._log_path.parent, ignore_errors=True)

    def __enter__(self) -> "EmulatorForks":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _fork_emulator(request: dict[str, Any], stdin_of: dict[int, int]) -> tuple[int, int]:
    """Fork one emulator; returns its pid and the write end of its stdin."""
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        os.close(read_end)
        return pid, write_end
    code = 1
    try:
        for other in (write_end, *stdin_of.values()):  # only the fork server may hold a child's stdin open
            os.close(other)
        os.dup2(read_end, 0)
        os.close(read_end)
        workdir = request["workdir"]
        log = os.open(os.path.join(workdir, "server.log"), os.O_WRONLY | os.O_APPEND)
        os.dup2(log, 2)
        os.close(log)
        os.chdir(workdir)
        os.environ["AWS_EMULATOR_SKIP_PATCHES"] = ",".join(request["skip_patches"])
        from aws_emulator.server import main as serve  # noqa: PLC0415

        code = serve(
            [
                "--port",
                "0",
                "--nat-transition",
                request["nat_transition"],
                "--propagation-delay",
                str(request["propagation_delay"]),
                "--exit-on-stdin-eof",
            ]
        )
    except BaseException:
        traceback.print_exc()
    finally:
        print(f"{EXITED_PREFIX}{os.getpid()} {code}", flush=True)
        sys.stderr.flush()
        os._exit(code)


def main() -> int:
    # What a forked emulator would otherwise import itself: moto's EC2 models and server, and the patch modules.
    import moto.moto_server.werkzeug_app  # noqa: F401, PLC0415
    import werkzeug.serving  # noqa: F401, PLC0415
    from moto.core.base_backend import AccountSpecificBackend  # noqa: PLC0415
    from moto.core.utils import get_service_model  # noqa: PLC0415

    import aws_emulator.patches  # noqa: F401, PLC0415

    # ... and the botocore data its first EC2 request reads (~0.25 CPU-s): the EC2 model, and EC2's regions through
    # the one botocore session moto keeps for listing regions. Neither depends on a patch.
    get_service_model("ec2")
    regions = AccountSpecificBackend.get_session()
    for partition in regions.get_available_partitions():
        regions.get_available_regions("ec2", partition_name=partition)

    stdin_of: dict[int, int] = {}
    for line in sys.stdin:
        request = json.loads(line)
        if "stop" in request:
            pid = request["stop"]
            os.close(stdin_of.pop(pid))
            _, status = os.waitpid(pid, 0)
            print(f"{STOPPED_PREFIX}{pid} {os.waitstatus_to_exitcode(status)}", flush=True)
        else:
            pid, stdin_of[pid] = _fork_emulator(request, stdin_of)
            print(f"{FORKED_PREFIX}{pid}", flush=True)
    for pid, write_end in stdin_of.items():
        os.close(write_end)
        os.waitpid(pid, 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
