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
schedule runs in a thread of its own, so requests go on being answered and
sent while the caller works on a page (an export writing one), until the
caller has a page a worker's worth of records waiting (``workers`` times the
page size): the schedule then sends nothing new, as before.

Those rules live in :class:`ReadSchedule`, which sends nothing, and each
page's GET is a :class:`PageGet`, a bulk job whose one sans-I/O step is
driven by :func:`~twiliorm.bulk.engine.drive` here: the async driver
(:func:`twiliorm.aio.reads.aread_concurrently`) keeps the same schedule and
jobs with asyncio tasks and :func:`~twiliorm.bulk.engine.adrive` where this
one has a thread pool's futures.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs

from ..exceptions import RateLimitError, ServerError, TwilioRestError
from ..query import PAGE_SIZE_MAX
from .engine import (
    REFUSED_BACKOFF,
    RETRY_BACKOFF,
    Job,
    Limiter,
    Outcome,
    Status,
    Steps,
    _backoff,
    drive,
)
from .jobs import bulk_client, classify, concurrent_requests

if TYPE_CHECKING:
    from ..client import Client
    from ..projection import PageDecoder
    from ..protocol import ApiRequest, RawPage, Reader
    from ..transport import Response

__all__ = ["PageGet", "ReadSchedule", "read_concurrently"]


class PageGet(Job):
    """GET one page (or the account a scan starts from): its decoded answer is the value.
    One sans-I/O step (:meth:`steps`), as every bulk job: :func:`read_concurrently` drives
    it with :func:`~twiliorm.bulk.engine.drive` on a thread, the async driver with
    :func:`~twiliorm.bulk.engine.adrive` in a task.

    With ``optional``, a refusal the API answered (a 4xx but 429) is no failure: the
    value is None (a key not allowed to read the account)."""

    def __init__(
        self, request: ApiRequest, optional: bool = False, decode: PageDecoder | None = None
    ) -> None:
        self.key = request.target
        self.request = request
        self.optional = optional
        self.decode = decode

    def steps(self) -> Steps:
        try:
            response = yield ("GET", self.request.target, ())
            assert response is not None  # a request step is answered (or raises)
            return self.answered(response)
        except Exception as exc:  # an unreadable answer too: failed() says what it means
            return self.failed(exc)

    def answered(self, response: Response) -> Outcome:
        value = None
        if self.decode is not None and response.status < 300:
            with contextlib.suppress(ValueError):  # not the page it expects: parsed whole
                value = self.decode(response.body)
        if value is None:
            value = response.json()
        return Outcome(Status.DONE, value=value, concurrent=concurrent_requests(response))

    def failed(self, exc: Exception) -> Outcome:
        said = isinstance(exc, TwilioRestError)  # the API answered it
        if self.optional and said and not isinstance(exc, (RateLimitError, ServerError)):
            return Outcome(Status.DONE, value=None)
        return classify(exc)


J = TypeVar("J", bound=PageGet)
K = TypeVar("K")  # a request in flight as its driver knows it: a Future, a Task


@attrs.define(eq=False)
class Flight(Generic[J]):
    job: J
    epoch: int
    level: int


#: how often a schedule waiting (on answers, or on its caller) looks whether it was stopped
_POLL = 0.05


def read_concurrently(
    client: Client, reader: Reader, *, workers: int, attempts: int = 5
) -> Iterator[RawPage]:
    """Each page ``reader`` gives, its requests sent up to ``workers`` at once.

    Closing the iterator (a loop left early) stops the schedule: nothing more
    is sent, and the requests in flight are left to finish on their own."""
    plan = getattr(getattr(reader, "inner", reader), "plan", None)
    handoff = _Handoff(workers * getattr(plan, "page_size", PAGE_SIZE_MAX))
    schedule = threading.Thread(
        target=_schedule,
        args=(client, reader, workers, attempts, handoff),
        name="twiliorm-read-schedule",
        daemon=True,
    )
    schedule.start()
    try:
        while (page := handoff.take()) is not None:
            yield page
    finally:
        handoff.stop.set()
        schedule.join()  # within one _POLL: it sends nothing more once stopped


class _Handoff:
    """Pages passed from the schedule's thread to the caller's, in order, then None (the
    end) or the error that ended the read; ``full`` while the caller has more than
    ``most`` records waiting (a page a worker: the schedule then sends nothing new)."""

    def __init__(self, most: int) -> None:
        self.most = most
        self.pages: queue.SimpleQueue[RawPage | BaseException | None] = queue.SimpleQueue()
        self.stop = threading.Event()
        self.waiting = 0  # records handed and not taken
        self._lock = threading.Lock()

    @property
    def full(self) -> bool:
        return self.waiting > self.most

    def hand(self, page: RawPage) -> None:
        with self._lock:
            self.waiting += len(page.records)
        self.pages.put(page)

    def end(self, error: BaseException | None) -> None:
        """No more pages: the read is over (None) or ``error`` ended it."""
        self.pages.put(error)

    def take(self) -> RawPage | None:
        item = self.pages.get()
        if isinstance(item, BaseException):
            raise item
        if item is not None:
            with self._lock:
                self.waiting -= len(item.records)
        return item


