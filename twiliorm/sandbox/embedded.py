"""The ``Sandbox``: a local Twilio-compatible API started by a program or a test.

``with Sandbox() as sb:`` starts a server thread on a free port of
127.0.0.1 (:mod:`twiliorm.sandbox.server`); ``sb.base_url``,
``sb.account_sid`` and ``sb.auth_token`` say where and who, and
``sb.client()`` is a connected ``twiliorm.Client``. ``stop()`` closes every
connection, then the store, and a stopped sandbox stays stopped (start a new
one on the same ``db`` to carry on).

Operation options (the same as ``twiliorm sandbox``'s): ``db`` keeps every
record, credential and setting in an SQLite file across restarts;
``records`` stores N messages and N calls at start (once per database,
:mod:`twiliorm.sandbox.populate`; ``sb.populate(messages, calls)`` adds more
later); ``latency_ms`` delays every answer; ``faults`` and ``fault_seed``
(the random seed of the faults drawn) inject faults
(:mod:`twiliorm.sandbox.faults`); ``concurrency_limit`` answers 429 with code
20429 to requests beyond K in flight for one account; ``log_size`` bounds the
request log; ``request_timeout``, ``idle_timeout`` and ``max_connections``
bound what slow clients hold.

``seed=`` and ``sb.seed()`` are the former names of ``records=`` and
``sb.populate()``: they still work, with a ``DeprecationWarning``.
"""

from __future__ import annotations

import json
import logging
import threading
import warnings
from typing import Any

from ..client import Client
from .app import LOG_SIZE, App, LoggedRequest, Settings
from .callbacks import Delivery
from .clock import Clock
from .faults import Faults
from .populate import populate_calls, populate_messages
from .server import IDLE_TIMEOUT, MAX_CONNECTIONS, REQUEST_TIMEOUT, Gate, Server, check_limits
from .store import Store

__all__ = ["Sandbox"]

logger = logging.getLogger("twiliorm.sandbox")
#: the setting that says how many messages and calls a database was populated with (its
#: name is in users' --db files)
_POPULATED = "seeded"


