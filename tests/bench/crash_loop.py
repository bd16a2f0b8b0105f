"""Kill -9 the sandbox under write load, start it again on the same ``--db``, and check
that nothing acknowledged was lost and nothing was left half-done.

Run it from the repository root with ``python -m tests.bench.crash_loop --cycles 20``
(or ``python tests/bench/crash_loop.py``). Each cycle starts ``twiliorm sandbox --db
FILE`` in a subprocess, sends writes from a few threads (messages and calls created,
redacted, hung up, deleted; sub-accounts opened; numbers bought, renamed, moved to a
sub-account, released; queues made and removed), keeps every write that was answered
2xx with what it promised, and kills the server with SIGKILL at a random moment. The
file is then read directly:

- *lost*: an acknowledged create missing, an acknowledged delete back, an acknowledged
  change not there (a number's name or account, a redacted body, a hung-up call), a
  sub-account whose auth token no longer signs in;
- *stranded*: a message or call on its way with no pending event to move it on, an
  account without its credentials (or the reverse), a key without its secret, a number
  owned twice.

After the last cycle the server runs until no event is pending and the file is checked
once more. It prints cycles, acknowledged writes, lost and stranded, and exits 1 if
either is not 0. ``tests/test_sandbox_crash.py`` runs a few cycles of the same.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs

if not __package__:  # run as a path: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from twiliorm.sandbox import Sandbox, Settings
from twiliorm.sandbox.behaviours import outcomes

__all__ = ["Ledger", "Result", "Server", "half_done", "lost", "main", "prepare", "run"]

#: slow enough that a kill finds lifecycles under way, quick enough to end in a test
SETTINGS = Settings(message_delays=(0.2, 0.3, 0.4), call_delays=(0.2, 0.3, 0.5))
_MESSAGE_FINAL = {"delivered", "undelivered", "failed", "received", "canceled", "read"}
_CALL_LIVE = {"queued", "ringing", "in-progress"}
_AREA_CODES = ("530", "415", "212", "303", "206")
Key = tuple[str, str]  # (resource, sid)


class Server:
    """``twiliorm sandbox --db FILE`` in a subprocess, and the credentials it printed."""

    def __init__(self, db: str) -> None:
        command = [sys.executable, "-m", "twiliorm", "sandbox", "--port", "0", "--quiet"]
        with open(db + ".stderr", "a") as errors:  # a file: a full pipe would block the server
            self.process = subprocess.Popen(
                [*command, "--db", db], stdout=subprocess.PIPE, stderr=errors, text=True
            )
        assert self.process.stdout is not None
        lines = [self.process.stdout.readline() for _ in range(4)]
        found = dict(re.findall(r"export (\w+)=(\S+)", "".join(lines)))
        if len(found) != 3:
            self.kill()
            raise RuntimeError(f"the sandbox did not start: {lines}, see {db}.stderr")
        self.port = urllib.parse.urlsplit(found["TWILIO_API_BASE_URL"]).port or 0
        self.account = found["TWILIO_ACCOUNT_SID"]
        self.token = found["TWILIO_AUTH_TOKEN"]

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or closed."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return code


class Api:
    """Bare HTTP on one keep-alive connection: (status, JSON), or None when no answer came."""

    def __init__(self, port: int, account: str, token: str) -> None:
        self.port = port
        self.base = f"/2010-04-01/Accounts/{account}"
        auth = base64.b64encode(f"{account}:{token}".encode()).decode()
        self.headers = {"Authorization": f"Basic {auth}"}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)

    def __call__(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]] | None:
        body = urllib.parse.urlencode(form or {})
        headers = dict(self.headers)
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, self.base + path, body or None, headers)
            answer = self.connection.getresponse()
            data = answer.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            return None
        return answer.status, json.loads(data) if data else {}


@attrs.define
class Ledger:
    """What the server acknowledged (thread-safe): records, the values they must have,
    the deletes, and the sub-accounts' tokens."""

    expected: dict[Key, dict[str, Any]] = attrs.field(factory=dict)
    gone: set[Key] = attrs.field(factory=set)
    maybe_gone: set[Key] = attrs.field(factory=set)
    tokens: dict[str, str] = attrs.field(factory=dict)
    acknowledged: int = 0
    lock: threading.Lock = attrs.field(factory=threading.Lock)

    def created(self, key: Key, **fields: Any) -> None:
        with self.lock:
            self.expected[key] = fields
            self.acknowledged += 1

    def changed(self, key: Key, **fields: Any) -> None:
        with self.lock:
            self.expected[key].update(fields)
            self.acknowledged += 1

    def deleted(self, key: Key) -> None:
        with self.lock:
            self.gone.add(key)
            self.acknowledged += 1

    def unanswered(self, key: Key, *names: str, delete: bool = False) -> None:
        """A write on ``key`` got no answer: it may or may not have happened."""
        with self.lock:
            for name in names:
                self.expected[key].pop(name, None)
            if delete:
                self.maybe_gone.add(key)

    def subaccounts(self) -> list[str]:
        with self.lock:
            return list(self.tokens)


