"""The sandbox's server and command at their edges: stopping, starting, bodies on the wire,
start-up errors, the request log.

A stopped sandbox closes every connection (keep-alive ones too) and cannot
be started again (a clear RuntimeError); a body's size is ASCII digits (a
chunk's, hex digits) or the request gets Twilio's 400; ``twiliorm sandbox``
says in one line why it cannot start and exits 2; the request log is
bounded and keeps the names of query parameters, never their values.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from twiliorm.sandbox import Sandbox
from twiliorm.sandbox.store import Store

from .test_sandbox_errors import _send
from .test_sandbox_operation import _command
from .test_sandbox_support import Raw


def _connect(sandbox: Sandbox) -> socket.socket:
    host, port = sandbox.base_url.split("//")[1].split(":")
    return socket.create_connection((host, int(port)), timeout=10)


def _get(raw: Raw, path: str) -> bytes:
    auth = raw.headers["authorization"]
    return f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n\r\n".encode()


def _answer(conn: socket.socket) -> bytes:
    """One whole answer (headers, then as many bytes as its Content-Length says)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += conn.recv(65536)
    return head


def test_stopping_closes_keep_alive_connections() -> None:
    sandbox = Sandbox().start()
    raw = Raw(sandbox)
    conn = _connect(sandbox)
    conn.sendall(_get(raw, f"{raw.a}/Messages.json"))
    assert _answer(conn).startswith(b"HTTP/1.1 200")  # kept alive for the next request
    sandbox.stop()
    conn.settimeout(10)
    assert conn.recv(65536) == b""  # closed by the server, not left waiting
    conn.close()
    raw.close()


def test_a_stopped_sandbox_cannot_be_started_again() -> None:
    sandbox = Sandbox()
    with sandbox:
        pass
    with pytest.raises(RuntimeError, match="start a new Sandbox"):
        sandbox.start()
    sandbox.stop()  # stopping twice is harmless
    with Sandbox() as running, pytest.raises(RuntimeError, match="already running"):
        running.start()


def test_a_database_without_its_main_credentials_says_so(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    with Sandbox(db=db) as sandbox:
        main = sandbox.account_sid
    store = Store(db)
    store.remove_credentials_of(main)  # as a closed main account could leave it once
    store.close()
    with pytest.raises(RuntimeError, match=f"names {main} as its main account"):
        Sandbox(db=db)


@pytest.fixture
def raw() -> Iterator[Raw]:
    with Sandbox() as sandbox:
        raw = Raw(sandbox)
        yield raw
        raw.close()


@pytest.mark.parametrize(
    ("head", "body", "status"),
    [
        ("Content-Length: \u00b2\r\n", b"ab", b"400"),  # a superscript two: isdigit() but no int
        ("Content-Length: \u00b9\r\n", b"a", b"400"),  # a superscript one
        ("Content-Length: -1\r\n", b"", b"400"),
        ("Transfer-Encoding: chunked\r\n", b"-1\r\nTo=%2B1", b"400"),
        ("Transfer-Encoding: chunked\r\n", b"+5\r\nhello\r\n0\r\n\r\n", b"400"),
        ("Transfer-Encoding: chunked\r\n", b"zz\r\n", b"400"),
        ("Transfer-Encoding: chunked\r\n", b"1000001\r\n", b"413"),
    ],
)
def test_body_sizes_are_digits_or_a_twilio_400(
    raw: Raw, head: str, body: bytes, status: bytes
) -> None:
    answer = _send(raw, f"POST {raw.a}/Messages.json HTTP/1.1\r\n{head}", body)
    assert answer.split(b" ", 2)[1] == status, answer[:200]
    assert b'"code": 20001' in answer
    assert raw("GET", f"{raw.a}/Messages.json").json()["messages"] == []


def test_a_short_chunk_is_a_400(raw: Raw) -> None:
    host = raw.base.split("//")[1]
    address, port = host.split(":")
    auth = raw.headers["authorization"]
    head = (
        f"POST {raw.a}/Messages.json HTTP/1.1\r\nHost: {host}\r\nAuthorization: {auth}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    with socket.create_connection((address, int(port)), timeout=10) as conn:
        conn.sendall(head.encode() + b"10\r\nTo=%2B1")
        conn.shutdown(socket.SHUT_WR)  # the chunk ends before its 16 bytes
        answer = conn.recv(65536)
    assert answer.startswith(b"HTTP/1.1 400")


def _serve(*options: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*_command(), "sandbox", "--quiet", *options], capture_output=True, text=True, timeout=60
    )


def test_start_up_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = str(taken.getsockname()[1])
    try:
        cases = [
            (("--port", port), "cannot listen on 127.0.0.1:" + port),
            (("--port", "70000"), "port must be from 0"),
            (("--port", "0", "--db", str(tmp_path / "no" / "such" / "dir.db")), "cannot use"),
            (("--port", "0", "--concurrency-limit", "0"), "concurrency_limit must be at least 1"),
        ]
        for options, message in cases:
            done = _serve(*options)
            lines = done.stderr.strip().splitlines()
            assert done.returncode == 2, (options, done.stderr)
            assert len(lines) == 1 and message in lines[0], (options, done.stderr)
            assert "Traceback" not in done.stderr
    finally:
        taken.close()


def test_the_request_log_is_bounded_and_keeps_no_query_values() -> None:
    with Sandbox(log_size=3) as sandbox:
        raw = Raw(sandbox)
        for n in range(5):
            raw("GET", f"{raw.a}/Messages.json?To=%2B1555867531{n}&PageSize={n + 1}")
        raw.close()
        log = sandbox.requests
    assert len(log) == 3
    assert [entry.params for entry in log] == [("To", "PageSize")] * 3
    assert "5558675314" not in repr(log)
    with pytest.raises(ValueError, match="log_size"):
        Sandbox(log_size=-1)
