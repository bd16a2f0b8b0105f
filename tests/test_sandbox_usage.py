"""Usage records and usage triggers at scale and at the edges.

Daily (monthly, yearly) records are computed per page, not for the whole
range first; dates outside what the sandbox counts answer 400 (20001), not
500; listing triggers aggregates the usage once per request and category,
not once per trigger; and bringing a trigger up to date on a read never
undoes a concurrent update.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from twiliorm.sandbox import Clock, Sandbox
from twiliorm.sandbox.behaviours.usage import UsageRecords
from twiliorm.sandbox.store import Store

from .test_sandbox_support import Raw

START = dt.datetime(2026, 3, 30, 12, tzinfo=dt.timezone.utc)
TRIGGER = {"UsageCategory": "sms", "TriggerValue": "1000", "CallbackUrl": "http://127.0.0.1:9/t"}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock=Clock(frozen=True, start=START)) as sb:
        sb.populate(30, 30)
        yield sb


@pytest.fixture
def raw(sandbox: Sandbox) -> Iterator[Raw]:
    raw = Raw(sandbox)
    yield raw
    raw.close()


def rendered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The categories of every usage record the sandbox renders from now on."""
    seen: list[str] = []
    record = UsageRecords.record

    def counting(self: UsageRecords, *args: Any) -> dict[str, Any]:
        made = record(self, *args)
        seen.append(made["category"])
        return made

    monkeypatch.setattr(UsageRecords, "record", counting)
    return seen


def test_daily_records_render_only_the_page_asked_for(
    raw: Raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = rendered(monkeypatch)
    page = raw("GET", f"{raw.a}/Usage/Records/Daily.json?StartDate=1970-01-01&PageSize=20").json()
    assert len(page["usage_records"]) == len(seen) == 20  # not 56 years of days, 8 categories
    assert page["usage_records"][0]["start_date"] == "1970-01-01"
    following = raw("GET", page["next_page_uri"]).json()
    assert following["usage_records"][0]["start_date"] == "1970-01-03"  # 8 categories a day
    assert following["start"] == 20 and following["previous_page_uri"]


def test_the_last_page_of_a_long_range_ends_on_the_last_day(raw: Raw) -> None:
    query = "Category=sms&StartDate=2000-01-01&EndDate=9999-12-31&PageSize=5"
    first = raw("GET", f"{raw.a}/Usage/Records/Daily.json?{query}").json()
    days = (dt.date(9999, 12, 31) - dt.date(2000, 1, 1)).days + 1
    last = raw("GET", f"{raw.a}/Usage/Records/Daily.json?{query}&Page=9&PageToken=PA{days - 2}")
    assert [r["start_date"] for r in last.json()["usage_records"]] == ["9999-12-30", "9999-12-31"]
    assert last.json()["next_page_uri"] is None and first["next_page_uri"]


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ("Monthly", [("2025-12-15", "2025-12-31"), ("2026-01-01", "2026-01-31")]),
        ("Yearly", [("2025-12-15", "2025-12-31"), ("2026-01-01", "2026-02-10")]),
    ],
)
def test_monthly_and_yearly_intervals_are_cut_at_the_range(
    raw: Raw, period: str, expected: list[tuple[str, str]]
) -> None:
    query = "Category=calls&StartDate=2025-12-15&EndDate=2026-02-10&PageSize=2"
    page = raw("GET", f"{raw.a}/Usage/Records/{period}.json?{query}").json()
    assert [(r["start_date"], r["end_date"]) for r in page["usage_records"]] == expected


@pytest.mark.parametrize(
    "query",
    [
        "StartDate=0001-01-01",
        "StartDate=1800-01-01",
        "StartDate=-99999999999days",
        "EndDate=%2B99999999999days",
        "StartDate=2026-02-30",
    ],
)
def test_dates_out_of_range_answer_20001(raw: Raw, query: str) -> None:
    answer = raw("GET", f"{raw.a}/Usage/Records/Daily.json?{query}")
    assert (answer.status, answer.json()["code"]) == (400, 20001), answer.body


@pytest.mark.parametrize("token", ["PA99999999999999999999999", "PA1234567890123456789", "PA"])
def test_page_tokens_beyond_sqlite_integers_answer_20001(raw: Raw, token: str) -> None:
    for path in ("/Messages.json", "/Usage/Records/Daily.json"):
        answer = raw("GET", f"{raw.a}{path}?Page=1&PageToken={token}")
        assert (answer.status, answer.json()["code"]) == (400, 20001), (path, answer.body)
    assert raw("GET", f"{raw.a}/Messages.json?Page=1&PageToken=PA{'9' * 18}").status == 200


