"""The engine under every bulk call: one request per record, many at once, at the account's pace.

Jobs (one per record, see :mod:`twiliorm.bulk.jobs`) come from a stream that is
read only as fast as slots free up, so memory stays at a page of records plus
what is in flight. The engine keeps at most :attr:`Limiter.allowed` jobs
running on a ``concurrent.futures.Executor`` (a thread pool of ``workers``
threads unless one is given) and settles every outcome in the calling thread:
counting, the checkpoint and the progress callback need no locks, and a user's
executor only ever runs the job itself.

A refused request (429, code 20429: "not processed, safe to retry") goes back
in line after its Retry-After, or a jittered backoff, and tells the limiter to
slow down. A request that may or may not have been processed (a 5xx, a dropped
connection, an unreadable answer) goes back in line too; the job itself checks
what the record looks like before it writes again (see the jobs). Anything else
is final: done, skipped, failed, or, for a write that must not be repeated
(a create, an update nothing can read back), unknown.

An exception in the calling thread (Ctrl-C) stops new submissions; the
requests already in flight are waited for and settled (so the checkpoint
records them) before it propagates.

One engine for sync and async code. A job's logic is written once, sans-I/O
(:meth:`Job.steps`: a generator that yields the requests to send and is sent
their answers, or has the client's exception thrown in); :func:`drive` runs
it with a sync :class:`~twiliorm.Client` and :func:`adrive` with an
:class:`~twiliorm.aio.AsyncClient`. The scheduling (the limiter, the queue of
jobs due again, settling, the report, progress, the checkpoint's callbacks)
is this class's; only the waiting differs: :meth:`Engine.run` waits on
threads' futures, :meth:`Engine.arun` on asyncio tasks, and on cancellation
(``CancelledError``) it too stops submitting, waits for what is in flight,
settles it, then re-raises.
"""

from __future__ import annotations

import asyncio
import collections
import enum
import heapq
import itertools
import random
import statistics
import time
from collections.abc import AsyncIterator, Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs

from .report import BulkReport, Progress

if TYPE_CHECKING:
    from ..aio.client import AsyncClient
    from ..client import Client
    from ..transport import Response

__all__ = ["Engine", "Job", "Limiter", "Outcome", "Status", "Steps", "adrive", "drive"]

MAX_REFUSALS = 40  # a record refused this often means the account is saturated by others
REFUSED_BACKOFF = (0.05, 5.0)  # first and longest wait after a 429 without Retry-After
RETRY_BACKOFF = (0.2, 10.0)  # after an answer that left the outcome uncertain


class Status(enum.Enum):
    """What became of one attempt at one record."""

    DONE = "done"  # written (or found already written by an earlier attempt)
    SKIPPED = "skipped"  # nothing to write: already in the target state, or gone
    PLANNED = "planned"  # a dry run: would be written
    FAILED = "failed"  # the API refused it for good (or it kept failing)
    UNKNOWN = "unknown"  # a write that must not be repeated may have landed: never resent
    RETRY = "retry"  # may or may not have been processed: check, then try again
    REFUSED = "refused"  # 429: not processed; try again later, send less at once


FINAL = frozenset({Status.DONE, Status.SKIPPED, Status.PLANNED, Status.FAILED, Status.UNKNOWN})


@attrs.frozen
class Outcome:
    """The result of one attempt: a status and what goes with it."""

    status: Status
    error: BaseException | None = None
    note: str = ""
    wait: float | None = None  # Retry-After, for REFUSED
    value: Any = None  # what a fetch or a create produced
    concurrent: int | None = None  # Twilio-Concurrent-Requests, when the answer had it


#: a request a job asks for: (method, path, form)
Send: TypeAlias = tuple[str, str, Sequence[tuple[str, str]]]
#: what a job's steps yield: a request to send, or seconds to wait before going on
Step: TypeAlias = Send | float
#: one attempt at a job, sans-I/O: yields steps, is sent each request's Response (or has
#: the client's exception thrown in; None after a wait), returns the attempt's Outcome
Steps: TypeAlias = Generator[Step, "Response | None", "Outcome"]


