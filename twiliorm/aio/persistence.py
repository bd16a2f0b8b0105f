"""The async driver of writes: the requests :mod:`twiliorm.persistence` builds, awaited.

``asave()``, ``adelete()`` and ``arefresh()`` send what ``save_request``,
``delete_request`` and ``fetch_request`` build (no I/O, every value checked
there first) and read the answers back with the same functions as the sync
driver, so a create is never sent twice, a retried DELETE answered 404 counts
as done, and a fetch of an instance this process created a moment ago waits
out the service's eventual consistency (without blocking the loop).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from ..exceptions import NotFoundError
from ..persistence import (
    NOT_FOUND_PAUSES,
    _load,
    _not_found,
    client_of,
    delete_request,
    fetch_request,
    recent_creates,
    save_request,
    saved,
)
from .client import AsyncClient, async_client_for

if TYPE_CHECKING:
    from ..resource import Resource

__all__ = ["adelete", "afetch_payload", "arefresh", "asave"]

R = TypeVar("R", bound="Resource")


async def asave(obj: R, update_fields: Iterable[str] | None) -> R:
    client = client_of(obj)
    write = save_request(obj, update_fields, client.account_sid)
    if write is None:
        return obj
    request = write.request
    data = await async_client_for(client).post_json(request.path, request.form)
    return saved(obj, write, data, client)


async def adelete(obj: Resource) -> None:
    client = client_of(obj)
    path = delete_request(obj, client.account_sid).path
    recent_creates.discard(client.url(path))
    try:
        await async_client_for(client).delete(path)
    except NotFoundError as exc:
        if not exc.retried:
            raise _not_found(obj._meta.model, exc) from exc
        # A retried DELETE answered 404: the first attempt reached the server and deleted it.


async def arefresh(obj: R) -> R:
    _load(obj, await afetch_instance(obj))
    return obj


async def afetch_instance(obj: Resource) -> Any:
    """The instance's payload as the API has it now (``model.NotFound`` on a 404)."""
    client = client_of(obj)
    path = fetch_request(obj, client.account_sid).path
    return await afetch_payload(obj._meta.model, async_client_for(client), path)


async def afetch_payload(model: type[Resource], client: AsyncClient, path: str) -> Any:
    """GET one instance; a 404 raises ``model.NotFound`` (see
    :func:`twiliorm.persistence.fetch_payload`: the same pauses for a fresh create)."""
    pauses = iter(NOT_FOUND_PAUSES)
    while True:
        try:
            return await client.get_json(path)
        except NotFoundError as exc:
            pause = next(pauses, None)
            if pause is None or client.url(path) not in recent_creates:
                raise _not_found(model, exc) from exc
        await asyncio.sleep(pause)
