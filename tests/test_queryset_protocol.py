"""The reading rules of ors and client-side orders, driven with no network (sans-I/O).

An async driver will feed the same readers; these tests feed them by hand:
the branches of an or are asked for only as the merge needs them, may be
answered in any order, and a client-side sort under a slice keeps no more
records than the slice can use.
"""

from __future__ import annotations

from typing import Any

import attrs

from twiliorm import Message, Q
from twiliorm.protocol import MergeReader, SortedReader, open_reader
from twiliorm.query import Query
from twiliorm.sandbox.populate import _rfc2822

AC = "AC" + "a" * 32
BASE = "https://api.example.com"
A, B = "+14155550003", "+14155550006"


def payload(n: int, to: str) -> dict[str, Any]:
    """Message number ``n``: a higher number is newer (the list is newest first)."""
    return {"sid": f"SM{n:032x}", "to": to, "from": "+14155550009", "date_created": _rfc2822(n)}


def page(records: list[dict[str, Any]], more: str | None = None) -> dict[str, Any]:
    return {"messages": records, "next_page_uri": more}


def reader_of(query: Query) -> Any:
    return open_reader(query.compile(AC), "messages", "sid", BASE)


def test_branches_are_read_as_far_as_the_merge_needs_in_any_order() -> None:
    reader = reader_of(Query(Message).filter({"to__in": [A, B]}))
    assert isinstance(reader, MergeReader)
    first, second = reader.pending  # both are needed before anything can be given
    got = reader.feed(page([payload(9, B), payload(5, B)], more="/next-b"), second)
    assert got.records == []  # the other branch may hold newer records
    got = reader.feed(page([payload(8, A), payload(2, A)]), first)
    assert [r["date_created"] for r in got.records] == [_rfc2822(n) for n in (9, 8, 5)]
    assert [r.target for r in reader.pending] == ["/next-b"]  # A waits with 2 in hand
    got = reader.feed(page([payload(3, B)]))
    assert [r["sid"] for r in got.records] == [payload(n, "")["sid"] for n in (3, 2)]
    assert reader.request is None


def test_a_record_is_given_by_the_first_branch_it_matches() -> None:
    query = Query(Message).add_q(Q(to=A) | Q(from_="+14155550009"))
    reader = reader_of(query)
    shared = payload(7, A)
    reader.feed(page([shared]))
    got = reader.feed(page([payload(8, B), shared]))
    assert [r["sid"] for r in got.records] == [payload(8, B)["sid"], shared["sid"]]


def test_a_sorted_slice_keeps_only_what_it_can_use() -> None:
    query = attrs.evolve(Query(Message).sliced(0, 1), flipped=True)  # last()
    reader = reader_of(query)
    assert isinstance(reader, SortedReader)
    for start in range(0, 5000, 1000):
        more = "/more" + str(start) if start < 4000 else None
        newest = 4999 - start
        got = reader.feed(page([payload(n, A) for n in range(newest, newest - 1000, -1)], more))
        assert len(reader._kept) <= 2000
    assert [r["sid"] for r in got.records] == [payload(0, A)["sid"]]
