"""Scans in date partitions (twiliorm.partitions): the same records, in the same order, as the
sequential walk, for fewer round trips.

Three layers: the planner and its spans (no I/O); :class:`PartitionReader` fed by an
in-memory list that answers Twilio's by-day filters (exact request counts, a list changing
between two requests); and reads over HTTP against the sandbox, compared with the
sequential walk of the same query (date-bounded, unbounded with the account's creation day
as the lower bound, records without the partition field, records created and deleted while
the scan runs), the bulk calls that partition by default, and ``partitions()`` pickled.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import pickle
import urllib.parse
import warnings
from collections.abc import Iterator
from typing import Any

import attrs
import hypothesis as hyp
import pytest
from hypothesis import strategies as hyp_st

import twiliorm
from twiliorm import Call, Message, Recording, dates
from twiliorm.client import set_client
from twiliorm.ordering import Ordering
from twiliorm.partitions import (
    API_EPOCH,
    FIRST_SPANS,
    PartitionReader,
    Span,
    cut,
    open_partitions,
    partitioning,
)
from twiliorm.protocol import ApiRequest, Merge, RawPage
from twiliorm.sandbox import Clock, Sandbox
from twiliorm.sandbox.populate import populate_calls, populate_messages
from twiliorm.sandbox.server import Gate

UTC = dt.timezone.utc
SID = "AC" + "0" * 32
TODAY = dt.date(2026, 3, 1)


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


# --- the planner: which field, which days (no I/O) -----------------------------------------------


def how(qs: twiliorm.QuerySet[Any]) -> Any:
    return partitioning(qs.query, qs.query.compile(SID))


def test_a_field_that_can_be_empty_is_used_only_when_the_query_requires_it() -> None:
    assert not how(Message.objects.all()).usable
    assert "cannot ask for the Message records without one" in str(how(Message.objects.all()))
    assert "date_sent__isnull=False" in str(how(Message.objects.filter(to="+15558675310")))
    assert not how(Call.objects.all()).usable  # start_time: empty for a call never answered
    for qs in (
        Message.objects.filter(date_sent__isnull=False),
        Message.objects.filter(date_sent__gte=dt.date(2026, 1, 1)),
        Message.objects.filter(date_sent__lt=dt.datetime(2026, 1, 1, 9, tzinfo=UTC)),
    ):
        assert how(qs).field == "date_sent"
    assert how(Call.objects.filter(end_time__isnull=False)).field == "end_time"
    # The field the list is ordered by is in every record: partitioned as it is.
    assert how(Recording.objects.all()).field == "date_created"


def test_the_days_are_the_ones_the_query_sends() -> None:
    noon = dt.datetime(2026, 1, 5, 12, tzinfo=UTC)
    bounded = how(Message.objects.filter(date_sent__gt=noon, date_sent__lt=dt.date(2026, 2, 1)))
    assert (bounded.first, bounded.last) == (day("2026-01-05"), day("2026-01-31"))
    open_below = how(Message.objects.filter(date_sent__lte=dt.date(2026, 2, 1)))
    assert (open_below.first, open_below.last) == (None, day("2026-02-01"))


def test_what_is_not_partitioned_says_why() -> None:
    one_day = Message.objects.filter(date_sent=dt.date(2026, 1, 5))
    assert "one day" in str(how(one_day))
    assert "slice" in str(how(Message.objects.filter(date_sent__isnull=False)[:10]))
    either = Message.objects.filter(date_sent__isnull=False).filter(
        twiliorm.Q(to="+15558675310") | twiliorm.Q(from_="+15558675310")
    )
    assert "an or" in str(how(either))
    assert "a fetch by SID" in str(how(Message.objects.filter(sid="SM" + "a" * 32)))


def test_explain_shows_the_partitions_and_when_they_are_used() -> None:
    qs = Message.objects.filter(date_sent__gte=dt.date(2026, 1, 1))
    assert "partitions: by date_sent: from 2026-01-01 to today" in qs.explain()
    assert "used by export(), update(), delete(), count(), in_bulk()" in qs.explain()
    assert "used: concurrently(8)" in qs.concurrently(8).explain()
    assert "not used: concurrently(None)" in qs.concurrently(None).explain()
    assert "partitions: none:" in Message.objects.all().explain()


def test_the_first_spans_cut_the_days_evenly_and_leave_unbounded_ends_open() -> None:
    assert cut(day("2026-01-01"), day("2026-01-10"), 3) == [
        (day("2026-01-01"), day("2026-01-03")),
        (day("2026-01-04"), day("2026-01-06")),
        (day("2026-01-07"), day("2026-01-10")),
    ]
    assert cut(day("2026-01-01"), day("2026-01-02"), 4) == [
        (day("2026-01-01"), day("2026-01-01")),
        (day("2026-01-02"), day("2026-01-02")),
    ]
    spans = how(Message.objects.filter(date_sent__isnull=False)).spans(day("2026-01-01"), TODAY)
    assert len(spans) == FIRST_SPANS and spans[0].first is None and spans[-1].last is None
    assert [s.first for s in spans[1:]] == [s.last + dt.timedelta(days=1) for s in spans[:-1]]


def test_a_partition_is_a_query_sending_its_days_in_place_of_the_querys() -> None:
    qs = Message.objects.filter(to="+15558675310", date_sent__gte=dt.date(2026, 1, 1))
    part = attrs.evolve(qs.query, partition=Span("date_sent", day("2026-01-05"), day("2026-01-09")))
    plan = part.compile(SID)
    assert plan.params == (
        ("To", "+15558675310"),
        ("DateSent>", "2026-01-05"),
        ("DateSent<", "2026-01-09"),
    )
    assert "date_sent from 2026-01-05 to 2026-01-09 (a partition)" in str(plan)
    one = attrs.evolve(qs.query, partition=Span("date_sent", day("2026-01-05"), day("2026-01-05")))
    assert ("DateSent", "2026-01-05") in one.compile(SID).params


# --- the reader, fed by a list in memory ---------------------------------------------------------


@attrs.define
class FakeList:
    """A Messages list answering DateSent filters by day and PageToken paging, newest first."""

    records: list[dict[str, Any]]  # oldest first: the end of the list is its top
    account_created: str | None = "Thu, 01 Jan 2026 00:00:00 +0000"
    sent: list[str] = attrs.field(factory=list)

    def answer(self, request: ApiRequest) -> Any:
        self.sent.append(request.target)
        if "/Messages.json" not in request.target:
            if self.account_created is None:
                return None
            return {"sid": SID, "date_created": self.account_created}
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(request.target).query))
        size = int(query.get("PageSize", "50"))
        after = int(query.get("PageToken", "0") or 0)
        kept = [
            (n, r)
            for n, r in enumerate(self.records)
            if _matches(r, query) and (not after or n < after)
        ]
        kept.reverse()
        page = kept[:size]
        more = len(kept) > size
        link = f"/Messages.json?{_without_token(query)}&PageToken={page[-1][0]}" if more else None
        return {"messages": [dict(r) for _, r in page], "next_page_uri": link}


def _matches(record: dict[str, Any], query: dict[str, str]) -> bool:
    sent = record.get("date_sent")
    iso = None if sent is None else twiliorm.dates.parse_rfc2822(sent).date().isoformat()
    for param, test in (("DateSent>", "ge"), ("DateSent<", "le"), ("DateSent", "eq")):
        if param in query:
            bound = query[param]
            if iso is None or not getattr(iso, f"__{test}__")(bound):
                return False
    return True


def _without_token(query: dict[str, str]) -> str:
    return urllib.parse.urlencode({k: v for k, v in query.items() if k != "PageToken"})


def rfc(moment: dt.datetime) -> str:
    return twiliorm.dates.format_rfc2822(moment)


def messages(count: int, start: dt.datetime, step: dt.timedelta) -> list[dict[str, Any]]:
    """``count`` messages, oldest first, each sent a second after it was created."""
    made = []
    for n in range(count):
        created = start + n * step
        made.append(
            {
                "sid": f"SM{n:032x}",
                "date_created": rfc(created),
                "date_sent": rfc(created + dt.timedelta(seconds=1)),
            }
        )
    return made


def reader_of(qs: twiliorm.QuerySet[Any], **options: Any) -> PartitionReader:
    options.setdefault("today", TODAY)
    options.setdefault("account", ApiRequest("GET", f"/Accounts/{SID}.json"))
    reader = open_partitions(qs.query, qs.query.compile(SID), "sid", "http://api", **options)
    assert isinstance(reader, PartitionReader)
    return reader


def drive(reader: PartitionReader, fake: FakeList, *, at_once: bool = True) -> Iterator[RawPage]:
    """Answer what the reader asks for: every pending request at once (in order), or one."""
    while reader.pending:
        for request in list(reader.pending) if at_once else [reader.pending[0]]:
            if request in reader.pending:
                yield reader.feed(fake.answer(request), request)


def sids(pages: Iterator[RawPage]) -> list[str]:
    return [record["sid"] for page in pages for record in page.records]


def walk(fake: FakeList, qs: twiliorm.QuerySet[Any]) -> list[str]:
    """The sequential walk of ``qs`` over ``fake``: the list, newest first, tested."""
    test = qs.query.compile(SID).predicate
    return [r["sid"] for r in reversed(fake.records) if test is None or test(r)]


SENT = Message.objects.filter(date_sent__isnull=False).page_size(50)
START = dt.datetime(2026, 1, 10, tzinfo=UTC)


@pytest.mark.parametrize("at_once", [True, False])
def test_the_merge_gives_the_sequential_walks_records_in_its_order(at_once: bool) -> None:
    fake = FakeList(messages(2000, START, dt.timedelta(minutes=20)))  # 28 days, 72 a day
    reader = reader_of(SENT)
    assert sids(drive(reader, fake, at_once=at_once)) == walk(fake, SENT)
    assert fake.sent[0] == f"/Accounts/{SID}.json"  # the lower bound, asked once
    assert sum("/Accounts/" in t and "Messages" not in t for t in fake.sent) == 1
    assert reader.splits > 0 and len(reader.spans) > FIRST_SPANS


def test_a_split_keeps_the_first_page_and_the_pieces_leave_its_records_out() -> None:
    fake = FakeList(messages(400, START, dt.timedelta(hours=1)))
    reader = reader_of(SENT)
    got = sids(drive(reader, fake))
    assert got == walk(fake, SENT) and len(set(got)) == len(got)
    # No page was read twice for nothing: each request but the account's gave records.
    pages = [t for t in fake.sent if "Messages" in t]
    assert len(pages) <= 400 // 50 + reader.splits + FIRST_SPANS + 17


def test_an_empty_year_costs_a_request_a_span() -> None:
    fake = FakeList(messages(300, START, dt.timedelta(hours=2)))
    year = Message.objects.filter(
        date_sent__gte=dt.date(2024, 1, 1), date_sent__lte=dt.date(2024, 12, 31)
    )
    assert sids(drive(reader_of(year), fake)) == []
    assert len(fake.sent) == FIRST_SPANS  # four spans, one request each, no account


def test_a_year_with_records_in_its_last_days_costs_a_few_dozen_requests() -> None:
    fake = FakeList(messages(1500, dt.datetime(2026, 2, 20, tzinfo=UTC), dt.timedelta(minutes=8)))
    fake.account_created = "Wed, 01 Jan 2025 00:00:00 +0000"  # 14 months before TODAY
    reader = reader_of(SENT)
    assert sids(drive(reader, fake)) == walk(fake, SENT)
    assert len(fake.sent) <= 1 + 30 + 60  # account + 30 pages of records + splits: not 425 days


def test_an_account_that_cannot_be_read_bounds_the_scan_at_the_apis_first_day() -> None:
    fake = FakeList(messages(200, START, dt.timedelta(hours=3)), account_created=None)
    reader = reader_of(SENT)
    assert sids(drive(reader, fake)) == walk(fake, SENT)
    assert reader.floor == API_EPOCH


def test_records_dated_outside_the_bounds_are_read_by_the_open_ends() -> None:
    # Older than the account (a sandbox populated backwards) and dated after "today".
    fake = FakeList(messages(300, dt.datetime(2025, 12, 20, tzinfo=UTC), dt.timedelta(hours=6)))
    fake.account_created = "Thu, 01 Jan 2026 00:00:00 +0000"
    reader = reader_of(SENT, today=dt.date(2026, 1, 20))
    assert sids(drive(reader, fake)) == walk(fake, SENT)


def test_unordered_reads_give_the_same_records_as_they_come() -> None:
    fake = FakeList(messages(900, START, dt.timedelta(minutes=45)))
    got = sids(drive(reader_of(SENT, ordered=False), fake))
    assert sorted(got) == sorted(walk(fake, SENT)) and len(set(got)) == len(got)


def test_the_client_test_still_refines_each_partition() -> None:
    fake = FakeList(messages(600, START, dt.timedelta(minutes=50)))
    after = dt.datetime(2026, 1, 15, 13, 30, tzinfo=UTC)
    qs = Message.objects.filter(date_sent__gt=after).page_size(40)
    assert sids(drive(reader_of(qs), fake)) == walk(fake, qs)


def test_a_list_changing_between_requests_loses_nothing_that_stayed() -> None:
    """Records created or deleted while the scan runs: one that was there throughout is read
    once; one deleted is read if its page came before; one created is read if its
    partition's pages came after (a new record is at the top of the top partition)."""
    fake = FakeList(messages(600, START, dt.timedelta(hours=1)))
    stayed = {r["sid"] for r in fake.records}
    reader = reader_of(SENT)
    got: list[str] = []
    created: list[str] = []
    deleted: list[str] = []
    for number, page in enumerate(drive(reader, fake)):
        got += [r["sid"] for r in page.records]
        if number == 20:  # mid-scan: a new message, and one deleted from each end of the list
            new = messages(1, dt.datetime(2026, 2, 28, tzinfo=UTC), dt.timedelta(0))[0]
            new["sid"] = "SM" + "f" * 32
            fake.records.append(new)
            created.append(new["sid"])
            deleted += [fake.records.pop(0)["sid"], fake.records.pop(-2)["sid"]]
    stayed -= set(deleted)
    assert len(got) == len(set(got))  # nothing twice
    assert stayed <= set(got) <= stayed | set(created) | set(deleted)
    order = {r["sid"]: n for n, r in enumerate(reversed(fake.records))}
    listed = [s for s in got if s in order]
    assert listed == sorted(listed, key=order.__getitem__)  # still in the list's order