class Job:
    """One record's work. Subclasses set ``key`` and ``client`` and implement
    :meth:`steps` (or :meth:`run` for a job only the sync engine runs).

    ``tries`` counts the attempts whose outcome was uncertain, so an attempt
    knows when an earlier one may have been applied and must look first;
    ``sent`` the requests sent since the engine last counted them.
    """

    key: str = ""
    tries: int = 0
    refusals: int = 0
    sent: int = 0
    client: Client

    def precheck(self) -> Outcome | None:
        """An outcome decided without a request (already applied, a dry run), or None."""
        return None

    def steps(self) -> Steps:  # pragma: no cover - every job kind overrides it
        raise TypeError(f"{type(self).__name__} does not define steps()")

    def run(self) -> Outcome:
        """One attempt, sent through the job's sync client (in a worker thread)."""
        return drive(self, self.client)

    async def arun(self, client: AsyncClient) -> Outcome:
        """One attempt, sent through ``client`` (the bulk call's AsyncClient)."""
        return await adrive(self, client)


def drive(job: Job, client: Client) -> Outcome:
    """Run one attempt of ``job``'s steps, sending each request through ``client``."""
    steps = job.steps()
    answer: Response | None = None
    failure: Exception | None = None
    while True:
        try:
            step = steps.throw(failure) if failure is not None else steps.send(answer)
        except StopIteration as stop:
            outcome: Outcome = stop.value
            return outcome
        answer, failure = None, None
        if isinstance(step, float):
            time.sleep(step)
            continue
        method, path, form = step
        job.sent += 1
        try:
            answer = client.request(method, path, form=form)
        except Exception as exc:  # the job decides what an error means
            failure = exc


async def adrive(job: Job, client: AsyncClient) -> Outcome:
    """:func:`drive`, awaited: the same steps, sent through an AsyncClient."""
    steps = job.steps()
    answer: Response | None = None
    failure: Exception | None = None
    while True:
        try:
            step = steps.throw(failure) if failure is not None else steps.send(answer)
        except StopIteration as stop:
            outcome: Outcome = stop.value
            return outcome
        answer, failure = None, None
        if isinstance(step, float):
            await asyncio.sleep(step)
            continue
        method, path, form = step
        job.sent += 1
        try:
            answer = await client.request(method, path, form=form)
        except Exception as exc:
            failure = exc


class Limiter:
    """How many requests may be in flight: found by probing, lowered by 429s.

    Twilio caps each account's concurrent requests and refuses the excess with
    429 without processing it. The limit starts at two and grows by one per
    success until the first refusal (so it doubles every round trip). A refusal
    sets the ceiling just under the concurrency the refused request was sent
    at, and the limit drops to it; below the ceiling the limit grows by one per
    round trip, at or above it by one per ``probe_rounds`` round trips, so a cap
    that holds costs one refusal per probe and a cap that rises is found again.
    Refusals of requests sent before the last decrease are the same overshoot
    and change nothing.

    Twilio-Concurrent-Requests (the account's requests in flight when one was
    admitted) refines this: a level recently admitted is never given up for a
    refusal at that level (the server had not yet counted an answer it had
    sent), and while it shows more requests than this job has in flight,
    others share the cap and the limit holds instead of growing.
    """

    def __init__(self, maximum: int, *, start: int = 2, probe_rounds: int = 16) -> None:
        self.maximum = max(1, maximum)
        self.limit = float(min(self.maximum, start))
        self.probe_rounds = probe_rounds
        self.ceiling: float | None = None
        self.epoch = 0
        self.refused = 0
        # The admitted levels of the last answers (0: the account was shared, so it says
        # nothing of ours); old ones age out, so a cap that drops is followed down.
        self._admitted: collections.deque[int] = collections.deque(maxlen=32)

    @property
    def allowed(self) -> int:
        return max(1, min(self.maximum, int(self.limit)))

    def on_answer(self, in_flight: int, concurrent: int | None) -> None:
        """A request sent at ``in_flight`` was admitted (whatever it answered)."""
        if concurrent is not None:
            shared = concurrent > in_flight
            self._admitted.append(0 if shared else concurrent)
            if shared:
                return
        if self.ceiling is None:
            step = 1.0
        elif self.limit < self.ceiling:
            step = 1.0 / self.limit
        else:
            step = 1.0 / (self.limit * self.probe_rounds)
        self.limit = min(float(self.maximum), self.limit + step)

    def on_refused(self, in_flight: int, epoch: int) -> None:
        """A request sent at ``in_flight`` concurrency, during ``epoch``, was refused."""
        self.refused += 1
        if epoch != self.epoch:
            return
        self.epoch += 1
        proven = max(self._admitted, default=1)
        self.ceiling = max(float(proven), min(self.limit, float(in_flight - 1)))
        self.limit = min(self.limit, self.ceiling)


@attrs.define
class _Flight:
    job: Job
    epoch: int
    in_flight: int


