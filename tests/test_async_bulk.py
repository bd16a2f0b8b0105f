"""Async bulk work: what only the async calls have, and a job crossing drivers.

The bulk test modules (test_bulk, test_bulk_checkpoint, test_bulk_export,
test_bulk_errors, test_bulk_faults) run every test that goes through the
QuerySet or Manager API with both drivers (``tests/async_driver.py``), so
``aupdate()``, ``adelete()``, ``aexport()``, ``abulk_create()`` and
``abulk_update()`` already answer to their assertions, 429s and injected
faults included. Here: a job stopped under one driver and resumed under the
other (one checkpoint file, no record written twice), a cancelled task that
settles what it had in flight, the workers bound on the async transport,
``executor=`` refused, an async export byte for byte the sync one, creates
and deletes under every kind of fault, and creates whose tasks are cancelled
from outside (unknown, never resent).
"""

from __future__ import annotations

import asyncio
import collections
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import twiliorm
import twiliorm.aio.client
from twiliorm import AsyncClient, Call, Message
from twiliorm.bulk import Progress
from twiliorm.sandbox import Sandbox
from twiliorm.transport import Request, Response

from .test_bulk_faults import ANNOUNCE, FAULTS, in_progress_calls, processed_writes

CALLER = "+14155550100"


def new_messages(count: int) -> list[Message]:
    return [Message(to="+15558675310", from_=CALLER, body=f"#{n}") for n in range(count)]


class Stop(Exception):
    """What a progress callback raises to stop a job in the middle."""


def stop_after(count: int) -> Any:
    def progress(seen: Progress) -> None:
        if seen.done == count:
            raise Stop

    return progress


def call(driver: str, target: Any, method: str, *args: Any, **options: Any) -> Any:
    """``target.method(...)``, or ``await target.amethod(...)`` on a loop of its own."""
    if driver == "sync":
        return getattr(target, method)(*args, **options)
    return asyncio.run(getattr(target, "a" + method)(*args, **options))


