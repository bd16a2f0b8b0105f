"""Reading a query in date partitions: on which field, which days, and the reader that merges them.

A list the API filters by day (messages by ``DateSent``, calls by
``StartTime``, recordings and conferences by ``DateCreated``...) can be read
as spans of days of one such field, each a server-narrowed query of its own
(a :class:`Span` on :attr:`Query.partition <twiliorm.query.Query.partition>`),
read concurrently and merged back in the list's order (a
:class:`~twiliorm.protocol.Merge`): the same records in the same order as the
sequential walk. Nothing here sends: :func:`partitioning` decides from the
query and its plan, :class:`PartitionReader` is fed pages as any reader is.
The sync driver is :func:`twiliorm.bulk.reads.read_concurrently`; another
driver sends what :attr:`PartitionReader.pending` asks for and feeds back
what comes.

The rules (``docs/scale.rst`` says what they guarantee):

- the field: a by-day field the API filters with both bounds, that the
  query requires a value of (a range of it, ``__isnull=False``), else the one
  the list is ordered by (``date_created``: every record has one). A field
  that can be empty and that the query does not require is not used: the
  API cannot ask for the records without it, so only the whole list finds
  them, and the query is read by the sequential walk;
- the days: the query's own (the days its plan sends); without a lower
  bound, the account's creation day (nothing in an account is older than the
  account; :data:`API_EPOCH` when the account cannot be read); without an
  upper one, today. The lowest span stays open below and the highest open
  above unless the query bounds them, so a record dated outside (a clock
  off by a day, a record older than its account) is read all the same (a
  full open span whose first page shows records older than the account is
  split from :data:`API_EPOCH`);
- while the account is asked for (no lower bound), the newest
  :data:`READ_AHEAD_DAYS` days are read a day each: the first round trip
  reads them instead of waiting, and the spans below start when the account
  comes (the merge gives nothing before: a record of an older day may come
  first in the list's order);
- granularity adapts: the days start as :data:`FIRST_SPANS` spans; a span
  whose first page has a next page is split into pieces of about as many
  days as that page covered (at most :data:`MOST_PIECES` at once), its first
  page kept and left out of the pieces' answers (by SID). A stretch with
  nothing in it costs one request however long it is; a day is not split;
- memory: the merge needs the next record of every partition, so a page of
  each is held; reading ahead is bounded by ``budget`` records, beyond which
  only the :data:`AHEAD_OVER_BUDGET` partitions the merge needs soonest read
  on (a page each). Reads that need no order (a count, a write) take the
  pages as they come.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from .dates import day_of, parse_rfc2822, rfc2822_day
from .lookups import get_lookup
from .ordering import Ordering
from .projection import PageDecoder, page_decoder
from .protocol import ApiRequest, ListReader, Merge, RawPage, Reader, SortedReader
from .resource import resources_by_name

if TYPE_CHECKING:
    from .fields import FieldSpec
    from .ordering import SortKey
    from .query import Plan, Query
    from .resource import Meta

__all__ = [
    "AHEAD_OVER_BUDGET",
    "API_EPOCH",
    "FIRST_SPANS",
    "MOST_PIECES",
    "READ_AHEAD_DAYS",
    "PartitionReader",
    "Partitioning",
    "Span",
    "account_day",
    "account_request",
    "open_partitions",
    "partitioned",
    "partitioning",
]

#: the spans a scan starts with (coarse: an empty stretch costs one request)
FIRST_SPANS = 4
#: the most pieces one full first page splits its span into
MOST_PIECES = 16
#: the newest days read, a day each, while the account (the lower bound) is asked for
READ_AHEAD_DAYS = 14
#: partitions read ahead beyond the budget: those whose records the merge needs soonest
AHEAD_OVER_BUDGET = 4
#: the lower bound when the account's creation day cannot be read: before any record of the API
API_EPOCH = dt.date(2008, 1, 1)

Record = Mapping[str, Any]


@attrs.frozen
class Span:
    """Days of the partition ``field``, both ends included; None: open on that side
    (no bound is sent, so nothing dated beyond it is missed)."""

    field: str
    first: dt.date | None
    last: dt.date | None

    def holds(self, day: dt.date | None) -> bool:
        if day is None:
            return False
        return (self.first is None or self.first <= day) and (self.last is None or day <= self.last)

    def pairs(self, names: Mapping[str, str]) -> list[tuple[str, str]]:
        """The query parameters of this span, by the filter's ``names`` ({lookup: param})."""
        if self.first is not None and self.first == self.last and "exact" in names:
            return [(names["exact"], self.first.isoformat())]
        pairs = [] if self.first is None else [(names["gte"], self.first.isoformat())]
        return pairs + ([] if self.last is None else [(names["lte"], self.last.isoformat())])

    def narrow(self, params: Iterable[tuple[str, str]], names: Mapping[str, str]) -> list[Pair]:
        """``params`` with this span's days in place of any the query sent for the field
        (a partition lies within the query's own days, so nothing else changes)."""
        mine = set(names.values())
        return [pair for pair in params if pair[0] not in mine] + self.pairs(names)

    def __str__(self) -> str:
        if self.first is not None and self.first == self.last:
            return f"{self.field} on {self.first}"
        low = "" if self.first is None else f" from {self.first}"
        high = "" if self.last is None else f" to {self.last}"
        return f"{self.field}{low}{high}" if low or high else f"{self.field} (any day)"


