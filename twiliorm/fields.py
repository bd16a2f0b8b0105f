"""Field declarations: what each attribute of a resource is in the API.

A resource attribute is declared once, with everything a query, a write, the
converter and the sandbox need to know about it::

    to: str | None = fields.phone(filter=True, writable="create")
    date_sent: datetime | None = fields.rfc2822(filter=True, lookups="exact lt lte gt gte")

Vocabulary, the same everywhere in twiliorm: the *attribute* is the Python
name (``from_``), the *key* is the JSON name (``from``), the *param* is the
form or query name (``From``). Key and param are derived from the attribute
by convention; they are spelled out only where Twilio differs.

A field helper returns an ``attrs.field`` whose metadata carries a
:class:`FieldSpec`; its :class:`Kind` says how the value travels (JSON to
Python, Python to JSON, Python to a form value). ``param(...)`` declares a
write-only parameter (sent on create or update, never in a payload), and
``query(...)`` a filter-only parameter of the list (``Contains`` on available
numbers), which is not an attribute at all.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import json as _json_text
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from . import dates, phones
from .exceptions import ValidationError

__all__ = [
    "ApiEnum",
    "FieldSpec",
    "Filter",
    "Kind",
    "QueryParam",
    "boolean",
    "date",
    "datetime",
    "decimal_text",
    "enum_field",
    "integer",
    "integer_text",
    "json",
    "param",
    "phone",
    "query",
    "rfc2822",
    "sender",
    "sid",
    "spec_of",
    "string",
    "uri",
    "uri_map",
]

METADATA_KEY = "twiliorm"
_EMPTY: frozenset[str] = frozenset()
_OPS = frozenset({"create", "update"})


# --- kinds: how a value travels ---------------------------------------------


class ApiEnum(str, enum.Enum):
    """Base of the API's enums: members are their string values (``== "queued"``)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)


class Kind:
    """How a value travels between JSON, Python, a form parameter and an export cell.

    ``parse`` is None when the JSON value is used as it is (the fast path of
    the converter assigns it directly); otherwise it is called on every
    non-null value read from a payload. ``by_day``: the API compares values
    of this kind by day (its date filters); ``mutable``: a value can change
    in place (a list, a dict), so a loaded copy is kept to notice it.
    ``name`` is for people (error messages, docs): code asks the kind, never
    its name.
    """

    name = "string"
    parse: Callable[[Any], Any] | None = None
    #: a cheaper value than ``parse``'s that orders as it does (None: ``parse``'s)
    order_key: Callable[[Any], Any] | None = None
    ordered = True
    text = True
    by_day = False
    mutable = False

    def dump(self, value: Any) -> Any:
        """Python value to its JSON form (for ``to_api``)."""
        return value

    def encode(self, value: Any) -> str | list[str]:
        """Python value to the text of a form or query parameter."""
        return str(value)

    def pairs(self, param: str, value: Any) -> list[tuple[str, str]]:
        """The form pairs for ``value`` under ``param`` (a list repeats the key)."""
        encoded = self.encode(value)
        if isinstance(encoded, str):
            return [(param, encoded)]
        return [(param, item) for item in encoded]

    def clean(self, value: Any, where: str) -> Any:
        """Check a value given by the user; return what to keep."""
        if not isinstance(value, str):
            raise ValidationError(f"{where} takes text, not {type(value).__name__}: {value!r}")
        return value

    def from_form(self, texts: Sequence[str]) -> Any:
        """The payload (JSON) value of a form parameter sent as ``texts`` (a repeated key
        gives several; the last one counts unless the kind is a list); ValueError when
        the text is not of this kind. The sandbox and webhooks read forms with it."""
        return texts[-1]

    def from_text(self, text: str) -> Any:
        """The Python value a person means by ``text`` (a command line's ``--filter``);
        ValueError when it is not of this kind."""
        return text

    def cell(self, value: Any) -> Any:
        """A payload value as an export cell (CSV or JSON lines)."""
        return value

    def exporter(self) -> Callable[[Sequence[Any]], list[Any]] | None:
        """The cells of a column of payload values (None stays None): :meth:`cell` of
        each; None when a value is its own cell (text, a SID...), so an export takes
        the payload's values as they are."""
        if type(self).cell is Kind.cell:
            return None
        cell = self.cell
        return lambda values: [None if value is None else cell(value) for value in values]

    def __repr__(self) -> str:
        return f"<kind {self.name}>"


