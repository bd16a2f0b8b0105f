"""Serving the sandbox over real HTTP on loopback: connections, limits, faults, the log line.

The server (:class:`Server`, run by :class:`~twiliorm.sandbox.embedded.Sandbox`)
speaks HTTP/1.1 with keep-alive, one thread per connection, and hands each
request to :meth:`App.handle <twiliorm.sandbox.app.App.handle>` unless an
injected fault (:mod:`twiliorm.sandbox.faults`) or a limit answers it first:
``concurrency_limit`` answers 429 with code 20429 to requests beyond K in
flight for one account, as Twilio does, and ``latency_ms`` delays every
answer. Every answer carries ``Twilio-Request-Id`` and
``Twilio-Concurrent-Requests``. Stopping closes every connection, keep-alive
ones too.

Slow clients cannot hold a server thread forever: a connection waiting for
its next request is closed after ``idle_timeout`` seconds; from a request's
first byte its head (request line and headers) must arrive within
``request_timeout`` seconds, and its body within as many again, else the
connection is closed (with a 408 once the request line is in); an answer the
client does not read is given up after as long. At most ``max_connections``
connections are served at once (one thread each); one more is answered 503
(20503) and closed. An HTTP/0.9 request line (``GET /`` with no version)
answers 400 at once rather than waiting for headers that never come.

Each request is logged on one line (logger ``twiliorm.sandbox``): method,
path, status, time, request id, the *names* of the query params and the
fault injected; never credentials, bodies or query values. A malformed
request gets Twilio's error body like any other; the server never sends a
traceback.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import json
import logging
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .app import Reply, allow_header, param_names
from .errors import ApiError
from .faults import Fault

if TYPE_CHECKING:
    from .embedded import Sandbox

__all__ = ["IDLE_TIMEOUT", "MAX_CONNECTIONS", "REQUEST_TIMEOUT", "Gate", "Server", "check_limits"]

logger = logging.getLogger("twiliorm.sandbox")

MAX_BODY = 16 * 1024 * 1024
#: seconds a request's head may take from its first byte (and its body as long again)
REQUEST_TIMEOUT = 30.0
#: seconds a keep-alive connection may wait for its next request
IDLE_TIMEOUT = 60.0
#: connections served at once, a thread each; one more is answered 503
MAX_CONNECTIONS = 256
#: a Content-Length, a chunk size: ASCII digits only (``str.isdigit`` takes "²" too)
_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(rb"[0-9A-Fa-f]+")
_ACCOUNT_IN_PATH = re.compile(r"/Accounts/(AC[0-9a-fA-F]{32})")
_NOT_PROCESSED = {
    "500": (20500, "Internal Server Error"),
    "502": (20502, "Bad Gateway"),
    "503": (20503, "Service Unavailable"),
    "504": (20504, "Gateway Timeout"),
}
_HTTP_CODES = {400: 20001, 404: 20404, 405: 20004, 408: 20001, 413: 20001, 414: 20001, 431: 20001}
_GARBAGE = b"<html><body><h1>502 Bad Gateway</h1></body></html>\n\x00\xff not json"


class Gate:
    """Requests in flight per account, refused above a limit (Twilio's concurrency cap)."""

    def __init__(self, limit: int | None) -> None:
        if limit is not None and limit < 1:
            raise ValueError(f"concurrency_limit must be at least 1, got {limit}")
        self.limit = limit
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def enter(self, account: str) -> Iterator[tuple[bool, int]]:
        """(admitted, requests in flight for ``account`` counting this one)."""
        with self._lock:
            inflight = self._counts.get(account, 0) + 1
            admitted = self.limit is None or inflight <= self.limit
            if admitted:
                self._counts[account] = inflight
        try:
            yield admitted, inflight
        finally:
            if admitted:
                with self._lock:
                    left = self._counts[account] - 1
                    if left:
                        self._counts[account] = left
                    else:
                        del self._counts[account]


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Deadline(io.RawIOBase):
    """A connection's reading side against a deadline: each read waits only for the time left.

    A timeout per read alone lets a client that sends a byte a second hold its thread for
    ever; a deadline for the whole head (or body) does not. Reads past it raise TimeoutError.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._deadline = time.monotonic()
        self._from_first_byte: float | None = None

    def readable(self) -> bool:
        return True

    def expect(self, seconds: float, then: float | None = None) -> None:
        """Allow ``seconds`` from now; with ``then``, allow ``then`` from the first byte read."""
        self._deadline = time.monotonic() + seconds
        self._from_first_byte = then

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the client sent too slowly")
        self._sock.settimeout(left)
        count = self._sock.recv_into(buffer)
        if count and self._from_first_byte is not None:
            self.expect(self._from_first_byte)
        return count


class Server(ThreadingHTTPServer):
    """One thread per connection; the connections are tracked, so stopping closes them all."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        super().__init__(address, _Handler)
        self.sandbox = sandbox
        self.connections: set[socket.socket] = set()
        self.closing = False
        self._idle = threading.Condition()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._idle:
            if self.closing:
                self.shutdown_request(request)
                return
            full = len(self.connections) >= self.sandbox.max_connections
            if not full:
                self.connections.add(request)
        if full:
            self._refuse(request)
            return
        super().process_request(request, client_address)

    def _refuse(self, request: socket.socket) -> None:
        """One connection too many: 503 (20503) and close, without a thread for it."""
        with contextlib.suppress(OSError):
            request.settimeout(1.0)
            request.sendall(_BUSY)
        self.shutdown_request(request)

    def shutdown_request(self, request: Any) -> None:
        with self._idle:  # its place is free before the client sees it closed
            self.connections.discard(request)
            self._idle.notify_all()
        super().shutdown_request(request)

    def close_connections(self, timeout: float) -> None:
        """Refuse new connections, end the open ones (a keep-alive one waiting for its next
        request too) and wait up to ``timeout`` seconds for their threads to finish."""
        with self._idle:
            self.closing = True
            for connection in self.connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._idle.wait_for(lambda: not self.connections, timeout)

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("connection from %s ended with an error", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server
    server_version = "twiliorm-sandbox"
    sys_version = ""
    # Headers and body go out in two writes; with Nagle on, the body waits for the client's
    # delayed ACK of the headers (about 40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True
    reader: _Deadline
    raw_requestline: bytes  # set by the base class before parse_request

    def setup(self) -> None:
        super().setup()
        self.rfile.close()  # the socket's own reader: replaced by one with deadlines
        self.reader = _Deadline(self.connection)
        self.rfile = io.BufferedReader(self.reader)

    def handle_one_request(self) -> None:
        sandbox = self.server.sandbox
        # Idle until a request begins; from its first byte, its head has request_timeout.
        self.reader.expect(sandbox.idle_timeout, then=sandbox.request_timeout)
        super().handle_one_request()  # a timed-out wait for a request line closes quietly

    def parse_request(self) -> bool:
        if len(self.raw_requestline.split()) == 2:
            # HTTP/0.9 ("GET /", no version) has no headers: the base would wait for some.
            self.command, self.request_version = "", "HTTP/1.1"
            self.requestline = self.raw_requestline.decode("latin-1").rstrip("\r\n")
            self.send_error(400, "HTTP/0.9 is not supported: send HTTP/1.1 requests")
            return False
        try:
            return bool(super().parse_request())
        except TimeoutError:
            timeout = self.server.sandbox.request_timeout
            self.send_error(408, f"Request headers not received within {timeout:g} seconds")
            return False

    def _serve(self) -> None:
        started = time.perf_counter()
        sandbox = self.server.sandbox
        try:
            self.reader.expect(sandbox.request_timeout)
            body = self._read_body()
        except _BadRequest as exc:
            self.close_connection = True
            error = ApiError(exc.status, _HTTP_CODES.get(exc.status, 20001), exc.message)
            reply = sandbox.app.refuse(self.command, self.path, error, None)
            self._finish(reply, None, 0, started)
            return
        fault = sandbox.faults.draw(self.command) if sandbox.faults is not None else None
        with sandbox.gate.enter(_account_of(self.path, self.headers)) as (admitted, inflight):
            if not admitted:
                reply = sandbox.app.refuse(self.command, self.path, _too_many(), None)
                self._finish(reply, None, inflight, started)
                return
            if sandbox.latency_ms:
                time.sleep(sandbox.latency_ms / 1000)
            answer = self._answer(fault, body)
            self._finish(answer, fault, inflight, started)

    def _answer(self, fault: Fault | None, body: bytes) -> Reply | None:
        app = self.server.sandbox.app
        kind = fault.kind if fault else None
        label = fault.label if fault else None
        if kind == "429":
            assert fault is not None
            error = _too_many(fault.retry_after)
            return app.refuse(self.command, self.path, error, label)
        if kind in _NOT_PROCESSED:
            code, message = _NOT_PROCESSED[kind]
            return app.refuse(self.command, self.path, ApiError(int(kind), code, message), label)
        if kind == "garbage":
            app.log_unprocessed(self.command, self.path, 200, label)
            return Reply(200, {"Content-Type": "application/json"}, _GARBAGE)
        if kind == "reset":
            app.log_unprocessed(self.command, self.path, 0, label)
            return None
        headers = dict(self.headers.items())
        return app.handle(self.command, self.path, headers, body, fault=label)

    def _finish(
        self, reply: Reply | None, fault: Fault | None, inflight: int, started: float
    ) -> None:
        kind = fault.kind if fault else None
        self._log(reply, fault, started)  # before answering: a client never outruns its line
        self._writing()
        if reply is None or kind == "lost":
            self._drop(reset=kind == "reset")
        else:
            self._write(reply, inflight, kind, fault)

    def _write(self, reply: Reply, inflight: int, kind: str | None, fault: Fault | None) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Twilio-Concurrent-Requests", str(inflight))
        self.send_header("Content-Length", str(len(reply.body)))
        if self.close_connection or kind == "truncate":
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if kind == "truncate":
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.wfile.flush()
            self._drop(reset=False)
        elif kind == "slow" and fault is not None:
            self._trickle(reply.body, fault.seconds)
        else:
            self.wfile.write(reply.body)

    def _trickle(self, body: bytes, seconds: float) -> None:
        pieces = max(1, min(10, len(body)))
        size = -(-len(body) // pieces)
        for start in range(0, len(body), size):
            self.wfile.write(body[start : start + size])
            self.wfile.flush()
            time.sleep(seconds / pieces)

    def _drop(self, *, reset: bool) -> None:
        """Close the connection without (the rest of) an answer; ``reset`` sends a TCP RST."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            if reset:
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
            self.connection.close()

    def _writing(self) -> None:
        """An answer the client does not read is given up after request_timeout seconds."""
        with contextlib.suppress(OSError):
            self.connection.settimeout(self.server.sandbox.request_timeout)

    def _read_body(self) -> bytes:
        try:
            return self._read_body_in_time()
        except TimeoutError:
            timeout = self.server.sandbox.request_timeout
            message = f"Request body not received within {timeout:g} seconds"
            raise _BadRequest(408, message) from None

    def _read_body_in_time(self) -> bytes:
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            return self._read_chunked()
        text = self.headers.get("Content-Length")
        if text is None:
            return b""
        if not _DIGITS.fullmatch(text.strip()):
            raise _BadRequest(
                400, f"Malformed Content-Length header {text!r}: give the body's size in bytes"
            )
        length = int(text)
        if length > MAX_BODY:
            raise _BadRequest(413, f"Request body of {length} bytes is over {MAX_BODY} bytes")
        return self._read_exactly(length, "Request body shorter than its Content-Length")

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024).split(b";")[0].strip()
            if not _HEX.fullmatch(line):
                raise _BadRequest(
                    400, f"Malformed chunk size {line[:20]!r}: give each chunk's size in hex"
                )
            size = int(line, 16)
            total += size
            if total > MAX_BODY:
                raise _BadRequest(413, f"Request body is over {MAX_BODY} bytes")
            if size == 0:
                while self.rfile.readline(1024).strip():
                    pass  # trailers
                return b"".join(parts)
            parts.append(self._read_exactly(size, "Chunk shorter than its size"))
            self.rfile.readline(8)

    def _read_exactly(self, length: int, complaint: str) -> bytes:
        data = self.rfile.read(length)
        if len(data) < length:
            raise _BadRequest(400, complaint)
        return data

    def _log(self, reply: Reply | None, fault: Fault | None, started: float) -> None:
        if not logger.isEnabledFor(logging.INFO):
            return
        path, _, query = self.path.partition("?")
        names = ",".join(param_names(query))
        rid = reply.headers.get("Twilio-Request-Id", "-") if reply else "-"
        logger.info(
            "%s %s %s %.1fms rid=%s params=%s fault=%s",
            self.command,
            path,
            reply.status if reply else "dropped",
            (time.perf_counter() - started) * 1000,
            rid,
            names or "-",
            fault.label if fault else "-",
        )

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_OPTIONS = _serve

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Malformed HTTP (bad request line, unknown method): Twilio's error body, then close."""
        status = 405 if code == 501 else code
        if self.request_version == "HTTP/0.9":
            self.request_version = "HTTP/1.1"  # unparsed: answer with a status line and headers
        error = ApiError(
            status,
            _HTTP_CODES.get(status, 20001),
            message or self.responses.get(status, ("Bad Request",))[0],
        )
        body = json.dumps(error.body()).encode()
        self.close_connection = True
        self._writing()
        with contextlib.suppress(OSError):
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if status == 405:
                self.send_header("Allow", self._allowed())
            self.send_header("Connection", "close")
            self.end_headers()
            if getattr(self, "command", "") != "HEAD":
                self.wfile.write(body)

    def _allowed(self) -> str:
        """The methods the request's path takes (every method the API has, if it is unknown)."""
        path = getattr(self, "path", "").partition("?")[0]
        found = self.server.sandbox.app.router.match("", path).allowed
        return allow_header(found or ("GET", "POST", "DELETE"))

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request is logged by _log, without credentials or query values


def _busy() -> bytes:
    body = json.dumps(ApiError(503, 20503, "Service Unavailable: too many connections").body())
    head = (
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return (head + body).encode()


_BUSY = _busy()


def _too_many(retry_after: str | None = None) -> ApiError:
    headers = {"Retry-After": retry_after} if retry_after else {}
    return ApiError(429, 20429, "Too Many Requests", headers)


def _account_of(path: str, headers: Any) -> str:
    """The account a request is for: the one in its path, else the one it authenticates as."""
    found = _ACCOUNT_IN_PATH.search(path)
    if found:
        return found.group(1)
    value = headers.get("Authorization") or ""
    try:
        return base64.b64decode(value[6:], validate=True).decode().partition(":")[0]
    except (binascii.Error, UnicodeDecodeError):
        return ""


def check_limits(request_timeout: float, idle_timeout: float, max_connections: int) -> None:
    """ValueError for limits that would serve no one."""
    for name, value in (("request_timeout", request_timeout), ("idle_timeout", idle_timeout)):
        if not value > 0:
            raise ValueError(f"{name} must be more than 0 seconds, got {value}")
    if max_connections < 1:
        raise ValueError(f"max_connections must be at least 1, got {max_connections}")