OTHER = {"sync": "async", "async": "sync"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize("first", ["async", "sync"])
def test_a_bulk_create_stopped_under_one_driver_finishes_under_the_other(
    sandbox: Sandbox, client: twiliorm.Client, tmp_path: Path, first: str
) -> None:
    path = tmp_path / "create.ckpt"
    with pytest.raises(Stop):
        objects = new_messages(60)
        call(first, Message.objects, "bulk_create", objects, resume=path, progress=stop_after(20))
    created = processed_writes(sandbox.requests)
    assert 20 <= len(created) < 60
    # every create that happened is in the file, in flight ones included (settled first)
    assert path.read_text().count("\ndone #") == len(created)
    objects = new_messages(60)  # the same objects, as a script run again makes them
    report = call(OTHER[first], Message.objects, "bulk_create", objects, resume=path)
    assert report.ok and report.skipped == len(created) and report.succeeded == 60 - len(created)
    assert report.reasons["created in an earlier run"] == len(created)
    stored = [m.body for m in Message.objects.all()]
    assert len(stored) == len(set(stored)) == 60  # each object created once
    assert len(processed_writes(sandbox.requests)) == 60
    assert {o.sid for o in objects} == {m.sid for m in Message.objects.all()}


@pytest.mark.parametrize("first", ["async", "sync"])
def test_an_update_stopped_under_one_driver_finishes_under_the_other(
    sandbox: Sandbox, client: twiliorm.Client, tmp_path: Path, first: str
) -> None:
    sandbox.populate(80, 0)
    path = tmp_path / "redact.ckpt"
    with pytest.raises(Stop):
        call(first, Message.objects, "update", body="", resume=path, progress=stop_after(30))
    done = path.read_text().count("\ndone ")
    assert done == len(processed_writes(sandbox.requests)) >= 30
    report = call(OTHER[first], Message.objects, "update", body="", resume=path)
    assert report.ok and report.skipped == done and report.succeeded == 80 - done
    per_record = collections.Counter(processed_writes(sandbox.requests))
    assert len(per_record) == 80 and set(per_record.values()) == {1}


@pytest.mark.anyio
async def test_a_cancelled_redirect_settles_what_was_in_flight_and_resumes_sync(
    sandbox: Sandbox, client: twiliorm.Client, tmp_path: Path
) -> None:
    # A call's url cannot be read back: only the checkpoint can tell what was redirected.
    await asyncio.to_thread(in_progress_calls, sandbox, 40)
    start = len(sandbox.requests)
    path = tmp_path / "redirect.ckpt"
    calls = Call.objects.filter(status="in-progress")

    def cancel_at_ten(seen: Progress) -> None:
        if seen.done == 10:
            task.cancel()

    job = calls.aupdate(url=ANNOUNCE, workers=6, resume=path, progress=cancel_at_ten)
    task = asyncio.ensure_future(job)
    with pytest.raises(asyncio.CancelledError):
        await task
    first = processed_writes(sandbox.requests[start:])
    text = path.read_text()
    assert 10 <= len(first) < 40
    # each request in flight at the cancel was waited for and recorded as done: none in doubt
    assert text.count("\ndone ") == text.count("\nbegin ") == len(first)
    report = await asyncio.to_thread(calls.update, url=ANNOUNCE, resume=path)
    assert report.ok and report.skipped == len(first) and report.succeeded == 40 - len(first)
    per_call = collections.Counter(processed_writes(sandbox.requests[start:]))
    assert len(per_call) == 40 and set(per_call.values()) == {1}


@pytest.mark.anyio
async def test_executor_is_refused_before_anything_is_sent(
    sandbox: Sandbox, client: twiliorm.Client
) -> None:
    sandbox.populate(3, 0)
    objects = [m async for m in Message.objects.all()]
    before = len(sandbox.requests)
    with ThreadPoolExecutor(1) as pool:
        for attempt in (
            Message.objects.aupdate(body="", executor=pool),
            Message.objects.all().adelete(executor=pool),
            Message.objects.abulk_create(new_messages(2), executor=pool),
            Message.objects.abulk_update(objects, ["body"], executor=pool),
        ):
            with pytest.raises(TypeError, match="executor= has no meaning in an async bulk"):
                await attempt
    assert len(sandbox.requests) == before


class AsyncGauge:
    """An async transport that counts the POSTs in flight at once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.now = self.peak = 0

    async def send(self, request: Request) -> Response:
        posting = request.method == "POST"
        self.now += posting
        self.peak = max(self.peak, self.now)
        try:
            response: Response = await self.inner.send(request)
            return response
        finally:
            self.now -= posting

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def gauges(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[AsyncGauge]]:
    made: list[AsyncGauge] = []
    real = twiliorm.aio.client._default_transport

    def gauged(*args: Any) -> AsyncGauge:
        made.append(AsyncGauge(real(*args)))
        return made[-1]

    monkeypatch.setattr(twiliorm.aio.client, "_default_transport", gauged)
    yield made


@pytest.mark.anyio
async def test_async_updates_run_concurrently_within_the_workers_bound(
    gauges: list[AsyncGauge],
) -> None:
    with Sandbox(latency_ms=30) as slow, slow.client() as client:
        slow.populate(48, 0)
        report = await Message.objects.using(client).aupdate(body="", workers=5)
    assert report.succeeded == 48
    assert 3 <= max(g.peak for g in gauges) <= 5  # the bound holds, and requests overlapped


@pytest.mark.anyio
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
async def test_an_async_export_is_the_sync_export(
    sandbox: Sandbox, client: twiliorm.Client, fmt: str, tmp_path: Path
) -> None:
    sandbox.populate(130, 20)
    synced, awaited = io.BytesIO(), io.BytesIO()
    await asyncio.to_thread(Message.objects.export, synced, fmt)
    report = await Message.objects.aexport(awaited, fmt)
    assert report.succeeded == 130 and awaited.getvalue() == synced.getvalue()
    await Call.objects.aexport(tmp_path / "calls.out", fmt, fields=["sid", "status"])
    await asyncio.to_thread(
        Call.objects.export, tmp_path / "sync.out", fmt, fields=["sid", "status"]
    )
    assert (tmp_path / "calls.out").read_bytes() == (tmp_path / "sync.out").read_bytes()


@pytest.mark.anyio
async def test_async_creates_under_every_fault_are_never_duplicated() -> None:
    with Sandbox(faults=FAULTS + ",lost@POST=0.05", fault_seed=5) as faulty:
        with faulty.client() as client:
            objects = new_messages(300)
            report = await Message.objects.using(client).abulk_create(
                objects, workers=8, raise_on_failure=False
            )
            stored = [m.body async for m in Message.objects.using(client).all()]
        log = faulty.requests
    faults = collections.Counter(r.fault for r in log if r.method == "POST" and r.fault)
    assert faults["lost"] and faults["500"] and faults["reset"]
    assert len(stored) == len(set(stored))  # no object created twice
    created = [o for o in objects if o.sid]
    assert report.succeeded == len(created) and len(stored) == len(processed_writes(log))
    # a lost answer (or a 5xx, a reset) leaves the object in doubt: unknown, never resent
    assert report.succeeded + len(report.unknown) + len(report.failed) == 300
    assert len(report.unknown) >= faults["lost"]
    assert report.refused == sum(1 for r in log if r.method == "POST" and r.status == 429)


@pytest.mark.parametrize("how", ["async", "sync"])
def test_a_delete_under_every_fault_deletes_each_record_and_reports_it_once(how: str) -> None:
    # A lost DELETE is sent again; its 404 then means the lost one did it: done, not failed.
    with Sandbox(faults=FAULTS + ",lost@DELETE=0.05", fault_seed=3) as faulty:
        faulty.populate(300, 0)
        with faulty.client() as client:
            report = call(how, Message.objects.using(client).all(), "delete", workers=8)
            left = Message.objects.using(client).count()
        log = faulty.requests
    lost = [r for r in log if r.method == "DELETE" and r.fault == "lost"]
    assert lost and left == 0
    assert report.ok and report.matched == report.succeeded == 300
    assert report.refused == sum(1 for r in log if r.method == "DELETE" and r.status == 429)
    # every DELETE sent (first tries, resends in the client and by the engine) is counted
    assert report.requests == sum(1 for r in log if r.method == "DELETE")


@pytest.mark.anyio
async def test_creates_whose_tasks_are_cancelled_from_outside_are_unknown_and_never_resent(
    tmp_path: Path,
) -> None:
    path = tmp_path / "create.ckpt"
    cancelled: list[asyncio.Task[Any]] = []

    def cancel_the_others(seen: Progress) -> None:
        if seen.done == 10:  # cut off every create in flight (as a loop shutting down would)
            for task in asyncio.all_tasks():
                name = getattr(task.get_coro(), "__qualname__", "")
                if name == "Job.arun" and not task.done():
                    task.cancel()
                    cancelled.append(task)

    with Sandbox(latency_ms=50) as slow, slow.client() as client:
        report = await Message.objects.using(client).abulk_create(
            new_messages(40), workers=8, resume=path, progress=cancel_the_others,
            raise_on_failure=False,
        )  # fmt: skip
        assert len(cancelled) > 1 and len(report.unknown) == len(cancelled)
        assert all("cancelled while in flight" in f.error for f in report.unknown)
        assert report.succeeded == 40 - len(cancelled)
        again = await asyncio.to_thread(
            Message.objects.using(client).bulk_create, new_messages(40), resume=path,
            raise_on_failure=False,
        )  # fmt: skip
        stored = [m.body async for m in Message.objects.using(client).all()]
        log = slow.requests
    # the resumed run trusts the file: what was cut off stays unknown, never sent again
    assert len(again.unknown) == len(cancelled) and again.skipped == 40 - len(cancelled)
    assert len(stored) == len(set(stored)) == len(processed_writes(log)) <= 40


@pytest.mark.anyio
async def test_ain_bulk_fetches_by_sid_on_the_engine_at_the_accounts_pace() -> None:
    # 16 GETs asked for, 4 allowed: the refused ones wait and go again; none is lost.
    with Sandbox(latency_ms=20, concurrency_limit=4) as capped, capped.client() as client:
        await asyncio.to_thread(capped.populate, 60, 0)
        qs = Message.objects.using(client).all()
        sids = [str(m.sid) async for m in qs]
        missing = "SM" + "0" * 32
        start = len(capped.requests)
        found = await twiliorm.bulk.ain_bulk(qs, [*sids, missing, sids[0]], workers=16)
        log = capped.requests[start:]
        synced = await asyncio.to_thread(twiliorm.bulk.in_bulk, qs, [*sids, missing])
        with pytest.raises(TypeError, match="sliced"):
            await twiliorm.bulk.ain_bulk(qs[:5], sids)
        with pytest.raises(TypeError, match="executor="):
            await twiliorm.bulk.ain_bulk(qs, sids, executor=ThreadPoolExecutor(1))
    assert found.keys() == synced.keys() == set(sids)
    assert all(found[sid].sid == sid and found[sid].body == synced[sid].body for sid in sids)
    refused = sum(1 for r in log if r.status == 429)
    assert refused and len(log) == 61 + refused  # each SID once (the repeat too), plus resends


@pytest.mark.anyio
async def test_qs_ain_bulk_by_sid_is_the_engines_as_sync_in_bulk_is() -> None:
    # qs.ain_bulk(sids) is twiliorm.bulk.ain_bulk: its limiter learns the account's cap of 4
    # from the first 429s and stays near it (16 GETs gathered at once keep being refused)
    with Sandbox(latency_ms=20, concurrency_limit=4) as capped, capped.client() as client:
        await asyncio.to_thread(capped.populate, 60, 0)
        qs = Message.objects.using(client).all()
        sids = [str(m.sid) async for m in qs]
        missing = "SM" + "0" * 32
        seen: list[Progress] = []
        start = len(capped.requests)
        found = await qs.ain_bulk([*sids, missing, sids[0]], concurrency=16, progress=seen.append)
        log = capped.requests[start:]
        with pytest.raises(TypeError) as sliced:
            await qs[:5].ain_bulk(sids)
        with pytest.raises(TypeError) as synced:
            await asyncio.to_thread(qs[:5].in_bulk, sids)
        with pytest.raises(TypeError, match="not both"):
            await qs.ain_bulk(sids, concurrency=4, workers=4)
    assert found.keys() == set(sids) and all(found[sid].sid == sid for sid in sids)
    assert str(sliced.value) == str(synced.value) == "Cannot use in_bulk() on a sliced query."
    refused = sum(1 for r in log if r.status == 429)
    assert len(log) == 61 + refused  # each SID once (the repeat too), plus the refused resends
    assert refused <= 10, refused  # the limiter probing (3-5 seen); gathered at 16: 14-16
    assert seen[-1].done == seen[-1].total == 61


@pytest.mark.anyio
async def test_a_bulk_call_sends_through_the_transport_the_user_gave_with_the_bulk_policy() -> None:
    # The user's transport is used as given (not replaced by a pool of the call's own), and
    # with the bulk retry policy: the account's 429s reach the engine, not waited out.
    with Sandbox(latency_ms=10, concurrency_limit=2) as capped:
        capped.populate(30, 0)
        aclient = AsyncClient(capped.account_sid, capped.auth_token, base_url=capped.base_url)
        gauge = aclient.transport = AsyncGauge(aclient.transport)
        async with aclient:
            report = await Message.objects.using(aclient).aupdate(body="", workers=8)
            assert twiliorm.aio.async_client_for(aclient.sync) is aclient
            assert aclient.transport is gauge
    assert report.succeeded == 30 and report.refused > 0
    assert 2 <= gauge.peak <= 8