class Worker:
    """One thread's writes, on records of its own (so its own answers say their state)."""

    def __init__(self, server: Server, ledger: Ledger, seed: float, stop: threading.Event) -> None:
        self.api = Api(server.port, server.account, server.token)
        self.ledger = ledger
        self.rng = random.Random(seed)
        self.stop = stop
        self.messages: list[str] = []
        self.calls: list[str] = []
        self.numbers: list[str] = []
        self.ops: list[Callable[[], None]] = [
            self.send,
            self.send,
            self.redact,
            self.delete_message,
            self.place_call,
            self.place_call,
            self.hang_up,
            self.open_account,
            self.buy_number,
            self.rename_number,
            self.move_number,
            self.release_number,
            self.queue,
        ]

    def run(self) -> None:
        while not self.stop.is_set():
            self.rng.choice(self.ops)()

    def create(self, resource: str, path: str, form: dict[str, str]) -> dict[str, Any] | None:
        answer = self.api("POST", path, form)
        if answer is None or answer[0] not in (200, 201):
            return None
        body = answer[1]
        self.ledger.created((resource, body["sid"]), account=body["account_sid"])
        return body

    def send(self) -> None:
        to = f"+1555867{self.rng.randrange(10000):04d}"
        form = {"To": to, "From": "+15017122661", "Body": f"crash {self.rng.random()}"}
        body = self.create("Message", "/Messages.json", form)
        if body is not None:
            self.messages.append(body["sid"])

    def redact(self) -> None:
        if self.messages:
            sid = self.rng.choice(self.messages)
            self.change(("Message", sid), f"/Messages/{sid}.json", {"Body": ""}, body="")

    def delete_message(self) -> None:
        if self.messages:
            sid = self.messages.pop(self.rng.randrange(len(self.messages)))
            self.delete(("Message", sid), f"/Messages/{sid}.json")  # 400 while on its way

    def place_call(self) -> None:
        to = f"+1555867{self.rng.randrange(10000):04d}"
        twiml = "<Response><Say>crash</Say></Response>"
        form = {"To": to, "From": "+15017122661", "Twiml": twiml}
        body = self.create("Call", "/Calls.json", form)
        if body is not None:
            self.calls.append(body["sid"])

    def hang_up(self) -> None:
        if self.calls:
            sid = self.calls.pop(self.rng.randrange(len(self.calls)))
            path = f"/Calls/{sid}.json"
            self.change(("Call", sid), path, {"Status": "completed"}, status="completed")

    def open_account(self) -> None:
        form = {"FriendlyName": f"crash {self.rng.randrange(10**6)}"}
        answer = self.api("POST", "/Accounts.json", form)
        if answer is not None and answer[0] == 201:
            sid = answer[1]["sid"]
            with self.ledger.lock:
                self.ledger.tokens[sid] = answer[1]["auth_token"]
            self.ledger.created(("Account", sid), account=sid)

    def buy_number(self) -> None:
        form = {"AreaCode": self.rng.choice(_AREA_CODES)}
        body = self.create("IncomingPhoneNumber", "/IncomingPhoneNumbers.json", form)
        if body is not None:
            self.numbers.append(body["sid"])

    def rename_number(self) -> None:
        if self.numbers:
            sid = self.rng.choice(self.numbers)
            name = f"renamed {self.rng.randrange(10**6)}"
            form, path = {"FriendlyName": name}, f"/IncomingPhoneNumbers/{sid}.json"
            self.change(("IncomingPhoneNumber", sid), path, form, friendly_name=name)

    def move_number(self) -> None:
        subs = self.ledger.subaccounts()
        if self.numbers and subs:
            sid = self.numbers.pop(self.rng.randrange(len(self.numbers)))
            target = self.rng.choice(subs)
            form, path = {"AccountSid": target}, f"/IncomingPhoneNumbers/{sid}.json"
            self.change(("IncomingPhoneNumber", sid), path, form, account=target)

    def release_number(self) -> None:
        if self.numbers:
            sid = self.numbers.pop(self.rng.randrange(len(self.numbers)))
            self.delete(("IncomingPhoneNumber", sid), f"/IncomingPhoneNumbers/{sid}.json")

    def queue(self) -> None:
        form = {"FriendlyName": f"crash {self.rng.randrange(10**6)}"}
        body = self.create("Queue", "/Queues.json", form)
        if body is not None and self.rng.random() < 0.5:
            self.delete(("Queue", body["sid"]), f"/Queues/{body['sid']}.json")

    def change(self, key: Key, path: str, form: dict[str, str], **fields: Any) -> None:
        answer = self.api("POST", path, form)
        if answer is None:
            self.ledger.unanswered(key, *fields)
        elif answer[0] == 200:
            self.ledger.changed(key, **fields)

    def delete(self, key: Key, path: str) -> None:
        answer = self.api("DELETE", path)
        if answer is None:
            self.ledger.unanswered(key, delete=True)
        elif answer[0] == 204:
            self.ledger.deleted(key)


