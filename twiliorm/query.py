"""The query and its plan: what a QuerySet asks for, and the requests it compiles to.

A :class:`Query` is a frozen value: the resource, the path parameters, the
``filter()`` conditions, the ``exclude()`` groups, the or/not trees of ``Q``
objects, the order and the slice. Every QuerySet builder returns a QuerySet
around a new Query. :meth:`Query.compile` turns it into a :class:`Plan`: the
GET to send (path and query parameters, PageSize) and the predicate the
client runs over what comes back.

The split follows one rule: the server narrows, the client refines. A lookup
the API answers exactly becomes a query parameter; one it answers coarsely
(Twilio's date filters are inclusive and by day) is sent coarsely and
finished on the client; one it does not answer at all runs on the client. A
parameter the API would silently ignore is never sent.

An or is where the API has no parameter at all: it answers conjunctions
only. So a query is first rewritten as an or of conjunctions (its branches,
:func:`twiliorm.where.branches`; ``to__in=[a, b]`` is to=a or to=b). When
every branch narrows the list on the server more than they all do together,
the plan is one narrowed query per branch, read in the list's order and
merged by it (``Meta.ordering``), each record once (a record is kept by the
first branch whose conditions it meets). Otherwise one query reads what the
branches share and the client tests the or: when that is nothing, a full
scan, warned about as any other.

An order other than the list's own (``order_by()``, ``reverse()``) is the
client's: every matching record is read, then sorted (:mod:`twiliorm.ordering`).
"""

from __future__ import annotations

import itertools
import operator
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .exceptions import FieldError
from .expressions import Q
from .fields import FieldSpec, QueryParam
from .lookups import IsNull, get_lookup, lookup_names
from .ordering import Ordering
from .partitions import note as partition_note
from .paths import check_path_value
from .where import Condition, Node, Not, both, branches, either, show, test

if TYPE_CHECKING:
    from .partitions import Span
    from .resource import Meta, Resource

__all__ = ["MAX_BRANCHES", "PAGE_SIZE_MAX", "Condition", "Plan", "Query"]

PAGE_SIZE_MAX = 1000
#: an or of more branches than this is read as one query (each branch is a request at least)
MAX_BRANCHES = 32

Predicate = Callable[[Mapping[str, Any]], bool]
Pairs = Iterable[tuple[str, Any]]


@attrs.frozen
class Plan:
    """A compiled query: the request to send and the test to run on each record.

    A plan with ``branches`` sends nothing itself: it is read as its branches
    (each a plan), merged in the list's ``order``, a record kept by the first
    branch whose ``claim`` it meets. ``sort`` is an order the client makes.
    """

    path: str
    params: tuple[tuple[str, str], ...]
    page_size: int
    predicate: Predicate | None
    low: int
    high: int | None
    by_pk: bool
    server: tuple[str, ...]
    client: tuple[str, ...]
    nested: bool = False
    branches: tuple[Plan, ...] = ()
    claim: Predicate | None = None
    order: Ordering | None = None
    sort: Ordering | None = None
    #: the record keys ``predicate`` reads (a read that keeps only some keys keeps these)
    reads: frozenset[str] = frozenset()

    @property
    def scan(self) -> bool:
        """True when every record of an account-wide list is read because of the client:
        only it narrows (or sorts) the records.

        A list below a parent (a conference's participants) is already narrowed
        by its path, so filtering it on the client is no scan.
        """
        if self.branches or self.by_pk or self.nested or self.server:
            return False
        return bool(self.client) or self.sort is not None

    @property
    def refined(self) -> bool:
        """The client drops records the server sends (in any branch)."""
        return self.predicate is not None or any(b.refined for b in self.branches)

    @property
    def query_string(self) -> str:
        params = self.params if self.by_pk else (*self.params, ("PageSize", str(self.page_size)))
        return urllib.parse.urlencode(params)

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    def __str__(self) -> str:
        lines = self._branch_lines() if self.branches else self._request_lines("  ")
        if self.sort is not None:
            lines.append(
                f"  order: {self.sort}, on the client: every matching record is read, then sorted"
            )
        lines.append("  reads: " + self._reads())
        return "\n".join(lines)

    def _request_lines(self, indent: str) -> list[str]:
        lines = [f"GET {self.url}", indent + "server: " + ("; ".join(self.server) or "(no filter)")]
        if self.client:
            lines.append(indent + "client: " + "; ".join(self.client))
        return lines

    def _branch_lines(self) -> list[str]:
        lines = [
            f"OR: {len(self.branches)} queries, each narrowed on the server, merged in the "
            f"list's order ({self.order}), each record once"
        ]
        for number, branch in enumerate(self.branches, 1):
            first, *rest = branch._request_lines("       ")
            lines += [f"  {number}. {first}", *rest]
        return lines

    def _reads(self) -> str:
        if self.by_pk:
            return "one instance, by its SID"
        if self.high is not None and self.high == self.low:
            return "nothing: no record can be in the answer (an empty slice or __in)"
        bound = "all records" if self.high is None else f"records {self.low} to {self.high}"
        if self.sort is not None:
            return f"every matching record{self._how()}; then {bound} of them, sorted"
        if self.branches:
            return f"{bound}; each query read only as far as the merge needs"
        return bound + self._how()

    def _how(self) -> str:
        if self.branches:
            return ", each query to its end"
        scan = " (a full scan: nothing narrows it on the server)" if self.scan else ""
        return f", {self.page_size} a page, following next_page_uri{scan}"


