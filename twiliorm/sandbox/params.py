"""A client's values as the sandbox reads them: the one place text becomes a day or a number.

Everything on the wire is text. A day filter (``DateSent>``, ``StartTime<``...) names
a day as ``YYYY-MM-DD``, as a full timestamp, or in one of the older forms Twilio
still takes; a whole number is ASCII digits with an optional sign, 18 digits at most
(so it fits SQLite's integers); a decimal may have a fraction as well. No spaces
around either: a text that passes here is one ``int()`` or ``float()`` takes, so a
behaviour reading the raw form value later cannot fail on it. Anything else
(a year of 20 digits, a number of 5,000 digits, ``1.5`` where a whole number goes,
Arabic-Indic digits) is Twilio's 400 with code 20001 naming the param, never a 500.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import re

from .errors import ApiError, bad_param

__all__ = ["check_number", "parse_day", "parse_int", "parse_lat_long"]

_WHOLE = re.compile(r"[-+]?[0-9]{1,18}")
# a leading "+" is a number too (a usage trigger's "+30" is 30 more than now)
_DECIMAL = re.compile(r"[-+]?[0-9]{1,18}(\.[0-9]{1,18})?")
_DATE_FORMATS = ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y", "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S")


def parse_int(param: str, text: str, low: int | None = None, high: int | None = None) -> int:
    """A whole number from ``low`` to ``high`` (either bound optional), or Twilio's 400."""
    if not _WHOLE.fullmatch(text):
        raise bad_param(param, text, hint="give a whole number")
    value = int(text)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ApiError(400, 20001, f"Parameter {param} must be {_range(low, high)}, got {value}")
    return value


def _range(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"from {low} to {high}"
    return f"at least {low}" if low is not None else f"at most {high}"


def check_number(param: str, text: str, *, whole: bool) -> str:
    """``text`` if it is a number (a whole one, if ``whole``), else Twilio's 400."""
    if not (_WHOLE if whole else _DECIMAL).fullmatch(text):
        raise bad_param(param, text, hint="give a whole number" if whole else "give a number")
    return text


def parse_lat_long(param: str, text: str) -> tuple[float, float]:
    """``37.77,-122.42``: a latitude and a longitude in degrees, or Twilio's 400."""
    lat_text, _, long_text = text.partition(",")
    try:
        lat, long = float(lat_text), float(long_text)
    except ValueError:
        lat = long = math.nan
    if not (-90 <= lat <= 90 and -180 <= long <= 180):  # NaN is outside too
        raise bad_param(param, text, hint="give latitude,longitude in degrees")
    return lat, long


def parse_day(param: str, value: str) -> dt.date:
    """The day a date filter names: ``YYYY-MM-DD``, a full timestamp, or the odd forms; a
    value that names no day (``2026``, ``2026-01``, a year past 9999) is Twilio's 400."""
    text = value.strip()
    try:
        if len(text) >= 10 and text[4] == "-":
            return dt.date.fromisoformat(text[:10])
        return _other(text)
    except (ValueError, TypeError, OverflowError):  # OverflowError: a year beyond C's long
        raise bad_param(param, value, hint="give a day as YYYY-MM-DD") from None


def _other(text: str) -> dt.date:
    # "06/11/2019 22:05:25 MST": the day is what matters; a zone name is dropped.
    candidates = [text, text.rsplit(" ", 1)[0]] if " " in text else [text]
    for candidate in candidates:
        for form in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(candidate, form).date()
            except ValueError:
                continue
    return email.utils.parsedate_to_datetime(text).date()  # RFC 2822, and nothing looser
