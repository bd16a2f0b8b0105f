"""Shared fixtures: a fresh sandbox over real HTTP on loopback, and a client for it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

import twiliorm
from twiliorm.client import set_default_client
from twiliorm.sandbox import Sandbox


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """A new sandbox per test: empty state, its own port and credentials."""
    with Sandbox() as sb:
        yield sb


@pytest.fixture
def client(sandbox: Sandbox) -> Iterator[twiliorm.Client]:
    """A client for the sandbox, also made the default client for the test."""
    client = sandbox.client()
    set_default_client(client)
    try:
        yield client
    finally:
        set_default_client(None)
        client.close()


@pytest.fixture(autouse=True)
def _no_default_client_leaks() -> Iterator[None]:
    yield
    set_default_client(None)


@pytest.fixture(autouse=True)
def _no_auth_token_in_logs_or_files(
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[None]:
    """Every test is also a leak check: the auth token of any sandbox it starts must not be in
    a log record (twiliorm's request log at DEBUG, the sandbox's at INFO) or a file the test
    wrote in its tmp_path (the sandbox's own database aside). See tests/test_secrets.py."""
    tokens: list[str] = []
    start = Sandbox.start

    def start_and_remember(sb: Sandbox) -> Sandbox:
        tokens.append(sb.auth_token)
        return start(sb)

    monkeypatch.setattr(Sandbox, "start", start_and_remember)
    caplog.set_level(logging.INFO, logger="twiliorm.sandbox")
    caplog.set_level(logging.DEBUG, logger="twiliorm.http")  # last: it sets the handler's level
    yield
    records = caplog.get_records("setup") + caplog.get_records("call")
    logged = "\n".join(logging.Formatter().format(r) for r in records)
    tmp = request.node.funcargs.get("tmp_path")
    written = [p.read_bytes() for p in tmp.rglob("*") if _written_file(p)] if tmp else []
    for token in tokens:
        assert token not in logged, "an auth token reached a log record"
        assert not any(token.encode() in data for data in written), "an auth token was written"


def _written_file(path: Path) -> bool:
    # A sandbox's store (SQLite, with its journal files) holds its credentials by design.
    if not path.is_file() or path.name.endswith(("-wal", "-shm", "-journal")):
        return False
    with path.open("rb") as f:
        return f.read(16) != b"SQLite format 3\x00"


def sent(sandbox: Sandbox, method: str | None = None) -> list[twiliorm.sandbox.app.LoggedRequest]:
    """The requests the sandbox received (optionally of one method)."""
    return [r for r in sandbox.requests if method is None or r.method == method]