@attrs.frozen
class Query:
    """What a QuerySet asks for; see the module docstring."""

    model: type[Resource]
    path: tuple[tuple[str, str], ...] = ()
    where: tuple[Condition, ...] = ()
    excludes: tuple[tuple[Condition, ...], ...] = ()
    tree: tuple[Node, ...] = ()  # more conditions, and-ed: ors and nots from Q objects
    low: int = 0
    high: int | None = None
    page_size: int | None = None
    order: tuple[str, ...] = ()  # order_by(); () is the list's own order
    flipped: bool = False  # reverse()
    #: the days of one partition (:mod:`twiliorm.partitions`): sent in place of the query's own
    partition: Span | None = None

    @property
    def meta(self) -> Meta:
        return self.model._meta

    @property
    def is_sliced(self) -> bool:
        return bool(self.low) or self.high is not None

    # --- building -------------------------------------------------------------

    def filter(self, conditions: Mapping[str, Any] | Pairs) -> Query:
        pairs = conditions.items() if isinstance(conditions, Mapping) else conditions
        path, where = self._resolve(pairs, negated=False)
        given = dict(self.path)
        for name, value in path:
            if given.get(name, value) != value:
                raise FieldError(
                    f"{self.meta.name} list has {name}={given[name]!r} already; a list belongs "
                    f"to one {name.removesuffix('_sid')}, so {value!r} cannot also apply"
                )
            given[name] = value
        return attrs.evolve(self, path=(*self.path, *path), where=(*self.where, *where))

    def exclude(self, conditions: Mapping[str, Any] | Pairs) -> Query:
        pairs = conditions.items() if isinstance(conditions, Mapping) else conditions
        _, group = self._resolve(pairs, negated=True)
        if not group:
            return self  # exclude() with nothing to exclude keeps everything, as in Django
        return attrs.evolve(self, excludes=(*self.excludes, tuple(group)))

    def add_q(self, q: Q, *, negated: bool = False) -> Query:
        """``filter(q)``, or ``exclude(q)`` when ``negated``. The and-ed parts of ``q`` are
        plain conditions (path parameters among them); its ors and nots become a tree."""
        query = self
        for part in _conjuncts(~q if negated else q):
            if isinstance(part, tuple):
                query = query.filter([part])
                continue
            plain = _plain_pairs(part) if part.negated else None
            if plain is not None:
                query = query.exclude(plain)
            else:
                query = attrs.evolve(query, tree=(*query.tree, query._node(part)))
        return query

    def combine(self, other: Query, connector: str, *, negated: bool = False) -> Query:
        """This query and (``Q.AND``) or (``Q.OR``) ``other`` (``qs1 & qs2``, ``qs1 | qs2``);
        and not ``other`` with ``negated`` (``qs1.difference(qs2)``)."""
        if other.model is not self.model:
            raise TypeError("Cannot combine queries on two different resources.")
        if self.is_sliced or other.is_sliced:
            raise TypeError("Cannot combine queries once a slice has been taken.")
        if dict(self.path) != dict(other.path):
            raise FieldError(
                f"Cannot combine {self.meta.name} queries of different lists "
                f"({dict(self.path)} and {dict(other.path)})"
            )
        if negated:
            return attrs.evolve(self, tree=(*self.tree, Not(other.node())))
        if connector == Q.AND:
            return attrs.evolve(
                self,
                where=(*self.where, *other.where),
                excludes=(*self.excludes, *other.excludes),
                tree=(*self.tree, *other.tree),
            )
        node = either([self.node(), other.node()])
        return attrs.evolve(self, where=(), excludes=(), tree=(node,))

    def nothing(self) -> Query:
        """This query matching no record (``none()``): it sends nothing."""
        return attrs.evolve(self, tree=(*self.tree, either([])))

    def node(self) -> Node:
        """Every condition of this query as one tree (an and)."""
        nots = [Not(both(group)) for group in self.excludes]
        return both([*self.where, *nots, *self.tree])

    def ordered_by(self, names: Iterable[str]) -> Query:
        """``order_by(*names)``: checked now, so a bad name fails where it is written."""
        order = tuple(names)
        Ordering.of(self.meta, order)
        return attrs.evolve(self, order=order)

    def with_path(self, values: Mapping[str, Any]) -> Query:
        checked = tuple((name, self.meta.check_path(name, v)) for name, v in values.items())
        return attrs.evolve(self, path=(*self.path, *checked))

    def sliced(self, start: int | None, stop: int | None) -> Query:
        """Apply ``[start:stop]`` on top of the current slice, as Django does."""
        low = self.low + (start or 0)
        high = self.high
        if stop is not None:
            stop_at = self.low + stop
            high = stop_at if high is None else min(high, stop_at)
        if high is not None:
            low = min(low, high)
        return attrs.evolve(self, low=low, high=high)

    def _resolve(
        self, pairs: Pairs, negated: bool
    ) -> tuple[list[tuple[str, str]], list[Condition]]:
        path: list[tuple[str, str]] = []
        where: list[Condition] = []
        aliases = self.meta.aliases()
        for text, value in pairs:
            name, _, lookup = text.partition("__")
            lookup = lookup or "exact"
            if name == "pk" and self.meta.pk:
                name = self.meta.pk
            target = aliases.get(name)
            if target is not None and self._is_path_param(target):
                path.append(self._path_condition(target, lookup, value, negated))
            else:
                where.append(self._condition(name, lookup, value, negated))
        return path, where

    def _node(self, q: Q) -> Node:
        """``q`` as a tree of checked conditions (no path parameter: a list has one parent)."""
        children: list[Node] = []
        for child in q.children:
            if isinstance(child, Q):
                children.append(self._node(child))
                continue
            path, where = self._resolve([child], negated=False)
            if path or any(c.name in self.meta.query_params for c in where):
                raise FieldError(
                    f"{self.meta.name}: {child[0]}= names the list to read (a path or search "
                    "parameter of the API): give it to filter() itself, not inside an or or a not"
                )
            children.extend(where)
        node = either(children) if q.connector == Q.OR else both(children)
        return Not(node) if q.negated else node

    def _is_path_param(self, name: str) -> bool:
        listed = {n for t in self.meta.list_paths for n in t.names}
        return name in listed

    def _path_condition(self, name: str, lookup: str, value: Any, negated: bool) -> tuple[str, str]:
        if lookup != "exact" or negated:
            raise FieldError(
                f"{self.meta.name}.{name} is part of the path: only filter({name}=...) works on it"
            )
        return name, self.meta.check_path(name, value)

    def _condition(self, name: str, lookup: str, value: Any, negated: bool) -> Condition:
        meta = self.meta
        spec: FieldSpec | QueryParam | None = meta.fields.get(name) or meta.query_params.get(name)
        if spec is None or (isinstance(spec, FieldSpec) and spec.key is None):
            raise FieldError(_unknown(meta, name))
        if "__" in lookup:
            raise FieldError(f"{meta.name}.{name}: lookups do not chain ({name}__{lookup})")
        cls = get_lookup(lookup)
        if cls is None or not cls.applies_to(spec.kind):
            have = ", ".join(lookup_names(spec.kind))
            raise FieldError(f"{meta.name}.{name} has no lookup {lookup!r}; it has: {have}")
        if isinstance(spec, QueryParam) and (lookup != "exact" or negated or value is None):
            raise FieldError(
                f"{meta.name}.{name} is a search parameter of the API: only "
                f"filter({name}=<a value>) works on it"
            )
        return Condition(name, lookup, cls.clean(spec.kind, value, f"{meta.name}.{name}"))

    # --- compiling ------------------------------------------------------------

    def path_values(self, account_sid: str | None) -> dict[str, str]:
        values = dict(self.meta.defaults)
        if account_sid:
            # The client's account goes into paths too: it must have an account's shape.
            values["account_sid"] = check_path_value("account_sid", account_sid)
        values.update(self.path)
        return values

    def compile(self, account_sid: str | None = None, *, partial: bool = False) -> Plan:
        """The requests and client-side tests for this query (see the module docstring).

        ``partial`` leaves unknown placeholders in the path (for ``explain()``
        before a client is known) instead of raising.
        """
        values = self.path_values(account_sid)
        sort = self.sorting()
        found = branches(self.node(), self._split, MAX_BRANCHES)
        if found is None:  # too many branches: the or is tested on the client
            return self._plan(values, partial, self._top(), sort)
        if len(found) <= 1:
            plan = self._plan(values, partial, found[0] if found else (), sort)
            return plan if found else attrs.evolve(plan, high=plan.low)  # in=() matches nothing
        return self._merged(values, partial, found, sort) or self._shared(
            values, partial, found, sort
        )

    def sorting(self) -> Ordering | None:
        """The order the client must make, or None when the list's own order is asked for."""
        listed = self.meta.ordering
        if not self.order:
            return Ordering(flip=True) if self.flipped else None
        wanted = Ordering.of(self.meta, self.order)
        if self.flipped:
            wanted = wanted.reversed()
        if wanted.names == listed:
            return None
        if listed and wanted.names == Ordering.of(self.meta, listed).reversed().names:
            return Ordering(flip=True)  # the list read backwards: exact, even for equal values
        return wanted

    def _top(self) -> list[Node]:
        """The query's and-ed parts, an or among them left whole (the client's to test)."""
        nots: list[Node] = [Not(both(group)) for group in self.excludes]
        return [*self.where, *nots, *self.tree]

    def _split(self, condition: Condition) -> list[Condition] | None:
        """The conditions ``condition`` is the or of, when the API answers each of them."""
        lookup = get_lookup(condition.lookup)
        assert lookup is not None
        alternatives = lookup.alternatives(condition.value)
        if alternatives is None:
            return None
        parts = [Condition(condition.name, name, value) for name, value in alternatives]
        return parts if all(self._answered(part) for part in parts) else None

    def _answered(self, condition: Condition) -> bool:
        """Can the API narrow by ``condition`` on its own (a filter, or the instance path)?"""
        meta = self.meta
        if condition.value is None:
            return False
        if condition.name == meta.pk and condition.lookup == "exact":
            return meta.instance_path is not None and "fetch" in meta.operations
        spec = meta.fields.get(condition.name)
        lookup = get_lookup(condition.lookup)
        if spec is None or spec.filter is None or lookup is None:
            return False
        wire = lookup.wire(spec.kind, condition.value)
        return wire is not None and wire[0] in spec.filter.params()

    def _merged(
        self,
        values: dict[str, str],
        partial: bool,
        found: Sequence[tuple[Node, ...]],
        sort: Ordering | None,
    ) -> Plan | None:
        """One narrowed query per branch, merged; None when that is not the cheaper read
        (a branch narrows no more than what all branches share) or cannot be merged
        (the list's order is unknown)."""
        if not self.meta.ordering:
            return None
        high = None if sort is not None else self.high
        plans = [self._plan(values, partial, branch, None, (0, high)) for branch in found]
        sent = [_sent(plan) for plan in plans]
        common = frozenset.intersection(*sent)
        if any(mine == common for mine in sent):
            return None
        shared = _shared_literals(found)
        compiler = _Compiler(self.meta)
        claims = [
            test(both([n for n in branch if n not in shared]), compiler.record_test)
            for branch in found
        ]
        return Plan(
            path=plans[0].path,
            params=(),
            page_size=PAGE_SIZE_MAX,
            predicate=None,
            low=self.low,
            high=self.high,
            by_pk=False,
            server=(),
            client=tuple(f"or {p.url}: " + "; ".join(p.server + p.client) for p in plans),
            nested=plans[0].nested,
            branches=tuple(attrs.evolve(p, claim=c) for p, c in zip(plans, claims, strict=True)),
            order=Ordering.of(self.meta, self.meta.ordering),
            sort=sort,
        )

    def _shared(
        self,
        values: dict[str, str],
        partial: bool,
        found: Sequence[tuple[Node, ...]],
        sort: Ordering | None,
    ) -> Plan:
        """One query: what every branch has is sent (or tested), the rest of the or is
        tested on the client."""
        shared = _shared_literals(found)
        rest = [[n for n in branch if n not in shared] for branch in found]
        nodes: list[Node] = list(shared)
        if all(rest):  # a branch with nothing of its own makes the or always true
            nodes.append(either([both(branch) for branch in rest]))
        return self._plan(values, partial, nodes, sort)

    def _plan(
        self,
        values: dict[str, str],
        partial: bool,
        nodes: Sequence[Node],
        sort: Ordering | None,
        window: tuple[int, int | None] | None = None,
    ) -> Plan:
        """One request for the and of ``nodes`` (conditions the API answers are sent) and
        records ``window`` of its answer (the query's slice unless given)."""
        meta = self.meta
        low, high = window if window is not None else (self.low, self.high)
        conditions = [n for n in nodes if isinstance(n, Condition)]
        pk_condition = self._pk_condition(conditions)
        by_pk = pk_condition is not None and meta.instance_path is not None
        path = self._fill_path(dict(values), pk_condition if by_pk else None, partial)
        compiler = _Compiler(meta)
        for node in nodes:
            if isinstance(node, Condition):
                compiler.add(node, by_pk and node is pk_condition, by_pk)
            else:
                compiler.test_node(node)
        if self.partition is not None and not by_pk:
            compiler.narrow(self.partition)
        return Plan(
            path=path,
            params=tuple(compiler.params),
            page_size=self._page_size(bool(compiler.tests), None if sort is not None else high),
            predicate=compiler.predicate(),
            low=low,
            high=high,
            by_pk=by_pk,
            server=tuple(compiler.server),
            client=tuple(compiler.notes),
            nested=any(name != "account_sid" for name, _ in self.path),
            sort=sort,
            reads=frozenset(compiler.reads),
        )

    def _pk_condition(self, conditions: Sequence[Condition]) -> Condition | None:
        """The first ``pk=`` condition: it names the instance path (others are tested)."""
        pk = self.meta.pk
        if pk is None or "fetch" not in self.meta.operations:
            return None
        for condition in conditions:
            if condition.name == pk and condition.lookup == "exact" and condition.value is not None:
                return condition
        return None

    def _fill_path(self, values: dict[str, str], pk: Condition | None, partial: bool) -> str:
        meta = self.meta
        if pk is not None:
            assert meta.instance_path is not None and meta.pk is not None
            values[meta.pk] = meta.check_path(meta.pk, pk.value)
            template = meta.instance_path
        else:
            if not partial:
                meta.require("list")
            template = meta.list_template(values, partial=partial)
        if partial:
            values = {n: values.get(n) or "{" + n + "}" for n in template.names}
            return template.format_map(values)
        if template.missing(values):
            raise meta.missing_path_error(template, values)
        return template.fill(values)

    def _page_size(self, tested: bool, high: int | None) -> int:
        """``[:n]`` asks for n a page, else 1000. When the client drops records (``tested``)
        more may be needed, so a page is never smaller than 50, Twilio's default."""
        if self.page_size is not None:
            return self.page_size
        if high is not None:
            return max(50 if tested else 1, min(high, PAGE_SIZE_MAX))
        return PAGE_SIZE_MAX

    def __str__(self) -> str:
        return str(self.compile(partial=True))


