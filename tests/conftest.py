"""Shared fixtures: a fresh sandbox over real HTTP on loopback, and a client for it.

Also, for every test: the leak check (no sandbox secret in a twiliorm log record or in a file
the test wrote) and the hypothesis profile (a property that finds a bug fails in seconds).
"""

from __future__ import annotations

import base64
import logging
import os
import weakref
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, settings

import twiliorm
from twiliorm.client import set_default_client
from twiliorm.sandbox import Sandbox
from twiliorm.sandbox.app import App
from twiliorm.sandbox.store import Credential, Store

# The query API's sandbox tests run twice, through the sync and the async driver.
from .async_driver import driver, pytest_generate_tests  # noqa: F401

# --- hypothesis: fail fast ---------------------------------------------------------------------
# No shrinking: a failing example is reported as found (with its reproduction blob), so a bug
# costs seconds, not the many minutes shrinking a sandbox-backed property can take. Examples are
# derived from each test's name (the same run every time: nothing flaky in CI) and nothing is
# read from or written to an example database. Tests' own @settings inherit these phases (they
# set only what they change); HYPOTHESIS_PROFILE=dev brings shrinking back for local debugging.
settings.register_profile(
    "ci",
    phases=(Phase.explicit, Phase.reuse, Phase.generate),
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],  # 2 shared cores: slowness is not a bug
)
settings.register_profile("dev", parent=settings.get_profile("ci"), phases=tuple(Phase))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# --- fixtures ----------------------------------------------------------------------------------


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


# --- every test is a leak check ------------------------------------------------------------------
# The secrets of every sandbox store alive during a test (open when it began, or opened while it
# ran: function-, class-, module- or session-scoped alike) must be in no record of any twiliorm
# logger, at any level, from the test's setup to the end of its teardown, nor in a file the test
# wrote in its tmp_path (a sandbox's own database aside). A store's secrets are its accounts'
# auth tokens, its test credentials and its API key secrets, raw and as Basic auth. Stores are
# watched from their creation, whoever makes them, by wrapping Store and App for the session.
# See tests/test_secrets.py for the one workload that tries every way out.


class _Watched:
    """The secrets of one sandbox store (kept after it closes, for the test that closed it)."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self.closed = False

    def add(self, username: str, secret: str) -> None:
        if len(secret) >= 8:  # a shorter one (a test's own) would match unrelated text
            basic = base64.b64encode(f"{username}:{secret}".encode()).decode()
            self.secrets.update((secret, basic))


class _LeakCheck(logging.Handler):
    """Holds every twiliorm record of the current test and the stores the test can see."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.stores: weakref.WeakKeyDictionary[Store, _Watched] = weakref.WeakKeyDictionary()
        self.records: list[logging.LogRecord] = []
        self.window: list[_Watched] = []  # the stores alive during the current test

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def watched(self, store: Store) -> _Watched:
        entry = self.stores.get(store)
        if entry is None:
            entry = self.stores[store] = _Watched()
            self.window.append(entry)
        return entry

    def begin(self) -> None:
        self.window = [w for w in self.stores.values() if not w.closed]

    def secrets(self) -> set[str]:
        return set().union(*(w.secrets for w in self.window))

    def install(self) -> None:
        add_credential, close, app_init = Store.add_credential, Store.close, App.__init__

        def add_and_watch(store: Store, credential: Credential) -> None:
            self.watched(store).add(credential.username, credential.secret)
            add_credential(store, credential)

        def close_and_forget(store: Store) -> None:
            self.watched(store).closed = True
            close(store)

        def init_and_watch(app: App, *args: Any, **kwargs: Any) -> None:
            app_init(app, *args, **kwargs)
            watched = self.watched(app.store)  # a store reopened keeps the secrets it had
            watched.add(app.account_sid, app.auth_token)
            watched.add(app.test_account_sid, app.test_auth_token)
            for username, secret in app.store.select("SELECT username, secret FROM credentials"):
                watched.add(username, secret)

        self.originals = (add_credential, close, app_init)
        _patch(add_and_watch, close_and_forget, init_and_watch)
        logger = logging.getLogger("twiliorm")
        self.old_level = logger.level
        logger.setLevel(logging.DEBUG)
        logger.addHandler(self)

    def uninstall(self) -> None:
        logger = logging.getLogger("twiliorm")
        logger.removeHandler(self)
        logger.setLevel(self.old_level)
        _patch(*self.originals)

    def check(self, tmp: Path | None) -> None:
        records, self.records = self.records, []  # what comes later is the next test's
        secrets = self.secrets()
        if not secrets:
            return
        logged = "\n".join(_formatted(r) for r in records)
        written = {p: p.read_bytes() for p in tmp.rglob("*") if _written_file(p)} if tmp else {}
        for secret in secrets:
            if secret in logged:
                where = next(r for r in records if secret in _formatted(r))
                pytest.fail(
                    f"a sandbox secret reached a log record: {where.name} {where.levelname} "
                    f"{where.msg!r} ({where.pathname}:{where.lineno})"
                )
            for path, data in written.items():
                assert secret.encode() not in data, f"a sandbox secret was written to {path}"


def _patch(add_credential: Any, close: Any, app_init: Any) -> None:
    Store.add_credential = add_credential  # type: ignore[method-assign]
    Store.close = close  # type: ignore[method-assign]
    App.__init__ = app_init  # type: ignore[method-assign]


_FORMAT = logging.Formatter()


def _formatted(record: logging.LogRecord) -> str:
    return _FORMAT.format(record)


def _written_file(path: Path) -> bool:
    # A sandbox's store (SQLite, with its journal files) holds its credentials by design.
    if not path.is_file() or path.name.endswith(("-wal", "-shm", "-journal")):
        return False
    with path.open("rb") as f:
        return f.read(16) != b"SQLite format 3\x00"


LEAKS = _LeakCheck()


#: proxy settings of the machine running the suite: its servers are all on loopback, and a
#: corporate HTTP_PROXY without 127.0.0.1 in NO_PROXY would carry their traffic away
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


def pytest_configure(config: pytest.Config) -> None:
    for name in PROXY_VARIABLES:  # tests/test_proxy.py sets its own where it needs them
        os.environ.pop(name, None)
        os.environ.pop(name.lower(), None)
    LEAKS.install()


def pytest_unconfigure(config: pytest.Config) -> None:
    LEAKS.uninstall()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    LEAKS.begin()  # before any fixture of the test, whatever its scope, is set up
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    result = yield  # every fixture the test needed no more is torn down: module ones too
    funcargs = getattr(item, "funcargs", None) or {}
    LEAKS.check(funcargs.get("tmp_path"))
    return result
