"""The QuerySet's async methods, Django's names: ``async for``, ``aget()``, ``acount()``...

:class:`AsyncQuerySetMixin` is a base of :class:`~twiliorm.QuerySet`, so every
QuerySet (a custom one, and its manager, too) has them. Each one is its sync
namesake with the I/O awaited: the query is built and compiled by the same
methods, read by the same reader (:mod:`twiliorm.protocol`), sent through
the QuerySet's client's async twin (:func:`~twiliorm.aio.async_client_for`),
and costs the same requests (``tests/test_async_queryset.py`` runs the sync
tests both ways).

As in Django, ``async for obj in qs`` fills the QuerySet's result cache (a
second loop, ``len(qs)`` or ``qs[3]`` send nothing), and ``aiterator()``
streams without one. Both yield records as pages arrive, the next page on
its way while the caller works on this one (a loop left early keeps no
partial cache, and asks for no more).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from .. import rows as row_kinds
from ..aggregates import Aggregate, Summary, named
from ..expressions import Q
from ..partitions import partitioned
from ..protocol import Page
from .client import async_client_for
from .paging import aread_pages
from .persistence import afetch_payload
from .reads import aread_concurrently

if TYPE_CHECKING:
    from ..bulk import BulkReport
    from ..queryset import QuerySet

__all__ = ["AsyncQuerySetMixin"]

T = TypeVar("T")


class AsyncQuerySetMixin(Generic[T]):
    """The async half of :class:`~twiliorm.QuerySet` (see the module docstring)."""

    # --- reading -------------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[T]:
        return _cached(_qs(self))

    async def apages(self, *, prefetch: bool = True) -> AsyncIterator[Page[T]]:
        """The results page by page, as :meth:`~twiliorm.QuerySet.pages` gives them; with
        ``prefetch``, the next page is fetched while the caller works on this one."""
        qs = _qs(self)
        client, reader, page = qs._read_plan()
        sender = async_client_for(client)
        if partitioned(reader):
            raws = aread_concurrently(sender, reader, workers=qs._concurrency or 1)
        else:
            raws = aread_pages(sender, reader, qs.model, prefetch=prefetch)
        async with contextlib.aclosing(raws):  # left early: its requests stop now, not at GC
            async for raw in raws:
                yield page(raw)

    async def aiterator(self, chunk_size: int | None = None) -> AsyncIterator[T]:
        """Stream the results, one page held at a time (no result cache), the next one
        fetched meanwhile; groups and an order made on the client need every record first."""
        qs = _qs(self).page_size(chunk_size) if chunk_size else _qs(self)
        if qs._groups is not None:
            for row in await qs._agrouped():
                yield row
            return
        if qs._distinct_rows:
            rows = [record async for page in qs.apages() for record in page.records]
            for row in row_kinds.distinct_rows(rows):
                yield row
            return
        async for page in qs.apages():
            for record in page.each():
                yield record

    async def _afetch_all(self) -> list[T]:
        qs = _qs(self)
        if qs._result_cache is None:
            if qs._rows is None and qs._groups is None:
                qs._result_cache = await _akept_instances(qs)
            else:
                qs._result_cache = [record async for record in qs.aiterator()]
        return qs._result_cache

    async def _agrouped(self) -> list[Any]:
        qs = _qs(self)
        assert qs._groups is not None
        summary = Summary(qs.model, qs._groups, qs._fields or ())
        async for page in qs._unordered().apages():
            summary.feed(page.raw)
        return summary.rows()

    # --- answers without objects ---------------------------------------------------------

    async def acount(self) -> int:
        """How many records match (as ``count()``: reads pages, builds no objects)."""
        qs = _qs(self)
        if qs._result_cache is not None or qs._whole:
            return len(await qs._afetch_all())
        pages = qs._unordered().for_bulk(ordered=False).apages(prefetch=False)
        return sum([len(page) async for page in pages])

    async def aexists(self) -> bool:
        """Whether any record matches (as ``exists()``: PageSize=1 when the server can tell)."""
        qs = _qs(self)
        if qs._result_cache is not None or qs._whole:
            return bool(await qs._afetch_all())
        async for page in qs._exists_query().apages(prefetch=False):
            if len(page):
                return True
        return False

    async def acontains(self, obj: Any) -> bool:
        """Whether ``obj`` is among the records (as ``contains()``: one GET of it)."""
        qs = _qs(self)
        if not isinstance(obj, qs.model):
            raise TypeError(f"contains() takes a {qs.model.__name__}, not {obj!r}")
        if obj.pk is None:
            raise ValueError("QuerySet.contains() cannot be used on unsaved objects.")
        if qs._result_cache is not None:
            return obj in qs._result_cache
        return await qs.filter(pk=obj.pk).aexists()

    async def aaggregate(self, *args: Aggregate, **kwargs: Aggregate) -> dict[str, Any]:
        """As ``aggregate()``: one streaming pass over every matching record's payload."""
        qs = _qs(self)
        summary = Summary(qs.model, named(args, kwargs))
        async for page in qs._unordered().apages():
            summary.feed(page.raw)
        return summary.totals()

    # --- single objects ------------------------------------------------------------------

    async def afirst(self) -> T | None:
        """The first record in this order, or None (as ``first()``: PageSize=1)."""
        qs = _qs(self)
        if qs._result_cache is not None or qs._whole:
            found = await qs._afetch_all()
            return found[0] if found else None
        found = [record async for record in qs._chain(qs.query.sliced(0, 1)).aiterator()]
        return found[0] if found else None

    async def alast(self) -> T | None:
        """The last record in this order, or None (as ``last()``)."""
        qs = _qs(self)
        if qs._result_cache is not None or qs._whole:
            found = await qs._afetch_all()
            return found[-1] if found else None
        return await qs.reverse().afirst()

    async def alatest(self, *fields: str) -> T:
        """As ``latest()``: the record with the greatest ``fields``; DoesNotExist if none."""
        qs = _qs(self)
        return qs._found(await qs._earliest_query(fields, latest=True).afirst())

    async def aearliest(self, *fields: str) -> T:
        """As ``earliest()``: the record with the smallest ``fields``; DoesNotExist if none."""
        qs = _qs(self)
        return qs._found(await qs._earliest_query(fields, latest=False).afirst())

    async def aget(self, *args: Q, **conditions: Any) -> T:
        """As ``get()``: by SID one GET of the instance; ``DoesNotExist`` (a 404 by SID:
        ``Model.NotFound``) or ``MultipleObjectsReturned``."""
        qs = _qs(self)
        target = qs._get_target(args, conditions)
        if isinstance(target, tuple):
            path, binding = target
            client = async_client_for(qs.client)
            record = await afetch_payload(qs.model, client, path)
            return qs._build([record], binding)[0]
        return qs._only([record async for record in target.aiterator()])

    # --- writes --------------------------------------------------------------------------

    async def acreate(self, **values: Any) -> T:
        """Create and save a new record (one POST), as ``create()``."""
        qs = _qs(self)
        obj: Any = qs.new(**values)
        await obj.asave()
        return cast(T, obj)

    async def aget_or_create(
        self, defaults: Mapping[str, Any] | None = None, **conditions: Any
    ) -> tuple[T, bool]:
        """(object, created), as ``get_or_create()``."""
        qs = _qs(self)
        try:
            return await qs.aget(**conditions), False
        except qs.model.DoesNotExist:
            values = {k: v for k, v in conditions.items() if "__" not in k}
            return await qs.acreate(**{**values, **(defaults or {})}), True

    async def aupdate_or_create(
        self,
        defaults: Mapping[str, Any] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
        **conditions: Any,
    ) -> tuple[T, bool]:
        """(object, created), as ``update_or_create()``: one POST of ``defaults`` to the
        record found, or a create with ``conditions`` and ``create_defaults``."""
        qs = _qs(self)
        try:
            obj: Any = await qs.aget(**conditions)
        except qs.model.DoesNotExist:
            values = {k: v for k, v in conditions.items() if "__" not in k}
            given = create_defaults if create_defaults is not None else defaults
            return await qs.acreate(**values, **_called(given)), True
        if defaults:
            await obj.aupdate(**_called(defaults))
        return cast(T, obj), False

    async def ain_bulk(
        self,
        id_list: Iterable[Any] | None = None,
        *,
        field_name: str = "sid",
        concurrency: int | None = None,
        **options: Any,
    ) -> dict[Any, T]:
        """As ``in_bulk()``: {sid: object}, one GET per SID on the bulk engine
        (:func:`twiliorm.bulk.ain_bulk`: 429s slow it down; options ``workers=``,
        ``progress=``; ``concurrency=`` is ``workers=`` by its earlier name); by another
        ``field_name``, {value: object} read as ``filter(<field>__in=...)``."""
        qs = _qs(self)
        meta = qs.model._meta
        if field_name in ("pk", meta.pk):
            from ..bulk import ain_bulk

            if concurrency is not None:
                if "workers" in options:
                    raise TypeError("ain_bulk() takes workers= or concurrency=, not both")
                options["workers"] = concurrency
            return await ain_bulk(qs, id_list, **options)
        qs._refuse_after_slice("use in_bulk() on")
        if id_list is None:
            return await _keyed_by(qs, field_name)
        if isinstance(id_list, str):
            raise TypeError("in_bulk() takes a list of SIDs, not one SID as a string")
        values = list(dict.fromkeys(id_list))
        found = qs.filter(**{f"{field_name}__in": values}) if values else qs.none()
        return await _keyed_by(found, field_name)

    # --- bulk work: the sync calls' engine, jobs and checkpoints, awaited (twiliorm.bulk) ---

    async def aupdate(self, **values: Any) -> BulkReport:
        """As ``update()``: write ``field=value`` to every matching record, concurrently
        (asyncio tasks); a report, or ``BulkError`` carrying it. Options as ``update()``
        (``workers=``, ``progress=``, ``resume=``, ``dry_run=``, ``raise_on_failure=``);
        ``executor=`` is a TypeError here. See :func:`twiliorm.bulk.abulk_update`."""
        from ..bulk import abulk_update

        return await abulk_update(_qs(self), **values)

    async def adelete(self, **options: Any) -> BulkReport:
        """As ``delete()``: DELETE every matching record, concurrently; see
        :func:`twiliorm.bulk.abulk_delete`."""
        from ..bulk import abulk_delete

        return await abulk_delete(_qs(self), **options)

    adelete.queryset_only = True  # type: ignore[attr-defined]  # as delete(): not on a manager

    async def aexport(self, target: Any, format: str = "csv", **options: Any) -> BulkReport:
        """As ``export()``: the matching records to a path or file, page by page (the file
        written with blocking I/O a page at a time); see :func:`twiliorm.bulk.aexport`."""
        from ..bulk import aexport

        return await aexport(_qs(self), target, format=format, **options)

    async def abulk_create(self, objects: Iterable[Any], **options: Any) -> BulkReport:
        """As ``bulk_create()``: each object one POST, concurrently, never sent twice; see
        :func:`twiliorm.bulk.abulk_create`."""
        from ..bulk import abulk_create

        return await abulk_create(_qs(self), objects, **options)

    async def abulk_update(self, objs: Iterable[Any], fields: Iterable[str], **options: Any) -> int:
        """As ``bulk_update()``: ``fields`` of each of ``objs``, one POST each, concurrently;
        the number of objects updated (see :mod:`twiliorm.batch`)."""
        from ..batch import abulk_update_objects

        qs = _qs(self)
        return await abulk_update_objects(qs.model, qs.client, objs, fields, **options)


