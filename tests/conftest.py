"""Shared fixtures: a fresh sandbox over real HTTP on loopback, and a client for it."""

from __future__ import annotations

from collections.abc import Iterator

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


def sent(sandbox: Sandbox, method: str | None = None) -> list[twiliorm.sandbox.app.LoggedRequest]:
    """The requests the sandbox received (optionally of one method)."""
    return [r for r in sandbox.requests if method is None or r.method == method]
