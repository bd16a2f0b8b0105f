"""The sync driver of a read in partitions keeps sending while its caller works, and stops
when the caller leaves (``twiliorm.bulk.reads.read_concurrently``); a merge past its
budget still reads ahead where it needs to (``PartitionReader.pending``).

The schedule runs in a thread of its own: requests are answered and sent while the
calling thread works on a page (an export writing one), and a loop left early ends it
with nothing more sent. The async driver's twin is in test_async_partitions (a task
cancelled mid-scan).
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from twiliorm import Message, dates
from twiliorm.bulk import reads
from twiliorm.bulk.reads import read_concurrently
from twiliorm.exceptions import DecodeError
from twiliorm.partitions import (
    AHEAD_OVER_BUDGET,
    READ_AHEAD_DAYS,
    PartitionReader,
    open_partitions,
    partitioning,
)
from twiliorm.protocol import ApiRequest, SortedReader
from twiliorm.sandbox import Clock, Sandbox
from twiliorm.sandbox.faults import Faults
from twiliorm.sandbox.populate import populate_messages

from .test_partitions import SENT, SID, START, FakeList, messages, reader_of, rfc, walk

UTC = dt.timezone.utc
WORKERS = 2


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    start = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(days=40)
    with Sandbox(clock=Clock(frozen=True, start=start), latency_ms=40) as sandbox:
        sandbox.advance(40 * 86400)
        populate_messages(sandbox.app, 3000, step=900)  # 31 days, 96 a day
        yield sandbox


def schedules() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "twiliorm-read-schedule"]


def test_requests_go_on_while_the_caller_works_on_a_page(sb: Sandbox) -> None:
    client = sb.client()
    qs = Message.objects.using(client).filter(date_sent__isnull=False).page_size(50)
    pages = qs.concurrently(WORKERS).pages()
    next(pages)
    answered = len(sb.requests)
    time.sleep(1.0)  # the caller at work: 25 round trips' worth
    # More than the requests that were in flight when the page came were answered.
    assert len(sb.requests) - answered > WORKERS
    pages.close()
    client.close()


def test_a_loop_left_early_sends_nothing_more(sb: Sandbox) -> None:
    client = sb.client()
    qs = Message.objects.using(client).filter(date_sent__isnull=False).page_size(50)
    whole = len(sb.requests)
    assert sum(len(page.raw) for page in qs.concurrently(WORKERS).pages()) == 3000
    whole = len(sb.requests) - whole
    before = len(sb.requests)
    pages = qs.concurrently(WORKERS).pages()
    next(pages)
    pages.close()
    assert schedules() == []  # closing waits for the schedule's thread to end
    left = len(sb.requests)
    time.sleep(0.5)
    assert len(sb.requests) - left <= WORKERS  # what was in flight, at most
    assert len(sb.requests) - before < whole / 2
    client.close()


def test_an_error_ends_the_read_in_the_callers_thread(sb: Sandbox) -> None:
    client = sb.client()
    qs = Message.objects.using(client).filter(date_sent__isnull=False).page_size(50)
    _, reader, _ = qs.concurrently(WORKERS)._read_plan()
    pages = read_concurrently(client, reader, workers=WORKERS, attempts=1)
    next(pages)
    sb.faults = Faults("garbage@GET=1")  # every answer from now on is not JSON
    with pytest.raises(DecodeError, match="JSON"):
        for _ in pages:
            pass
    assert schedules() == []
    client.close()


def test_over_its_budget_a_merge_still_reads_the_partitions_it_needs_soonest() -> None:
    """Past ``budget`` records held, the partitions whose records the merge needs soonest
    (at most AHEAD_OVER_BUDGET) still read on, beside the ones it starves on: waiting until
    it starves on each made every page of theirs a round trip with nothing else in flight."""
    fake = FakeList(messages(3000, START, dt.timedelta(minutes=20)))  # 42 days, 72 a day
    reader = reader_of(SENT, budget=200)
    assert reader.merge is not None
    got, over = [], []
    while reader.pending:
        request = reader.pending[0]
        got += reader.feed(fake.answer(request), request).records
        if reader.merge.buffered >= reader.budget and reader.pending:
            starved = set(reader.merge.waiting)
            needed = [p for p in reader.parts if p.stream in starved and p.request is not None]
            over.append(len(reader.pending) - len(needed))
    assert [r["sid"] for r in got] == walk(fake, SENT)
    assert over and max(over) == AHEAD_OVER_BUDGET  # read on, but no further than that


def test_a_caller_that_takes_nothing_stops_the_reading_ahead(sb: Sandbox) -> None:
    """A page a worker waiting for the caller (2 x 50 records here), and no more is sent
    (reads that need no order have no merge budget to stop them; their pages are whole
    records)."""
    client = sb.client()
    qs = Message.objects.using(client).filter(date_sent__isnull=False).page_size(50)
    before = len(sb.requests)
    # In no order: the merge's own budget aside (it needs a page of every partition)
    pages = qs.for_bulk(ordered=False).concurrently(WORKERS).pages()
    next(pages)
    time.sleep(1.5)  # the whole read is about 70 requests of 40 ms, 2 at a time
    sent = len(sb.requests) - before
    handed = sum(len(page.raw) for page in pages)
    assert handed > 2000  # the rest comes when asked for
    assert sent < 20, sent
    client.close()


def test_within_its_budget_a_merge_reads_its_frontier_first_then_breadth_first() -> None:
    """The partitions the merge needs soonest read first (the export keeps pace), then the
    others by how few pages they have read (no partition's chain of pages left to the end,
    read one round trip at a time while the rest wait)."""
    fake = FakeList(messages(3000, START, dt.timedelta(minutes=7)))  # 15 days, 4 pages a day
    reader = reader_of(SENT)
    assert reader.merge is not None
    orders = []
    while reader.pending:
        starved = set(reader.merge.waiting)
        by_request = {id(p.request): p for p in reader.parts if p.request is not None}
        ahead = [by_request[id(r)] for r in reader.pending if id(r) in by_request]
        ahead = [p for p in ahead if p.stream not in starved]
        orders.append([p.reader.number for p in ahead[AHEAD_OVER_BUDGET:]])
        for request in list(reader.pending)[:3]:  # a few answers at a time
            reader.feed(fake.answer(request), request)
    assert all(order == sorted(order) for order in orders)
    assert any(len(set(order)) > 1 for order in orders)  # pages read differed: it was sorted


def test_the_newest_days_are_read_while_the_account_is_asked_for() -> None:
    """An unbounded scan sends the account (its lower bound) and the newest days, a day
    each, at once: what it would otherwise send a round trip later, and split from wider
    spans a round trip after that. The records and their order are the walk's."""
    fake = FakeList(messages(2000, START, dt.timedelta(minutes=20)))  # 28 days to Feb 6
    reader = reader_of(SENT, today=dt.date(2026, 2, 10))
    first = list(reader.pending)
    assert first[0].target == f"/Accounts/{SID}.json"
    days = [dict(urllib.parse.parse_qsl(r.target.split("?", 1)[1])) for r in first[1:]]
    assert len(days) == READ_AHEAD_DAYS
    assert days[0].get("DateSent>") == "2026-02-10" and "DateSent<" not in days[0]  # open above
    assert [d.get("DateSent") for d in days[1:]] == [
        str(dt.date(2026, 2, 10) - dt.timedelta(days=n)) for n in range(1, READ_AHEAD_DAYS)
    ]
    assert [r["sid"] for r in _answer_all(reader, fake, account_last=True)] == walk(fake, SENT)


