"""Twilio's own Python client (the ``twilio`` package, 9.x) against the sandbox.

Nobody here wrote that client, so it checks the sandbox from outside: its
flows for messages, numbers, calls, conferences, queues, usage and
sub-accounts must work unchanged, and errors must reach it as its own
``TwilioRestException`` carrying Twilio's code.

Pointing it at the sandbox: every product of the official client is a
"domain" whose ``base_url`` is the only place the host lives
(``client.api`` is ``https://api.twilio.com``), so one assignment sends all
of the 2010 API to the sandbox, over the client's real HTTP stack::

    client = twilio.rest.Client(sandbox.account_sid, sandbox.auth_token)
    client.api.base_url = sandbox.base_url

(the ``edge``/``region`` options only rewrite ``*.twilio.com`` host names,
so they cannot reach a local server). Relative ``next_page_uri`` values are
joined to that same base URL by the client, so paging stays on the sandbox.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from twiliorm.sandbox import Clock, Sandbox

ROOM = "<Response><Dial><Conference>standup</Conference></Dial></Response>"
QUEUE = "<Response><Enqueue>support</Enqueue></Response>"
FROM = "+15017122661"


def official(sandbox: Sandbox, sid: str | None = None, token: str | None = None) -> Client:
    """The official client, talking to ``sandbox``."""
    client = Client(sid or sandbox.account_sid, token or sandbox.auth_token)
    client.api.base_url = sandbox.base_url
    return client


@pytest.fixture
def twilio(sandbox: Sandbox) -> Client:
    return official(sandbox)


def test_messages_created_paged_fetched_updated_redacted_deleted(twilio: Client) -> None:
    sent = [
        twilio.messages.create(to=f"+1555867530{n}", from_=FROM, body=f"n{n}") for n in range(7)
    ]
    assert all(m.status == "queued" and m.sid.startswith("SM") for m in sent)
    assert sent[0].num_segments == "1" and sent[0].date_created.tzinfo is not None
    listed = twilio.messages.list(page_size=3)
    assert [m.sid for m in listed] == [m.sid for m in reversed(sent)]  # three pages, newest first
    first = twilio.messages.page(page_size=3)
    second = first.next_page()
    assert second is not None and len(list(second)) == 3
    assert [m.body for m in twilio.messages.list(to="+15558675302")] == ["n2"]
    fetched = twilio.messages(sent[2].sid).fetch()
    assert (fetched.body, fetched.status, fetched.price) == ("n2", "delivered", "-0.00750")
    redacted = twilio.messages(sent[2].sid).update(body="")
    assert redacted.body == "" and twilio.messages(sent[2].sid).fetch().body == ""
    assert twilio.messages(sent[2].sid).delete() is True
    with pytest.raises(TwilioRestException) as missing:
        twilio.messages(sent[2].sid).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)
    assert len(twilio.messages.list()) == 6


def test_date_filters_sent_by_the_official_client(sandbox: Sandbox) -> None:
    start = dt.datetime(2026, 5, 1, 9, tzinfo=dt.timezone.utc)
    with Sandbox(clock=Clock(frozen=True, start=start)) as dated:
        twilio = official(dated)
        early = twilio.messages.create(to="+15558675310", from_=FROM, body="early")
        dated.advance(2 * 24 * 3600)
        late = twilio.messages.create(to="+15558675310", from_=FROM, body="late")
        dated.advance(1)
        after = twilio.messages.list(
            date_sent_after=dt.datetime(2026, 5, 2, tzinfo=dt.timezone.utc)
        )
        before = twilio.messages.list(
            date_sent_before=dt.datetime(2026, 5, 2, tzinfo=dt.timezone.utc)
        )
        on = twilio.messages.list(date_sent=dt.datetime(2026, 5, 3, tzinfo=dt.timezone.utc))
    assert [m.sid for m in after] == [late.sid]
    assert [m.sid for m in before] == [early.sid]
    assert [m.sid for m in on] == [late.sid]


def test_numbers_searched_bought_updated_released(twilio: Client) -> None:
    found = twilio.available_phone_numbers("US").local.list(area_code=530, contains="WOLF", limit=3)
    assert found and all(n.phone_number.startswith("+1530") for n in found)
    assert all("9653" in n.phone_number for n in found)  # WOLF on a keypad
    bought = twilio.incoming_phone_numbers.create(phone_number=found[0].phone_number)
    assert bought.phone_number == found[0].phone_number and bought.sid.startswith("PN")
    again = twilio.available_phone_numbers("US").local.list(area_code=530, contains="WOLF")
    assert bought.phone_number not in {n.phone_number for n in again}
    updated = twilio.incoming_phone_numbers(bought.sid).update(
        voice_url="http://example.com/voice", friendly_name="Main line"
    )
    assert (updated.voice_url, updated.friendly_name) == ("http://example.com/voice", "Main line")
    assert [n.sid for n in twilio.incoming_phone_numbers.list()] == [bought.sid]
    assert [n.sid for n in twilio.incoming_phone_numbers.local.list()] == [bought.sid]
    toll_free = twilio.available_phone_numbers("US").toll_free.list(limit=1)
    assert toll_free[0].phone_number.startswith(("+1800", "+1888", "+1877", "+1866", "+1855"))
    assert twilio.incoming_phone_numbers(bought.sid).delete() is True
    assert twilio.incoming_phone_numbers.list() == []


def test_calls_created_updated_listed(twilio: Client) -> None:
    talking = twilio.calls.create(to="+15558675310", from_=FROM, twiml=ROOM)
    busy = twilio.calls.create(to="+15550001001", from_=FROM, url="http://example.com/x")
    assert talking.status == "queued" and talking.to_formatted == "(555) 867-5310"
    assert twilio.calls(talking.sid).fetch().status == "in-progress"
    assert twilio.calls(busy.sid).fetch().status == "busy"
    hung_up = twilio.calls(talking.sid).update(status="completed")
    assert hung_up.sid == talking.sid
    ended = twilio.calls(talking.sid).fetch()
    assert ended.status == "completed" and ended.end_time is not None
    assert {c.sid for c in twilio.calls.list()} == {talking.sid, busy.sid}
    assert [c.sid for c in twilio.calls.list(status="busy")] == [busy.sid]
    assert [c.sid for c in twilio.calls.list(to="+15558675310")] == [talking.sid]


def test_conference_participants_muted_held_kicked(twilio: Client) -> None:
    calls = [twilio.calls.create(to=f"+1555867531{n}", from_=FROM, twiml=ROOM) for n in range(3)]
    (conference,) = twilio.conferences.list(status="in-progress")
    assert conference.friendly_name == "standup"
    room = twilio.conferences(conference.sid)
    assert {p.call_sid for p in room.participants.list()} == {c.sid for c in calls}
    muted = room.participants(calls[0].sid).update(muted=True)
    held = room.participants(calls[1].sid).update(hold=True)
    assert muted.muted is True and held.hold is True
    assert [p.call_sid for p in room.participants.list(muted=True)] == [calls[0].sid]
    assert room.participants(calls[2].sid).delete() is True
    assert twilio.calls(calls[2].sid).fetch().status == "completed"
    added = room.participants.create(from_=FROM, to="+15558675399", muted=True)
    assert added.muted is True and len(room.participants.list()) == 3
    ended = room.update(status="completed")
    assert ended.status == "completed"
    assert room.participants.list() == []


def test_queues_and_recordings(sandbox: Sandbox, twilio: Client) -> None:
    waiting = twilio.calls.create(to="+15558675310", from_=FROM, twiml=QUEUE)
    (queue,) = twilio.queues.list()
    assert (queue.friendly_name, queue.current_size) == ("support", 1)
    front = twilio.queues(queue.sid).members("Front").fetch()
    assert front.call_sid == waiting.sid and front.position == 1
    twilio.queues(queue.sid).members(waiting.sid).update(url="http://example.com/agent")
    assert twilio.queues(queue.sid).fetch().current_size == 0
    recorded = twilio.calls.create(
        to="+15558675310", from_=FROM, twiml="<Response><Say>hi</Say></Response>", record=True
    )
    (recording,) = twilio.calls(recorded.sid).recordings.list()
    assert twilio.recordings(recording.sid).fetch().call_sid == recorded.sid
    audio = twilio.request("GET", f"{sandbox.base_url}{recording.uri[:-5]}.mp3")
    assert audio.status_code == 200 and audio.headers["Content-Type"] == "audio/mpeg"


def test_usage_and_notifications(twilio: Client) -> None:
    twilio.messages.create(to="+15558675310", from_=FROM, body="counted")
    twilio.messages.create(to="+15550030003", from_=FROM, body="undelivered")
    sms = {r.category: r for r in twilio.usage.records.list()}["sms"]
    assert (sms.count, sms.count_unit) == ("2", "messages")
    today = twilio.usage.records.today.list(category="sms")
    assert [r.count for r in today] == ["2"]
    assert [r.category for r in twilio.usage.records.daily.list(category="calls")] == ["calls"]
    (note,) = twilio.notifications.list()
    assert note.error_code == "30003" and note.log == "0"
    assert twilio.notifications(note.sid).fetch().error_code == "30003"


def test_sub_accounts(sandbox: Sandbox, twilio: Client) -> None:
    sub = twilio.api.accounts.create(friendly_name="Customer 42")
    assert sub.status == "active" and sub.owner_account_sid == sandbox.account_sid
    assert {a.sid for a in twilio.api.accounts.list()} == {sandbox.account_sid, sub.sid}
    child = official(sandbox, sub.sid, sub.auth_token)
    mine = child.messages.create(to="+15558675310", from_=FROM, body="from the child")
    assert [a.sid for a in child.api.accounts.list()] == [sub.sid]
    assert twilio.api.accounts(sub.sid).messages(mine.sid).fetch().body == "from the child"
    assert twilio.messages.list() == []  # the parent's own list is its own
    with pytest.raises(TwilioRestException) as refused:
        child.api.accounts(sandbox.account_sid).fetch()
    assert (refused.value.status, refused.value.code) == (401, 20003)
    closed = twilio.api.accounts(sub.sid).update(status="closed")
    assert closed.status == "closed"
    with pytest.raises(TwilioRestException) as locked:
        child.messages(mine.sid).fetch()
    assert locked.value.code == 20003


def test_errors_reach_the_client_with_twilios_codes(sandbox: Sandbox, twilio: Client) -> None:
    with pytest.raises(TwilioRestException) as missing:
        twilio.messages("SM" + "0" * 32).fetch()
    assert (missing.value.status, missing.value.code) == (404, 20404)
    wrong = official(sandbox, token="0" * 32)
    with pytest.raises(TwilioRestException) as denied:
        wrong.messages("SM" + "0" * 32).fetch()
    assert (denied.value.status, denied.value.code) == (401, 20003)
    with pytest.raises(TwilioException):  # the official client's answer to a failed page
        wrong.messages.list()
    with pytest.raises(TwilioRestException) as invalid:
        twilio.messages.create(to="+15005550001", from_=FROM, body="magic")
    assert (invalid.value.status, invalid.value.code) == (400, 21211)
    with pytest.raises(TwilioRestException) as no_to:
        twilio.calls.create(to="", from_=FROM, url="http://example.com/x")
    assert no_to.value.code == 21201
    with pytest.raises(TwilioException) as too_big:  # pages fail as TwilioException
        twilio.messages.page(page_size=1001)
    answer = too_big.value.args[1]
    assert (answer.status_code, json.loads(answer.text)["code"]) == (400, 20007)


def test_test_credentials_and_magic_numbers(sandbox: Sandbox) -> None:
    test = official(sandbox, sandbox.test_account_sid, sandbox.test_auth_token)
    sent = test.messages.create(to="+15558675310", from_="+15005550006", body="test")
    assert sent.status == "queued"
    number = test.incoming_phone_numbers.create(area_code="500")
    assert number.phone_number == "+15005550006"
    for frm, code in (("+15005550001", 21212), ("+15017122661", 21606)):
        with pytest.raises(TwilioRestException) as refused:
            test.messages.create(to="+15558675310", from_=frm, body="test")
        assert refused.value.code == code
    with pytest.raises(TwilioRestException) as forbidden:
        test.messages(sent.sid).fetch()
    assert (forbidden.value.status, forbidden.value.code) == (403, 20008)
