"""Dates as Twilio writes them, and back.

Twilio writes timestamps in one fixed RFC 2822 form,
``Thu, 30 Jul 2015 20:12:31 +0000``; parsing that form by position is several
times faster than ``email.utils`` and it is most of the per-record cost of
reading a page. The shape is checked whole (one compiled pattern: ASCII
digits, a real month name, a time of day, ``+0000``); the day part
(``, 30 Jul 2015 ``) is checked to be a real day and turned into ISO text
once per distinct day and remembered (a page of messages spans few days), so
a timestamp costs a match, a dictionary lookup and ``fromisoformat``, and an
export cell (:func:`rfc2822_as_iso`) no datetime at all. Anything else falls
back to the general RFC 2822 parser, then to ISO 8601 (``iso8601``), so an
unexpected form still reads as it always did (``tests/test_fast_dates.py``
checks the two paths agree wherever the fast one answers).

Values people give (a filter's bound, a ``send_at``) go through :func:`given`:
a date stays a date (Twilio's filters are by UTC day); ISO 8601 text is read;
a datetime without a time zone is read in the current time zone, as Django
does with ``USE_TZ``, with a :class:`~twiliorm.NaiveDateTimeWarning`.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import importlib
import operator
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import iso8601

from .exceptions import NaiveDateTimeWarning

UTC = dt.timezone.utc

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBERS = {name: f"{i:02d}" for i, name in enumerate(_MONTHS, start=1)}
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_from_iso = dt.datetime.fromisoformat
_DAYS_KEPT = 4096
_MINUTE = dt.timedelta(minutes=1)
_ZERO = dt.timedelta(0)
#: "Thu, 30 Jul 2015 " -> "2015-07-30T" ("": not the start of Twilio's shape, or no such day)
_iso_days: dict[str, str] = {}
_dates: dict[str, dt.date] = {}  # "2015-07-30T" -> date(2015, 7, 30)


# Twilio's one shape, "Thu, 30 Jul 2015 20:12:31 +0000", in ASCII digits; a year from
# 1000 (the general parser reads a two-digit year as 19xx/20xx, and strftime writes a
# year below 1000 unpadded). Its day part is read by a pattern once a day and
# remembered; the time by two set lookups ("20:12", ":31 +0000"): a regular expression
# costs about a microsecond a call, and an export reads two timestamps a record.
_PREFIX = re.compile(
    r"(?:" + "|".join(_DAYS) + r"), [0-9]{2} (?:" + "|".join(_MONTHS) + r") [1-9][0-9]{3} "
)
_CLOCK = frozenset(f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in range(60))
_SECONDS_UTC = frozenset(f":{second:02d} +0000" for second in range(60))


def parse_rfc2822(text: str) -> dt.datetime:
    """Read a Twilio timestamp; aware, in UTC when the offset is +0000."""
    day = _fast_day(text)
    if day:
        return _from_iso(day + text[17:25] + "+00:00")
    return _parse_rfc2822_slow(text)


def rfc2822_as_iso(text: str) -> str:
    """A Twilio timestamp as ISO 8601 text in UTC (``2015-07-30T20:12:31Z``): the same
    text as ``format_iso_datetime(parse_rfc2822(text))``, made without a datetime when
    ``text`` has Twilio's shape (an export writes two a record); ValueError as that."""
    day = _fast_day(text)
    if day:
        return day + text[17:25] + "Z"
    return _in_range(format_iso_datetime, text)