# --- over HTTP, against the sequential walk ------------------------------------------------------


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A sandbox whose account was made 40 days ago, on a clock that moves only when told."""
    start = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(days=40)
    with Sandbox(clock=Clock(frozen=True, start=start)) as sandbox:
        sandbox.advance(40 * 86400)
        yield sandbox


@pytest.fixture
def client(sb: Sandbox) -> Iterator[twiliorm.Client]:
    client = sb.client()
    set_client("partitions", client)
    try:
        yield client
    finally:
        set_client("partitions", None)
        client.close()


def listed(qs: twiliorm.QuerySet[Any]) -> list[str]:
    return [record["sid"] for page in qs.pages() for record in page.raw]


def requests_of(sb: Sandbox, since: int) -> list[Any]:
    return sb.requests[since:]


def test_a_date_bounded_query_reads_what_the_walk_reads(sb: Sandbox, client: Any) -> None:
    populate_messages(sb.app, 3000, step=900)  # 31 days, 96 a day
    now = dt.datetime.now(UTC)
    qs = Message.objects.using(client).filter(
        date_sent__gte=now - dt.timedelta(days=20), date_sent__lt=now - dt.timedelta(days=3)
    )
    qs = qs.page_size(100)
    walked = listed(qs)
    before = len(sb.requests)
    assert listed(qs.concurrently(8)) == walked and len(walked) > 1500
    sent = requests_of(sb, before)
    assert not any(r.path.endswith(f"{sb.account_sid}.json") for r in sent)  # bounded below
    assert [m.sid for m in qs.concurrently(8)] == walked  # iteration, models built


def test_an_unbounded_query_starts_at_the_accounts_creation_day(sb: Sandbox, client: Any) -> None:
    populate_messages(sb.app, 2500, step=1200)  # the last 35 days; the account is 40 days old
    qs = Message.objects.using(client).filter(date_sent__isnull=False).page_size(100)
    with pytest.warns(twiliorm.ScanWarning):
        walked = listed(qs)  # the sequential walk of it is a scan: nothing narrows it
    before = len(sb.requests)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # in partitions, every request is narrowed
        assert listed(qs.concurrently()) == walked and len(walked) == 2500
    accounts = [r for r in requests_of(sb, before) if r.path.endswith(f"{sb.account_sid}.json")]
    assert len(accounts) == 1


def test_records_without_the_partition_field(sb: Sandbox, client: Any) -> None:
    populate_messages(sb.app, 800, step=3000)
    later = dt.datetime.now(UTC) + dt.timedelta(days=3)
    queued = [  # scheduled: no date_sent until they go
        Message.objects.using(client).create(
            to="+15558675310", from_="+15017122661", body="hi", schedule_type="fixed", send_at=later
        )
        for _ in range(5)
    ]
    assert all(m.date_sent is None and m.status == "scheduled" for m in queued)
    every = Message.objects.using(client).page_size(100)
    assert "date_sent can be empty" in every.explain()
    walked = listed(every)
    assert listed(every.concurrently()) == walked  # not partitioned: the walk, all 805
    assert {m.sid for m in queued} <= set(walked) and len(walked) == 805
    sent = every.filter(date_sent__isnull=False)
    with pytest.warns(twiliorm.ScanWarning):
        walked_sent = listed(sent)
    assert (
        listed(sent.concurrently())
        == walked_sent
        == [s for s in walked if s not in {m.sid for m in queued}]
    )
    # Calls: populated ones not answered have no start_time; require it, or read it all.
    populate_calls(sb.app, 600, step=4000)
    calls = Call.objects.using(client).page_size(100)
    started = calls.filter(start_time__isnull=False)
    with pytest.warns(twiliorm.ScanWarning):
        walked_started = listed(started)
    assert listed(started.concurrently()) == walked_started and 0 < len(walked_started) < 600
    assert listed(calls.concurrently()) == listed(calls)


def test_records_created_and_deleted_during_the_scan(sb: Sandbox, client: Any) -> None:
    """The documented outcome (docs/scale.rst): a record there from start to end is read once;
    one deleted during the scan is read only if its page came first; one created is read only
    if its partition was read after it came; none twice; all in the list's order."""
    populate_messages(sb.app, 1500, step=1800)
    qs = Message.objects.using(client).filter(date_sent__isnull=False).page_size(50)
    with pytest.warns(twiliorm.ScanWarning):
        before = listed(qs)
    other = sb.client()
    got: list[dict[str, Any]] = []
    created: list[str] = []
    doomed = [before[10], before[700], before[-5]]
    for number, page in enumerate(qs.concurrently(4).pages()):
        got += page.raw
        if number == 2:
            for sid in doomed:
                Message.objects.using(other).get(sid=sid).delete()
            message = Message.objects.using(other).create(
                to="+15558675310", from_="+15017122661", body="late"
            )
            sb.advance(60)  # sent: it has a date_sent now
            created.append(message.sid)
    other.close()
    read = [r["sid"] for r in got]
    stayed = set(before) - set(doomed)
    assert len(read) == len(set(read))
    assert stayed <= set(read) <= stayed | set(doomed) | set(created)
    stamps = [twiliorm.dates.parse_rfc2822(r["date_created"]) for r in got]
    assert stamps == sorted(stamps, reverse=True)  # the list's order


