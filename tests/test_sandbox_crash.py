"""Durability of a sandbox's ``--db`` file.

A process killed (SIGKILL) at the worst moment of a change leaves the change
whole or absent: a message with the events of its lifecycle, a lifecycle step
with its event gone, an account with its credentials, a number moved between
accounts; a write is answered only once committed. Under write load, kill -9
at random moments loses nothing acknowledged and strands nothing (a few
cycles here; ``python -m tests.bench.crash_loop --cycles N`` runs more). One
sandbox at a time per file, and the files are private (mode 0600).

The worst moments are reached by forking this process (the sandbox is
imported already, so it is quick), making one store method kill the child
when it is called, and reading the file the child left.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from twiliorm.sandbox import App, Clock, Sandbox, Settings
from twiliorm.sandbox.behaviours.calls import Calls
from twiliorm.sandbox.behaviours.messages import Messages
from twiliorm.sandbox.lifecycle import handlers_of
from twiliorm.sandbox.render import Reply
from twiliorm.sandbox.store import Store

from .bench import crash_loop

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="kills forked processes")

_SETTINGS = Settings(message_delays=(1, 1, 1), call_delays=(1, 1, 1))
_MESSAGE = {"To": "+15558675310", "From": "+15017122661", "Body": "durable"}


def _open(db: str) -> App:
    clock = Clock(frozen=True)
    clock.advance(60)  # past what an earlier process on the file scheduled
    return App(Store(db), clock=clock, settings=_SETTINGS)


def _post(app: App, path: str, form: dict[str, str]) -> Reply:
    """A form POST as the main account, straight to the app (no HTTP); ``path`` is under
    the account's path unless it is the accounts' list."""
    secret = base64.b64encode(f"{app.account_sid}:{app.auth_token}".encode()).decode()
    headers = {
        "Authorization": f"Basic {secret}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    target = "/2010-04-01" + (
        path if path == "/Accounts.json" else f"/Accounts/{app.account_sid}{path}"
    )
    return app.handle("POST", target, headers, urllib.parse.urlencode(form).encode())


def _always(*args: Any) -> bool:
    return True


def _killed_at(
    db: str, method: str, act: Callable[[App], object], when: Callable[..., bool] = _always
) -> None:
    """In a forked child: open the app on ``db``, make ``Store.<method>`` kill the child
    (SIGKILL, before it does anything) when ``when(*args)`` holds, then ``act(app)``."""
    _killed_in(method, lambda: act(_open(db)), when)


def _killed_in(method: str, act: Callable[[], object], when: Callable[..., bool]) -> None:
    """``act()`` in a forked child whose ``Store.<method>`` kills it when ``when(*args)``."""
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        try:
            signal.alarm(60)  # a lock some other thread held at the fork fails, not hangs
            original = getattr(Store, method)

            def deadly(self: Store, *args: Any) -> Any:
                if when(*args):
                    os.kill(os.getpid(), signal.SIGKILL)
                return original(self, *args)

            setattr(Store, method, deadly)
            act()
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, status


def _left(db: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with crash_loop.reading(db) as connection:
        assert crash_loop.half_done(connection) == []
        return connection.execute(sql, args).fetchall()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "sandbox.sqlite3")
    _open(path).store.close()
    return path


# --- 7. crash consistency -------------------------------------------------------------


def test_a_message_is_stored_with_its_lifecycle_or_not_at_all(db: str) -> None:
    _killed_at(db, "add_event", lambda app: _post(app, "/Messages.json", _MESSAGE))
    assert _left(db, "SELECT pk FROM records WHERE resource = 'Message'") == []


def test_a_lifecycle_step_and_its_event_commit_together(db: str) -> None:
    app = _open(db)
    sid = json.loads(_post(app, "/Messages.json", _MESSAGE).body)["sid"]
    app.clock.advance(2)
    app.tick()  # sending, then sent: delivered is the one event left
    app.store.close()

    def tick(app: App) -> None:
        app.clock.advance(60)
        app.tick()

    delivered = lambda record, body, idx: body.get("status") == "delivered"  # noqa: E731
    _killed_at(db, "update", tick, delivered)
    rows = _left(db, "SELECT json_extract(body, '$.status') FROM records WHERE pk = ?", sid)
    assert rows == [("sent",)]
    assert _left(db, "SELECT action FROM events WHERE pk = ?", sid) == [("end",)]


def test_pending_events_are_kept_by_names_every_sandbox_version_runs(db: str) -> None:
    """A file keeps each pending event by its action's name, so a newer sandbox on an
    older file carries on with its lifecycles: those names never change."""
    assert set(handlers_of(Messages)) == {"release", "step", "end"}
    assert set(handlers_of(Calls)) == {"ring", "answer", "finish", "end"}
    app = _open(db)
    sid = json.loads(_post(app, "/Messages.json", _MESSAGE).body)["sid"]
    pending = app.store.select("SELECT action, args FROM events WHERE pk = ? ORDER BY due", (sid,))
    app.store.close()
    assert [(action, json.loads(args)) for action, args in pending] == [
        ("step", {"status": "sending"}),
        ("step", {"status": "sent"}),
        ("end", {"status": "delivered"}),
    ]
    again = _open(db)
    again.clock.advance(5)
    assert again.tick() == 3
    message = again.store.get("Message", again.account_sid, "", sid)
    assert message is not None and message.body["status"] == "delivered"
    again.store.close()


def test_an_account_is_made_with_its_credentials_or_not_at_all(db: str) -> None:
    _killed_at(db, "add_credential", lambda app: _post(app, "/Accounts.json", {}))
    assert len(_left(db, "SELECT pk FROM records WHERE resource = 'Account'")) == 1


def test_a_number_moves_to_another_account_whole_or_stays(db: str) -> None:
    app = _open(db)
    sub = json.loads(_post(app, "/Accounts.json", {}).body)["sid"]
    number = json.loads(_post(app, "/IncomingPhoneNumbers.json", {"AreaCode": "530"}).body)["sid"]
    main = app.account_sid
    app.store.close()

    def move(app: App) -> None:
        _post(app, f"/IncomingPhoneNumbers/{number}.json", {"AccountSid": sub})

    _killed_at(db, "insert", move, lambda resource, *rest: resource == "IncomingPhoneNumber")
    assert _left(db, "SELECT account FROM records WHERE pk = ?", number) == [(main,)]


def test_a_write_is_answered_only_once_committed(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _open(db)
    store = app.store

    def failing(depth: int, savepoint: str) -> None:
        """COMMIT fails as a full disk would make it (savepoints are released as usual)."""
        if depth:
            store._db.execute(f"RELEASE {savepoint}")
            return
        store._db.execute("ROLLBACK")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_end", failing)
    assert _post(app, "/Messages.json", _MESSAGE).status == 500
    monkeypatch.undo()
    assert store.all("Message") == [] and store.pending_events() == 0
    store.close()


def test_populating_is_kept_with_its_mark_or_not_at_all(tmp_path: Path) -> None:
    db = str(tmp_path / "populated.sqlite3")
    # "seeded": the setting's name in the files of earlier versions, kept
    _killed_in("set_setting", lambda: Sandbox(db=db, records=5), lambda name, _: name == "seeded")
    with Sandbox(db=db, records=5) as sandbox:  # not populated yet: it is, once
        assert len(sandbox.store.all("Message")) == len(sandbox.store.all("Call")) == 5


def test_kill_9_under_write_load_loses_nothing_and_strands_nothing(tmp_path: Path) -> None:
    result = crash_loop.run(str(tmp_path / "crash.sqlite3"), cycles=3, workers=3, seed=11)
    assert result.cycles == 3 and result.acknowledged > 30
    assert result.lost == []
    assert result.stranded == []


# --- 8. one sandbox per file ------------------------------------------------------------


def test_a_second_sandbox_on_the_same_file_is_refused(db: str) -> None:
    with Sandbox(db=db) as first:
        with pytest.raises(OSError, match=rf"another sandbox \(process {os.getpid()}\)"):
            Sandbox(db=db)
        assert _post(first.app, "/Messages.json", _MESSAGE).status == 201  # the first carries on
    Sandbox(db=db).stop()  # free again once the first stopped


def test_the_command_refuses_a_file_in_use_in_one_line(db: str) -> None:
    with Sandbox(db=db):
        done = subprocess.run(
            [sys.executable, "-m", "twiliorm", "sandbox", "--port", "0", "--db", db],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and f"another sandbox (process {os.getpid()})" in lines[0]
    assert done.stdout == ""


# --- 9. private files ----------------------------------------------------------------------


@pytest.fixture
def loose_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def _mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.usefixtures("loose_umask")
def test_the_database_and_its_companions_are_private(tmp_path: Path) -> None:
    db = str(tmp_path / "x.sqlite3")
    with Sandbox(db=db) as sandbox:
        assert _post(sandbox.app, "/Messages.json", _MESSAGE).status == 201
        files = [db, db + "-wal", db + "-shm", db + ".lock"]
        assert {path: _mode(path) for path in files} == dict.fromkeys(files, 0o600)


@pytest.mark.usefixtures("loose_umask")
def test_an_existing_database_is_made_private(tmp_path: Path) -> None:
    db = str(tmp_path / "old.sqlite3")
    sqlite3.connect(db).close()
    os.chmod(db, 0o644)
    Sandbox(db=db).stop()
    assert _mode(db) == 0o600