def rfc2822_cell(value: Any) -> Any:
    """An export cell of a Twilio timestamp: :func:`rfc2822_as_iso` of text, what it
    cannot read as it came, anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        return rfc2822_as_iso(value)
    except ValueError:
        return value


# Twilio's shape, "Thu, 30 Jul 2015 20:12:31 +0000", for a column at a time: the values
# joined by "\n", each character of the shape every 32 characters.
_STRIDE = 32
_DAY_PART = 17  # "Thu, 30 Jul 2015 "
_DAY_PART_OF = operator.itemgetter(slice(0, _DAY_PART))
#: where a digit is, and which digits it may be
_DIGIT_AT = {
    17: "012",
    18: "0123456789",
    20: "012345",
    21: "0123456789",
    23: "012345",
    24: "0123456789",
}
_TWENTY = bytes(255 if byte == ord("2") else 0 for byte in range(256))  # hours 20-23...
_FOUR_TO_NINE = bytes(255 if chr(byte) in "456789" else 0 for byte in range(256))  # ...not 24


def rfc2822_cells(values: Sequence[Any]) -> list[Any]:
    """:func:`rfc2822_cell` of each of ``values`` (an export's column of a page): the
    same cells, made a column at a time when every value is text in Twilio's shape.

    The values are joined by ``\n`` and the shape is checked on that text a
    position at a time (every 32nd character: the line breaks, which tell each
    value is 31 characters, the colons, the digits, `` +0000``; the day parts
    once each: most often one a page), then each day part is replaced by its
    ISO day and each `` +0000`` by ``Z`` in the whole text, which is cut back
    into cells: no string is made a value but the cell (a call a value cost
    about a microsecond and a half, most of it making strings). Any other
    column, or one with a None, is made a value at a time."""
    count = len(values)
    try:
        text = "\n".join(values)
    except TypeError:  # a None, or a value that is not text
        return [rfc2822_cell(value) for value in values]
    if not count or not _shaped(text, count):
        return [rfc2822_cell(value) for value in values]
    first = text[:_DAY_PART]
    # A day part can only match where a value starts (the rest of the shape has no comma
    # and no letter), so counting it tells whether every value starts with it.
    parts = {first} if text.count(first) == count else set(map(_DAY_PART_OF, values))
    days: dict[str, str] = {}
    for part in parts:
        day = _iso_days.get(part)
        days[part] = _iso_day(part) if day is None else day
    if not all(days.values()):
        return [rfc2822_cell(value) for value in values]
    for part, day in days.items():
        text = text.replace(part, day)
    return text.replace(" +0000", "Z").split("\n")


def _shaped(text: str, count: int) -> bool:
    """Whether ``text`` is ``count`` values joined by ``\n``, each 31 characters with
    Twilio's time of day and offset (its day part is checked apart)."""
    if len(text) != _STRIDE * count - 1 or text.count("\n") != count - 1:
        return False
    if text[31::_STRIDE] != "\n" * (count - 1):  # each value 31 characters
        return False
    if any(text[25 + at :: _STRIDE] != char * count for at, char in enumerate(" +0000")):
        return False
    if text[19::_STRIDE] != ":" * count or text[22::_STRIDE] != ":" * count:
        return False
    for at, allowed in _DIGIT_AT.items():
        if text[at::_STRIDE].strip(allowed):  # a character that is not one of them
            return False
    tens = int.from_bytes(text[17::_STRIDE].encode("ascii").translate(_TWENTY), "big")
    ones = int.from_bytes(text[18::_STRIDE].encode("ascii").translate(_FOUR_TO_NINE), "big")
    return not tens & ones  # no hour from 24 to 29


def rfc2822_order_key(text: str) -> str:
    """What orders Twilio timestamps as their instants do, made once a record when a
    merge or a sort compares them: UTC ISO text (fixed width, so text order is time
    order; microseconds only when there are some, so equal instants give equal text).
    Twilio's shape gives it without a datetime; ValueError as :func:`parse_rfc2822`."""
    day = _fast_day(text)
    if day:
        return day + text[17:25]
    return _in_range(order_key, text)


def rfc2822_day(text: str) -> dt.date:
    """The UTC day of a Twilio timestamp (what the API's by-day filters compare), read
    without a datetime when ``text`` has Twilio's shape (a scan's split reads one a
    record of a page); ValueError as :func:`parse_rfc2822`."""
    day = _fast_day(text)
    if not day:
        try:
            return day_of(parse_rfc2822(text))
        except OverflowError:  # 31 Dec 9999 23:30 -0100 is in year 10000 in UTC
            raise ValueError(f"not a timestamp with a UTC form: {text!r}") from None
    found = _dates.get(day)
    if found is None:
        if len(_dates) >= _DAYS_KEPT:
            _dates.clear()
        found = _dates[day] = dt.date.fromisoformat(day[:10])
    return found


def _in_range(write: Callable[[dt.datetime], str], text: str) -> str:
    """``write`` of the instant ``text`` names; ValueError (not OverflowError) when it
    has no UTC form (``31 Dec 9999 23:30 -0100`` is in year 10000 in UTC)."""
    value = _parse_rfc2822_slow(text)
    try:
        return write(value)
    except OverflowError:
        raise ValueError(f"not a timestamp with a UTC form: {text!r}") from None


def order_key(value: dt.datetime) -> str:
    """An aware (or UTC) datetime as the text :func:`rfc2822_order_key` makes."""
    value = as_utc(value)
    key = (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T"
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    )
    return f"{key}.{value.microsecond:06d}" if value.microsecond else key


def _fast_day(text: str) -> str:
    """``2015-07-30T`` when ``text`` is in Twilio's shape with a real day, else "": the
    general parser reads the text then (it may still be one it can read)."""
    day = _iso_days.get(text[:17])
    if day is None:
        day = _iso_day(text[:17])
    if day and text[17:22] in _CLOCK and text[22:] in _SECONDS_UTC:
        return day
    return ""


def _iso_day(prefix: str) -> str:
    """``Thu, 30 Jul 2015 `` as ``2015-07-30T``, or "" when it does not start Twilio's
    shape or there is no such day (``31 Feb``); remembered either way."""
    day = ""
    if _PREFIX.fullmatch(prefix) is not None:
        iso = f"{prefix[12:16]}-{_MONTH_NUMBERS[prefix[8:11]]}-{prefix[5:7]}"
        try:
            dt.date.fromisoformat(iso)
            day = iso + "T"
        except ValueError:
            pass
    if len(_iso_days) >= _DAYS_KEPT:
        _iso_days.clear()
    _iso_days[prefix] = day
    return day


def _parse_rfc2822_slow(text: str) -> dt.datetime:
    try:
        value = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return parse_iso_datetime(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def format_rfc2822(value: dt.datetime) -> str:
    """Write a timestamp the way Twilio does (``+0000`` for UTC, a naive one is UTC).

    Another offset is kept as it is, so a value read from the API is written
    back unchanged.
    """
    return (
        f"{_DAYS[value.weekday()]}, {value.day:02d} {_MONTHS[value.month - 1]} "
        f"{value.year:04d} {value.hour:02d}:{value.minute:02d}:{value.second:02d} "
        f"{_offset(value)}"
    )


def _offset(value: dt.datetime) -> str:
    # strftime("%z") gives the same text but costs more than the rest of the line.
    offset = value.utcoffset()
    if not offset:
        return "+0000"
    if offset % _MINUTE:
        return value.strftime("%z")
    minutes = offset // _MINUTE
    hours, minutes = divmod(abs(minutes), 60)
    return f"{'-' if offset < _ZERO else '+'}{hours:02d}{minutes:02d}"


def parse_iso_datetime(text: str) -> dt.datetime:
    """Read an ISO 8601 timestamp (``2016-01-01T00:00:00Z``); naive ones are UTC."""
    try:
        return iso8601.parse_date(text, default_timezone=UTC)
    except iso8601.ParseError as exc:
        raise ValueError(f"not a timestamp Twilio writes: {text!r}") from exc


def format_iso_datetime(value: dt.datetime) -> str:
    """Write an ISO 8601 timestamp in UTC with a ``Z``, as Twilio does."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_date(text: str) -> dt.date:
    """Read an ISO date (``2012-09-01``)."""
    return dt.date.fromisoformat(text)


def as_utc(value: dt.datetime) -> dt.datetime:
    """The same instant in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def day_of(value: dt.date) -> dt.date:
    """The UTC calendar day of a date or datetime (Twilio's date filters are by day)."""
    if isinstance(value, dt.datetime):
        return as_utc(value).date()
    return value


# --- values people give -----------------------------------------------------------------


def given(value: Any, where: str) -> dt.date | None:
    """A date or datetime a user gave (a ``date``, a ``datetime`` or ISO 8601 text),
    as a date or an aware datetime; None when it is none of those."""
    if isinstance(value, str):
        value = _read_iso(value)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else aware(value, where)
    return value if isinstance(value, dt.date) else None


def _read_iso(text: str) -> dt.date | dt.datetime | None:
    text = text.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return iso8601.parse_date(text, default_timezone=None)
    except (ValueError, iso8601.ParseError):
        return None


def aware(value: dt.datetime, where: str) -> dt.datetime:
    """A naive datetime read in the current time zone, with a NaiveDateTimeWarning.

    The warning points at the caller's line (so, as warnings are by default,
    it is shown once per line of user code) and does not carry the value, so a
    loop at one line warns once.
    """
    zone = current_zone()
    warnings.warn(
        f"{where} was given a naive datetime; it is read in the current time zone "
        f"({zone or 'local time'}). Give an aware datetime (tzinfo=...) to say which.",
        NaiveDateTimeWarning,
        stacklevel=_outside_twiliorm(),
    )
    return value.replace(tzinfo=zone) if zone is not None else value.astimezone()


def current_zone() -> dt.tzinfo | None:
    """Django's current time zone when Django's settings are configured, else None
    (the process's local zone)."""
    conf = sys.modules.get("django.conf")  # configured settings mean it is imported already
    if conf is None or not conf.settings.configured:
        return None
    timezone = importlib.import_module("django.utils.timezone")  # Django has no type hints
    zone: dt.tzinfo = timezone.get_current_timezone()
    return zone


def _outside_twiliorm() -> int:
    """The ``stacklevel`` that points a warning at the first frame outside twiliorm."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("twiliorm"):
        frame, level = frame.f_back, level + 1
    return level
