"""Test-side handle of the emulator: start/stop the server subprocess, reset it, steer the NAT lifecycle and the
propagation delay, record calls.

Usage: ``emu = Emulator.start()``; ``ec2 = emu.boto3_client("ec2")``; ``with emu.recording() as rec: ...``, then
``rec.actions`` / ``rec.reads`` / ``rec.mutations`` / ``rec.count("DescribeNatGateways")``; ``emu.stop()``.
"""

import atexit
import base64
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import boto3
from botocore.config import Config

from aws_emulator import (
    ACCESS_KEY,
    CLOCK_PATH,
    NAT_MODEL_NAME,
    NAT_STATE_EVENT_METHOD,
    PROPAGATION_DELAY_PATH,
    REGION,
    SECRET_KEY,
)
from aws_emulator.server import LISTENING_PREFIX, parse_nat_transition

if TYPE_CHECKING:
    from aws_emulator.forks import ForkedProcess

STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
READ_PREFIXES = ("Describe", "Get", "List")
_TESTS_DIR = Path(__file__).resolve().parent.parent


class EmulatorError(RuntimeError):
    """The emulator could not be started, or a /moto-api call failed."""


@dataclass(frozen=True)
class RecordedCall:
    """One request seen by moto's recorder."""

    service: str | None
    action: str | None
    method: str
    url: str
    user_agent: str = ""
    body: str = ""  # the request's form body (decoded), or a NAT state event's JSON (patches/nat_state_events.py)

    @property
    def params(self) -> dict[str, str]:
        """The request's parameters (``RouteTableId``, ``NatGatewayId``, ``Filter.1.Name``...), first value each."""
        return {key: values[0] for key, values in parse_qs(self.body).items()}


def _service_of(headers: dict[str, str]) -> str | None:
    # SigV4: "AWS4-HMAC-SHA256 Credential=AKID/20250101/us-east-1/ec2/aws4_request, ..."
    authorization = next((value for key, value in headers.items() if key.lower() == "authorization"), "")
    _, _, rest = authorization.partition("Credential=")
    scope = rest.split(",", 1)[0].split("/")
    return scope[3] if len(scope) >= 5 else None


def _body_of(entry: dict[str, Any]) -> str:
    body = entry.get("body") or ""
    if entry.get("body_encoded"):
        body = base64.b64decode(body).decode("utf-8", errors="replace")
    return body


def _claims(call: "RecordedCall") -> bool:
    if call.action in ("ImportKeyPair", "DeleteKeyPair", "DescribeKeyPairs"):
        return True
    return call.action == "CreateTags" and "ResourceId.1=key-" in call.body


def _action_of(entry: dict[str, Any]) -> str | None:
    if entry.get("method") == NAT_STATE_EVENT_METHOD:
        return None
    for text in (_body_of(entry), urlsplit(entry.get("url", "")).query):
        actions = parse_qs(text).get("Action") if text else None
        if actions:
            return actions[0]
    return None


@dataclass
class Recording:
    """Calls recorded inside ``Emulator.recording()``; filled in when the ``with`` block ends."""

    calls: list[RecordedCall] = field(default_factory=list)

    def _load(self, jsonl: str) -> None:
        for line in jsonl.splitlines():
            if not line.strip():
                continue
            entry = json.loads(line)
            self.calls.append(
                RecordedCall(
                    service=_service_of(entry.get("headers") or {}),
                    action=_action_of(entry),
                    method=entry.get("method", ""),
                    url=entry.get("url", ""),
                    user_agent=next(
                        (value for key, value in (entry.get("headers") or {}).items() if key.lower() == "user-agent"),
                        "",
                    ),
                    body=_body_of(entry),
                )
            )

    @property
    def actions(self) -> list[str]:
        """EC2 ``Action=`` names, in order (requests signed for another service are left out)."""
        return [call.action for call in self.calls if call.action and call.service in ("ec2", None)]

    @property
    def reads(self) -> list[str]:
        return [action for action in self.actions if action.startswith(READ_PREFIXES)]

    @property
    def mutations(self) -> list[str]:
        """Mutating EC2 actions, in order, the network's claim aside (``claim_calls``)."""
        return [
            call.action for call in self._ec2_calls() if not call.action.startswith(READ_PREFIXES) and not _claims(call)
        ]

    @property
    def claim_calls(self) -> list[str]:
        """The calls a run makes for the network's claim (plugins/module_utils/_aws/lease.py), in order: key pair
        calls, and CreateTags on a key pair (the claim's VPC, its lease's renewal)."""
        return [call.action for call in self._ec2_calls() if _claims(call)]

    def _ec2_calls(self) -> list[RecordedCall]:
        return [call for call in self.calls if call.action and call.service in ("ec2", None)]

    def count(self, action: str) -> int:
        return self.actions.count(action)

    @property
    def nat_states(self) -> list[dict[str, str | None]]:
        """NAT gateway state changes (``nat_gateway_id``, ``old_state``, ``new_state``), in order."""
        return [json.loads(call.body) for call in self.calls if call.method == NAT_STATE_EVENT_METHOD]

    @property
    def ansible_actions(self) -> set[str]:
        """EC2 actions made by Ansible modules (ours and amazon.aws's), not by a test's own boto3 client."""
        return {
            call.action
            for call in self.calls
            if call.action and call.service in ("ec2", None) and "Ansible/" in call.user_agent
        }


