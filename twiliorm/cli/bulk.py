"""``twiliorm update``, ``delete`` and ``export``: data migrations from the shell.

    twiliorm update messages --filter date_sent__lt=2025-01-01 --set body= --checkpoint redact.ckpt
    twiliorm update incoming_phone_numbers --set voice_url=https://example.com/v2.xml --workers 16
    twiliorm delete recordings --filter date_created__lt=2024-01-01 --dry-run
    twiliorm export calls --filter start_time__gte=2026-01-01 --format csv -o calls.csv

RESOURCE and ``--filter KEY=VALUE`` read as in ``twiliorm ls`` (see
:mod:`twiliorm.cli.common`). ``update`` and ``delete`` count the matching
records first, ask before writing (``--yes`` skips the question; without a
terminal to ask on, it is required; the end of input is a no), and show a
progress bar with the rate and the time left (tqdm, installed with
``pip install twiliorm[progress]``; a plain line every few seconds without it
or when stderr is not a terminal). ``--dry-run`` shows what would be written
and sends no write. ``--checkpoint FILE`` makes the job resumable: run the
same command again after an interruption and it finishes the rest. The
report goes to stdout; the exit status is 1 when any record failed.
``export`` puts a ``'`` before a CSV cell a spreadsheet would run as a formula
(``=...``, ``@...``; never before a number such as ``+15558675310``);
``--raw-formulas`` writes every cell as it is.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from ..bulk import FORMATS, BulkReport, Progress
from ..client import Client
from ..queryset import QuerySet
from .common import CommandError, add_query_options, find_resource, queryset, typed_value

__all__ = ["Bar", "add_parser"]

PLAIN_EVERY = 5.0  # seconds between plain progress lines


def add_parser(subparsers: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("resource", metavar="RESOURCE", help="messages, calls, recordings, ...")
    add_query_options(common, "date_sent__lt=2026-01-01")
    common.add_argument(
        "--dry-run", action="store_true", help="show what would be touched; write nothing"
    )
    common.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    writes = argparse.ArgumentParser(add_help=False)
    writes.add_argument(
        "--workers", type=_positive, default=8, metavar="N", help="at most N requests at once"
    )
    writes.add_argument(
        "--checkpoint", metavar="FILE", help="record progress in FILE; rerun to resume"
    )
    _add_update(subparsers, [common, writes])
    _add_delete(subparsers, [common, writes])
    _add_export(subparsers, [common])


def _add_update(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "update",
        parents=parents,
        help="write field values to every matching record",
        description="Write --set values to every record of RESOURCE that matches the filters.",
    )
    parser.add_argument(
        "--set",
        dest="values",
        action="append",
        default=[],
        required=True,
        metavar="FIELD=VALUE",
        help="a value to write, e.g. body= (empty) or voice_url=https://... (repeatable)",
    )
    parser.set_defaults(handler=lambda args: run_write(args, "update", sys.stdout))


def _add_delete(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "delete",
        parents=parents,
        help="delete every matching record",
        description="Delete every record of RESOURCE that matches the filters.",
    )
    parser.set_defaults(handler=lambda args: run_write(args, "delete", sys.stdout))


def _add_export(subparsers: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "export",
        parents=parents,
        help="write every matching record to a CSV, JSON Lines or JSON file",
        description="Export the records of RESOURCE that match the filters, page by page.",
    )
    parser.add_argument("--format", choices=FORMATS, default=None, help="default: by extension")
    parser.add_argument("--fields", metavar="A,B,...", help="the columns (default: all fields)")
    parser.add_argument("--output", "-o", metavar="FILE", help="default: stdout")
    add_raw_formulas(parser)
    parser.set_defaults(handler=lambda args: run_export(args, sys.stdout))


def add_raw_formulas(parser: argparse.ArgumentParser) -> None:
    """``--raw-formulas``: CSV cells that start like a spreadsheet formula written as they are."""
    parser.add_argument(
        "--raw-formulas",
        action="store_true",
        help="csv: write cells that start with = + - @ as they are (default: a ' before them, "
        "so a spreadsheet shows them instead of running them; numbers such as +15558675310 "
        "and -0.0075 are never changed)",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


# --- running ---------------------------------------------------------------------------


def _queryset(args: argparse.Namespace) -> QuerySet[Any]:
    model = find_resource(args.resource)
    return queryset(args, model, Client(base_url=args.base_url))


def _values(qs: QuerySet[Any], items: list[str]) -> dict[str, Any]:
    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise CommandError(f"--set takes FIELD=VALUE (VALUE may be empty), got {item!r}")
        out[name.strip()] = typed_value(qs.model, name.strip(), text)
    return out


def run_write(args: argparse.Namespace, operation: str, out: TextIO) -> int:
    qs = _queryset(args)
    values = _values(qs, args.values) if operation == "update" else {}
    if args.dry_run:
        report = _write(qs, operation, values, args, dry_run=True)
        return _finish(report, out, shown=report.examples)
    total = qs.count()
    what = f"{operation} {total} {qs.model.__name__} records"
    if values:
        what += " (" + ", ".join(f"{k}={v!r}" for k, v in values.items()) + ")"
    if total and not _confirmed(what, args.yes):
        print("nothing written", file=out)
        return 1
    with Bar(total) as bar:
        report = _write(qs, operation, values, args, progress=bar, total=total)
    return _finish(report, out)


def _write(
    qs: QuerySet[Any],
    operation: str,
    values: dict[str, Any],
    args: argparse.Namespace,
    **options: Any,
) -> BulkReport:
    # The report is the command's answer, failures included: printed, then the exit status.
    options.update(workers=args.workers, resume=args.checkpoint, raise_on_failure=False)
    if operation == "update":
        return qs.update(**values, **options)
    return qs.delete(**options)


def _confirmed(what: str, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise CommandError(f"refusing to {what} without confirmation: pass --yes")
    try:
        answer = input(f"About to {what}. Continue? [y/N] ")
    except EOFError:  # Ctrl-D, or a terminal that closed: no answer is no
        print(file=sys.stderr)
        return False
    return answer.strip().lower() in ("y", "yes")


def _finish(report: BulkReport, out: TextIO, shown: list[str] | None = None) -> int:
    print(report, file=out)
    if shown:
        more = report.planned - len(shown)
        print(
            "  would write: " + " ".join(shown) + (f" ... and {more} more" if more > 0 else ""),
            file=out,
        )
    return 0 if report.ok else 1


def run_export(args: argparse.Namespace, out: TextIO) -> int:
    qs = _queryset(args)
    fmt = args.format or _format_of(args.output)
    fields = [f.strip() for f in args.fields.split(",") if f.strip()] if args.fields else None
    if args.dry_run:
        where = args.output or "stdout"
        print(
            f"would export {qs.count()} {qs.model.__name__} records as {fmt} to {where}", file=out
        )
        print(qs.explain(), file=out)
        return 0
    if (
        args.output
        and os.path.exists(args.output)
        and not _confirmed(f"overwrite {args.output}", args.yes)
    ):
        print("nothing written", file=out)
        return 1
    with Bar(None) as bar:
        report = qs.export(
            args.output or out, fmt, fields=fields, progress=bar, raw_formulas=args.raw_formulas
        )
    if args.output:
        print(report, file=out)
    else:
        print(report, file=sys.stderr)
    return 0


def _format_of(path: str | None) -> str:
    extension = os.path.splitext(path or "")[1].lstrip(".").lower()
    return extension if extension in FORMATS else "csv"


# --- progress --------------------------------------------------------------------------


class Bar:
    """A progress callback for the terminal: a tqdm bar, else a plain line now and then.

    The bar goes to stderr, so stdout stays the report (or the export itself).
    """

    def __init__(self, total: int | None, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self._bar: Any = None
        self._shown = 0
        self._last = 0.0
        tqdm = _tqdm() if self.stream.isatty() else None
        if tqdm is not None:
            self._bar = tqdm(total=total, unit="rec", file=self.stream, dynamic_ncols=True)

    def __call__(self, progress: Progress) -> None:
        if self._bar is not None:
            self._bar.update(progress.done - self._shown)
            self._shown = progress.done
            if progress.failed or progress.concurrency > 1:
                self._bar.set_postfix(
                    failed=progress.failed, inflight=progress.concurrency, refresh=False
                )
            return
        now = time.monotonic()
        if now - self._last >= PLAIN_EVERY or progress.done == self.total:
            self._last = now
            print(plain_line(progress), file=self.stream, flush=True)

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()


def plain_line(progress: Progress) -> str:
    """``update Message: 1200/10000 (12%), 95.1/s, 1m32s left, 0 failed``."""
    done = f"{progress.done}" + (f"/{progress.total}" if progress.total else "")
    share = f" ({progress.done / progress.total:.0%})" if progress.total else ""
    left = progress.remaining
    eta = f", {_duration(left)} left" if left is not None else ""
    return (
        f"{progress.operation}: {done}{share}, {progress.rate:.1f}/s{eta}, {progress.failed} failed"
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _tqdm() -> Callable[..., Any] | None:
    """tqdm's class when the optional ``progress`` extra is installed."""
    try:
        return importlib.import_module("tqdm").tqdm  # type: ignore[no-any-return]
    except ImportError:
        return None
