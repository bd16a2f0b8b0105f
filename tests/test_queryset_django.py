"""Django's QuerySet API over real HTTP against the sandbox: results, and what each costs.

Reads run against one populated sandbox (2,500 messages, 37 seconds apart, newest
first); each test counts the requests the sandbox logged for it. Writes get a
sandbox of their own.
"""

from __future__ import annotations

import collections
import decimal
import warnings
from collections.abc import Iterator
from typing import Any

import pytest

import twiliorm
from twiliorm import Application, Avg, Count, Max, Message, Min, Q, Sum
from twiliorm.client import set_client, set_default_client
from twiliorm.sandbox import Sandbox
from twiliorm.sandbox.app import LoggedRequest

from .helpers import record

A, B, C = "+14155550003", "+14155550006", "+14155550009"
TOTAL = 2_500


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        sandbox.populate(TOTAL, calls=0)
        yield sandbox


@pytest.fixture
def populated(sb: Sandbox) -> Iterator[twiliorm.Client]:
    client = sb.client()
    set_default_client(client)
    try:
        yield client
    finally:
        set_default_client(None)
        client.close()


@pytest.fixture(scope="module")
def listed(sb: Sandbox) -> list[Message]:
    """Every message, in the list's order (one read, before any test counts requests)."""
    with sb.client() as client:
        return list(Message.objects.using(client))