@attrs.frozen
class HasValue:
    """The client's test of ``field__isnull``: whether a record has a value at ``key``
    (``present``) or not. A predicate as any other; :meth:`page` keeps a page's
    records that pass in C-level calls (a scan by ``date_sent__isnull=False`` asks it
    of every record)."""

    key: str
    present: bool

    def __call__(self, record: Mapping[str, Any]) -> bool:
        return (record.get(self.key) is not None) is self.present

    def page(self, records: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        values = map(operator.methodcaller("get", self.key), records)
        passed = map(operator.is_not if self.present else operator.is_, values, _NONES)
        return list(itertools.compress(records, passed))


_NONES = itertools.repeat(None)


class _Compiler:
    """Splits conditions into query params (server) and record tests (client)."""

    def __init__(self, meta: Meta) -> None:
        self.meta = meta
        self.params: list[tuple[str, str]] = []
        self.server: list[str] = []
        self.tests: list[Predicate] = []
        self.notes: list[str] = []
        self.reads: set[str] = set()  # the record keys the tests read

    def add(self, condition: Condition, names_path: bool, by_pk: bool) -> None:
        """Send or test one condition; ``names_path``: it is the pk the instance path names."""
        meta = self.meta
        if names_path:
            self.server.append(f"{condition.name} = {condition.value!r} (the instance path)")
            return
        spec = meta.fields.get(condition.name)
        if spec is None:
            query = meta.query_params[condition.name]
            self._send(query.param or "", query.kind.encode(condition.value), condition)
            return
        if by_pk or not self._send_field(spec, condition):
            self._test(condition, str(condition))

    def test_node(self, node: Node) -> None:
        """Test an or, a not (an ``exclude()``) or an and of them on the client."""
        self.tests.append(test(node, self.record_test))
        self.notes.append(show(node))

    def narrow(self, span: Span) -> None:
        """Send ``span``'s days for its field in place of any the conditions sent (a
        partition lies within them; the conditions' client tests stay)."""
        spec = self.meta.fields[span.field]
        names = spec.filter.params() if spec.filter is not None else {}
        self.params = list(span.narrow(self.params, names))
        self.server.append(partition_note(span, names))

    def predicate(self) -> Predicate | None:
        tests = tuple(self.tests)
        if not tests:
            return None
        if len(tests) == 1:
            return tests[0]
        return lambda record: all(test(record) for test in tests)

    def _send(self, param: str, value: str | list[str], condition: Condition) -> None:
        for item in [value] if isinstance(value, str) else value:
            self.params.append((param, item))
        self.server.append(f"{condition} -> {param}")

    def _send_field(self, spec: FieldSpec, condition: Condition) -> bool:
        """Send what the server can answer; False when the client must answer it all."""
        if spec.filter is None or condition.value is None:
            return False
        lookup = get_lookup(condition.lookup)
        assert lookup is not None
        parts = lookup.parts(condition.value)
        if parts is not None:
            sent = [self._send_field(spec, Condition(condition.name, n, v)) for n, v in parts]
            return all(sent)
        wire = lookup.wire(spec.kind, condition.value)
        if wire is None:
            return False
        name, value, refine = wire
        param = spec.filter.params().get(name)
        if param is None or self._used(param):
            return False
        self._send(param, spec.kind.encode(value), condition)
        if refine:
            self._test(condition, f"{condition} (the server filters by day)")
        return True

    def _used(self, param: str) -> bool:
        return any(name == param for name, _ in self.params)

    def _test(self, condition: Condition, note: str) -> None:
        self.tests.append(self.record_test(condition))
        self.notes.append(note)

    def record_test(self, condition: Condition) -> Predicate:
        """The client's test of one condition on a payload."""
        spec = self.meta.fields[condition.name]
        key = spec.key or condition.name
        self.reads.add(key)
        parse = spec.kind.parse
        lookup = get_lookup(condition.lookup)
        assert lookup is not None
        matches, target = lookup.matches, condition.value
        if lookup is IsNull:
            # Whether there is a value, not what it is: no parse (a scan in partitions
            # by date_sent__isnull=False asks this of every record).
            return HasValue(key, not target)

        def test(record: Mapping[str, Any]) -> bool:
            value = record.get(key)
            if value is not None and parse is not None:
                value = parse(value)
            return matches(value, target)

        return test


def _conjuncts(q: Q) -> Iterable[tuple[str, Any] | Q]:
    """The and-ed parts of ``q``: its keyword pairs and the Qs that are not plain ands."""
    if q.negated or q.connector != Q.AND:
        yield q
        return
    for child in q.children:
        if isinstance(child, Q):
            yield from _conjuncts(child)
        else:
            yield child


def _plain_pairs(q: Q) -> list[tuple[str, Any]] | None:
    """The pairs of a Q that is an and of keyword pairs only (its own negation aside)."""
    if q.connector != Q.AND:
        return None
    pairs: list[tuple[str, Any]] = []
    for child in q.children:
        if not isinstance(child, Q):
            pairs.append(child)
            continue
        inner = None if child.negated else _plain_pairs(child)
        if inner is None:
            return None
        pairs += inner
    return pairs


def _sent(plan: Plan) -> frozenset[tuple[str, str]]:
    """What a plan asks the server for: its parameters, and the instance it names."""
    named = {("", plan.path)} if plan.by_pk else set()
    return frozenset({*plan.params, *named})


def _shared_literals(found: Sequence[tuple[Node, ...]]) -> list[Node]:
    """The literals every branch has (in the first branch's order)."""
    return [n for n in found[0] if all(n in branch for branch in found[1:])]


def _unknown(meta: Meta, name: str) -> str:
    fields = sorted(s.name for s in meta.fields.values() if s.key is not None)
    listed_paths = {n for t in meta.list_paths for n in t.names} - {"account_sid"}
    paths = sorted(a for a, n in meta.aliases().items() if n in listed_paths)
    listed = ", ".join(fields + sorted(meta.query_params) + paths)
    return f"{meta.name} has no field {name!r}; it has: {listed}"
