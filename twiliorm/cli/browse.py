"""``twiliorm ls``, ``get`` and ``explain``: a quick look at an account from the shell.

    twiliorm ls                                   # the resources there are to list
    twiliorm ls messages --filter to=+15558675310 --filter date_sent__gte=2026-01-01 --limit 5
    twiliorm ls calls --format csv --limit 0 > calls.csv
    twiliorm get messages SM0123...
    twiliorm explain messages --filter to=+15558675310 --filter status=failed

A RESOURCE is named by its plural (``messages``, ``incoming_phone_numbers``),
its singular or its class name. ``--filter KEY=VALUE`` takes what
``filter()`` takes (``date_sent__gte``, ``conference`` for participants), the
value typed by the field (dates as ``2026-01-05`` or ``2026-01-05T10:00:00Z``,
booleans as true/false, ``__in`` lists comma-separated). Credentials come
from the environment (``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``) and the
base URL from ``--base-url`` or ``TWILIO_API_BASE_URL``. Output is plain text
fit for pipes; the table header is bold only on a terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import difflib
import enum
import json
import os
import re
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

from .. import dates
from ..client import Client
from ..exceptions import ConfigurationError, ScanWarning, TwiliormError
from ..fields import FieldSpec
from ..logs import is_sensitive
from ..query import QuerySet
from ..resource import Resource, resources

__all__ = ["CommandError", "add_parser", "find_resource", "parse_filters"]

DEFAULT_LIMIT = 20
CELL_WIDTH = 48
_TIME_KINDS = ("rfc2822", "date", "datetime")
_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")
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


class CommandError(TwiliormError):
    """A command line that cannot be run as given (unknown resource, unreadable filter)."""


# --- the parsers -------------------------------------------------------------------


def add_parser(subparsers: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--base-url",
        metavar="URL",
        help="the API's address (default: TWILIO_API_BASE_URL, else https://api.twilio.com)",
    )
    common.add_argument("--account", metavar="AC...", help="work in this sub-account")
    common.add_argument(
        "--filter",
        dest="filters",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a filter() condition, e.g. to=+15558675310 or date_sent__gte=2026-01-01 (repeatable)",
    )
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


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 (no limit) or more, got {value}")
    return value


# --- finding resources and reading filters --------------------------------------------


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _plural(name: str) -> str:
    if name.endswith(("s", "x", "ch", "sh")):
        return name + "es"
    if name.endswith("y") and name[-2:-1] not in "aeiou":
        return name[:-1] + "ies"
    return name + "s"


def resource_names() -> dict[str, type[Resource]]:
    """Every name a resource answers to: plural, singular, class name, list key if unique."""
    names: dict[str, type[Resource]] = {}
    keys: dict[str, list[type[Resource]]] = {}
    for model in resources():
        snake = _snake(model.__name__)
        for name in (_plural(snake), snake, model.__name__.lower()):
            names.setdefault(name, model)
        if model._meta.key:
            keys.setdefault(model._meta.key, []).append(model)
    for key, models in keys.items():
        if len(models) == 1:
            names.setdefault(key, models[0])
    return names


def find_resource(name: str) -> type[Resource]:
    """The resource class a command line names (``messages``, ``IncomingPhoneNumber``...)."""
    names = resource_names()
    wanted = name.strip().replace("-", "_")
    found = names.get(wanted.lower()) or names.get(_snake(wanted))
    if found is not None:
        return found
    close = difflib.get_close_matches(wanted.lower(), list(names), n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise CommandError(f"no resource named {name!r}{hint} (`twiliorm ls` lists them)")


def parse_filters(model: type[Resource], items: Iterable[str]) -> dict[str, Any]:
    """``["to=+1555...", "date_sent__gte=2026-01-01"]`` as typed ``filter()`` arguments."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CommandError(f"--filter takes KEY=VALUE, got {item!r}")
        out[key] = typed_value(model, key, text)
    return out


def typed_value(model: type[Resource], key: str, text: str) -> Any:
    """The Python value of ``text`` for filter ``key``, by the kind of its field."""
    name, _, lookup = key.partition("__")
    meta = model._meta
    spec = meta.fields.get(name) or meta.query_params.get(name)
    if spec is None:
        return text  # a path parameter (conference=CF...) or a name filter() will refuse
    if lookup == "isnull":
        return _boolean(text, key)
    if lookup in ("in", "range"):
        values = [_one(spec.kind.name, item.strip(), key) for item in text.split(",")]
        return tuple(values) if lookup == "range" else values
    return _one(spec.kind.name, text, key)


def _one(kind: str, text: str, key: str) -> Any:
    if kind in _TIME_KINDS:
        return _when(text, key)
    if kind == "boolean":
        return _boolean(text, key)
    return text