class Log:
    """The requests the sandbox logs from now on."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.start = len(sandbox.requests)

    @property
    def requests(self) -> list[LoggedRequest]:
        return self.sandbox.requests[self.start :]

    def __len__(self) -> int:
        return len(self.requests)


def sids(objects: Any) -> list[str]:
    return [m.sid for m in objects]


# --- OR and NOT ------------------------------------------------------------------------------


def test_an_or_of_api_filters_is_two_narrowed_reads_merged_in_list_order(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    log = Log(sb)
    with warnings.catch_warnings():
        warnings.simplefilter("error", twiliorm.ScanWarning)
        found = sids(Message.objects.filter(Q(to=A) | Q(from_=A)))
    expected = [m.sid for m in listed if A in (m.to, m.from_)]
    assert found == expected and len(set(found)) == len(found)
    assert 150 < len(found) < 1000  # one page each: one request each
    assert [r.params for r in log.requests] == [("To", "PageSize"), ("From", "PageSize")]


def test_in_on_an_api_filter_is_one_narrowed_read_per_value(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    log = Log(sb)
    found = sids(Message.objects.filter(to__in=[A, B]).exclude(status="failed"))
    expected = [m.sid for m in listed if m.to in (A, B) and m.status != "failed"]
    assert found == expected
    assert [r.params for r in log.requests] == [("To", "PageSize")] * 2


def test_a_sliced_or_reads_just_enough_of_each_branch(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    sent = record(populated)
    found = sids(Message.objects.filter(Q(to=A) | Q(to=B) | Q(from_=C))[:10])
    expected = [m.sid for m in listed if m.to in (A, B) or m.from_ == C][:10]
    assert found == expected
    assert len(sent.requests) == 3
    assert [sent.params(i)["PageSize"] for i in range(3)] == ["10"] * 3


def test_a_record_two_branches_match_comes_once(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    qs = Message.objects.filter(Q(to=A) | Q(to=A, from_=B) | Q(from_=B))
    expected = [m.sid for m in listed if m.to == A or m.from_ == B]
    assert sids(qs) == expected
    assert any(m.to == A and m.from_ == B for m in listed)  # the overlap the test is about


def test_a_branch_only_the_client_answers_makes_the_or_one_scan(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    qs = Message.objects.filter(Q(to=A) | Q(body__contains="monkey"))
    assert "GET " in qs.explain() and "OR:" not in qs.explain()
    log = Log(sb)
    with pytest.warns(twiliorm.ScanWarning):
        found = sids(qs)
    assert found == [m.sid for m in listed if m.to == A or "monkey" in (m.body or "")]
    assert len(log) == 3 and all(r.params[0] == "PageSize" for r in log.requests)


def test_what_every_branch_shares_is_sent_and_the_rest_tested(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    log = Log(sb)
    qs = Message.objects.filter(Q(to=A, body__contains="you") | Q(to=A, status="failed"))
    expected = [
        m.sid for m in listed if m.to == A and ("you" in (m.body or "") or m.status == "failed")
    ]
    assert sids(qs) == expected
    assert [r.params for r in log.requests] == [("To", "PageSize")]


def test_exclude_a_q_and_not(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    with pytest.warns(twiliorm.ScanWarning):
        found = sids(Message.objects.exclude(Q(to=A) | Q(status="failed")))
    assert found == [m.sid for m in listed if not (m.to == A or m.status == "failed")]
    narrowed = Message.objects.filter(~Q(status="delivered"), to=B)
    assert sids(narrowed) == [m.sid for m in listed if m.to == B and m.status != "delivered"]


def test_querysets_combine_with_or_and_and(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    log = Log(sb)
    either = Message.objects.filter(to=A) | Message.objects.filter(to=B)
    assert sids(either) == [m.sid for m in listed if m.to in (A, B)]
    assert len(log) == 2
    both = Message.objects.filter(to=A) & Message.objects.exclude(from_=C)
    assert sids(both) == [m.sid for m in listed if m.to == A and m.from_ != C]
    with pytest.raises(TypeError, match="slice"):
        Message.objects.all()[:3] | Message.objects.filter(to=A)


def test_union_intersection_difference_none_and_contains(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    to_a, to_b = Message.objects.filter(to=A), Message.objects.filter(to=B)
    from_c = Message.objects.filter(from_=C)
    log = Log(sb)
    either = [m.sid for m in listed if m.to in (A, B) or m.from_ == C]
    assert sids(to_a.union(to_b, from_c)) == either
    assert len(log) == 3
    assert sids(to_a.intersection(from_c)) == [m.sid for m in listed if m.to == A and m.from_ == C]
    assert sids(to_a.difference(from_c)) == [m.sid for m in listed if m.to == A and m.from_ != C]
    log = Log(sb)
    assert list(to_a.none().filter(from_=C)) == [] and to_a.none().count() == 0
    assert len(log) == 0
    mine = next(m for m in listed if m.to == A)
    assert to_a.contains(mine) and not to_b.contains(mine)
    assert [r.path.rsplit("/", 1)[1] for r in log.requests] == [f"{mine.sid}.json"] * 2


def test_explain_shows_each_branch_and_sends_nothing(
    sb: Sandbox, populated: twiliorm.Client
) -> None:
    log = Log(sb)
    text = Message.objects.filter(Q(to=A) | Q(from_=B)).explain()
    assert text.startswith("OR: 2 queries")
    assert "1. GET " in text and "To=%2B14155550003" in text
    assert "2. GET " in text and "From=%2B14155550006" in text
    assert "list's order (-date_created)" in text
    assert len(log) == 0


def test_sids_in_a_list_are_one_get_each(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    wanted = [listed[7].sid, listed[2].sid, "SM" + "0" * 32]
    log = Log(sb)
    assert sids(Message.objects.filter(sid__in=wanted)) == [listed[2].sid, listed[7].sid]
    assert sorted(r.path.rsplit("/", 1)[1] for r in log.requests) == sorted(
        f"{sid}.json" for sid in wanted
    )


def test_an_empty_in_asks_for_nothing(sb: Sandbox, populated: twiliorm.Client) -> None:
    log = Log(sb)
    assert list(Message.objects.filter(to__in=[])) == []
    assert len(log) == 0


def test_a_q_cannot_hide_what_names_the_list() -> None:
    with pytest.raises(twiliorm.FieldError, match="not inside an or"):
        twiliorm.Participant.objects.filter(Q(conference="CF" + "1" * 32) | Q(muted=True))
    with pytest.raises(TypeError):
        Message.objects.filter({"to": A})  # type: ignore[arg-type]
    assert repr(Q(to=A) | ~Q(status="failed")) == "(Q(to='+14155550003') | ~Q(status='failed'))"


# --- ordering --------------------------------------------------------------------------------


def test_the_lists_own_order_costs_nothing(sb: Sandbox, populated: twiliorm.Client) -> None:
    sent = record(populated)
    with warnings.catch_warnings():
        warnings.simplefilter("error", twiliorm.ScanWarning)
        first = sids(Message.objects.order_by("-date_created")[:5])
    assert first == sids(Message.objects.all()[:5])
    assert len(sent.requests) == 2 and sent.params(0)["PageSize"] == "5"
    assert "order:" not in Message.objects.order_by("-date_created").explain()


def test_another_order_is_sorted_on_the_client_and_says_so(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    qs = Message.objects.filter(to=A).order_by("-price", "date_sent")
    assert "order: -price, date_sent, on the client" in qs.explain()
    log = Log(sb)
    with warnings.catch_warnings():
        warnings.simplefilter("error", twiliorm.ScanWarning)  # narrowed: no scan
        found = list(qs[:20])
    mine = [m for m in listed if m.to == A]
    # Django's order for NULL on PostgreSQL: first when descending.
    expected = sorted(mine, key=lambda m: m.date_sent)
    expected.sort(key=lambda m: (m.price is not None, -(m.price or 0)))
    assert sids(found) == sids(expected[:20])
    assert len(log) == 1


def test_sorting_the_whole_list_warns_as_a_scan(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    with pytest.warns(twiliorm.ScanWarning, match="sorted on the client"):
        found = list(Message.objects.order_by("num_segments", "sid")[:3])
    assert sids(found) == sids(sorted(listed, key=lambda m: (m.num_segments, m.sid))[:3])


def test_reverse_last_earliest_and_latest(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    narrowed = Message.objects.filter(to=B)
    mine = [m for m in listed if m.to == B]
    assert sids(narrowed.reverse()) == sids(mine[::-1])
    log = Log(sb)
    assert narrowed.last() == mine[-1] and len(log) == 1
    assert narrowed.earliest() == mine[-1]
    priced = narrowed.filter(price__isnull=False)  # as in Django: NULL sorts first descending
    assert priced.latest("price", "date_sent") == max(
        (m for m in mine if m.price is not None), key=lambda m: (m.price, m.date_sent)
    )
    sent = record(populated)
    assert Message.objects.latest() == listed[0]  # the list's own order: one record
    assert len(sent.requests) == 1 and sent.params()["PageSize"] == "1"
    with pytest.raises(Message.DoesNotExist):
        Message.objects.filter(to="+14155559999").latest()


def test_order_by_checks_its_names() -> None:
    with pytest.raises(twiliorm.FieldError, match="Cannot order Message by 'colour'"):
        Message.objects.order_by("colour")
    with pytest.raises(TypeError):
        Message.objects.all()[:2].order_by("price")


# --- aggregates ------------------------------------------------------------------------------


def test_aggregate_is_one_pass_over_payloads(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("aggregate() built an object")

    monkeypatch.setattr(Message._meta, "_structure", refuse)
    log = Log(sb)
    totals = Message.objects.aggregate(
        Sum("price"), Min("date_sent"), Max("num_segments"), n=Count("sid"), avg=Avg("price")
    )
    prices = [m.price for m in listed if m.price is not None]
    assert totals == {
        "price__sum": sum(prices),
        "date_sent__min": min(m.date_sent for m in listed),
        "num_segments__max": max(m.num_segments for m in listed),
        "n": TOTAL,
        "avg": sum(prices) / len(prices),
    }
    assert len(log) == 3  # 2,500 records, 1000 a page
    assert Message.objects.filter(to="+14155559999").aggregate(Sum("price"), Count("sid")) == {
        "price__sum": None,
        "sid__count": 0,
    }


def test_spend_by_status_without_a_loop(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    since = listed[TOTAL // 2].date_sent.date()
    log = Log(sb)
    rows = list(
        Message.objects.filter(date_sent__gte=since)
        .values("status")
        .annotate(total=Sum("price"), n=Count("sid"))
    )
    expected: dict[Any, list[Any]] = collections.defaultdict(lambda: [None, 0])
    for m in listed:
        if m.date_sent.date() >= since:
            entry = expected[m.status]
            entry[0] = m.price if entry[0] is None else entry[0] + (m.price or 0)
            entry[1] += 1
    assert {r["status"]: [r["total"], r["n"]] for r in rows} == expected
    assert rows[0]["status"] == next(m.status for m in listed if m.date_sent.date() >= since)
    matched = sum(n for _, n in expected.values())
    assert len(log) == -(-matched // 1000)  # the matching records once, 1000 a page
    assert all(r.params[:2] == ("DateSent>", "PageSize") for r in log.requests)
    assert isinstance(rows[0]["total"], decimal.Decimal)


def test_annotate_needs_values_and_aliases_are_djangos() -> None:
    with pytest.raises(TypeError, match="values"):
        Message.objects.annotate(n=Count("sid"))
    with pytest.raises(TypeError, match="alias"):
        Message.objects.aggregate(Count("*"))


# --- small Django methods --------------------------------------------------------------------


def test_exists_on_a_client_refined_query_reads_pages_of_1000(
    sb: Sandbox, populated: twiliorm.Client
) -> None:
    sent = record(populated)
    with pytest.warns(twiliorm.ScanWarning):
        assert not Message.objects.filter(body__contains="no such words").exists()
    assert len(sent.requests) == 3
    assert {sent.params(i)["PageSize"] for i in range(3)} == {"1000"}


def test_values_list_named_and_distinct(
    sb: Sandbox, populated: twiliorm.Client, listed: list[Message]
) -> None:
    row = Message.objects.values_list("sid", "status", named=True)[0]
    assert (row.sid, row.status) == (listed[0].sid, listed[0].status)
    statuses = list(Message.objects.filter(to=A).values_list("status", flat=True).distinct())
    assert statuses == list(dict.fromkeys(m.status for m in listed if m.to == A))
    log = Log(sb)
    assert sids(Message.objects.distinct()[:5]) == sids(listed[:5]) and len(log) == 1
    with pytest.raises(TypeError):
        Message.objects.values_list("sid", flat=True, named=True)


def test_in_bulk_by_another_field(sb: Sandbox, populated: twiliorm.Client) -> None:
    log = Log(sb)
    with pytest.raises(ValueError, match="unique"):
        Message.objects.in_bulk([A, B], field_name="to")  # many messages to each
    assert [r.params for r in log.requests] == [("To", "PageSize")] * 2
    assert Message.objects.in_bulk([], field_name="to") == {}


def test_in_bulk_by_a_unique_field(client: twiliorm.Client, sandbox: Sandbox) -> None:
    made = [Application.objects.create(friendly_name=name) for name in ("a", "b", "c")]
    log = Log(sandbox)
    found = Application.objects.in_bulk(["a", "b"], field_name="friendly_name")
    assert found == {"a": made[0], "b": made[1]}
    assert [r.params for r in log.requests] == [("FriendlyName", "PageSize")] * 2
    assert Application.objects.in_bulk([made[2].sid]) == {made[2].sid: made[2]}


# --- writes ----------------------------------------------------------------------------------

URL = "https://example.com/"


def test_update_or_create(client: twiliorm.Client, sandbox: Sandbox) -> None:
    log = Log(sandbox)
    app, created = Application.objects.update_or_create(
        friendly_name="hub",
        defaults={"voice_url": URL + "updated"},
        create_defaults={"voice_url": URL + "new", "sms_url": URL + "sms"},
    )
    assert created and app.voice_url == URL + "new" and app.sms_url == URL + "sms"
    assert [r.method for r in log.requests] == ["GET", "POST"]
    log = Log(sandbox)
    again, created = Application.objects.update_or_create(
        friendly_name="hub", defaults={"voice_url": lambda: URL + "updated"}
    )
    assert not created and again == app and again.voice_url == URL + "updated"
    assert [r.method for r in log.requests] == ["GET", "POST"]
    assert Application.objects.get(sid=app.sid).voice_url == URL + "updated"


def test_bulk_update_is_one_post_per_object_and_answers_a_count(
    client: twiliorm.Client, sandbox: Sandbox
) -> None:
    made = [Application.objects.create(friendly_name=f"app {i}") for i in range(6)]
    for i, app in enumerate(made):
        app.voice_url = f"{URL}{i}"
    log = Log(sandbox)
    assert Application.objects.bulk_update(made, ["voice_url"], workers=3) == 6
    assert [r.method for r in log.requests] == ["POST"] * 6
    assert all(app.changed_fields() == [] for app in made)  # read back from each answer
    assert {a.sid: a.voice_url for a in Application.objects.all()} == {
        a.sid: f"{URL}{i}" for i, a in enumerate(made)
    }
    with pytest.raises(ValueError):
        Application.objects.bulk_update(made, [])
    with pytest.raises(twiliorm.FieldError):
        Application.objects.bulk_update(made, ["date_created"])  # read-only: nothing sent
    assert Application.objects.bulk_update([], ["voice_url"]) == 0
    assert len(log) == 7  # the six POSTs and the read above
    made[0].delete()
    with pytest.raises(twiliorm.BulkError, match="1 failed"):
        Application.objects.bulk_update(made[:3], ["voice_url"])
    assert Application.objects.bulk_update(made[:3], ["voice_url"], raise_on_failure=False) == 2


def test_refresh_from_db_only_the_fields_named(client: twiliorm.Client, sandbox: Sandbox) -> None:
    app = Application.objects.create(friendly_name="mine", voice_url=URL + "v1")
    Application.objects.get(sid=app.sid).update(voice_url=URL + "v2", sms_url=URL + "s2")
    app.friendly_name = "renamed"  # an unsaved edit
    log = Log(sandbox)
    app.refresh_from_db(fields=["voice_url"])
    assert [r.method for r in log.requests] == ["GET"]
    assert app.voice_url == URL + "v2" and app.sms_url is None and app.friendly_name == "renamed"
    assert app.changed_fields() == ["friendly_name"]
    app.refresh_from_db()
    assert app.friendly_name == "mine" and app.sms_url == URL + "s2"
    assert app.changed_fields() == []
    with pytest.raises(twiliorm.FieldError):
        app.refresh_from_db(fields=["colour"])


def test_save_using_a_client_or_its_alias(sandbox: Sandbox) -> None:
    main, other = sandbox.client(), sandbox.client()
    sent_main, sent_other = record(main), record(other)
    try:
        app = Application.objects.using(main).new(friendly_name="one")
        app.save(using=other)
        assert len(sent_other.requests) == 1 and sent_main.requests == []
        set_client("elsewhere", main)
        app.friendly_name = "two"
        app.save(using="elsewhere")
        assert len(sent_main.requests) == 1 and len(sent_other.requests) == 1
        assert Application.objects.using(other).get(sid=app.sid).friendly_name == "two"
    finally:
        set_client("elsewhere", None)
        main.close()
        other.close()


def test_an_aggregate_of_its_own_must_say_how_it_reads_its_result() -> None:
    from twiliorm.aggregates import Aggregate

    class Median(Aggregate):
        function = "median"

    with pytest.raises(TypeError, match="abstract method result"):
        Median("price")  # type: ignore[abstract]
