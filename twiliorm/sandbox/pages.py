"""Twilio's paging of lists: page size and number, page tokens, and the paging keys.

A list of stored records is read a page at a time (:func:`stored` rows in the
list's order, :func:`keyset_page` the page a request asks for); a list
computed in memory renders only its page's items (:func:`page_of`). A stored
page keeps its records as the UTF-8 bytes the store holds (:class:`Stored`):
its JSON answer joins them as they are, with no decoding and encoding again.

A list answers one page: ``PageSize`` records (50 by default, 1000 at most,
20007 above), the ``Page`` number (which needs a ``PageToken`` past the
first) and the URIs of the first, previous and next pages, which keep the
request's own filters. A token is ``PA`` (the page after) or ``PB`` (the
page before) and a record's ``seq`` (or, for lists computed in memory such
as usage records, an offset), 18 digits at most so it stays within SQLite's
integers; anything else is 400 (20001).
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast, overload

import attrs

from .errors import ApiError
from .params import parse_int
from .store import Clauses, Store

if TYPE_CHECKING:
    from .app import Context

__all__ = [
    "Fetch",
    "Page",
    "Rows",
    "Stored",
    "StoredRows",
    "keyset_page",
    "links",
    "page_of",
    "paging",
    "stored",
    "token_seq",
]

PAGE_SIZE_DEFAULT = 50
PAGE_SIZE_MAX = 1000
_PAGING = ("PageSize", "Page", "PageToken")
_TOKEN = re.compile(r"P[AB]\d{1,18}")

#: rows of (seq, payload text): a list a behaviour computes
Rows = list[tuple[int, str]]
#: rows of (seq, payload as the UTF-8 bytes the store holds): a stored list (:meth:`Store.page`)
StoredRows = list[tuple[int, bytes]]
#: (following, preceding, limit) -> rows: the records after seq ``following`` in list order
#: (a next page), or the ``limit`` records just before ``preceding`` (a previous page).
Fetch = Callable[[int | None, int | None, int], Rows | StoredRows]


class Stored(Sequence[str]):
    """A stored page's records: JSON texts to whoever reads them (CSV, XML, a behaviour that
    reshapes its items), kept as the store's UTF-8 bytes for the JSON answer, which joins
    them as they are (a page of 1000 messages is about 1 MB: decoding it to text and
    encoding it back was most of the CPU a page cost beside SQLite)."""

    __slots__ = ("encoded",)

    def __init__(self, encoded: list[bytes]) -> None:
        self.encoded = encoded

    def __len__(self) -> int:
        return len(self.encoded)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [body.decode() for body in self.encoded[index]]
        return self.encoded[index].decode()

    def __iter__(self) -> Iterator[str]:
        return (body.decode() for body in self.encoded)

    def framed(self, head: str, tail: str) -> bytes:
        """``head``, the records joined by ``", "``, then ``tail``, in UTF-8: the page's bytes
        copied once (the two ends go with the first and last records into one join)."""
        parts = list(self.encoded)
        if not parts:
            return f"{head}{tail}".encode()
        parts[0] = head.encode() + parts[0]
        parts[-1] += tail.encode()
        return b", ".join(parts)


@attrs.frozen
class Page:
    """A rendered list page: the records' JSON texts and the paging keys."""

    key: str
    items: Sequence[str]
    meta: dict[str, Any]

    def json(self) -> bytes:
        head = f'{{"{self.key}": ['
        tail = f"], {json.dumps(self.meta, separators=(', ', ': '))[1:]}"
        if isinstance(self.items, Stored):
            return self.items.framed(head, tail)
        return f"{head}{', '.join(self.items)}{tail}".encode()


def stored(
    store: Store,
    resource: str,
    accounts: str | Sequence[str],
    parent: str,
    where: Clauses,
    *,
    newest_first: bool,
) -> Fetch:
    """Pages of stored records of ``resource``, newest or oldest first."""

    def fetch(following: int | None, preceding: int | None, limit: int) -> StoredRows:
        return store.page(
            resource,
            accounts,
            parent,
            where,
            following=following,
            preceding=preceding,
            limit=limit,
            newest_first=newest_first,
        )

    return fetch


