"""The fault matrix: every injected fault x every kind of request, against the sandbox.

Each row starts a sandbox with one fault rule (``--faults``) at a fixed seed
and runs each request kind a few times through one ``twiliorm.Client``:
GET of a list, GET of one instance, POST create, POST update, DELETE. A cell
passes when every call ends in success or a clear twiliorm error (never
another exception), and the sandbox's own records show nothing was done
twice: each create's unique body is stored at most once, and a POST was only
ever resent after a 429 (the one answer proving it was not processed).

Each row runs under both drivers (``tests/async_driver.py``: ``[sync]``, and
``[async]`` through ``AsyncClient``). After the rows, one table per driver is
printed (fault, request kind, outcomes, resends, duplicates); run ``pytest
tests/test_faults_matrix.py -s`` or read the CI log. Backoff pauses are
recorded (sync) or skipped (async) instead of slept.
"""

from __future__ import annotations

import collections
import itertools
import socket
import types
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
import urllib3

import twiliorm
from twiliorm import Message
from twiliorm.sandbox import Sandbox

CALLS_PER_KIND = 6
READ_TIMEOUT = 1.0
FAULTS = [
    "429=0.5",  # Retry-After: 1
    "429=0.5:none",
    "burst429=0.25:8",
    "500=0.5",
    "503=0.5",
    "reset=0.5",
    "lost=0.5",
    "truncate=0.5",
    "garbage=0.5",
    "slow=0.5:3",  # trickled over 3 s, past the 1 s read timeout
    "refused",  # not a sandbox rule: the client is pointed at a closed port
]
RESENT_ON = ("500", "503", "reset", "lost")  # GET and DELETE resend; POST must not
KINDS = ["GET list", "GET fetch", "POST create", "POST update", "DELETE"]
CLEAR_ERRORS = (twiliorm.TransportError, twiliorm.TwilioRestError, twiliorm.DecodeError)


@attrs.define
class Cell:
    fault: str
    kind: str
    outcomes: collections.Counter[str] = attrs.field(factory=collections.Counter)
    resends: int = 0  # requests beyond the first, per call, summed
    duplicates: int = 0


#: (driver, fault, request kind) -> the cell, for the tables printed at the end
RESULTS: dict[tuple[str, str, str], Cell] = {}


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    asked: list[float] = []
    clock = types.SimpleNamespace(sleep=asked.append, time=__import__("time").time)
    monkeypatch.setattr(urllib3.util.retry, "time", clock)
    return asked


class Run:
    """One row: a sandbox with ``fault``, a client, and the calls of each kind."""

    def __init__(self, sandbox: Sandbox, fault: str) -> None:
        self.sandbox = sandbox
        self.fault = fault
        self.faults = sandbox.faults
        self.client = sandbox.client(timeout=urllib3.Timeout(connect=2.0, read=READ_TIMEOUT))
        self.tags = itertools.count()
        self.ready = self._prepare()
        if fault == "refused":
            self.client.base_url = f"http://127.0.0.1:{_closed_port()}"

    def _prepare(self) -> list[Message]:
        """Messages to fetch, update and delete, made while faults are off."""
        self.sandbox.faults = None
        try:
            objects = Message.objects.using(self.client)
            return [_create(objects, f"setup-{i}") for i in range(3 * CALLS_PER_KIND)]
        finally:
            self.sandbox.faults = self.faults

    def calls(self, kind: str) -> Iterator[Callable[[], Any]]:
        objects = Message.objects.using(self.client)
        for i in range(CALLS_PER_KIND):
            if kind == "GET list":
                yield lambda: list(objects.all()[:5])
            elif kind == "GET fetch":
                yield lambda i=i: objects.get(sid=self.ready[i].sid)
            elif kind == "POST create":
                yield lambda: _create(objects, f"{self.fault}-{next(self.tags)}")
            elif kind == "POST update":
                yield lambda i=i: _redact(self.ready[CALLS_PER_KIND + i])
            else:
                yield self.ready[2 * CALLS_PER_KIND + i].delete

    def stored_bodies(self) -> collections.Counter[str]:
        self.sandbox.faults = None
        try:
            clean = self.sandbox.client()
            return collections.Counter(m.body for m in Message.objects.using(clean).all())
        finally:
            self.sandbox.faults = self.faults


def _create(objects: Any, body: str) -> Message:
    return objects.create(to="+15558675310", from_="+15005550006", body=body)  # type: ignore[no-any-return]


