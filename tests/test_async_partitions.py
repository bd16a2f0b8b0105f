"""What only the async driver of a scan in partitions shows (``twiliorm.aio.reads``).

``tests/test_partitions.py`` runs under both drivers (``tests/async_driver.py``): the same
records in the same order as the sequential walk. Here, over HTTP against the sandbox, with
a transport that watches what the async client has in flight: the same requests as the sync
driver, the requests of a scan in flight together, a 429 that slows the scan down and loses
nothing, and a scan left mid-way (its task cancelled, or a ``break``) that leaves no task
running and nothing for asyncio to warn about.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import gc
import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import twiliorm
import twiliorm.aio.aiohttp
from twiliorm import AsyncClient, Message
from twiliorm.aio import async_client_for
from twiliorm.bulk.engine import Status
from twiliorm.bulk.reads import PageGet
from twiliorm.partitions import FIRST_SPANS
from twiliorm.protocol import ApiRequest
from twiliorm.sandbox import Clock, Sandbox
from twiliorm.sandbox.populate import populate_messages
from twiliorm.transport import Request, Response, raise_for_status

from .helpers import record

pytestmark = pytest.mark.anyio
UTC = dt.timezone.utc


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Watched:
    """The async client's real transport, watched: every URL sent, and how many requests
    were in flight at once (``peak``; ``levels``: the count as each one left)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.urls: list[str] = []
        self.levels: list[int] = []
        self.inflight = 0

    @property
    def peak(self) -> int:
        return max(self.levels, default=0)

    async def send(self, request: Request) -> Response:
        self.urls.append(request.url)
        self.inflight += 1
        self.levels.append(self.inflight)
        try:
            response: Response = await self.inner.send(request)
            return response
        finally:
            self.inflight -= 1

    async def aclose(self) -> None:
        await self.inner.aclose()


def sandbox(**options: Any) -> Sandbox:
    """A sandbox whose account was made 40 days ago, on a clock that moves only when told
    (the days of the partitions, and so their requests, are the same for every read)."""
    start = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(days=40)
    made = Sandbox(clock=Clock(frozen=True, start=start), **options)
    made.start()
    made.advance(40 * 86400)
    return made


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    made = sandbox(latency_ms=40)
    try:
        populate_messages(made.app, 1500, step=1800)  # the last 31 days, 48 a day
        yield made
    finally:
        made.stop()


async def watched_client(sb: Sandbox) -> tuple[AsyncClient, Watched]:
    client = AsyncClient(sb.account_sid, sb.auth_token, base_url=sb.base_url)
    watched = Watched(client.transport)
    client.transport = watched
    return client, watched


@pytest.fixture
async def aclient(sb: Sandbox) -> AsyncIterator[tuple[AsyncClient, Watched]]:
    client, watched = await watched_client(sb)
    async with client:
        yield client, watched


def scan(client: Any) -> twiliorm.QuerySet[Message]:
    """Every sent message, 50 a page: a scan the walk reads page after page."""
    return Message.objects.using(client).filter(date_sent__isnull=False).page_size(50)


def whole_scan(sb: Sandbox) -> int:
    """The requests of the whole scan, read by the sync driver (their number depends on
    the time of day the test runs at: the days of the partitions are the clock's)."""
    before = len(sb.requests)
    with sb.client() as client:
        [page.raw for page in scan(client).concurrently(6).pages()]
    return len(sb.requests) - before


async def sids(qs: twiliorm.QuerySet[Any]) -> list[str]:
    return [record["sid"] async for page in qs.apages() for record in page.raw]


async def test_the_async_driver_sends_the_sync_drivers_requests_and_reads_its_records(
    sb: Sandbox, aclient: tuple[AsyncClient, Watched]
) -> None:
    client, watched = aclient
    now = dt.datetime.now(UTC)
    bounded = dict(date_sent__gte=now - dt.timedelta(days=20), date_sent__lt=now)
    sync = sb.client()
    recorder = record(sync)
    try:
        for qs in (scan(sync).filter(**bounded), scan(sync)):  # bounded; from the account's day
            del recorder.requests[:], watched.urls[:]
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # in partitions every request is narrowed
                expected = [r["sid"] for page in qs.concurrently(8).pages() for r in page.raw]
                got = await sids(qs.using(client).concurrently(8))
            assert got == expected and len(got) > 900
            assert sorted(watched.urls) == sorted(r.url for r in recorder.requests)
    finally:
        sync.close()


async def test_the_requests_of_a_scan_are_in_flight_together(
    sb: Sandbox, aclient: tuple[AsyncClient, Watched]
) -> None:
    client, watched = aclient
    with pytest.warns(twiliorm.ScanWarning):
        walked = await sids(scan(client))
    assert watched.peak == 1  # the walk: one page after the other (the next one fetched ahead)
    del watched.levels[:]
    assert await sids(scan(client).concurrently(8)) == walked
    assert 4 <= watched.peak <= 8


async def test_the_first_spans_go_at_once() -> None:
    """A read's limiter starts at its workers (GETs), under asyncio as in threads."""
    slow = sandbox(latency_ms=150)
    try:
        client, watched = await watched_client(slow)
        async with client:
            year = Message.objects.using(client).filter(
                date_sent__gte=dt.date(2024, 1, 1), date_sent__lte=dt.date(2024, 12, 31)
            )
            assert [m async for m in year.concurrently(8)] == []
        assert len(watched.levels) == FIRST_SPANS == watched.peak
    finally:
        slow.stop()


