"""Conferences, participants, queues, recordings and transcriptions in the sandbox.

Calls join a conference by TwiML ``<Dial><Conference>``; participants are
muted, held and kicked over the API; the last one leaving ends it. A call
``<Enqueue>``-d waits as a queue member until dequeued. Recording a call
leaves a recording (and a transcription when asked), sent to the
``RecordingStatusCallback``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from twiliorm.sandbox import Clock, Sandbox, Settings

from .test_sandbox_lifecycle import Receiver, call, dial
from .test_sandbox_support import Raw

ROOM = "<Response><Dial><Conference>room</Conference></Dial></Response>"
SUPPORT = "<Response><Enqueue>support</Enqueue></Response>"


@pytest.fixture
def frozen() -> Iterator[Sandbox]:
    settings = Settings(call_delays=(1, 1, 10))
    with Sandbox(clock=Clock(frozen=True), settings=settings) as sandbox:
        yield sandbox


@pytest.fixture
def raw(frozen: Sandbox) -> Iterator[Raw]:
    raw = Raw(frozen)
    yield raw
    raw.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def conference(raw: Raw) -> dict[str, Any]:
    (found,) = raw("GET", f"{raw.a}/Conferences.json?FriendlyName=room").json()["conferences"]
    return dict(found)


def participants(raw: Raw, conference_sid: str, query: str = "") -> list[dict[str, Any]]:
    path = f"{raw.a}/Conferences/{conference_sid}/Participants.json{query}"
    found: list[dict[str, Any]] = raw("GET", path).json()["participants"]
    return found


def test_calls_join_a_conference_and_are_muted_held_and_kicked(frozen: Sandbox, raw: Raw) -> None:
    first, second, third = dial(raw, twiml=ROOM), dial(raw, twiml=ROOM), dial(raw, twiml=ROOM)
    frozen.advance(2)
    room = conference(raw)
    assert room["status"] == "in-progress"
    assert {p["call_sid"] for p in participants(raw, room["sid"])} == {first, second, third}
    base = f"{raw.a}/Conferences/{room['sid']}/Participants"
    muted = raw("POST", f"{base}/{first}.json", {"Muted": "true"}).json()
    held = raw("POST", f"{base}/{second}.json", {"Hold": "true"}).json()
    assert muted["muted"] is True and held["hold"] is True
    assert [p["call_sid"] for p in participants(raw, room["sid"], "?Muted=true")] == [first]
    assert [p["call_sid"] for p in participants(raw, room["sid"], "?Hold=true")] == [second]
    assert raw("DELETE", f"{base}/{third}.json").status == 204
    assert call(raw, third)["status"] == "completed"
    assert len(participants(raw, room["sid"])) == 2
    frozen.advance(600)
    assert call(raw, first)["status"] == "in-progress"  # a conference call stays until it ends


def test_the_last_participant_leaving_ends_the_conference(frozen: Sandbox, raw: Raw) -> None:
    first, second = dial(raw, twiml=ROOM), dial(raw, twiml=ROOM)
    frozen.advance(2)
    room = conference(raw)
    for sid in (first, second):
        raw("POST", f"{raw.a}/Calls/{sid}.json", {"Status": "completed"})
    ended = raw("GET", f"{raw.a}/Conferences/{room['sid']}.json").json()
    assert ended["status"] == "completed"
    assert ended["reason_conference_ended"] == "last-participant-left"
    assert participants(raw, room["sid"]) == []


def test_a_participant_added_over_the_api_dials_a_new_call(frozen: Sandbox, raw: Raw) -> None:
    dial(raw, twiml=ROOM)
    frozen.advance(2)
    room = conference(raw)
    form = {"From": "+15017122661", "To": "+15558675399", "Muted": "true"}
    added = raw("POST", f"{raw.a}/Conferences/{room['sid']}/Participants.json", form)
    assert added.status == 201
    leg = call(raw, added.json()["call_sid"])
    assert (leg["to"], leg["status"]) == ("+15558675399", "in-progress")
    assert added.json()["muted"] is True and len(participants(raw, room["sid"])) == 2


def test_ending_a_conference_over_the_api_hangs_everyone_up(frozen: Sandbox, raw: Raw) -> None:
    sids = [dial(raw, twiml=ROOM) for _ in range(2)]
    frozen.advance(2)
    room = conference(raw)
    raw("POST", f"{raw.a}/Conferences/{room['sid']}.json", {"Status": "completed"})
    assert conference(raw)["reason_conference_ended"] == "conference-ended-via-api"
    assert [call(raw, s)["status"] for s in sids] == ["completed", "completed"]


def test_a_queue_holds_its_members_until_dequeued(frozen: Sandbox, raw: Raw) -> None:
    first, second = dial(raw, twiml=SUPPORT), dial(raw, twiml=SUPPORT)
    frozen.advance(2)
    (queue,) = raw("GET", f"{raw.a}/Queues.json").json()["queues"]
    assert queue["friendly_name"] == "support" and queue["current_size"] == 2
    base = f"{raw.a}/Queues/{queue['sid']}/Members"
    frozen.advance(30)
    front = raw("GET", f"{base}/Front.json").json()
    assert (front["call_sid"], front["position"], front["wait_time"]) == (first, 1, 30)
    dequeued = raw("POST", f"{base}/Front.json", {"Url": "http://example.com/agent"})
    assert dequeued.status == 200 and dequeued.json()["call_sid"] == first
    (left,) = raw("GET", f"{base}.json").json()["queue_members"]
    assert (left["call_sid"], left["position"]) == (second, 1)
    assert raw("GET", f"{raw.a}/Queues/{queue['sid']}.json").json()["current_size"] == 1
    frozen.advance(10)
    assert call(raw, first)["status"] == "completed"
    missing = raw("POST", f"{base}/{second}.json", {})
    assert (missing.status, missing.json()["code"]) == (400, 20001)


def test_a_recorded_call_leaves_a_recording_and_transcription(
    frozen: Sandbox, raw: Raw, receiver: Receiver
) -> None:
    twiml = '<Response><Say>Leave a message</Say><Record transcribe="true"/></Response>'
    sid = dial(raw, twiml=twiml, RecordingStatusCallback=receiver.url)
    frozen.advance(12)
    (recording,) = raw("GET", f"{raw.a}/Calls/{sid}/Recordings.json").json()["recordings"]
    assert (recording["call_sid"], recording["duration"]) == (sid, "10")
    everywhere = raw("GET", f"{raw.a}/Recordings.json").json()["recordings"]
    assert [r["sid"] for r in everywhere] == [recording["sid"]]
    path = f"{raw.a}/Recordings/{recording['sid']}/Transcriptions.json"
    (transcription,) = raw("GET", path).json()["transcriptions"]
    assert transcription["recording_sid"] == recording["sid"]
    assert transcription["transcription_text"]
    assert frozen.wait_for_callbacks()
    (_, form, _) = receiver.received[0]
    assert form["RecordingSid"] == recording["sid"] and form["RecordingDuration"] == "10"
    assert form["RecordingUrl"] == f"{frozen.base_url}{raw.a}/Recordings/{recording['sid']}"


def test_a_call_in_progress_can_be_recorded_over_the_api(frozen: Sandbox, raw: Raw) -> None:
    sid = dial(raw)
    early = raw("POST", f"{raw.a}/Calls/{sid}/Recordings.json", {})
    assert (early.status, early.json()["code"]) == (400, 21220)
    frozen.advance(2)
    started = raw("POST", f"{raw.a}/Calls/{sid}/Recordings.json", {})
    assert started.status == 201
    assert (started.json()["status"], started.json()["source"]) == (
        "in-progress",
        "StartCallRecordingAPI",
    )
    assert "media_url" not in started.json()  # not a key of a call's recording


def test_redirecting_a_call_moves_it_out_of_its_conference(frozen: Sandbox, raw: Raw) -> None:
    first, second = dial(raw, twiml=ROOM), dial(raw, twiml=ROOM)
    frozen.advance(2)
    room = conference(raw)
    raw("POST", f"{raw.a}/Calls/{first}.json", {"Twiml": SUPPORT})
    assert [p["call_sid"] for p in participants(raw, room["sid"])] == [second]
    (queue,) = raw("GET", f"{raw.a}/Queues.json").json()["queues"]
    assert queue["current_size"] == 1