class _Text(Kind):
    def __init__(self, name: str) -> None:
        self.name = name


class _Sid(Kind):
    name = "sid"

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.prefixes = prefixes
        alternatives = "|".join(prefixes) if prefixes else "[A-Z]{2}"
        self.pattern = re.compile(rf"(?:{alternatives})[0-9a-fA-F]{{32}}\Z")

    def clean(self, value: Any, where: str) -> Any:
        if isinstance(value, str) and self.pattern.match(value):
            return value
        sid_of = getattr(value, "pk", None)
        if isinstance(sid_of, str) and self.pattern.match(sid_of):
            return sid_of
        shape = " or ".join(f"{p} + 32 hex digits" for p in self.prefixes) or "a 34-character SID"
        raise ValidationError(f"{where} must be a SID ({shape}), got {value!r}")


class _Phone(Kind):
    """A ``To``-like address, normalised as :mod:`twiliorm.phones` says (E.164 and the
    rest); a sender (``From``) may also be an alphanumeric sender ID."""

    name = "phone"  # a sender too: the API's format is phone-number for both

    def __init__(self, *, sender: bool = False) -> None:
        self.sender = sender

    def clean(self, value: Any, where: str) -> Any:
        return phones.normalise(value, sender=self.sender, where=where)


class _Uri(Kind):
    """A URL Twilio connects to (a webhook, a callback: http or https; a media stream:
    wss), with a host. An empty text clears the field in the API, as None does."""

    name = "uri"  # a WebSocket's too: the API's format is uri for both

    def __init__(self, schemes: tuple[str, ...], example: str) -> None:
        self.schemes = schemes
        self.example = example

    def clean(self, value: Any, where: str) -> Any:
        text = super().clean(value, where)
        if text == "" or _has_host(text, self.schemes):
            return text
        raise ValidationError(
            f"{where} takes a URL with a host, {' or '.join(self.schemes)} "
            f"({self.example!r}), got {value!r}"
        )


def _has_host(text: str, schemes: tuple[str, ...]) -> bool:
    try:
        parts = urllib.parse.urlsplit(text)
        return parts.scheme in schemes and bool(parts.hostname)
    except ValueError:  # a malformed port or bracketed host
        return False


class _Rfc2822(Kind):
    name = "rfc2822"
    text = False
    by_day = True
    parse: Callable[[Any], Any] | None = staticmethod(dates.parse_rfc2822)
    #: what merges and sorts compare: as parse's datetimes order, made cheaper
    order_key: Callable[[Any], Any] | None = staticmethod(dates.rfc2822_order_key)

    def from_text(self, text: str) -> Any:
        try:
            if len(text) == 10:
                return dt.date.fromisoformat(text)
            return dates.parse_iso_datetime(text)
        except ValueError:
            raise ValueError(
                f"{text!r} is not a day (2026-01-05) or a time (2026-01-05T10:00:00Z)"
            ) from None

    def iso(self, value: Any) -> Any:
        """A payload value as ISO 8601 text (what sorts and compares by day as text)."""
        return dates.rfc2822_as_iso(value)

    #: Twilio's timestamp as ISO 8601 UTC text; a form twiliorm cannot read as Twilio sent it
    cell = staticmethod(dates.rfc2822_cell)

    def exporter(self) -> Callable[[Sequence[Any]], list[Any]] | None:
        if type(self).cell is not _Rfc2822.cell:  # a subclass's own
            return super().exporter()
        return dates.rfc2822_cells  # a column at a time: the same cells, less CPU

    def dump(self, value: Any) -> Any:
        return dates.format_rfc2822(value) if isinstance(value, dt.datetime) else value

    def encode(self, value: Any) -> str:
        return dates.day_of(value).isoformat()

    def clean(self, value: Any, where: str) -> Any:
        # A naive datetime is read in the current time zone, with a NaiveDateTimeWarning.
        cleaned = dates.given(value, where)
        if cleaned is None:
            raise ValidationError(
                f"{where} takes a date, an aware datetime or ISO 8601 text "
                f"('2026-01-05', '2026-01-05T10:00:00Z'), got {value!r}"
            )
        return cleaned


