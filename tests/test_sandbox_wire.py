"""The sandbox on the wire: the spec's paths, statuses, payload shapes and Twilio's headers.

A module-wide sandbox is put through a tour of the API (messages, calls in a
conference, recordings, numbers, queues, sub-accounts, a failure that leaves
a notification), then every answer is validated against Twilio's OpenAPI
contract as Twilio's own examples answer it (see test_sandbox_support), and
each payload must carry exactly the keys the spec gives it.
"""

from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from twiliorm.sandbox import Sandbox

from .test_sandbox_support import Raw, answer_problems, schema_keys

HOLD = "<Response><Dial><Conference>standup</Conference></Dial></Response>"
WAIT = "<Response><Enqueue>support</Enqueue></Response>"


class Tour:
    """A sandbox with one of everything, and the SIDs to reach them."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.raw = raw = Raw(sandbox)
        a = raw.a
        self.message = raw("POST", f"{a}/Messages.json", _msg("+15558675310")).json()["sid"]
        raw("POST", f"{a}/Messages.json", _msg("+15550030008"))  # fails: a notification
        self.call = raw("POST", f"{a}/Calls.json", _call(HOLD, Record="true")).json()["sid"]
        raw("POST", f"{a}/Calls.json", _call(HOLD))  # stays, so the conference goes on
        raw("POST", f"{a}/Calls.json", _call(WAIT))
        live = raw("GET", f"{a}/Conferences.json?Status=in-progress").json()["conferences"]
        self.conference = live[0]["sid"]
        self.queue = raw("GET", f"{a}/Queues.json").json()["queues"][0]["sid"]
        found = raw("GET", f"{a}/AvailablePhoneNumbers/US/Local.json?AreaCode=530").json()
        number = found["available_phone_numbers"][0]["phone_number"]
        bought = raw("POST", f"{a}/IncomingPhoneNumbers.json", {"PhoneNumber": number})
        self.number = bought.json()["sid"]
        raw("POST", f"{a}/Calls/{self.call}.json", {"Status": "completed"})  # leaves a recording
        self.recording = raw("GET", f"{a}/Recordings.json").json()["recordings"][0]["sid"]
        self.sub = raw("POST", "/2010-04-01/Accounts.json", {"FriendlyName": "sub"}).json()["sid"]


def _msg(to: str, **extra: str) -> dict[str, str]:
    return {"To": to, "From": "+15017122661", "Body": "Hello", **extra}


def _call(twiml: str, **extra: str) -> dict[str, str]:
    return {"To": "+15558675310", "From": "+15017122661", "Twiml": twiml, **extra}


@pytest.fixture(scope="module")
def tour() -> Iterator[Tour]:
    with Sandbox() as sandbox:
        tour = Tour(sandbox)
        yield tour
        tour.raw.close()


READS = [
    "/Messages.json",
    "/Messages.json?To=%2B15558675310&PageSize=1",
    "/Messages/{message}.json",
    "/Messages/{message}/Media.json",
    "/Calls.json",
    "/Calls/{call}.json",
    "/Calls/{call}/Recordings.json",
    "/Calls/{call}/Notifications.json",
    "/Conferences.json",
    "/Conferences/{conference}.json",
    "/Conferences/{conference}/Participants.json",
    "/Queues.json",
    "/Queues/{queue}.json",
    "/Queues/{queue}/Members.json",
    "/Recordings.json",
    "/Recordings/{recording}.json",
    "/Transcriptions.json",
    "/Notifications.json",
    "/IncomingPhoneNumbers.json",
    "/IncomingPhoneNumbers/{number}.json",
    "/IncomingPhoneNumbers/Local.json",
    "/AvailablePhoneNumbers.json",
    "/AvailablePhoneNumbers/US.json",
    "/AvailablePhoneNumbers/US/Local.json?AreaCode=415",
    "/AvailablePhoneNumbers/US/TollFree.json",
    "/Usage/Records.json",
    "/Usage/Records/Daily.json",
    "/Usage/Records/ThisMonth.json?Category=sms",
    "/Balance.json",
    ".json",
]


@pytest.mark.parametrize("path", READS)
def test_reads_answer_as_the_spec_says(tour: Tour, path: str) -> None:
    full = tour.raw.a + path.format(**vars(tour))
    answer = tour.raw("GET", full)
    assert answer.status == 200, answer.body
    assert answer.type.startswith("application/json")
    assert answer_problems("GET", full, answer) is None


def test_account_lists_answer_as_the_spec_says(tour: Tour) -> None:
    for path in ("/2010-04-01/Accounts.json", f"/2010-04-01/Accounts/{tour.sub}.json"):
        answer = tour.raw("GET", path)
        assert answer.status == 200
        assert answer_problems("GET", path, answer) is None


WRITES: list[tuple[str, str, dict[str, str], int]] = [
    ("POST", "/Messages.json", _msg("+15558675311"), 201),
    ("POST", "/Messages/{message}.json", {"Body": ""}, 200),
    ("POST", "/Calls.json", _call("<Response><Say>hi</Say></Response>"), 201),
    ("POST", "/Conferences/{conference}/Participants.json", {"From": "+1500", "To": "+1501"}, 201),
    ("POST", "/Queues.json", {"FriendlyName": "sales"}, 201),
    ("POST", "/IncomingPhoneNumbers/{number}.json", {"VoiceUrl": "http://example.com/v"}, 200),
]


@pytest.mark.parametrize(("method", "path", "form", "status"), WRITES)
def test_writes_answer_as_the_spec_says(
    tour: Tour, method: str, path: str, form: dict[str, str], status: int
) -> None:
    full = tour.raw.a + path.format(**vars(tour))
    answer = tour.raw(method, full, form)
    assert answer.status == status, answer.body
    assert answer_problems(method, full, answer, form) is None


@pytest.mark.parametrize(
    ("spec_path", "path"),
    [
        ("/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json", "/Messages/{message}.json"),
        ("/2010-04-01/Accounts/{AccountSid}/Calls/{Sid}.json", "/Calls/{call}.json"),
        (
            "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json",
            "/IncomingPhoneNumbers/{number}.json",
        ),
        (
            "/2010-04-01/Accounts/{AccountSid}/Conferences/{Sid}.json",
            "/Conferences/{conference}.json",
        ),
        ("/2010-04-01/Accounts/{AccountSid}/Queues/{Sid}.json", "/Queues/{queue}.json"),
        ("/2010-04-01/Accounts/{AccountSid}/Recordings/{Sid}.json", "/Recordings/{recording}.json"),
        ("/2010-04-01/Accounts/{AccountSid}/Notifications.json", "/Notifications.json"),
        ("/2010-04-01/Accounts/{AccountSid}/Usage/Records.json", "/Usage/Records.json"),
        (
            "/2010-04-01/Accounts/{AccountSid}/Conferences/{ConferenceSid}/Participants.json",
            "/Conferences/{conference}/Participants.json",
        ),
        (
            "/2010-04-01/Accounts/{AccountSid}/Queues/{QueueSid}/Members.json",
            "/Queues/{queue}/Members.json",
        ),
    ],
)
def test_payloads_have_exactly_the_specs_keys(tour: Tour, spec_path: str, path: str) -> None:
    data = tour.raw("GET", tour.raw.a + path.format(**vars(tour))).json()
    payloads = next((v for v in data.values() if isinstance(v, list)), None)
    for payload in payloads if payloads is not None else [data]:
        assert set(payload) == schema_keys(spec_path)


def test_a_page_has_one_list_key_beside_the_paging_keys(tour: Tour) -> None:
    raw = tour.raw
    page = raw("GET", f"{raw.a}/Messages.json?PageSize=1").json()
    paging = {"first_page_uri", "next_page_uri", "previous_page_uri", "page", "page_size"}
    assert set(page) == paging | {"start", "end", "uri", "messages"}
    assert len(page["messages"]) == 1
    assert page["next_page_uri"].startswith(f"{raw.a}/Messages.json?")
    assert "PageToken=" in page["next_page_uri"]
    following = raw("GET", page["next_page_uri"]).json()
    assert following["page"] == 1 and following["previous_page_uri"].startswith(raw.a)
    assert following["messages"][0]["sid"] != page["messages"][0]["sid"]


def test_payload_values_are_typed_as_twilio_sends_them(tour: Tour) -> None:
    raw = tour.raw
    message = raw("GET", f"{raw.a}/Messages/{tour.message}.json").json()
    assert message["num_segments"] == "1" and message["num_media"] == "0"
    assert message["price"] == "-0.00750" and message["status"] == "delivered"
    assert message["uri"] == f"{raw.a}/Messages/{tour.message}.json"
    assert message["subresource_uris"]["media"] == f"{raw.a}/Messages/{tour.message}/Media.json"
    for key in ("date_created", "date_sent", "date_updated"):
        parsed = dt.datetime.strptime(message[key], "%a, %d %b %Y %H:%M:%S %z")
        assert parsed.tzinfo is not None
    call = raw("GET", f"{raw.a}/Calls/{tour.call}.json").json()
    assert isinstance(call["duration"], str) and isinstance(call["queue_time"], str)


def test_every_answer_carries_twilios_headers(tour: Tour) -> None:
    raw = tour.raw
    answers = [
        raw("GET", f"{raw.a}/Messages.json"),
        raw("POST", f"{raw.a}/Messages.json", _msg("+15558675312")),
        raw("GET", f"{raw.a}/Messages/SM{'0' * 32}.json"),
        raw("GET", "/nowhere"),
    ]
    ids = set()
    for answer in answers:
        assert answer.headers["Twilio-Request-Id"].startswith("RQ")
        assert int(answer.headers["Twilio-Concurrent-Requests"]) >= 1
        ids.add(answer.headers["Twilio-Request-Id"])
    assert len(ids) == len(answers)


def test_create_answers_201_and_delete_204_with_no_body(tour: Tour) -> None:
    raw = tour.raw
    created = raw("POST", f"{raw.a}/Queues.json", {"FriendlyName": "temporary"})
    assert created.status == 201
    gone = raw("DELETE", f"{raw.a}/Queues/{created.json()['sid']}.json")
    assert (gone.status, gone.body) == (204, b"")
    again = raw("GET", f"{raw.a}/Queues/{created.json()['sid']}.json")
    assert again.status == 404 and again.json()["code"] == 20404


def test_an_empty_form_value_is_a_value(tour: Tour) -> None:
    raw = tour.raw
    sid = raw("POST", f"{raw.a}/Messages.json", _msg("+15558675313")).json()["sid"]
    redacted = raw("POST", f"{raw.a}/Messages/{sid}.json", [("Body", "")])
    assert redacted.status == 200 and redacted.json()["body"] == ""
    assert raw("GET", f"{raw.a}/Messages/{sid}.json").json()["body"] == ""
    missing = raw("POST", f"{raw.a}/Messages.json", {"To": "", "From": "+15017122661", "Body": "x"})
    assert (missing.status, missing.json()["code"]) == (400, 21604)


@pytest.fixture
def dated() -> Iterator[tuple[Raw, list[str]]]:
    """Three messages sent on 1, 2 and 3 March 2026 (a frozen clock moved between them)."""
    from twiliorm.sandbox import Clock

    start = dt.datetime(2026, 3, 1, 12, tzinfo=dt.timezone.utc)
    with Sandbox(clock=Clock(frozen=True, start=start)) as sandbox:
        raw = Raw(sandbox)
        sids = []
        for _ in range(3):
            sids.append(raw("POST", f"{raw.a}/Messages.json", _msg("+15558675310")).json()["sid"])
            sandbox.advance(24 * 3600)
        yield raw, sids
        raw.close()


def _sids(raw: Raw, **query: str) -> list[str]:
    answer = raw("GET", f"{raw.a}/Messages.json?{urllib.parse.urlencode(query)}")
    assert answer.status == 200, answer.body
    return [m["sid"] for m in answer.json()["messages"]]


@pytest.mark.parametrize(
    "day", ["2026-03-02", "2026-03-02T00:00:00Z", "2026-03-02T23:59:59Z", "2026-03-02 10:00:00"]
)
def test_date_filters_take_days_and_timestamps_inclusive_by_day(
    dated: tuple[Raw, list[str]], day: str
) -> None:
    raw, (first, second, third) = dated
    assert _sids(raw, **{"DateSent>": day}) == [third, second]
    assert _sids(raw, **{"DateSent<": day}) == [second, first]
    assert _sids(raw, DateSent=day) == [second]


def test_a_date_filter_that_is_no_date_is_refused(dated: tuple[Raw, list[str]]) -> None:
    raw, _ = dated
    answer = raw("GET", f"{raw.a}/Messages.json?DateSent%3E=yesterday")
    assert answer.status == 400
    assert answer.json()["code"] == 20001 and "DateSent>" in answer.json()["message"]


def _keys(answer: Any) -> set[str]:
    return set(answer.json())


def test_error_bodies_are_twilios_never_rfc9457(tour: Tour) -> None:
    raw = tour.raw
    stranger = Raw.__new__(Raw)
    stranger.__dict__.update(vars(raw))
    stranger.headers = {"Authorization": "Basic bm9ib2R5Om5vdGhpbmc="}
    answers = [
        raw("GET", f"{raw.a}/Messages/SM{'0' * 32}.json"),
        raw("GET", f"{raw.a}/Nothing.json"),
        raw("GET", f"{raw.a}/Messages.json?PageSize=1001"),
        raw("POST", f"{raw.a}/Messages.json", {"From": "+15017122661"}),
        raw("PUT", f"{raw.a}/Messages.json"),
        stranger("GET", f"{raw.a}/Messages.json"),
    ]
    for answer in answers:
        assert answer.status >= 400
        assert _keys(answer) == {"code", "message", "more_info", "status"}
        body = answer.json()
        assert body["status"] == answer.status
        assert body["more_info"] == f"https://www.twilio.com/docs/errors/{body['code']}"
    assert [a.json()["code"] for a in answers] == [20404, 20404, 20007, 21604, 20004, 20003]
