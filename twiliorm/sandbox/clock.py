"""The sandbox's clock and the events scheduled on it.

Lifecycles (a message going queued -> sending -> sent -> delivered, a call
ringing then completing) are events due at times on this clock. With the
default real-time clock they happen as time passes (by default right away);
with ``Clock(frozen=True)`` time only moves when a test calls
``advance(seconds)``, so every intermediate state can be observed.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import threading
import time
from collections.abc import Callable

__all__ = ["Clock", "Scheduler"]

UTC = dt.timezone.utc


class Clock:
    """Now, for the sandbox: real time plus an offset, or frozen and advanced by hand."""

    def __init__(self, *, frozen: bool = False, start: dt.datetime | None = None) -> None:
        self.frozen = frozen
        self._start = (start or dt.datetime.now(UTC)).astimezone(UTC)
        self._offset = 0.0
        self._origin = time.monotonic()
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            elapsed = (
                self._offset if self.frozen else time.monotonic() - self._origin + self._offset
            )
        return (self._start + dt.timedelta(seconds=elapsed)).replace(microsecond=0)

    def timestamp(self) -> float:
        return self.now().timestamp()

    def advance(self, seconds: float) -> None:
        """Move time forward (frozen or not); due events run on the next request."""
        with self._lock:
            self._offset += seconds


class Scheduler:
    """Events due at clock times; run in order, before each request is answered."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._lock = threading.RLock()

    def at(self, delay: float, action: Callable[[], None]) -> None:
        """Run ``action`` once ``delay`` seconds of clock time have passed."""
        due = self.clock.timestamp() + delay
        with self._lock:
            heapq.heappush(self._events, (due, next(self._counter), action))

    def run_due(self) -> int:
        """Run every event that is due; return how many ran."""
        ran = 0
        now = self.clock.timestamp()
        while True:
            with self._lock:
                if not self._events or self._events[0][0] > now:
                    return ran
                _, _, action = heapq.heappop(self._events)
                action()
            ran += 1

    def pending(self) -> int:
        with self._lock:
            return len(self._events)
