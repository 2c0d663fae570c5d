"""A small HTTP proxy in front of the emulator that makes AWS misbehave on purpose.

Point a client (a module's ``endpoint_url``, the role's ``fargate_network_aws_endpoint_url``) at
``proxy.endpoint_url`` instead of the emulator's. Every request is forwarded as it came; on top of that the proxy
can do one of three things, its ``fault``:

* **crash** (``Crash(N, on_crash)``): once the emulator has carried out the Nth mutating EC2 request (answered it
  with success: the change is made), ``on_crash()`` is called (a test kills the playbook there) and the connection is
  dropped without an answer: the client dies not knowing whether its call worked, as in a crash mid-call. Every
  later request is dropped unanswered, so nothing that survives the kill can change anything. A mutating request
  the emulator refuses (a NotFound while a new id propagates, which the client retries) is answered and not
  counted, so that N names the same change with or without a propagation delay.
* **lose an answer** (``LoseAnswer("CreateVpc")``): the first request of that (mutating) action is carried
  out, and the connection is closed instead of answering; then the proxy goes on as usual. The client sees a
  dropped connection, as after a network blip or a timeout, and its SDK sends the request again (botocore retries
  dropped connections, whatever the call).
* **throttle** (``Throttle(0.25, seed=...)``): a fixed share of the EC2 requests is answered by the proxy
  itself with a retryable error, never forwarded: EC2's ``RequestLimitExceeded`` (HTTP 503), ``ServiceUnavailable``
  (HTTP 503), or a bare 503 whose body is an HTML page, not an EC2 error (what a load balancer in the way returns).
  The share is exact: of each block of ``THROTTLE_BLOCK`` consecutive EC2 requests, ``round(share *
  THROTTLE_BLOCK)`` are refused, at positions (and with kinds) drawn from ``random.Random(seed)``, so a run sees
  the same pattern every time. Refusals may be consecutive: one call can be refused several times in a row, as AWS
  does under load.

It can also **edit an answer** (``edit_answers={"DescribeAddresses": edit}``): the emulator's answer to each such
call reaches the client as ``edit(body)`` returns it. For a state AWS can reach and the emulator cannot be brought
to (an address gone from under a NAT gateway), a test removes from the real answer what AWS would no longer list;
everything else the client sees is the emulator's.

Whatever it does, ``on_answer(call, status)`` (if given) is called with each EC2 call the emulator answered and the
answer's HTTP status, before the client gets that answer: a test steers the emulator there at a known point of a
run (e.g. settles its clock once the run has been refused a create, ``Emulator.settle_propagation()``).

Requests are classified (EC2 action, read or mutating) exactly as the emulator's recorder classifies them
(:mod:`aws_emulator.client`); ``/moto-api`` control requests pass through untouched and uncounted.

    with AwsProxy(aws.endpoint_url, Throttle(0.25, seed=7)) as proxy:
        run_module("nat_gateway", {**aws.module_params(), "endpoint_url": proxy.endpoint_url, ...})
    proxy.injected  # [(action, kind), ...]
"""

import dataclasses
import http.client
import random
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from aws_emulator.client import RecordedCall, Recording, _action_of, _service_of

# What the proxy answers instead of forwarding, in the order the seeded draw picks from.
THROTTLE_KINDS = ("RequestLimitExceeded", "ServiceUnavailable", "bare-503")
THROTTLE_BLOCK = 20
_MESSAGES = {
    "RequestLimitExceeded": "Request limit exceeded.",
    "ServiceUnavailable": "The service is unavailable. Please try again shortly.",
}
# Headers that describe one hop, not the message: never copied across the proxy.
_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"}
UPSTREAM_TIMEOUT = 60.0


def classify(method, path, headers, body):
    """The request as the emulator's recorder would record it (service, EC2 action, method, url, body)."""
    entry = {"body": body.decode("utf-8", errors="replace"), "url": path}
    return RecordedCall(
        service=_service_of(dict(headers)), action=_action_of(entry), method=method, url=path, body=entry["body"]
    )


def is_ec2_call(call):
    """An EC2 API call (what the recorder lists in ``actions``), not a ``/moto-api`` control request."""
    return bool(Recording(calls=[call]).actions)


def is_mutation(call):
    return bool(Recording(calls=[call]).mutations)


