"""The async driver of a read: send what a reader asks for, feed back what came.

The same loop as :func:`twiliorm.paging.read_pages`, awaited: the reader
(:mod:`twiliorm.protocol`) decides every rule of paging. With ``prefetch``,
the next page's request is sent (an asyncio task) as soon as the reader
names it, so it is on its way while the caller works through this page; the
reader names none once the slice is full, so nothing is fetched for nothing.
A reader with many requests at once (a scan in partitions) is driven by
:func:`twiliorm.aio.reads.aread_concurrently` instead.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any

from .persistence import afetch_payload

if TYPE_CHECKING:
    from ..protocol import ApiRequest, RawPage, Reader
    from ..resource import Resource
    from .client import AsyncClient

__all__ = ["aread_pages", "retrieve"]


async def aread_pages(
    client: AsyncClient, reader: Reader, model: type[Resource], *, prefetch: bool = False
) -> AsyncGenerator[RawPage, None]:
    """Each page ``reader`` reads, sending its requests through ``client``."""
    ahead: tuple[ApiRequest, asyncio.Task[Any]] | None = None
    try:
        while (request := reader.request) is not None:
            if ahead is not None and ahead[0] is request:
                data = await ahead[1]
            else:
                data = await _answer(client, request, reader.by_pk, model)
            ahead = None
            page = reader.feed(data)
            following = reader.request
            if following is not None and prefetch:
                job = _answer(client, following, reader.by_pk, model)
                ahead = (following, asyncio.ensure_future(job))
            yield page
    finally:
        if ahead is not None:
            _abandon(ahead[1])


async def _answer(
    client: AsyncClient, request: ApiRequest, by_pk: bool, model: type[Resource]
) -> Any:
    if not by_pk:
        return await client.get_json(request.target)
    try:
        return await afetch_payload(model, client, request.target)
    except model.DoesNotExist:
        return None  # a SID that does not exist: the query has no result


def _abandon(task: asyncio.Task[Any]) -> None:
    """Cancel a page fetched ahead that nobody will read (its error, if it failed
    first, is nobody's either: retrieved so asyncio does not report it)."""
    task.cancel()
    task.add_done_callback(retrieve)


def retrieve(task: asyncio.Task[Any]) -> None:
    """A done callback: the task's error, if any, retrieved (nobody awaits it)."""
    with contextlib.suppress(asyncio.CancelledError):
        task.exception()
