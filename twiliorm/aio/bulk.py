"""What an async bulk call sends through: an AsyncClient with the bulk retry policy.

The bulk calls themselves (``abulk_update``, ``abulk_delete``,
``abulk_create``, ``aexport``) live beside their sync twins in
:mod:`twiliorm.bulk`, over the same engine and jobs; only this piece is
async's own. :class:`AsyncSender` is :class:`twiliorm.bulk._Sender` for an
event loop: a sync view of the client (:func:`~twiliorm.bulk.jobs.bulk_client`:
what jobs build paths and bindings with, never sent through here) and an
:class:`~twiliorm.aio.AsyncClient` over it with a pool for ``workers``
requests and :data:`~twiliorm.bulk.jobs.BULK_RETRY`: a GET or DELETE resent
on a 5xx or a broken connection, never on a 429 (the engine's limiter must
see it), a POST never (the jobs decide), each resend counted into the
report as the sync call counts them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..bulk.jobs import BULK_RETRY, RequestCount, bulk_client
from ..transport import check_retry
from .client import AsyncClient

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["AsyncSender"]


class AsyncSender:
    """The clients of one async bulk call (its connections closed after it), and what
    it resent."""

    def __init__(self, client: Client, workers: int) -> None:
        self.client = client
        self.resent = RequestCount()
        self.view = bulk_client(client, workers, self.resent)
        # Not the twin async_client_for() finds for the view: a client of this call only.
        self.aclient = AsyncClient.for_client(self.view, pool_size=workers + 2, twin=False)
        # Set here, not read from the view: a client with a transport of its own (a test
        # double) is its own view, and keeps its own policy, which may wait 429s out.
        self.aclient.retry = check_retry(BULK_RETRY.new(resent=self.resent))

    async def __aenter__(self) -> AsyncSender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclient.transport.aclose()
        if self.view is not self.client:
            self.view.close()