def test_a_concurrency_cap_slows_the_scan_down_and_loses_nothing(client: Any) -> None:
    with Sandbox(concurrency_limit=2, latency_ms=20) as capped:
        populate_messages(capped.app, 1200, step=2400)
        c = capped.client()
        qs = Message.objects.using(c).filter(date_sent__isnull=False).page_size(50)
        with pytest.warns(twiliorm.ScanWarning):
            walked = listed(qs)
        assert listed(qs.concurrently(12)) == walked
        assert any(r.status == 429 for r in capped.requests)
        c.close()


# --- the bulk calls partition by default ---------------------------------------------------------


def csv_rows(qs: twiliorm.QuerySet[Any]) -> list[list[str]]:
    out = io.StringIO()
    qs.export(out, fields=["sid", "date_created", "date_sent", "body"])
    return list(csv.reader(io.StringIO(out.getvalue())))


def test_export_count_in_bulk_update_and_delete_read_in_partitions(
    sb: Sandbox, client: Any
) -> None:
    populate_messages(sb.app, 1200, step=1800)
    now = dt.datetime.now(UTC)
    qs = Message.objects.using(client).filter(date_sent__gte=now - dt.timedelta(days=15))
    qs = qs.page_size(60)
    before = len(sb.requests)
    exported = csv_rows(qs)
    # In partitions: requests bounded above too (the query is bounded below only).
    assert any("DateSent<" in r.params for r in requests_of(sb, before))
    assert exported == csv_rows(qs.concurrently(None)) and len(exported) > 600
    assert qs.count() == len(exported) - 1 == qs.concurrently(None).count()
    before = len(sb.requests)
    assert qs.count() == len(exported) - 1
    assert any("DateSent<" in r.params for r in requests_of(sb, before))  # in partitions
    before = len(sb.requests)
    assert list(qs.in_bulk()) == [row[0] for row in exported[1:]]
    assert any("DateSent<" in r.params for r in requests_of(sb, before))
    before = len(sb.requests)
    assert list(qs.in_bulk(field_name="date_created")) == sorted(  # unique here: 30 min apart
        (m.date_created for m in qs.concurrently(None)), reverse=True
    )
    assert any("DateSent<" in r.params for r in requests_of(sb, before))
    older = qs.filter(date_sent__lt=now - dt.timedelta(days=10))
    report = older.update(body="")
    assert report.succeeded == older.concurrently(None).count() > 0
    assert {m.body for m in older.concurrently(None)} == {""}
    assert int(older.delete()) == report.succeeded and older.count() == 0