def aggregates(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The aggregate queries (scans and selects of the store) run from now on."""
    queries: list[str] = []
    for name in ("scan", "select"):
        original = getattr(Store, name, None)
        if original is None:
            continue

        def counting(self: Store, sql: str, *args: Any, _run: Any = original) -> Any:
            queries.append(sql)
            return _run(self, sql, *args)

        monkeypatch.setattr(Store, name, counting)
    return queries


def test_listing_triggers_aggregates_once_per_category(
    raw: Raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(10):
        assert raw("POST", f"{raw.a}/Usage/Triggers.json", TRIGGER).status == 201
    calls = {**TRIGGER, "UsageCategory": "calls", "Recurring": "daily"}
    assert raw("POST", f"{raw.a}/Usage/Triggers.json", calls).status == 201
    queries = aggregates(monkeypatch)
    listed = raw("GET", f"{raw.a}/Usage/Triggers.json").json()["usage_triggers"]
    assert len(listed) == 11
    assert len(queries) == 2  # sms over all time, calls today: one query each
    values = {(t["usage_category"], t["current_value"]) for t in listed}
    assert values == {
        ("sms", usage_of(raw, "", "sms")),
        ("calls", usage_of(raw, "/Today", "calls")),
    }


def usage_of(raw: Raw, period: str, category: str) -> str:
    records = raw("GET", f"{raw.a}/Usage/Records{period}.json?Category={category}").json()
    usage: str = records["usage_records"][0]["usage"]
    return usage


def test_a_read_never_undoes_a_concurrent_update(
    sandbox: Sandbox, raw: Raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = raw("POST", f"{raw.a}/Usage/Triggers.json", TRIGGER).json()["sid"]
    path = f"{raw.a}/Usage/Triggers/{sid}.json"
    message = {"To": "+15558675310", "From": "+15017122661", "Body": "more usage"}
    assert raw("POST", f"{raw.a}/Messages.json", message).status == 201  # the value moves
    behaviour = sandbox.app.behaviours.usage_triggers
    aggregated, updated = threading.Event(), threading.Event()
    current = behaviour.current

    def slow_current(*args: Any) -> str:
        value: str = current(*args)
        if not aggregated.is_set():  # the first read's aggregate: an update lands after it
            aggregated.set()
            updated.wait(10)
        return value

    monkeypatch.setattr(behaviour, "current", slow_current)
    reader = threading.Thread(target=lambda: Raw(sandbox)("GET", path))
    reader.start()
    assert aggregated.wait(10)
    assert raw("POST", path, {"FriendlyName": "renamed"}).status == 200
    updated.set()
    reader.join(10)
    assert raw("GET", path).json()["friendly_name"] == "renamed"


def test_a_trigger_value_that_is_no_number_answers_20001(raw: Raw) -> None:
    for value in ("abc", "nan", "inf", ""):
        answer = raw("POST", f"{raw.a}/Usage/Triggers.json", {**TRIGGER, "TriggerValue": value})
        assert (answer.status, answer.json()["code"]) == (400, 20001), value
    relative = raw("POST", f"{raw.a}/Usage/Triggers.json", {**TRIGGER, "TriggerValue": "+5"})
    body = relative.json()
    assert float(body["trigger_value"]) == float(body["current_value"]) + 5


class Held:
    """A connection whose usage aggregates wait until released: a long one, on demand."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.started, self.release = threading.Event(), threading.Event()

    def execute(self, sql: str, *args: Any) -> Any:
        if "$._created" in sql:
            self.started.set()
            self.release.wait(30)
        return self.inner.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_an_aggregate_does_not_hold_up_other_requests_on_a_file(tmp_path: Any) -> None:
    with Sandbox(db=str(tmp_path / "usage.db")) as sandbox:
        store = sandbox.store
        held = [Held(getattr(store, name)) for name in ("_db", "_reader") if hasattr(store, name)]
        for name, proxy in zip(("_db", "_reader"), held, strict=False):
            setattr(store, name, proxy)
        raw, other = Raw(sandbox), Raw(sandbox)
        usage = threading.Thread(target=lambda: raw("GET", f"{raw.a}/Usage/Records.json"))
        usage.start()
        assert any(h.started.wait(10) for h in held)
        answer: list[int] = []
        fetch = threading.Thread(
            target=lambda: answer.append(other("GET", f"{other.a}.json").status)
        )
        fetch.start()
        fetch.join(10)
        try:
            assert answer == [200]  # answered while the aggregate still runs
        finally:
            for proxy in held:
                proxy.release.set()
            usage.join(30)
            for name, proxy in zip(("_db", "_reader"), held, strict=False):
                setattr(store, name, proxy.inner)
            raw.close()
            other.close()


def test_a_scan_in_progress_holds_up_no_request(sandbox: Sandbox, raw: Raw) -> None:
    rows = sandbox.store.scan("SELECT seq FROM records WHERE resource='Message'", batch=5)
    first = next(rows)  # one batch read, the rest still to come: the lock is free meanwhile
    message = {"To": "+15558675310", "From": "+15017122661", "Body": "meanwhile"}
    assert raw("POST", f"{raw.a}/Messages.json", message).status == 201
    assert raw("GET", f"{raw.a}/Messages.json?PageSize=1").status == 200
    assert len([first, *rows]) >= 30
