"""A page over a span of days: each day read in order from the day index, merged by SQLite.

A ``DateSent>=``/``<=`` list is read from the store's index of days, which
keeps each day's records in list order but not a span's. The store reads a
span as one arm a day merged in order (:meth:`Store._seqs_of_days`) instead
of sorting every record of the span for each page. These tests check that
no sort is left in a span's statement, that the answers stay those of a
scan (forwards and back, beside another filter, records dated in another
order than they were made), and that a span of more days than one statement
takes is sorted whole with the same answers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import pytest

from twiliorm.sandbox import Clock, Sandbox
from twiliorm.sandbox import store as store_module

from .test_sandbox_index import DAYS, NOW, _both, _fill
from .test_sandbox_support import Raw

SPANS = [
    f"/Messages.json?DateSent>={DAYS[9]}&PageSize=3",
    f"/Messages.json?DateSent<={DAYS[4]}&PageSize=4",
    f"/Messages.json?DateSent>={DAYS[8]}&DateSent<={DAYS[2]}&PageSize=2",
    f"/Messages.json?DateSent>={DAYS[11]}&To=%2B14155550002&PageSize=3",
    f"/Calls.json?StartTime<={DAYS[1]}&StartTime>={DAYS[10]}&PageSize=5",
    f"/Conferences.json?DateCreated>={DAYS[6]}&PageSize=3",  # oldest first
    f"/Messages.json?DateSent>={DAYS[0]}T00:00:00Z&PageSize=3",
    f"/Messages.json?DateSent<={DAYS[11]}&DateSent>={DAYS[0]}&PageSize=3",  # no day
]


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock=Clock(frozen=True, start=NOW)) as sb:
        _fill(sb, 60, seed=11)
        yield sb


@pytest.fixture
def raw(sandbox: Sandbox) -> Iterator[Raw]:
    raw = Raw(sandbox)
    yield raw
    raw.close()


def test_a_span_of_days_is_merged_not_sorted(sandbox: Sandbox, raw: Raw) -> None:
    statements: list[str] = []
    db = sandbox.app.store._db
    db.set_trace_callback(statements.append)
    try:
        for query in (SPANS[0], SPANS[3]):
            first = raw("GET", raw.a + query).json()
            assert first["messages"]
            assert raw("GET", first["next_page_uri"]).json()["messages"]
    finally:
        db.set_trace_callback(None)
    pages = [s for s in statements if s.startswith("SELECT seq, CAST(body AS BLOB) FROM records")]
    assert len(pages) == 4, statements
    for statement in pages:
        assert "UNION ALL" in statement
        plan = [row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {statement}")]
        assert not any("TEMP B-TREE" in step for step in plan), (statement, plan)


@pytest.mark.parametrize("arms", [None, 1, 3])
def test_spans_answer_as_a_scan(
    sandbox: Sandbox, raw: Raw, arms: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if arms is not None:  # spans of more days than a statement's arms: sorted whole
        monkeypatch.setattr(store_module, "_ARMS", arms)
    indexed, scanned = _both(sandbox, raw, SPANS)
    assert indexed == scanned
    assert all(len(pages) > 2 for pages in indexed[:6])  # pages forwards, then back
    assert indexed[-1] == [{**indexed[-1][0], "messages": []}]


def test_numbered_parameters_leave_plain_ones_their_place() -> None:
    bind = store_module._Numbered()
    db = sqlite3.connect(":memory:")
    sql = f"SELECT {bind('a')}, {bind('b')}, {bind('a')} || ?, ?"
    assert db.execute(sql, [*bind.values, "c", "d"]).fetchone() == ("a", "b", "ac", "d")