Pair = tuple[str, str]


@attrs.frozen
class Partitioning:
    """Whether a query is read in partitions, on which field and days; ``str()`` says
    which and why, or why not (``explain()`` shows it)."""

    field: str | None
    reason: str
    first: dt.date | None = None  # the query's own days on the field
    last: dt.date | None = None
    names: Mapping[str, str] = attrs.field(factory=dict)
    key: str = ""
    parse: Callable[[Any], Any] | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def usable(self) -> bool:
        return self.field is not None

    def spans(self, floor: dt.date | None, today: dt.date, count: int = FIRST_SPANS) -> list[Span]:
        """The first spans: the days from the query's lower bound (else ``floor``) to its
        upper one (else ``today``) cut in ``count``, the ends left open unless bounded."""
        assert self.field is not None
        low, high = self.first or floor, self.last or today
        if low is None:
            return [Span(self.field, None, self.last)]
        pieces = cut(low, max(low, high), count)
        spans = [Span(self.field, a, b) for a, b in pieces]
        spans[0] = attrs.evolve(spans[0], first=self.first)
        spans[-1] = attrs.evolve(spans[-1], last=self.last)
        return spans

    def narrow(self, plan: Plan, span: Span) -> Plan:
        """``plan`` (one request) reading only ``span``."""
        params = tuple(span.narrow(plan.params, self.names))
        return attrs.evolve(plan, params=params, server=(*plan.server, note(span, self.names)))

    def day(self, record: Record) -> dt.date | None:
        """The UTC day of the field in ``record`` (None when it has none or an unreadable one)."""
        raw = record.get(self.key)
        if raw is None or self.parse is None:
            return None
        try:
            if self.parse is parse_rfc2822 and isinstance(raw, str):
                return rfc2822_day(raw)  # the same day, without a datetime
            return day_of(self.parse(raw))
        except (TypeError, ValueError, OverflowError):  # no UTC day (year 9999, -0100)
            return None

    def __str__(self) -> str:
        if self.field is None:
            return f"partitions: none: {self.reason}"
        low = self.first or "the account's creation day"
        high = self.last or "today"
        return (
            f"partitions: by {self.field}: from {low} to {high}, {FIRST_SPANS} spans to start, "
            f"a span split where its first page has a next one, merged in the list's order; "
            f"{self.reason}"
        )


def note(span: Span, names: Mapping[str, str]) -> str:
    """How a partition's days show in ``explain()``."""
    params = ", ".join(dict.fromkeys(param for param, _ in span.pairs(names))) or "(nothing)"
    return f"{span} (a partition) -> {params}"


