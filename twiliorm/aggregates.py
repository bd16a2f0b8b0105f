"""Aggregates: ``Count``, ``Sum``, ``Min``, ``Max`` and ``Avg``, in one streaming pass.

The API computes nothing over a list, so every matching record is read, once,
page by page, as its payload: no model object is built, and only the fields
the aggregates name are parsed (with their kinds, as ``values()`` does)::

    Message.objects.filter(date_sent__gte=since).aggregate(Sum("price"), n=Count("sid"))
    # {"price__sum": Decimal("-1.2340"), "n": 164}
    Message.objects.filter(date_sent__gte=since).values("status").annotate(total=Sum("price"))
    # [{"status": "delivered", "total": Decimal(...)}, {"status": "failed", "total": None}, ...]

As in Django: a positional aggregate is named ``<field>__<function>``;
``Count("*")`` counts records (``Count(field)`` the non-null values); an
aggregate over no value is None (a count, 0); ``distinct=True`` counts or adds
each value once. Groups (``annotate()``) come in the order their first record
came in.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from .exceptions import FieldError
from .rows import Read, readers

if TYPE_CHECKING:
    from .resource import Resource

__all__ = ["Aggregate", "Avg", "Count", "Max", "Min", "Sum", "Summary", "named"]


class Aggregate(abc.ABC):
    """One value computed over the matching records' ``field`` (see the module docstring)."""

    function: ClassVar[str] = ""
    keeps: ClassVar[str] = "count"  # what a Tally keeps for it: "count", "total" or "bounds"

    def __init__(self, field: str, *, distinct: bool = False) -> None:
        self.field = field
        self.distinct = distinct

    @property
    def default_alias(self) -> str:
        if self.field == "*":
            raise TypeError("Complex aggregates require an alias")
        return f"{self.field}__{self.function}"

    @abc.abstractmethod
    def result(self, tally: Tally) -> Any:
        """The aggregate's value from what ``tally`` kept of the records."""

    def __repr__(self) -> str:
        extra = ", distinct=True" if self.distinct else ""
        return f"{type(self).__name__}({self.field!r}{extra})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Aggregate):
            return NotImplemented
        return (type(self), self.field, self.distinct) == (type(other), other.field, other.distinct)

    def __hash__(self) -> int:
        return hash((type(self), self.field, self.distinct))


class Count(Aggregate):
    function = "count"

    def __init__(self, field: str = "*", *, distinct: bool = False) -> None:
        if field == "*" and distinct:
            raise ValueError("Count('*', distinct=True): records are distinct already")
        super().__init__(field, distinct=distinct)

    def result(self, tally: Tally) -> int:
        return tally.count


class Sum(Aggregate):
    function = "sum"
    keeps = "total"

    def result(self, tally: Tally) -> Any:
        return tally.total


class Avg(Aggregate):
    function = "avg"
    keeps = "total"

    def result(self, tally: Tally) -> Any:
        return None if not tally.count else tally.total / tally.count


class Min(Aggregate):
    function = "min"
    keeps = "bounds"

    def result(self, tally: Tally) -> Any:
        return tally.low


class Max(Aggregate):
    function = "max"
    keeps = "bounds"

    def result(self, tally: Tally) -> Any:
        return tally.high


class Tally:
    """What the aggregates of one field need, kept as values stream by: how many
    (non-null) values, their total, the lowest and the highest."""

    def __init__(self, aggregate: Aggregate) -> None:
        self.aggregate = aggregate
        self.count = 0
        self.total: Any = None
        self.low: Any = None
        self.high: Any = None
        self.seen: set[Any] | None = set() if aggregate.distinct else None

    def add(self, value: Any) -> None:
        if value is None:
            return
        if self.seen is not None:
            if value in self.seen:
                return
            self.seen.add(value)
        self.count += 1
        if self.aggregate.keeps == "total":
            self._add(value)
        elif self.aggregate.keeps == "bounds":
            self._bound(value)

    def _add(self, value: Any) -> None:
        try:
            self.total = value if self.total is None else self.total + value
        except TypeError:
            raise FieldError(
                f"{self.aggregate!r}: {self.aggregate.field} holds {type(value).__name__} "
                "values, which do not add up"
            ) from None

    def _bound(self, value: Any) -> None:
        key = value.value if isinstance(value, enum.Enum) else value
        if self.low is None or key < _key(self.low):
            self.low = value
        if self.high is None or key > _key(self.high):
            self.high = value


def _key(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


def named(args: Sequence[Aggregate], kwargs: Mapping[str, Aggregate]) -> dict[str, Aggregate]:
    """The aggregates by the name each result goes under (``price__sum``, or the keyword)."""
    out: dict[str, Aggregate] = {}
    for aggregate in (*args, *kwargs.values()):
        if not isinstance(aggregate, Aggregate):
            raise TypeError(f"{aggregate!r} is not an aggregate expression (Count, Sum, ...)")
    for aggregate in args:
        out[aggregate.default_alias] = aggregate
    for alias, aggregate in kwargs.items():
        if alias in out:
            raise ValueError(f"The named annotation {alias!r} conflicts with the default name")
        out[alias] = aggregate
    return out


class Summary:
    """One pass over payloads: the ``aggregates``, for each group of ``by`` values."""

    def __init__(
        self, model: type[Resource], aggregates: Mapping[str, Aggregate], by: Sequence[str] = ()
    ) -> None:
        self.aggregates = dict(aggregates)
        self.by = readers(model, by) if by else []
        _check_groupable(model, by)
        fields = [a.field for a in self.aggregates.values() if a.field != "*"]
        self.reads: dict[str, Read] = dict(readers(model, fields)) if fields else {}
        self.groups: dict[tuple[Any, ...], list[Tally]] = {}

    def feed(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Count in these payloads (a page's ``raw``)."""
        plan = [(self.reads.get(a.field), a.field == "*") for a in self.aggregates.values()]
        for record in records:
            key = tuple(read(record) for _, read in self.by)
            tallies = self.groups.get(key)
            if tallies is None:
                tallies = self.groups[key] = self._tallies()
            for tally, (read, star) in zip(tallies, plan, strict=True):
                tally.add(True if star else read(record) if read else None)

    def totals(self) -> dict[str, Any]:
        """The aggregates over every record fed (``aggregate()``)."""
        tallies = self.groups.get((), None) or self._tallies()
        return self._results(tallies)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per group: its ``by`` values, then the aggregates (``annotate()``)."""
        names = [name for name, _ in self.by]
        return [
            {**dict(zip(names, key, strict=True)), **self._results(tallies)}
            for key, tallies in self.groups.items()
        ]

    def _tallies(self) -> list[Tally]:
        return [Tally(aggregate) for aggregate in self.aggregates.values()]

    def _results(self, tallies: list[Tally]) -> dict[str, Any]:
        pairs = zip(self.aggregates.items(), tallies, strict=True)
        return {alias: aggregate.result(tally) for (alias, aggregate), tally in pairs}


def _check_groupable(model: type[Resource], by: Sequence[str]) -> None:
    meta = model._meta
    for name in by:
        spec = meta.fields.get(name)
        if spec is not None and spec.kind.mutable:
            raise FieldError(f"Cannot group {meta.name} by {name}: its values are lists or maps")
