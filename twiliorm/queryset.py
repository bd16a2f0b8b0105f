"""QuerySet: lazy, chainable, immutable; evaluated in one place.

Building, chaining, slicing or printing a QuerySet sends nothing (``repr()``
excepted: like Django's, it fetches at most 21 items). Each builder returns a
new QuerySet around a new :class:`~twiliorm.query.Query`; evaluation happens
in :meth:`QuerySet._fetch_all` (cached) or :meth:`QuerySet.iterator`
(streamed, one page held at a time). Requests are as few as the plan allows:
``qs[:20]`` asks for PageSize=20, an unbounded iteration for PageSize=1000,
``exists()`` and ``first()`` for PageSize=1, and ``count()`` builds no objects.
"""

from __future__ import annotations

import copy
import pickle
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

import attrs

from .bulk import BulkReport, bulk_create, bulk_delete, bulk_update, export, in_bulk
from .client import Client, default_client, get_client
from .exceptions import ScanError, ScanWarning
from .paging import read_pages
from .persistence import fetch_payload
from .protocol import ListReader, Page
from .query import PAGE_SIZE_MAX, Plan, Query
from .resource import Binding, _unknown_field

if TYPE_CHECKING:
    from .resource import Resource

__all__ = ["MAX_GET_RESULTS", "REPR_OUTPUT_SIZE", "QuerySet"]

T = TypeVar("T")
MAX_GET_RESULTS = 21
REPR_OUTPUT_SIZE = 20

Rows = Callable[[list[Mapping[str, Any]], Binding], list[Any]]