class Sandbox:
    """A local Twilio-compatible API on 127.0.0.1 (see the module docstring).

    ``Sandbox(host, port, db, latency_ms, faults, fault_seed, concurrency_limit,
    records, clock, settings)``; ``account_sid`` and ``auth_token`` choose the main
    account's credentials (a ``db`` that has them already keeps its own);
    ``log_size`` bounds the request log (``sandbox.requests``, the oldest
    entries go first); ``request_timeout``, ``idle_timeout`` and
    ``max_connections`` bound what slow clients hold (see the module
    docstring). A sandbox runs once: ``stop()`` closes its connections
    and its store; to carry on, start a new one on the same ``db``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str | None = None,
        latency_ms: float = 0.0,
        faults: str | Faults | None = None,
        fault_seed: int | None = 0,
        concurrency_limit: int | None = None,
        records: int = 0,
        clock: Clock | None = None,
        settings: Settings | None = None,
        *,
        seed: int | None = None,
        account_sid: str | None = None,
        auth_token: str | None = None,
        log_size: int = LOG_SIZE,
        request_timeout: float = REQUEST_TIMEOUT,
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        if latency_ms < 0:
            raise ValueError(f"latency_ms cannot be negative, got {latency_ms}")
        check_limits(request_timeout, idle_timeout, max_connections)
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be from 0 (any free port) to 65535, got {port}")
        self.host = host
        self.port = port
        self.db = db
        self.latency_ms = latency_ms
        self.request_timeout = request_timeout
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.faults = Faults(faults, fault_seed) if isinstance(faults, str) and faults else None
        if isinstance(faults, Faults):
            self.faults = faults
        self.gate = Gate(concurrency_limit)
        self.clock = clock or Clock()
        self.store = Store(db)
        try:
            self.app = App(
                self.store,
                clock=self.clock,
                settings=settings,
                account_sid=account_sid,
                auth_token=auth_token,
                log_size=log_size,
            )
        except BaseException:
            self.store.close()
            raise
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._ticker: threading.Thread | None = None
        self._stopping = threading.Event()
        self._stopped = False
        records = _records(records, seed)
        if records:
            self.populate(records)

    # --- who and where --------------------------------------------------------------

    @property
    def account_sid(self) -> str:
        return self.app.account_sid

    @property
    def auth_token(self) -> str:
        return self.app.auth_token

    @property
    def test_account_sid(self) -> str:
        """Twilio-style test credentials: magic numbers apply and nothing is stored."""
        return self.app.test_account_sid

    @property
    def test_auth_token(self) -> str:
        return self.app.test_auth_token

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError(
                "the sandbox is not running: call start() or use it as a context manager"
            )
        return f"http://{self.host}:{self._server.server_address[1]}"

    @property
    def requests(self) -> list[LoggedRequest]:
        """The request log, oldest first (no credentials, no bodies)."""
        return list(self.app.requests)

    @property
    def callbacks(self) -> list[Delivery]:
        """Every status callback attempted so far, oldest first."""
        return list(self.app.callbacks.deliveries)

    def wait_for_callbacks(self, timeout: float = 10.0) -> bool:
        """Block until every status callback queued so far was attempted."""
        return self.app.callbacks.wait(timeout)

    def advance(self, seconds: float) -> None:
        """Move the sandbox clock forward and run what became due (lifecycles, callbacks)."""
        self.clock.advance(seconds)
        self.app.tick()

    def populate(self, messages: int, calls: int | None = None) -> None:
        """Have ``messages`` messages and ``calls`` calls (default: as many) in the account,
        made up (:mod:`twiliorm.sandbox.populate`).

        The counts are totals, not additions: with a ``db`` what was made is
        remembered, so starting again with the same ``records`` adds nothing.
        """
        calls = messages if calls is None else calls
        done = json.loads(self.store.setting(_POPULATED) or "[0, 0]")
        with self.store.transaction():  # with its mark, or a restart would make the same again
            if messages > done[0]:
                populate_messages(self.app, messages - done[0], seed=1 + done[0])
            if calls > done[1]:
                populate_calls(self.app, calls - done[1], seed=2 + done[1])
            done = [max(messages, done[0]), max(calls, done[1])]
            self.store.set_setting(_POPULATED, json.dumps(done))

    def reset(self) -> None:
        """Empty the sandbox as a new one is, keeping its credentials, settings, clock and
        faults: records, subaccounts, API keys, scheduled events and the request and
        callback logs go (a sandbox shared by tests, emptied before each;
        :meth:`App.reset <twiliorm.sandbox.app.App.reset>`). ``populate()`` counts from
        none again."""
        self.app.reset()
        self.store.set_setting(_POPULATED, "[0, 0]")

    def seed(self, messages: int, calls: int | None = None) -> None:
        """Deprecated: :meth:`populate`."""
        warnings.warn("Sandbox.seed() is now Sandbox.populate()", DeprecationWarning, stacklevel=2)
        self.populate(messages, calls)

    def client(self, **options: Any) -> Client:
        """A ``twiliorm.Client`` connected to this sandbox."""
        return Client(self.account_sid, self.auth_token, base_url=self.base_url, **options)

    def __repr__(self) -> str:
        where = self.base_url if self._server else "not running"
        return f"<Sandbox {where} account_sid={self.account_sid!r}>"

    # --- running -----------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Serve in background threads; OSError if the address cannot be listened on."""
        if self._stopped:
            raise RuntimeError(
                "this sandbox was stopped and its store closed; start a new Sandbox "
                "(on the same db=FILE to carry on with its records)"
            )
        if self._server is not None:
            raise RuntimeError(f"this sandbox is already running on {self.base_url}")
        try:
            self._server = Server((self.host, self.port), self)
        except OSError as exc:
            raise OSError(
                exc.errno, f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}"
            ) from exc
        self.app.base_url = self.base_url
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="twiliorm-sandbox", daemon=True
        )
        self._thread.start()
        self._stopping.clear()
        self._ticker = threading.Thread(
            target=self._tick, name="twiliorm-sandbox-clock", daemon=True
        )
        self._ticker.start()
        return self

    def _tick(self) -> None:
        """Run lifecycle events as they fall due, between requests too (callbacks need it)."""
        while not self._stopping.is_set():
            try:
                self.app.tick()
            except Exception:  # the clock keeps running whatever one event did
                logger.exception("sandbox clock tick failed")
            self.app.scheduler.sleep(0.5)

    def serve_forever(self) -> None:
        """Serve until interrupted (Ctrl-C), then stop cleanly."""
        self.start()
        try:
            self.wait()
        finally:
            self.stop()

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C interrupts)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        """Stop serving: close every connection (keep-alive ones too), then the store."""
        if self._stopped:
            return
        self._stopping.set()
        self.app.scheduler.wake()
        if self._server is not None:
            self._server.shutdown()
            self._server.close_connections(timeout=5)
            self._server.server_close()
            self._server = None
        for thread in (self._thread, self._ticker):
            if thread is not None:
                thread.join(timeout=5)
        self._thread = self._ticker = None
        self.app.callbacks.close()
        with self.app.lock:
            self.store.close()
        self._stopped = True

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _records(records: int, seed: int | None) -> int:
    """The messages and calls to start with, from ``records`` or its former name ``seed``."""
    if seed is None:
        return records
    # stacklevel: the caller of Sandbox(), past __init__
    warnings.warn("Sandbox(seed=N) is now Sandbox(records=N)", DeprecationWarning, stacklevel=3)
    return records or seed
