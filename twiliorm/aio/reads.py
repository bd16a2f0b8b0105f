"""Reading pages concurrently under asyncio: the async driver of a scan in partitions.

:func:`aread_concurrently` is :func:`twiliorm.bulk.reads.read_concurrently`
awaited. The rules are the same object, a
:class:`~twiliorm.bulk.reads.ReadSchedule`: at most as many requests in
flight as the bulk engine's :class:`~twiliorm.bulk.engine.Limiter` allows
(all ``workers`` at first, fewer after a 429); a refused request sent
again after its Retry-After (or a backoff); one whose answer was lost (a
5xx, a dropped connection, an unreadable answer) sent again up to
``attempts`` times; any other error ends the read. Each request is the
sync driver's job too (:class:`~twiliorm.bulk.reads.PageGet`, its sans-I/O
steps driven by :func:`~twiliorm.bulk.engine.adrive`), in an asyncio task
where the sync driver has a worker thread, and pages are yielded as the
reader gives them while the other requests go on.

Requests go through the async client of a bulk call
(:class:`~twiliorm.aio.bulk.AsyncSender`, as the sync driver sends through
:func:`~twiliorm.bulk.jobs.bulk_client`): the bulk retry policy (a GET is sent
again inside the client after a 5xx or a lost connection, never after a 429,
which the schedule must see to slow down), over the client's own
connections (a pool made for each read would cost more than a short read).

A read left early (a ``break`` once the generator is closed, an error, the
consumer's task cancelled) cancels the requests still in flight and waits
for them, so no task outlives it and no task's error goes unretrieved.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Collection
from typing import TYPE_CHECKING

from ..bulk.engine import Outcome, adrive
from ..bulk.reads import Flight, PageGet, ReadSchedule
from .bulk import AsyncSender
from .paging import retrieve

if TYPE_CHECKING:
    from ..protocol import RawPage, Reader
    from .client import AsyncClient

__all__ = ["aread_concurrently"]

_Schedule = ReadSchedule["asyncio.Task[Outcome]", PageGet]


async def aread_concurrently(
    client: AsyncClient, reader: Reader, *, workers: int, attempts: int = 5
) -> AsyncGenerator[RawPage, None]:
    """Each page ``reader`` gives, its requests sent up to ``workers`` at once."""
    async with AsyncSender(client, workers, shared=True) as sender:
        run: _Schedule = ReadSchedule(reader, workers, attempts, PageGet)
        try:
            while True:
                for due in run.due():
                    fetch = adrive(due, sender.aclient)
                    task = asyncio.create_task(fetch, name=f"twiliorm read {due.key}")
                    run.launch(task, due)
                if run.finished():
                    return
                for flight, outcome in await _answers(run):
                    page = run.settle(flight, outcome)
                    if page is not None:
                        yield page
        finally:
            await _dropped(list(run.flights))


async def _answers(run: _Schedule) -> list[tuple[Flight[PageGet], Outcome]]:
    """The outcomes that came, waiting no longer than until something is due again."""
    timeout = run.timeout()
    if not run.flights:
        await asyncio.sleep(timeout or 0.0)
        return []
    done, _ = await asyncio.wait(run.flights, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    return [(run.flights.pop(task), task.result()) for task in done]


async def _dropped(tasks: Collection[asyncio.Task[Outcome]]) -> None:
    """Cancel the requests nobody will read, and wait until they have stopped (their
    errors retrieved even if this wait is itself cancelled)."""
    for task in tasks:
        task.cancel()
        task.add_done_callback(retrieve)
    if tasks:
        await asyncio.wait(tasks)