def _schedule(
    client: Client, reader: Reader, workers: int, attempts: int, handoff: _Handoff
) -> None:
    """The loop of :func:`read_concurrently`, in its own thread: send what is due, settle
    what comes, hand each page (then None, or the error that ended the read) over."""
    sender = bulk_client(client, workers)
    pool = ThreadPoolExecutor(workers, thread_name_prefix="twiliorm-read")
    run: ReadSchedule[Future[Outcome], PageGet]
    run = ReadSchedule(reader, workers, attempts, PageGet)
    end: BaseException | None = None
    try:
        while not handoff.stop.is_set():
            if not handoff.full:  # else the caller has enough to do: answers only
                for due in run.due():
                    run.launch(pool.submit(drive, due, sender), due)
                if run.finished():
                    break
            for flight, outcome in _answers(run, idle=handoff.full):
                page = run.settle(flight, outcome)
                if page is not None:
                    handoff.hand(page)
    except BaseException as exc:  # handed to the caller's thread, raised there
        end = exc
    finally:
        try:
            for future in run.flights:
                future.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            if sender is not client:
                sender.close()
        finally:
            handoff.end(end)  # whatever happens: the caller waits for it


def _answers(
    run: ReadSchedule[Future[Outcome], PageGet], *, idle: bool = False
) -> list[tuple[Flight[PageGet], Outcome]]:
    """What came, waiting for it until something is due (or at most :data:`_POLL`: a
    stop is seen soon); ``idle``: nothing will be sent now, so a request due again
    does not end the wait (the loop would turn without sleeping)."""
    timeout = run.timeout()
    timeout = _POLL if timeout is None or idle else min(timeout, _POLL)
    if not run.flights:
        time.sleep(timeout)
        return []
    done, _ = wait(run.flights, timeout=timeout, return_when=FIRST_COMPLETED)
    return [(run.flights.pop(future), future.result()) for future in done]


class ReadSchedule(Generic[K, J]):
    """The state of one concurrent read, without I/O: what is in flight (``flights``, by
    the driver's handle), what waits to go again, and what each outcome means."""

    def __init__(
        self,
        reader: Reader,
        workers: int,
        attempts: int,
        job: Callable[[ApiRequest, bool, PageDecoder | None], J],
    ) -> None:
        self.reader = reader
        self.decode: PageDecoder | None = getattr(reader, "decode", None)
        # GETs change nothing and a 429 is not processed: start at every worker, not at two
        # as writes do (a refusal still lowers the limit).
        self.limiter = Limiter(workers, start=workers)
        self.attempts = attempts
        self.job = job
        self.flights: dict[K, Flight[J]] = {}
        self.later: list[tuple[float, int, J]] = []
        self.order = itertools.count()
        self.requests = 0

    def due(self) -> Iterator[J]:
        """What to send now: what waits to go again (when due), then the reader's new
        requests, while the limiter allows (each one :meth:`launch`-ed before the next)."""
        fresh = self._new()
        while len(self.flights) < self.limiter.allowed:
            if self.later and self.later[0][0] <= time.monotonic():
                yield heapq.heappop(self.later)[2]
                continue
            request = next(fresh, None)
            if request is None:
                return
            account = request is _account(self.reader)
            yield self.job(request, account, None if account else self.decode)

    def launch(self, handle: K, job: J) -> None:
        """``job`` was sent; ``handle`` is how its driver will hand back its outcome."""
        self.flights[handle] = Flight(job, self.limiter.epoch, len(self.flights) + 1)

    def finished(self) -> bool:
        """Whether the read is over (nothing in flight, nothing to send again)."""
        if self.flights or self.later:
            return False
        if self.reader.pending:
            raise RuntimeError("the reader asks for requests it cannot be sent")
        return True

    def timeout(self) -> float | None:
        """How long a driver may wait for answers before something is due again."""
        return max(0.0, self.later[0][0] - time.monotonic()) if self.later else None

    def _new(self) -> Iterator[ApiRequest]:
        """The reader's pending requests that are neither in flight nor waiting to go again."""
        busy = {id(flight.job.request) for flight in self.flights.values()}
        busy.update(id(job.request) for _, _, job in self.later)
        for request in self.reader.pending:
            if id(request) not in busy:
                busy.add(id(request))
                yield request

    def settle(self, flight: Flight[J], outcome: Outcome) -> RawPage | None:
        """What ``outcome`` of a flight (already taken out of ``flights``) means: the page
        the reader makes of it, or None (sent again later); an error that ends the read."""
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

    def _again(self, job: J, delay: float) -> None:
        heapq.heappush(self.later, (time.monotonic() + delay, next(self.order), job))


def _account(reader: Any) -> ApiRequest | None:
    """The request whose error is fed as None (a partition reader's account), if any."""
    return getattr(reader, "account", None)
