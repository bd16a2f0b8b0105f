"""Bulk work over whole querysets: update, delete, export, fetch many, create many.

These are what ``QuerySet.update()``, ``.delete()``, ``.export()``,
``.in_bulk()`` and ``Manager.bulk_create()`` call::

    report = Message.objects.filter(date_sent__lt=cutoff).update(body="", resume="redact.ckpt")
    print(report)        # matched, succeeded, skipped, failed (with SIDs and errors), elapsed

The API has one request per record, so each call streams the matching
records page by page and sends their requests concurrently (``workers``
bounds it; any ``concurrent.futures.Executor`` may be passed), slowing down
when the account answers 429 and speeding up again on its own (see
:mod:`twiliorm.bulk.engine`). ``progress`` is called with a
:class:`Progress` after each record. ``resume="job.ckpt"`` keeps a
checkpoint (:mod:`twiliorm.bulk.checkpoint`): a job killed at any moment and
started again with the same file finishes the rest without writing a record
twice or skipping one. ``dry_run=True`` reads and compares but writes nothing.

Nothing fails silently: a write that leaves a record failed or in doubt
finishes the rest, then raises :class:`~twiliorm.exceptions.BulkError`,
whose ``report`` is the whole report; ``raise_on_failure=False`` returns
that report instead (a migration script that prints it and sets its exit
status). Every bulk write ends in :func:`finish_write`, which decides.

What a resumed run makes of the checkpoint:

- an update whose values can be read back (``body=""``) trusts what the
  listed record shows now, not the file: one already in the target state is
  skipped without a request, one set back since is written again;
- an update nothing can read back (a call's ``url``) and a create record an
  intent before each request; a record finished by an earlier run is not
  sent again, and one whose outcome was in doubt (an intent without an
  answer) is reported as *unknown*, never resent. A resumed create gives its
  object the SID the earlier run got, and reads it back;
- a delete goes by the list: what was deleted is no longer in it.

A run that reaches the end of its records marks the file finished; a later
run with the same file trusts none of its entries but its creates (an object
created stays created), so it redoes the job for what the records show then.
The file names the job (operation, resource, query, values): another job
cannot use it, and neither can a second process while the first has it.

An executor must run the jobs in this process (threads: a thread pool, or one
that wraps one), since each job holds the client's connection pool.

Each has an async twin, ``await``-ed on the running event loop:
:func:`abulk_update`, :func:`abulk_delete`, :func:`abulk_create`,
:func:`ain_bulk` and :func:`~twiliorm.bulk.export.aexport` (``qs.aupdate()``,
``qs.adelete()``, ``Model.objects.abulk_create()``, ``qs.aexport()``). They are the same calls
over the same engine, jobs and checkpoints, sent as asyncio tasks through an
:class:`~twiliorm.aio.AsyncClient` instead of threads, with the same options
but ``executor=`` (a TypeError: there is no thread to run). A checkpoint
written by one resumes with the other.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from ..exceptions import NotSupportedError, ValidationError
from ..resource import Binding
from .checkpoint import Checkpoint
from .engine import Engine, Job, Outcome, Status
from .export import FORMATS, aexport, export
from .jobs import (
    CreatedJob,
    CreateJob,
    DeleteJob,
    FetchJob,
    RequestCount,
    Targets,
    UpdateJob,
    bulk_client,
    paths_of,
    sequence_digest,
)
from .report import BulkReport, Failure, Progress

if TYPE_CHECKING:
    from ..client import Client
    from ..queryset import QuerySet
    from ..resource import Resource

__all__ = [
    "FORMATS",
    "BulkReport",
    "Failure",
    "Progress",
    "abulk_create",
    "abulk_delete",
    "abulk_update",
    "aexport",
    "ain_bulk",
    "bulk_create",
    "bulk_delete",
    "bulk_update",
    "export",
    "finish_write",
    "in_bulk",
]

DEFAULT_WORKERS = 8
ProgressCallback = Callable[[Progress], Any]
Path = str | os.PathLike[str]
#: builds one record's job: (the bulk client, key, record, its binding) -> Job
MakeJob = Callable[["Client", str, Mapping[str, Any], Binding], Job]


def bulk_update(
    qs: QuerySet[Any],
    values: Mapping[str, Any] | None = None,
    *,
    workers: int = DEFAULT_WORKERS,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    resume: Path | None = None,
    dry_run: bool = False,
    attempts: int = 5,
    total: int | None = None,
    raise_on_failure: bool = True,
    **fields: Any,
) -> BulkReport:
    """Write ``values`` (a mapping, or ``field=value`` keywords) to every record ``qs`` matches.

    Records that already hold the values are skipped without a request. Every
    value is checked before anything is sent. Values nothing can read back (a
    call's ``url`` or ``twiml``) are sent once per record: an answer lost on
    the way puts the record in ``report.unknown``, never a second request.
    """
    targets = Targets.make(qs.model, {**(values or {}), **fields})
    with _update_run(qs, targets, resume, workers, dry_run) as run:
        make = _updates(qs, targets, dry_run)
        report = run.go(
            f"update {qs.model.__name__}", run.each(make), executor, progress, attempts, total
        )
    return finish_write(report, raise_on_failure)


async def abulk_update(
    qs: QuerySet[Any],
    values: Mapping[str, Any] | None = None,
    *,
    workers: int = DEFAULT_WORKERS,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    resume: Path | None = None,
    dry_run: bool = False,
    attempts: int = 5,
    total: int | None = None,
    raise_on_failure: bool = True,
    **fields: Any,
) -> BulkReport:
    """:func:`bulk_update`, awaited: the same records, requests, report and checkpoint."""
    _no_executor(executor)
    targets = Targets.make(qs.model, {**(values or {}), **fields})
    with _update_run(qs, targets, resume, workers, dry_run) as run:
        make = _updates(qs, targets, dry_run)
        report = await run.ago(
            f"update {qs.model.__name__}", run.aeach(make), progress, attempts, total
        )
    return finish_write(report, raise_on_failure)


def _update_run(
    qs: QuerySet[Any], targets: Targets, resume: Path | None, workers: int, dry_run: bool
) -> _Run:
    job = {"operation": "update", "values": targets.form}
    # Values that can be read back are judged on the listed record; others by the file.
    return _Run(qs, job, resume, workers, dry_run, trust=not targets.comparable)


def _updates(qs: QuerySet[Any], targets: Targets, dry_run: bool) -> MakeJob:
    build = qs.model._meta.structure()

    def make(client: Client, key: str, record: Mapping[str, Any], binding: Binding) -> Job:
        paths = paths_of(build(record, binding), client, targets)
        return UpdateJob(client, targets, key, record, paths, dry_run=dry_run)

    return make


def bulk_delete(
    qs: QuerySet[Any],
    *,
    workers: int = DEFAULT_WORKERS,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    resume: Path | None = None,
    dry_run: bool = False,
    attempts: int = 5,
    total: int | None = None,
    raise_on_failure: bool = True,
) -> BulkReport:
    """DELETE every record ``qs`` matches; one already gone counts as skipped."""
    qs.model._meta.require("delete")
    with _Run(qs, {"operation": "delete"}, resume, workers, dry_run, trust=False) as run:
        jobs = run.each(_deletes(qs, dry_run))
        report = run.go(f"delete {qs.model.__name__}", jobs, executor, progress, attempts, total)
    return finish_write(report, raise_on_failure)


async def abulk_delete(
    qs: QuerySet[Any],
    *,
    workers: int = DEFAULT_WORKERS,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    resume: Path | None = None,
    dry_run: bool = False,
    attempts: int = 5,
    total: int | None = None,
    raise_on_failure: bool = True,
) -> BulkReport:
    """:func:`bulk_delete`, awaited: the same records, requests, report and checkpoint."""
    _no_executor(executor)
    qs.model._meta.require("delete")
    with _Run(qs, {"operation": "delete"}, resume, workers, dry_run, trust=False) as run:
        jobs = run.aeach(_deletes(qs, dry_run))
        report = await run.ago(f"delete {qs.model.__name__}", jobs, progress, attempts, total)
    return finish_write(report, raise_on_failure)


def _deletes(qs: QuerySet[Any], dry_run: bool) -> MakeJob:
    build = qs.model._meta.structure()

    def make(client: Client, key: str, record: Mapping[str, Any], binding: Binding) -> Job:
        path, _ = paths_of(build(record, binding), client, None)
        return DeleteJob(client, key, path, dry_run=dry_run)

    return make


def in_bulk(
    qs: QuerySet[Any],
    sids: Iterable[str] | None = None,
    *,
    workers: int = DEFAULT_WORKERS,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """{sid: object} for the ``sids`` that exist and match ``qs``, fetched concurrently.

    Missing SIDs are absent from the answer. Without ``sids``, every record of ``qs``.
    """
    _refuse_slice(qs)
    if sids is None:
        return {obj.pk: obj for obj in qs.for_bulk().iterator()}
    fetch = _Fetch(qs, sids, workers, executor, progress)
    with _Sender(qs.client, workers) as sender:
        report = fetch.engine.run(fetch.jobs(sender.view))
    return fetch.found_or_raise(report)


async def ain_bulk(
    qs: QuerySet[Any],
    sids: Iterable[str] | None = None,
    *,
    workers: int = DEFAULT_WORKERS,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """:func:`in_bulk`, awaited: one GET per SID on the bulk engine (429s slow it down)."""
    _no_executor(executor)
    _refuse_slice(qs)
    if sids is None:
        return {obj.pk: obj async for obj in qs.for_bulk().aiterator()}
    from ..aio.bulk import AsyncSender

    fetch = _Fetch(qs, sids, workers, None, progress)
    async with AsyncSender(qs.client, workers) as sender:
        report = await fetch.engine.arun(fetch.jobs(sender.view), sender.aclient)
    return fetch.found_or_raise(report)


def _refuse_slice(qs: QuerySet[Any]) -> None:
    if qs.query.low or qs.query.high is not None:
        raise TypeError("Cannot use in_bulk() on a sliced query.")


class _Fetch:
    """in_bulk by SID: every SID checked first, one FetchJob each, the matches kept."""

    def __init__(
        self,
        qs: QuerySet[Any],
        sids: Iterable[str],
        workers: int,
        executor: Executor | None,
        progress: ProgressCallback | None,
    ) -> None:
        if isinstance(sids, str):
            raise TypeError("in_bulk() takes a list of SIDs, not one SID as a string")
        plans = {sid: qs.filter(pk=sid).plan() for sid in dict.fromkeys(sids)}  # checks each
        if any(not plan.by_pk for plan in plans.values()):
            raise NotSupportedError(f"{qs.model.__name__} cannot be fetched by SID in the API")
        client = qs.client
        self.model = qs.model
        self.plans = plans
        self.binding = Binding(client, dict(qs.query.path_values(client.account_sid)))
        self.found: dict[str, Any] = {}
        self.engine = Engine(
            f"in_bulk {qs.model.__name__}",
            workers=workers,
            executor=executor,
            progress=progress,
            total=len(plans),
            on_outcome=self._keep,
        )

    def jobs(self, client: Client) -> Iterator[Job]:
        return (FetchJob(client, sid, plan.path) for sid, plan in self.plans.items())

    def _keep(self, job: Job, outcome: Outcome) -> None:
        predicate = self.plans[job.key].predicate
        if outcome.status is Status.DONE and (predicate is None or predicate(outcome.value)):
            self.found[job.key] = self.model.from_api(outcome.value, binding=self.binding)

    def found_or_raise(self, report: BulkReport) -> dict[str, Any]:
        if report.failed:
            raise report.failed[0].exception or RuntimeError(str(report.failed[0]))
        return self.found


def bulk_create(
    qs: QuerySet[Any],
    objects: Iterable[Resource],
    *,
    workers: int = DEFAULT_WORKERS,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    resume: Path | None = None,
    raise_on_failure: bool = True,
) -> BulkReport:
    """Create every object (each one POST, concurrently), never sending one twice.

    Every object is checked before anything is sent. A create refused with 429
    is sent again (the API did not process it); one that may have reached the
    API (a dropped connection, a 5xx) is reported as an unknown outcome in
    ``report.unknown``, not resent. Created objects get their SIDs in place,
    those created by an earlier run of a resumed job too (read back with a GET).
    """
    items = list(objects)
    with _create_run(qs, items, resume, workers) as run:
        jobs, rebind = _creates(qs, items)
        report = run.go(
            f"create {qs.model.__name__}", jobs, executor, progress, 1, len(items), rebind
        )
    return finish_write(report, raise_on_failure)


async def abulk_create(
    qs: QuerySet[Any],
    objects: Iterable[Resource],
    *,
    workers: int = DEFAULT_WORKERS,
    executor: Executor | None = None,
    progress: ProgressCallback | None = None,
    resume: Path | None = None,
    raise_on_failure: bool = True,
) -> BulkReport:
    """:func:`bulk_create`, awaited: each object one POST, never sent twice, the same
    report and checkpoint."""
    _no_executor(executor)
    items = list(objects)
    with _create_run(qs, items, resume, workers) as run:
        jobs, rebind = _creates(qs, items)
        report = await run.ago(f"create {qs.model.__name__}", jobs, progress, 1, len(items), rebind)
    return finish_write(report, raise_on_failure)


def _create_run(
    qs: QuerySet[Any], items: list[Resource], resume: Path | None, workers: int
) -> _Run:
    forms = [_check_new(qs.model, number, obj) for number, obj in enumerate(items)]
    job = {"operation": "create", "objects": sequence_digest(forms)}
    return _Run(qs, job, resume, workers, False, trust=True)


def _creates(
    qs: QuerySet[Any], items: list[Resource]
) -> tuple[Callable[[Client], Iterator[Job]], Callable[[Job, Outcome], None]]:
    """The create jobs of ``items``, and what puts each created object on the user's client."""
    path = dict(qs.query.path)
    user_client = qs.client

    def jobs(client: Client) -> Iterator[Job]:
        for number, obj in enumerate(items):
            yield CreateJob(client, number, obj, path)

    def rebind(job: Job, outcome: Outcome) -> None:
        if isinstance(job, CreateJob) and job.obj._ctx is not None:
            job.obj._ctx = Binding(user_client, job.obj._ctx.path)

    return jobs, rebind


# --- the plumbing every bulk write shares -------------------------------------------------


def _no_executor(executor: Executor | None) -> None:
    if executor is not None:
        raise TypeError(
            "executor= has no meaning in an async bulk call: its requests are asyncio tasks "
            "on the running event loop (workers= bounds how many are in flight)"
        )


def finish_write(report: BulkReport, raise_on_failure: bool = True) -> BulkReport:
    """The end of every bulk write: ``report``, or, when a record failed or its outcome is
    unknown and ``raise_on_failure`` holds, :class:`~twiliorm.exceptions.BulkError`
    carrying it. Called once the write has done all it could, checkpoint closed."""
    return report.raise_for_failures() if raise_on_failure else report


class _Finished(Job):
    """A record settled by an earlier run of the same job (read from the checkpoint)."""

    def __init__(self, key: str, outcome: Outcome) -> None:
        self.key = key
        self.outcome = outcome

    def precheck(self) -> Outcome:
        return self.outcome


class _Sender:
    """The bulk client for the duration of one call (closed after it), and what it resent."""

    def __init__(self, client: Client, workers: int) -> None:
        self.client = client
        self.resent = RequestCount()
        self.view = bulk_client(client, workers, self.resent)

    def __enter__(self) -> _Sender:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.view is not self.client:
            self.view.close()


_DOUBT = {"create": "created", "update": "applied"}
_EVENTS = {
    Status.DONE: "done",
    Status.SKIPPED: "skip",
    Status.FAILED: "fail",
    Status.UNKNOWN: "unknown",
    Status.REFUSED: "clear",
}


class _Run:
    """One bulk write: its records (each SID once), its checkpoint and its engine.

    ``trust``: the checkpoint's entries decide what is not sent again (creates,
    updates nothing can read back), which also means each request is preceded
    by an intent; otherwise the records judge and the file is a log.
    """

    def __init__(
        self,
        qs: QuerySet[Any],
        job: Mapping[str, Any],
        resume: Path | None,
        workers: int,
        dry_run: bool,
        *,
        trust: bool,
    ) -> None:
        self.qs = qs
        self.job = {"resource": qs.model.__name__, "query": query_of(qs), **job}
        self.operation = str(job["operation"])
        self.resume = resume
        self.workers = workers
        self.dry_run = dry_run
        self.trust = trust
        self.pages = 0
        self.checkpoint: Checkpoint | None = None
        meta = qs.model._meta
        pk = meta.fields.get(meta.pk or "sid")
        self.pk_key = (pk.key if pk is not None else None) or "sid"

    def __enter__(self) -> _Run:
        if self.resume is not None:
            self.checkpoint = Checkpoint(self.resume, self.job, write=not self.dry_run)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.checkpoint is not None:
            self.checkpoint.close()

    def records(self) -> Iterator[tuple[str, Mapping[str, Any], Binding]]:
        """(key, record, binding) for each matching record (once: see QuerySet.pages), in
        date partitions when the query allows, as their pages come (the order is no matter)."""
        for page in self.qs.for_bulk(ordered=False).pages():
            self.pages += 1
            for record in page.raw:
                yield str(record.get(self.pk_key)), record, page.binding

    async def arecords(self) -> AsyncIterator[tuple[str, Mapping[str, Any], Binding]]:
        """:meth:`records`, read with ``apages()``."""
        async for page in self.qs.for_bulk(ordered=False).apages():
            self.pages += 1
            for record in page.raw:
                yield str(record.get(self.pk_key)), record, page.binding

    def each(self, make: MakeJob) -> Callable[[Client], Iterator[Job]]:
        """The jobs ``make`` builds from the records, read as they are needed."""
        return lambda client: (make(client, *found) for found in self.records())

    def aeach(self, make: MakeJob) -> Callable[[Client], AsyncIterator[Job]]:
        """:meth:`each` over :meth:`arecords`."""

        async def jobs(client: Client) -> AsyncIterator[Job]:
            async for found in self.arecords():
                yield make(client, *found)

        return jobs

    def go(
        self,
        operation: str,
        jobs: Callable[[Client], Iterator[Job]],
        executor: Executor | None,
        progress: ProgressCallback | None,
        attempts: int,
        total: int | None,
        also: Callable[[Job, Outcome], None] | None = None,
    ) -> BulkReport:
        """Run the jobs on threads (the sync call)."""
        with _Sender(self.qs.client, self.workers) as sender:
            engine = self._engine(operation, executor, progress, attempts, total, also)
            try:
                report = engine.run(self._resumed(jobs(sender.view)))
            finally:
                engine.report.requests += sender.resent.value
                engine.report.pages = self.pages
        self._finished()
        return report

    async def ago(
        self,
        operation: str,
        jobs: Callable[[Client], Iterator[Job] | AsyncIterator[Job]],
        progress: ProgressCallback | None,
        attempts: int,
        total: int | None,
        also: Callable[[Job, Outcome], None] | None = None,
    ) -> BulkReport:
        """Run the jobs as asyncio tasks (the async call): the same engine and records."""
        from ..aio.bulk import AsyncSender  # the async half, imported when used

        async with AsyncSender(self.qs.client, self.workers) as sender:
            engine = self._engine(operation, None, progress, attempts, total, also)
            try:
                found = jobs(sender.view)
                if isinstance(found, AsyncIterator):
                    source: Iterator[Job] | AsyncIterator[Job] = self._aresumed(found)
                else:
                    source = self._resumed(found)
                report = await engine.arun(source, sender.aclient)
            finally:
                engine.report.requests += sender.resent.value
                engine.report.pages = self.pages
        self._finished()
        return report

    def _engine(
        self,
        operation: str,
        executor: Executor | None,
        progress: ProgressCallback | None,
        attempts: int,
        total: int | None,
        also: Callable[[Job, Outcome], None] | None,
    ) -> Engine:
        return Engine(
            operation,
            workers=self.workers,
            executor=executor,
            attempts=attempts,
            progress=progress,
            total=total,
            on_outcome=self._recorder(also),
            on_submit=self._intent if self.trust else None,
        )

    def _finished(self) -> None:
        if self.checkpoint is not None:
            self.checkpoint.finish()

    def _resumed(self, jobs: Iterator[Job]) -> Iterator[Job]:
        for job in jobs:
            yield self._earlier(job) or job

    async def _aresumed(self, jobs: AsyncIterator[Job]) -> AsyncIterator[Job]:
        async for job in jobs:
            yield self._earlier(job) or job

    def _earlier(self, job: Job) -> Job | None:
        """What stands in for ``job`` when the checkpoint says it needs no new request."""
        if self.checkpoint is None or not self.trust:
            return None
        # An object created stays created, whatever run created it.
        states = self.checkpoint.history if self.operation == "create" else self.checkpoint.states
        state = states.get(job.key)
        if state in ("begin", "unknown"):
            note = f"it may have been {_DOUBT[self.operation]} in an earlier run: not resent"
            return _Finished(job.key, Outcome(Status.UNKNOWN, note=note))
        if state not in ("done", "skip"):
            return None
        sid = self.checkpoint.sids.get(job.key)
        if isinstance(job, CreateJob) and sid:
            return CreatedJob(job.client, int(job.key[1:]), job.obj, job.path, sid)
        return _Finished(job.key, Outcome(Status.SKIPPED, note="finished in an earlier run"))

    def _intent(self, job: Job) -> None:
        if self.checkpoint is not None:
            self.checkpoint.record("begin", job.key, sync=True)

    def _recorder(
        self, also: Callable[[Job, Outcome], None] | None
    ) -> Callable[[Job, Outcome], None]:
        def record(job: Job, outcome: Outcome) -> None:
            if also is not None:
                also(job, outcome)
            event = _EVENTS.get(outcome.status)
            if self.checkpoint is None or event is None or isinstance(job, _Finished | CreatedJob):
                return
            if event == "clear" and not self.trust:
                return  # a refusal clears an intent; without intents there is none
            sid = getattr(outcome.value, "pk", None) if event == "done" else None
            self.checkpoint.record(event, job.key, sid or "")

        return record


def query_of(qs: QuerySet[Any]) -> dict[str, Any]:
    """What a checkpoint records of a query: the request it compiles to and what it tests."""
    plan = qs.query.compile(qs.client.account_sid)
    return {
        "path": plan.path,
        "params": [list(pair) for pair in plan.params],
        "client": list(plan.client),
        "slice": [plan.low, plan.high],
    }


def _check_new(model: type[Resource], number: int, obj: Resource) -> list[tuple[str, str]]:
    """The create form of the ``number``-th object, after checking it (nothing is sent)."""
    from ..persistence import form_for

    meta = model._meta
    meta.require("create")
    if not isinstance(obj, model):
        raise TypeError(f"bulk_create() of {meta.name}: object #{number} is a {type(obj).__name__}")
    if obj.is_saved:
        raise ValidationError(f"bulk_create(): {meta.name} #{number} ({obj.pk}) is already saved")
    missing = [
        s.name
        for s in meta.writable("create")
        if "create" in s.required and getattr(obj, s.name) is None
    ]
    if missing:
        raise ValidationError(
            f"{meta.name} #{number} cannot be created without {', '.join(missing)}"
        )
    return form_for(obj, obj.changed_fields(), "create")