async def _akept_instances(qs: QuerySet[T]) -> list[T]:
    """Every instance, each page's compacted as it comes (as QuerySet._kept_instances)."""
    compact = qs.model._meta.conversions().compact
    results: list[T] = []
    async for page in qs.apages():
        built = list(page.each())
        compact(built)
        results += built
    return results


def _qs(mixin: AsyncQuerySetMixin[T]) -> QuerySet[T]:
    """The QuerySet this mixin is a base of (a mixin's ``self``, typed as what it is)."""
    return cast("QuerySet[T]", mixin)


def _called(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """``values`` with each callable replaced by what it returns (Django's defaults)."""
    return {name: value() if callable(value) else value for name, value in (values or {}).items()}


async def _cached(qs: QuerySet[T]) -> AsyncIterator[T]:
    """``async for`` over ``qs``: its cache, or its records as they come, then cached."""
    if qs._result_cache is not None:
        for record in qs._result_cache:
            yield record
        return
    found: list[T] = []
    if qs._rows is not None or qs._groups is not None:
        async for record in qs.aiterator():
            found.append(record)
            yield record
    else:  # instances kept: each page's compacted once its records are passed on
        compact = qs.model._meta.conversions().compact
        async for page in qs.apages():
            built = list(page.each())
            for record in built:
                yield record
            compact(built)
            found += built
    qs._result_cache = found


async def _keyed_by(qs: QuerySet[T], field_name: str) -> dict[Any, T]:
    found: dict[Any, T] = {}
    async for obj in qs.for_bulk().aiterator():  # in partitions, as in_bulk() reads
        key = getattr(obj, field_name)
        if key in found:
            raise ValueError(
                f"in_bulk(field_name={field_name!r}): more than one {qs.model.__name__} "
                f"has {field_name}={key!r}; in_bulk needs a field whose values are unique"
            )
        found[key] = obj
    return found
