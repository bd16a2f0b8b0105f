"""A loopback HTTP server answering Twilio's Message routes with pre-rendered bytes.

It serves, for each account it holds: list pages (``PageSize`` as the client
asks, capped at 1000 as Twilio does, 50 when absent; ``next_page_uri`` with
``Page`` and ``PageToken``), instance GETs by SID, and creates (POST, 201, one
of a few pre-rendered ``queued`` answers in turn). Connections are kept alive
and use TCP_NODELAY, so the clients' figures carry no Nagle or delayed-ACK
stalls; requests are read by hand, cheaply, so the server takes as little of
the machine as it can. ``latency`` adds a fixed sleep to every request.

The server counts what it receives (method, route, PageSize) so the
orchestrator can report requests per run; it records pages it had to render
while serving, which should stay zero during timed runs.
"""

from __future__ import annotations

import base64
import random
import socket
import socketserver
import threading
import time
import urllib.parse
from collections import Counter

from .data import API, DEFAULT_PAGE_SIZE, PAGE_SIZE_MAX, Listing, dumps, queued

_REASONS = {200: "OK", 201: "Created", 401: "Unauthorized", 404: "Not Found"}


def basic_auth(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def _error(status: int, code: int, message: str) -> bytes:
    more = f"https://www.twilio.com/docs/errors/{code}"
    return dumps({"code": code, "message": message, "more_info": more, "status": status})


class _Handler(socketserver.StreamRequestHandler):
    """HTTP/1.1 keep-alive, read by hand: the stdlib's header parsing costs more than
    the answers (the server shares the machine with the client being measured)."""

    server: PageServer

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        while True:
            line = self.rfile.readline(65537)
            if not line:
                return
            method, target, _ = line.decode("latin-1").split(" ", 2)
            headers = self._headers()
            length = int(headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            self.server.answer(self, method, target, headers.get("authorization", ""), body)

    def _headers(self) -> dict[str, str]:
        headers = {}
        while (line := self.rfile.readline(65537)) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return headers

    def reply(self, status: int, body: bytes) -> None:
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
            "Content-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.connection.sendall(head.encode())  # TCP_NODELAY: two writes, no stall
        self.connection.sendall(body)


class PageServer(socketserver.ThreadingTCPServer):
    """Serve ``listings`` (one per account) on 127.0.0.1; see the module docstring."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, listings: list[Listing], token: str, latency: float = 0.0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.latency = latency
        self.listings = {x.account: x for x in listings}
        self.auth = {basic_auth(x.account, token): x.account for x in listings}
        rng = random.Random(7)
        self.created = {
            x.account: [dumps(queued(x.account, rng)) for _ in range(16)] for x in listings
        }
        self.counts: Counter[str] = Counter()
        self.page_sizes: Counter[str] = Counter()
        self.late_renders = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> PageServer:
        self._thread = threading.Thread(target=self.serve_forever, name="bench-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def take_counts(self) -> tuple[Counter[str], Counter[str]]:
        """What was received since the last call (and forget it)."""
        with self._lock:
            counts, sizes = self.counts, self.page_sizes
            self.counts, self.page_sizes = Counter(), Counter()
        return counts, sizes

    # --- answering -----------------------------------------------------------------

    def answer(self, handler: _Handler, method: str, target: str, auth: str, form: bytes) -> None:
        if self.latency:
            time.sleep(self.latency)
        account = self.auth.get(auth)
        if account is None:
            self._count(method, "unauthorized", None)
            return handler.reply(401, _error(401, 20003, "Authenticate"))
        status, body = self._route(account, method, target, form)
        handler.reply(status, body)

    def _route(self, account: str, method: str, target: str, form: bytes) -> tuple[int, bytes]:
        path, _, query = target.partition("?")
        listing = self.listings[account]
        if path == listing.path and method == "GET":
            return 200, self._page(listing, urllib.parse.parse_qs(query))
        if path == listing.path and method == "POST":
            self._count(method, "create", None)
            answers = self.created[account]
            return 201, answers[len(form) % len(answers)]
        prefix = f"{API}/Accounts/{account}/Messages/"
        if method == "GET" and path.startswith(prefix) and path.endswith(".json"):
            self._count(method, "fetch", None)
            found = listing.by_sid.get(path[len(prefix) : -len(".json")])
            if found is not None:
                return 200, found
        self._count(method, "unknown", None)
        return 404, _error(404, 20404, f"The requested resource {path} was not found")

    def _page(self, listing: Listing, query: dict[str, list[str]]) -> bytes:
        asked = query.get("PageSize", [None])[0]
        size = min(int(asked), PAGE_SIZE_MAX) if asked else DEFAULT_PAGE_SIZE
        number = int(query.get("Page", ["0"])[0])
        self._count("GET", "list", asked or "absent")
        if (size, number) not in listing.pages:
            with self._lock:
                self.late_renders += 1
        return listing.page(size, number)

    def _count(self, method: str, route: str, size: str | None) -> None:
        with self._lock:
            self.counts[f"{method} {route}"] += 1
            if size is not None:
                self.page_sizes[size] += 1
