"""Lifecycles on the sandbox clock, the outcomes tests pick, and signed status callbacks.

A frozen clock (``Clock(frozen=True)``) with one second per step shows every
intermediate state; ``sandbox.advance(seconds)`` moves time and runs what
fell due. The ``To`` numbers of ``twiliorm.sandbox.MESSAGE_OUTCOMES`` and
``CALL_OUTCOMES`` choose how a message or call ends. Callbacks go to a
loopback receiver in this test, are signed with the account's own token,
and are sent from a background thread: a receiver that does not answer
blocks no request.
"""

from __future__ import annotations

import http.server
import threading
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

from twiliorm.sandbox import CALL_OUTCOMES, MESSAGE_OUTCOMES, Clock, Sandbox, Settings
from twiliorm.webhooks import validate_signature

from .test_sandbox_support import Raw

STEPS = Settings(message_delays=(1, 1, 1), call_delays=(1, 1, 10))
TALK = "<Response><Say>hello</Say></Response>"


class Receiver:
    """A loopback HTTP server that keeps every callback; ``hold`` makes it wait to answer."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, str], str]] = []
        self.hold = threading.Event()
        self.hold.set()
        self.status = 204
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                outer.hold.wait(30)
                signature = self.headers.get("X-Twilio-Signature", "")
                outer.received.append((self.path, form, signature))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/status"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def frozen() -> Iterator[Sandbox]:
    with Sandbox(clock=Clock(frozen=True), settings=STEPS) as sandbox:
        yield sandbox


@pytest.fixture
def raw(frozen: Sandbox) -> Iterator[Raw]:
    raw = Raw(frozen)
    yield raw
    raw.close()


def send(raw: Raw, to: str = "+15558675310", **extra: str) -> str:
    form = {"To": to, "From": "+15017122661", "Body": "Hello", **extra}
    answer = raw("POST", f"{raw.a}/Messages.json", form)
    assert answer.status == 201, answer.body
    sid: str = answer.json()["sid"]
    return sid


def message(raw: Raw, sid: str) -> dict[str, Any]:
    found: dict[str, Any] = raw("GET", f"{raw.a}/Messages/{sid}.json").json()
    return found


def dial(raw: Raw, to: str = "+15558675310", twiml: str = TALK, **extra: str) -> str:
    form = {"To": to, "From": "+15017122661", "Twiml": twiml, **extra}
    answer = raw("POST", f"{raw.a}/Calls.json", form)
    assert answer.status == 201, answer.body
    sid: str = answer.json()["sid"]
    return sid


def call(raw: Raw, sid: str) -> dict[str, Any]:
    found: dict[str, Any] = raw("GET", f"{raw.a}/Calls/{sid}.json").json()
    return found


# --- messages --------------------------------------------------------------------------


def test_a_message_goes_queued_sending_sent_delivered(frozen: Sandbox, raw: Raw) -> None:
    sid = send(raw)
    seen = [message(raw, sid)["status"]]
    for _ in range(3):
        frozen.advance(1)
        seen.append(message(raw, sid)["status"])
    assert seen == ["queued", "sending", "sent", "delivered"]
    final = message(raw, sid)
    assert final["price"] == "-0.00750" and final["error_code"] is None
    assert final["date_sent"] != final["date_created"]  # sent two clock seconds later


@pytest.mark.parametrize("to", sorted(MESSAGE_OUTCOMES))
def test_reserved_numbers_pick_how_a_message_ends(frozen: Sandbox, raw: Raw, to: str) -> None:
    outcome = MESSAGE_OUTCOMES[to]
    sid = send(raw, to)
    frozen.advance(60)
    final = message(raw, sid)
    assert final["status"] == outcome.status
    assert final["error_code"] == outcome.error_code
    assert final["error_message"] == outcome.error_message
    notes = raw("GET", f"{raw.a}/Notifications.json").json()["notifications"]
    if outcome.error_code is None:
        assert notes == []
    else:
        assert [n["error_code"] for n in notes] == [str(outcome.error_code)]
        assert notes[0]["log"] == "0" and sid in urllib.parse.unquote_plus(notes[0]["message_text"])


def test_a_failed_message_is_never_sent(frozen: Sandbox, raw: Raw) -> None:
    sid = send(raw, "+15550030008")
    frozen.advance(1)
    failed = message(raw, sid)
    assert (failed["status"], failed["date_sent"], failed["price"]) == ("failed", None, None)


def test_a_message_on_its_way_can_be_canceled_not_deleted(frozen: Sandbox, raw: Raw) -> None:
    sid = send(raw)
    refused = raw("DELETE", f"{raw.a}/Messages/{sid}.json")
    assert (refused.status, refused.json()["code"]) == (400, 20009)
    canceled = raw("POST", f"{raw.a}/Messages/{sid}.json", {"Status": "canceled"})
    assert canceled.json()["status"] == "canceled"
    frozen.advance(60)
    assert message(raw, sid)["status"] == "canceled"
    assert raw("DELETE", f"{raw.a}/Messages/{sid}.json").status == 204


def test_a_scheduled_message_is_sent_at_its_time(frozen: Sandbox, raw: Raw) -> None:
    send_at = frozen.app.now().timestamp() + 3600
    import datetime as dt

    when = dt.datetime.fromtimestamp(send_at, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    sid = send(raw, ScheduleType="fixed", SendAt=when, MessagingServiceSid="MG" + "a" * 32)
    frozen.advance(3500)
    assert message(raw, sid)["status"] == "scheduled"
    frozen.advance(200)
    assert message(raw, sid)["status"] == "delivered"


# --- status callbacks ---------------------------------------------------------------------


def test_each_change_is_called_back_signed_with_the_accounts_token(
    frozen: Sandbox, raw: Raw, receiver: Receiver
) -> None:
    sid = send(raw, StatusCallback=receiver.url)
    frozen.advance(3)
    assert frozen.wait_for_callbacks()
    statuses = [form["MessageStatus"] for _, form, _ in receiver.received]
    assert statuses == ["sending", "sent", "delivered"]
    for _, form, signature in receiver.received:
        assert form["MessageSid"] == sid and form["AccountSid"] == frozen.account_sid
        assert validate_signature(receiver.url, form, signature, frozen.auth_token)
        assert not validate_signature(receiver.url, form, signature, "0" * 32)


def test_a_failure_is_called_back_with_its_error_code(
    frozen: Sandbox, raw: Raw, receiver: Receiver
) -> None:
    send(raw, "+15550030003", StatusCallback=receiver.url)
    frozen.advance(3)
    assert frozen.wait_for_callbacks()
    last = receiver.received[-1][1]
    assert (last["MessageStatus"], last["ErrorCode"]) == ("undelivered", "30003")


def test_a_slow_receiver_blocks_no_request(frozen: Sandbox, raw: Raw, receiver: Receiver) -> None:
    receiver.hold.clear()  # the receiver will not answer until released
    sid = send(raw, StatusCallback=receiver.url)
    frozen.advance(3)
    assert message(raw, sid)["status"] == "delivered"  # answered while the callback hangs
    assert receiver.received == []
    receiver.hold.set()
    assert frozen.wait_for_callbacks()
    assert len(receiver.received) == 3


def test_a_callback_that_fails_leaves_a_notification(
    frozen: Sandbox, raw: Raw, receiver: Receiver
) -> None:
    receiver.status = 500
    send(raw, StatusCallback=receiver.url)
    frozen.advance(1)
    assert frozen.wait_for_callbacks()
    notes = raw("GET", f"{raw.a}/Notifications.json").json()["notifications"]
    assert notes and {n["error_code"] for n in notes} == {"11200"}
    detail = raw("GET", f"{raw.a}/Notifications/{notes[0]['sid']}.json").json()
    assert detail["request_url"] == receiver.url and detail["response_body"] == "HTTP 500"


def test_callbacks_only_go_to_loopback(frozen: Sandbox, raw: Raw) -> None:
    send(raw, StatusCallback="http://example.com/status")
    frozen.advance(1)
    assert frozen.wait_for_callbacks()
    (attempt,) = frozen.callbacks
    assert attempt.status is None and "loopback" in (attempt.error or "")


# --- calls ---------------------------------------------------------------------------------


def test_a_call_goes_queued_ringing_in_progress_completed(frozen: Sandbox, raw: Raw) -> None:
    sid = dial(raw)
    seen = [call(raw, sid)["status"]]
    for step in (1, 1, 10):
        frozen.advance(step)
        seen.append(call(raw, sid)["status"])
    assert seen == ["queued", "ringing", "in-progress", "completed"]
    done = call(raw, sid)
    assert done["duration"] == "10" and done["price"] == "-0.01400"
    assert done["start_time"] and done["end_time"]


@pytest.mark.parametrize("to", sorted(CALL_OUTCOMES))
def test_reserved_numbers_pick_how_a_call_ends(frozen: Sandbox, raw: Raw, to: str) -> None:
    sid = dial(raw, to)
    frozen.advance(120)
    ended = call(raw, sid)
    assert ended["status"] == CALL_OUTCOMES[to]
    assert ended["duration"] == "0" and ended["start_time"] is None
    notes = raw("GET", f"{raw.a}/Calls/{sid}/Notifications.json").json()["notifications"]
    assert [n["error_code"] for n in notes] == (["13224"] if to == "+15550001003" else [])


def test_no_answer_comes_after_the_calls_timeout(frozen: Sandbox, raw: Raw) -> None:
    sid = dial(raw, "+15550001002", Timeout="30")
    frozen.advance(30)
    assert call(raw, sid)["status"] == "ringing"
    frozen.advance(1)
    assert call(raw, sid)["status"] == "no-answer"


def test_a_ringing_call_is_canceled_and_a_live_one_hung_up(frozen: Sandbox, raw: Raw) -> None:
    ringing, talking = dial(raw), dial(raw)
    frozen.advance(1)
    canceled = raw("POST", f"{raw.a}/Calls/{ringing}.json", {"Status": "canceled"})
    assert canceled.status == 200 and call(raw, ringing)["status"] == "canceled"
    frozen.advance(1)
    assert call(raw, talking)["status"] == "in-progress"
    raw("POST", f"{raw.a}/Calls/{talking}.json", {"Status": "completed"})
    assert call(raw, talking)["status"] == "completed"
    late = raw("POST", f"{raw.a}/Calls/{talking}.json", {"Status": "canceled"})
    assert (late.status, late.json()["code"]) == (400, 21220)


def test_call_progress_events_go_to_the_status_callback(
    frozen: Sandbox, raw: Raw, receiver: Receiver
) -> None:
    events = "initiated ringing answered completed"
    sid = dial(raw, StatusCallback=receiver.url, StatusCallbackEvent=events)
    quiet = dial(raw, StatusCallback=receiver.url)  # only "completed", Twilio's default
    frozen.advance(12)
    assert frozen.wait_for_callbacks()
    by_call: dict[str, list[str]] = {}
    for _, form, signature in receiver.received:
        by_call.setdefault(form["CallSid"], []).append(form["CallStatus"])
        assert validate_signature(receiver.url, form, signature, frozen.auth_token)
    assert by_call[sid] == ["initiated", "ringing", "in-progress", "completed"]
    assert by_call[quiet] == ["completed"]
    final = [f for _, f, _ in receiver.received if f["CallSid"] == sid][-1]
    assert final["CallDuration"] == "10" and final["SequenceNumber"] == "3"
