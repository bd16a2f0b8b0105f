"""The export's CSV lines: the same text as the csv module writes, whatever the cells.

:class:`twiliorm.bulk.export.RowWriter` joins a row that needs no quoting
itself (the csv module reads every character of every cell, about half an
export's CPU) and leaves any other row to the module: the file must not
change by a byte either way.
"""

from __future__ import annotations

import csv
import enum
import io
from typing import Any

import hypothesis as hyp
import hypothesis.strategies as st

from twiliorm.bulk.export import RowWriter, _csv, neutralised

# The characters that decide quoting, among plain ones.
_TEXT = st.text(alphabet=st.sampled_from(list("ab ,\"\r\n\t=+-@'\x00é😀0.")), max_size=6)
_CELL = st.one_of(
    _TEXT,
    st.none(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.booleans(),
    st.dictionaries(st.sampled_from(["a", "b,"]), _TEXT, max_size=2),
    st.lists(_TEXT, max_size=2),
)


def _expected(rows: list[list[Any]], raw: bool, end: str) -> str:
    out = io.StringIO()
    out.write("h1,h2\r\n")  # a StringIO's header line: CRLF, as in a file
    writer = csv.writer(out, lineterminator=end)
    for row in rows:
        cells = [_csv(v) for v in row]
        safe = [neutralised(c) if isinstance(c, str) else c for c in cells]
        writer.writerow(cells if raw else safe)
    return out.getvalue()


@hyp.settings(max_examples=400, deadline=None)
@hyp.given(
    st.lists(st.lists(_CELL, min_size=0, max_size=4), max_size=8),
    st.booleans(),
    st.sampled_from(["\r\n", "\n"]),
)
def test_rows_are_written_as_the_csv_module_writes_them(
    rows: list[list[Any]], raw: bool, end: str
) -> None:
    out = io.StringIO()
    writer = RowWriter(out, "csv", ["h1", "h2"], raw_formulas=raw)
    writer.end_of_line = end  # as on a pipe when "\n"
    writer.csv = csv.writer(writer.lines, lineterminator=end)
    half = len(rows) // 2
    writer.write([list(row) for row in rows[:half]])
    writer.write([list(row) for row in rows[half:]])
    writer.end()
    assert out.getvalue() == _expected(rows, raw, end)


@hyp.settings(max_examples=400, deadline=None)
@hyp.given(
    st.lists(st.lists(_TEXT, min_size=1, max_size=4), max_size=8),
    st.sampled_from(["\r\n", "\n"]),
)
def test_pages_of_text_are_written_as_the_csv_module_writes_them(
    rows: list[list[str]], end: str
) -> None:
    """Pages of text only (a raw export's usual page, written as one text when no cell
    needs quoting): the module's text, whether a cell needs quoting or not."""
    out = io.StringIO()
    writer = RowWriter(out, "csv", ["h1", "h2"], raw_formulas=True)
    writer.end_of_line = end
    writer.csv = csv.writer(writer.lines, lineterminator=end)
    writer.write([tuple(row) for row in rows])
    assert out.getvalue() == _expected(rows, True, end)


def test_a_plain_page_and_the_rows_that_need_quoting() -> None:
    rows = [
        ["SM1", "2026-01-05T10:00:00Z", None, 3, "plain body"],
        ["SM2", "a, comma", "", -1.5, 'a "quote"'],
        ["SM3", "two\nlines", "cr\r", 0, ""],
        [""],
        [None],
    ]
    out = io.StringIO()
    writer = RowWriter(out, "csv", ["a", "b", "c", "d", "e"], raw_formulas=True)
    writer.write(rows)
    assert out.getvalue() == (
        "a,b,c,d,e\r\n"
        "SM1,2026-01-05T10:00:00Z,,3,plain body\r\n"
        'SM2,"a, comma",,-1.5,"a ""quote"""\r\n'
        'SM3,"two\nlines","cr\r",0,\r\n'
        '""\r\n'
        '""\r\n'
    )


def test_cells_of_records_without_some_fields() -> None:
    """A record without a column's key has no value there (a page read with only some
    keys leaves absent what the payload did not have), the others are converted."""
    from twiliorm import Message
    from twiliorm.bulk.export import columns_of, row_values

    columns = columns_of(Message, ["sid", "to", "date_sent", "num_segments"])
    records = [
        {"sid": "SM1", "date_sent": None, "num_segments": "2"},
        {"sid": "SM2", "to": "+15005550006", "date_sent": "Thu, 30 Jul 2015 20:12:31 +0000"},
    ]
    assert [tuple(row) for row in row_values(records, columns)] == [
        ("SM1", None, None, 2),
        ("SM2", "+15005550006", "2015-07-30T20:12:31Z", None),
    ]
    complete = [{**r, "to": r.get("to"), "num_segments": r.get("num_segments")} for r in records]
    assert row_values(complete, columns) == row_values(records, columns)


class _Colour(str, enum.Enum):
    RED = "red"


def test_text_of_a_str_subclass_is_written_as_its_text() -> None:
    """The csv module writes a str subclass (a str Enum) as its text, not its str()."""
    rows: list[list[Any]] = [["x", _Colour.RED, None], ["y", _Colour.RED, 2]]
    for raw in (True, False):
        out = io.StringIO()
        RowWriter(out, "csv", ["h1", "h2", "h3"], raw_formulas=raw).write(rows)
        assert out.getvalue() == "h1,h2,h3\r\nx,red,\r\ny,red,2\r\n"