# --- partitions as QuerySets of their own, picklable ---------------------------------------------


def test_partitions_are_picklable_querysets_that_read_every_record_once(
    sb: Sandbox, client: Any
) -> None:
    populate_messages(sb.app, 900, step=2400)
    qs = Message.objects.using("partitions").filter(date_sent__isnull=False).page_size(100)
    parts = qs.partitions(6)
    assert len(parts) == 6
    assert all(p.query.partition is not None for p in parts)
    shipped = [pickle.loads(pickle.dumps(part)) for part in parts]
    assert sb.auth_token.encode() not in pickle.dumps(parts)
    read = [sid for part in shipped for sid in listed(part)]
    with pytest.warns(twiliorm.ScanWarning):
        walked = listed(qs)
    assert sorted(read) == sorted(walked) and len(read) == len(set(read))
    assert "(a partition)" in shipped[2].explain()
    # Every message: not partitionable (date_sent can be empty), one partition: itself.
    assert len(Message.objects.using("partitions").partitions()) == 1


def test_other_filters_beside_the_days_are_not_read_as_days() -> None:
    """explain() of a query filtering on a number and a day (the quickstart's) works:
    only the partition field's own parameters are days."""
    qs = Message.objects.filter(to="+13453453344", date_sent__gte=dt.date(2026, 1, 1))
    assert "partitions:" in qs.explain()