def test_an_account_younger_than_the_days_read_ahead_still_reads_what_is_older() -> None:
    """The account made after the oldest day read ahead: one span open below reads what
    is older than it (a record older than its account is read all the same)."""
    fake = FakeList(messages(600, START, dt.timedelta(hours=1)))  # 25 days from Jan 10
    fake.account_created = "Thu, 29 Jan 2026 00:00:00 +0000"  # younger than most of them
    reader = reader_of(SENT, today=dt.date(2026, 2, 4))
    assert [r["sid"] for r in _answer_all(reader, fake, account_last=True)] == walk(fake, SENT)


def test_the_merge_holds_the_days_read_ahead_until_the_account_comes() -> None:
    """A message created long before it was sent (scheduled) comes after messages sent
    earlier but created later: the merge gives nothing until every span is in."""
    made = messages(400, START, dt.timedelta(hours=2))  # 33 days from Jan 10
    scheduled = {
        "sid": "SM" + "f" * 32,
        "date_created": rfc(START + dt.timedelta(days=3)),  # listed among Jan 13's
        "date_sent": rfc(START + dt.timedelta(days=33)),  # sent on the newest day
    }
    fake = FakeList(
        sorted([*made, scheduled], key=lambda r: dates.parse_rfc2822(r["date_created"]))
    )
    reader = reader_of(SENT, today=(START + dt.timedelta(days=33)).date())
    got = [r["sid"] for r in _answer_all(reader, fake, account_last=True)]
    assert got == walk(fake, SENT) and scheduled["sid"] in got


