"""Reading pages concurrently: what a reader asks for, sent at the account's pace.

:func:`read_concurrently` is the sync driver of a read whose reader has many
requests to send at once (a scan in partitions,
:class:`~twiliorm.partitions.PartitionReader`). It sends the reader's
``pending`` requests, most useful first, at most as many at once as the bulk
engine's :class:`~twiliorm.bulk.engine.Limiter` allows: the limit grows
while answers come and drops at a 429, as for bulk writes. A refused request
goes again after its Retry-After (or a backoff); one whose answer was lost
(a 5xx, a dropped connection, an unreadable answer) goes again up to
``attempts`` times, since a GET changes nothing; any other error ends the
read. Pages are yielded in the calling thread as the reader gives them; the
requests in flight go on while the caller works on one.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any

import attrs

from ..exceptions import RateLimitError, ServerError, TwilioRestError
from .engine import REFUSED_BACKOFF, RETRY_BACKOFF, Job, Limiter, Outcome, Status, _backoff
from .jobs import bulk_client, classify, concurrent_requests

if TYPE_CHECKING:
    from ..client import Client
    from ..protocol import ApiRequest, RawPage, Reader

__all__ = ["PageJob", "read_concurrently"]


class PageJob(Job):
    """GET one page (or the account a scan starts from): its decoded answer is the value.

    With ``optional``, a refusal the API answered (a 4xx but 429) is no failure: the
    value is None (a key not allowed to read the account)."""

    def __init__(self, client: Client, request: ApiRequest, *, optional: bool = False) -> None:
        self.key = request.target
        self.client = client
        self.request = request
        self.optional = optional

    def run(self) -> Outcome:
        self.sent += 1
        try:
            response = self.client.request("GET", self.request.target)
            return Outcome(
                Status.DONE, value=response.json(), concurrent=concurrent_requests(response)
            )
        except TwilioRestError as exc:
            if self.optional and not isinstance(exc, (RateLimitError, ServerError)):
                return Outcome(Status.DONE, value=None)
            return classify(exc)
        except Exception as exc:
            return classify(exc)


@attrs.define(eq=False)
class _Flight:
    job: PageJob
    epoch: int
    level: int


def read_concurrently(
    client: Client, reader: Reader, *, workers: int, attempts: int = 5
) -> Iterator[RawPage]:
    """Each page ``reader`` gives, its requests sent up to ``workers`` at once."""
    sender = bulk_client(client, workers)
    pool = ThreadPoolExecutor(workers, thread_name_prefix="twiliorm-read")
    # GETs change nothing and a 429 is not processed: start at every worker, not at two
    # as writes do (a refusal still lowers the limit).
    run = _Reading(sender, reader, Limiter(workers, start=workers), attempts)
    try:
        yield from run.pages(pool)
    finally:
        for future in run.flights:
            future.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
        if sender is not client:
            sender.close()


class _Reading:
    """The state of one concurrent read: what is in flight, what waits to go again."""

    def __init__(self, client: Client, reader: Reader, limiter: Limiter, attempts: int) -> None:
        self.client = client
        self.reader = reader
        self.limiter = limiter
        self.attempts = attempts
        self.flights: dict[Future[Outcome], _Flight] = {}
        self.later: list[tuple[float, int, PageJob]] = []
        self.order = itertools.count()
        self.requests = 0

    def pages(self, pool: ThreadPoolExecutor) -> Iterator[RawPage]:
        while True:
            self._send(pool)
            if not self.flights and not self.later:
                if self.reader.pending:
                    raise RuntimeError("the reader asks for requests it cannot be sent")
                return
            for flight, outcome in self._answers():
                page = self._settle(flight, outcome)
                if page is not None:
                    yield page

    def _send(self, pool: ThreadPoolExecutor) -> None:
        """Send what waits to go again (when due), then the reader's new requests, while
        the limiter allows."""
        fresh = self._new()
        while len(self.flights) < self.limiter.allowed:
            if self.later and self.later[0][0] <= time.monotonic():
                job = heapq.heappop(self.later)[2]
            else:
                request = next(fresh, None)
                if request is None:
                    return
                job = PageJob(self.client, request, optional=request is _account(self.reader))
            future = pool.submit(job.run)
            self.flights[future] = _Flight(job, self.limiter.epoch, len(self.flights) + 1)

    def _new(self) -> Iterator[ApiRequest]:
        """The reader's pending requests that are neither in flight nor waiting to go again."""
        busy = {id(flight.job.request) for flight in self.flights.values()}
        busy.update(id(job.request) for _, _, job in self.later)
        for request in self.reader.pending:
            if id(request) not in busy:
                busy.add(id(request))
                yield request

    def _answers(self) -> list[tuple[_Flight, Outcome]]:
        timeout = max(0.0, self.later[0][0] - time.monotonic()) if self.later else None
        if not self.flights:
            time.sleep(timeout or 0.0)
            return []
        done, _ = wait(self.flights, timeout=timeout, return_when=FIRST_COMPLETED)
        return [(self.flights.pop(future), future.result()) for future in done]

    def _settle(self, flight: _Flight, outcome: Outcome) -> RawPage | None:
        job = flight.job
        self.requests += job.sent
        job.sent = 0
        if outcome.status is Status.REFUSED:
            self.limiter.on_refused(flight.level, flight.epoch)
            job.refusals += 1
            self._again(job, outcome.wait or _backoff(job.refusals, REFUSED_BACKOFF))
            return None
        self.limiter.on_answer(flight.level, outcome.concurrent)
        if outcome.status is Status.RETRY and job.tries + 1 < self.attempts:
            job.tries += 1
            self._again(job, _backoff(job.tries, RETRY_BACKOFF))
            return None
        if outcome.status is not Status.DONE:
            assert outcome.error is not None
            raise outcome.error
        return self.reader.feed(outcome.value, job.request)

    def _again(self, job: PageJob, delay: float) -> None:
        heapq.heappush(self.later, (time.monotonic() + delay, next(self.order), job))


def _account(reader: Any) -> ApiRequest | None:
    """The request whose error is fed as None (a partition reader's account), if any."""
    return getattr(reader, "account", None)