class QuerySet(Generic[T]):
    """A lazy query over one resource's list; see the module docstring."""

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
        self._result_cache: list[T] | None = None

    # --- building ---------------------------------------------------------------

    def _chain(self, query: Query | None = None) -> QuerySet[T]:
        return type(self)(self.model, query or self.query, client=self._client, rows=self._rows)

    def all(self) -> QuerySet[T]:
        """A copy of this QuerySet (a fresh one, with no cached results)."""
        return self._chain()

    def filter(self, **conditions: Any) -> QuerySet[T]:
        """Records matching every ``field__lookup=value`` (lookups: exact, lt, lte, gt, gte,
        range, in, contains, icontains, startswith, istartswith, endswith, iendswith,
        iexact, isnull), plus search parameters (``contains`` on available numbers) and
        path parameters (``conference=`` for participants). See ``explain()``."""
        self._refuse_after_slice("filter")
        return self._chain(self.query.filter(conditions))

    def exclude(self, **conditions: Any) -> QuerySet[T]:
        """Records not matching all of ``conditions`` (always answered client-side)."""
        self._refuse_after_slice("exclude")
        return self._chain(self.query.exclude(conditions))

    def using(
        self, client: Client | str | None = None, *, account: str | None = None
    ) -> QuerySet[T]:
        """The same query through ``client`` (a Client, or the alias of one: ``"marketing"``,
        looked up now), and/or for sub-account ``account``."""
        chained = self._chain(self.query.with_path({"account_sid": account}) if account else None)
        if client is not None:
            chained._client = get_client(client) if isinstance(client, str) else client
        return chained

    def page_size(self, size: int) -> QuerySet[T]:
        """Ask for ``size`` records a request (1 to 1000) instead of the automatic choice."""
        if not 1 <= size <= PAGE_SIZE_MAX:
            raise ValueError(f"page size must be between 1 and {PAGE_SIZE_MAX}, got {size}")
        return self._chain(attrs.evolve(self.query, page_size=size))

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
        if self._result_cache is not None:
            return self._result_cache[key]
        found = list(self._chain(self.query.sliced(key, key + 1)))
        if not found:
            raise IndexError("QuerySet index out of range")
        return found[0]

    def _slice(self, key: slice) -> QuerySet[T]:
        """A QuerySet either way; one already evaluated (or stepped) holds its results."""
        if (key.start or 0) < 0 or (key.stop is not None and key.stop < 0):
            raise ValueError("Negative indexing is not supported.")
        sliced = self._chain(self.query.sliced(key.start, key.stop))
        if self._result_cache is not None:
            sliced._result_cache = self._result_cache[key]
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
        """The GET this QuerySet compiles to, and which lookups run on the client."""
        client = self._client or _maybe_default()
        account = client.account_sid if client else None
        return str(self.query.compile(account, partial=True))

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
        client = self.client
        plan = self.query.compile(client.account_sid)
        if plan.scan:
            self._warn_scan(plan, client)
        binding = Binding(client, dict(self.query.path_values(client.account_sid)))
        meta = self.model._meta
        pk = meta.fields.get(meta.pk or "")
        reader = ListReader(plan, meta.key, pk.key if pk is not None else None, client.base_url)

        def build(items: list[Mapping[str, Any]]) -> list[T]:
            return self._build(items, binding)

        for raw in read_pages(client, reader, self.model, prefetch=prefetch):
            yield Page(raw.number, raw.request, raw.next, raw.records, binding, build)

    def _warn_scan(self, plan: Plan, client: Client) -> None:
        message = (
            f"{self.model.__name__} query filters only on the client "
            f"({'; '.join(plan.client)}): every record of the list is read"
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
        """Stream the results, holding one page at a time (no result cache)."""
        qs = self.page_size(chunk_size) if chunk_size else self
        for page in qs.pages():
            yield from page.records

    def _fetch_all(self) -> list[T]:
        if self._result_cache is None:
            results: list[T] = []
            for page in self.pages():
                results.extend(page.records)
            self._result_cache = results
        return self._result_cache

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
        if self._result_cache is not None:
            return len(self._result_cache)
        return sum(len(page) for page in self.pages(prefetch=False))

    def exists(self) -> bool:
        """Whether any record matches (PageSize=1 when the server can tell)."""
        if self._result_cache is not None:
            return bool(self._result_cache)
        return any(len(page) for page in self._chain(self.query.sliced(0, 1)).pages(prefetch=False))

    # --- single objects ---------------------------------------------------------------

    def first(self) -> T | None:
        """The first record in the API's order, or None (PageSize=1)."""
        if self._result_cache is not None:
            return self._result_cache[0] if self._result_cache else None
        found = list(self._chain(self.query.sliced(0, 1)))
        return found[0] if found else None

    def get(self, **conditions: Any) -> T:
        """The one record matching ``conditions``: by SID it is a single GET of the instance;
        raises ``Model.DoesNotExist`` or ``Model.MultipleObjectsReturned``."""
        meta = self.model._meta
        if not conditions and meta.pk is None and "fetch" in meta.operations:
            return self._fetch_one({})  # a singleton: Balance.objects.get()
        if self._by_pk_alone(conditions):
            value = meta.fields[str(meta.pk)].clean(next(iter(conditions.values())), meta.name)
            return self._fetch_one({str(meta.pk): value})
        qs = self.filter(**conditions) if conditions else self
        found = list(qs[:MAX_GET_RESULTS])  # by SID with more conditions: the plan's one GET
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            more = "more than 20" if len(found) == MAX_GET_RESULTS else str(len(found))
            raise self.model.MultipleObjectsReturned(
                f"get() returned more than one {meta.name} -- it returned {more}!"
            )
        raise self.model.DoesNotExist(f"{meta.name} matching query does not exist.")

    def _by_pk_alone(self, conditions: Mapping[str, Any]) -> bool:
        """``get(sid=...)`` on an unfiltered, unsliced query. Its plan would be one GET of
        the instance path; that GET is built directly, because compiling the plan was a
        third of a fetch's own cost (tests/bench: fetch x500)."""
        meta, query = self.model._meta, self.query
        sliced = query.low or query.high is not None
        if len(conditions) != 1 or query.where or query.excludes or sliced:
            return False
        name, value = next(iter(conditions.items()))
        pk = meta.pk
        fetchable = meta.instance_path is not None and "fetch" in meta.operations
        return pk in meta.fields and name in (pk, "pk") and value is not None and fetchable

    def _fetch_one(self, extra: Mapping[str, Any]) -> T:
        """GET the instance whose path this query's path values and ``extra`` fill
        (a 404 raises ``Model.NotFound``: DoesNotExist and NotFoundError, status 404)."""
        meta = self.model._meta
        template = meta.instance_path
        assert template is not None
        client = self.client
        path = self.query.path_values(client.account_sid)
        checked = meta.checked(template, {**path, **extra})
        record = fetch_payload(self.model, client, template.fill(checked))
        return self._build([record], Binding(client, path))[0]

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

    def _rows_of(self, rows: Rows) -> QuerySet[Any]:
        """This QuerySet (its class too: a custom QuerySet keeps its methods) building ``rows``."""
        return type(self)(self.model, self.query, client=self._client, rows=rows)

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

    def in_bulk(self, sids: Iterable[str] | None = None, **options: Any) -> dict[str, T]:
        """{sid: object} for the ``sids`` that exist and match, fetched concurrently."""
        return in_bulk(self, sids, **options)

    def bulk_create(self, objects: Iterable[Resource], **options: Any) -> BulkReport:
        """Create ``objects`` concurrently; a create that may have reached the API is never
        resent (see :func:`twiliorm.bulk.bulk_create`)."""
        return bulk_create(self, objects, **options)

    # --- rows instead of objects -----------------------------------------------------

    def values(self, *names: str) -> QuerySet[dict[str, Any]]:
        """Dicts of attribute -> typed value, built without Resource objects."""
        readers = _readers(self.model, names)

        def rows(items: list[Mapping[str, Any]], _: Binding) -> list[Any]:
            return [{name: read(item) for name, read in readers} for item in items]

        return self._rows_of(rows)

    def values_list(self, *names: str, flat: bool = False) -> QuerySet[Any]:
        """Tuples of typed values (or single values with ``flat=True`` and one field)."""
        if flat and len(names) != 1:
            raise TypeError("'flat' is valid when values_list is called with exactly one field.")
        readers = _readers(self.model, names)
        if flat:
            read_one = readers[0][1]

            def flat_rows(items: list[Mapping[str, Any]], _: Binding) -> list[Any]:
                return [read_one(item) for item in items]

            return self._rows_of(flat_rows)

        def rows(items: list[Mapping[str, Any]], _: Binding) -> list[Any]:
            return [tuple(read(item) for _, read in readers) for item in items]

        return self._rows_of(rows)


def _readers(
    model: type[Resource], names: Sequence[str]
) -> list[tuple[str, Callable[[Mapping[str, Any]], Any]]]:
    meta = model._meta
    specs = [s for s in meta.fields.values() if s.key is not None]
    chosen = [meta.fields.get(n) for n in names] if names else specs
    out = []
    for name, spec in zip(names or [s.name for s in specs], chosen, strict=True):
        if spec is None or spec.key is None:
            raise _unknown_field(meta, name)
        out.append((spec.name, _reader(spec.key, spec.kind.parse)))
    return out


def _reader(key: str, parse: Callable[[Any], Any] | None) -> Callable[[Mapping[str, Any]], Any]:
    if parse is None:
        return lambda item: item.get(key)

    def read(item: Mapping[str, Any]) -> Any:
        value = item.get(key)
        return None if value is None else parse(value)

    return read


def _first_outside_twiliorm() -> int:
    """The ``stacklevel`` that makes a warning point at the caller's code, not ours."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("twiliorm"):
        frame, level = frame.f_back, level + 1
    return level


def _maybe_default() -> Client | None:
    try:
        return default_client()
    except Exception:
        return None
