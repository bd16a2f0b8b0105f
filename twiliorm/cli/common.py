"""What every command that reads an account shares: its options, names and filters.

``--base-url``, ``--account`` and ``--filter KEY=VALUE`` (repeatable) read the
same in ``ls``, ``get``, ``explain``, ``update``, ``delete`` and ``export``:
:func:`add_query_options` declares them and :func:`queryset` turns them into a
QuerySet. A RESOURCE is named by its plural (``messages``,
``incoming_phone_numbers``), its singular or its class name
(:func:`find_resource`). A filter's value is typed by its field (dates as
``2026-01-05`` or ``2026-01-05T10:00:00Z``, booleans as true/false, ``__in``
lists comma-separated), and each ``--filter`` is one more condition: a key
given twice must hold both ways, as two ``filter()`` calls do.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import re
import sys
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from ..client import Client
from ..exceptions import ScanWarning, TwiliormError
from ..fields import BOOLEAN, Kind
from ..queryset import QuerySet
from ..resource import Resource, resources

__all__ = [
    "CommandError",
    "add_query_options",
    "find_resource",
    "notes",
    "parse_filters",
    "plural",
    "queryset",
    "typed_value",
]



class CommandError(TwiliormError):
    """A command line that cannot be run as given (unknown resource, unreadable filter)."""


def add_query_options(parser: argparse.ArgumentParser, example: str) -> None:
    """``--base-url``, ``--account`` and ``--filter`` (``example`` shows one filter)."""
    parser.add_argument(
        "--base-url",
        metavar="URL",
        help="the API's address (default: TWILIO_API_BASE_URL, else https://api.twilio.com)",
    )
    parser.add_argument("--account", metavar="AC...", help="work in this sub-account")
    parser.add_argument(
        "--filter",
        dest="filters",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"a filter() condition, e.g. {example} (repeatable; each one must hold)",
    )


def queryset(
    args: argparse.Namespace, model: type[Resource], client: Client | None
) -> QuerySet[Any]:
    """The records of ``model`` the options name: the account, then each filter in turn."""
    qs: QuerySet[Any] = model.objects.using(client, account=args.account)
    for key, value in parse_filters(model, args.filters):
        qs = qs.filter(**{key: value})
    return qs


# --- naming resources -----------------------------------------------------------------


def snake(name: str) -> str:
    """``IncomingPhoneNumber`` -> ``incoming_phone_number``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def plural(name: str) -> str:
    """``message`` -> ``messages``, ``address`` -> ``addresses``, ``country`` -> ``countries``."""
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
        lowered = snake(model.__name__)
        for name in (plural(lowered), lowered, model.__name__.lower()):
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
    found = names.get(wanted.lower()) or names.get(snake(wanted))
    if found is not None:
        return found
    close = difflib.get_close_matches(wanted.lower(), list(names), n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise CommandError(f"no resource named {name!r}{hint} (`twiliorm ls` lists them)")


# --- reading filters ---------------------------------------------------------------------


def parse_filters(model: type[Resource], items: Iterable[str]) -> list[tuple[str, Any]]:
    """``["to=+1555...", "date_sent__gte=2026-01-01"]`` as typed (key, value) conditions."""
    out = []
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CommandError(f"--filter takes KEY=VALUE, got {item!r}")
        out.append((key, typed_value(model, key, text)))
    return out


def typed_value(model: type[Resource], key: str, text: str) -> Any:
    """The Python value of ``text`` for filter ``key``, as the kind of its field reads it."""
    name, _, lookup = key.partition("__")
    meta = model._meta
    spec = meta.fields.get(name) or meta.query_params.get(name)
    if spec is None:
        return text  # a path parameter (conference=CF...) or a name filter() will refuse
    kind = BOOLEAN if lookup == "isnull" else spec.kind
    if lookup in ("in", "range"):
        values = [_one(kind, item.strip(), key) for item in text.split(",")]
        return tuple(values) if lookup == "range" else values
    return _one(kind, text, key)


def _one(kind: Kind, text: str, key: str) -> Any:
    try:
        return kind.from_text(text)
    except ValueError as exc:
        raise CommandError(f"--filter {key}: {exc}") from None


@contextlib.contextmanager
def notes() -> Iterator[None]:
    """Show warnings (a client-side scan) as one line each on stderr, after the output."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ScanWarning)
        try:
            yield
        finally:
            for item in caught:
                print(f"twiliorm: note: {item.message}", file=sys.stderr)