def _answer_all(reader: Any, fake: FakeList, *, account_last: bool) -> list[dict[str, Any]]:
    """Every record the reader gives, each pending request answered; the account's
    answer after all the others of the first round when ``account_last``."""
    got: list[dict[str, Any]] = []
    first = True
    while reader.pending:
        batch = list(reader.pending)
        if first and account_last:
            batch = batch[1:] + batch[:1]
        first = False
        for request in batch:
            if request in reader.pending:
                got += reader.feed(fake.answer(request), request).records
    return got


def test_a_schedule_with_nothing_to_send_sleeps() -> None:
    """Its caller far behind (nothing will be sent) and a refused page due again: the
    schedule's wait for answers sleeps, it does not return at once (its loop would turn
    without sleeping, taking CPU the caller needs to catch up)."""
    run: reads.ReadSchedule[Any, reads.PageGet]
    run = reads.ReadSchedule(reader_of(SENT), WORKERS, 5, reads.PageGet)
    [job] = list(run.due())[:1]
    run._again(job, 0.0)  # refused, due again now; nothing in flight
    started = time.monotonic()
    assert reads._answers(run, idle=True) == []
    assert time.monotonic() - started >= reads._POLL * 0.9
    started = time.monotonic()
    assert reads._answers(run) == []  # not idle: back at once, to send what is due
    assert time.monotonic() - started < reads._POLL / 2


def test_the_days_read_ahead_stop_at_the_budget_while_the_account_waits() -> None:
    """The merge holds the days read ahead until the account comes: past its budget they
    read no further (an account answer slow, refused or retried holds no more)."""
    fake = FakeList(messages(3000, START, dt.timedelta(minutes=10)))  # 21 days, 3 pages a day
    reader = reader_of(SENT, budget=200, today=(START + dt.timedelta(days=21)).date())
    assert reader.merge is not None
    account = reader.pending[0]
    while len(reader.pending) > 1:
        for request in reader.pending[1:]:
            reader.feed(fake.answer(request), request)
    assert reader.pending == [account]
    assert 200 <= reader.merge.buffered <= 200 + READ_AHEAD_DAYS * 50  # a round past it
    sent = len(fake.sent)
    reader.feed(fake.answer(account), account)
    assert len(fake.sent) == sent + 1
    assert [r["sid"] for r in _answer_all(reader, fake, account_last=False)]


def test_a_timestamp_with_no_utc_day_is_no_day() -> None:
    """Twilio's form read in year 9999 with a negative offset is in year 10000 in UTC: no
    day (a split reads past it), and ValueError from the dates module, not OverflowError."""
    late = "Fri, 31 Dec 9999 23:30:00 -0100"
    how = partitioning(SENT.query, SENT.query.compile(SID))
    assert how.day({"date_sent": late}) is None
    with pytest.raises(ValueError, match="UTC form"):
        dates.rfc2822_day(late)


def test_a_sorted_read_in_partitions_shows_its_account_and_decoder() -> None:
    """A read in partitions sorted on the client (order_by) is driven as its partitions
    are: its account request may be refused (fed as None), its pages decoded alike."""
    qs = SENT.order_by("to")
    sorted_reader = open_partitions(
        qs.query,
        qs.query.compile(SID),
        "sid",
        "http://api",
        today=dt.date(2026, 2, 1),
        account=ApiRequest("GET", f"/Accounts/{SID}.json"),
        keys=["to"],
    )
    assert isinstance(sorted_reader, SortedReader)
    inner = sorted_reader.inner
    assert isinstance(inner, PartitionReader)
    assert sorted_reader.account is inner.account is not None
    assert sorted_reader.decode is inner.decode
    fake = FakeList(messages(300, START, dt.timedelta(hours=2)), account_created=None)
    got = [r["sid"] for r in _answer_all(sorted_reader, fake, account_last=False)]
    assert sorted(got) == sorted(walk(fake, SENT))


def test_an_upper_bound_without_a_lower_one_reads_each_day_once() -> None:
    """``date_sent__lte`` alone: the days read ahead end at the query's bound and the
    spans started when the account comes lie below them (not over the same days)."""
    fake = FakeList(messages(2000, START, dt.timedelta(minutes=20)))  # 28 days from Jan 10
    qs = Message.objects.filter(date_sent__lte=dt.date(2026, 1, 30)).page_size(50)
    reader = reader_of(qs, today=dt.date(2026, 2, 20))  # the account asked for: no lower bound
    got = [r["sid"] for r in _answer_all(reader, fake, account_last=True)]
    bound = dt.date(2026, 1, 30)
    sent = [r for r in reversed(fake.records) if dates.rfc2822_day(r["date_sent"]) <= bound]
    assert got == [r["sid"] for r in sent]
    spans = sorted(reader.spans, key=lambda s: s.first or dt.date.min)
    for lower, upper in itertools.pairwise(spans):
        assert lower.last is not None and upper.first is not None and lower.last < upper.first
