"""twiliorm under asyncio: the async client and what it sends with.

The async query API itself is on the usual classes, with Django's names
(``await Message.objects.aget(...)``, ``async for m in qs``, ``await
obj.asave()``): see :mod:`twiliorm.aio.queryset` and
:mod:`twiliorm.aio.resource`, and ``docs/async.rst``. Sending needs the
``twiliorm[async]`` extra (aiohttp); nothing here imports it until a request
is sent, so ``import twiliorm`` works without it.
"""

from __future__ import annotations

from .client import AsyncClient, async_client_for, connect_async, get_async_client
from .transport import AsyncFunctionTransport, AsyncTransport, NotSentError

__all__ = [
    "AsyncClient",
    "AsyncFunctionTransport",
    "AsyncTransport",
    "NotSentError",
    "async_client_for",
    "connect_async",
    "get_async_client",
]
