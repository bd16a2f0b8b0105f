"""Details where the sandbox must answer as Twilio does, found in review.

List order (queue members by position), add-on results made once whatever
the readers, SMS segments counted as Twilio counts them, XML that parses
whatever the values hold, forms in another charset, 405 with ``Allow``,
unknown countries and malformed dates answered with Twilio's codes.
"""

from __future__ import annotations

import contextlib
import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from typing import Any

import pytest

from twiliorm.sandbox import Clock, Sandbox, Settings
from twiliorm.sandbox.behaviours.messages import segments
from twiliorm.sandbox.store import Store

from .test_sandbox_errors import _send
from .test_sandbox_support import Raw

MESSAGE = {"To": "+15558675310", "From": "+15017122661", "Body": "Hello"}
WAIT = "<Response><Enqueue>support</Enqueue></Response>"


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(clock=Clock(frozen=True), settings=Settings(call_delays=(1, 1, 10))) as sb:
        yield sb


@pytest.fixture
def raw(sandbox: Sandbox) -> Iterator[Raw]:
    raw = Raw(sandbox)
    yield raw
    raw.close()


def call(raw: Raw, twiml: str, to: str = "+15558675310", **extra: str) -> str:
    form = {"To": to, "From": "+15017122661", "Twiml": twiml, **extra}  # extra may set From
    answer = raw("POST", f"{raw.a}/Calls.json", form)
    assert answer.status == 201, answer.body
    sid: str = answer.json()["sid"]
    return sid


def test_queue_members_are_listed_front_first(sandbox: Sandbox, raw: Raw) -> None:
    calls = [call(raw, WAIT, to=f"+1555867531{n}") for n in range(3)]
    sandbox.advance(2)
    (queue,) = raw("GET", f"{raw.a}/Queues.json").json()["queues"]
    members = raw("GET", f"{raw.a}/Queues/{queue['sid']}/Members.json").json()["queue_members"]
    assert [(m["call_sid"], m["position"]) for m in members] == list(
        zip(calls, [1, 2, 3], strict=True)
    )
    paged = raw("GET", f"{raw.a}/Queues/{queue['sid']}/Members.json?PageSize=2").json()
    assert [m["position"] for m in paged["queue_members"]] == [1, 2]
    rest = raw("GET", paged["next_page_uri"]).json()
    assert [m["position"] for m in rest["queue_members"]] == [3]
    back = raw("GET", rest["previous_page_uri"]).json()
    assert [m["position"] for m in back["queue_members"]] == [1, 2]
    front = raw("GET", f"{raw.a}/Queues/{queue['sid']}/Members/Front.json").json()
    assert (front["call_sid"], front["position"]) == (calls[0], 1)


def test_accounts_are_listed_oldest_first(raw: Raw) -> None:
    made = [
        raw("POST", "/2010-04-01/Accounts.json", {"FriendlyName": f"sub {n}"}).json()["sid"]
        for n in range(3)
    ]
    listed = raw("GET", "/2010-04-01/Accounts.json").json()["accounts"]
    assert [a["sid"] for a in listed] == [raw.account, *made]