def _redact(message: Message) -> None:
    message.body = ""  # the one update Twilio allows on a message's body
    message.save()


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run_cell(run: Run, kind: str) -> Cell:
    cell = Cell(run.fault, kind)
    for call in run.calls(kind):
        before = len(run.sandbox.requests)
        try:
            call()
            cell.outcomes["ok"] += 1
        except CLEAR_ERRORS as exc:
            assert str(exc), f"{type(exc).__name__} without a message"
            cell.outcomes[type(exc).__name__] += 1
        sent = run.sandbox.requests[before:]
        cell.resends += max(0, len(sent) - 1)
        if kind.startswith("POST"):
            # A POST is resent only after the sandbox refused it with 429, unprocessed.
            assert all(entry.status == 429 for entry in sent[:-1]), [e.status for e in sent]
    return cell


@pytest.mark.parametrize("fault", FAULTS)
def test_fault_matrix_row(fault: str, no_backoff: list[float], driver: str) -> None:
    spec = None if fault == "refused" else fault
    with Sandbox(faults=spec, fault_seed=8) as sandbox:
        run = Run(sandbox, fault)
        cells = [_run_cell(run, kind) for kind in KINDS]
        stored = run.stored_bodies()
    creates = cells[KINDS.index("POST create")]
    mine = {body: n for body, n in stored.items() if body and body.startswith(f"{fault}-")}
    creates.duplicates = sum(n - 1 for n in mine.values())
    assert creates.duplicates == 0, mine
    assert len(mine) >= creates.outcomes["ok"]  # every create reported done is stored
    for cell in cells:
        RESULTS[(driver, fault, cell.kind)] = cell
        assert sum(cell.outcomes.values()) == CALLS_PER_KIND
    _check_expectations(fault, {cell.kind: cell for cell in cells})


def _check_expectations(fault: str, cells: dict[str, Cell]) -> None:
    """What each fault must lead to, beyond 'success or a clear error'."""
    if fault in ("429=0.5", "429=0.5:none"):
        assert all(c.outcomes == {"ok": CALLS_PER_KIND} for c in cells.values())
    if fault == "refused":
        assert all(c.outcomes == {"TransportError": CALLS_PER_KIND} for c in cells.values())
    kind_of_fault = fault.partition("=")[0]
    resent = {"GET list", "GET fetch", "DELETE"} if kind_of_fault in RESENT_ON else set()
    if kind_of_fault in ("truncate", "slow"):
        resent = {"GET list", "GET fetch"}  # a DELETE's answer has no body to cut or slow
    for kind in resent:
        assert cells[kind].resends > 0 and cells[kind].outcomes["ok"] > CALLS_PER_KIND / 2
    if kind_of_fault in (*RESENT_ON, "truncate", "slow", "garbage"):
        posts = (cells["POST create"], cells["POST update"])
        assert all(c.resends == 0 and c.outcomes["ok"] < CALLS_PER_KIND for c in posts)
    if fault.startswith("garbage"):
        assert cells["POST create"].outcomes["DecodeError"] > 0


def _tables(results: dict[tuple[str, str, str], Cell]) -> str:
    """One table per driver, in the order the rows ran."""
    head = f"{'fault':<16} {'request kind':<12} {'outcome':<44} {'resends':>7} {'duplicates':>10}"
    drivers = list(dict.fromkeys(driver for driver, _, _ in results))
    blocks = []
    for driver in drivers:
        lines = [f"Fault matrix [{driver}] (each cell: {CALLS_PER_KIND} calls)", head, "-" * 93]
        for (of, fault, kind), cell in results.items():
            if of != driver:
                continue
            outcome = ", ".join(f"{name} x{n}" for name, n in sorted(cell.outcomes.items()))
            lines.append(
                f"{fault:<16} {kind:<12} {outcome:<44} {cell.resends:>7} {cell.duplicates:>10}"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def test_one_table_per_driver() -> None:
    """Cells of both drivers for the same fault and kind each keep their own line."""
    sync = Cell("500=0.5", "DELETE", collections.Counter(ok=6), resends=2)
    aio = Cell("500=0.5", "DELETE", collections.Counter(ok=5, ServerError=1), resends=3)
    text = _tables({("sync", "500=0.5", "DELETE"): sync, ("async", "500=0.5", "DELETE"): aio})
    sync_part, async_part = text.split("\n\n")
    assert sync_part.startswith("Fault matrix [sync]") and "ok x6" in sync_part
    assert async_part.startswith("Fault matrix [async]") and "ServerError x1, ok x5" in async_part
    assert "ServerError" not in sync_part


@pytest.fixture(scope="module", autouse=True)
def _print_the_matrix(request: pytest.FixtureRequest) -> Iterator[None]:
    """After the rows that ran, a table per driver for the report (each row asserts its
    own cells)."""
    yield
    if not RESULTS:
        return
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n\n" + _tables(RESULTS) + "\n")
