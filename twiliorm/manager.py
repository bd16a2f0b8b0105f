"""Managers: ``Message.objects``, the entry point to a resource's QuerySets.

A Manager is bound to a resource class, optionally to a client and to path
parameters (``conference.participants`` is the Participant manager bound to
that conference). Its methods start a QuerySet and delegate to it, as
Django's do; :meth:`Manager.from_queryset` makes a manager class for a custom
QuerySet, proxying the QuerySet's extra public methods.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .plan import Query
from .query import QuerySet

if TYPE_CHECKING:
    from .bulk import BulkReport
    from .client import Client
    from .resource import Resource

__all__ = ["Manager"]

R = TypeVar("R", bound="Resource")


class Manager(Generic[R]):
    """``Model.objects``; every method starts from :meth:`get_queryset`."""

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
        query = Query(self.model, path=tuple(self._path.items()))
        qs: QuerySet[R] = self.queryset_class(self.model, query, client=self._client)
        return qs

    def using(self, client: Client | None = None, *, account: str | None = None) -> QuerySet[R]:
        """QuerySets through ``client`` and/or for sub-account ``account`` (``AC...``)."""
        return self.get_queryset().using(client, account=account)

    def below(self, parent: Resource, **fixed: str) -> Manager[R]:
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

    # --- delegated to the QuerySet (typed here, so type checkers see them) ---------

    def all(self) -> QuerySet[R]:
        return self.get_queryset()

    def filter(self, **conditions: Any) -> QuerySet[R]:
        return self.get_queryset().filter(**conditions)

    def exclude(self, **conditions: Any) -> QuerySet[R]:
        return self.get_queryset().exclude(**conditions)

    def get(self, **conditions: Any) -> R:
        return self.get_queryset().get(**conditions)

    def create(self, **values: Any) -> R:
        return self.get_queryset().create(**values)

    def get_or_create(
        self, defaults: Mapping[str, Any] | None = None, **conditions: Any
    ) -> tuple[R, bool]:
        return self.get_queryset().get_or_create(defaults, **conditions)

    def first(self) -> R | None:
        return self.get_queryset().first()

    def exists(self) -> bool:
        return self.get_queryset().exists()

    def count(self) -> int:
        return self.get_queryset().count()

    def iterator(self, chunk_size: int | None = None) -> Iterator[R]:
        return self.get_queryset().iterator(chunk_size)

    def values(self, *names: str) -> QuerySet[dict[str, Any]]:
        return self.get_queryset().values(*names)

    def values_list(self, *names: str, flat: bool = False) -> QuerySet[Any]:
        return self.get_queryset().values_list(*names, flat=flat)

    def explain(self) -> str:
        return self.get_queryset().explain()

    def page_size(self, size: int) -> QuerySet[R]:
        return self.get_queryset().page_size(size)

    # Bulk work (twiliorm.bulk). No delete() here, as in Django: deleting a whole list
    # takes an explicit Model.objects.all().delete() (or a filter).

    def update(self, **values: Any) -> BulkReport:
        return self.get_queryset().update(**values)

    def export(self, target: Any, format: str = "csv", **options: Any) -> BulkReport:
        return self.get_queryset().export(target, format, **options)

    def in_bulk(self, sids: Iterable[str] | None = None, **options: Any) -> dict[str, R]:
        return self.get_queryset().in_bulk(sids, **options)

    def bulk_create(self, objects: Iterable[R], **options: Any) -> BulkReport:
        return self.get_queryset().bulk_create(objects, **options)

    @classmethod
    def from_queryset(cls, queryset_class: type[QuerySet[Any]]) -> type[Manager[Any]]:
        """A Manager class whose methods include ``queryset_class``'s public extras."""
        proxies: dict[str, Any] = {"queryset_class": queryset_class}
        for name in dir(queryset_class):
            if name.startswith("_") or hasattr(cls, name):
                continue
            if callable(getattr(queryset_class, name)):
                proxies[name] = _proxy(name)
        return type(f"{queryset_class.__name__}Manager", (cls,), proxies)


def _same_docs(names: tuple[str, ...]) -> None:
    """Give each delegating method the QuerySet method's docstring, so help() tells it all."""
    for name in names:
        getattr(Manager, name).__doc__ = getattr(QuerySet, name).__doc__


_same_docs(
    (
        "all",
        "filter",
        "exclude",
        "get",
        "create",
        "get_or_create",
        "first",
        "exists",
        "count",
        "iterator",
        "values",
        "values_list",
        "explain",
        "page_size",
        "using",
        "update",
        "export",
        "in_bulk",
        "bulk_create",
    )
)


def _proxy(name: str) -> Any:
    def method(self: Manager[Any], *args: Any, **kwargs: Any) -> Any:
        return getattr(self.get_queryset(), name)(*args, **kwargs)

    method.__name__ = name
    return method