class _IsoDateTime(_Rfc2822):
    name = "datetime"
    parse: Callable[[Any], Any] | None = staticmethod(dates.parse_iso_datetime)
    order_key: Callable[[Any], Any] | None = None

    cell = Kind.cell  # ISO text already: exported as it came

    def iso(self, value: Any) -> Any:
        return value

    def dump(self, value: Any) -> Any:
        return dates.format_iso_datetime(value) if isinstance(value, dt.datetime) else value

    def encode(self, value: Any) -> str:
        if isinstance(value, dt.datetime):
            return dates.format_iso_datetime(value)
        return str(value.isoformat())


class _IsoDate(_Rfc2822):
    name = "date"
    parse: Callable[[Any], Any] | None = staticmethod(dates.parse_date)
    order_key: Callable[[Any], Any] | None = None

    cell = Kind.cell  # ISO text already: exported as it came

    def iso(self, value: Any) -> Any:
        return value

    def dump(self, value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else value

    def encode(self, value: Any) -> str:
        return dates.day_of(value).isoformat()


_PLAIN_NUMBER = re.compile(r"[-+]?[0-9]+(\.[0-9]+)?")
_WHOLE_NUMBER = re.compile(r"[-+]?[0-9]+")  # ASCII: int() also takes "١٢" and "1_0"
_TRUE = ("true", "yes", "1")
_FALSE = ("false", "no", "0")


def _parse_decimal_text(value: Any) -> Any:
    # Twilio sends "" where a number is not applicable (the count of usage "totalprice"):
    # it is kept as it came, so it is written back as it came.
    if isinstance(value, str) and value:
        try:
            return decimal.Decimal(value)
        except decimal.InvalidOperation as exc:
            raise ValueError(f"not a number: {value!r}") from exc
    return value


class _DecimalText(Kind):
    """A number Twilio sends as text (``"-0.00750"``); a JSON number is kept as sent."""

    name = "decimal"
    text = False
    parse: Callable[[Any], Any] | None = staticmethod(_parse_decimal_text)

    def dump(self, value: Any) -> Any:
        return str(value) if isinstance(value, decimal.Decimal) else value

    def from_form(self, texts: Sequence[str]) -> Any:
        # Kept as the text it came as; a leading "+" is a number too (a usage
        # trigger's "+30" is 30 more than now).
        text = texts[-1]
        if not _PLAIN_NUMBER.fullmatch(text.strip()):
            raise ValueError(f"not a number: {text!r}")
        return text

    def cell(self, value: Any) -> Any:
        return value if isinstance(value, str) else str(value)

    def clean(self, value: Any, where: str) -> Any:
        if isinstance(value, float):
            return decimal.Decimal(str(value))  # 0.1 means 0.1, not its binary neighbour
        if isinstance(value, (int, decimal.Decimal)) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return decimal.Decimal(value)
            except decimal.InvalidOperation:
                pass
        raise ValidationError(f"{where} takes a number, got {value!r}")


class _DecimalOffset(_DecimalText):
    """A number to write that may be an offset: Twilio reads "+30" as 30 more than now."""

    def clean(self, value: Any, where: str) -> Any:
        number = super().clean(value, where)
        if isinstance(value, str) and value.strip().startswith("+"):
            return value.strip()
        return number


def _parse_integer_text(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value else value


class _IntegerText(_DecimalText):
    """A count Twilio sends as text (``"num_segments": "1"``)."""

    name = "integer_text"
    parse: Callable[[Any], Any] | None = staticmethod(_parse_integer_text)

    def cell(self, value: Any) -> Any:
        if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value) and value[0] != "+":
            return int(value)
        return value

    def dump(self, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def clean(self, value: Any, where: str) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _WHOLE_NUMBER.fullmatch(value.strip().lstrip("-")):
            return int(value)
        raise ValidationError(f"{where} takes a whole number, got {value!r}")


class _Integer(_IntegerText):
    """A JSON integer."""

    name = "integer"
    parse: Callable[[Any], Any] | None = None

    def dump(self, value: Any) -> Any:
        return value

    def from_form(self, texts: Sequence[str]) -> Any:
        text = texts[-1]
        if not _WHOLE_NUMBER.fullmatch(text):
            raise ValueError(f"not a whole number: {text!r}")
        return int(text)


class _Boolean(Kind):
    name = "boolean"
    text = False
    ordered = False

    def encode(self, value: Any) -> str:
        return "true" if value else "false"

    def clean(self, value: Any, where: str) -> Any:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise ValidationError(f"{where} takes True or False, got {value!r}")

    def from_form(self, texts: Sequence[str]) -> Any:
        text = texts[-1].lower()
        if text not in ("true", "false"):
            raise ValueError(f"not true or false: {texts[-1]!r}")
        return text == "true"

    def from_text(self, text: str) -> Any:
        lowered = text.strip().lower()
        if lowered not in _TRUE and lowered not in _FALSE:
            raise ValueError(f"{text!r} is not true or false")
        return lowered in _TRUE


class _Json(Kind):
    """A JSON object or array kept as it is (``subresource_uris``, capabilities)."""

    text = False
    ordered = False
    mutable = True

    def __init__(self, name: str) -> None:
        self.name = name

    def encode(self, value: Any) -> str:
        # A JSON form parameter (a payment's Parameter) travels as JSON text, not a Python repr.
        return value if isinstance(value, str) else _json_text.dumps(value, separators=(",", ":"))

    def clean(self, value: Any, where: str) -> Any:
        return value


class _List(Kind):
    """A list parameter, sent as a repeated form key (``MediaUrl``)."""

    name = "list"
    text = False
    ordered = False
    mutable = True

    def from_form(self, texts: Sequence[str]) -> Any:
        return list(texts)

    def encode(self, value: Any) -> list[str]:
        if isinstance(value, str):
            return [value]
        return [str(item) for item in value]

    def clean(self, value: Any, where: str) -> Any:
        if isinstance(value, str):
            return [value]
        if isinstance(value, Iterable):
            return list(value)
        raise ValidationError(f"{where} takes a list of values, got {value!r}")


class _NamedParameters(Kind):
    """Custom parameters sent as ``Parameter1.Name``/``Parameter1.Value`` ... (up to 99)."""

    name = "parameters"
    text = False
    ordered = False
    mutable = True
    limit = 99

    def pairs(self, param: str, value: Any) -> list[tuple[str, str]]:
        out = []
        for i, (name, item) in enumerate(dict(value).items(), start=1):
            out += [(f"{param}{i}.Name", str(name)), (f"{param}{i}.Value", str(item))]
        return out

    def clean(self, value: Any, where: str) -> Any:
        if not isinstance(value, Mapping):
            raise ValidationError(f"{where} takes a dict of name -> value, got {value!r}")
        if len(value) > self.limit:
            raise ValidationError(
                f"{where} takes at most {self.limit} parameters, got {len(value)}"
            )
        return dict(value)


class EnumKind(Kind):
    """One of an enum's values; a value the library does not know is kept as text."""

    name = "enum"
    ordered = False

    def __init__(self, enum_class: type[enum.Enum]) -> None:
        self.enum_class = enum_class
        self.members: Mapping[Any, enum.Enum] = {m.value: m for m in enum_class}
        self.values = tuple(self.members)

    def parse(self, value: Any) -> Any:
        try:
            return self.members.get(value, value)
        except TypeError:
            return value

    def dump(self, value: Any) -> Any:
        return value.value if isinstance(value, enum.Enum) else value

    def encode(self, value: Any) -> str:
        return str(self.dump(value))

    def clean(self, value: Any, where: str) -> Any:
        member = self.parse(value)
        if isinstance(member, self.enum_class):
            return member
        allowed = ", ".join(repr(v) for v in self.values)
        raise ValidationError(f"{where} must be one of {allowed}; got {value!r}")


STRING: Kind = _Text("string")
URI: Kind = _Uri(("http", "https"), "https://example.com/twiml")
WEBSOCKET: Kind = _Uri(("wss",), "wss://example.com/media")
PHONE: Kind = _Phone()
SENDER: Kind = _Phone(sender=True)
RFC2822: Kind = _Rfc2822()
DATETIME: Kind = _IsoDateTime()
DATE: Kind = _IsoDate()
DECIMAL: Kind = _DecimalText()
DECIMAL_OFFSET: Kind = _DecimalOffset()
INTEGER_TEXT: Kind = _IntegerText()
INTEGER: Kind = _Integer()
BOOLEAN: Kind = _Boolean()
URI_MAP: Kind = _Json("uri_map")
JSON: Kind = _Json("json")
LIST: Kind = _List()
PARAMETERS: Kind = _NamedParameters()


# --- specs: what a field is in the API --------------------------------------


@attrs.frozen
class Filter:
    """How a field is filtered by the API: the query param and the lookups it answers.

    ``lookups`` are the user-facing lookups the server can narrow: ``lte`` and
    ``gte`` travel as ``Param<`` and ``Param>``; ``lt`` and ``gt`` on a date
    are derived from them. Date filters are inclusive and by day on the wire.
    """

    param: str
    lookups: frozenset[str] = frozenset({"exact"})
    explicit: tuple[tuple[str, str], ...] = ()

    def params(self) -> dict[str, str]:
        """Query param name for each lookup the wire has (``lte`` -> ``DateSent<``)."""
        if self.explicit:
            return dict(self.explicit)
        wire = {"exact": self.param, "lte": f"{self.param}<", "gte": f"{self.param}>"}
        return {lookup: name for lookup, name in wire.items() if lookup in self.lookups}


@attrs.frozen
class FieldSpec:
    """Everything twiliorm knows about one attribute of a resource."""

    kind: Kind
    key: str | None = None
    param: str | None = None
    filter: Filter | None = None
    writable: frozenset[str] = _EMPTY
    required: frozenset[str] = _EMPTY
    payload: bool = True
    name: str = ""

    def named(self, name: str) -> FieldSpec:
        """This spec bound to its attribute, with key and param derived by convention."""
        key = self.key or name.rstrip("_")
        param = self.param or camel(key)
        flt = self.filter
        if flt is not None and not flt.param:
            flt = attrs.evolve(flt, param=param)
        key_or_none = key if self.payload else None
        return attrs.evolve(self, name=name, key=key_or_none, param=param, filter=flt)

    def clean(self, value: Any, resource: str = "") -> Any:
        """Check a value the user gives this field; None clears it."""
        if value is None:
            return None
        where = f"{resource}.{self.name}" if resource else self.name
        return self.kind.clean(value, where)


@attrs.frozen
class QueryParam:
    """A filter-only parameter of a list (``Contains``); it is not an attribute."""

    kind: Kind
    param: str | None = None
    name: str = ""

    def named(self, name: str) -> QueryParam:
        return attrs.evolve(self, name=name, param=self.param or camel(name))


def camel(key: str) -> str:
    """``status_callback`` -> ``StatusCallback``: Twilio's param for a key."""
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


def spec_of(attribute: attrs.Attribute[Any]) -> FieldSpec | None:
    """The FieldSpec an attrs attribute carries, if it is a twiliorm field."""
    spec = attribute.metadata.get(METADATA_KEY)
    return spec if isinstance(spec, FieldSpec) else None


# --- declaration helpers ----------------------------------------------------


def _ops(value: bool | str | Iterable[str] | None) -> frozenset[str]:
    if value is None or value is False:
        return _EMPTY
    if value is True:
        return _OPS
    names = frozenset(value.split() if isinstance(value, str) else value)
    unknown = names - _OPS
    if unknown:
        raise ValueError(f"writable/required take 'create' and/or 'update', not {sorted(unknown)}")
    return names


def _filter(filter: bool | str | Mapping[str, str] | None, lookups: str | None) -> Filter | None:
    if not filter:
        return None
    if isinstance(filter, Mapping):
        # Params whose meaning is one lookup: {"gte": "StartDate"} (usage records).
        explicit = tuple(filter.items())
        return Filter(param=explicit[0][1], lookups=frozenset(filter), explicit=explicit)
    wanted = set((lookups or "exact").split())
    # The wire has Param, Param< and Param> (inclusive); lt and gt travel as lte and gte.
    wire = {"exact"} & wanted
    if wanted & {"lt", "lte"}:
        wire.add("lte")
    if wanted & {"gt", "gte"}:
        wire.add("gte")
    return Filter(param=filter if isinstance(filter, str) else "", lookups=frozenset(wire))


def field(
    kind: Kind,
    *,
    key: str | None = None,
    api: str | None = None,
    param: str | None = None,
    filter: bool | str | Mapping[str, str] | None = None,
    lookups: str | None = None,
    writable: bool | str | None = None,
    required: bool | str | None = None,
    repr: bool = True,
) -> Any:
    """Declare an attribute of kind ``kind``; see the module docstring."""
    spec = FieldSpec(
        kind=kind,
        key=key or api,
        param=param,
        filter=_filter(filter, lookups),
        writable=_ops(writable),
        required=_ops(required),
    )
    return attrs.field(default=None, kw_only=True, repr=repr, metadata={METADATA_KEY: spec})


def _helper(kind: Kind) -> Callable[..., Any]:
    def declare(**options: Any) -> Any:
        return field(kind, **options)

    declare.__doc__ = f"Declare a {kind.name} attribute (options as for :func:`field`)."
    return declare


string = _helper(STRING)
uri = _helper(URI)
phone = _helper(PHONE)
sender = _helper(SENDER)
rfc2822 = _helper(RFC2822)
datetime = _helper(DATETIME)
date = _helper(DATE)
decimal_text = _helper(DECIMAL)
integer_text = _helper(INTEGER_TEXT)
integer = _helper(INTEGER)
boolean = _helper(BOOLEAN)
uri_map = _helper(URI_MAP)
json = _helper(JSON)
list_of = _helper(LIST)


def sid(*prefixes: str, **options: Any) -> Any:
    """Declare a SID attribute; ``prefixes`` are its two-letter types (``"SM", "MM"``)."""
    return field(_Sid(tuple(prefixes)), **options)


def enum_field(enum_class: type[enum.Enum], **options: Any) -> Any:
    """Declare an attribute holding one of ``enum_class``'s values."""
    return field(EnumKind(enum_class), **options)


def param(
    kind: Kind = STRING,
    *,
    writable: bool | str = True,
    required: bool | str | None = None,
    param: str | None = None,
) -> Any:
    """Declare a write-only parameter: sent on create/update, never in a payload."""
    spec = FieldSpec(
        kind=kind,
        param=param,
        writable=_ops(writable),
        required=_ops(required),
        payload=False,
    )
    return attrs.field(default=None, kw_only=True, repr=False, metadata={METADATA_KEY: spec})


def query(kind: Kind = STRING, *, param: str | None = None) -> QueryParam:
    """Declare a filter-only parameter of the list, given to ``filter()`` by name."""
    return QueryParam(kind=kind, param=param)


def sid_kind(*prefixes: str) -> Kind:
    """A SID kind, for ``param()`` and ``query()`` declarations."""
    return _Sid(tuple(prefixes))


def enum_kind(enum_class: type[enum.Enum]) -> Kind:
    """An enum kind, for ``param()`` and ``query()`` declarations."""
    return EnumKind(enum_class)
