"""The query and its plan: what a QuerySet asks for, and the request it compiles to.

A :class:`Query` is a frozen value: the resource, the path parameters, the
``filter()`` conditions, the ``exclude()`` groups and the slice. Every
QuerySet builder returns a QuerySet around a new Query. :meth:`Query.compile`
turns it into a :class:`Plan`: the GET to send (path and query parameters,
PageSize) and the predicate the client runs over what comes back.

The split follows one rule: the server narrows, the client refines. A lookup
the API answers exactly becomes a query parameter; one it answers coarsely
(Twilio's date filters are inclusive and by day) is sent coarsely and
finished on the client; one it does not answer at all runs on the client. A
parameter the API would silently ignore is never sent.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from .exceptions import FieldError
from .fields import FieldSpec, QueryParam
from .lookups import get_lookup, lookup_names
from .paths import check_path_value

if TYPE_CHECKING:
    from .resource import Meta, Resource

__all__ = ["PAGE_SIZE_MAX", "Condition", "Plan", "Query"]

PAGE_SIZE_MAX = 1000


@attrs.frozen
class Condition:
    """``name__lookup=value``, resolved and checked against the resource."""

    name: str
    lookup: str
    value: Any

    def __str__(self) -> str:
        return f"{self.name}__{self.lookup}={_show(self.value)}"


Predicate = Callable[[Mapping[str, Any]], bool]


@attrs.frozen
class Plan:
    """A compiled query: the request to send and the test to run on each record."""

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

    @property
    def scan(self) -> bool:
        """True when only the client narrows an account-wide list: all of it is read.

        A list below a parent (a conference's participants) is already narrowed
        by its path, so filtering it on the client is no scan.
        """
        return bool(self.client) and not self.server and not self.by_pk and not self.nested

    @property
    def query_string(self) -> str:
        params = self.params if self.by_pk else (*self.params, ("PageSize", str(self.page_size)))
        return urllib.parse.urlencode(params)

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    def __str__(self) -> str:
        lines = [f"GET {self.url}"]
        lines.append("  server: " + ("; ".join(self.server) or "(no filter)"))
        if self.client:
            lines.append("  client: " + "; ".join(self.client))
        lines.append("  reads: " + self._reads())
        return "\n".join(lines)

    def _reads(self) -> str:
        if self.by_pk:
            return "one instance, by its SID"
        bound = "all records" if self.high is None else f"records {self.low} to {self.high}"
        scan = " (a full scan: nothing narrows it on the server)" if self.scan else ""
        return f"{bound}, {self.page_size} a page, following next_page_uri{scan}"


@attrs.frozen
class Query:
    """What a QuerySet asks for; see the module docstring."""

    model: type[Resource]
    path: tuple[tuple[str, str], ...] = ()
    where: tuple[Condition, ...] = ()
    excludes: tuple[tuple[Condition, ...], ...] = ()
    low: int = 0
    high: int | None = None
    page_size: int | None = None

    @property
    def meta(self) -> Meta:
        return self.model._meta

    # --- building -------------------------------------------------------------

    def filter(self, conditions: Mapping[str, Any]) -> Query:
        path, where = self._resolve(conditions, negated=False)
        given = dict(self.path)
        for name, value in path:
            if given.get(name, value) != value:
                raise FieldError(
                    f"{self.meta.name} list has {name}={given[name]!r} already; a list belongs "
                    f"to one {name.removesuffix('_sid')}, so {value!r} cannot also apply"
                )
            given[name] = value
        return attrs.evolve(self, path=(*self.path, *path), where=(*self.where, *where))

    def exclude(self, conditions: Mapping[str, Any]) -> Query:
        _, group = self._resolve(conditions, negated=True)
        if not group:
            return self  # exclude() with nothing to exclude keeps everything, as in Django
        return attrs.evolve(self, excludes=(*self.excludes, tuple(group)))

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
        self, conditions: Mapping[str, Any], negated: bool
    ) -> tuple[list[tuple[str, str]], list[Condition]]:
        path: list[tuple[str, str]] = []
        where: list[Condition] = []
        aliases = self.meta.aliases()
        for text, value in conditions.items():
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
        """The request and client-side test for this query.

        ``partial`` leaves unknown placeholders in the path (for ``explain()``
        before a client is known) instead of raising.
        """
        meta = self.meta
        values = self.path_values(account_sid)
        pk_condition = self._pk_condition()
        by_pk = pk_condition is not None and meta.instance_path is not None
        path = self._fill_path(values, by_pk, partial)
        compiler = _Compiler(meta)
        for condition in self.where:
            compiler.add(condition, condition is pk_condition if by_pk else False, by_pk)
        for group in self.excludes:
            compiler.exclude(group)
        return Plan(
            path=path,
            params=tuple(compiler.params),
            page_size=self._page_size(bool(compiler.tests)),
            predicate=compiler.predicate(),
            low=self.low,
            high=self.high,
            by_pk=by_pk,
            server=tuple(compiler.server),
            client=tuple(compiler.notes),
            nested=any(name != "account_sid" for name, _ in self.path),
        )

    def _pk_condition(self) -> Condition | None:
        """The first ``pk=`` condition: it names the instance path (others are tested)."""
        pk = self.meta.pk
        if pk is None or "fetch" not in self.meta.operations:
            return None
        for condition in self.where:
            if condition.name == pk and condition.lookup == "exact" and condition.value is not None:
                return condition
        return None

    def _pk_value(self) -> Any:
        condition = self._pk_condition()
        return condition.value if condition is not None else None

    def _fill_path(self, values: dict[str, str], by_pk: bool, partial: bool) -> str:
        meta = self.meta
        if by_pk:
            assert meta.instance_path is not None and meta.pk is not None
            values[meta.pk] = meta.check_path(meta.pk, self._pk_value())
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

    def _page_size(self, tested: bool) -> int:
        """``[:n]`` asks for n a page, else 1000. When the client drops records (``tested``)
        more may be needed, so a page is never smaller than 50, Twilio's default."""
        if self.page_size is not None:
            return self.page_size
        if self.high is not None:
            return max(50 if tested else 1, min(self.high, PAGE_SIZE_MAX))
        return PAGE_SIZE_MAX

    def __str__(self) -> str:
        return str(self.compile(partial=True))


class _Compiler:
    """Splits conditions into query params (server) and record tests (client)."""

    def __init__(self, meta: Meta) -> None:
        self.meta = meta
        self.params: list[tuple[str, str]] = []
        self.server: list[str] = []
        self.tests: list[Predicate] = []
        self.notes: list[str] = []

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

    def exclude(self, group: Iterable[Condition]) -> None:
        tests = [self._record_test(c) for c in group]
        self.tests.append(lambda record: not all(test(record) for test in tests))
        self.notes.append("exclude(" + ", ".join(str(c) for c in group) + ")")

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
        self.tests.append(self._record_test(condition))
        self.notes.append(note)

    def _record_test(self, condition: Condition) -> Predicate:
        spec = self.meta.fields[condition.name]
        key = spec.key or condition.name
        parse = spec.kind.parse
        lookup = get_lookup(condition.lookup)
        assert lookup is not None
        matches, target = lookup.matches, condition.value

        def test(record: Mapping[str, Any]) -> bool:
            value = record.get(key)
            if value is not None and parse is not None:
                value = parse(value)
            return matches(value, target)

        return test


def _show(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if isinstance(value, (dt.date, decimal.Decimal)):
        return str(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_show(v) for v in value) + ")"
    return repr(value)


def _unknown(meta: Meta, name: str) -> str:
    fields = sorted(s.name for s in meta.fields.values() if s.key is not None)
    listed_paths = {n for t in meta.list_paths for n in t.names} - {"account_sid"}
    paths = sorted(a for a, n in meta.aliases().items() if n in listed_paths)
    listed = ", ".join(fields + sorted(meta.query_params) + paths)
    return f"{meta.name} has no field {name!r}; it has: {listed}"
