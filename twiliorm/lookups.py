"""Lookups: the ``__gt`` in ``filter(date_sent__gt=...)``.

Each lookup is a tiny registered class, as in Django: its ``lookup_name``,
which kinds of field it applies to, how it checks the value it is given, how
it tests a record on the client, and how the API can answer it
(:meth:`Lookup.wire`: the filter to send, and whether the client must refine
what comes back; as Django's ``Lookup.as_sql``), or which lookups it is the
and (:meth:`Lookup.parts`) or the or (:meth:`Lookup.alternatives`) of.
Whether a field has that filter is the field's business (its
:class:`~twiliorm.fields.Filter`). Users add their own with
:func:`register_lookup`.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Iterable
from typing import Any, ClassVar

from . import dates
from .exceptions import FieldError
from .fields import EnumKind, Kind

__all__ = ["Lookup", "get_lookup", "lookup_names", "register_lookup"]

_LOOKUPS: dict[str, type[Lookup]] = {}
_ONE_DAY = dt.timedelta(days=1)

#: (the API filter's lookup, the value to send, whether the client refines the answer)
Wire = tuple[str, Any, bool]


class Lookup(abc.ABC):
    """One way of comparing a field with a value."""

    lookup_name: ClassVar[str] = ""
    needs: ClassVar[str] = "any"  # "any", "ordered" or "text"

    @classmethod
    def applies_to(cls, kind: Kind) -> bool:
        if cls.needs == "ordered":
            return kind.ordered
        if cls.needs == "text":
            return kind.text
        return True

    @classmethod
    def clean(cls, kind: Kind, value: Any, where: str) -> Any:
        """Check the value the user compares with; return what to compare.

        An enum value the library does not know yet is still a value to look for
        (Twilio adds values); writes are where enums are strict.
        """
        if value is None:
            return None
        if isinstance(kind, EnumKind) and isinstance(value, str):
            return kind.parse(value)
        return kind.clean(value, where)

    @staticmethod
    @abc.abstractmethod
    def matches(value: Any, target: Any) -> bool:
        """Does a record whose field holds ``value`` pass? (run on the client)"""

    @classmethod
    def parts(cls, value: Any) -> list[tuple[str, Any]] | None:
        """Lookups this one is the conjunction of (a range is gte and lte), or None."""
        return None

    @classmethod
    def alternatives(cls, value: Any) -> list[tuple[str, Any]] | None:
        """Lookups this one is the or of (``in`` is one ``exact`` a value), or None.

        Where the API answers each of them, the query reads one narrowed
        stream for each and merges them (see :mod:`twiliorm.query`)."""
        return None

    @classmethod
    def wire(cls, kind: Kind, value: Any) -> Wire | None:
        """How the API can answer this comparison on a field of ``kind``: the filter
        lookup to send, the value to send with it, and whether the client must still
        refine what comes back; None when only the client can answer it."""
        return None


def register_lookup(cls: type[Lookup]) -> type[Lookup]:
    """Register a lookup class under its ``lookup_name`` (usable as a decorator)."""
    _LOOKUPS[cls.lookup_name] = cls
    return cls


def get_lookup(name: str) -> type[Lookup] | None:
    return _LOOKUPS.get(name)


def lookup_names(kind: Kind) -> list[str]:
    """The lookups that apply to a field of ``kind``."""
    return [name for name, cls in _LOOKUPS.items() if cls.applies_to(kind)]


def _pair(value: Any, target: Any) -> tuple[Any, Any]:
    """Make a field value and a target comparable: two timestamps in UTC, and a
    timestamp against a plain date (either way round) by its UTC day."""
    if isinstance(value, dt.datetime) and isinstance(target, dt.datetime):
        return value, dates.as_utc(target)
    if isinstance(value, dt.date) and isinstance(target, dt.date):
        return dates.day_of(value), dates.day_of(target)
    return value, target


def _by_day(lookup: str, value: Any, shift: int = 0) -> Wire:
    """Twilio's date filters compare days, inclusively: a plain date is answered
    exactly (``shift`` moves a strict bound to the next day in), a timestamp by
    its day and then refined on the client."""
    if isinstance(value, dt.datetime):
        return lookup, dates.day_of(value), True
    return lookup, dates.day_of(value) + shift * _ONE_DAY, False


@register_lookup
class Exact(Lookup):
    lookup_name = "exact"

    @classmethod
    def wire(cls, kind: Kind, value: Any) -> Wire | None:
        return _by_day("exact", value) if kind.by_day else ("exact", value, False)

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        if target is None:
            return value is None
        left, right = _pair(value, target)
        return bool(left == right)


@register_lookup
class IExact(Lookup):
    lookup_name = "iexact"
    needs = "text"

    @classmethod
    def clean(cls, kind: Kind, value: Any, where: str) -> Any:
        if not isinstance(value, str):
            raise FieldError(f"{where}__iexact takes text, got {value!r}")
        return value

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        return value is not None and str(value).casefold() == str(target).casefold()


class _Compare(Lookup):
    needs = "ordered"

    @classmethod
    def clean(cls, kind: Kind, value: Any, where: str) -> Any:
        if value is None:
            raise FieldError(f"{where}: cannot compare with None; use __isnull=True")
        return kind.clean(value, where)


@register_lookup
class LessThan(_Compare):
    lookup_name = "lt"

    @classmethod
    def wire(cls, kind: Kind, value: Any) -> Wire | None:
        return _by_day("lte", value, -1) if kind.by_day else None

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        if value is None:
            return False
        left, right = _pair(value, target)
        return bool(left < right)


@register_lookup
class LessThanOrEqual(_Compare):
    lookup_name = "lte"

    @classmethod
    def wire(cls, kind: Kind, value: Any) -> Wire | None:
        return _by_day("lte", value) if kind.by_day else None

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        if value is None:
            return False
        left, right = _pair(value, target)
        return bool(left <= right)


@register_lookup
class GreaterThan(_Compare):
    lookup_name = "gt"

    @classmethod
    def wire(cls, kind: Kind, value: Any) -> Wire | None:
        return _by_day("gte", value, 1) if kind.by_day else None

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        if value is None:
            return False
        left, right = _pair(value, target)
        return bool(left > right)


@register_lookup
class GreaterThanOrEqual(_Compare):
    lookup_name = "gte"

    @classmethod
    def wire(cls, kind: Kind, value: Any) -> Wire | None:
        return _by_day("gte", value) if kind.by_day else None

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        if value is None:
            return False
        left, right = _pair(value, target)
        return bool(left >= right)


@register_lookup
class Range(_Compare):
    lookup_name = "range"

    @classmethod
    def clean(cls, kind: Kind, value: Any, where: str) -> Any:
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise FieldError(f"{where}__range takes a (low, high) pair, got {value!r}")
        return (kind.clean(value[0], where), kind.clean(value[1], where))

    @classmethod
    def parts(cls, value: Any) -> list[tuple[str, Any]] | None:
        return [("gte", value[0]), ("lte", value[1])]

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        return GreaterThanOrEqual.matches(value, target[0]) and LessThanOrEqual.matches(
            value, target[1]
        )


@register_lookup
class In(Lookup):
    lookup_name = "in"

    @classmethod
    def clean(cls, kind: Kind, value: Any, where: str) -> Any:
        if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
            raise FieldError(f"{where}__in takes a list of values, got {value!r}")
        return tuple(Lookup.clean(kind, item, where) for item in value)

    @classmethod
    def alternatives(cls, value: Any) -> list[tuple[str, Any]] | None:
        return [("exact", item) for item in value]

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        return any(Exact.matches(value, item) for item in target)


class _Text(Lookup):
    needs = "text"

    @classmethod
    def clean(cls, kind: Kind, value: Any, where: str) -> Any:
        if not isinstance(value, str):
            raise FieldError(f"{where}__{cls.lookup_name} takes text, got {value!r}")
        return value


@register_lookup
class Contains(_Text):
    lookup_name = "contains"

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        return value is not None and target in str(value)


@register_lookup
class IContains(_Text):
    lookup_name = "icontains"

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        return value is not None and target.casefold() in str(value).casefold()


@register_lookup
class StartsWith(_Text):
    lookup_name = "startswith"

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        return value is not None and str(value).startswith(target)


@register_lookup
class IStartsWith(_Text):
    lookup_name = "istartswith"

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        return value is not None and str(value).casefold().startswith(target.casefold())


@register_lookup
class EndsWith(_Text):
    lookup_name = "endswith"

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        return value is not None and str(value).endswith(target)


@register_lookup
class IEndsWith(_Text):
    lookup_name = "iendswith"

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        return value is not None and str(value).casefold().endswith(target.casefold())


@register_lookup
class IsNull(Lookup):
    lookup_name = "isnull"

    @classmethod
    def clean(cls, kind: Kind, value: Any, where: str) -> Any:
        if not isinstance(value, bool):
            raise FieldError(f"{where}__isnull takes True or False, got {value!r}")
        return value

    @staticmethod
    def matches(value: Any, target: Any) -> bool:
        return (value is None) is bool(target)
