"""The sans-I/O core: what to send, and what each answer means; no sockets, no sleeping.

A compiled query (:class:`~twiliorm.query.Plan`) becomes :class:`ApiRequest`
values. Reading a list is a small state machine, :class:`ListReader`: it
gives the first request, and is fed each decoded page in turn; for each it
gives back a :class:`RawPage` (the records the query keeps, and the next
request, or None at the end). A fetch by SID is the same machine with one
request. An or read as several narrowed queries is :class:`MergeReader`
(one ListReader a branch, merged in the list's order by a :class:`Merge`,
which also merges the partitions of a scan, :mod:`twiliorm.partitions`); an
order the client makes is :class:`SortedReader` around either;
:func:`open_reader` picks. Each is a :class:`Reader`.
Writes are single requests built from the instance
(:mod:`twiliorm.persistence`).

Drivers do the I/O: the sync one is :class:`twiliorm.client.Client`
(urllib3); another driver needs only to send an :class:`ApiRequest` and
feed back what came. Every rule of reading lives here, once:

- the window: the client-side test, then the slice, over the narrowed stream
  (the server narrows, the client refines: see :mod:`twiliorm.query`);
- no page is asked for once the slice is full;
- duplicates across pages: a list changing while it is read (a newest-first
  list gaining records) shows the last records of a page again at the top of
  the next, so a record whose SID was on the page before, or earlier on the
  same page, is left out. Only two pages of SIDs are kept: memory stays flat;
- branches of an or: each read only as far as the merge needs (a branch is
  asked for its next page when the merge has no record of it left); a
  record two branches match is kept by the first of them (its ``claim``),
  so no set of SIDs grows with the result;
- an order made on the client: every record read, then sorted; under a
  slice only as many as the slice can use are kept while reading;
- page links: ``next_page_uri`` must be text, must stay on the API's origin
  (:func:`page_path`) and must not lead back to a page already read;
- an answer that is not a list page (no list under the resource's key) is a
  :class:`~twiliorm.exceptions.DecodeError`.
"""

from __future__ import annotations

import bisect
import collections
import heapq
import itertools
import operator
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import attrs
from urllib3 import HTTPResponse
from urllib3.exceptions import HTTPError
from urllib3.util.retry import Retry

from .exceptions import DecodeError

if TYPE_CHECKING:
    from .ordering import Ordering, SortKey
    from .query import Plan
    from .resource import Binding

__all__ = [
    "ApiRequest",
    "Attempts",
    "ListReader",
    "Merge",
    "MergeReader",
    "Page",
    "RawPage",
    "Reader",
    "SortedReader",
    "open_reader",
    "page_path",
]

T = TypeVar("T")
Record = Mapping[str, Any]


