"""A query's conditions as a tree, and the branches an or of them is read as.

A :class:`Condition` is one ``name__lookup=value``, checked against the
resource; :class:`And`, :class:`Or` and :class:`Not` combine conditions (from
``Q`` objects, ``exclude()`` and QuerySets joined with ``|`` or ``&``). The API
answers a conjunction of its filters only, so :func:`branches` rewrites a
conjunction into the or of conjunctions it equals (its disjunctive normal
form): each branch can be one narrowed query. The API has no "not", so a
negation is never split: it stays whole, a test the client runs.

Nothing here knows a resource or sends anything: :mod:`twiliorm.query`
decides what of a branch the server answers.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import attrs

__all__ = ["And", "Condition", "Literal", "Node", "Not", "Or", "branches", "show", "test"]

Predicate = Callable[[Mapping[str, Any]], bool]


@attrs.frozen
class Condition:
    """``name__lookup=value``, resolved and checked against the resource."""

    name: str
    lookup: str
    value: Any

    def __str__(self) -> str:
        return f"{self.name}__{self.lookup}={_show(self.value)}"


@attrs.frozen
class And:
    nodes: tuple[Node, ...]


@attrs.frozen
class Or:
    nodes: tuple[Node, ...]


@attrs.frozen
class Not:
    node: Node


Node = Condition | And | Or | Not
#: what a branch is the conjunction of: a condition, or a negation the client tests
Literal = Condition | Not
#: the conditions a condition is the or of (``to__in=(a, b)``: to=a, to=b), or None
Split = Callable[[Condition], list[Condition] | None]


def both(nodes: Sequence[Node]) -> Node:
    """The conjunction of ``nodes`` (nested conjunctions flattened)."""
    flat = [n for node in nodes for n in (node.nodes if isinstance(node, And) else (node,))]
    return flat[0] if len(flat) == 1 else And(tuple(flat))


def either(nodes: Sequence[Node]) -> Node:
    """The disjunction of ``nodes`` (nested disjunctions flattened)."""
    flat = [n for node in nodes for n in (node.nodes if isinstance(node, Or) else (node,))]
    return flat[0] if len(flat) == 1 else Or(tuple(flat))


def branches(node: Node, split: Split, limit: int) -> list[tuple[Literal, ...]] | None:
    """``node`` as an or of conjunctions of literals, in the order the or names them;
    None when that takes more than ``limit`` branches (each branch costs a query)."""
    if isinstance(node, Condition):
        parts = split(node)
        return [(node,)] if parts is None else [(part,) for part in parts]
    if isinstance(node, Not):
        inner = node.node
        return branches(inner.node, split, limit) if isinstance(inner, Not) else [(node,)]
    if isinstance(node, Or):
        found: list[tuple[Literal, ...]] = []
        for child in node.nodes:
            more = branches(child, split, limit)
            if more is None or len(found) + len(more) > limit:
                return None
            found += more
        return found
    return _product(node.nodes, split, limit)


def _product(nodes: Sequence[Node], split: Split, limit: int) -> list[tuple[Literal, ...]] | None:
    found: list[tuple[Literal, ...]] = [()]
    for child in nodes:
        more = branches(child, split, limit)
        if more is None or len(found) * len(more) > limit:
            return None
        found = [mine + theirs for mine in found for theirs in more]
    return found


def conditions(node: Node) -> Iterator[Condition]:
    """Every condition in ``node``."""
    if isinstance(node, Condition):
        yield node
    elif isinstance(node, Not):
        yield from conditions(node.node)
    else:
        for child in node.nodes:
            yield from conditions(child)


def test(node: Node, record_test: Callable[[Condition], Predicate]) -> Predicate:
    """The client-side test of ``node``, each condition tested by ``record_test``."""
    if isinstance(node, Condition):
        return record_test(node)
    if isinstance(node, Not):
        inner = test(node.node, record_test)
        return lambda record: not inner(record)
    tests = tuple(test(child, record_test) for child in node.nodes)
    if isinstance(node, Or):
        return lambda record: any(t(record) for t in tests)
    return lambda record: all(t(record) for t in tests)


def show(node: Node) -> str:
    """``node`` for ``explain()``: an excluded group reads as the ``exclude()`` it came from."""
    if isinstance(node, Not) and _plain(node.node):
        inner = node.node.nodes if isinstance(node.node, And) else (node.node,)
        return "exclude(" + ", ".join(str(c) for c in inner) + ")"
    return _show_node(node)


def _plain(node: Node) -> bool:
    return isinstance(node, Condition) or (
        isinstance(node, And) and all(isinstance(n, Condition) for n in node.nodes)
    )


def _show_node(node: Node) -> str:
    if isinstance(node, Condition):
        return str(node)
    if isinstance(node, Not):
        inner = _show_node(node.node)
        return f"~{inner}" if isinstance(node.node, And | Or) else f"~({inner})"
    joiner = " | " if isinstance(node, Or) else " & "
    return "(" + joiner.join(_show_node(child) for child in node.nodes) + ")"


def _show(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if isinstance(value, (dt.date, decimal.Decimal)):
        return str(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    return repr(value)
