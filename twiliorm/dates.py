"""Dates as Twilio writes them, and back.

Twilio writes timestamps in one fixed RFC 2822 form,
``Thu, 30 Jul 2015 20:12:31 +0000``; parsing that form by position is several
times faster than ``email.utils`` and it is most of the per-record cost of
reading a page. Anything else falls back to the general RFC 2822 parser, then
to ISO 8601 (``iso8601``), so an unexpected form still reads correctly.
"""

from __future__ import annotations

import datetime as dt
import email.utils

import iso8601

UTC = dt.timezone.utc

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBERS = {name: f"{i:02d}" for i, name in enumerate(_MONTHS, start=1)}
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_from_iso = dt.datetime.fromisoformat


def parse_rfc2822(text: str) -> dt.datetime:
    """Read a Twilio timestamp; aware, in UTC when the offset is +0000."""
    if len(text) == 31 and text[26:] == "+0000" and text[3:5] == ", ":
        month = _MONTH_NUMBERS.get(text[8:11])
        if month is not None:
            try:
                return _from_iso(f"{text[12:16]}-{month}-{text[5:7]}T{text[17:25]}+00:00")
            except ValueError:
                pass
    return _parse_rfc2822_slow(text)


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
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    offset = value.strftime("%z") or "+0000"
    return (
        f"{_DAYS[value.weekday()]}, {value.day:02d} {_MONTHS[value.month - 1]} "
        f"{value.year:04d} {value.hour:02d}:{value.minute:02d}:{value.second:02d} {offset}"
    )


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