class Emulator:
    """Handle of one emulator server subprocess (``start()``), or of one forked by ``aws_emulator.forks``."""

    def __init__(
        self,
        *,
        process: "subprocess.Popen[bytes] | ForkedProcess",
        endpoint_url: str,
        nat_transition: dict[str, Any],
        propagation_delay: float,
        log_file: IO[bytes],
    ) -> None:
        self._process = process
        self.endpoint_url = endpoint_url
        self._default_nat_transition = nat_transition
        self.default_propagation_delay = propagation_delay
        self.log_path = Path(log_file.name)
        self._workdir = self.log_path.parent  # the server's own directory (start() made it), removed by stop()
        self._log_file = log_file
        self.returncode: int | None = None
        # One boto3 session per emulator: its clients share the loaded service models (a new session costs ~0.3 s).
        self._session: boto3.session.Session | None = None
        self._session_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        nat_transition: str = "immediate",
        *,
        propagation_delay: float = 0.0,
        startup_timeout: float = STARTUP_TIMEOUT,
    ) -> "Emulator":
        """Spawn ``python -m aws_emulator`` and wait (bounded) for its "listening" line."""
        transition = parse_nat_transition(nat_transition)
        workdir = Path(tempfile.mkdtemp(prefix="aws_emulator-"))
        log_path = workdir / "server.log"
        log_file = log_path.open("wb")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_TESTS_DIR), env.get("PYTHONPATH")]))
        env["MOTO_RECORDER_FILEPATH"] = str(workdir / "recording.jsonl")
        env.pop("MOTO_ENABLE_RECORDING", None)
        command = [
            sys.executable,
            "-m",
            "aws_emulator",
            "--port",
            "0",
            "--nat-transition",
            nat_transition,
            "--propagation-delay",
            str(propagation_delay),
            "--recording-file",
            str(workdir / "recording.jsonl"),
            "--exit-on-stdin-eof",
        ]
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log_file, env=env, cwd=workdir
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(
            target=_pump_stdout, args=(process.stdout, lines, log_file), name="aws_emulator-stdout", daemon=True
        ).start()
        try:
            endpoint_url = _wait_for_listening(process, lines, startup_timeout, log_path)
        except BaseException:
            _terminate(process)
            log_file.close()
            shutil.rmtree(workdir, ignore_errors=True)
            raise
        emulator = cls(
            process=process,
            endpoint_url=endpoint_url,
            nat_transition=transition,
            propagation_delay=propagation_delay,
            log_file=log_file,
        )
        atexit.register(emulator.stop)
        return emulator

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after a bounded wait); safe to call twice."""
        if self.returncode is None:
            self.returncode = _terminate(self._process)
            if self.returncode != 0:
                print(f"aws_emulator exited with code {self.returncode}; log:\n{_tail(self.log_path)}", file=sys.stderr)
        atexit.unregister(self.stop)
        if not self._log_file.closed:
            self._log_file.close()
        shutil.rmtree(self._workdir, ignore_errors=True)

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    @property
    def pid(self) -> int:
        return self._process.pid

    # -- control ---------------------------------------------------------------------------------------------

    def reset(self) -> None:
        """Clear all AWS state (POST /moto-api/reset); restore the NAT transition and delay chosen at start."""
        self._post("/moto-api/recorder/stop-recording")
        self._post("/moto-api/reset")
        self._set_transition(self._default_nat_transition)

    def set_nat_transition(self, progression: str, times: int | None = None, seconds: float | None = None) -> None:
        """``immediate``, ``manual`` (``times`` describes per step) or ``time`` (``seconds`` per step)."""
        transition: dict[str, Any] = {"progression": progression}
        if progression == "manual":
            if times is None or times < 1:
                raise ValueError("manual progression needs times >= 1")
            transition["times"] = times
        elif progression == "time":
            if seconds is None or seconds < 0:
                raise ValueError("time progression needs seconds >= 0")
            transition["seconds"] = seconds
        elif progression != "immediate":
            raise ValueError(f"unknown progression {progression!r}: use immediate, manual or time")
        self._set_transition(transition)

    def set_propagation_delay(self, seconds: float) -> None:
        """EC2 eventual consistency for what follows: for ``seconds`` after each create its id answers NotFound and
        is left out of describes; releases hold their subnet / VPC (``DependencyViolation``). 0 = strongly
        consistent. Forgets what was still propagating; ``reset()`` restores the delay chosen at start."""
        if not seconds >= 0:
            raise ValueError("propagation delay needs seconds >= 0")
        self._post(PROPAGATION_DELAY_PATH, {"seconds": seconds})

    def propagating(self) -> int:
        """How many ids created under the propagation delay are still hidden (NotFound, left out of describes); 0
        once a run starting now would see everything made before it."""
        return int(json.loads(self._request("GET", PROPAGATION_DELAY_PATH))["propagating"])

    def hold_clock(self) -> None:
        """Stop the emulator's clock: a new id stays hidden, a release keeps holding and a NAT gateway in ``time``
        progression keeps its state until ``advance_clock()``, ``settle_propagation()`` or ``resume_clock()``,
        however slow the machine."""
        self._post(CLOCK_PATH, {"action": "hold"})

    def resume_clock(self) -> None:
        """Let the emulator's clock run with real time again, from where it was held."""
        self._post(CLOCK_PATH, {"action": "resume"})

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock ``seconds`` on (held or not)."""
        self._post(CLOCK_PATH, {"action": "advance", "seconds": seconds})

    def settle_propagation(self) -> None:
        """Move the emulator's clock on to when everything created or released so far is through (held or not)."""
        self._post(CLOCK_PATH, {"action": "settle"})

    def _set_transition(self, transition: dict[str, Any]) -> None:
        self._post(
            "/moto-api/state-manager/set-transition",
            {"model_name": NAT_MODEL_NAME, "transition": transition},
        )

    # -- clients -----------------------------------------------------------------------------------------------

    def boto3_client(self, service: str = "ec2", *, config: Any = None) -> Any:
        """A boto3 client against the emulator (us-east-1, testing/testing; no automatic retries by default)."""
        with self._session_lock:
            if self._session is None:
                self._session = boto3.session.Session(
                    aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
                )
            return self._session.client(
                service,
                endpoint_url=self.endpoint_url,
                config=config or Config(retries={"total_max_attempts": 1, "mode": "standard"}),
            )

    def module_params(self) -> dict[str, str]:
        """The amazon.aws common module parameters pointing at the emulator."""
        return {"endpoint_url": self.endpoint_url, "region": REGION, "access_key": ACCESS_KEY, "secret_key": SECRET_KEY}

    def env(self) -> dict[str, str]:
        """Environment variables that point AWS SDKs (and amazon.aws modules) at the emulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    # -- recorder ----------------------------------------------------------------------------------------------

    @contextmanager
    def recording(self) -> Iterator[Recording]:
        """Record every request made inside the block; ``rec.actions`` etc. are available after the block."""
        rec = Recording()
        self._post("/moto-api/recorder/reset-recording")
        self._post("/moto-api/recorder/start-recording")
        try:
            yield rec
        finally:
            self._post("/moto-api/recorder/stop-recording")
            rec._load(self._request("GET", "/moto-api/recorder/download-recording"))

    # -- HTTP ------------------------------------------------------------------------------------------------

    def _post(self, path: str, payload: dict[str, Any] | None = None) -> str:
        return self._request("POST", path, payload)

    def _request(self, method: str, path: str, payload: dict[str, Any] | None = None) -> str:
        data = json.dumps(payload).encode() if payload is not None else b""
        request = urllib.request.Request(f"{self.endpoint_url}{path}", data=data if method == "POST" else None)
        request.method = method
        if payload is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.read().decode()
        except OSError as exc:
            raise EmulatorError(f"{method} {path} failed: {exc}") from exc

    def __enter__(self) -> "Emulator":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Emulator(endpoint_url={self.endpoint_url!r}, pid={self._process.pid})"


def _pump_stdout(stream: IO[bytes] | None, lines: "queue.Queue[str | None]", log_file: IO[bytes]) -> None:
    """Forward the server's stdout lines to ``lines`` (then keep draining it into the log so it never blocks)."""
    assert stream is not None
    try:
        for raw in stream:
            lines.put(raw.decode("utf-8", errors="replace").rstrip("\n"))
            try:
                log_file.write(raw)
                log_file.flush()
            except ValueError:  # log closed after stop()
                pass
    finally:
        stream.close()
        lines.put(None)


def _wait_for_listening(
    process: subprocess.Popen[bytes], lines: "queue.Queue[str | None]", timeout: float, log_path: Path
) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(deadline - time.monotonic(), 0.0))
        except queue.Empty:
            raise EmulatorError(
                f"aws_emulator did not print its listening line within {timeout:.0f}s; log:\n{_tail(log_path)}"
            ) from None
        if line is None:
            process.wait()
            raise EmulatorError(
                f"aws_emulator exited with code {process.returncode} before listening; log:\n{_tail(log_path)}"
            )
        if line.startswith(LISTENING_PREFIX):
            return line[len(LISTENING_PREFIX) :].strip()


def _terminate(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdin is not None:
        with suppress(OSError):
            process.stdin.close()
    return process.returncode


def _tail(path: Path, limit: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError:
        return "(no log)"