@attrs.frozen(slots=True)
class ApiRequest:
    """One API request, before a driver sends it: a method, an API path (a page link's
    path may carry its own query), query parameters, and the form of a POST."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    form: tuple[tuple[str, str], ...] = ()

    @property
    def target(self) -> str:
        """The path with its query: what goes after the base URL."""
        if not self.params:
            return self.path
        joiner = "&" if "?" in self.path else "?"
        return self.path + joiner + urllib.parse.urlencode(self.params)

    def __str__(self) -> str:
        return f"{self.method} {self.target}"


@attrs.frozen(slots=True)
class RawPage:
    """What one page gave: the payload records the query keeps, in order."""

    number: int
    request: ApiRequest
    next: ApiRequest | None
    records: list[Record]


@attrs.define(slots=True, eq=False)
class Page(Generic[T]):
    """One page of a query's results, as :meth:`QuerySet.pages` yields them.

    ``number`` counts the pages of this read from 0; ``request`` fetched it;
    ``next`` is the request for the page after it (None on the last page).
    ``records`` are the built results (models, or rows after ``values()``),
    made on first access and kept; :meth:`each` builds them one at a time
    instead; ``raw`` are the payloads they are built from;
    ``binding`` is where they live (the client and the path parameters).
    Records filtered out on the client, cut by the slice, or listed again
    (see :mod:`twiliorm.protocol`) are in neither.
    """

    number: int
    request: ApiRequest
    next: ApiRequest | None
    raw: list[Record]
    binding: Binding = attrs.field(repr=False)
    _build: Callable[[list[Record]], list[T]] = attrs.field(repr=False)
    #: builds one record (given it and ``binding``); None: only the whole page builds
    _one: Callable[[Record, Binding], T] | None = attrs.field(default=None, repr=False)
    _built: list[T] | None = attrs.field(default=None, init=False, repr=False)

    @property
    def records(self) -> list[T]:
        if self._built is None:
            self._built = self._build(self.raw)
        return self._built

    @property
    def has_more(self) -> bool:
        return self.next is not None

    def __iter__(self) -> Iterator[T]:
        return iter(self.records)

    def each(self) -> Iterator[T]:
        """The records, each built as it is reached and kept by nobody here.

        Streaming reads this: built all at once, a page's instances would all
        be alive for the garbage collector to walk while the first is used.
        """
        if self._built is not None or self._one is None:
            return iter(self.records)
        return map(self._one, self.raw, itertools.repeat(self.binding))

    def __len__(self) -> int:
        return len(self.raw)


class _Window:
    """The slice ``[low:high]`` of a stream of records, taken as they come."""

    def __init__(self, low: int, high: int | None) -> None:
        self.skip = low
        self.remaining = None if high is None else high - low

    @property
    def full(self) -> bool:
        return self.remaining == 0

    def take(self, items: list[Record]) -> list[Record]:
        if self.skip:
            taken = min(self.skip, len(items))
            items, self.skip = items[taken:], self.skip - taken
        if self.remaining is not None:
            items = items[: self.remaining]
            self.remaining -= len(items)
        return items


class ListReader:
    """Reading one query's results: ``request`` is the next request to send (None when
    done); :meth:`feed` takes its decoded answer and returns the page it gave.

    ``key`` is the list's key in a page (``messages``); ``pk_key`` the key of the
    SID in a record (duplicates are told apart by it); ``origin`` the base URL
    that page links must stay on. ``skip``: SIDs read already by another reader
    (a partition split after its first page, :mod:`twiliorm.partitions`), left out.
    """

    def __init__(
        self,
        plan: Plan,
        key: str,
        pk_key: str | None,
        origin: str,
        *,
        skip: frozenset[Any] = frozenset(),
    ) -> None:
        self.plan = plan
        self.key = key
        self.pk_key = pk_key
        self.origin = origin
        self.number = 0
        self.skip = skip
        self._slice = _Window(plan.low, plan.high)
        self._before: AbstractSet[Any] = frozenset()  # the SIDs of the page before
        self._links: set[str] = set()
        self.request: ApiRequest | None = None
        if not self._slice.full:  # [:0] asks for nothing
            self.request = ApiRequest("GET", plan.url)

    @property
    def by_pk(self) -> bool:
        """The read is one GET of an instance (a 404 there is an empty result)."""
        return self.plan.by_pk

    @property
    def pending(self) -> list[ApiRequest]:
        """Every request that can be sent now (one, for a single query)."""
        return [] if self.request is None else [self.request]

    def feed(self, data: Any, request: ApiRequest | None = None) -> RawPage:
        """The page ``data`` (the answer to :attr:`request`; None for an instance
        that does not exist) gave; :attr:`request` moves on to the next one."""
        if self.request is None:
            raise RuntimeError("this read has ended: there is no request to answer")
        if request is not None and request is not self.request:
            raise RuntimeError("the read is not waiting for an answer to that request")
        request = self.request
        if self.plan.by_pk:
            items, link = ([] if data is None else [data]), None
        else:
            items, link = _list_page(data, self.key, request), _link(data, request)
        records = self._window(self._unique(items))
        self.request = self._next(link, request)
        page = RawPage(self.number, request, self.request, records)
        self.number += 1
        return page

    def _unique(self, items: list[Record]) -> list[Record]:
        if self.pk_key is None:
            return items
        # The usual page: SIDs all different, none on the page before, none to skip. Told
        # by set operations in C (a Python loop a record cost about 2 µs of 15 in a read).
        try:
            sids = set(map(operator.itemgetter(self.pk_key), items))
        except KeyError:  # a record without one
            sids = set(map(operator.methodcaller("get", self.pk_key), items))
        if len(sids) == len(items) and self._before.isdisjoint(sids) and self.skip.isdisjoint(sids):
            self._before = sids  # not changed again: a new set is made for the next page
            return items
        now: set[Any] = set()
        kept = []
        for item in items:
            sid = item.get(self.pk_key)
            if sid is None or (sid not in self._before and sid not in now):
                now.add(sid)
                if sid is None or sid not in self.skip:
                    kept.append(item)
        self._before = frozenset(now)
        return kept

    def _window(self, items: list[Record]) -> list[Record]:
        test = self.plan.predicate
        if test is not None:
            page = getattr(test, "page", None)  # a test of a page at once (HasValue)
            items = page(items) if page is not None else [item for item in items if test(item)]
        return self._slice.take(items)

    def _next(self, link: str | None, request: ApiRequest) -> ApiRequest | None:
        if link is None or self._slice.full:
            return None
        path = page_path(self.origin, link, request)
        if path in self._links or path == request.target:
            raise DecodeError(
                f"GET {_where(request)}: next_page_uri leads back to a page already read "
                "(following it would never end)"
            )
        self._links.add(path)
        return ApiRequest("GET", path)


class Merge:
    """Streams of records, each in the list's order, merged into one stream in that order.

    A stream is added open (:meth:`add`), given records as they are read
    (:meth:`put`) and closed when it has no more (:meth:`close`). :meth:`take`
    gives what can be given now: a record comes out only once every open
    stream has a record waiting, the first of the heads by ``order`` (among
    equals, the head of the stream added first), until the slice
    ``[low:high]`` is full. :attr:`waiting` are the open streams with nothing
    buffered: the merge needs their next records before it can give more.
    The heads are kept in a heap. A stream's records are kept as the pages
    they came in, and only the records where one stream gives way to another
    are compared (a binary search of the page that holds it): partitions of a
    scan rarely interleave, so a page of 1000 records costs a few order values
    instead of 1000. The branches of an or (:class:`MergeReader`) and the
    partitions of a scan (:mod:`twiliorm.partitions`) are merged by it.
    """

    def __init__(self, order: Ordering, low: int = 0, high: int | None = None) -> None:
        self.order = order
        self.buffered = 0
        self._buffers: list[collections.deque[_Block]] = []
        self._depths: list[int] = []
        self._open: list[bool] = []
        self._starved: set[int] = set()  # open, nothing buffered
        self._heads: list[_Head] = []
        self._slice = _Window(low, high)

    @property
    def full(self) -> bool:
        return self._slice.full

    @property
    def waiting(self) -> list[int]:
        return [] if self._slice.full else sorted(self._starved)

    def add(self) -> int:
        """A new open stream (its number)."""
        self._buffers.append(collections.deque())
        self._depths.append(0)
        self._open.append(True)
        stream = len(self._buffers) - 1
        self._starved.add(stream)
        return stream

    def put(self, stream: int, records: Sequence[Record]) -> None:
        if not records:
            return
        buffer = self._buffers[stream]
        head = not buffer
        buffer.append(_Block(list(records)))
        if head:
            self._push(stream, buffer[0])
        self._starved.discard(stream)
        self._depths[stream] += len(records)
        self.buffered += len(records)

    def close(self, stream: int) -> None:
        self._open[stream] = False
        self._starved.discard(stream)

    def depth(self, stream: int) -> int:
        """How many records of ``stream`` wait to be merged."""
        return self._depths[stream]

    def tail(self, stream: int) -> tuple[SortKey, ...] | None:
        """The order values of the last record ``stream`` has waiting (None: none waits)."""
        buffer = self._buffers[stream]
        if not buffer:
            return None
        block = buffer[-1]
        if block.tail is None:
            block.tail = self.order.values(block.records[-1])
        return block.tail

    def take(self) -> list[Record]:
        out: list[Record] = []
        while self._heads and not self._starved and not self._slice.full:
            stream = heapq.heappop(self._heads).stream
            run = self._run(stream)
            self.buffered -= len(run)
            self._depths[stream] -= len(run)
            out += self._slice.take(run)
        return out

    def _run(self, stream: int) -> list[Record]:
        """The records of ``stream`` that come before every other stream's head (its head
        first: the heap chose it); the stream's next head goes back in the heap."""
        buffer = self._buffers[stream]
        if not self._heads:  # no rival: all it has
            run = [record for block in buffer for record in block.rest()]
            buffer.clear()
        else:
            rival = self._heads[0]
            first, before, tie = rival.values, self.order.before, stream < rival.stream
            values = self.order.values

            def ahead(record: Record) -> bool:  # _Head.__lt__ against the rival head
                mine = values(record)
                return before(mine, first) or (tie and not before(first, mine))

            run = [buffer[0].pop()]
            while buffer:
                block = buffer[0]
                records, start = block.records, block.start
                if start == len(records):
                    buffer.popleft()
                    continue
                if ahead(records[-1]):  # the whole rest of the page: the usual case
                    run += block.rest()
                    buffer.popleft()
                    continue
                # the first record that does not come first: records are in the order
                end = bisect.bisect_left(records, True, start, key=lambda r: not ahead(r))
                run += records[start:end]
                block.start = end
                break
        if buffer and buffer[0].start == len(buffer[0].records):
            buffer.popleft()
        if buffer:
            self._push(stream, buffer[0])
        elif self._open[stream]:
            self._starved.add(stream)
        return run

    def _push(self, stream: int, block: _Block) -> None:
        values = self.order.values(block.records[block.start])
        heapq.heappush(self._heads, _Head(values, stream, self.order))


