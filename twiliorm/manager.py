"""Managers: ``Message.objects``, the entry point to a resource's QuerySets.

A Manager is bound to a resource class, optionally to a client and to path
parameters (``conference.participants`` is the Participant manager bound to
that conference). Its query methods are not written here: as in Django
(``BaseManager.from_queryset``), they are derived from a QuerySet class, each
starting a QuerySet (:meth:`BaseManager.get_queryset`) and calling the method
of the same name, whose name, docstring and signature it shows to ``help()``.
:class:`Manager` is ``BaseManager.from_queryset(QuerySet)``, and a custom
QuerySet gets its manager the same way: ``Manager.from_queryset(MyQuerySet)``.

A type checker cannot see methods made at run time, so for it ``Manager``
declares the same methods with their types (``Message.objects.filter()`` is a
``QuerySet[Message]``); ``tests/test_queryset.py`` checks that the two agree.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .query import Query
from .queryset import QuerySet

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Iterator

    from .aggregates import Aggregate
    from .aio.client import AsyncClient
    from .bulk import BulkReport
    from .client import Client
    from .expressions import Q
    from .protocol import Page
    from .query import Plan
    from .resource import Resource

__all__ = ["QUERYSET_ONLY", "BaseManager", "Manager"]

R = TypeVar("R", bound="Resource")
M = TypeVar("M", bound="BaseManager[Any]")

#: QuerySet methods a manager does not offer, as Django marks them ``queryset_only``:
#: deleting a whole list takes an explicit ``Model.objects.all().delete()``. A QuerySet
#: method can say so itself with a ``queryset_only`` attribute (True or False).
QUERYSET_ONLY = frozenset({"delete"})


class BaseManager(Generic[R]):
    """``Model.objects`` without query methods; :meth:`from_queryset` adds them."""

    queryset_class: type[QuerySet[Any]] = QuerySet

    def __init__(
        self,
        model: type[R],
        *,
        client: Client | None = None,
        path: Mapping[str, str] | None = None,
    ) -> None:
        self.model = model
        self._client = client
        self._path = dict(path or {})

    def __repr__(self) -> str:
        bound = f" {self._path}" if self._path else ""
        return f"<Manager {self.model.__name__}{bound}>"

    def get_queryset(self) -> QuerySet[R]:
        """A new QuerySet of every record, through this manager's client and path values."""
        query = Query(self.model, path=tuple(self._path.items()))
        qs: QuerySet[R] = self.queryset_class(self.model, query, client=self._client)
        return qs

    def below(self: M, parent: Resource, **fixed: str) -> M:
        """This resource's manager scoped to ``parent`` (``conference.participants``)."""
        meta = self.model._meta
        parent_param = meta.parent_param
        if parent_param is None:
            raise TypeError(f"{meta.name} has no parent in its path")
        values = parent.path_values()
        shared = set(meta.path_names) & set(parent._meta.path_names) - {parent._meta.pk}
        path = {n: meta.check_path(n, values[n]) for n in shared if values.get(n) is not None}
        path[parent_param] = meta.check_path(parent_param, parent.pk)
        path.update({n: meta.check_path(n, v) for n, v in fixed.items()})
        client = parent._ctx.client if parent._ctx else None
        return type(self)(self.model, client=client, path=path)

    @classmethod
    def from_queryset(
        cls: type[M], queryset_class: type[QuerySet[Any]], class_name: str | None = None
    ) -> type[M]:
        """A manager class whose methods are ``queryset_class``'s public ones (those
        this class lacks), each starting a QuerySet of ``queryset_class``."""
        name = class_name or f"{queryset_class.__name__}Manager"
        methods = _queryset_methods(cls, queryset_class)
        for method in methods.values():
            method.__qualname__ = f"{name}.{method.__name__}"
        namespace = {"queryset_class": queryset_class, "__module__": cls.__module__, **methods}
        return type(name, (cls,), namespace)


def _queryset_methods(
    manager_class: type[BaseManager[Any]], queryset_class: type[QuerySet[Any]]
) -> dict[str, Callable[..., Any]]:
    """A proxy for each method of ``queryset_class`` a manager should have and lacks."""
    found = inspect.getmembers(queryset_class, predicate=inspect.isfunction)
    return {
        name: _proxy(name, method)
        for name, method in found
        if _for_managers(name, method) and not hasattr(manager_class, name)
    }


def _for_managers(name: str, method: Callable[..., Any]) -> bool:
    marked = getattr(method, "queryset_only", None)
    if marked is not None:
        return not marked
    return not name.startswith("_") and name not in QUERYSET_ONLY


