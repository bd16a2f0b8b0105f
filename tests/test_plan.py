"""Query plans compile to the right request, with no network at all."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import pytest

import twiliorm
from twiliorm import (
    AvailablePhoneNumber,
    Call,
    FieldError,
    IncomingPhoneNumber,
    Message,
    Participant,
    UsageRecord,
    ValidationError,
)
from twiliorm.query import Query

AC = "AC" + "a" * 32


def compiled(qs: twiliorm.QuerySet) -> tuple[str, dict[str, str]]:
    plan = qs.query.compile(AC)
    parts = urllib.parse.urlsplit(plan.url)
    return parts.path, dict(urllib.parse.parse_qsl(parts.query))


def test_filters_become_query_params_and_exclude_stays_on_the_client() -> None:
    qs = Message.objects.filter(to="+13453453344", date_sent__gte=dt.date(2026, 1, 1)).exclude(
        status="failed"
    )
    path, params = compiled(qs)
    assert path == f"/2010-04-01/Accounts/{AC}/Messages.json"
    assert params == {"To": "+13453453344", "DateSent>": "2026-01-01", "PageSize": "1000"}
    plan = qs.query.compile(AC)
    assert plan.client == ("exclude(status__exact='failed')",)
    assert plan.predicate is not None
    assert plan.predicate({"status": "failed"}) is False
    assert plan.predicate({"status": "delivered"}) is True


def test_wire_encoding_of_inequality_params() -> None:
    plan = Message.objects.filter(date_sent__gte=dt.date(2026, 1, 1)).query.compile(AC)
    assert "DateSent%3E=2026-01-01" in plan.url


@pytest.mark.parametrize(
    ("lookup", "value", "param", "day", "refined"),
    [
        ("gte", dt.date(2026, 1, 2), "DateSent>", "2026-01-02", False),
        ("gt", dt.date(2026, 1, 2), "DateSent>", "2026-01-03", False),
        ("lte", dt.date(2026, 1, 2), "DateSent<", "2026-01-02", False),
        ("lt", dt.date(2026, 1, 2), "DateSent<", "2026-01-01", False),
        ("exact", dt.date(2026, 1, 2), "DateSent", "2026-01-02", False),
        (
            "gt",
            dt.datetime(2026, 1, 2, 12, 30, tzinfo=dt.timezone.utc),
            "DateSent>",
            "2026-01-02",
            True,
        ),
        (
            "lt",
            dt.datetime(2026, 1, 2, 12, 30, tzinfo=dt.timezone.utc),
            "DateSent<",
            "2026-01-02",
            True,
        ),
    ],
)
def test_date_lookups_are_sent_by_day_and_refined_when_finer(
    lookup, value, param, day, refined
) -> None:
    plan = Message.objects.filter(**{f"date_sent__{lookup}": value}).query.compile(AC)
    assert dict(plan.params) == {param: day}
    assert bool(plan.client) is refined


def test_datetime_refinement_drops_the_earlier_records_of_that_day() -> None:
    cutoff = dt.datetime(2026, 1, 2, 12, 0, tzinfo=dt.timezone.utc)
    plan = Message.objects.filter(date_sent__gt=cutoff).query.compile(AC)
    assert plan.predicate is not None
    assert plan.predicate({"date_sent": "Fri, 02 Jan 2026 12:00:01 +0000"})
    assert not plan.predicate({"date_sent": "Fri, 02 Jan 2026 12:00:00 +0000"})
    assert not plan.predicate({"date_sent": "Fri, 02 Jan 2026 08:00:00 +0000"})


def test_slices_choose_the_page_size() -> None:
    assert compiled(Message.objects.all()[:20])[1]["PageSize"] == "20"
    assert compiled(Message.objects.all()[40:60])[1]["PageSize"] == "60"
    assert compiled(Message.objects.all()[:5000])[1]["PageSize"] == "1000"
    assert compiled(Message.objects.all())[1]["PageSize"] == "1000"


def test_a_sid_lookup_compiles_to_the_instance_path() -> None:
    sid = "SM" + "b" * 32
    plan = Message.objects.filter(sid=sid).query.compile(AC)
    assert plan.by_pk
    assert plan.url == f"/2010-04-01/Accounts/{AC}/Messages/{sid}.json"


def test_server_filters_for_calls_and_participants() -> None:
    path, params = compiled(Call.objects.filter(status="busy", start_time__gte=dt.date(2026, 3, 1)))
    assert params == {"Status": "busy", "StartTime>": "2026-03-01", "PageSize": "1000"}
    conf = "CF" + "c" * 32
    path, params = compiled(Participant.objects.filter(conference=conf, muted=True))
    assert path.endswith(f"/Conferences/{conf}/Participants.json")
    assert params == {"Muted": "true", "PageSize": "1000"}


def test_available_numbers_search_params_and_type_path() -> None:
    qs = AvailablePhoneNumber.objects.filter(
        country="US",
        type=twiliorm.TOLL_FREE,
        area_code=800,
        contains="WOLF",
        sms_enabled=True,
        near_lat_long="37.84,-122.27",
        distance=50,
        in_region="CA",
    )
    path, params = compiled(qs)
    assert path == f"/2010-04-01/Accounts/{AC}/AvailablePhoneNumbers/US/TollFree.json"
    assert params["AreaCode"] == "800"
    assert params["Contains"] == "WOLF"
    assert params["SmsEnabled"] == "true"
    assert params["NearLatLong"] == "37.84,-122.27"
    assert params["Distance"] == "50"
    assert params["InRegion"] == "CA"


def test_default_number_type_is_local_in_the_us() -> None:
    path, _ = compiled(AvailablePhoneNumber.objects.all())
    assert path.endswith("/AvailablePhoneNumbers/US/Local.json")


def test_incoming_numbers_by_type_use_the_typed_path() -> None:
    path, _ = compiled(IncomingPhoneNumber.objects.filter(type="Mobile"))
    assert path.endswith("/IncomingPhoneNumbers/Mobile.json")
    path, _ = compiled(IncomingPhoneNumber.objects.all())
    assert path.endswith("/IncomingPhoneNumbers.json")


def test_usage_records_by_period() -> None:
    path, params = compiled(
        UsageRecord.objects.filter(
            period="Daily", category="sms", start_date__gte=dt.date(2026, 1, 1)
        )
    )
    assert path.endswith("/Usage/Records/Daily.json")
    assert params == {"Category": "sms", "StartDate": "2026-01-01", "PageSize": "1000"}


def test_unknown_field_lists_what_exists() -> None:
    with pytest.raises(FieldError) as info:
        Message.objects.filter(colour="red")
    assert "colour" in str(info.value)
    assert "date_sent" in str(info.value) and "to" in str(info.value)


def test_unknown_lookup_lists_the_lookups_of_the_field() -> None:
    with pytest.raises(FieldError) as info:
        Message.objects.filter(date_sent__contains="2026")
    assert "contains" in str(info.value) and "gte" in str(info.value)


def test_search_parameters_take_only_exact() -> None:
    with pytest.raises(FieldError):
        AvailablePhoneNumber.objects.exclude(contains="WOLF")


def test_participants_without_a_conference_say_it_is_required() -> None:
    with pytest.raises(FieldError) as info:
        Participant.objects.filter(muted=True).query.compile(AC)
    assert "conference" in str(info.value)


@pytest.mark.parametrize(
    "bad", ["../Calls", "SM123", "CA" + "a" * 32, "SM" + "g" * 32, "SM" + "a" * 32 + "/x"]
)
def test_sids_of_the_wrong_shape_are_refused_before_any_request(bad: str) -> None:
    with pytest.raises(ValidationError) as info:
        Message.objects.filter(sid=bad)
    assert isinstance(info.value, ValueError)


def test_path_parameters_are_validated_too() -> None:
    with pytest.raises(ValueError):
        Participant.objects.filter(conference="../../Accounts")
    with pytest.raises(ValueError):
        Message.objects.using(account="AC../x")


def test_explain_shows_both_halves_without_credentials() -> None:
    text = Message.objects.filter(to="+15558675310", body__contains="refund").explain()
    assert text.startswith("GET /2010-04-01/Accounts/")
    assert "To=%2B15558675310" in text
    assert "body__contains='refund'" in text


def test_query_is_a_frozen_value() -> None:
    base = Query(Message)
    narrowed = base.filter({"to": "+15558675310"})
    assert base.where == () and len(narrowed.where) == 1
    assert str(narrowed).startswith("GET ")


def test_filtering_after_slicing_is_refused() -> None:
    with pytest.raises(TypeError):
        Message.objects.all()[:5].filter(to="+15558675310")


def test_negative_indexing_is_refused() -> None:
    with pytest.raises(ValueError):
        Message.objects.all()[-1]
    with pytest.raises(ValueError):
        Message.objects.all()[-5:]


def test_a_child_fetched_by_sid_without_its_parent_says_what_is_missing() -> None:
    with pytest.raises(FieldError) as info:
        twiliorm.Media.objects.filter(sid="ME" + "a" * 32).query.compile(AC)
    assert "message" in str(info.value)


def test_only_the_first_sid_names_the_path_a_second_one_is_tested() -> None:
    a, b = "SM" + "a" * 32, "SM" + "b" * 32
    plan = Message.objects.filter(sid=a).filter(sid=b).query.compile(AC)
    assert plan.by_pk and plan.url.endswith(f"/Messages/{a}.json")
    assert plan.predicate is not None and not plan.predicate({"sid": a})


def test_a_path_parameter_given_twice_differently_is_refused() -> None:
    one, two = "CF" + "1" * 32, "CF" + "2" * 32
    assert Participant.objects.filter(conference=one).filter(conference=one).query.path
    with pytest.raises(FieldError):
        Participant.objects.filter(conference=one).filter(conference=two)


def test_exclude_with_nothing_excludes_nothing() -> None:
    plan = Message.objects.exclude().query.compile(AC)
    assert plan.predicate is None and not plan.scan


def test_a_search_parameter_needs_a_value() -> None:
    with pytest.raises(FieldError):
        AvailablePhoneNumber.objects.filter(contains=None)


def test_search_parameters_travel_with_a_fetch_by_sid() -> None:
    sid = "RE" + "c" * 32
    plan = twiliorm.Recording.objects.filter(sid=sid, include_soft_deleted=True).query.compile(AC)
    assert plan.by_pk and plan.url.endswith(f"/Recordings/{sid}.json?IncludeSoftDeleted=true")


def test_a_date_field_compares_with_a_timestamp_by_day() -> None:
    noon = dt.datetime(2026, 1, 2, 12, tzinfo=dt.timezone.utc)
    plan = UsageRecord.objects.filter(start_date__gte=noon, end_date=noon).query.compile(AC)
    assert plan.predicate is not None
    assert plan.predicate({"start_date": "2026-01-02", "end_date": "2026-01-02"})
    assert not plan.predicate({"start_date": "2026-01-01", "end_date": "2026-01-02"})


def test_decimals_compare_with_floats_as_written() -> None:
    plan = Message.objects.filter(price=-0.0075, to="+15558675310").query.compile(AC)
    assert plan.predicate is not None and plan.predicate({"price": "-0.00750"})


def test_an_enum_value_the_library_does_not_know_can_still_be_looked_for() -> None:
    plan = Message.objects.filter(status="teleported", to="+15558675310").query.compile(AC)
    assert plan.predicate is not None and plan.predicate({"status": "teleported"})
    iexact = Message.objects.filter(status__iexact="QUEUED", to="+15558675310").query.compile(AC)
    assert iexact.predicate is not None and iexact.predicate({"status": "queued"})


def test_a_client_side_filter_never_asks_for_tiny_pages() -> None:
    assert compiled(Message.objects.filter(body__contains="x")[:1])[1]["PageSize"] == "50"
    assert compiled(Message.objects.exclude(status="failed")[:100])[1]["PageSize"] == "100"


def test_an_account_sid_of_the_wrong_shape_never_reaches_a_path() -> None:
    with pytest.raises(ValidationError):
        Message.objects.all().query.compile("ACnot-a-sid")