@attrs.define(slots=True)
class _Block:
    """A page of one stream's records waiting in a :class:`Merge`, from ``start`` on."""

    records: list[Record]
    start: int = 0
    tail: tuple[SortKey, ...] | None = None  # the last record's order values, once asked

    def pop(self) -> Record:
        record = self.records[self.start]
        self.start += 1
        return record

    def rest(self) -> list[Record]:
        records = self.records[self.start :] if self.start else self.records
        self.start = len(self.records)
        return records


@attrs.define(slots=True)
class _Head:
    """A stream's next record in the merge's heap: first by the order, then by stream."""

    values: tuple[SortKey, ...]
    stream: int
    order: Ordering

    def __lt__(self, other: _Head) -> bool:
        if self.order.before(self.values, other.values):
            return True
        if self.order.before(other.values, self.values):
            return False
        return self.stream < other.stream


class MergeReader:
    """Reading an or as its branches (``plan.branches``, one :class:`ListReader` each),
    merged in the list's order (``plan.order``) into one stream, each record once.

    ``request`` is the next request to send: that of the first branch whose
    next record the merge needs to know; ``pending`` are all of them (a driver
    may send them at once and :meth:`feed` each answer with its request).
    """

    def __init__(self, plan: Plan, key: str, pk_key: str | None, origin: str) -> None:
        assert plan.order is not None, "branches are merged in the list's order"
        self.order: Ordering = plan.order
        self.readers = [ListReader(branch, key, pk_key, origin) for branch in plan.branches]
        self.claims = [branch.claim for branch in plan.branches]
        self.merge = Merge(plan.order, plan.low, plan.high)
        for reader in self.readers:
            stream = self.merge.add()
            if reader.request is None:
                self.merge.close(stream)
        self.number = 0

    @property
    def request(self) -> ApiRequest | None:
        needed = self._needed()
        return needed[0].request if needed else None

    @property
    def pending(self) -> list[ApiRequest]:
        return [reader.request for reader in self._needed() if reader.request is not None]

    @property
    def by_pk(self) -> bool:
        """Whether :attr:`request` is the GET of an instance (a 404 is no record)."""
        needed = self._needed()
        return bool(needed) and needed[0].by_pk

    def feed(self, data: Any, request: ApiRequest | None = None) -> RawPage:
        """The records ``data`` (the answer to ``request``, by default :attr:`request`)
        lets the merge give, in order."""
        reader = self._reader_for(request)
        raw = reader.feed(data)
        index = self.readers.index(reader)
        earlier = [claim for claim in self.claims[:index] if claim is not None]
        # A record an earlier branch gives is left to it.
        self.merge.put(index, [r for r in raw.records if not any(c(r) for c in earlier)])
        if reader.request is None:
            self.merge.close(index)
        page = RawPage(self.number, raw.request, self.request, self.merge.take())
        self.number += 1
        return page

    def _needed(self) -> list[ListReader]:
        """The branches with no record waiting and more to read: the merge needs them."""
        return [self.readers[stream] for stream in self.merge.waiting]

    def _reader_for(self, request: ApiRequest | None) -> ListReader:
        needed = self._needed()
        for reader in needed:
            if request is None or reader.request is request:
                return reader
        raise RuntimeError("the merge is not waiting for an answer to that request")