async def test_a_429_slows_the_scan_down_and_loses_nothing() -> None:
    capped = sandbox(concurrency_limit=2, latency_ms=20)
    try:
        populate_messages(capped.app, 1200, step=2400)
        client, watched = await watched_client(capped)
        async with client:
            with pytest.warns(twiliorm.ScanWarning):
                walked = await sids(scan(client))
            start, watched.levels[:] = len(capped.requests), []
            assert await sids(scan(client).concurrently(12)) == walked
        answers = [r.status for r in capped.requests[start:]]
        assert set(answers) == {200, 429}
        # Refused at first (the read starts with the account and the newest days at once),
        # then slowed down to the cap: the limit drops at a 429 (one the client did not
        # resend by itself), so the rest of the scan stays near it.
        later = watched.levels[len(watched.levels) // 2 :]
        assert answers[20:].count(429) < len(answers[20:]) // 10 and max(later) <= 3
    finally:
        capped.stop()


def _unfinished(known: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    """The tasks running but this one and ``known`` (the test runner's)."""
    return asyncio.all_tasks() - known - {asyncio.current_task()}  # type: ignore[operator]


async def _settled(known: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    """The tasks still running once the loop had a few turns (generators left by a
    ``break`` are closed by asyncio's finalizer, a task of their own)."""
    for _ in range(50):
        gc.collect()
        await asyncio.sleep(0.01)
        if not _unfinished(known):
            break
    return _unfinished(known)


async def test_a_scan_left_mid_way_leaves_no_task_running_and_no_warning(
    sb: Sandbox, aclient: tuple[AsyncClient, Watched]
) -> None:
    client, watched = aclient
    whole = whole_scan(sb)
    known = asyncio.all_tasks()
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda loop, context: reported.append(context))
    first = asyncio.Event()
    got: list[Any] = []

    async def consume() -> None:
        async for page in scan(client).concurrently(3).apages():
            got.append(page)
            first.set()

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        task = asyncio.create_task(consume())
        await asyncio.wait_for(first.wait(), 10)
        for _ in range(100):  # the scan goes on while the caller reads
            if watched.inflight:
                break
            await asyncio.sleep(0.01)
        assert watched.inflight > 0 and not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert watched.inflight == 0 and not _unfinished(known)  # stopped before the task ended
        read = len(watched.urls)
        async for _ in scan(client).concurrently(3):  # left by a break
            break
        assert not await _settled(known) and watched.inflight == 0
        gc.collect()
        await asyncio.sleep(0.2)
    loop.set_exception_handler(None)
    assert len(got) < read < whole
    assert not reported and not [str(w.message) for w in caught]


class Counted(twiliorm.aio.aiohttp.AiohttpTransport):
    """The default transport, counting what it sends and how often it was closed."""

    made: list[Counted] = []

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.sent = self.closed = 0
        self.made.append(self)

    async def send(self, request: Request) -> Response:
        self.sent += 1
        return await super().send(request)

    async def aclose(self) -> None:
        self.closed += 1
        await super().aclose()


async def test_a_scan_sends_through_the_clients_own_connections_and_makes_none(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A read is often a few requests: its connections are the client's, warm and kept (a
    # pool made and closed for each read cost 30% on short reads); the client's policy and
    # its place as the sync client's twin stay as they were.
    monkeypatch.setattr(Counted, "made", [])
    monkeypatch.setattr(twiliorm.aio.aiohttp, "AiohttpTransport", Counted)
    client = AsyncClient(sb.account_sid, sb.auth_token, base_url=sb.base_url)
    policy = client.retry
    whole = whole_scan(sb)
    async with client:
        assert len(await sids(scan(client).concurrently(6))) > 900
        [own] = Counted.made
        assert own.sent >= whole and own.closed == 0
        assert async_client_for(client.sync) is client and client.retry is policy


def _answered(job: PageGet, status: int, body: bytes, headers: dict[str, str]) -> Any:
    """Drive ``job``'s steps by hand (no socket): the request it asks for, and its outcome
    once sent the answer (or the exception a client raises for it)."""
    steps = job.steps()
    asked = steps.send(None)
    assert not isinstance(asked, float)  # a request, not a wait
    method, target, form = asked
    response = Response(status, headers, body)
    try:
        raise_for_status(Request(method, "https://api.twilio.com" + target), response)
        step = functools.partial(steps.send, response)
    except Exception as exc:  # what the client raises for that answer, thrown in
        step = functools.partial(steps.throw, exc)
    with pytest.raises(StopIteration) as done:
        step()
    return (method, target, form), done.value.value


def test_a_page_get_is_one_sans_io_step_as_every_bulk_job() -> None:
    # read_concurrently drives it with engine.drive, aread_concurrently with adrive
    page = ApiRequest("GET", "/2010-04-01/Accounts/AC1/Messages.json", (("PageSize", "50"),))
    sent, outcome = _answered(PageGet(page), 200, b'{"messages": []}', {})
    assert sent == ("GET", page.target, ()) and outcome.status is Status.DONE
    assert outcome.value == {"messages": []}
    _, refused = _answered(PageGet(page), 429, b"{}", {"Retry-After": "2"})
    assert refused.status is Status.REFUSED and refused.wait == 2
    assert _answered(PageGet(page), 200, b"{cut", {})[1].status is Status.RETRY
    assert _answered(PageGet(page), 503, b"{}", {})[1].status is Status.RETRY
    account = ApiRequest("GET", "/2010-04-01/Accounts/AC1.json")
    assert _answered(PageGet(account, True), 403, b"{}", {})[1].value is None
    assert _answered(PageGet(account), 403, b"{}", {})[1].status is Status.FAILED