def _proxy(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    # wraps() keeps the docstring, and its __wrapped__ gives help() the signature.
    @functools.wraps(method)
    def proxy(self: BaseManager[Any], *args: Any, **kwargs: Any) -> Any:
        return getattr(self.get_queryset(), name)(*args, **kwargs)

    return proxy


if TYPE_CHECKING:

    class Manager(BaseManager[R]):  # the methods from_queryset(QuerySet) adds, typed
        def all(self) -> QuerySet[R]: ...
        def filter(self, *args: Q, **conditions: Any) -> QuerySet[R]: ...
        def exclude(self, *args: Q, **conditions: Any) -> QuerySet[R]: ...
        def order_by(self, *names: str) -> QuerySet[R]: ...
        def reverse(self) -> QuerySet[R]: ...
        def distinct(self, *fields: str) -> QuerySet[R]: ...
        def union(self, *others: QuerySet[R], all: bool = False) -> QuerySet[R]: ...
        def intersection(self, *others: QuerySet[R]) -> QuerySet[R]: ...
        def difference(self, *others: QuerySet[R]) -> QuerySet[R]: ...
        def none(self) -> QuerySet[R]: ...
        def using(
            self, client: Client | AsyncClient | str | None = None, *, account: str | None = None
        ) -> QuerySet[R]: ...
        def page_size(self, size: int) -> QuerySet[R]: ...
        def concurrently(self, workers: int | None = 16) -> QuerySet[R]: ...
        def partitions(self, count: int = 16) -> list[QuerySet[R]]: ...
        def plan(self) -> Plan: ...
        def explain(self) -> str: ...
        def pages(self, *, prefetch: bool = True) -> Iterator[Page[R]]: ...
        def iterator(self, chunk_size: int | None = None) -> Iterator[R]: ...
        def count(self) -> int: ...
        def exists(self) -> bool: ...
        def contains(self, obj: Any) -> bool: ...
        def first(self) -> R | None: ...
        def last(self) -> R | None: ...
        def latest(self, *fields: str) -> R: ...
        def earliest(self, *fields: str) -> R: ...
        def aggregate(self, *args: Aggregate, **kwargs: Aggregate) -> dict[str, Any]: ...
        def annotate(self, *args: Aggregate, **kwargs: Aggregate) -> QuerySet[dict[str, Any]]: ...
        def get(self, *args: Q, **conditions: Any) -> R: ...
        def create(self, **values: Any) -> R: ...
        def new(self, **values: Any) -> R: ...
        def get_or_create(
            self, defaults: Mapping[str, Any] | None = None, **conditions: Any
        ) -> tuple[R, bool]: ...
        def update_or_create(
            self,
            defaults: Mapping[str, Any] | None = None,
            create_defaults: Mapping[str, Any] | None = None,
            **conditions: Any,
        ) -> tuple[R, bool]: ...
        def update(self, **values: Any) -> BulkReport: ...
        def export(self, target: Any, format: str = "csv", **options: Any) -> BulkReport: ...
        def in_bulk(
            self, id_list: Iterable[Any] | None = None, *, field_name: str = "sid", **options: Any
        ) -> dict[Any, R]: ...
        def bulk_create(self, objects: Iterable[Resource], **options: Any) -> BulkReport: ...
        def bulk_update(
            self, objs: Iterable[Resource], fields: Iterable[str], **options: Any
        ) -> int: ...
        def values(self, *names: str) -> QuerySet[dict[str, Any]]: ...
        def values_list(
            self, *names: str, flat: bool = False, named: bool = False
        ) -> QuerySet[Any]: ...
        # the async half (twiliorm.aio.queryset), Django's names
        def apages(self, *, prefetch: bool = True) -> AsyncIterator[Page[R]]: ...
        def aiterator(self, chunk_size: int | None = None) -> AsyncIterator[R]: ...
        async def acount(self) -> int: ...
        async def aexists(self) -> bool: ...
        async def acontains(self, obj: Any) -> bool: ...
        async def aaggregate(self, *args: Aggregate, **kwargs: Aggregate) -> dict[str, Any]: ...
        async def afirst(self) -> R | None: ...
        async def alast(self) -> R | None: ...
        async def alatest(self, *fields: str) -> R: ...
        async def aearliest(self, *fields: str) -> R: ...
        async def aget(self, *args: Q, **conditions: Any) -> R: ...
        async def acreate(self, **values: Any) -> R: ...
        async def aget_or_create(
            self, defaults: Mapping[str, Any] | None = None, **conditions: Any
        ) -> tuple[R, bool]: ...
        async def aupdate_or_create(
            self,
            defaults: Mapping[str, Any] | None = None,
            create_defaults: Mapping[str, Any] | None = None,
            **conditions: Any,
        ) -> tuple[R, bool]: ...
        async def ain_bulk(
            self,
            id_list: Iterable[Any] | None = None,
            *,
            field_name: str = "sid",
            concurrency: int | None = None,
            **options: Any,
        ) -> dict[Any, R]: ...
        async def aupdate(self, **values: Any) -> BulkReport: ...
        async def aexport(self, target: Any, format: str = "csv", **options: Any) -> BulkReport: ...
        async def abulk_create(self, objects: Iterable[Any], **options: Any) -> BulkReport: ...
        async def abulk_update(
            self, objs: Iterable[Any], fields: Iterable[str], **options: Any
        ) -> int: ...


else:
    Manager = BaseManager.from_queryset(QuerySet, "Manager")
    Manager.__doc__ = """``Model.objects``: the QuerySet's methods but ``delete()``, as Django's."""