#: told of every attempt's outcome (final or not), in the calling thread
Settle = Callable[[Job, Outcome], None]


class Engine:
    """Runs a stream of jobs; see the module docstring."""

    def __init__(
        self,
        operation: str,
        *,
        workers: int,
        executor: Executor | None = None,
        attempts: int = 5,
        progress: Callable[[Progress], Any] | None = None,
        total: int | None = None,
        on_outcome: Settle | None = None,
        on_submit: Callable[[Job], None] | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        if attempts < 1:
            raise ValueError(f"attempts must be at least 1, got {attempts}")
        self.workers = workers
        self.executor = executor
        self.attempts = attempts
        self.progress = progress
        self.on_outcome = on_outcome
        self.on_submit = on_submit
        self.limiter = Limiter(workers)
        self.report = BulkReport(operation)
        self.total = total
        self._samples: collections.deque[int] = collections.deque(maxlen=1000)
        self._waiting: list[tuple[float, int, Job]] = []
        self._order = itertools.count()
        self._started = 0.0

    # --- running: threads ------------------------------------------------------------

    def run(self, jobs: Iterable[Job]) -> BulkReport:
        """Run every job to a final outcome on threads; return the report."""
        self._started = time.monotonic()
        own = self.executor is None
        executor = self.executor or ThreadPoolExecutor(
            self.workers, thread_name_prefix="twiliorm-bulk"
        )
        pending: dict[Future[Outcome], _Flight] = {}
        try:
            self._loop(iter(jobs), executor, pending)
        except BaseException:
            # settle what is in flight (the checkpoint records it)
            for future, flight in list(pending.items()):
                if not future.cancel():
                    self._drained(flight, _result(future))
            raise
        finally:
            if own:
                executor.shutdown(wait=True, cancel_futures=True)
            self._finish()
        return self.report

    def _loop(
        self, source: Iterator[Job], executor: Executor, pending: dict[Future[Outcome], _Flight]
    ) -> None:
        more = True
        while True:
            while len(pending) < self.limiter.allowed:
                job = self._due()
                if job is None:
                    job = next(source, None) if more else None
                    if job is None:
                        more = False
                        break
                    if not self._admit(job):
                        continue
                flight = self._start(job, len(pending))
                pending[executor.submit(job.run)] = flight
            if not pending and not self._waiting and not more:
                return
            timeout = self._timeout(len(pending))
            if not pending:
                time.sleep(timeout or 0.0)
                continue
            done, _ = wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
            for future in done:
                self._settle(pending.pop(future), _result(future))

    # --- running: asyncio -----------------------------------------------------------

    async def arun(
        self, jobs: Iterable[Job] | AsyncIterator[Job], client: AsyncClient
    ) -> BulkReport:
        """Run every job to a final outcome as asyncio tasks sending through ``client``;
        return the report. Cancelled, it stops submitting, waits for the requests in
        flight and settles them (the checkpoint records them), then re-raises."""
        if self.executor is not None:
            raise TypeError(
                "executor= has no meaning in an async bulk call: its requests are asyncio "
                "tasks on the running loop (workers= bounds how many are in flight)"
            )
        self._started = time.monotonic()
        pending: dict[asyncio.Task[Outcome], _Flight] = {}
        try:
            await self._aloop(_aiter(jobs), client, pending)
        except BaseException:
            if pending:
                await asyncio.wait(pending)  # a request in flight cannot be taken back
            for task, flight in pending.items():
                self._drained(flight, _result(task))
            raise
        finally:
            self._finish()
        return self.report

    async def _aloop(
        self,
        source: AsyncIterator[Job],
        client: AsyncClient,
        pending: dict[asyncio.Task[Outcome], _Flight],
    ) -> None:
        more = True
        while True:
            while len(pending) < self.limiter.allowed:
                job = self._due()
                if job is None:
                    job = await anext(source, None) if more else None
                    if job is None:
                        more = False
                        break
                    if not self._admit(job):
                        continue
                flight = self._start(job, len(pending))
                pending[asyncio.ensure_future(job.arun(client))] = flight
            if not pending and not self._waiting and not more:
                return
            timeout = self._timeout(len(pending))
            if not pending:
                await asyncio.sleep(timeout or 0.0)
                continue
            done, _ = await asyncio.wait(pending, timeout=timeout, return_when=FIRST_COMPLETED)
            for task in done:
                self._settle(pending.pop(task), _result(task))

    # --- what both loops share ------------------------------------------------------

    def _due(self) -> Job | None:
        if self._waiting and self._waiting[0][0] <= time.monotonic():
            return heapq.heappop(self._waiting)[2]
        return None

    def _admit(self, job: Job) -> bool:
        """Count a new job in; False when its outcome is decided without a request."""
        self.report.matched += 1
        decided = job.precheck()
        if decided is not None:
            self._final(job, decided)
            return False
        return True

    def _start(self, job: Job, pending: int) -> _Flight:
        if self.on_submit is not None:
            self.on_submit(job)
        in_flight = pending + 1
        self._samples.append(in_flight)
        return _Flight(job, self.limiter.epoch, in_flight)

    def _timeout(self, pending: int) -> float | None:
        """How long to wait for an answer: until the next job due again, if one may start."""
        if self._waiting and pending < self.limiter.allowed:
            return max(0.0, self._waiting[0][0] - time.monotonic())
        return None

    def _drained(self, flight: _Flight, outcome: Outcome) -> None:
        """Settle an attempt that ends after the run was stopped: counted, final if final."""
        self._count_sent(flight.job)
        if outcome.status in FINAL:
            self._final(flight.job, outcome)

    # --- settling -----------------------------------------------------------------

    def _settle(self, flight: _Flight, outcome: Outcome) -> None:
        job = flight.job
        self._count_sent(job)
        if outcome.status not in FINAL and self.on_outcome is not None:
            self.on_outcome(job, outcome)
        if outcome.status is Status.REFUSED:
            self.limiter.on_refused(flight.in_flight, flight.epoch)
            self.report.refused += 1
            job.refusals += 1
            if job.refusals >= MAX_REFUSALS:
                self._final(job, Outcome(Status.FAILED, outcome.error, "refused too often"))
            else:
                self._later(job, outcome.wait or _backoff(job.refusals, REFUSED_BACKOFF))
            return
        self.limiter.on_answer(flight.in_flight, outcome.concurrent)
        if outcome.status is Status.RETRY:
            job.tries += 1
            if job.tries >= self.attempts:
                note = f"gave up after {job.tries} attempts"
                self._final(job, Outcome(Status.FAILED, outcome.error, note))
            else:
                self._later(job, _backoff(job.tries, RETRY_BACKOFF))
            return
        self._final(job, outcome)

    def _count_sent(self, job: Job) -> None:
        self.report.requests += job.sent
        job.sent = 0

    def _later(self, job: Job, delay: float) -> None:
        due = time.monotonic() + delay
        heapq.heappush(self._waiting, (due, next(self._order), job))

    def _final(self, job: Job, outcome: Outcome) -> None:
        self.report.count(job.key, outcome.status.value, outcome.error, outcome.note)
        if self.on_outcome is not None:
            self.on_outcome(job, outcome)
        if self.progress is not None:
            self.progress(self._progress())

    def _progress(self) -> Progress:
        report = self.report
        return Progress(
            operation=report.operation,
            done=report.settled,
            total=self.total,
            succeeded=report.succeeded,
            skipped=report.skipped,
            failed=len(report.failed),
            unknown=len(report.unknown),
            planned=report.planned,
            elapsed=time.monotonic() - self._started,
            concurrency=self.limiter.allowed,
        )

    def _finish(self) -> None:
        report = self.report
        report.elapsed = time.monotonic() - self._started
        tail = list(self._samples)[len(self._samples) // 2 :]
        report.concurrency = float(statistics.median(tail)) if tail else 0.0


def _result(done: Future[Outcome] | asyncio.Task[Outcome]) -> Outcome:
    """The outcome of a finished attempt; a job that raised (a bug, or an interrupted
    one) failed on its record, and the run goes on."""
    try:
        return done.result()
    except asyncio.CancelledError as exc:  # cut off mid-request: it may have landed
        return Outcome(Status.UNKNOWN, exc, "cancelled while in flight")
    except Exception as exc:
        return Outcome(Status.FAILED, error=exc)


async def _aiter(jobs: Iterable[Job] | AsyncIterator[Job]) -> AsyncIterator[Job]:
    if isinstance(jobs, AsyncIterator):
        async for job in jobs:
            yield job
    else:
        for job in jobs:
            yield job


def _backoff(count: int, bounds: tuple[float, float]) -> float:
    """Exponential backoff with full jitter in [0.5, 1.5) of the step."""
    first, longest = bounds
    step = min(longest, first * 2.0 ** max(0, count - 1))
    return step * (0.5 + random.random())