class SortedReader:
    """Reading ``inner`` to its end, then giving its records in ``sort``'s order,
    sliced ``[low:high]``; under a slice it keeps no more records than it can use."""

    def __init__(self, inner: Reader, sort: Ordering, low: int, high: int | None) -> None:
        self.inner = inner
        self.sort = sort
        self.low = low
        self.high = high
        self.number = 0
        self._kept: list[Record] = []

    @property
    def request(self) -> ApiRequest | None:
        return None if self.high == self.low else self.inner.request

    @property
    def pending(self) -> list[ApiRequest]:
        return [] if self.request is None else self.inner.pending

    @property
    def by_pk(self) -> bool:
        return self.inner.by_pk

    @property
    def account(self) -> ApiRequest | None:
        """The inner reader's account request (a read in partitions), whose refusal a
        driver feeds as None."""
        return getattr(self.inner, "account", None)

    @property
    def decode(self) -> Callable[[bytes], Any] | None:
        """How the inner reader's pages are decoded (a read that keeps some keys)."""
        return getattr(self.inner, "decode", None)

    def feed(self, data: Any, request: ApiRequest | None = None) -> RawPage:
        raw = self.inner.feed(data, request)
        self._kept += raw.records
        if self.high is not None and len(self._kept) > max(2 * self.high, 1000):
            self._kept = self._best(self._kept)
        done = self.inner.request is None
        records = self.sort.sort(self._kept)[self.low : self.high] if done else []
        page = RawPage(self.number, raw.request, self.request, records)
        self.number += 1
        return page

    def _best(self, records: Sequence[Record]) -> list[Record]:
        """The ``high`` records the final order can start with, in the unflipped order
        (so records read later still sort after equal ones read before)."""
        assert self.high is not None
        ordered = attrs.evolve(self.sort, flip=False).sort(records)
        return ordered[-self.high :] if self.sort.flip else ordered[: self.high]