def test_a_read_in_partitions_sends_its_first_requests_together(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Reads are GETs: a partitioned read's limiter starts at its workers (a 429 still
    slows it down, as above), so the first spans go at once, not two at a time."""
    levels: list[int] = []
    enter = Gate.enter

    @contextlib.contextmanager
    def counted(self: Gate, account: str) -> Iterator[tuple[bool, int]]:
        with enter(self, account) as (admitted, inflight):
            levels.append(inflight)
            yield admitted, inflight

    monkeypatch.setattr(Gate, "enter", counted)
    with Sandbox(latency_ms=150) as slow:
        c = slow.client()
        year = Message.objects.using(c).filter(
            date_sent__gte=dt.date(2024, 1, 1), date_sent__lte=dt.date(2024, 12, 31)
        )
        assert list(year.concurrently(8)) == []
        c.close()
    assert len(levels) == FIRST_SPANS and max(levels) == FIRST_SPANS


def test_a_days_full_first_page_is_not_read_for_days() -> None:
    """Only a span that can be split has its first page's days read: a one-day piece whose
    first page is full goes on page by page without parsing a date of it."""
    fake = FakeList(messages(400, START, dt.timedelta(minutes=5)))  # 288 a day: full pages
    reader = reader_of(SENT)
    parsed: list[Any] = []
    parse = reader.how.parse
    assert parse is not None

    def counting(raw: Any) -> Any:
        parsed.append(raw)
        return parse(raw)

    reader.how = attrs.evolve(reader.how, parse=counting)
    assert sids(drive(reader, fake)) == walk(fake, SENT)
    one_day = [s for s in reader.spans if s.first is not None and s.first == s.last]
    assert one_day and reader.splits > 0
    assert len(parsed) == 50 * reader.splits  # the first pages that were split, no others


# --- the merge's cost per record: keys made once and cheaply, the same order ---------------------


@hyp.settings(max_examples=300, deadline=None)
@hyp.given(
    hyp_st.lists(
        hyp_st.lists(hyp_st.one_of(hyp_st.none(), hyp_st.integers(0, 6)), min_size=0, max_size=12),
        min_size=1,
        max_size=5,
    ),
    hyp_st.lists(hyp_st.integers(1, 7), min_size=1, max_size=12),
)
def test_the_merge_gives_what_a_merge_record_by_record_gives(
    streams: list[list[int | None]], cuts: list[int]
) -> None:
    """Merge (runs taken against the rival head) against the plain definition: the records of
    every stream in the list's order (newest date_created first, none before any), equals in
    the order of their streams; fed page by page in any interleaving of the streams."""
    order = Ordering.of(Message._meta, Message._meta.ordering)
    base = dt.datetime(2026, 1, 1, tzinfo=UTC)

    def record(stream: int, at: int, minutes: int | None) -> dict[str, Any]:
        created = None if minutes is None else base + dt.timedelta(minutes=minutes)
        # Two of Twilio's shapes: equal instants must stay equal (the tie goes by stream).
        text = None if created is None else dates.format_rfc2822(created)
        if created is not None and (stream + at) % 3 == 0:
            text = dates.format_rfc2822(created.astimezone(dt.timezone(dt.timedelta(hours=2))))
        return {"sid": f"{stream}-{at}", "date_created": text}

    pages: list[list[list[dict[str, Any]]]] = []
    for s, stream in enumerate(streams):
        ordered = sorted(stream, key=lambda m: (m is not None, -(m or 0)))  # the list's order
        records = [record(s, i, m) for i, m in enumerate(ordered)]
        size = cuts[s % len(cuts)]
        pages.append([records[i : i + size] for i in range(0, len(records), size)])

    def rank(r: dict[str, Any]) -> tuple[int, float]:
        text = r["date_created"]
        return (0, 0.0) if text is None else (1, -dates.parse_rfc2822(text).timestamp())

    everything = [
        (rank(r), s, i, r)
        for s, ps in enumerate(pages)
        for i, r in enumerate([r for p in ps for r in p])
    ]
    expected = [r["sid"] for *_, r in sorted(everything, key=lambda t: t[:3])]

    merge = Merge(order)
    for _ in streams:
        merge.add()
    out: list[str] = []
    turn = 0
    while any(pages):
        s = cuts[turn % len(cuts)] % len(pages)
        turn += 1
        while not pages[s]:
            s = (s + 1) % len(pages)
        merge.put(s, pages[s].pop(0))
        if not pages[s]:
            merge.close(s)
        out += [r["sid"] for r in merge.take()]
    for s in range(len(streams)):
        merge.close(s)
    out += [r["sid"] for r in merge.take()]
    assert out == expected


def test_the_list_order_of_twilio_timestamps_is_their_instants_order() -> None:
    """The merge and client sorts compare Twilio's date_created as cheap keys: the same
    order as the instants, whatever the offset or form a payload writes them in."""
    order = Ordering.of(Message._meta, ["date_created"])
    moments = [
        "Thu, 30 Jul 2015 20:12:31 +0000",
        "Thu, 30 Jul 2015 22:12:30 +0200",  # a second earlier, written in another offset
        "Thu, 30 Jul 2015 20:12:31 -0000",  # the same instant, RFC 2822's unknown zone
        "2015-07-30T20:12:31.5Z",  # an ISO form the general parser falls back to
        "Thu, 30 Jul 2015 20:12:32 +0000",
        None,
    ]
    records = [{"sid": str(i), "date_created": m} for i, m in enumerate(moments)]
    assert [r["sid"] for r in order.sort(records)] == ["1", "0", "2", "3", "4", "5"]
    assert [r["sid"] for r in order.reversed().sort(records)] == ["5", "4", "3", "0", "2", "1"]


def test_isnull_asks_whether_there_is_a_value_not_what_it_is() -> None:
    """The client's ``__isnull`` test reads no date: a scan by date_sent__isnull=False asks
    it of every record, and a value twiliorm cannot read is still a value."""
    sent = Message.objects.filter(date_sent__isnull=False).query.compile(SID).predicate
    unsent = Message.objects.filter(date_sent__isnull=True).query.compile(SID).predicate
    assert sent is not None and unsent is not None
    for value, has in [("Thu, 30 Jul 2015 20:12:31 +0000", True), ("soon", True), (None, False)]:
        assert sent({"date_sent": value}) is has
        assert unsent({"date_sent": value}) is not has
    assert sent({}) is False and unsent({}) is True