def test_concurrent_readers_get_one_add_on_result(
    sandbox: Sandbox, raw: Raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = raw("POST", f"{raw.a}/IncomingPhoneNumbers.json", {"AreaCode": "415"}).json()
    addon = {"InstalledAddOnSid": "XE" + "a" * 32}
    path = f"{raw.a}/IncomingPhoneNumbers/{number['sid']}/AssignedAddOns.json"
    assert raw("POST", path, addon).status == 201
    sid = call(
        raw, "<Response><Say>hi</Say></Response>", From=number["phone_number"], Record="true"
    )
    sandbox.advance(30)
    (recording,) = raw("GET", f"{raw.a}/Calls/{sid}/Recordings.json").json()["recordings"]
    readers_met = threading.Barrier(2)
    state = Store.state

    def slow_state(self: Store, kind: str, key: str) -> dict[str, Any] | None:
        found = state(self, kind, key)
        if kind == "RecordingAddOnResult":
            # both readers look before either writes, unless one waits for the other
            with contextlib.suppress(threading.BrokenBarrierError):
                readers_met.wait(2)
        return found

    monkeypatch.setattr(Store, "state", slow_state)
    results = f"{raw.a}/Recordings/{recording['sid']}/AddOnResults.json"
    readers = [threading.Thread(target=lambda: Raw(sandbox)("GET", results)) for _ in range(2)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(30)
    assert len(raw("GET", results).json()["add_on_results"]) == 1


def test_a_country_without_stock_is_not_found(raw: Raw) -> None:
    answer = raw("GET", f"{raw.a}/AvailablePhoneNumbers/XX/Local.json")
    assert (answer.status, answer.json()["code"]) == (404, 20404)
    assert raw("GET", f"{raw.a}/AvailablePhoneNumbers/GB/Local.json").status == 200


def test_a_call_delay_that_is_no_number_answers_20001(raw: Raw) -> None:
    form = {"PhoneNumber": "+15558675310", "CallDelay": "soon"}
    answer = raw("POST", f"{raw.a}/OutgoingCallerIds.json", form)
    assert (answer.status, answer.json()["code"]) == (400, 20001)


@pytest.mark.parametrize(
    ("text", "times", "count"),
    [
        ("a", 160, 1),
        ("a", 161, 2),
        ("€", 80, 1),  # GSM-7 extension: two septets each
        ("€", 81, 2),
        ("[a", 100, 2),  # 300 septets
        ("{}", 40, 1),
        ("{}", 41, 2),
        ("é", 160, 1),  # in GSM-7's own table
        ("ж", 70, 1),  # UCS-2
        ("ж", 71, 2),
        ("😀", 35, 1),  # outside the BMP: two UTF-16 units each
        ("😀", 36, 2),
        ("😀", 70, 3),
    ],
)
def test_segments_are_counted_as_twilio_counts_them(text: str, times: int, count: int) -> None:
    assert segments(text * times) == count


def test_the_answer_carries_the_segment_count(raw: Raw) -> None:
    answer = raw("POST", f"{raw.a}/Messages.json", {**MESSAGE, "Body": "€" * 81})
    assert answer.json()["num_segments"] == "2"


def test_xml_is_well_formed_whatever_the_values_hold(raw: Raw) -> None:
    form = {**MESSAGE, "Body": "bell\x07 null\x00 tab\t ok"}
    sid = raw("POST", f"{raw.a}/Messages.json", form).json()["sid"]
    for path in (f"{raw.a}/Messages/{sid}", f"{raw.a}/Messages"):
        root = ElementTree.fromstring(raw("GET", path).body)
        assert root.tag == "TwilioResponse"
    (body,) = [e.text for e in root.iter("Body")]
    assert body == "bell null tab\t ok"
    assert raw("GET", f"{raw.a}/Messages/{sid}.json").json()["body"] == "bell\x07 null\x00 tab\t ok"


def test_a_form_is_decoded_by_its_charset(raw: Raw) -> None:
    body = "To=%2B15558675310&From=%2B15017122661&Body=caf%E9 cr%E8me".encode("ascii")
    headers = {"Content-Type": "application/x-www-form-urlencoded; charset=ISO-8859-1"}
    answer = raw("POST", f"{raw.a}/Messages.json", headers=headers, body=body)
    assert answer.status == 201 and answer.json()["body"] == "café crème"
    raw_latin = "To=%2B15558675310&From=%2B15017122661&Body=déjà".encode("latin-1")
    answer = raw("POST", f"{raw.a}/Messages.json", headers=headers, body=raw_latin)
    assert answer.status == 201 and answer.json()["body"] == "déjà"
    utf8 = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = raw("POST", f"{raw.a}/Messages.json", headers=utf8, body=b"To=%E9")
    assert (answer.status, answer.json()["code"]) == (400, 20001)  # UTF-8 by default
    unknown = {"Content-Type": "application/x-www-form-urlencoded; charset=klingon"}
    answer = raw("POST", f"{raw.a}/Messages.json", headers=unknown, body=b"To=1")
    assert (answer.status, answer.json()["code"]) == (400, 20001)
    assert "klingon" in answer.json()["message"]


@pytest.mark.parametrize("value", ["2026", "2026-01", "26", "Jul 2015"])
def test_a_date_filter_that_names_no_day_answers_20001(raw: Raw, value: str) -> None:
    for param in ("DateSent", "DateSent%3E", "DateSent%3C"):
        answer = raw("GET", f"{raw.a}/Messages.json?{param}={value.replace(' ', '%20')}")
        assert (answer.status, answer.json()["code"]) == (400, 20001), (param, value)
    day = raw("GET", f"{raw.a}/Messages.json?DateSent=Thu,%2030%20Jul%202015%2020:12:31%20%2B0000")
    assert day.status == 200


def test_405_answers_say_which_methods_are_allowed(raw: Raw) -> None:
    answer = raw("PUT", f"{raw.a}/Messages.json")
    assert (answer.status, answer.json()["code"]) == (405, 20004)
    assert answer.headers["Allow"] == "GET, HEAD, POST"
    instance = raw("PATCH", f"{raw.a}/Messages/SM{'0' * 32}.json")
    assert instance.status == 405 and instance.headers["Allow"] == "GET, HEAD, POST, DELETE"
    brewed = _send(raw, f"BREW {raw.a}/Calls.json HTTP/1.1\r\n")
    assert brewed.startswith(b"HTTP/1.1 405") and b"\r\nAllow: GET, HEAD, POST\r\n" in brewed


def test_seeded_records_are_made_as_the_api_makes_them(sandbox: Sandbox, raw: Raw) -> None:
    sandbox.populate(60, 60)
    made = raw("POST", f"{raw.a}/Messages.json", MESSAGE).json()
    placed = raw("GET", f"{raw.a}/Calls/{call(raw, '<Response/>')}.json").json()
    seeded = raw("GET", f"{raw.a}/Messages.json?PageSize=1000").json()["messages"][1:]
    calls = raw("GET", f"{raw.a}/Calls.json?PageSize=1000").json()["calls"][1:]
    assert len(seeded) == len(calls) == 60
    for message in seeded:
        assert set(message) == set(made)
        assert set(message["subresource_uris"]) == set(made["subresource_uris"])
        assert message["num_segments"] == str(segments(message["body"]))
        assert message["uri"] == f"{raw.a}/Messages/{message['sid']}.json"
    for seeded_call in calls:
        assert set(seeded_call) == set(placed)
        assert set(seeded_call["subresource_uris"]) == set(placed["subresource_uris"])
        number = seeded_call["from"]
        assert seeded_call["from_formatted"] == f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    failures = {
        (m["status"], m["error_code"], m["error_message"]) for m in seeded if m["error_code"]
    }
    assert failures <= {
        ("failed", 30008, "Unknown error"),
        ("undelivered", 30003, "Unreachable destination handset"),
    }
    assert ("failed", 30008, "Unknown error") in failures