def ec2_error(code, message):
    """An EC2 Query API error body."""
    request_id = uuid.uuid4()
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
        f"<RequestID>{request_id}</RequestID></Response>"
    ).encode()


@dataclasses.dataclass(frozen=True)
class Crash:
    """Crash once the emulator has carried out the ``after``-th mutating EC2 request; ``on_crash()`` is called then."""

    after: int
    on_crash: Callable[[], None] | None = None


@dataclasses.dataclass(frozen=True)
class LoseAnswer:
    """Carry out the first request of ``action`` (mutating), and drop the connection instead of answering it."""

    action: str


@dataclasses.dataclass(frozen=True)
class Throttle:
    """Refuse ``share`` of the EC2 requests with a retryable error, at places drawn from ``random.Random(seed)``."""

    share: float
    seed: int = 0


class AwsProxy:
    """A threaded HTTP proxy on 127.0.0.1 (a free port) in front of ``upstream_url``, with one ``fault`` (a
    :class:`Crash`, :class:`LoseAnswer` or :class:`Throttle`) or none; see the module docstring."""

    def __init__(self, upstream_url, fault=None, *, on_answer=None, edit_answers=None):
        crash = fault if isinstance(fault, Crash) else None
        throttle = fault if isinstance(fault, Throttle) else Throttle(0.0)
        if crash is not None and crash.after < 1:
            raise ValueError("Crash counts mutating requests from 1")
        if not 0.0 <= throttle.share < 1.0:
            raise ValueError(f"the throttle share must be in [0, 1), not {throttle.share}")
        upstream = urlsplit(upstream_url)
        self._upstream = (upstream.hostname, upstream.port or 80)
        self.crash_after = crash.after if crash else None
        self._on_crash = crash.on_crash if crash else None
        self.lose_answer_of = fault.action if isinstance(fault, LoseAnswer) else None
        self._on_answer = on_answer
        self._edit_answers = edit_answers or {}
        self.lost = []  # actions carried out whose answer was lost (lose_answer_of)
        self.throttle_share = throttle.share
        self._random = random.Random(throttle.seed)
        self._block = []  # refuse or not, for the rest of the current block of EC2 requests (popped from the end)
        self._lock = threading.Lock()
        self.forwarded = Recording()  # the EC2 calls the emulator answered, in order
        self.carried_out = []  # mutating EC2 actions the emulator answered with success, in order
        self.injected = []  # (action, kind) of every request answered with an error instead of forwarded
        self.ec2_requests = 0  # every EC2 request the proxy received (forwarded, injected or dropped)
        self.dropped = []  # actions of requests dropped unanswered after the crash
        self.crashed_on = None  # the mutating action the crash came after
        # (action, decision) of each EC2 request in order: forward, crash_point, lose, drop, or a throttle kind
        self.outcomes = []
        self.crashed = threading.Event()
        # Held by a mutating request from its forwarding until the crash decision: no other mutation slips in between.
        self._mutation_lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = None

    # -- lifecycle ---------------------------------------------------------------------------------------------

    @property
    def endpoint_url(self):
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self._thread = threading.Thread(target=self._server.serve_forever, name="aws_proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=10)
            self._thread = None
        self._server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- what happened -------------------------------------------------------------------------------------------

    @property
    def mutations(self):
        """Mutating EC2 actions the emulator carried out through the proxy, in order."""
        return self.forwarded.mutations

    @property
    def injected_share(self):
        return len(self.injected) / self.ec2_requests if self.ec2_requests else 0.0

    def injected_by_kind(self):
        return Counter(kind for _action, kind in self.injected)

    # -- decisions -------------------------------------------------------------------------------------------------

    def longest_refusal_streak(self):
        """The most EC2 requests refused in a row (a client's retries of one call are consecutive requests)."""
        longest = streak = 0
        for _action, outcome in self.outcomes:
            streak = streak + 1 if outcome in THROTTLE_KINDS else 0
            longest = max(longest, streak)
        return longest

    def _decide(self, call):
        """``forward``, ``crash_point`` (forward, then crash if it is the Nth change), ``lose``, ``drop``, or a
        throttle kind; counts the request."""
        if not is_ec2_call(call):
            return "forward"
        with self._lock:
            decision = self._decide_ec2(call)
            self.outcomes.append((call.action, decision))
            return decision

    def _decide_ec2(self, call):
        # Called under the lock: no concurrent mutation can slip in between the crash call and the crash.
        self.ec2_requests += 1
        if self.crashed.is_set():
            self.dropped.append(call.action)
            return "drop"
        if self.throttle_share and self._refuse_next():
            kind = self._random.choice(THROTTLE_KINDS)
            self.injected.append((call.action, kind))
            return kind
        if is_mutation(call):
            if self.crash_after is not None:
                return "crash_point"  # forwarded; the answer decides whether the crash comes now
            if call.action == self.lose_answer_of and not self.lost:
                self.lost.append(call.action)
                return "lose"
        return "forward"

    def _refuse_next(self):
        if not self._block:
            refused = round(self.throttle_share * THROTTLE_BLOCK)
            self._block = [True] * refused + [False] * (THROTTLE_BLOCK - refused)
            self._random.shuffle(self._block)
        return self._block.pop()

    def _forward(self, method, path, headers, body):
        connection = http.client.HTTPConnection(*self._upstream, timeout=UPSTREAM_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.reason, response.getheaders(), response.read()
        finally:
            connection.close()

    def _forward_crash_point(self, call, method, path, headers, body):
        """Forward a mutating request; ``None`` when the crash came right after it (or before it: dropped)."""
        with self._mutation_lock:
            if self.crashed.is_set():
                with self._lock:
                    self.dropped.append(call.action)
                return None
            answer = self._forward(method, path, headers, body)
            self._answered(call, answer[0])
            with self._lock:
                self.forwarded.calls.append(call)
                if 200 <= answer[0] < 300:
                    self.carried_out.append(call.action)
                    if len(self.carried_out) == self.crash_after:
                        self.crashed.set()
                        self.crashed_on = call.action
            if self.crashed.is_set():
                # The emulator made the change; the caller dies without hearing of it.
                self._crash()
                return None
            return answer

    def _answered(self, call, status):
        if self._on_answer is not None:
            self._on_answer(call, status)

    def _crash(self):
        if self._on_crash is not None:
            self._on_crash()

    # -- HTTP ------------------------------------------------------------------------------------------------------

    def _handler_class(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self._handle()

            def do_POST(self):
                self._handle()

            def do_PUT(self):
                self._handle()

            def do_DELETE(self):
                self._handle()

            def do_HEAD(self):
                self._handle()

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {key: value for key, value in self.headers.items() if key.lower() not in _HOP_HEADERS}
                call = classify(self.command, self.path, headers, body)
                decision = proxy._decide(call)
                if decision == "drop":
                    self.close_connection = True
                    return
                if decision in THROTTLE_KINDS:
                    self._answer_throttled(decision)
                    return
                if decision == "crash_point":
                    answer = proxy._forward_crash_point(call, self.command, self.path, headers, body)
                    if answer is None:
                        self.close_connection = True
                        return
                    self._answer(*answer)
                    return
                status, reason, response_headers, response_body = proxy._forward(self.command, self.path, headers, body)
                if is_ec2_call(call):
                    proxy._answered(call, status)
                    with proxy._lock:
                        proxy.forwarded.calls.append(call)
                        if is_mutation(call) and 200 <= status < 300:
                            proxy.carried_out.append(call.action)
                if decision == "lose":
                    self.close_connection = True
                    return
                if call.action in proxy._edit_answers and 200 <= status < 300:
                    response_body = proxy._edit_answers[call.action](response_body)
                self._answer(status, reason, response_headers, response_body)

            def _answer_throttled(self, kind):
                if kind == "bare-503":
                    body = b"<html><body><b>503 Service Unavailable</b></body></html>"
                    self._answer(503, "Service Unavailable", [("Content-Type", "text/html")], body)
                else:
                    body = ec2_error(kind, _MESSAGES[kind])
                    self._answer(503, "Service Unavailable", [("Content-Type", "text/xml;charset=UTF-8")], body)

            def _answer(self, status, reason, headers, body):
                self.send_response(status, reason)
                for key, value in headers:
                    if key.lower() not in _HOP_HEADERS and key.lower() not in ("content-length", "date", "server"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's signature
                pass

        return Handler