class Reader(Protocol):
    """What a driver reads a query with (:func:`open_reader`; a scan in partitions,
    :class:`twiliorm.partitions.PartitionReader`): send :attr:`request` (or any of
    :attr:`pending`, at once) and :meth:`feed` each answer back with its request."""

    @property
    def request(self) -> ApiRequest | None: ...

    @property
    def pending(self) -> list[ApiRequest]: ...

    @property
    def by_pk(self) -> bool: ...

    def feed(self, data: Any, request: ApiRequest | None = None) -> RawPage: ...


def open_reader(plan: Plan, key: str, pk_key: str | None, origin: str) -> Reader:
    """The reader of ``plan``: one query, the branches of an or, and/or a client-side sort."""
    if plan.sort is not None:
        whole = attrs.evolve(plan, sort=None, low=0, high=None)
        inner = open_reader(whole, key, pk_key, origin)
        assert not isinstance(inner, SortedReader)
        return SortedReader(inner, plan.sort, plan.low, plan.high)
    if plan.branches:
        return MergeReader(plan, key, pk_key, origin)
    return ListReader(plan, key, pk_key, origin)


def _where(request: ApiRequest) -> str:
    # The query may hold phone numbers: keep it out of errors.
    return request.path.split("?", 1)[0]


def _list_page(data: Any, key: str, request: ApiRequest) -> list[Record]:
    if not isinstance(data, dict):
        raise DecodeError(f"GET {_where(request)}: a list page must be a JSON object")
    items = data.get(key)
    if not isinstance(items, list):
        raise DecodeError(f"GET {_where(request)}: the page has no {key!r} list")
    return items


