"""The emulator's clock: what the emulator times (propagation windows, ``time`` NAT transitions) is timed on it.

It runs with real (monotonic) time unless a test holds it. Held, it stands still: a new id stays hidden, a release
keeps holding its VPC and a NAT gateway keeps its state until the test advances, settles or resumes the clock, so a
test whose next calls must land inside a window does not depend on how fast the machine is. Tests steer it through
``POST /moto-api/aws-emulator/clock`` (patches/eventual_consistency.py), via ``Emulator.hold_clock()`` and the like.
"""

import threading
import time


class Clock:
    """Monotonic time, less the time it was held; shared by the server's request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lag = 0.0
        self._held_at: float | None = None

    @property
    def held(self) -> bool:
        return self._held_at is not None

    def now(self) -> float:
        with self._lock:
            return self._held_at if self._held_at is not None else time.monotonic() - self._lag

    def hold(self) -> None:
        with self._lock:
            if self._held_at is None:
                self._held_at = time.monotonic() - self._lag

    def resume(self) -> None:
        with self._lock:
            if self._held_at is not None:
                self._lag = time.monotonic() - self._held_at
                self._held_at = None

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._held_at is not None:
                self._held_at += seconds
            else:
                self._lag -= seconds


CLOCK = Clock()
