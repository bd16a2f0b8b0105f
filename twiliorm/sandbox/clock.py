"""The sandbox's clock and the events scheduled on it.

Lifecycles (a message going queued -> sending -> sent -> delivered, a call
ringing, being answered, completing) are events due at times on this clock,
kept in the store so they survive a restart (a new :class:`Scheduler` picks
up where the stored events say). With the default real-time
clock they happen as time passes (right away with the default delays of
:class:`~twiliorm.sandbox.app.Settings`); with ``Clock(frozen=True)`` time
only moves when a test calls ``advance(seconds)`` (or ``Sandbox.advance``),
so every intermediate state can be observed.

While an event runs, "now" is the time it was due, not the time it happened
to be run: a message delivered two seconds after it was sent says so even
when a test advanced a frozen clock by a minute in one step.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable

from .store import Event, Store

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
        self._listeners: list[Callable[[], None]] = []

    def timestamp(self) -> float:
        """Seconds since the epoch, on this clock."""
        with self._lock:
            elapsed = (
                self._offset if self.frozen else time.monotonic() - self._origin + self._offset
            )
        return self._start.timestamp() + elapsed

    def now(self) -> dt.datetime:
        """Now, in whole seconds (Twilio's dates have no fractions)."""
        return at_second(self.timestamp())

    def advance(self, seconds: float) -> None:
        """Move time forward (frozen or not); events now due run on the next tick or request."""
        if seconds < 0:
            raise ValueError(f"the sandbox clock only moves forward, not by {seconds} seconds")
        with self._lock:
            self._offset += seconds
        for listener in list(self._listeners):
            listener()

    def subscribe(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever the clock is advanced by hand."""
        self._listeners.append(listener)


def at_second(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(math.floor(timestamp), UTC)


class Scheduler:
    """Events due at clock times, stored; run in order by :meth:`run_due`."""

    def __init__(self, clock: Clock, store: Store) -> None:
        self.clock = clock
        self.store = store
        self._next = store.next_due() or math.inf
        self._lock = threading.RLock()
        self._wake = threading.Event()
        self._acting = threading.local()
        clock.subscribe(self._wake.set)

    def now(self) -> float:
        """The time an event being run was due, else the clock's time."""
        acting: float | None = getattr(self._acting, "time", None)
        return self.clock.timestamp() if acting is None else acting

    def at(self, delay: float, event: Event) -> None:
        """Run ``event`` once ``delay`` seconds of clock time have passed (from now)."""
        due = self.now() + max(0.0, delay)
        with self._lock:
            self.store.add_event(due, event)
            self._next = min(self._next, due)
        self._wake.set()

    def due(self) -> bool:
        return self._next <= self.clock.timestamp()

    def run_due(self, dispatch: Callable[[Event], None]) -> int:
        """Run every event that is due, earliest first; return how many ran."""
        if not self.due():
            return 0
        ran = 0
        with self._lock:
            now = self.clock.timestamp()
            while self._run_one(now, dispatch):
                ran += 1
            following = self.store.next_due()
            self._next = math.inf if following is None else following
        return ran

    def _run_one(self, now: float, dispatch: Callable[[Event], None]) -> bool:
        """Pop the earliest event due at ``now`` and run it, in one transaction: a crash
        leaves the event pending with its record unchanged, or the change made with the
        event gone and what follows it scheduled, never one without the other."""
        with self.store.transaction():
            popped = self.store.pop_due(now)
            if popped is None:
                return False
            self._acting.time = popped[0]
            try:
                dispatch(popped[1])
            finally:
                self._acting.time = None
        return True

    def pending(self) -> int:
        return self.store.pending_events()

    def wake(self) -> None:
        """Cut a :meth:`sleep` short."""
        self._wake.set()

    def sleep(self, longest: float) -> None:
        """Wait until an event may be due, one is scheduled, or the clock is advanced."""
        self._wake.clear()
        if self.due():
            return
        delay = longest
        if not self.clock.frozen:
            delay = min(longest, max(0.0, self._next - self.clock.timestamp()))
        self._wake.wait(delay)
