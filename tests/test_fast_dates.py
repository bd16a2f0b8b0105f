"""The fast path for Twilio's one timestamp shape agrees with the general parser.

``twiliorm.dates`` reads ``Thu, 30 Jul 2015 20:12:31 +0000`` by position and
writes an export cell's ISO text without a datetime; anything else goes to
``email.utils`` (then ISO 8601). These tests hold the fast path to the general
one: the same value for every string in the shape, and for a string one edit
away from it either the same value or no answer from the fast path. Pure: no
I/O.
"""

from __future__ import annotations

import datetime as dt
import email.utils

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from twiliorm import dates
from twiliorm.fields import Kind

UTC = dt.timezone.utc
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def general(text: str) -> dt.datetime | None:
    """What the general parser makes of ``text`` (None: it cannot read it)."""
    try:
        return dates._parse_rfc2822_slow(text)
    except ValueError:
        return None


def general_iso(text: str) -> str | None:
    value = general(text)
    return None if value is None else dates.format_iso_datetime(value)


def fast(text: str) -> dt.datetime | None:
    try:
        return dates.parse_rfc2822(text)
    except ValueError:
        return None


def day(text: str) -> dt.date | None:
    """The day a scan's split reads (None: no day)."""
    try:
        return dates.rfc2822_day(text)
    except ValueError:
        return None


def fast_iso(text: str) -> str | None:
    try:
        return dates.rfc2822_as_iso(text)
    except ValueError:
        return None


# Every string of the shape, real days or not: two digits for the day, a year of four.
shaped = st.builds(
    "{}, {:02d} {} {:04d} {:02d}:{:02d}:{:02d} +0000".format,
    st.sampled_from(DAYS),
    st.integers(0, 99),
    st.sampled_from(MONTHS),
    st.integers(0, 9999),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
)


@settings(max_examples=600, deadline=None)
@given(shaped)
def test_fast_equals_general_in_the_shape(text: str) -> None:
    assert fast(text) == general(text)
    assert fast_iso(text) == general_iso(text)
    assert dates.rfc2822_cell(text) == (general_iso(text) or text)  # unreadable: as it came
    value = general(text)
    assert day(text) == (None if value is None else value.astimezone(UTC).date())
    if fast(text) is not None:
        assert fast(text).utcoffset() == dt.timedelta(0)  # type: ignore[union-attr]


@settings(max_examples=300, deadline=None)
@given(st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31)))
def test_every_instant_twilio_writes_takes_the_fast_path(value: dt.datetime) -> None:
    value = value.replace(microsecond=0, tzinfo=UTC)
    text = dates.format_rfc2822(value)
    assert dates._fast_day(text)  # not the general parser: the speed is the point
    assert dates.parse_rfc2822(text) == value
    assert dates.rfc2822_as_iso(text) == value.strftime("%Y-%m-%dT%H:%M:%SZ")


ALPHABET = "0123456789 ,:+-AaJjFfMmSsTtWwNnDdOoyZ\t\n\u0661\u00a0"


@st.composite
def near_misses(draw: st.DrawFn) -> str:
    """A Twilio timestamp with one character replaced, inserted or removed."""
    moment = draw(st.datetimes(min_value=dt.datetime(1, 1, 1)))
    text = dates.format_rfc2822(moment.replace(microsecond=0))
    at = draw(st.integers(0, len(text) - 1))
    char = draw(st.sampled_from(ALPHABET))
    edit = draw(st.sampled_from(("replace", "insert", "delete")))
    if edit == "replace":
        return text[:at] + char + text[at + 1 :]
    if edit == "insert":
        return text[:at] + char + text[at:]
    return text[:at] + text[at + 1 :]


@settings(max_examples=1500, deadline=None)
@given(near_misses())
def test_near_misses_read_as_the_general_parser_reads_them(text: str) -> None:
    if dates._fast_day(text):
        # The fast path answered: the general parser must say the same.
        assert dates.parse_rfc2822(text) == general(text)
        assert dates.rfc2822_as_iso(text) == general_iso(text)
    else:
        assert fast(text) == general(text)
        assert fast_iso(text) == general_iso(text)
    assert dates.rfc2822_cell(text) == (fast_iso(text) or text)  # an export cell: the same
    assert day(text) == (None if fast(text) is None else dates.day_of(fast(text)))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "Thu, 30 Jul 0050 20:12:31 +0000",  # the general parser reads year 50 as 2050
        "Thu, 30 Jul 0999 20:12:31 +0000",  # strftime writes 999, not 0999
        "Thu, 31 Feb 2015 20:12:31 +0000",  # no such day
        "Thu, 30 Jul 2015 24:00:00 +0000",  # no such hour
        "Thu, 30 Jul 2015 20:12:60 +0000",  # a leap second: not Twilio's
        "Thu, 30 jul 2015 20:12:31 +0000",  # a month in lower case (the general parser reads it)
        "Thu, 30 Jul 2015 20:12:31 +0100",  # another offset
        "Thu, 30 Jul 2015 20:12:31 -0000",  # RFC 2822's 'unknown zone'
        "Thu, \u0663\u0660 Jul 2015 20:12:31 +0000",  # Arabic-Indic digits
        "Thu, 30 Jul 2015 201231.5 +0000",  # an ISO basic time, not RFC 2822
        "Xyz, 30 Jul 2015 20:12:31 +0000",  # no such weekday
        "Thu, 30 Jul 2015 20:12:31 +0000\n",
    ],
)
def test_odd_forms_go_to_the_general_parser(text: str) -> None:
    assert not dates._fast_day(text)
    assert fast(text) == general(text)
    assert fast_iso(text) == general_iso(text)


