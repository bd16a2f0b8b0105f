"""Details where the sandbox must answer as Twilio does, found in review.

List order (queue members by position), add-on results made once whatever
the readers, SMS segments counted as Twilio counts them, XML that parses
whatever the values hold, forms in another charset, 405 with ``Allow``,
unknown countries and malformed dates answered with Twilio's codes.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from typing import Any

import pytest

from twiliorm.sandbox import Clock, Sandbox, Settings
from twiliorm.sandbox.behaviours.messages import segments
from twiliorm.sandbox.store import Store

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
    assert [(m["call_sid"], m["position"]) for m in members] == list(zip(calls, [1, 2, 3]))
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
            try:  # both readers look before either writes, unless one waits for the other
                readers_met.wait(2)
            except threading.BrokenBarrierError:
                pass
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
