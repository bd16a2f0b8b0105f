"""What an async bulk call or a concurrent read sends through: :class:`AsyncSender`.

The bulk calls themselves (``abulk_update``, ``abulk_delete``,
``abulk_create``, ``ain_bulk``, ``aexport``) live beside their sync twins in
:mod:`twiliorm.bulk`, over the same engine and jobs, and the async read in
partitions in :mod:`twiliorm.aio.reads`; the client they all send through
is made here, once, by the rules the sync ones follow
(:func:`~twiliorm.bulk.jobs.bulk_client`):

- :data:`~twiliorm.bulk.jobs.BULK_RETRY`: a GET or DELETE resent inside the
  client on a 5xx or a broken connection, never on a 429 (the engine's
  limiter must see it), a POST never (the jobs decide); each resend counted
  (``resent``: a bulk call adds it to its report);
- for a bulk call, a pool of its own for ``workers`` requests (and two
  spare), closed when the call ends; a read (``shared=True``) sends through
  the query's client's connections instead, warm and kept: a read is often
  a few requests, and a pool made and closed for each cost 30% on short
  reads (10 reads of ~4 requests each, 20 ms latency: 1.30 s against
  1.00 s);
- never registered as the client's async twin, so the queries' own client
  keeps its policy;
- an async client whose transport the user gave (a test double, a recorder,
  anything but the default aiohttp one) is used as given: its transport is
  shared, not copied, and not closed here, but still sends with the bulk
  retry policy.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from ..bulk.jobs import BULK_RETRY, RequestCount, bulk_client
from ..transport import check_retry
from .client import AsyncClient, async_client_for

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["AsyncSender"]


class AsyncSender:
    """The async client of one bulk call or concurrent read (``aclient``), what it resent
    (``resent``), and a sync view for the jobs to build paths and bindings with (``view``,
    never sent through here). Use it as ``async with``: it closes what it made.

    ``client``: the sync client of the query (its async twin's transport is shared if
    the user gave it) or the AsyncClient the query sends through; ``shared``: send
    through that client's transport whatever it is (a read's).
    """

    def __init__(self, client: Client | AsyncClient, workers: int, *, shared: bool = False) -> None:
        twin = client if isinstance(client, AsyncClient) else async_client_for(client)
        self.client = twin.sync
        self.workers = workers
        self.resent = RequestCount()
        # The default transport is made anew with a pool for this call; any other is the
        # user's, and only they know how to make another: used as it is.
        from .aiohttp import AiohttpTransport  # here: import twiliorm imports no aiohttp

        pooled = isinstance(twin.transport, AiohttpTransport) and not shared
        given = None if pooled else twin.transport
        self._owned = given is None
        self.aclient = AsyncClient.for_client(self.client, given, pool_size=workers + 2, twin=False)
        # Set here, not read from the sync client's options: a client with a transport of
        # its own keeps its own policy there, which may wait 429s out.
        self.aclient.retry = check_retry(BULK_RETRY.new(resent=self.resent))

    @cached_property
    def view(self) -> Client:
        """The sync client the jobs hold (a copy of ``client`` with the same policy, made
        when first asked for: a read needs none)."""
        return bulk_client(self.client, self.workers, self.resent)

    async def __aenter__(self) -> AsyncSender:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections this sender made (none of a transport it was given)."""
        if self._owned:
            await self.aclient.transport.aclose()
        view = self.__dict__.pop("view", None)  # only if made
        if view is not None and view is not self.client:
            view.close()
