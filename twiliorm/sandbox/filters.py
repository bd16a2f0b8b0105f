"""A list's filters: the SQL of a query's filter params, and the values each record keeps for them.

Every stored record carries ``idx`` beside its payload: the values of the
resource's filtered fields, normalized so SQL can compare them (a date as ISO
text, which compares by day as its first ten characters), plus ``_created``,
the creation time, which usage records count by. A :class:`ListFilter` makes
both from the declaration: :meth:`~ListFilter.index` what a record keeps,
:meth:`~ListFilter.where` the clauses of a request's filter params. Each
field's kind says how: a kind compared by day (``kind.by_day``) is compared
on the day (a :class:`~.store.DayClause`, which the store answers from its
index of days: :attr:`ListFilter.day_keys` are the keys it keeps), any other
is read as its form value (``true`` is a boolean).
Params the resource does not filter by are ignored, as Twilio ignores them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..fields import FieldSpec, Kind
from ..resource import Meta
from .forms import read
from .params import parse_day
from .store import Clause, Clauses, DayClause

if TYPE_CHECKING:
    from .app import Context

__all__ = ["ListFilter", "iso"]

_OPERATORS = {"exact": "=", "lte": "<=", "gte": ">="}
#: how a kind compared by day writes a payload value as ISO text
Iso = Callable[[Any], Any]


class ListFilter:
    """The filters of one resource's lists, from its declaration (see the module docstring)."""

    def __init__(self, meta: Meta) -> None:
        self.meta = meta

    def where(self, ctx: Context) -> Clauses:
        """SQL clauses for the query's filter params (unknown params are ignored, as by Twilio)."""
        clauses: Clauses = []
        for spec in self.meta.payload_fields:
            if spec.filter is None or spec.key is None:
                continue
            for lookup, param in spec.filter.params().items():
                for value in ctx.query_values(param):
                    clauses.append(self.clause(spec, lookup, param, value))
        return clauses

    def clause(self, spec: FieldSpec, lookup: str, param: str, value: str) -> Clause:
        """The clause of one filter param: ``DateSent>=2026-01-05``, ``Status=busy``..."""
        column = f"json_extract(idx, '$.{spec.key}')"
        operator = _OPERATORS[lookup]
        if spec.kind.by_day:
            return DayClause(spec.key or "", operator, parse_day(param, value).isoformat())
        return f"{column} {operator} ?", (read(spec.kind, param, [value]),)

    def index(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The normalized values list filters compare (ISO text for dates), and ``_created``."""
        out: dict[str, Any] = {}
        created = body.get("date_created")
        if isinstance(created, str) and self._created is not None:
            out["_created"] = iso(self._created, created)
        for key, to_iso in self._indexed:
            value = body.get(key)
            out[key] = iso(to_iso, value) if to_iso is not None and value is not None else value
        return out

    @property
    def day_keys(self) -> tuple[str, ...]:
        """The keys compared by day: the store keeps an index of their days."""
        return tuple(key for key, to_iso in self._indexed if to_iso is not None)

    @functools.cached_property
    def _indexed(self) -> tuple[tuple[str, Iso | None], ...]:
        """(key, how a date becomes ISO text, None for other kinds) of each filtered field."""
        return tuple(
            (spec.key, _iso_of(spec.kind))
            for spec in self.meta.payload_fields
            if spec.filter is not None and spec.key is not None
        )

    @functools.cached_property
    def _created(self) -> Iso | None:
        spec = self.meta.fields.get("date_created")
        return _iso_of(spec.kind) if spec is not None else None


def _iso_of(kind: Kind) -> Iso | None:
    # Every kind compared by day has ``iso``; others have nothing to convert.
    to_iso: Iso | None = getattr(kind, "iso", None)
    return to_iso if kind.by_day else None


_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONTHS = {name: f"{i:02d}" for i, name in enumerate(_MONTH_NAMES, start=1)}


def iso(to_iso: Iso, value: Any) -> Any:
    """A date as ISO text. The sandbox's own dates (``Thu, 30 Jul 2015 20:12:31 +0000``) are
    rearranged without parsing: populating 100,000 records makes 300,000 of them."""
    month = _MONTHS.get(value[8:11]) if isinstance(value, str) and len(value) == 31 else None
    if month is not None and value.endswith(" +0000"):
        return f"{value[12:16]}-{month}-{value[5:7]}T{value[17:25]}Z"
    return to_iso(value)
