"""Serving the sandbox over real HTTP on loopback, and the ``Sandbox`` handle.

``with Sandbox() as sb:`` starts a server thread on a free port of
127.0.0.1; ``sb.base_url``, ``sb.account_sid`` and ``sb.auth_token`` say
where and who, and ``sb.client()`` is a connected ``twiliorm.Client``. The
server speaks HTTP/1.1 with keep-alive, one thread per connection, and logs
one line per request (method, path, status, time; never credentials or
bodies).
"""

from __future__ import annotations

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .app import App, LoggedRequest, Reply, Settings
from .clock import Clock
from .store import Store

__all__ = ["Sandbox"]

logger = logging.getLogger("twiliorm.sandbox")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: App, latency: float) -> None:
        super().__init__(address, _Handler)
        self.app = app
        self.latency = latency


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "twiliorm-sandbox"
    sys_version = ""

    def _serve(self) -> None:
        started = time.perf_counter()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        if self.server.latency:
            time.sleep(self.server.latency)
        headers = dict(self.headers.items())
        reply = self.server.app.handle(self.command, self.path, headers, body)
        self._write(reply)
        elapsed = (time.perf_counter() - started) * 1000
        logger.info("%s %s %d %.1fms", self.command, self.path.split("?")[0], reply.status, elapsed)

    def _write(self, reply: Reply) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request is logged by _serve, without the query string


class Sandbox:
    """A local Twilio-compatible API on 127.0.0.1 (see the module docstring)."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        db: str | None = None,
        latency_ms: float = 0.0,
        account_sid: str | None = None,
        auth_token: str | None = None,
        clock: Clock | None = None,
        settings: Settings | None = None,
        seed: int = 0,
    ) -> None:
        self.host = host
        self.port = port
        self.db = db
        self.latency_ms = latency_ms
        self.clock = clock or Clock()
        self.store = Store(db)
        self.app = App(
            self.store,
            clock=self.clock,
            settings=settings,
            account_sid=account_sid,
            auth_token=auth_token,
        )
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

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

    def seed(self, messages: int, calls: int | None = None) -> None:
        """Store ``messages`` messages and ``calls`` calls (default: as many) for the account."""
        from .seed import seed_calls, seed_messages

        seed_messages(self.app, messages)
        seed_calls(self.app, messages if calls is None else calls)

    def client(self, **options: Any) -> Any:
        """A ``twiliorm.Client`` connected to this sandbox."""
        from ..client import Client

        return Client(self.account_sid, self.auth_token, base_url=self.base_url, **options)

    def __repr__(self) -> str:
        where = self.base_url if self._server else "not running"
        return f"<Sandbox {where} account_sid={self.account_sid!r}>"

    # --- running -----------------------------------------------------------------------

    def start(self) -> Sandbox:
        self._server = _Server((self.host, self.port), self.app, self.latency_ms / 1000)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="twiliorm-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the ``twiliorm sandbox`` command)."""
        self._server = _Server((self.host, self.port), self.app, self.latency_ms / 1000)
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()
            self.store.close()

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C interrupts)."""
        while self._thread is not None and self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.store.close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