def test_the_general_parser_is_email_utils() -> None:
    # What the near-miss tests compare against: the standard library's reading.
    text = "Thu, 30 Jul 2015 20:12:31 +0100"
    assert dates.parse_rfc2822(text) == email.utils.parsedate_to_datetime(text)
    assert dates.rfc2822_as_iso(text) == "2015-07-30T19:12:31Z"


def test_an_export_cell_is_the_iso_text_or_the_text_as_sent() -> None:
    kind: Kind = dates_kind()
    assert kind.cell("Thu, 30 Jul 2015 20:12:31 +0000") == "2015-07-30T20:12:31Z"
    assert kind.cell("Thu, 30 Jul 2015 22:12:31 +0200") == "2015-07-30T20:12:31Z"
    assert kind.cell("not a date") == "not a date"


def dates_kind() -> Kind:
    from twiliorm.models import Message

    return Message._meta.fields["date_sent"].kind


@pytest.mark.parametrize(
    "text", ["Fri, 31 Dec 9999 23:30:00 -0100", "Sat, 01 Jan 0001 00:30:00 +0100"]
)
def test_an_instant_without_a_utc_form_is_a_value_error_not_an_overflow(text: str) -> None:
    # A hostile or broken server's timestamp: an export keeps the text, a merge says why.
    for convert in (dates.rfc2822_as_iso, dates.rfc2822_order_key):
        try:
            assert isinstance(convert(text), str)
        except ValueError as exc:  # not an OverflowError from the conversion to UTC
            assert "UTC form" in str(exc)
    assert dates_kind().cell("Fri, 31 Dec 9999 23:30:00 -0100") == "Fri, 31 Dec 9999 23:30:00 -0100"


@st.composite
def columns(draw: st.DrawFn) -> list[object]:
    """An export's column of a page: Twilio timestamps in list order (a day part or a
    few), now and then a near miss, a None, a number or another form."""
    start = draw(st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 1, 1)))
    steps = draw(st.lists(st.integers(0, 40_000), min_size=0, max_size=40))
    values: list[object] = []
    moment = start.replace(microsecond=0)
    for step in steps:
        moment -= dt.timedelta(seconds=step)
        values.append(dates.format_rfc2822(moment.replace(tzinfo=UTC)))
    if values and draw(st.booleans()):
        at = draw(st.integers(0, len(values) - 1))
        values[at] = draw(st.one_of(near_misses(), st.none(), st.integers(), st.just("")))
    return values


@settings(max_examples=1500, deadline=None)
@given(columns())
def test_a_column_at_a_time_gives_each_values_cell(values: list[object]) -> None:
    assert dates.rfc2822_cells(values) == [dates.rfc2822_cell(value) for value in values]


GOOD = "Thu, 30 Jul 2015 20:12:31 +0000"


@pytest.mark.parametrize(
    "values",
    [
        [GOOD, GOOD.replace("20:", "24:")],  # no such hour
        [GOOD, GOOD.replace("20:", "29:")],
        [GOOD.replace("20:", "19:"), GOOD.replace("20:", "23:")],  # the last hours there are
        [GOOD, GOOD.replace(":12:", ":60:")],  # no such minute
        [GOOD, GOOD.replace(":31 ", ":3\u0661 ")],  # an Arabic-Indic digit
        [GOOD[:-1], "0" + GOOD],  # 30 and 32 characters: 62 all the same
        [GOOD, "Fri, 31 Jul 2015 00:00:01 +0000", "Tue, 31 Feb 2015 00:00:01 +0000"],
        [GOOD, "Fri, 31 Jul 2015 00:00:01 +0000"],  # two day parts, both real
        [GOOD, "Thu, 30 Jul 2015\n20:12:31 +0000"[:31]],
    ],
)
def test_columns_that_look_shaped_at_a_glance(values: list[object]) -> None:
    assert dates.rfc2822_cells(values) == [dates.rfc2822_cell(value) for value in values]