def cut(low: dt.date, high: dt.date, count: int) -> list[tuple[dt.date, dt.date]]:
    """The days ``low`` to ``high`` in ``count`` runs as even as whole days allow (fewer
    when there are fewer days), oldest first."""
    days = (high - low).days + 1
    count = max(1, min(count, days))
    edges = [low + dt.timedelta(days=days * n // count) for n in range(count + 1)]
    return [(a, b - dt.timedelta(days=1)) for a, b in itertools.pairwise(edges)]


# --- which field ----------------------------------------------------------------------------


def partitioning(query: Query, plan: Plan) -> Partitioning:
    """How ``query`` (compiled to ``plan``) is read in partitions, or why it is not."""
    meta = query.meta
    refused = _refused(query, plan)
    if refused:
        return Partitioning(None, refused)
    candidates = [spec for spec in meta.payload_fields if _partitions_by(spec)]
    if not candidates:
        return Partitioning(None, f"the API filters {meta.name} lists by no day with both bounds")
    required = _required(query)
    chosen, why = _choose(meta, candidates, required, plan)
    if chosen is None:
        return Partitioning(None, why)
    names = chosen.filter.params() if chosen.filter is not None else {}
    first, last = _sent_days(plan.params, names)
    if first is not None and first == last:
        return Partitioning(
            None, f"the query asks for one day of {chosen.name}: a day is not split"
        )
    return Partitioning(
        chosen.name, why, first, last, names, chosen.key or chosen.name, chosen.kind.parse
    )


def _refused(query: Query, plan: Plan) -> str:
    if plan.by_pk:
        return "a fetch by SID"
    if query.is_sliced:
        return "a slice: the sequential walk stops as soon as it has it"
    if plan.branches:
        return "an or, read as several narrowed queries"
    if not query.meta.ordering:
        return f"the API does not say in which order it lists {query.meta.name}"
    return ""


def _partitions_by(spec: FieldSpec) -> bool:
    names = spec.filter.params() if spec.filter is not None else {}
    return spec.kind.by_day and spec.key is not None and {"gte", "lte"} <= set(names)


def _required(query: Query) -> set[str]:
    """The fields a record must have a value in to match (a condition None cannot meet)."""
    found = set()
    for condition in query.where:
        lookup = get_lookup(condition.lookup)
        if lookup is not None and not lookup.matches(None, condition.value):
            found.add(condition.name)
    if query.partition is not None:
        found.add(query.partition.field)
    return found


def _choose(
    meta: Meta, candidates: Sequence[FieldSpec], required: set[str], plan: Plan
) -> tuple[FieldSpec | None, str]:
    by_name = {spec.name: spec for spec in candidates}
    sent = {name for name, _ in plan.params}
    named = [by_name[n] for n in by_name if n in required]
    named.sort(key=lambda spec: not set(_names(spec).values()) & sent)  # the bounded first
    if named:
        return named[0], f"the query requires a {named[0].name}, so every record it matches has one"
    ordered_by = meta.ordering[0].lstrip("-")
    if ordered_by in by_name:
        return by_name[ordered_by], f"every record has a {ordered_by} (the list's order)"
    name = candidates[0].name
    return None, (
        f"{name} can be empty and the API cannot ask for the {meta.name} records without one, "
        f"so only the whole list finds them: the sequential walk. To read in partitions, "
        f"require it: filter({name}__gte=...) or filter({name}__isnull=False)"
    )


def _names(spec: FieldSpec) -> Mapping[str, str]:
    return spec.filter.params() if spec.filter is not None else {}


def _sent_days(
    params: Iterable[Pair], names: Mapping[str, str]
) -> tuple[dt.date | None, dt.date | None]:
    """The days the query itself sends for the field: (first, last), None where unbounded."""
    first = last = None
    wire = {names.get(lookup) for lookup in ("gte", "lte", "exact")} - {None}
    for param, value in params:
        if param not in wire:
            continue  # another filter (To=+1555...): not a day of this field
        day = dt.date.fromisoformat(value)
        if param in (names.get("gte"), names.get("exact")):
            first = day if first is None else max(first, day)
        if param in (names.get("lte"), names.get("exact")):
            last = day if last is None else min(last, day)
    return first, last


def account_request(account_sid: str) -> ApiRequest:
    """The GET of the account whose creation day bounds a scan with no lower bound."""
    meta = resources_by_name()["Account"]._meta
    assert meta.instance_path is not None
    return ApiRequest("GET", meta.instance_path.fill({"sid": account_sid}))


def account_day(data: Any) -> dt.date | None:
    """The day an account was created, from its payload (None when it says nothing)."""
    created = data.get("date_created") if isinstance(data, dict) else None
    try:
        return parse_rfc2822(created).date() if isinstance(created, str) else None
    except ValueError:
        return None


# --- reading -----------------------------------------------------------------------------


def open_partitions(
    query: Query,
    plan: Plan,
    pk_key: str | None,
    origin: str,
    *,
    today: dt.date,
    account: ApiRequest | None,
    ordered: bool = True,
    budget: int = 64_000,
    keys: Iterable[str] | None = None,
) -> Reader | None:
    """The reader of ``query`` (compiled to ``plan``) in partitions, or None when it
    cannot be partitioned: merged in the list's order when ``ordered``, sorted when the
    query asks for an order of its own (then read as the pages come).

    ``keys``: the record keys the caller reads (None: all); the reader's records may
    then hold only those and what the read itself needs (:mod:`twiliorm.projection`)."""
    how = partitioning(query, plan)
    if not how.usable:
        return None
    meta = query.meta
    listed = attrs.evolve(plan, sort=None, order=Ordering.of(meta, meta.ordering))
    reader = PartitionReader(
        listed,
        how,
        meta.key,
        pk_key,
        origin,
        today=today,
        account=account,
        ordered=ordered and plan.sort is None,
        budget=budget,
    )
    if keys is not None:
        orders = [listed.order, plan.sort]
        needed = {how.key, pk_key, *plan.reads}
        needed.update(by.key for order in orders if order is not None for by in order.fields)
        kept = {*keys, *(key for key in needed if key)}
        reader.decode = page_decoder(meta.key, kept)
        if reader.decode is not None:
            # The budget counts whole records: as many times more of these fit in its
            # memory as they keep fewer of the payload's keys.
            reader.budget = budget * max(1, len(meta.payload_fields) // len(kept))
    return reader if plan.sort is None else SortedReader(reader, plan.sort, plan.low, plan.high)


def partitioned(reader: Reader) -> bool:
    """Whether ``reader`` reads partitions (it has many requests to send at once)."""
    inner = reader.inner if isinstance(reader, SortedReader) else reader
    return isinstance(inner, PartitionReader)


@attrs.define(eq=False)
class _Part:
    """One partition being read: its days, its reader, its stream in the merge, and the SIDs
    (with their days) of the pages read before it was cut from a wider span."""

    span: Span
    reader: ListReader
    stream: int
    seen: dict[Any, dt.date]
    first_page: bool = True
    cut: bool = False

    @property
    def request(self) -> ApiRequest | None:
        return None if self.cut else self.reader.request


class PartitionReader:
    """Reading a plan in partitions (see the module docstring): ``pending`` are the
    requests that can be sent now, the most useful first; :meth:`feed` takes the answer
    to any of them and gives the records that can be given (merged in the list's order
    when ``ordered``, else as they come).

    ``account`` is asked first when the query has no lower bound; a driver that gets an
    error for it (a key not allowed to read accounts) feeds None: :data:`API_EPOCH` is
    the bound then. ``budget``: records held beyond a page a partition, while ordered.
    """

    def __init__(
        self,
        plan: Plan,
        how: Partitioning,
        key: str,
        pk_key: str | None,
        origin: str,
        *,
        today: dt.date,
        account: ApiRequest | None = None,
        ordered: bool = True,
        budget: int = 64_000,
        first_spans: int = FIRST_SPANS,
    ) -> None:
        assert how.field is not None and plan.order is not None
        self.plan, self.how = plan, how
        self.key, self.pk_key, self.origin = key, pk_key, origin
        self.today, self.budget, self.first_spans = today, budget, first_spans
        self.merge = Merge(plan.order) if ordered else None
        self._pending: list[ApiRequest] | None = None  # pending, until the next answer
        #: how a list page's body is decoded (None: whole, by the driver's client)
        self.decode: PageDecoder | None = None
        self.parts: list[_Part] = []
        self.number = 0
        self.splits = 0
        self.floor: dt.date | None = how.first
        self.account = account if how.first is None else None
        self._below: dt.date | None = None  # the newest day not read ahead of the account
        self._held = -1  # the merge's stream that stands for the spans still to come
        if self.account is None:
            self._start(how.first or API_EPOCH)
        else:
            self._read_ahead()

    # --- what to send ----------------------------------------------------------------------

    @property
    def request(self) -> ApiRequest | None:
        pending = self.pending
        return pending[0] if pending else None

    @property
    def pending(self) -> list[ApiRequest]:
        """Every request the read can use now, the most useful first (a driver sends as
        many as it may; one in flight stays here until it is answered). Worked out once
        an answer (a driver asks after every answer and every send)."""
        if self._pending is None:
            self._pending = self._useful()
        return self._pending

    def _useful(self) -> list[ApiRequest]:
        if self.account is not None:  # the account first, then the days read ahead
            if self.merge is not None and self.merge.buffered >= self.budget:
                return [self.account]  # the merge holds all until it comes: no more
            return [self.account, *(p.request for p in self.parts if p.request is not None)]
        active = [part for part in self.parts if part.request is not None]
        if self.merge is None:
            active.sort(key=lambda part: not part.first_page)  # a split is found sooner
            return [part.request for part in active if part.request is not None]
        waiting = set(self.merge.waiting)
        needed = [part for part in active if part.stream in waiting]
        ahead = [part for part in active if part.stream not in waiting]
        ahead.sort(key=functools.cmp_to_key(self._sooner))
        if self.merge.buffered < self.budget:
            rest = ahead[AHEAD_OVER_BUDGET:]
            rest.sort(key=lambda part: part.reader.number)  # breadth first: no long tail
            ahead[AHEAD_OVER_BUDGET:] = rest
        if self.merge.buffered >= self.budget:
            # Over the budget, only the partitions the merge needs soonest read on: were
            # they to wait until it starves on them, each of their pages would be a round
            # trip with nothing else in flight.
            ahead = ahead[:AHEAD_OVER_BUDGET]
        return [part.request for part in needed + ahead if part.request is not None]

    @property
    def by_pk(self) -> bool:
        return False

    @property
    def spans(self) -> list[Span]:
        """The partitions read so far or being read (a span cut in pieces is left out)."""
        return [part.span for part in self.parts if not part.cut]

    # --- what came -------------------------------------------------------------------------

    def feed(self, data: Any, request: ApiRequest | None = None) -> RawPage:
        request = request or self.request
        self._pending = None  # what this answer changes, pending is worked out again
        if request is not None and request is self.account:
            self.account = None
            self._start(account_day(data) or API_EPOCH)
            return self._page(request, [])
        part = self._part_for(request)
        raw = part.reader.feed(data)
        if part.first_page and part.reader.request is not None:
            self._split(part, data[self.key])  # a list: the reader checked it
        part.first_page = False
        if self.merge is None:
            return self._page(raw.request, raw.records)
        self.merge.put(part.stream, raw.records)
        if part.request is None:
            self.merge.close(part.stream)
        return self._page(raw.request, self.merge.take())

    def _page(self, request: ApiRequest, records: list[Record]) -> RawPage:
        page = RawPage(self.number, request, self.request, records)
        self.number += 1
        return page

    def _part_for(self, request: ApiRequest | None) -> _Part:
        for part in self.parts:
            if part.request is not None and (request is None or part.request is request):
                return part
        raise RuntimeError("the partitions are not waiting for an answer to that request")

    # --- partitions ------------------------------------------------------------------------

    def _start(self, floor: dt.date) -> None:
        self.floor = floor
        if self._below is None:
            spans = self.how.spans(floor, self.today, self.first_spans)
        elif floor <= self._below:  # the days below those read ahead (not the query's)
            field = self.how.field or ""
            spans = [Span(field, a, b) for a, b in cut(floor, self._below, self.first_spans)]
            spans[0] = attrs.evolve(spans[0], first=None)  # no lower bound: open below
        else:  # the account is younger than the days read ahead: only what is older
            spans = [Span(self.how.field or "", None, self._below)]
        for span in spans:
            self._add(span, {})
        if self.merge is not None and self._held >= 0:
            self.merge.close(self._held)  # every span is in: the merge may give records

    def _read_ahead(self) -> None:
        """While the account (the lower bound) is asked for, the newest
        :data:`READ_AHEAD_DAYS` days are read a day each (the newest open above unless
        bounded): the requests a read would wait a round trip to send, and two to split
        into days. Until the account comes, the merge holds everything (an older day's
        record may come first in the list's order)."""
        high = self.how.last or self.today
        field = self.how.field or ""
        for back in range(READ_AHEAD_DAYS):
            day = high - dt.timedelta(days=back)
            self._add(Span(field, day, day if back else self.how.last), {})
        self._below = high - dt.timedelta(days=READ_AHEAD_DAYS)
        if self.merge is not None:
            self._held = self.merge.add()

    def _add(self, span: Span, seen: dict[Any, dt.date]) -> None:
        plan = self.how.narrow(self.plan, span)
        reader = ListReader(plan, self.key, self.pk_key, self.origin, skip=frozenset(seen))
        stream = self.merge.add() if self.merge is not None else -1
        self.parts.append(_Part(span, reader, stream, seen))

    def _split(self, part: _Part, items: list[Record]) -> None:
        """Cut ``part`` in pieces when its first page (``items``) had a next one: the page's
        records are kept (its stream ends with them), the pieces leave them out."""
        if part.span.first is not None and part.span.first == part.span.last:
            return  # a day is not split: its records' days need not be read (CPU per record)
        days = [self.how.day(item) for item in items]
        pieces = self._pieces(part.span, [d for d in days if d is not None])
        if len(pieces) < 2:
            return
        seen = dict(part.seen)
        if self.pk_key is not None:
            pairs = zip(items, days, strict=True)
            seen.update((item.get(self.pk_key), day) for item, day in pairs if day is not None)
        part.cut = True
        self.splits += 1
        for piece in pieces:
            self._add(piece, {sid: day for sid, day in seen.items() if piece.holds(day)})

    def _pieces(self, span: Span, days: list[dt.date]) -> list[Span]:
        """``span`` in pieces of about the days its first page covered (``days``)."""
        low, high = span.first or self.floor, span.last or max([self.today, *days])
        if span.first is None and low is not None and days and min(days) < low:
            low = min(API_EPOCH, *days)  # older than the account: the bound was wrong
        if low is None or high <= low:
            return [span]  # one day, or no known bound
        inside = [d for d in days if low <= d <= high]
        covered = (max(inside) - min(inside)).days + 1 if inside else 1
        total = (high - low).days + 1
        count = min(total, MOST_PIECES, max(2, math.ceil(total / covered)))
        pieces = [Span(span.field, a, b) for a, b in cut(low, high, count)]
        pieces[0] = attrs.evolve(pieces[0], first=span.first)
        pieces[-1] = attrs.evolve(pieces[-1], last=span.last)
        return pieces

    def _sooner(self, a: _Part, b: _Part) -> int:
        """Which of two partitions the merge will need more of first: the one whose
        records waiting end sooner in the list's order."""
        assert self.merge is not None
        tails: list[tuple[SortKey, ...] | None] = [
            self.merge.tail(a.stream),
            self.merge.tail(b.stream),
        ]
        if tails[0] == tails[1]:
            return 0
        return -1 if self.merge.order.first(tails) == 0 else 1
