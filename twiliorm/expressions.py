"""``Q``: conditions that combine with ``|`` (or), ``&`` (and) and ``~`` (not), as Django's.

A ``Q`` holds ``field__lookup=value`` keywords (joined by and) or other ``Q``
objects, and is resolved against a resource only when a QuerySet is filtered
with it, so it can be built before the resource is known::

    from twiliorm import Q
    Message.objects.filter(Q(to="+15558675310") | Q(from_="+15558675310"))
    Message.objects.exclude(Q(status="failed") | Q(body=""))

What the API can answer of it and what the client must is the plan's business
(:mod:`twiliorm.query`): an or of conditions the API filters on is read as
several narrowed queries merged in the list's order.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Q"]


class Q:
    """Keyword conditions joined by and; combine with ``|``, ``&`` and ``~``."""

    AND = "AND"
    OR = "OR"

    def __init__(
        self, *args: Q, _connector: str = AND, _negated: bool = False, **conditions: Any
    ) -> None:
        for arg in args:
            if not isinstance(arg, Q):
                raise TypeError(f"Q() takes Q objects and field=value keywords, not {arg!r}")
        self.children: tuple[tuple[str, Any] | Q, ...] = (*args, *sorted(conditions.items()))
        self.connector = _connector
        self.negated = _negated

    def _combine(self, other: object, connector: str) -> Q:
        if not isinstance(other, Q):
            raise TypeError(f"a Q combines with another Q, not {type(other).__name__}")
        if not other.children:
            return self
        if not self.children:
            return other
        return Q(self, other, _connector=connector)

    def __or__(self, other: object) -> Q:
        return self._combine(other, Q.OR)

    def __and__(self, other: object) -> Q:
        return self._combine(other, Q.AND)

    def __invert__(self) -> Q:
        flipped = Q(_connector=self.connector, _negated=not self.negated)
        flipped.children = self.children
        return flipped

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Q):
            return NotImplemented
        mine = (self.children, self.connector, self.negated)
        return mine == (other.children, other.connector, other.negated)

    def __hash__(self) -> int:
        return hash((repr(self.children), self.connector, self.negated))

    def __repr__(self) -> str:
        parts = [repr(c) if isinstance(c, Q) else f"{c[0]}={c[1]!r}" for c in self.children]
        joined = f" {'|' if self.connector == Q.OR else '&'} ".join(parts)
        text = f"Q({joined})" if self.connector == Q.AND or len(parts) < 2 else f"({joined})"
        return f"~{text}" if self.negated else text
