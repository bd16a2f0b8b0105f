"""``bulk_update(objs, fields)``: objects the caller holds, each written by one POST, concurrently.

Django's ``bulk_update`` writes many rows in one statement. The API has one
request per record, so each object is one POST of the named fields (the
values set on it), sent concurrently by the bulk engine
(:mod:`twiliorm.bulk.engine`: adaptive concurrency, 429s waited out). A write
that may have landed is checked before it is sent again, as every bulk update
is (:class:`~twiliorm.bulk.jobs.UpdateJob`). Each object written is read back
from the API's answer. The call returns how many objects were updated, as
Django's does; failures raise :class:`~twiliorm.exceptions.BulkError` carrying
the report, unless ``raise_on_failure=False``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from . import persistence
from .bulk import DEFAULT_WORKERS, Progress, _no_executor, finish_write
from .bulk.engine import Engine, Job, Outcome, Status
from .bulk.jobs import Ask, Targets, UpdateJob, bulk_client, paths_of
from .protocol import ApiRequest

if TYPE_CHECKING:
    from .client import Client
    from .resource import Resource
    from .transport import Response

__all__ = ["abulk_update_objects", "bulk_update_objects"]


class _ObjectUpdate(UpdateJob):
    """An update of an object the caller holds: it keeps the API's answer to read back."""

    def __init__(self, client: Client, obj: Resource, targets: Targets) -> None:
        super().__init__(client, targets, str(obj.pk), {}, paths_of(obj, client, targets))
        self.obj = obj
        self.answer: Response | None = None

    def write(self) -> Ask:
        self.answer = yield from super().write()
        return self.answer


def bulk_update_objects(
    model: type[Resource],
    client: Client,
    objs: Iterable[Resource],
    fields: Iterable[str],
    *,
    workers: int = DEFAULT_WORKERS,
    executor: Executor | None = None,
    progress: Callable[[Progress], Any] | None = None,
    raise_on_failure: bool = True,
) -> int:
    """POST ``fields`` of each of ``objs`` (every value checked before anything is sent);
    the number of objects updated."""
    pairs = _checked(model, objs, fields)
    if not pairs:
        return 0
    view = bulk_client(client, workers)
    try:
        engine = _engine(model, client, workers, executor, progress, len(pairs))
        report = engine.run([_ObjectUpdate(view, o, t) for o, t in pairs])
    finally:
        if view is not client:
            view.close()
    return finish_write(report, raise_on_failure).succeeded


async def abulk_update_objects(
    model: type[Resource],
    client: Client,
    objs: Iterable[Resource],
    fields: Iterable[str],
    *,
    workers: int = DEFAULT_WORKERS,
    executor: Executor | None = None,
    progress: Callable[[Progress], Any] | None = None,
    raise_on_failure: bool = True,
) -> int:
    """:func:`bulk_update_objects`, awaited: the same jobs on the same engine, as asyncio
    tasks through an AsyncClient (``executor=`` has no meaning there: a TypeError)."""
    from .aio.bulk import AsyncSender

    _no_executor(executor)
    pairs = _checked(model, objs, fields)
    if not pairs:
        return 0
    async with AsyncSender(client, workers) as sender:
        engine = _engine(model, client, workers, None, progress, len(pairs))
        try:
            jobs = [_ObjectUpdate(sender.view, o, t) for o, t in pairs]
            report = await engine.arun(jobs, sender.aclient)
        finally:
            engine.report.requests += sender.resent.value
    return finish_write(report, raise_on_failure).succeeded


def _checked(
    model: type[Resource], objs: Iterable[Resource], fields: Iterable[str]
) -> list[tuple[Resource, Targets]]:
    names = _names(model, fields)
    items = list(objs)
    for obj in items:
        if not isinstance(obj, model) or obj.pk is None:
            raise ValueError(f"All bulk_update() objects must be saved {model.__name__} objects")
    return [
        (obj, Targets.make(model, {name: getattr(obj, name) for name in names})) for obj in items
    ]


def _engine(
    model: type[Resource],
    client: Client,
    workers: int,
    executor: Executor | None,
    progress: Callable[[Progress], Any] | None,
    total: int,
) -> Engine:
    return Engine(
        f"bulk_update {model.__name__}",
        workers=workers,
        executor=executor,
        progress=progress,
        total=total,
        on_outcome=_read_back(client),
    )


def _names(model: type[Resource], fields: Iterable[str]) -> list[str]:
    if isinstance(fields, str):
        raise TypeError("bulk_update() takes a list of field names, not one name as a string")
    names = list(dict.fromkeys(fields))
    if not names:
        raise ValueError("Field names must be given to bulk_update().")
    if model._meta.pk in names:
        raise ValueError("bulk_update() cannot be used with primary key fields.")
    return names


def _read_back(client: Client) -> Callable[[Job, Outcome], None]:
    """Load each answer into its object (in the calling thread, as the engine settles it)."""

    def settle(job: Job, outcome: Outcome) -> None:
        if not isinstance(job, _ObjectUpdate) or outcome.status is not Status.DONE:
            return
        if job.answer is not None:
            write = persistence.Write(ApiRequest("POST", job.path, job.targets.form))
            persistence.saved(job.obj, write, job.answer.json(), client)

    return settle
