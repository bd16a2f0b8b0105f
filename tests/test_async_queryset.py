"""What only the async query API has: its iteration (cache, streaming, the next page fetched
meanwhile), where its warnings point, and how it finds its client.

Everything the sync query API does is checked for the async one too by running the sync
tests through the async driver (``tests/async_driver.py``: ``test_queryset.py``,
``test_queryset_django.py`` and ``test_faults_matrix.py`` run ``[sync]`` and ``[async]``).
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import AsyncIterator

import pytest

import twiliorm
from twiliorm import AsyncClient, Message
from twiliorm.aio import async_client_for
from twiliorm.client import set_client
from twiliorm.sandbox import Sandbox

pytestmark = pytest.mark.anyio
TOTAL = 2_500


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def sb() -> AsyncIterator[Sandbox]:
    with Sandbox() as sandbox:
        sandbox.populate(TOTAL, calls=0)
        yield sandbox  # type: ignore[misc]


@pytest.fixture
async def aclient(sb: Sandbox) -> AsyncIterator[AsyncClient]:
    async with AsyncClient(sb.account_sid, sb.auth_token, base_url=sb.base_url) as client:
        yield client


def sent(sb: Sandbox, since: int) -> list[str]:
    return [r.path.rsplit("/", 1)[-1] for r in sb.requests[since:]]


async def test_async_for_fills_the_cache_and_aiterator_streams(
    sb: Sandbox, aclient: AsyncClient
) -> None:
    qs = Message.objects.using(aclient).all()
    start = len(sb.requests)
    first = [m.sid async for m in qs]
    assert len(first) == TOTAL and len(sb.requests) - start == 3
    assert [m.sid async for m in qs] == first and len(qs) == TOTAL and qs[7].sid == first[7]
    assert len(sb.requests) - start == 3  # the cache answered
    streamed = [m.sid async for m in qs.all().aiterator(chunk_size=500)]
    assert streamed == first and len(sb.requests) - start == 3 + 5


async def test_a_loop_left_early_asks_for_no_more_and_caches_nothing(
    sb: Sandbox, aclient: AsyncClient
) -> None:
    qs = Message.objects.using(aclient).page_size(100)
    start = len(sb.requests)
    async for _ in qs:
        break
    await asyncio.sleep(0.2)  # the page fetched ahead, if any, had time to arrive
    assert len(sb.requests) - start <= 2 and qs._result_cache is None


async def test_the_next_page_is_fetched_while_the_caller_works(
    sb: Sandbox, aclient: AsyncClient
) -> None:
    start = len(sb.requests)
    pages = Message.objects.using(aclient).page_size(1000).apages()
    page = await pages.__anext__()
    assert page.number == 0 and page.has_more
    for _ in range(100):  # the caller "works" on page 0; page 1 is on its way meanwhile
        if len(sb.requests) - start == 2:
            break
        await asyncio.sleep(0.01)
    assert len(sb.requests) - start == 2
    assert [p.number async for p in pages] == [1, 2]
    assert len(sb.requests) - start == 3


async def test_a_scan_warning_points_at_the_callers_line(aclient: AsyncClient) -> None:
    with pytest.warns(twiliorm.ScanWarning) as caught:
        [m async for m in Message.objects.using(aclient).filter(status="failed")[:3]]
    assert caught[0].filename == __file__


async def test_managers_give_awaitables_and_instances_remember_their_client(
    sb: Sandbox, aclient: AsyncClient
) -> None:
    made = await Message.objects.using(aclient).acreate(
        to="+15558675310", from_="+15017122661", body="async"
    )
    assert made._ctx is not None and made._ctx.client is aclient.sync
    assert async_client_for(made._ctx.client) is aclient
    again = await Message.objects.using(aclient).aget(sid=made.sid)
    assert again == made and (await again.aupdate(body="")).body == ""
    found = await Message.objects.using(aclient).ain_bulk([made.sid, "SM" + "0" * 32])
    assert found == {made.sid: made}
    await made.adelete()
    with pytest.raises(Message.DoesNotExist):
        await made.arefresh_from_db()


async def test_the_default_async_client_is_the_default_clients_twin(sb: Sandbox) -> None:
    client = sb.client()
    twiliorm.client.set_default_client(client)
    try:
        assert await Message.objects.acount() == TOTAL
        assert twiliorm.get_async_client() is async_client_for(client)
    finally:
        await async_client_for(client).aclose()
        set_client("default", None)


async def test_a_queryset_bound_to_an_alias_pickles_and_reads_async(sb: Sandbox) -> None:
    aclient = twiliorm.connect_async(
        sb.account_sid, sb.auth_token, base_url=sb.base_url, alias="async-pickle"
    )
    try:
        qs = Message.objects.using("async-pickle").filter(to="+14155550003")
        back = pickle.loads(pickle.dumps(qs))
        assert await back.acount() == await qs.acount() > 0
        assert async_client_for(back.client) is aclient
    finally:
        await aclient.aclose()
        set_client("async-pickle", None)


async def test_a_naive_datetime_warning_from_asave_points_at_the_callers_line(
    aclient: AsyncClient,
) -> None:
    import datetime as dt

    msg = Message.objects.using(aclient).new(to="+15558675310", from_="+15017122661", body="x")
    msg.send_at = dt.datetime(2026, 3, 1, 9, 0)
    msg.schedule_type = "fixed"
    with pytest.warns(twiliorm.NaiveDateTimeWarning) as caught:
        await msg.asave()
    assert caught[0].filename == __file__
    assert msg.pk is not None


async def test_aiterator_builds_each_record_as_it_is_reached_and_results_are_compact(
    aclient: AsyncClient,
) -> None:
    import gc

    for number in range(7):
        await Message.objects.using(aclient).acreate(
            to="+15558675310", from_="+15017122661", body=f"m{number}"
        )

    def alive() -> int:
        return sum(1 for o in gc.get_objects() if type(o) is Message)

    before = alive()
    stream = Message.objects.using(aclient).aiterator(chunk_size=5)
    first = await anext(stream)
    assert alive() - before == 1  # not the other 4 of its page
    assert type(first._orig) is dict  # a stream keeps the page's dicts
    await stream.aclose()
    kept = Message.objects.using(aclient).all()
    assert [m.sid async for m in kept] and all(type(m._orig) is tuple for m in kept)
    assert all(type(m._orig) is tuple for m in await kept.all()._afetch_all())
