"""QuerySet: lazy, chainable, immutable; evaluated in one place.

Building, chaining, slicing or printing a QuerySet sends nothing (``repr()``
excepted: like Django's, it fetches at most 21 items). Each builder returns a
new QuerySet around a new :class:`~twiliorm.query.Query`; evaluation happens
in :meth:`QuerySet._fetch_all` (cached) or :meth:`QuerySet.iterator`
(streamed, one page held at a time). Requests are as few as the plan allows:
``qs[:20]`` asks for PageSize=20, an unbounded iteration for PageSize=1000,
``exists()`` and ``first()`` for PageSize=1 (``exists()`` for pages of 1000 when
the client refines, so that a rare match costs few requests), and ``count()``
builds no objects.

The names and meanings are Django's (``docs/django.rst`` lists each with its
cost in requests). What the API cannot do is done on the client and said by
``explain()``: an or of conditions the API filters on is read as several
narrowed queries merged in the list's order (:mod:`twiliorm.query`), an order
other than the list's own is a sort of every matching record, and aggregates
(:mod:`twiliorm.aggregates`) are one streaming pass over the payloads.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import pickle
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

import attrs

from . import rows as row_kinds
from .aggregates import Aggregate, Summary, named
from .aio.client import AsyncClient
from .aio.queryset import AsyncQuerySetMixin
from .batch import bulk_update_objects
from .bulk import BulkReport, bulk_create, bulk_delete, bulk_update, export, in_bulk
from .bulk.reads import read_concurrently
from .client import Client, default_client, get_client
from .exceptions import ScanError, ScanWarning, TwilioRestError
from .expressions import Q
from .paging import read_pages
from .partitions import (
    API_EPOCH,
    account_day,
    account_request,
    open_partitions,
    partitioned,
    partitioning,
)
from .persistence import fetch_payload
from .protocol import Page, RawPage, Reader, open_reader
from .query import PAGE_SIZE_MAX, Plan, Query
from .resource import Binding, _unknown_field
from .rows import Rows

if TYPE_CHECKING:
    from .resource import Resource

__all__ = ["DEFAULT_READERS", "MAX_GET_RESULTS", "REPR_OUTPUT_SIZE", "QuerySet"]

T = TypeVar("T")
MAX_GET_RESULTS = 21
REPR_OUTPUT_SIZE = 20
#: requests at once in a read in partitions (``concurrently()``, and bulk reads by default)
DEFAULT_READERS = 16


class QuerySet(AsyncQuerySetMixin[T], Generic[T]):
    """A lazy query over one resource's list; see the module docstring (its async
    methods, ``aget()``, ``async for``..., come from :mod:`twiliorm.aio.queryset`)."""

    #: for_bulk(keys=): the keys pages' raw must hold (a class default: a QuerySet
    #: pickled before there was one loads without it)
    _keys: frozenset[str] | None = None

    def __init__(
        self,
        model: type[Resource],
        query: Query | None = None,
        *,
        client: Client | None = None,
        rows: Rows | None = None,
    ) -> None:
        self.model = model
        self.query = query if query is not None else Query(model)
        self._client = client
        self._rows = rows
        self._fields: tuple[str, ...] | None = None  # values(): the fields of a row
        self._groups: dict[str, Aggregate] | None = None  # annotate(): a row per group
        self._distinct = False
        self._result_cache: list[T] | None = None
        # concurrently(): requests at once in partitions (None: not chosen, 0: never)
        self._concurrency: int | None = None
        self._ordered = True  # partitions merged in the list's order (not for a count)

    # --- building ---------------------------------------------------------------

    def _chain(self, query: Query | None = None) -> QuerySet[T]:
        chained = type(self)(self.model, query or self.query, client=self._client, rows=self._rows)
        chained._fields, chained._groups = self._fields, self._groups
        chained._distinct = self._distinct
        chained._concurrency, chained._ordered = self._concurrency, self._ordered
        return chained  # not _keys: a QuerySet built on for_bulk(keys=) reads whole records

    def all(self) -> QuerySet[T]:
        """A copy of this QuerySet (a fresh one, with no cached results)."""
        return self._chain()

    def filter(self, *args: Q, **conditions: Any) -> QuerySet[T]:
        """Records matching every ``field__lookup=value`` (lookups: exact, lt, lte, gt, gte,
        range, in, contains, icontains, startswith, istartswith, endswith, iendswith,
        iexact, isnull), plus search parameters (``contains`` on available numbers) and
        path parameters (``conference=`` for participants), and every ``Q`` object given
        (``Q(to=a) | Q(from_=a)``: an or of API filters is one narrowed query per branch,
        merged). See ``explain()``."""
        self._refuse_after_slice("filter")
        return self._chain(self._with_q(self.query.filter(conditions), args, negated=False))

    def exclude(self, *args: Q, **conditions: Any) -> QuerySet[T]:
        """Records not matching all of ``conditions``, nor any ``Q`` given (the API has no
        "not": answered client-side)."""
        self._refuse_after_slice("exclude")
        return self._chain(self._with_q(self.query.exclude(conditions), args, negated=True))

    @staticmethod
    def _with_q(query: Query, args: Sequence[Q], *, negated: bool) -> Query:
        for q in args:
            if not isinstance(q, Q):
                raise TypeError(f"filter() and exclude() take Q objects and keywords, not {q!r}")
            query = query.add_q(q, negated=negated)
        return query

    def __or__(self, other: QuerySet[T]) -> QuerySet[T]:
        """Records of either QuerySet (``qs1 | qs2``), as ``filter(Q(...) | Q(...))``."""
        return self._combined(other, Q.OR)

    def __and__(self, other: QuerySet[T]) -> QuerySet[T]:
        """Records of both QuerySets (``qs1 & qs2``)."""
        return self._combined(other, Q.AND)

    def _combined(self, other: object, connector: str, *, negated: bool = False) -> QuerySet[T]:
        if not isinstance(other, QuerySet):
            raise TypeError(f"a QuerySet combines with a QuerySet, not {type(other).__name__}")
        return self._chain(self.query.combine(other.query, connector, negated=negated))

    def union(self, *others: QuerySet[T], all: bool = False) -> QuerySet[T]:
        """Records of this QuerySet or any of ``others`` (``qs1 | qs2 | ...``); a record
        is one SID, so it comes once, ``all=True`` or not."""
        combined = self
        for other in others:
            combined = combined._combined(other, Q.OR)
        return combined

    def intersection(self, *others: QuerySet[T]) -> QuerySet[T]:
        """Records in this QuerySet and every one of ``others`` (``qs1 & qs2 & ...``)."""
        combined = self
        for other in others:
            combined = combined._combined(other, Q.AND)
        return combined

    def difference(self, *others: QuerySet[T]) -> QuerySet[T]:
        """Records of this QuerySet in none of ``others`` (tested on the client)."""
        combined = self
        for other in others:
            combined = combined._combined(other, Q.AND, negated=True)
        return combined

    def none(self) -> QuerySet[T]:
        """A QuerySet with no records; it sends nothing, however it is chained."""
        return self._chain(self.query.nothing())

    def order_by(self, *names: str) -> QuerySet[T]:
        """Records in this order (``"-price"``, ``"date_sent"``; none: the list's own).

        The list's own order (newest first by ``date_created`` for most lists)
        costs nothing; any other is the client's: every matching record is read,
        then sorted (``explain()`` says so; a ScanWarning when nothing narrows it)."""
        self._refuse_after_slice("reorder")
        return self._chain(self.query.ordered_by(names))

    def reverse(self) -> QuerySet[T]:
        """The records in the opposite order: every matching record is read first."""
        self._refuse_after_slice("reverse")
        return self._chain(attrs.evolve(self.query, flipped=not self.query.flipped))

    def distinct(self, *fields: str) -> QuerySet[T]:
        """Each row once. Records are distinct already (each has its own SID), so this
        changes nothing for objects; after ``values()`` or ``values_list()`` it drops
        repeated rows (every matching record is read first). ``fields`` (PostgreSQL's
        DISTINCT ON) are refused: ``values(*fields).distinct()`` gives distinct values."""
        if fields:
            raise TypeError("distinct(*fields) is not supported: use values(*fields).distinct()")
        chained = self._chain()
        chained._distinct = True
        return chained

    def using(
        self, client: Client | AsyncClient | str | None = None, *, account: str | None = None
    ) -> QuerySet[T]:
        """The same query through ``client`` (a Client, or the alias of one: ``"marketing"``,
        looked up now; an AsyncClient: its sync twin, whose async methods it sends
        through), and/or for sub-account ``account``."""
        chained = self._chain(self.query.with_path({"account_sid": account}) if account else None)
        if isinstance(client, AsyncClient):
            client = client.sync
        if client is not None:
            chained._client = get_client(client) if isinstance(client, str) else client
        return chained

    def page_size(self, size: int) -> QuerySet[T]:
        """Ask for ``size`` records a request (1 to 1000) instead of the automatic choice."""
        if not 1 <= size <= PAGE_SIZE_MAX:
            raise ValueError(f"page size must be between 1 and {PAGE_SIZE_MAX}, got {size}")
        return self._chain(attrs.evolve(self.query, page_size=size))

    def concurrently(self, workers: int | None = DEFAULT_READERS) -> QuerySet[T]:
        """Read in date partitions, up to ``workers`` requests at once (slowing down at a
        429 as bulk writes do), merged back in the list's order: the same records in the
        same order as the sequential walk, in a fraction of the time (``docs/scale.rst``).

        Iteration opts in with this; ``export()``, ``update()``, ``delete()``, ``count()``
        and ``in_bulk()`` read in partitions already (16 at once) unless given
        ``concurrently(None)``: the sequential walk. A query that cannot be partitioned
        is read by the walk either way; ``explain()`` says which, and why."""
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1 (None: no partitions), got {workers}")
        chained = self._chain()
        chained._concurrency = workers or 0
        return chained

    def partitions(self, count: int = 16) -> list[QuerySet[T]]:
        """This query as ``count`` QuerySets, each reading one span of days of the
        partition field (about as many days each); together they read every record this
        one reads, each once. They hold no credential (a client pickles by its alias), so
        they can run elsewhere (Dask: ``docs/scale.rst``); read one as any QuerySet. One
        request, when the query has no lower bound: the account's creation day. A query
        that cannot be partitioned (``explain()`` says why) is one partition: itself."""
        client = self.client
        plan = self.query.compile(client.account_sid)
        how = partitioning(self.query, plan)
        if not how.usable:
            return [self._chain()]
        floor = how.first or self._account_day(client)
        spans = how.spans(floor, _today(), count)
        return [self._chain(attrs.evolve(self.query, partition=span)) for span in spans]

    def _account_day(self, client: Client) -> dt.date:
        """The day the account this query reads was created (the API's epoch when the
        client may not read accounts)."""
        account = self.query.path_values(client.account_sid)["account_sid"]
        try:
            answer = client.get_json(account_request(account).target)
        except TwilioRestError:  # a key that may not read accounts: the API's first day
            answer = None
        return account_day(answer) or API_EPOCH

    def for_bulk(
        self, *, ordered: bool = True, keys: Iterable[str] | None = None
    ) -> QuerySet[T]:
        """This QuerySet as bulk work reads it (export, update, delete, count, in_bulk):
        in partitions unless ``concurrently()`` chose otherwise; ``ordered=False``: pages
        as they come (a count, a write). Public, so jobs built on :meth:`pages` read
        the same way; not on managers (a QuerySet-only method, as Django marks them).

        ``keys``: the only payload keys the caller reads of each record of
        ``page.raw`` (an export's columns). A read in partitions may then leave
        the others out of the records (:mod:`twiliorm.projection`: with
        msgspec installed, much less CPU a record); build no models from such
        pages."""
        chained = self._chain()
        if chained._concurrency is None:
            chained._concurrency = DEFAULT_READERS
        chained._ordered = ordered
        chained._keys = None if keys is None else frozenset(keys)
        return chained

    for_bulk.queryset_only = True  # type: ignore[attr-defined]

    def _refuse_after_slice(self, what: str) -> None:
        if self.query.low or self.query.high is not None:
            raise TypeError(f"Cannot {what} a query once a slice has been taken.")

    @overload
    def __getitem__(self, key: int) -> T: ...
    @overload
    def __getitem__(self, key: slice) -> QuerySet[T]: ...
    def __getitem__(self, key: int | slice) -> T | QuerySet[T]:
        if isinstance(key, slice):
            return self._slice(key)
        if not isinstance(key, int):
            raise TypeError(
                f"QuerySet indices must be integers or slices, not {type(key).__name__}"
            )
        if key < 0:
            raise ValueError("Negative indexing is not supported.")
        if self._result_cache is not None or self._whole:
            return self._fetch_all()[key]
        found = list(self._chain(self.query.sliced(key, key + 1)))
        if not found:
            raise IndexError("QuerySet index out of range")
        return found[0]

    def _slice(self, key: slice) -> QuerySet[T]:
        """A QuerySet either way; one already evaluated (or stepped) holds its results."""
        if (key.start or 0) < 0 or (key.stop is not None and key.stop < 0):
            raise ValueError("Negative indexing is not supported.")
        sliced = self._chain(self.query.sliced(key.start, key.stop))
        if self._result_cache is not None or self._whole:
            sliced._result_cache = self._fetch_all()[key]
        elif key.step:
            sliced._result_cache = sliced._fetch_all()[:: key.step]
        return sliced

    # --- where requests go ------------------------------------------------------

    @property
    def client(self) -> Client:
        """The client this QuerySet sends through (the default client unless ``using()``)."""
        return self._client if self._client is not None else default_client()

    def plan(self) -> Plan:
        """The compiled request (see :class:`~twiliorm.query.Plan`)."""
        return self.query.compile(self.client.account_sid)

    def explain(self) -> str:
        """The GET this QuerySet compiles to (the GETs, for an or read as several narrowed
        queries), which lookups run on the client, and any order the client makes."""
        client = self._client or _maybe_default()
        account = client.account_sid if client else None
        plan = self.query.compile(account, partial=True)
        how = partitioning(self.query, plan)
        return f"{plan}\n  {how}{self._partitions_used() if how.usable else ''}"

    def _partitions_used(self) -> str:
        if self._concurrency is None:
            return "; used by export(), update(), delete(), count(), in_bulk(), concurrently()"
        if self._concurrency == 0:
            return "; not used: concurrently(None)"
        return f"; used: concurrently({self._concurrency})"

    # --- evaluation -------------------------------------------------------------

    def pages(self, *, prefetch: bool = True) -> Iterator[Page[T]]:
        """The results page by page: each a :class:`~twiliorm.protocol.Page` with its
        ``records``, the ``request`` that fetched it, the ``next`` one and its ``number``.

        This is the one way to read page by page (bulk jobs, ``export()`` and
        ``count()`` read it): records the client-side test drops, the slice
        cuts, or a changing list shows twice (see :mod:`twiliorm.protocol`) are
        left out. ``prefetch`` asks for the next page while the caller works
        on this one. A page's records are built on first access: a caller
        that reads ``page.raw`` (the payloads) builds nothing.
        """
        client, reader, page = self._read_plan()
        if partitioned(reader):
            raws = read_concurrently(client, reader, workers=self._concurrency or 1)
        else:
            raws = read_pages(client, reader, self.model, prefetch=prefetch)
        for raw in raws:
            yield page(raw)

    def _read_plan(self) -> tuple[Client, Reader, Callable[[RawPage], Page[T]]]:
        """What a driver needs to read this query (sync or async): the client, the reader
        of the compiled plan (a scan warned about first), and how a raw page becomes a
        :class:`Page` of records built on first access."""
        client = self.client
        plan = self.query.compile(client.account_sid)
        binding = Binding(client, dict(self.query.path_values(client.account_sid)))
        meta = self.model._meta
        pk = meta.fields.get(meta.pk or "")
        pk_key = pk.key if pk is not None else None
        reader = self._partition_reader(plan, client, pk_key)
        if reader is None:
            if plan.scan:
                self._warn_scan(plan, client)
            reader = open_reader(plan, meta.key, pk_key, client.base_url)

        def build(items: list[Mapping[str, Any]]) -> list[T]:
            return self._build(items, binding)

        one = meta.structure() if self._rows is None else None

        def page(raw: RawPage) -> Page[T]:
            return Page(raw.number, raw.request, raw.next, raw.records, binding, build, one)

        return client, reader, page

    def _partition_reader(self, plan: Plan, client: Client, pk_key: str | None) -> Reader | None:
        """The reader of this query in partitions, when asked for and possible."""
        if not self._concurrency:
            return None
        account = self.query.path_values(client.account_sid)["account_sid"]
        return open_partitions(
            self.query,
            plan,
            pk_key,
            client.base_url,
            today=_today(),
            account=account_request(account),
            ordered=self._ordered,
            budget=4 * self._concurrency * plan.page_size,
            keys=self._keys,
        )

    def _warn_scan(self, plan: Plan, client: Client) -> None:
        done = [f"filters only on the client ({'; '.join(plan.client)})"] if plan.client else []
        if plan.sort is not None:
            done.append(f"is sorted on the client ({plan.sort})")
        message = (
            f"{self.model.__name__} query {' and '.join(done)}: every record of the list is read"
        )
        if client.strict:
            raise ScanError(message + " (strict=True)")
        warnings.warn(message, ScanWarning, stacklevel=_first_outside_twiliorm())

    def _build(self, items: list[Mapping[str, Any]], binding: Binding) -> list[T]:
        if self._rows is not None:
            return self._rows(items, binding)
        build = self.model._meta.structure()
        return [build(item, binding) for item in items]

    def iterator(self, chunk_size: int | None = None) -> Iterator[T]:
        """Stream the results, holding one page at a time (no result cache); groups
        (``annotate()``) and an order made on the client need every record first."""
        qs = self.page_size(chunk_size) if chunk_size else self
        if qs._groups is not None:
            yield from qs._grouped()
            return
        records = itertools.chain.from_iterable(page.each() for page in qs.pages())
        yield from row_kinds.distinct_rows(records) if qs._distinct_rows else records

    def _fetch_all(self) -> list[T]:
        if self._result_cache is None:
            if self._rows is None and self._groups is None:
                self._result_cache = self._kept_instances()
            else:
                self._result_cache = list(self.iterator())
        return self._result_cache

    def _kept_instances(self) -> list[T]:
        """Every instance, each page's compacted as it comes (see convert.py): its dicts
        freed before the next pages are parsed, whose dicts then take their memory."""
        compact = self.model._meta.conversions().compact
        results: list[T] = []
        for page in self.pages():
            built = list(page.each())
            compact(built)
            results += built
        return results

    @property
    def _distinct_rows(self) -> bool:
        return self._distinct and self._rows is not None

    @property
    def _whole(self) -> bool:
        """Rows made from every matching record at once (groups, distinct values): a slice
        or an index is taken of them, not of the records."""
        return self._groups is not None or self._distinct_rows

    def _grouped(self) -> list[Any]:
        assert self._groups is not None
        summary = Summary(self.model, self._groups, self._fields or ())
        for page in self._unordered().pages():
            summary.feed(page.raw)
        return summary.rows()

    def _unordered(self) -> QuerySet[T]:
        """This query in the list's own order, when its order cannot change the answer
        (a count, an aggregate: no slice picks records by it)."""
        if self.query.is_sliced:
            return self
        return self._chain(attrs.evolve(self.query, order=(), flipped=False))

    def __iter__(self) -> Iterator[T]:
        return iter(self._fetch_all())

    def __len__(self) -> int:
        return len(self._fetch_all())

    def __bool__(self) -> bool:
        return bool(self._fetch_all())

    def __repr__(self) -> str:
        try:
            data = list(self[: REPR_OUTPUT_SIZE + 1])
        except Exception as exc:
            return f"<QuerySet {self.model.__name__} (not evaluated: {type(exc).__name__})>"
        shown = [repr(item) for item in data[:REPR_OUTPUT_SIZE]]
        if len(data) > REPR_OUTPUT_SIZE:
            shown.append("...(remaining elements truncated)...")
        return f"<QuerySet [{', '.join(shown)}]>"

    # --- pickles and copies -----------------------------------------------------------

    def __getstate__(self) -> dict[str, Any]:
        """What a pickle holds: the query, the client by its alias (never a credential: see
        :mod:`twiliorm.client`) and the results if they were fetched. Unlike Django's,
        pickling does not evaluate the QuerySet: a query pickled to run elsewhere (a task
        queue, a partition) is not read here first."""
        if "<locals>" in getattr(self._rows, "__qualname__", ""):
            raise pickle.PicklingError(
                f"a {self.model.__name__} values()/values_list() QuerySet cannot be pickled; "
                "pickle the QuerySet before values(), or list(qs)"
            )
        return dict(self.__dict__)

    def __deepcopy__(self, memo: dict[int, Any]) -> QuerySet[T]:
        """A copy without the results (as Django's), bound to the same client."""
        twin = type(self).__new__(type(self))
        memo[id(self)] = twin
        for name, value in self.__dict__.items():
            twin.__dict__[name] = None if name == "_result_cache" else copy.deepcopy(value, memo)
        return twin

    # --- answers without objects ----------------------------------------------------

    def count(self) -> int:
        """How many records match; reads pages but builds no objects."""
        if self._result_cache is not None or self._whole:
            return len(self._fetch_all())
        pages = self._unordered().for_bulk(ordered=False).pages(prefetch=False)
        return sum(len(page) for page in pages)

    def exists(self) -> bool:
        """Whether any record matches: PageSize=1 when the server can tell; when the
        client refines, pages of 1000 (the most the API gives) until one matches."""
        if self._result_cache is not None or self._whole:
            return bool(self._fetch_all())
        return any(len(page) for page in self._exists_query().pages(prefetch=False))

    def _exists_query(self) -> QuerySet[T]:
        query = self._unordered().query.sliced(0, 1)
        if query.page_size is None and query.compile(partial=True).refined:
            query = attrs.evolve(query, page_size=PAGE_SIZE_MAX)
        return self._chain(query)

    def contains(self, obj: Any) -> bool:
        """Whether ``obj`` is among the records: one GET of it by its SID, tested against
        the rest of the query on the client (or a look at the results if fetched)."""
        if not isinstance(obj, self.model):
            raise TypeError(f"contains() takes a {self.model.__name__}, not {obj!r}")
        if obj.pk is None:
            raise ValueError("QuerySet.contains() cannot be used on unsaved objects.")
        if self._result_cache is not None:
            return obj in self._result_cache
        return self.filter(pk=obj.pk).exists()

    def aggregate(self, *args: Aggregate, **kwargs: Aggregate) -> dict[str, Any]:
        """``{"price__sum": ..., "n": ...}``: Count, Sum, Min, Max, Avg over the matching
        records, in one streaming pass over the payloads (no objects built); the API
        computes none of it, so every matching record is read (PageSize=1000)."""
        summary = Summary(self.model, named(args, kwargs))
        for page in self._unordered().pages():
            summary.feed(page.raw)
        return summary.totals()

    def annotate(self, *args: Aggregate, **kwargs: Aggregate) -> QuerySet[dict[str, Any]]:
        """After ``values("status")``: a row per distinct ``status`` with each aggregate
        (``values("status").annotate(total=Sum("price"))``), one streaming pass over every
        matching record. Groups come in the order their first record came in."""
        if self._fields is None:
            raise TypeError(
                "annotate() groups the rows of values(): call values(*fields) first "
                "(the API has no relations to annotate a record with)"
            )
        grouped: QuerySet[dict[str, Any]] = cast("QuerySet[dict[str, Any]]", self._chain())
        grouped._groups = {**(self._groups or {}), **named(args, kwargs)}
        return grouped

    # --- single objects ---------------------------------------------------------------

    def first(self) -> T | None:
        """The first record in this order (the list's own unless ``order_by()``), or None:
        PageSize=1 in the list's order; another order reads every matching record."""
        if self._result_cache is not None or self._whole:
            found = self._fetch_all()
            return found[0] if found else None
        found = list(self._chain(self.query.sliced(0, 1)))
        return found[0] if found else None

    def last(self) -> T | None:
        """The last record in this order, or None. The API lists one way only, so every
        matching record is read (only the last kept); in the opposite of the list's own
        order (``order_by("date_created")`` on a newest-first list) it is PageSize=1."""
        if self._result_cache is not None or self._whole:
            found = self._fetch_all()
            return found[-1] if found else None
        return self.reverse().first()

    def latest(self, *fields: str) -> T:
        """The record with the greatest ``fields`` (the list's order field by default:
        ``date_created``, which costs one request of PageSize=1); DoesNotExist if none."""
        return self._earliest(fields, latest=True)

    def earliest(self, *fields: str) -> T:
        """The record with the smallest ``fields`` (by default the list's order field, so
        on a newest-first list every matching record is read); DoesNotExist if none."""
        return self._earliest(fields, latest=False)

    def _earliest(self, fields: Sequence[str], *, latest: bool) -> T:
        return self._found(self._earliest_query(fields, latest=latest).first())

    def _earliest_query(self, fields: Sequence[str], *, latest: bool) -> QuerySet[T]:
        """The query whose first record is the earliest (or latest) by ``fields``."""
        self._refuse_after_slice("change")
        names = fields or tuple(name.lstrip("-") for name in self.model._meta.ordering)
        if not names:
            raise ValueError(
                f"earliest() and latest() of {self.model.__name__} need field names: "
                "the API does not say in which order it lists them"
            )
        qs = self.order_by(*names)
        return qs.reverse() if latest else qs

    def _found(self, found: T | None) -> T:
        if found is None:
            raise self.model.DoesNotExist(f"{self.model.__name__} matching query does not exist.")
        return found

    def get(self, *args: Q, **conditions: Any) -> T:
        """The one record matching ``conditions``: by SID it is a single GET of the instance;
        raises ``Model.DoesNotExist`` or ``Model.MultipleObjectsReturned``."""
        target = self._get_target(args, conditions)
        if isinstance(target, tuple):
            path, binding = target
            return self._build([fetch_payload(self.model, self.client, path)], binding)[0]
        return self._only(list(target))

    def _get_target(
        self, args: Sequence[Q], conditions: Mapping[str, Any]
    ) -> tuple[str, Binding] | QuerySet[T]:
        """What get() reads: the path of the one instance to GET and the binding of the
        object built from it, or the QuerySet of the first 21 records it lists (by SID with
        more conditions: the plan's one GET). Every value is checked before this returns."""
        meta = self.model._meta
        if not args and len(conditions) == 1:
            ((name, value),) = conditions.items()
            pk = meta.pk
            named = name == pk or name == "pk"
            if pk in meta.fields and named and value is not None and self._fetches_by_pk():
                spec = meta.fields[pk]
                # The SID is checked once, by its field's kind (whose message users know:
                # "Message.sid must be a SID (...)"). When the path's check of that
                # placeholder would take the same field's pattern, _instance_target does
                # not match it again (a fetch used to match the SID 3 times, the account 2).
                path_check = pk not in meta.choices and meta.path_attrs.get(pk, pk) == pk
                same = path_check and getattr(spec.kind, "pattern", None) is not None
                return self._instance_target({pk: spec.clean(value, meta.name)}, checked=same)
        elif not conditions and not args and meta.pk is None and "fetch" in meta.operations:
            return self._instance_target({})  # a singleton: Balance.objects.get()
        qs = self.filter(*args, **conditions) if conditions or args else self
        return qs[:MAX_GET_RESULTS]

    def _only(self, found: list[T]) -> T:
        """The one record of ``found`` (get()'s first 21), or get()'s error."""
        meta = self.model._meta
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            more = "more than 20" if len(found) == MAX_GET_RESULTS else str(len(found))
            raise self.model.MultipleObjectsReturned(
                f"get() returned more than one {meta.name} -- it returned {more}!"
            )
        raise self.model.DoesNotExist(f"{meta.name} matching query does not exist.")

    def _fetches_by_pk(self) -> bool:
        """Whether ``get(sid=...)`` on this query is one GET of the instance: a model that
        has a fetch, a query unfiltered and unsliced. Its plan would be that GET; it is
        built directly, because compiling the plan was a third of a fetch's own cost
        (tests/bench: fetch x500)."""
        query, meta = self.query, self.model._meta
        if query.where or query.excludes or query.tree or query.low or query.high is not None:
            return False
        return meta.instance_path is not None and "fetch" in meta.operations

    def _instance_target(
        self, extra: Mapping[str, Any], *, checked: bool = False
    ) -> tuple[str, Binding]:
        """The path of the instance this query's path values and ``extra`` name, and the
        binding of the object built from it. Each value is checked for its shape (FieldError
        for a missing one); with ``checked``, ``extra``'s values already were, by the same
        pattern."""
        meta = self.model._meta
        template = meta.instance_path
        assert template is not None
        client = self.client
        path = self.query.path_values(client.account_sid)
        if checked and not self.query.path and path.keys() <= {"account_sid"}:
            # path_values has just checked the client's account, the only value beside
            # extra's: meta.checked would match both again. (A query's own path values,
            # from using() or filter(), take the general way: each is checked here too.)
            try:
                return template.fill({**path, **extra}), Binding(client, path)
            except KeyError:
                pass  # a placeholder not given: meta.checked names it
        values = meta.checked(template, {**path, **extra})
        return template.fill(values), Binding(client, path)

    def create(self, **values: Any) -> T:
        """Create and save a new record (POST); path parameters (``conference=``) are accepted."""
        obj: Any = self.new(**values)
        obj.save()
        return cast(T, obj)

    def new(self, **values: Any) -> T:
        """An unsaved instance bound to this QuerySet's client and path parameters."""
        meta = self.model._meta
        aliases = meta.aliases()
        path = dict(self.query.path)
        placeholders = {n for t in meta.create_paths for n in t.names}
        fields = {}
        for name, value in values.items():
            spec = meta.fields.get(name)
            target = aliases.get(name)
            # call_sid= is the path of a call's stream, not the read-only field of that name.
            if target in placeholders and (spec is None or "create" not in spec.writable):
                path[target] = meta.check_path(target, value)
            elif spec is not None:
                fields[name] = spec.clean(value, meta.name)
            elif target is not None:
                path[target] = meta.check_path(target, value)
            else:
                raise _unknown_field(meta, name)
        obj = self.model(**fields)
        obj._ctx = Binding(self._client, path)
        return cast(T, obj)

    def get_or_create(
        self, defaults: Mapping[str, Any] | None = None, **conditions: Any
    ) -> tuple[T, bool]:
        """(object, created): get() by ``conditions``, or create with them plus ``defaults``."""
        try:
            return self.get(**conditions), False
        except self.model.DoesNotExist:
            # As in Django, lookups (name__lookup=...) select but do not become values.
            values = {k: v for k, v in conditions.items() if "__" not in k}
            return self.create(**{**values, **(defaults or {})}), True

    def update_or_create(
        self,
        defaults: Mapping[str, Any] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
        **conditions: Any,
    ) -> tuple[T, bool]:
        """(object, created): get() by ``conditions`` and write ``defaults`` to it (one POST
        of those fields), or create it with ``conditions`` and ``create_defaults`` (else
        ``defaults``). Values may be callables, called first. The API has no transaction:
        a record changed or created by someone else in between is not noticed."""
        try:
            obj: Any = self.get(**conditions)
        except self.model.DoesNotExist:
            values = {k: v for k, v in conditions.items() if "__" not in k}
            given = create_defaults if create_defaults is not None else defaults
            return self.create(**values, **_called(given)), True
        if defaults:
            obj.update(**_called(defaults))
        return cast(T, obj), False

    def _rows_of(self, rows: Rows, fields: Sequence[str] | None = None) -> QuerySet[Any]:
        """This QuerySet (its class too: a custom QuerySet keeps its methods) building ``rows``."""
        chained: QuerySet[Any] = self._chain()
        chained._rows = rows
        chained._fields = None if fields is None else tuple(fields)
        return chained

    # --- bulk work: one request per record, concurrently (twiliorm.bulk) ----------------

    def update(self, **values: Any) -> BulkReport:
        """Write ``field=value`` to every matching record, concurrently; a report
        (``int(report)``: the records written). Raises ``BulkError`` (carrying the report)
        if any record failed, unless ``raise_on_failure=False``.

        Options: ``workers=8``, ``executor=``, ``progress=``, ``resume="job.ckpt"``,
        ``dry_run=True`` (see :func:`twiliorm.bulk.bulk_update`).
        """
        return bulk_update(self, **values)

    def delete(self, **options: Any) -> BulkReport:
        """DELETE every matching record, concurrently; see :func:`twiliorm.bulk.bulk_delete`."""
        return bulk_delete(self, **options)

    def export(self, target: Any, format: str = "csv", **options: Any) -> BulkReport:
        """Write the matching records to a path or file as csv, jsonl or json, page by page
        (options: ``fields=``, ``progress=``; see :func:`twiliorm.bulk.export`)."""
        return export(self, target, format=format, **options)

    def in_bulk(
        self, id_list: Iterable[Any] | None = None, *, field_name: str = "sid", **options: Any
    ) -> dict[Any, T]:
        """{sid: object} for the SIDs in ``id_list`` that exist and match: one GET each,
        concurrently (options: ``workers=``, ``executor=``, ``progress=``).

        With another ``field_name``: {value: object}, read as ``filter(<field>__in=id_list)``
        (one narrowed query per value where the API filters on that field, else one read
        of the list). Django requires that field to be unique; the API knows no such
        thing, so two records with one value raise ValueError. No ``id_list``: every record.
        """
        meta = self.model._meta
        if field_name in ("pk", meta.pk):
            return in_bulk(self, id_list, **options)
        self._refuse_after_slice("use in_bulk() on")
        if id_list is not None:
            values = list(id_list)
            if not values:
                return {}
            return self.filter(**{f"{field_name}__in": values})._keyed_by(field_name)
        return self._keyed_by(field_name)

    def _keyed_by(self, field_name: str) -> dict[Any, T]:
        found: dict[Any, T] = {}
        for obj in self.for_bulk().iterator():
            key = getattr(obj, field_name)
            if key in found:
                raise ValueError(
                    f"in_bulk(field_name={field_name!r}): more than one {self.model.__name__} "
                    f"has {field_name}={key!r}; in_bulk needs a field whose values are unique"
                )
            found[key] = obj
        return found

    def bulk_update(self, objs: Iterable[Resource], fields: Iterable[str], **options: Any) -> int:
        """Write ``fields`` of each of ``objs`` (the values set on them): one POST per object,
        concurrently, each object read back from the answer; the number of objects updated.
        Failures raise ``BulkError`` unless ``raise_on_failure=False`` (options also:
        ``workers=``, ``executor=``, ``progress=``; see :mod:`twiliorm.batch`)."""
        return bulk_update_objects(self.model, self.client, objs, fields, **options)

    def bulk_create(self, objects: Iterable[Resource], **options: Any) -> BulkReport:
        """Create ``objects`` concurrently; a create that may have reached the API is never
        resent (see :func:`twiliorm.bulk.bulk_create`)."""
        return bulk_create(self, objects, **options)

    # --- rows instead of objects -----------------------------------------------------

    def values(self, *names: str) -> QuerySet[dict[str, Any]]:
        """Dicts of attribute -> typed value, built without Resource objects (every
        payload field when none is named); ``annotate()`` groups them."""
        fields = names or self.model._meta.payload_names
        return self._rows_of(row_kinds.dict_rows(self.model, names), fields)

    def values_list(self, *names: str, flat: bool = False, named: bool = False) -> QuerySet[Any]:
        """Tuples of typed values; single values with ``flat=True`` and one field; named
        tuples (``row.status``) with ``named=True``."""
        return self._rows_of(row_kinds.tuple_rows(self.model, names, flat=flat, named=named))


def _called(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """``values`` with each callable replaced by what it returns (Django's defaults)."""
    return {name: value() if callable(value) else value for name, value in (values or {}).items()}


def _first_outside_twiliorm() -> int:
    """The ``stacklevel`` that makes a warning point at the caller's code, not ours."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("twiliorm"):
        frame, level = frame.f_back, level + 1
    return level


def _today() -> dt.date:
    """Today in UTC: the upper bound of a scan with none of its own (its last span is open)."""
    return dt.datetime.now(dt.timezone.utc).date()


def _maybe_default() -> Client | None:
    try:
        return default_client()
    except Exception:
        return None
