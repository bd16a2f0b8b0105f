"""Running the sync tests of the query API through the async driver: the ``driver`` fixture.

The tests of ``DRIVEN`` modules that talk to a sandbox are parametrised with
``driver`` (``[sync]`` and ``[async]``): the same test, not a copy. Under
``[async]``, each QuerySet and instance method the test calls runs its async
counterpart on an event loop of the test's own (``qs.count()`` runs ``await
qs.acount()``, ``for m in qs`` runs ``async for m in qs``, ``obj.save()`` runs
``await obj.asave()``...), so the test's assertions, request counts included,
hold for the async driver over HTTP against the sandbox. Requests the async
client sends are recorded by ``tests.helpers.record`` like the sync ones, and
retry pauses are skipped (the sync fault matrix records them instead of
sleeping). Bulk work goes the same way (``qs.update()`` runs ``await
qs.aupdate()``, ``bulk_create`` ``abulk_create``, ``export`` ``aexport``...):
the same engine, jobs and checkpoints as asyncio tasks. Methods with no async
counterpart (a resource's own actions such as ``purchase()``) stay sync, as
do calls made from other threads.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any

import pytest

import twiliorm.aio.client
from twiliorm.aio import AsyncClient
from twiliorm.client import Client
from twiliorm.queryset import QuerySet
from twiliorm.resource import Resource
from twiliorm.transport import Request, Response

from .helpers import Recorder

#: the modules whose sandbox tests run with both drivers
DRIVEN: tuple[str, ...] = ("tests.test_queryset", "tests.test_queryset_django")
DRIVEN += ("tests.test_faults_matrix",)
DRIVEN += ("tests.test_partitions",)  # scans in partitions: aread_concurrently
#: bulk work through the QuerySet and Manager API (twiliorm.bulk's async twins)
DRIVEN += (
    "tests.test_bulk",
    "tests.test_bulk_checkpoint",
    "tests.test_bulk_export",
    "tests.test_bulk_errors",
    "tests.test_bulk_faults",
)
#: instances (save, delete, refresh_from_db), aliases and pickles through the query API
DRIVEN += ("tests.test_model_django_semantics", "tests.test_aliases", "tests.test_pickle")
DRIVEN += ("tests.test_lazy_models",)  # results kept compact, streams built one at a time
#: fixtures that mean a test talks to a sandbox
SANDBOXED = {"sandbox", "client", "sb", "seeded", "populated", "no_backoff", "queued"}
#: tests that check something only the sync call chain has, and why
SYNC_ONLY = {
    # the warning points at the caller's line: under [async] that is this harness's line
    # (tests/test_async_queryset.py checks it for a real `async for`)
    "test_a_scan_warning_points_at_the_callers_line",
    # the same for a naive datetime's warning (tests/test_async_queryset.py: from asave())
    "test_model_a_naive_send_at_warns_and_is_sent_in_utc",
    # next() on iterator() one record at a time: the harness lists aiterator() whole
    # (tests/test_async_queryset.py counts what an aiterator() has built)
    "test_a_stream_builds_each_record_as_it_is_reached",
    # executor= runs jobs on threads; async bulk calls refuse it (tests/test_async_bulk.py)
    "test_any_executor_can_run_the_jobs",
    # counts requests in flight in a sync transport; the async twin sends through aiohttp
    # (tests/test_async_bulk.py measures the async bound on its own transport)
    "test_updates_run_concurrently_within_the_workers_bound",
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.module.__name__ not in DRIVEN or metafunc.function.__name__ in SYNC_ONLY:
        return
    # A test that names ``driver`` itself runs both ways whatever its fixtures (one that
    # starts its own sandbox, or passes the driver on to a job in another process).
    named = "driver" in inspect.signature(metafunc.function).parameters
    if named or SANDBOXED & set(metafunc.fixturenames):
        metafunc.parametrize("driver", ["sync", "async"], indirect=True)


@pytest.fixture(autouse=True)
def driver(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``"sync"`` (every test not parametrised), or ``"async"``: the sync methods routed
    to the async ones for this test."""
    if getattr(request, "param", "sync") == "sync":
        yield "sync"
        return
    loop = asyncio.new_event_loop()
    try:
        _route(monkeypatch, _Runner(loop))
        yield "async"
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())  # closes the loop's sessions
        loop.close()


