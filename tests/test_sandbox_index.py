"""The sandbox's index of days: the same answers as a scan, for every date filter.

A list narrowed by a by-day filter (``DateSent>=``, ``StartTime<``,
``DateCreated``...) is read from the store's ``days`` table instead of
comparing the day of every record of the list. These tests ask the same
pages (every page, forwards through ``next_page_uri`` and back through
``previous_page_uri``) of a sandbox with the index and of the same sandbox
with it switched off (``Store.index_days({})``: the clauses then compare the
day in SQL, as before the index), for every lookup form on every stored
resource with a date filter, with another filter beside it, and after
creates, updates, deletes and lifecycle steps; they also check that the
index, not a scan, answered, and that a database made before the index gets
one when it is opened.
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from twiliorm.dates import parse_rfc2822
from twiliorm.sandbox import Clock, Sandbox, Settings

from .test_sandbox_support import Raw

NOW = dt.datetime(2026, 3, 20, 12, tzinfo=dt.timezone.utc)
DAYS = [NOW.date() - dt.timedelta(days=n) for n in range(12)]
#: resource -> (list path under the account, the date filters' params by key)
FILTERS: dict[str, tuple[str, dict[str, str]]] = {
    "Message": ("/Messages.json", {"date_sent": "DateSent"}),
    "Call": ("/Calls.json", {"start_time": "StartTime", "end_time": "EndTime"}),
    "Conference": (
        "/Conferences.json",
        {"date_created": "DateCreated", "date_updated": "DateUpdated"},
    ),
    "Recording": ("/Recordings.json", {"date_created": "DateCreated"}),
    "Notification": ("/Notifications.json", {"message_date": "MessageDate"}),
}
CALL = "CA" + "1" * 32
MESSAGE = "MM" + "2" * 32
#: lists under a parent, with the date filters of their own
NESTED: dict[str, tuple[str, dict[str, str]]] = {
    "Media": (f"/Messages/{MESSAGE}/Media.json", {"date_created": "DateCreated"}),
    "CallNotification": (f"/Calls/{CALL}/Notifications.json", {"message_date": "MessageDate"}),
    "CallRecording": (f"/Calls/{CALL}/Recordings.json", {"date_created": "DateCreated"}),
}


def _stamp(rng: random.Random) -> str | None:
    """A date on one of ``DAYS`` at a random time, or (sometimes) none."""
    if rng.random() < 0.15:
        return None
    day = rng.choice(DAYS)
    moment = dt.datetime.combine(day, dt.time(rng.randrange(24), rng.randrange(60)), dt.UTC)
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


def _fill(sandbox: Sandbox, count: int, seed: int) -> None:
    """``count`` records of each resource with date filters, their dates drawn at random
    (in random order: a list's order, by creation, is not the order of the days)."""
    rng = random.Random(seed)
    app, account = sandbox.app, sandbox.account_sid
    parents = {
        "Media": {"message_sid": MESSAGE},
        "CallNotification": {"call_sid": CALL},
    }
    for name in [*FILTERS, "Media"]:
        behaviour = app.behaviours[name]
        keys = {**FILTERS.get(name, ("", {}))[1], **NESTED.get(name, ("", {}))[1]}
        for _ in range(count):
            values: dict[str, Any] = {key: _stamp(rng) for key in keys}
            values.setdefault("date_created", _stamp(rng) or "Mon, 16 Mar 2026 10:00:00 +0000")
            if name == "Message":
                values["to"] = rng.choice(["+14155550001", "+14155550002"])
            if name in ("Recording", "Notification"):
                values["call_sid"] = CALL if rng.random() < 0.5 else "CA" + "3" * 32
            behaviour.make(account, parents.get(name), **values)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    settings = Settings(message_delays=(1.0, 1.0, 1.0), call_delays=(1.0, 1.0, 2.0))
    with Sandbox(clock=Clock(frozen=True, start=NOW), settings=settings) as sb:
        _fill(sb, 40, seed=7)
        yield sb


@pytest.fixture
def raw(sandbox: Sandbox) -> Iterator[Raw]:
    raw = Raw(sandbox)
    yield raw
    raw.close()


def _walk(raw: Raw, path: str, most: int = 200) -> list[Any]:
    """Every page of ``path`` as answered (records and links), forwards to the end, then
    back from the last page to the first (a list that never ends fails: ``most`` pages)."""
    pages: list[Any] = []
    uri: str | None = path
    for link in ("next_page_uri", "previous_page_uri"):
        while uri:
            answer = raw("GET", uri)
            assert answer.status == 200 and len(pages) < most, answer.body
            pages.append(answer.json())
            uri = pages[-1][link]
        uri = pages[-1].get("previous_page_uri")
    return pages


def _queries(lists: dict[str, tuple[str, dict[str, str]]]) -> Iterator[str]:
    """Every lookup form (=, <=, >= and both) of every date filter, on some days."""
    for path, params in lists.values():
        for param in params.values():
            for day in (DAYS[0], DAYS[3], DAYS[7], DAYS[11], DAYS[11] - dt.timedelta(days=1)):
                for form in ("", "<", ">"):
                    yield f"{path}?{param}{form}={day}&PageSize=4"
            yield f"{path}?{param}>={DAYS[8]}&{param}<={DAYS[2]}&PageSize=5"
            yield f"{path}?{param}>={DAYS[2]}&{param}<={DAYS[8]}&PageSize=5"  # none


def _both(sandbox: Sandbox, raw: Raw, queries: list[str]) -> tuple[list[Any], list[Any]]:
    """The pages of ``queries`` with the day index, and with it switched off."""
    store = sandbox.app.store
    indexed = [_walk(raw, raw.a + query) for query in queries]
    kept = dict(store._day_keys)
    store.index_days({})
    try:
        scanned = [_walk(raw, raw.a + query) for query in queries]
    finally:
        store.index_days(kept)
    return indexed, scanned


def test_every_date_lookup_of_every_resource_answers_as_a_scan(sandbox: Sandbox, raw: Raw) -> None:
    queries = list(_queries({**FILTERS, **NESTED}))
    indexed, scanned = _both(sandbox, raw, queries)
    assert indexed == scanned
    records = [
        len(page[key])
        for pages in indexed
        for page in pages
        for key in page
        if isinstance(page[key], list)
    ]
    assert sum(records) > 1000 and 0 in records  # pages with records, and empty answers


def test_date_filters_beside_other_filters_answer_as_a_scan(sandbox: Sandbox, raw: Raw) -> None:
    queries = [
        f"/Messages.json?To=%2B14155550001&DateSent>={DAYS[9]}&PageSize=3",
        f"/Messages.json?DateSent<={DAYS[1]}&To=%2B14155550002&PageSize=2",
        f"/Calls.json?StartTime>={DAYS[8]}&EndTime<={DAYS[2]}&PageSize=3",
        f"/Calls.json?EndTime={DAYS[4]}&StartTime<={DAYS[4]}&PageSize=1",
        f"/Conferences.json?DateCreated>={DAYS[6]}&DateUpdated<={DAYS[5]}&PageSize=2",
    ]
    indexed, scanned = _both(sandbox, raw, queries)
    assert indexed == scanned
    assert all(page["messages"] for page in indexed[0][:-1])


def test_the_index_follows_creates_updates_deletes_and_lifecycles(
    sandbox: Sandbox, raw: Raw
) -> None:
    sent = [
        raw(
            "POST",
            raw.a + "/Messages.json",
            {"To": "+14155550001", "From": "+14155559999", "Body": f"m{n}"},
        ).json()
        for n in range(6)
    ]
    assert all(m["status"] == "queued" and m["date_sent"] is None for m in sent)
    twiml = "<Response><Say>hi</Say></Response>"
    dialled = [
        raw(
            "POST",
            raw.a + "/Calls.json",
            {"To": "+14155550001", "From": "+15017122661", "Twiml": twiml},
        ).json()
        for _ in range(4)
    ]
    assert all(c["start_time"] is None and c["end_time"] is None for c in dialled)
    today = f"/Messages.json?DateSent={NOW.date()}&PageSize=3"
    before = _walk(raw, raw.a + today)
    sandbox.advance(30)  # lifecycles: messages sent (date_sent set), calls answered and ended
    raw("POST", raw.a + f"/Messages/{sent[0]['sid']}.json", {"Body": ""})  # redacted
    raw("DELETE", raw.a + f"/Messages/{sent[1]['sid']}.json")
    recording = next(r for r in sandbox.app.store.all("Recording"))
    raw("DELETE", raw.a + f"/Recordings/{recording.pk}.json")
    queries = [today, f"/Messages.json?DateSent>={DAYS[1]}&PageSize=4"]
    queries += [f"/Recordings.json?DateCreated<={day}&PageSize=4" for day in DAYS[::3]]
    queries += [f"/Calls.json?StartTime={NOW.date()}&PageSize=2"]
    queries += [f"/Calls.json?EndTime>={NOW.date()}&PageSize=2"]
    indexed, scanned = _both(sandbox, raw, queries)
    assert indexed == scanned
    now_sent = {m["sid"] for page in indexed[0] for m in page["messages"]}
    already = {m["sid"] for page in before for m in page["messages"]}
    assert {m["sid"] for m in sent[2:]} <= now_sent - already
    assert sent[1]["sid"] not in now_sent and sent[0]["sid"] in now_sent
    started = {c["sid"] for page in indexed[-2] for c in page["calls"]}
    assert {c["sid"] for c in dialled} <= started


def test_a_narrowed_page_reads_the_index_not_the_list(sandbox: Sandbox, raw: Raw) -> None:
    statements: list[str] = []
    store = sandbox.app.store
    store._db.set_trace_callback(statements.append)
    try:
        answer = raw("GET", raw.a + f"/Messages.json?DateSent>={DAYS[2]}&PageSize=5")
    finally:
        store._db.set_trace_callback(None)
    assert answer.status == 200 and answer.json()["messages"]
    reads = [s for s in statements if "records" in s or "days" in s]
    assert any("FROM days" in s for s in reads), reads
    assert not any("json_extract(idx, '$.date_sent')" in s for s in reads), reads


def test_populate_indexes_the_days_it_stores(tmp_path: Path) -> None:
    with Sandbox(clock=Clock(frozen=True, start=NOW)) as sb:
        sb.populate(300, 50)
        raw = Raw(sb)
        queries = [f"/Messages.json?DateSent<={NOW.date()}&PageSize=100"]
        queries += [f"/Calls.json?StartTime>={NOW.date() - dt.timedelta(days=2)}&PageSize=20"]
        indexed, scanned = _both(sb, raw, queries)
        raw.close()
    assert indexed == scanned
    assert len({m["sid"] for page in indexed[0] for m in page["messages"]}) == 300


def test_a_database_made_before_the_index_gets_one_when_opened(tmp_path: Path) -> None:
    db = str(tmp_path / "old.sqlite3")
    with Sandbox(db=db, clock=Clock(frozen=True, start=NOW)) as sb:
        _fill(sb, 20, seed=3)
    with sqlite3.connect(db) as old:  # as an older sandbox left it: records, no days
        old.execute("DELETE FROM days")
        old.execute("DELETE FROM settings WHERE name='day_index'")
    old.close()
    with Sandbox(db=db) as sb:
        raw = Raw(sb)
        queries = list(_queries(FILTERS))[::7]
        indexed, scanned = _both(sb, raw, queries)
        raw.close()
    assert indexed == scanned
    assert any(page["messages"] for pages in indexed for page in pages if "messages" in page)


def test_populated_records_are_never_older_than_their_account() -> None:
    # Twilio: nothing in an account is older than the account, so a scan with no lower
    # bound starts from its creation day. Made-up history moves the account's date back.
    with Sandbox(clock=Clock(frozen=True, start=NOW)) as sb:
        created = sb.app.store.get("Account", sb.account_sid, "", sb.account_sid)
        assert created is not None
        sb.populate(400, 100)
        raw = Raw(sb)
        account = raw("GET", f"{raw.a}.json").json()
        messages = _walk(raw, raw.a + "/Messages.json?PageSize=1000")[0]["messages"]
        calls = _walk(raw, raw.a + "/Calls.json?PageSize=1000")[0]["calls"]
        raw.close()
    since = parse_rfc2822(account["date_created"])
    oldest = min(parse_rfc2822(r["date_created"]) for r in messages + calls)
    assert since == oldest < parse_rfc2822(created.body["date_created"])
    assert all(parse_rfc2822(m["date_sent"]) >= since for m in messages)
    assert account["date_updated"] == created.body["date_updated"]  # the rest as it was