def _when(text: str, key: str) -> dt.date:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dates.parse_iso_datetime(text)
    except ValueError:
        raise CommandError(
            f"--filter {key}: {text!r} is not a day (2026-01-05) or a time (2026-01-05T10:00:00Z)"
        ) from None


def _boolean(text: str, key: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE or lowered in _FALSE:
        return lowered in _TRUE
    raise CommandError(f"--filter {key}: {text!r} is not true or false")


# --- running ---------------------------------------------------------------------------


def _client(args: argparse.Namespace) -> Client:
    return Client(base_url=args.base_url)


def _queryset(args: argparse.Namespace, model: type[Resource], client: Client | None) -> Any:
    qs: QuerySet[Any] = model.objects.using(client, account=args.account)
    return qs.filter(**parse_filters(model, args.filters))


def run_ls(args: argparse.Namespace, out: TextIO) -> int:
    if args.resource is None:
        return _list_resources(out)
    model = find_resource(args.resource)
    qs = _queryset(args, model, _client(args))
    if args.limit:
        qs = qs[: args.limit]
    with _notes():
        return _write(qs.iterator(), model, args, out, many=True)


def run_get(args: argparse.Namespace, out: TextIO) -> int:
    model = find_resource(args.resource)
    qs = _queryset(args, model, _client(args))
    if args.sid is None and model._meta.pk is not None:
        raise CommandError(f"get {args.resource} needs the SID of the record to show")
    with _notes():
        record = qs.get() if args.sid is None else qs.get(pk=args.sid)
        return _write(iter([record]), model, args, out, many=False)


def run_explain(args: argparse.Namespace, out: TextIO) -> int:
    model = find_resource(args.resource)
    try:
        client: Client | None = _client(args)
    except ConfigurationError:
        client = None  # explaining needs no credentials; the account stays a placeholder
    qs = _queryset(args, model, client)
    if args.limit:
        qs = qs[: args.limit]
    print(qs.explain(), file=out)
    return 0


@contextlib.contextmanager
def _notes() -> Iterator[None]:
    """Show warnings (a client-side scan) as one line each on stderr, after the output."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ScanWarning)
        yield
    for item in caught:
        print(f"twiliorm: note: {item.message}", file=sys.stderr)


def _list_resources(out: TextIO) -> int:
    rows = []
    for model in resources():
        meta = model._meta
        operations = " ".join(op for op in ("list", "fetch") if op in meta.operations)
        if operations:
            rows.append([_plural(_snake(model.__name__)), model.__name__, operations])
    _table(["resource", "class", "operations"], rows, out)
    return 0


# --- writing ---------------------------------------------------------------------------


def _write(
    records: Iterator[Resource],
    model: type[Resource],
    args: argparse.Namespace,
    out: TextIO,
    *,
    many: bool,
) -> int:
    named = _named(model, args.fields)
    try:
        if args.format == "json":
            _write_json(records, model, named, out, many)
        elif args.format == "csv":
            _write_csv(records, _shown(model, named), out)
        elif many:
            _write_table(records, model, named, out)
        else:
            _write_record(next(records), _shown(model, named), out)
        out.flush()
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as a SIGPIPE would.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        return 141
    return 0


def _named(model: type[Resource], fields: str | None) -> list[FieldSpec] | None:
    """The fields ``--fields`` names, checked; None when it names none."""
    if not fields:
        return None
    meta = model._meta
    readable = {spec.name: spec for spec in meta.payload_fields}
    chosen = [name.strip() for name in fields.split(",") if name.strip()]
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


def _payload(record: Resource, model: type[Resource], named: list[FieldSpec] | None) -> Any:
    payload = record.to_api()
    keys = {spec.key for spec in _shown(model, named)}
    known = {spec.key for spec in model._meta.payload_fields}
    return {
        key: value
        for key, value in payload.items()
        if key in keys or (named is None and key not in known and not is_sensitive(key))
    }


def _write_json(
    records: Iterator[Resource],
    model: type[Resource],
    named: list[FieldSpec] | None,
    out: TextIO,
    many: bool,
) -> None:
    if not many:
        out.write(json.dumps(_payload(next(records), model, named), indent=2) + "\n")
        return
    out.write("[")
    for i, record in enumerate(records):
        out.write(("," if i else "") + "\n  " + json.dumps(_payload(record, model, named)))
    out.write("\n]\n")


def _write_csv(records: Iterator[Resource], specs: list[FieldSpec], out: TextIO) -> None:
    keys = [spec.key or "" for spec in specs]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(keys)
    for record in records:
        payload = record.to_api()
        writer.writerow([_csv_value(payload.get(key)) for key in keys])


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


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
