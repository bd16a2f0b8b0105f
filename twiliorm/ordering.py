"""The order of records: the list's own (which costs nothing) and ``order_by()`` on the client.

Twilio lists come in one order, fixed by the API: each resource declares it
(``Meta.ordering``; newest first by ``date_created`` for most lists). An
:class:`Ordering` is a list of fields, each ascending or descending, read
from the payloads with the fields' kinds; it sorts records, and tells which
of several records comes first (merging the branches of an or, which each
come in the list's order). A kind may give a cheaper value to compare than
its parsed one (``Kind.order_key``: Twilio's timestamps as UTC ISO text, with
no datetime made), ordered as the parsed values are. Missing values sort as Django's PostgreSQL
backend sorts NULL: after every value ascending, before them descending.

Pure: no I/O, so every driver shares it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .exceptions import FieldError

if TYPE_CHECKING:
    from .resource import Meta

__all__ = ["Ordering"]

Record = Mapping[str, Any]
SortKey = tuple[Any, ...]
_MISSING: SortKey = (1,)  # after every value: (0, value) < (1,)


@attrs.frozen
class By:
    """One field of an ordering: where its value is in a payload, and which way it sorts."""

    name: str
    key: str
    #: the payload value to what is compared (a kind's ``order_key``, else its ``parse``)
    parse: Callable[[Any], Any] | None = attrs.field(eq=False)
    descending: bool = False

    def value(self, record: Record) -> SortKey:
        raw = record.get(self.key)
        if raw is None:
            return _MISSING
        value = self.parse(raw) if self.parse is not None else raw
        return (0, value.value if isinstance(value, enum.Enum) else value)

    def __str__(self) -> str:
        return f"-{self.name}" if self.descending else self.name


@attrs.frozen
class Ordering:
    """Records sorted by ``fields`` in turn; ``flip`` reverses the whole sequence after."""

    fields: tuple[By, ...] = ()
    flip: bool = False

    @classmethod
    def of(cls, meta: Meta, names: Iterable[str]) -> Ordering:
        """The ordering ``names`` (``"-date_sent"``, ``"price"``, ``"pk"``) give on ``meta``;
        a FieldError for a name that is no payload field or holds no comparable value."""
        return cls(tuple(_by(meta, name) for name in names))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(str(by) for by in self.fields)

    def reversed(self) -> Ordering:
        """The opposite order: each field the other way (or the flip undone)."""
        if not self.fields:
            return attrs.evolve(self, flip=not self.flip)
        flipped = tuple(attrs.evolve(by, descending=not by.descending) for by in self.fields)
        return attrs.evolve(self, fields=flipped)

    def sort(self, records: Sequence[Record]) -> list[Record]:
        """``records`` in this order (stable: equal records keep their order)."""
        ordered = list(records)
        for by in reversed(self.fields):  # the last field first: stable sorts compose
            ordered.sort(key=by.value, reverse=by.descending)
        if self.flip:
            ordered.reverse()
        return ordered

    def values(self, record: Record) -> tuple[SortKey, ...]:
        """What :meth:`first` compares of ``record`` (read once, compared often)."""
        if len(self.fields) == 1:  # the list's order: a merge asks this of every record
            return (self.fields[0].value(record),)
        return tuple(by.value(record) for by in self.fields)

    def first(self, heads: Sequence[tuple[SortKey, ...] | None]) -> int:
        """The index of the head (its :meth:`values`) that comes first: the lowest index
        among equals; -1 when every head is None (no record)."""
        best, best_head = -1, None
        for index, head in enumerate(heads):
            if head is not None and (best_head is None or self._before(head, best_head)):
                best, best_head = index, head
        return best

    def before(self, a: tuple[SortKey, ...], b: tuple[SortKey, ...]) -> bool:
        """Whether values ``a`` (:meth:`values`) come strictly before ``b`` in this order
        (``flip`` aside: the order of a merge)."""
        if len(self.fields) == 1:  # the list's order: a merge asks this of every record
            left, right = a[0], b[0]
            return left != right and bool(left < right) != self.fields[0].descending
        return self._before(a, b)

    def _before(self, a: tuple[SortKey, ...], b: tuple[SortKey, ...]) -> bool:
        for by, left, right in zip(self.fields, a, b, strict=True):
            if left != right:
                return bool(left < right) != by.descending
        return False

    def __str__(self) -> str:
        shown = ", ".join(self.names) or "the list's order"
        return f"{shown}, reversed" if self.flip else shown


def _by(meta: Meta, name: str) -> By:
    descending = name.startswith("-")
    attribute = name.lstrip("-")
    if attribute == "pk" and meta.pk:
        attribute = meta.pk
    spec = meta.fields.get(attribute)
    if spec is None or spec.key is None:
        listed = ", ".join(sorted(meta.payload_names))
        raise FieldError(f"Cannot order {meta.name} by {name!r}: its fields are {listed}")
    if spec.kind.mutable:
        raise FieldError(f"Cannot order {meta.name} by {attribute}: its values are not comparable")
    return By(attribute, spec.key, spec.kind.order_key or spec.kind.parse, descending)
