"""``twiliorm ls``, ``get`` and ``explain``: a quick look at an account from the shell.

    twiliorm ls                                   # the resources there are to list
    twiliorm ls messages --filter to=+15558675310 --filter date_sent__gte=2026-01-01 --limit 5
    twiliorm ls calls --format csv --limit 0 > calls.csv
    twiliorm get messages SM0123...
    twiliorm explain messages --filter to=+15558675310 --filter status=failed

RESOURCE and ``--filter KEY=VALUE`` read as :mod:`twiliorm.cli.common` says
(``filter()``'s keys: ``date_sent__gte``, ``conference`` for participants).
Credentials come from the environment (``TWILIO_ACCOUNT_SID``,
``TWILIO_AUTH_TOKEN``) and the base URL from ``--base-url`` or
``TWILIO_API_BASE_URL``. A table is plain text fit for pipes, its header bold
only on a terminal; ``--format csv`` and ``json`` write the records as
``twiliorm export`` does (ISO 8601 timestamps, prices as Twilio's text, a
``'`` before a CSV cell a spreadsheet would run as a formula unless
``--raw-formulas``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import enum
import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TextIO

from .. import dates
from ..bulk.export import columns_of, export, row_values, write_rows
from ..client import Client
from ..exceptions import ConfigurationError
from ..fields import FieldSpec
from ..logs import is_sensitive
from ..resource import Resource, resources
from .bulk import add_raw_formulas
from .common import CommandError, add_query_options, find_resource, plural, queryset, snake

__all__ = ["add_parser"]

DEFAULT_LIMIT = 20
CELL_WIDTH = 48
_PREFERRED = (
    "date_sent",
    "date_created",
    "start_time",
    "from_",
    "to",
    "phone_number",
    "friendly_name",
    "category",
    "status",
    "muted",
    "direction",
    "count",
    "usage",
    "price",
    "body",
    "message_text",
)
_COLUMNS = 6


# --- the parsers -------------------------------------------------------------------


def add_parser(subparsers: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    add_query_options(common, "to=+15558675310 or date_sent__gte=2026-01-01")
    _add_ls(subparsers, common)
    _add_get(subparsers, common)
    _add_explain(subparsers, common)


def _add_ls(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "ls",
        parents=[common],
        help="list the records of a resource",
        description="List the records of RESOURCE; without RESOURCE, list the resources.",
    )
    parser.add_argument("resource", nargs="?", metavar="RESOURCE")
    parser.add_argument(
        "--limit",
        type=_limit,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"at most N records (default {DEFAULT_LIMIT}; 0 for all)",
    )
    _add_output(parser)
    parser.set_defaults(handler=lambda args: run_ls(args, sys.stdout))


def _add_get(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "get",
        parents=[common],
        help="show one record",
        description="Show the record of RESOURCE with this SID (omit it for one-record "
        "resources such as balance); a parent goes in --filter (conference=CF...).",
    )
    parser.add_argument("resource", metavar="RESOURCE")
    parser.add_argument("sid", nargs="?", metavar="SID")
    _add_output(parser)
    parser.set_defaults(handler=lambda args: run_get(args, sys.stdout))


def _add_explain(subparsers: Any, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "explain",
        parents=[common],
        help="show the request a query compiles to",
        description="Show the GET that `ls RESOURCE` with these filters sends, and which "
        "conditions run on the client. Sends nothing.",
    )
    parser.add_argument("resource", metavar="RESOURCE")
    parser.add_argument("--limit", type=_limit, default=0, metavar="N", help="as for ls")
    parser.set_defaults(handler=lambda args: run_explain(args, sys.stdout))


def _add_output(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="default: table"
    )
    parser.add_argument(
        "--fields",
        metavar="A,B,...",
        help="the fields to show (attribute names; default: a few in a table, all in json and "
        "csv, credentials such as auth_token only when named)",
    )
    add_raw_formulas(parser)


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no limit) or more, got {value}")
    return value


# --- running ---------------------------------------------------------------------------


def _client(args: argparse.Namespace) -> Client:
    return Client(base_url=args.base_url)


def run_ls(args: argparse.Namespace, out: TextIO) -> int:
    if args.resource is None:
        return _list_resources(out)
    model = find_resource(args.resource)
    qs = queryset(args, model, _client(args))
    if args.limit:
        qs = qs[: args.limit]
    if args.format != "table":
        export(
            qs, out, format=args.format, fields=_chosen(args.fields), raw_formulas=args.raw_formulas
        )
        return 0
    _write_table(qs.iterator(), model, _named(model, args.fields), out)
    return 0


def run_get(args: argparse.Namespace, out: TextIO) -> int:
    model = find_resource(args.resource)
    qs = queryset(args, model, _client(args))
    if args.sid is None and model._meta.pk is not None:
        raise CommandError(f"get {args.resource} needs the SID of the record to show")
    record = qs.get() if args.sid is None else qs.get(pk=args.sid)
    if args.format == "table":
        _write_record(record, _shown(model, _named(model, args.fields)), out)
        return 0
    columns = columns_of(model, _chosen(args.fields))
    row = row_values([record.to_api()], columns)[0]
    if args.format == "json":  # one record: the object itself, as a reader expects
        out.write(json.dumps(dict(zip([k for k, _ in columns], row, strict=True)), indent=2))
        out.write("\n")
    else:
        header = [key for key, _ in columns]
        write_rows(out, args.format, header, iter([row]), raw_formulas=args.raw_formulas)
    return 0


def run_explain(args: argparse.Namespace, out: TextIO) -> int:
    model = find_resource(args.resource)
    try:
        client: Client | None = _client(args)
    except ConfigurationError:
        client = None  # explaining needs no credentials; the account stays a placeholder
    qs = queryset(args, model, client)
    if args.limit:
        qs = qs[: args.limit]
    print(qs.explain(), file=out)
    return 0


def _list_resources(out: TextIO) -> int:
    rows = []
    for model in resources():
        meta = model._meta
        operations = " ".join(op for op in ("list", "fetch") if op in meta.operations)
        if operations:
            rows.append([plural(snake(model.__name__)), model.__name__, operations])
    _table(["resource", "class", "operations"], rows, out)
    return 0


# --- writing ---------------------------------------------------------------------------


def _chosen(fields: str | None) -> list[str] | None:
    """The names ``--fields`` gives, in order; None when it gives none."""
    chosen = [name.strip() for name in (fields or "").split(",") if name.strip()]
    return chosen or None


def _named(model: type[Resource], fields: str | None) -> list[FieldSpec] | None:
    """The fields ``--fields`` names, checked; None when it names none."""
    chosen = _chosen(fields)
    if chosen is None:
        return None
    meta = model._meta
    readable = {spec.name: spec for spec in meta.payload_fields}
    for name in chosen:
        if name not in readable:
            known = ", ".join(readable)
            raise CommandError(f"{meta.name} has no field {name!r}; its fields are: {known}")
    return [readable[name] for name in chosen]


def _shown(model: type[Resource], named: list[FieldSpec] | None) -> list[FieldSpec]:
    """What to print: the named fields, or all but credentials (an Account's auth_token)."""
    if named is not None:
        return named
    return [spec for spec in model._meta.payload_fields if not is_sensitive(spec.key or "")]


def _write_table(
    records: Iterator[Resource],
    model: type[Resource],
    named: list[FieldSpec] | None,
    out: TextIO,
) -> None:
    columns = [spec.name for spec in named] if named else _columns(model)
    rows = [[_cell(getattr(record, name)) for name in columns] for record in records]
    if not rows:
        print(f"twiliorm: no {model._meta.key or model.__name__} matched", file=sys.stderr)
        return
    _table([name.rstrip("_") for name in columns], rows, out)


def _write_record(record: Resource, specs: list[FieldSpec], out: TextIO) -> None:
    rows = [[s.name.rstrip("_"), _cell(getattr(record, s.name), wide=True)] for s in specs]
    _table(["field", "value"], rows, out)


def _columns(model: type[Resource]) -> list[str]:
    """A few useful columns: the SID, then dates, numbers, names and status."""
    meta = model._meta
    readable = [spec.name for spec in _shown(model, None)]
    first = [meta.pk] if meta.pk in readable else []
    rest = [name for name in _PREFERRED if name in readable and name not in first]
    others = [name for name in readable if name not in first and name not in rest]
    return (first + rest + others)[:_COLUMNS]


def _cell(value: Any, *, wide: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dt.datetime):
        text = dates.as_utc(value).strftime("%Y-%m-%d %H:%M:%S")
    elif isinstance(value, enum.Enum):
        text = str(value.value)
    elif isinstance(value, (dict, list)):
        text = json.dumps(value)
    else:
        text = str(value)
    text = " ".join(text.split())
    limit = CELL_WIDTH * 2 if wide else CELL_WIDTH
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    line = "  ".join(name.ljust(width) for name, width in zip(header, widths, strict=True))
    print(_bold(line.rstrip(), out), file=out)
    print("  ".join("-" * width for width in widths), file=out)
    for row in rows:
        cells = "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        print(cells.rstrip(), file=out)


def _bold(text: str, out: TextIO) -> str:
    if not _colour(out, os.environ):
        return text
    return f"\033[1m{text}\033[0m"


def _colour(out: TextIO, env: Mapping[str, str]) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set or TERM=dumb."""
    isatty = getattr(out, "isatty", None)
    terminal = bool(isatty and isatty())
    return terminal and "NO_COLOR" not in env and env.get("TERM") != "dumb"