# --- checks on the file ------------------------------------------------------------------


@contextlib.contextmanager
def reading(db: str) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the file (a server may be running on it)."""
    connection = sqlite3.connect(Path(db).absolute().as_uri() + "?mode=ro", uri=True)
    try:
        yield connection
    finally:
        connection.close()


def half_done(db: sqlite3.Connection) -> list[str]:
    """What a change committed in parts would leave: see the module docstring."""
    pending = set(db.execute("SELECT resource, pk FROM events").fetchall())
    return [
        *_stranded_messages(db, pending),
        *_stranded_calls(db, pending),
        *_accounts_in_parts(db),
        *_keys_without_secrets(db),
        *_numbers_owned_twice(db),
    ]


def _stranded_messages(db: sqlite3.Connection, pending: set[Key]) -> Iterator[str]:
    rows = db.execute(
        "SELECT pk, json_extract(body, '$.status'), json_extract(body, '$.to') FROM records "
        "WHERE resource = 'Message'"
    )
    for sid, status, to in rows:
        final = status in _MESSAGE_FINAL or (
            status == "sent" and outcomes.message_outcome(to).status == "sent"
        )
        if not final and ("Message", sid) not in pending:
            yield f"message {sid} stays {status}: no event will move it"


def _stranded_calls(db: sqlite3.Connection, pending: set[Key]) -> Iterator[str]:
    waiting = {pk for (pk,) in db.execute(_IN_CONFERENCE_OR_QUEUE)}
    rows = db.execute(
        "SELECT pk, json_extract(body, '$.status') FROM records WHERE resource = 'Call'"
    )
    for sid, status in rows:
        if status in _CALL_LIVE and ("Call", sid) not in pending and sid not in waiting:
            yield f"call {sid} stays {status}: no event will move it"


_IN_CONFERENCE_OR_QUEUE = "SELECT pk FROM records WHERE resource IN ('Participant', 'Member')"


def _accounts_in_parts(db: sqlite3.Connection) -> Iterator[str]:
    records = dict(
        db.execute(
            "SELECT pk, json_extract(body, '$.status') FROM records WHERE resource = 'Account'"
        ).fetchall()
    )
    rows = {sid for (sid,) in db.execute("SELECT sid FROM accounts")}
    tokens = {a for (a,) in db.execute("SELECT account FROM credentials WHERE kind='auth_token'")}
    for sid in records.keys() - rows:
        yield f"account {sid} has a record but no accounts row"
    for sid in rows - records.keys():
        yield f"account {sid} has an accounts row but no record"
    for sid, status in records.items():
        if status != "closed" and sid not in tokens:
            yield f"account {sid} has no auth token"


def _keys_without_secrets(db: sqlite3.Connection) -> Iterator[str]:
    keys = {pk for (pk,) in db.execute("SELECT pk FROM records WHERE resource = 'Key'")}
    secrets = {u for (u,) in db.execute("SELECT username FROM credentials WHERE kind='api_key'")}
    for sid in keys ^ secrets:
        yield f"API key {sid} is listed without its secret, or the reverse"


def _numbers_owned_twice(db: sqlite3.Connection) -> Iterator[str]:
    rows = db.execute(
        "SELECT json_extract(body, '$.phone_number'), count(*) FROM records "
        "WHERE resource = 'IncomingPhoneNumber' GROUP BY 1 HAVING count(*) > 1"
    )
    for number, count in rows:
        yield f"{number} is owned {count} times"


def lost(db: sqlite3.Connection, ledger: Ledger) -> list[str]:
    """What was acknowledged but is not in the file (see the module docstring)."""
    problems = []
    with ledger.lock:
        expected = {key: dict(fields) for key, fields in ledger.expected.items()}
        gone, maybe_gone, tokens = set(ledger.gone), set(ledger.maybe_gone), dict(ledger.tokens)
    for key, fields in expected.items():
        found = db.execute(
            "SELECT account, body FROM records WHERE resource = ? AND pk = ?", key
        ).fetchone()
        if key in gone:
            if found is not None:
                problems.append(f"{key[0]} {key[1]} was deleted (204) but is back")
        elif found is None:
            if key not in maybe_gone:
                problems.append(f"{key[0]} {key[1]} was acknowledged but is missing")
        else:
            problems.extend(_differences(key, fields, found[0], json.loads(found[1])))
    credentials = dict(db.execute("SELECT username, secret FROM credentials").fetchall())
    for sid, token in tokens.items():
        if credentials.get(sid) != token:
            problems.append(f"sub-account {sid}'s auth token is lost")
    return problems


def _differences(key: Key, fields: dict[str, Any], account: str, body: dict[str, Any]) -> list[str]:
    found = {**body, "account": account}
    return [
        f"{key[0]} {key[1]}: {name} is {found.get(name)!r}, acknowledged {value!r}"
        for name, value in fields.items()
        if found.get(name) != value
    ]


# --- cycles ---------------------------------------------------------------------------------


@attrs.define
class Result:
    cycles: int = 0
    acknowledged: int = 0
    lost: list[str] = attrs.field(factory=list)
    stranded: list[str] = attrs.field(factory=list)


def prepare(db: str) -> None:
    """A new database whose lifecycles take a second or so (settings are kept in the file)."""
    Sandbox(db=db, settings=SETTINGS).stop()


def cycle(db: str, ledger: Ledger, rng: random.Random, workers: int, result: Result) -> None:
    """Serve, write from ``workers`` threads, kill -9 at a random moment, check the file."""
    server = Server(db)
    stop = threading.Event()
    threads = [
        threading.Thread(target=Worker(server, ledger, rng.random(), stop).run, daemon=True)
        for _ in range(workers)
    ]
    for thread in threads:
        thread.start()
    time.sleep(rng.uniform(0.3, 1.5))
    server.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    check(db, ledger, result)
    result.cycles += 1


def check(db: str, ledger: Ledger, result: Result) -> None:
    """Add what the file shows now to ``result`` (a problem found again counts once)."""
    with reading(db) as connection:
        result.lost = list(dict.fromkeys([*result.lost, *lost(connection, ledger)]))
        result.stranded = list(dict.fromkeys([*result.stranded, *half_done(connection)]))
    result.acknowledged = ledger.acknowledged


def settle(db: str, ledger: Ledger, result: Result, timeout: float = 30.0) -> None:
    """Serve once more until every pending event has run, then check the file again, and
    that each sub-account still signs in over HTTP."""
    server = Server(db)
    try:
        deadline = time.monotonic() + timeout
        while _pending(db) and time.monotonic() < deadline:
            time.sleep(0.1)
        for sid, token in list(ledger.tokens.items())[:20]:
            answer = Api(server.port, sid, token)("GET", ".json")
            if answer is None or answer[0] != 200:
                result.lost.append(f"sub-account {sid} cannot sign in: {answer}")
    finally:
        server.stop()
    check(db, ledger, result)


def _pending(db: str) -> int:
    with reading(db) as connection:
        return int(connection.execute("SELECT count(*) FROM events").fetchone()[0])


def run(db: str, cycles: int, workers: int = 4, seed: int = 0) -> Result:
    ledger, result, rng = Ledger(), Result(), random.Random(seed)
    prepare(db)
    for _ in range(cycles):
        cycle(db, ledger, rng, workers, result)
    settle(db, ledger, result)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=20, help="kills and restarts (20)")
    parser.add_argument("--workers", type=int, default=4, help="threads writing (4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the load and the kills")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        result = run(str(Path(folder) / "crash.sqlite3"), args.cycles, args.workers, args.seed)
    print(f"cycles: {result.cycles} ({time.monotonic() - started:.0f} s)")
    print(f"acknowledged records: {result.acknowledged}")
    print(f"lost: {len(result.lost)}")
    print(f"stranded: {len(result.stranded)}")
    for problem in (result.lost + result.stranded)[:20]:
        print(f"  {problem}")
    return 1 if result.lost or result.stranded else 0


if __name__ == "__main__":
    sys.exit(main())
