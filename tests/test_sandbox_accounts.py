"""Sub-accounts kept apart, closed accounts locked out, and usage records from what happened."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from twiliorm.sandbox import Clock, Sandbox

from .test_sandbox_support import Raw

START = dt.datetime(2026, 3, 30, 12, tzinfo=dt.timezone.utc)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock=Clock(frozen=True, start=START)) as sb:
        yield sb


@pytest.fixture
def main(sandbox: Sandbox) -> Iterator[Raw]:
    raw = Raw(sandbox)
    yield raw
    raw.close()


def subaccount(main: Raw, sandbox: Sandbox, name: str) -> Raw:
    made = main("POST", "/2010-04-01/Accounts.json", {"FriendlyName": name}).json()
    assert made["owner_account_sid"] == main.account and made["status"] == "active"
    return Raw(sandbox, made["sid"], made["auth_token"])


def send(raw: Raw, to: str = "+15558675310", account: str | None = None) -> str:
    form = {"To": to, "From": "+15017122661", "Body": "Hello there"}
    answer = raw("POST", f"/2010-04-01/Accounts/{account or raw.account}/Messages.json", form)
    assert answer.status == 201, answer.body
    sid: str = answer.json()["sid"]
    return sid


def test_sub_accounts_are_kept_apart(sandbox: Sandbox, main: Raw) -> None:
    alpha, beta = subaccount(main, sandbox, "alpha"), subaccount(main, sandbox, "beta")
    mine = send(alpha)
    parents = send(main)
    assert alpha("GET", f"{alpha.a}/Messages/{mine}.json").status == 200
    for raw, path in (
        (alpha, f"{main.a}/Messages.json"),
        (alpha, f"{main.a}/Messages/{parents}.json"),
        (alpha, f"{main.a}.json"),
        (beta, f"{alpha.a}/Messages/{mine}.json"),
        (beta, f"{alpha.a}.json"),
    ):
        answer = raw("GET", path)
        assert (answer.status, answer.json()["code"]) == (401, 20003), path
    assert main("GET", f"{alpha.a}/Messages/{mine}.json").json()["sid"] == mine
    assert [m["sid"] for m in main("GET", f"{main.a}/Messages.json").json()["messages"]] == [
        parents
    ]
    listed = {a["sid"] for a in alpha("GET", "/2010-04-01/Accounts.json").json()["accounts"]}
    assert listed == {alpha.account}
    everyone = {a["sid"] for a in main("GET", "/2010-04-01/Accounts.json").json()["accounts"]}
    assert everyone == {main.account, alpha.account, beta.account}
    refused = alpha("POST", "/2010-04-01/Accounts.json", {"FriendlyName": "grandchild"})
    assert refused.status == 403


def test_a_closed_account_stops_working(sandbox: Sandbox, main: Raw) -> None:
    sub = subaccount(main, sandbox, "short-lived")
    key = sub("POST", f"{sub.a}/Keys.json", {"FriendlyName": "k"}).json()
    with_key = Raw(sandbox, sub.account, "unused")
    with_key.headers = urllib3.make_headers(basic_auth=f"{key['sid']}:{key['secret']}")
    assert with_key("GET", f"{sub.a}/Messages.json").status == 200
    assert sub("GET", f"{sub.a}/Messages.json").status == 200
    closed = main("POST", f"{sub.a}.json", {"Status": "closed"}).json()
    assert closed["status"] == "closed"
    for raw in (sub, with_key):
        answer = raw("GET", f"{sub.a}/Messages.json")
        assert (answer.status, answer.json()["code"]) == (401, 20003)
    reopened = main("POST", f"{sub.a}.json", {"Status": "active"})
    assert (reopened.status, reopened.json()["code"]) == (400, 21479)  # closed for good
    bad = main("POST", f"{sub.a}.json", {"Status": "asleep"})
    assert (bad.status, bad.json()["code"]) == (400, 21475)  # Twilio's invalid Status


def usage(raw: Raw, path: str = "/Usage/Records.json", **query: str) -> dict[str, Any]:
    import urllib.parse

    answer = raw("GET", f"{raw.a}{path}?{urllib.parse.urlencode(query)}")
    assert answer.status == 200, answer.body
    return {r["category"]: r for r in answer.json()["usage_records"]}


def test_usage_records_count_what_happened(sandbox: Sandbox, main: Raw) -> None:
    send(main)
    send(main, "+15550030008")  # failed: not billed
    long_body = {"To": "+15558675310", "From": "+15017122661", "Body": "x" * 200}
    main("POST", f"{main.a}/Messages.json", long_body)  # two segments
    twiml = "<Response><Say>hi</Say></Response>"
    main("POST", f"{main.a}/Calls.json", {"To": "+1555", "From": "+1666", "Twiml": twiml})
    sandbox.advance(1)
    records = usage(main)
    assert (records["sms"]["count"], records["sms"]["usage"]) == ("2", "3")
    assert records["sms"]["price"] == "0.015" and records["sms"]["price_unit"] == "usd"
    assert records["calls"]["count"] == "1" and records["calls-outbound"]["count"] == "1"
    assert records["totalprice"]["usage_unit"] == "usd"
    assert float(records["totalprice"]["price"]) == pytest.approx(0.015 + 0.014)
    assert records["sms"]["start_date"] == records["sms"]["end_date"] == "2026-03-30"


def test_usage_periods_and_filters(sandbox: Sandbox, main: Raw) -> None:
    send(main)
    sandbox.advance(3 * 24 * 3600)  # into April
    send(main)
    send(main)
    sandbox.advance(1)
    assert usage(main, "/Usage/Records/Today.json")["sms"]["count"] == "2"
    assert usage(main, "/Usage/Records/ThisMonth.json")["sms"]["start_date"] == "2026-04-01"
    assert usage(main, "/Usage/Records/LastMonth.json")["sms"]["count"] == "1"
    assert usage(main, "/Usage/Records/AllTime.json")["sms"]["count"] == "3"
    daily = main("GET", f"{main.a}/Usage/Records/Daily.json?Category=sms").json()["usage_records"]
    assert [(r["start_date"], r["end_date"], r["count"]) for r in daily] == [
        ("2026-03-30", "2026-03-30", "1"),
        ("2026-03-31", "2026-03-31", "0"),
        ("2026-04-01", "2026-04-01", "0"),
        ("2026-04-02", "2026-04-02", "2"),
    ]
    monthly = main("GET", f"{main.a}/Usage/Records/Monthly.json?Category=sms").json()
    assert [r["count"] for r in monthly["usage_records"]] == ["1", "2"]
    ranged = usage(main, StartDate="2026-04-01", EndDate="2026-04-30")
    assert ranged["sms"]["count"] == "2"
    relative = usage(main, StartDate="-1days")
    assert relative["sms"]["count"] == "2"
    bad = main("GET", f"{main.a}/Usage/Records.json?StartDate=soon")
    assert (bad.status, bad.json()["code"]) == (400, 20001)


def test_usage_includes_sub_accounts_unless_asked_not_to(sandbox: Sandbox, main: Raw) -> None:
    sub = subaccount(main, sandbox, "child")
    send(main)
    send(sub)
    sandbox.advance(1)
    assert usage(main)["sms"]["count"] == "2"
    assert usage(main, IncludeSubaccounts="false")["sms"]["count"] == "1"
    assert usage(sub)["sms"]["count"] == "1"


def test_usage_pages_like_any_list(sandbox: Sandbox, main: Raw) -> None:
    send(main)
    sandbox.advance(5 * 24 * 3600)
    first = main("GET", f"{main.a}/Usage/Records/Daily.json?PageSize=10").json()
    assert len(first["usage_records"]) == 10 and first["next_page_uri"]
    seen = [r["uri"] for r in first["usage_records"]]
    page = first
    while page["next_page_uri"]:
        page = main("GET", page["next_page_uri"]).json()
        seen += [r["uri"] for r in page["usage_records"]]
    assert len(seen) == len(set(seen)) == 6 * 8  # six days, eight categories


def test_the_main_account_cannot_change_its_own_status(sandbox: Sandbox, main: Raw) -> None:
    for status in ("closed", "suspended", "active"):
        answer = main("POST", f"{main.a}.json", {"Status": status})
        assert (answer.status, answer.json()["code"]) == (400, 21477), status
    assert main("GET", f"{main.a}.json").json()["status"] == "active"
    assert main("GET", f"{main.a}/Messages.json").status == 200  # still in business


def test_a_suspended_account_is_refused_until_reactivated(sandbox: Sandbox, main: Raw) -> None:
    sub = subaccount(main, sandbox, "resting")
    key = sub("POST", f"{sub.a}/Keys.json", {"FriendlyName": "k"}).json()
    with_key = Raw(sandbox, sub.account, "unused")
    with_key.headers = urllib3.make_headers(basic_auth=f"{key['sid']}:{key['secret']}")
    assert main("POST", f"{sub.a}.json", {"Status": "suspended"}).json()["status"] == "suspended"
    for raw in (sub, with_key):
        answer = raw("GET", f"{sub.a}/Messages.json")
        assert (answer.status, answer.json()["code"]) == (401, 20003)
    assert main("GET", f"{sub.a}/Messages.json").status == 200  # its parent still reaches it
    assert main("POST", f"{sub.a}.json", {"Status": "active"}).json()["status"] == "active"
    for raw in (sub, with_key):
        assert raw("GET", f"{sub.a}/Messages.json").status == 200


def test_a_standard_api_key_cannot_manage_accounts_or_keys(sandbox: Sandbox, main: Raw) -> None:
    key = main("POST", f"{main.a}/Keys.json", {"FriendlyName": "deploy"}).json()
    keyed = Raw(sandbox, main.account, "unused")
    keyed.headers = urllib3.make_headers(basic_auth=f"{key['sid']}:{key['secret']}")
    assert keyed("GET", f"{main.a}/Messages.json").status == 200
    assert send(keyed)  # everything else works
    for method, path, form in (
        ("GET", "/2010-04-01/Accounts.json", None),
        ("POST", "/2010-04-01/Accounts.json", {"FriendlyName": "by a key"}),
        ("GET", f"{main.a}.json", None),
        ("POST", f"{main.a}.json", {"FriendlyName": "renamed by a key"}),
        ("GET", f"{main.a}/Keys.json", None),
        ("POST", f"{main.a}/Keys.json", {"FriendlyName": "another"}),
        ("GET", f"{main.a}/Keys/{key['sid']}.json", None),
        ("DELETE", f"{main.a}/Keys/{key['sid']}.json", None),
    ):
        answer = keyed(method, path, form)
        assert (answer.status, answer.json()["code"]) == (401, 20003), (method, path)
    assert [a["sid"] for a in main("GET", "/2010-04-01/Accounts.json").json()["accounts"]] == [
        main.account
    ]
    assert main("GET", f"{main.a}.json").json()["friendly_name"] == "Sandbox account"


def test_no_answer_tells_whether_an_account_exists(sandbox: Sandbox, main: Raw) -> None:
    alpha, beta = subaccount(main, sandbox, "alpha"), subaccount(main, sandbox, "beta")
    nobody = "AC" + "0" * 32
    for raw, other in ((alpha, beta.account), (main, nobody), (alpha, nobody)):
        for method, tail in (("GET", ".json"), ("GET", "/Messages.json"), ("POST", ".json")):
            form = {"FriendlyName": "x"} if method == "POST" else None
            answer = raw(method, f"/2010-04-01/Accounts/{other}{tail}", form)
            assert (answer.status, answer.json()["code"]) == (401, 20003), (other, tail)
