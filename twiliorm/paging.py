"""The sync driver of a read: send what a :class:`~twiliorm.protocol.ListReader` asks for.

The reader (sans-I/O, in :mod:`twiliorm.protocol`) decides every rule of
paging; this loop only sends its requests through a :class:`Client` and
feeds the answers back. While the caller works through one page, the next
one can already be on its way (``prefetch``); the reader gives no next
request once the slice is full, so nothing is fetched ahead for nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from .persistence import fetch_payload

if TYPE_CHECKING:
    from .client import Client
    from .protocol import ApiRequest, RawPage, Reader
    from .resource import Resource

__all__ = ["read_pages"]


def read_pages(
    client: Client, reader: Reader, model: type[Resource], *, prefetch: bool = False
) -> Iterator[RawPage]:
    """Each page ``reader`` reads, sending its requests through ``client``."""
    ahead: tuple[ApiRequest, Future[Any]] | None = None
    try:
        while (request := reader.request) is not None:
            if ahead is not None and ahead[0] is request:
                data = ahead[1].result()
            else:
                data = _answer(client, request, reader.by_pk, model)
            ahead = None
            page = reader.feed(data)
            following = reader.request
            if following is not None and prefetch:
                job = client.executor().submit(_answer, client, following, reader.by_pk, model)
                ahead = (following, job)
            yield page
    finally:
        if ahead is not None:
            ahead[1].cancel()


def _answer(client: Client, request: ApiRequest, by_pk: bool, model: type[Resource]) -> Any:
    if not by_pk:
        return client.get_json(request.target)
    try:
        return fetch_payload(model, client, request.target)
    except model.DoesNotExist:
        return None  # a SID that does not exist: the query has no result
