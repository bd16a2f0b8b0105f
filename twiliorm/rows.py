"""Rows instead of objects: what ``values()`` and ``values_list()`` build from payloads.

A row is made straight from a page's payload, without a Resource object:
each field named is read by its key and parsed with its kind (the same
typed value the attribute would hold). Aggregates read fields the same way
(:mod:`twiliorm.aggregates`).
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .resource import Binding, _unknown_field

if TYPE_CHECKING:
    from .resource import Resource

__all__ = ["Read", "Rows", "dict_rows", "distinct_rows", "readers", "tuple_rows"]

#: a page's payloads (and where they live) -> the rows they make
Rows = Callable[[list[Mapping[str, Any]], Binding], list[Any]]
#: one field's typed value from a payload
Read = Callable[[Mapping[str, Any]], Any]


def readers(model: type[Resource], names: Sequence[str]) -> list[tuple[str, Read]]:
    """(name, reader) for each of ``names`` (``pk`` too); every payload field when none."""
    meta = model._meta
    if not names:
        return [(s.name, reader(s.key, s.kind.parse)) for s in meta.payload_fields if s.key]
    out = []
    for name in names:
        spec = meta.fields.get(meta.pk if name == "pk" and meta.pk else name)
        if spec is None or spec.key is None:
            raise _unknown_field(meta, name)
        out.append((name, reader(spec.key, spec.kind.parse)))
    return out


def reader(key: str, parse: Callable[[Any], Any] | None) -> Read:
    if parse is None:
        return lambda item: item.get(key)

    def read(item: Mapping[str, Any]) -> Any:
        value = item.get(key)
        return None if value is None else parse(value)

    return read


def dict_rows(model: type[Resource], names: Sequence[str]) -> Rows:
    """Dicts of attribute -> typed value."""
    chosen = readers(model, names)

    def rows(items: list[Mapping[str, Any]], _: Binding) -> list[Any]:
        return [{name: read(item) for name, read in chosen} for item in items]

    return rows


def tuple_rows(model: type[Resource], names: Sequence[str], *, flat: bool, named: bool) -> Rows:
    """Tuples of typed values; one value a row (``flat``); or named tuples (``named``)."""
    if flat and named:
        raise TypeError("'flat' and 'named' can't be used together.")
    if flat and len(names) != 1:
        raise TypeError("'flat' is valid when values_list is called with exactly one field.")
    chosen = readers(model, names)
    if flat:
        read_one = chosen[0][1]

        def flat_rows(items: list[Mapping[str, Any]], _: Binding) -> list[Any]:
            return [read_one(item) for item in items]

        return flat_rows
    make: Callable[..., Any] = tuple
    if named:
        row = collections.namedtuple("Row", [name for name, _ in chosen])  # type: ignore[misc]
        make = row._make

    def rows(items: list[Mapping[str, Any]], _: Binding) -> list[Any]:
        return [make(read(item) for _, read in chosen) for item in items]

    return rows


def distinct_rows(rows: Iterable[Any]) -> Iterator[Any]:
    """Each row once, in the order first seen (rows are values; a set of those seen is kept)."""
    seen: set[Any] = set()
    for row in rows:
        key = _hashable(row)
        if key not in seen:
            seen.add(key)
            yield row


def _hashable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return tuple((k, _hashable(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value