class _Runner:
    """Runs a coroutine to its end on the test's loop, from the test's own thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.thread = threading.current_thread()

    def here(self) -> bool:
        return threading.current_thread() is self.thread and not self.loop.is_running()

    def run(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return self.loop.run_until_complete(coroutine)


async def _listed(items: AsyncIterator[Any]) -> list[Any]:
    return [item async for item in items]


async def _cached(qs: QuerySet[Any]) -> list[Any]:
    async for _ in qs:  # fills the result cache, as Django's async for does
        pass
    assert qs._result_cache is not None
    return qs._result_cache


#: sync name -> how the async counterpart runs (a coroutine from the same arguments)
QUERYSET: dict[str, Callable[..., Any]] = {
    "_fetch_all": _cached,
    "iterator": lambda qs, chunk_size=None: _listed(qs.aiterator(chunk_size)),
    "pages": lambda qs, *, prefetch=True: _listed(qs.apages(prefetch=prefetch)),
    **{
        name: getattr(QuerySet, "a" + name)
        for name in (
            *("count", "exists", "contains", "aggregate", "first", "last", "latest"),
            *("earliest", "get", "create", "get_or_create", "update_or_create"),
            *("update", "delete", "export", "bulk_create", "bulk_update"),
        )
    },
    "in_bulk": lambda qs, id_list=None, *, field_name="sid", workers=None, **options: (
        QuerySet.ain_bulk(qs, id_list, field_name=field_name, **_concurrency(workers), **options)
    ),
}
RESOURCE: dict[str, Callable[..., Any]] = {
    "save": lambda obj, **kw: Resource.asave(obj, **kw),
    "update": Resource.aupdate,
    "delete": Resource.adelete,
    "refresh": lambda obj: _refreshed(obj),
    "refresh_from_db": Resource.arefresh_from_db,
}
_LISTS = {"iterator", "pages"}  # the sync method returns an iterator


def _concurrency(workers: int | None) -> dict[str, int]:
    """in_bulk's ``workers=`` is ain_bulk's ``concurrency=`` (asyncio tasks, not threads)."""
    return {} if workers is None else {"concurrency": workers}


async def _refreshed(obj: Resource) -> Resource:
    await obj.arefresh_from_db()
    return obj


def _route(monkeypatch: pytest.MonkeyPatch, runner: _Runner) -> None:
    for owner, table in ((QuerySet, QUERYSET), (Resource, RESOURCE)):
        for name, counterpart in table.items():
            original = getattr(owner, name)
            monkeypatch.setattr(owner, name, _routed(runner, original, counterpart, name))
    monkeypatch.setattr(twiliorm.aio.client, "_default_transport", _recorded)
    monkeypatch.setattr(AsyncClient, "_pause", lambda self, seconds: asyncio.sleep(0))


def _routed(
    runner: _Runner, original: Callable[..., Any], counterpart: Callable[..., Any], name: str
) -> Callable[..., Any]:
    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not runner.here():  # another thread (a bulk job's worker): the sync driver
            return original(self, *args, **kwargs)
        found = runner.run(counterpart(self, *args, **kwargs))
        return iter(found) if name in _LISTS else found

    return method


_real_default_transport = twiliorm.aio.client._default_transport


def _recorded(sync: Client, *args: Any) -> Any:
    return _Recorded(_real_default_transport(sync, *args), sync)


class _Recorded:
    """The real async transport; what it sends is also recorded by ``record(client)``."""

    def __init__(self, inner: Any, sync: Client) -> None:
        self.inner = inner
        self.sync = sync

    async def send(self, request: Request) -> Response:
        if isinstance(self.sync.transport, Recorder):
            self.sync.transport.requests.append(request)
        response: Response = await self.inner.send(request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
