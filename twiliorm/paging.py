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
    from .protocol import ApiRequest, ListReader, RawPage
    from .resource import Resource

__all__ = ["read_pages"]


def read_pages(
    client: Client, reader: ListReader, model: type[Resource], *, prefetch: bool = False
) -> Iterator[RawPage]:
    """Each page ``reader`` reads, sending its requests through ``client``."""
    pending: Future[Any] | None = None
    try:
        while reader.request is not None:
            data = pending.result() if pending is not None else _answer(client, reader, model)
            pending = None
            page = reader.feed(data)
            if reader.request is not None and prefetch:
                pending = client.executor().submit(client.get_json, reader.request.target)
            yield page
    finally:
        if pending is not None:
            pending.cancel()


def _answer(client: Client, reader: ListReader, model: type[Resource]) -> Any:
    request: ApiRequest | None = reader.request
    assert request is not None
    if not reader.by_pk:
        return client.get_json(request.target)
    try:
        return fetch_payload(model, client, request.target)
    except model.DoesNotExist:
        return None  # a SID that does not exist: the query has no result
