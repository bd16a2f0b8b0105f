"""A changing list's records seen twice are left out: ListReader._unique's two paths.

The rule (see twiliorm.protocol): a record is kept unless its SID was on the
page before, earlier on this page, or is one to skip; a record without a SID
is always kept. The usual page (all SIDs new) is told by set operations; any
other goes record by record. Both must give what the rule says.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from twiliorm.protocol import ListReader

SIDS = st.one_of(st.none(), st.sampled_from([f"SM{n:032x}" for n in range(12)]))
PAGES = st.lists(st.lists(SIDS, max_size=10), min_size=1, max_size=5)


def _rule(pages: list[list[Any]], skip: frozenset[Any]) -> list[list[int]]:
    kept, before = [], set()
    for page in pages:
        now: set[Any] = set()
        mine = []
        for index, sid in enumerate(page):
            if sid is None:
                mine.append(index)
            elif sid not in before and sid not in now:
                now.add(sid)
                if sid not in skip:
                    mine.append(index)
        kept.append(mine)
        before = now
    return kept


@given(PAGES, st.frozensets(SIDS.filter(lambda s: s is not None), max_size=4))
def test_each_page_keeps_what_the_rule_keeps(pages: list[list[Any]], skip: frozenset[Any]) -> None:
    reader = ListReader.__new__(ListReader)
    reader.pk_key, reader.skip, reader._before = "sid", skip, frozenset()
    got = []
    for page in pages:
        items = [{"sid": sid, "n": n} for n, sid in enumerate(page)]
        got.append([item["n"] for item in reader._unique(items)])
    assert got == _rule(pages, skip)