def _link(data: Mapping[str, Any], request: ApiRequest) -> str | None:
    link = data.get("next_page_uri")
    if link is None or link == "":
        return None
    if not isinstance(link, str):
        raise DecodeError(
            f"GET {_where(request)}: next_page_uri must be text or null, not {type(link).__name__}"
        )
    return link


# --- where a link may lead ---------------------------------------------------------------

_DEFAULT_PORTS = {"http": 80, "https": 443}


def page_path(origin: str, link: str, request: ApiRequest | None = None) -> str:
    """The API path (with its query) that a link from a payload names, or a DecodeError.

    Requests carry the account's credentials, so a link may lead only to the
    API's own origin (scheme, host and port of ``origin``, the base URL). A
    link is either a path (one leading ``/``) or an absolute URL on that
    origin; what a URL parser could read as another host (``//host``,
    backslashes, user info, control characters or white space, non-ASCII
    text) is refused before anything is sent.
    """
    where = f"GET {_where(request)}: " if request is not None else ""
    if not link.isascii() or not link.isprintable() or " " in link or "\\" in link:
        raise DecodeError(f"{where}refusing a page link with characters a URL must not have")
    if link.startswith("/") and not link.startswith("//"):
        return link
    base = urllib.parse.urlsplit(origin)
    try:
        parts = urllib.parse.urlsplit(link)
        port = parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
        base_port = base.port or _DEFAULT_PORTS.get(base.scheme)
    except ValueError as exc:
        raise DecodeError(f"{where}refusing a page link that is not a URL") from exc
    same = (
        parts.scheme.lower() == base.scheme
        and parts.hostname == base.hostname
        and port == base_port
        and "@" not in parts.netloc
    )
    if not same or not parts.path.startswith("/"):
        raise DecodeError(
            f"{where}refusing to follow a link to {parts.scheme}://{parts.netloc}: requests "
            f"carry credentials and go to {origin} only"
        )
    return urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))


# --- when to send again --------------------------------------------------------------------


class Attempts:
    """Whether an answer to ``request`` is final, by the client's ``Retry`` policy.

    The policy is a urllib3 ``Retry`` (a value object: nothing here sleeps or
    sends); with :class:`~twiliorm.transport.TwilioRetry` a POST is sent
    again only after a 429, the one answer proving nothing was processed.
    The urllib3 driver hands the same policy to urllib3, which applies it the
    same way; a driver without urllib3 calls :meth:`after` for each answer,
    waits the seconds it gives and sends again, or keeps the answer (None).
    """

    def __init__(self, request: ApiRequest, policy: Retry) -> None:
        self.request = request
        self.policy = policy

    def after(self, status: int, headers: Mapping[str, str]) -> float | None:
        """Seconds to wait before sending the request again, or None: this answer stands."""
        method = self.request.method
        if not self.policy.is_retry(method, status, "Retry-After" in headers):
            return None
        answer = HTTPResponse(body=b"", headers=dict(headers), status=status)
        try:
            self.policy = self.policy.increment(method, self.request.path, response=answer)
        except HTTPError:  # retries exhausted: the last answer stands
            return None
        waited = (
            self.policy.get_retry_after(answer) if self.policy.respect_retry_after_header else None
        )
        return waited if waited is not None else self.policy.get_backoff_time()
