"""Launcher: the patched moto server on 127.0.0.1.

``PYTHONPATH=tests python -m aws_emulator [--port 0] [--port-file F] [--pid-file F]
[--nat-transition immediate|describes:N|seconds:N] [--propagation-delay SECONDS] [--recording-file F]``

Prints exactly one line ``aws_emulator listening on http://127.0.0.1:PORT`` on stdout once the socket is bound,
writes the port/pid files if asked, and stops cleanly on SIGTERM/SIGINT (exit code 0, pid file removed).

moto is imported only inside ``main()``: moto's request recorder reads ``MOTO_RECORDER_FILEPATH`` /
``MOTO_ENABLE_RECORDING`` when it is imported, and ``--recording-file`` must be able to set them first.
"""

import argparse
import logging
import math
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from aws_emulator import NAT_MODEL_NAME

HOST = "127.0.0.1"
LISTENING_PREFIX = "aws_emulator listening on "


def parse_nat_transition(text: str) -> dict[str, Any]:
    """``immediate`` | ``describes:N`` | ``seconds:N`` -> a moto state-manager transition."""
    kind, _, amount = text.strip().partition(":")
    if kind == "immediate" and not amount:
        return {"progression": "immediate"}
    if kind == "describes":
        times = int(amount)
        if times < 1:
            raise ValueError("describes:N needs N >= 1")
        return {"progression": "manual", "times": times}
    if kind == "seconds":
        seconds = float(amount)
        if seconds < 0:
            raise ValueError("seconds:N needs N >= 0")
        return {"progression": "time", "seconds": int(seconds) if seconds.is_integer() else seconds}
    raise ValueError(f"unknown NAT transition {text!r}: use immediate, describes:N or seconds:N")


def _delay_arg(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds < 0:
        raise argparse.ArgumentTypeError(f"not a number of seconds >= 0: {text!r}")
    return seconds


def _transition_arg(text: str) -> dict[str, Any]:
    try:
        return parse_nat_transition(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m aws_emulator", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1; 0 (default) = a free port")
    parser.add_argument("--port-file", type=Path, help="write the chosen port to this file")
    parser.add_argument("--pid-file", type=Path, help="write the server's pid to this file (removed on exit)")
    parser.add_argument(
        "--nat-transition",
        type=_transition_arg,
        default={"progression": "immediate"},
        metavar="immediate|describes:N|seconds:N",
        help="default NAT gateway lifecycle speed (default: immediate)",
    )
    parser.add_argument(
        "--propagation-delay",
        type=_delay_arg,
        default=0.0,
        metavar="SECONDS",
        help="EC2 eventual consistency: new ids stay invisible and releases hold their VPC this long (default: 0)",
    )
    parser.add_argument(
        "--recording-file",
        type=Path,
        help="file for moto's request recorder (sets MOTO_RECORDER_FILEPATH; default: the environment's value)",
    )
    parser.add_argument("--log-requests", action="store_true", help="log every request on stderr")
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="stop when stdin reaches EOF (the client uses this so the server dies with the test process)",
    )
    return parser


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _watch_stdin(stop: threading.Event) -> None:
    # os.read, not sys.stdin: a daemon thread blocked in a buffered read aborts the interpreter at exit.
    try:
        while os.read(sys.stdin.fileno(), 4096):
            pass
    except (OSError, ValueError):
        pass
    stop.set()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.recording_file is not None:
        os.environ["MOTO_RECORDER_FILEPATH"] = str(args.recording_file.resolve())
    # moto's EC2 backend otherwise registers ~1,300 public AMIs (each with a volume and a snapshot) every time it is
    # created: at the first EC2 request and again after every /moto-api/reset, ~0.25 CPU-s each. Nothing here uses
    # AMIs; the network and its claim's key pairs do not need them.
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    if not args.log_requests:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    # Imported late on purpose: moto's recorder reads its environment variables at import time (see above).
    from werkzeug.serving import make_server  # noqa: PLC0415

    from aws_emulator.patches import apply_all, eventual_consistency  # noqa: PLC0415

    apply_all()
    if args.propagation_delay and not eventual_consistency.is_applied():
        print("aws_emulator: --propagation-delay needs the eventual_consistency patch", file=sys.stderr)
        return 2
    eventual_consistency.set_launch_delay(args.propagation_delay)

    from moto.moto_api import state_manager  # noqa: PLC0415
    from moto.moto_server.werkzeug_app import (  # noqa: PLC0415
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )

    state_manager.register_default_transition(NAT_MODEL_NAME, args.nat_transition)

    stop = threading.Event()

    def request_stop(signum: int, frame: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(HOST, args.port, app, threaded=True, request_handler=MotoRequestHandler)
    port = server.server_port
    serving = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="aws_emulator-http", daemon=True
    )
    serving.start()
    try:
        if args.pid_file is not None:
            _write_atomically(args.pid_file, f"{os.getpid()}\n")
        if args.port_file is not None:
            _write_atomically(args.port_file, f"{port}\n")
        print(f"{LISTENING_PREFIX}http://{HOST}:{port}", flush=True)
        if args.exit_on_stdin_eof:
            threading.Thread(target=_watch_stdin, args=(stop,), name="aws_emulator-stdin", daemon=True).start()
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
        serving.join()
        if args.pid_file is not None:
            args.pid_file.unlink(missing_ok=True)
    return 0