def keyset_page(ctx: Context, key: str, fetch: Fetch) -> Page:
    """The page a list request asks for: ``PA`` tokens go on from a record, ``PB`` tokens
    go back from one (a token is the ``seq`` of the record the page starts after)."""
    size, number, token = paging(ctx)
    following = token_seq(token) if token.startswith("PA") else None
    preceding = token_seq(token) if token.startswith("PB") else None
    rows = fetch(following, preceding, size + 1 if preceding is None else size)
    more = len(rows) > size if preceding is None else True
    rows = rows[:size]
    ahead = f"PA{rows[-1][0]}" if rows and more else None
    back = bool(rows) and number > 0
    back_token = f"PB{rows[0][0]}" if back else None
    meta = links(ctx, size, number, number * size, len(rows), ahead, back, back_token)
    return Page(key, _items(rows), meta)


def _items(rows: Rows | StoredRows) -> Sequence[str]:
    """A page's records: a stored list's (bytes) stay as the store gave them."""
    if rows and isinstance(rows[0][1], bytes):
        return Stored([body for _, body in rows])
    return [body for _, body in cast(Rows, rows)]


def page_of(ctx: Context, key: str, count: int, render: Callable[[int, int], list[str]]) -> Page:
    """A page of ``count`` items computed on demand (usage records): only the page's items
    are rendered (``render(start, stop)``), and ``PageToken`` is an offset."""
    size, number, token = paging(ctx)
    start = token_seq(token) if token else 0
    chosen = render(start, min(start + size, count)) if start < count else []
    ahead = f"PA{start + size}" if start + size < count else None
    back = f"PA{start - size}" if start > size else None  # the first page needs no token
    return Page(key, chosen, links(ctx, size, number, start, len(chosen), ahead, number > 0, back))


def links(
    ctx: Context,
    size: int,
    number: int,
    start: int,
    count: int,
    ahead: str | None,
    back: bool,
    back_token: str | None,
) -> dict[str, Any]:
    """The paging keys of page ``number`` (``count`` items from ``start``): the URIs of the
    first page, the previous one (if ``back``, with ``back_token``) and the next one (if
    there is an ``ahead`` token), the request's own filters kept."""
    filters = [(k, v) for k, v in ctx.query if k not in _PAGING]

    def uri(page: int, token: str | None) -> str:
        params = [*filters, ("PageSize", str(size)), ("Page", str(page))]
        if token:
            params.append(("PageToken", token))
        return f"{ctx.path}?{urllib.parse.urlencode(params)}"

    return {
        "first_page_uri": uri(0, None),
        "end": start + max(count - 1, 0),
        "previous_page_uri": uri(number - 1, back_token) if back else None,
        "uri": uri(number, ctx.query_value("PageToken")),
        "page_size": size,
        "start": start,
        "next_page_uri": uri(number + 1, ahead) if ahead else None,
        "page": number,
    }


def paging(ctx: Context) -> tuple[int, int, str]:
    """(PageSize, Page, PageToken) of a list request, checked as Twilio checks them."""
    size = parse_int("PageSize", ctx.query_value("PageSize") or str(PAGE_SIZE_DEFAULT), low=1)
    number = parse_int("Page", ctx.query_value("Page") or "0", low=0)
    token = ctx.query_value("PageToken") or ""
    if size > PAGE_SIZE_MAX:
        raise ApiError(400, 20007, f"PageSize {size} exceeds the maximum of {PAGE_SIZE_MAX}")
    if number > 0 and not token:
        raise ApiError(400, 20001, "PageToken is required for paging")
    if token and not _TOKEN.fullmatch(token):
        raise ApiError(400, 20001, f"Invalid PageToken {token!r}: use the next_page_uri of a page")
    return size, number, token


def token_seq(token: str) -> int:
    return int(token[2:])
