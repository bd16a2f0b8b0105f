"""Every operation of the API, sent to the sandbox through twiliorm's public API.

Each test says which of the spec's operations it covers (``@covers``); the
``api`` fixture taps the client's transport and checks, after the test, that
each of them was really sent, and that every answer the sandbox gave is valid
for the spec (``tests/test_sandbox_support.answer_validator``: Twilio's
contract, read as Twilio's own examples answer it). The last test checks that
all 197 operations are covered. Resources are reached as users reach them:
managers and querysets, ``save()``/``delete()``, related managers
(``call.streams``), and the action methods (``call.hangup()``).
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import functools
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

import twiliorm
from twiliorm import models as r
from twiliorm.sandbox import Sandbox
from twiliorm.transport import Request, Response, Transport

from .test_conformance import TOTAL_OPERATIONS, load_spec, operations, snake
from .test_requests_valid import operation_of
from .test_sandbox_support import TWILIO, _relaxed

F = TypeVar("F", bound=Callable[..., Any])
COVERED: dict[str, str] = {}
CONFERENCE_TWIML = "<Response><Dial><Conference>Ops room</Conference></Dial></Response>"
QUEUE_TWIML = "<Response><Enqueue>support</Enqueue></Response>"
RECORD_TWIML = '<Response><Say>Leave a message</Say><Record transcribe="true"/></Response>'
OUR_NUMBER = "+15005550006"


def covers(*operation_ids: str) -> Callable[[F], F]:
    """Mark a test as sending these operations (checked by the ``api`` fixture).

    Put it above ``parametrize``: ``{kind}`` in a name is each value of ``kind``.
    """

    def mark(test: F) -> F:
        for name in operation_ids:
            for params in _parameter_sets(test) or [{}]:
                COVERED[name.format(**params)] = test.__name__
        test.covers = operation_ids  # type: ignore[attr-defined]
        return test

    return mark


def _parameter_sets(test: Callable[..., Any]) -> list[dict[str, Any]]:
    sets: list[dict[str, Any]] = []
    for mark in getattr(test, "pytestmark", ()):
        if mark.name == "parametrize":
            names = (
                [n.strip() for n in mark.args[0].split(",")]
                if isinstance(mark.args[0], str)
                else list(mark.args[0])
            )
            rows = [v if len(names) > 1 else (v,) for v in mark.args[1]]
            sets += [dict(zip(names, row, strict=True)) for row in rows]
    return sets


class Tap:
    """A transport that keeps every request and its answer, then passes them on."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.exchanges: list[tuple[Request, Response]] = []

    def send(self, request: Request) -> Response:
        response = self.inner.send(request)
        self.exchanges.append((request, response))
        return response

    def close(self) -> None:
        self.inner.close()


@functools.cache
def answer_validator() -> OpenAPI:
    """Twilio's contract as its examples answer it (``test_sandbox_support``), and one more
    reading of them: the spec's example of a call's notification has ``request_method``
    null, so the same notification fetched from the account's log may have it null too."""
    spec = copy.deepcopy(_relaxed())
    schemas = spec["components"]["schemas"]
    method = schemas["api.v2010.account.notification-instance"]["properties"]["request_method"]
    method.update(nullable=True, enum=[*method["enum"], None])
    return OpenAPI.from_dict(spec)


def answer_problem(request: Request, response: Response) -> str | None:
    """Why the spec refuses a JSON answer of the sandbox (None when it is valid)."""
    kind = response.headers.get("Content-Type", "")
    if response.status >= 400 or not kind.startswith("application/json"):
        return None
    url = urllib.parse.urlsplit(request.url)
    mock_request = MockRequest(
        TWILIO,
        request.method,
        url.path,
        args=urllib.parse.parse_qsl(url.query),  # type: ignore[arg-type]
    )
    answer = MockResponse(
        response.body, status_code=response.status, content_type="application/json"
    )
    try:
        answer_validator().validate_response(mock_request, answer)
    except Exception as exc:
        return f"{request.method} {url.path}: {exc} {getattr(exc, '__cause__', '') or ''}"[:2000]
    return None


@pytest.fixture
def api(client: twiliorm.Client, request: pytest.FixtureRequest) -> Iterator[twiliorm.Client]:
    """The test's client, tapped: what it claims to send is sent, and answered as the spec says."""
    tap = Tap(client.transport)
    client.transport = tap
    yield client
    sent = {operation_of(req).operation_id for req, _ in tap.exchanges if not _media(req)}
    params = getattr(getattr(request.node, "callspec", None), "params", {})
    claimed = {name.format(**params) for name in getattr(request.function, "covers", ())}
    assert claimed <= sent, f"never sent: {sorted(claimed - sent)}"
    problems = [p for exchange in tap.exchanges if (p := answer_problem(*exchange))]
    assert not problems, "\n".join(problems)


def _media(request: Request) -> bool:
    """A recording's audio (``.wav``, ``.mp3``): served by Twilio, not an operation of the spec."""
    return urllib.parse.urlsplit(request.url).path.endswith((".wav", ".mp3"))


# --- helpers -------------------------------------------------------------------------------------


def buy_number(**values: Any) -> r.IncomingPhoneNumber:
    found = r.AvailablePhoneNumber.objects.filter(country="US", type="Local", area_code=530)
    number = found.first()
    assert number is not None
    return number.purchase(**values)


def live_call(twiml: str = CONFERENCE_TWIML, to: str = "+15558675310") -> r.Call:
    """A call that is answered and stays in progress (in a conference, or a queue)."""
    call = r.Call.objects.create(to=to, from_=OUR_NUMBER, twiml=twiml)
    assert call.status == r.CallStatus.QUEUED
    call.refresh()
    assert call.status == r.CallStatus.IN_PROGRESS
    return call


def finished_call(twiml: str = RECORD_TWIML) -> r.Call:
    call = r.Call.objects.create(to="+15558675310", from_=OUR_NUMBER, twiml=twiml, record=True)
    call.refresh()
    assert call.status == r.CallStatus.COMPLETED
    return call


# --- accounts, keys, balance, tokens -------------------------------------------------------------


@covers("CreateAccount", "ListAccount", "FetchAccount", "UpdateAccount", "FetchBalance")
def test_accounts_and_balance(api: twiliorm.Client) -> None:
    sub = r.Account.objects.create(friendly_name="ops sub")
    assert sub.sid and sub.sid.startswith("AC") and sub.status == r.AccountStatus.ACTIVE
    assert [a.sid for a in r.Account.objects.filter(friendly_name="ops sub")] == [sub.sid]
    assert r.Account.objects.get(sid=sub.sid).friendly_name == "ops sub"
    sub.update(status=r.AccountStatus.SUSPENDED)
    assert sub.status == r.AccountStatus.SUSPENDED
    balance = r.Balance.objects.get()
    assert isinstance(balance.balance, decimal.Decimal) and balance.currency


@covers("CreateNewKey", "ListKey", "FetchKey", "UpdateKey", "DeleteKey")
def test_api_keys_authenticate_until_deleted(api: twiliorm.Client, sandbox: Sandbox) -> None:
    made = r.NewKey.objects.create(friendly_name="deploy")
    assert made.sid and made.secret
    keyed = twiliorm.Client(
        api.account_sid, api_key=made.sid, api_secret=made.secret, base_url=sandbox.base_url
    )
    assert r.Message.objects.using(keyed).count() == 0  # the key is a credential
    key = r.Key.objects.get(sid=made.sid)
    assert [k.sid for k in r.Key.objects.all()] == [made.sid]
    key.update(friendly_name="deploy 2")
    assert r.Key.objects.get(sid=made.sid).friendly_name == "deploy 2"
    key.delete()
    with pytest.raises(twiliorm.AuthenticationError):
        r.Message.objects.using(keyed).count()
    keyed.close()


@covers(
    "CreateNewSigningKey", "ListSigningKey", "FetchSigningKey", "UpdateSigningKey",
    "DeleteSigningKey",
)  # fmt: skip
def test_signing_keys(api: twiliorm.Client) -> None:
    made = r.NewSigningKey.objects.create(friendly_name="webhooks")
    assert made.secret
    key = r.SigningKey.objects.get(sid=made.sid)
    assert key in list(r.SigningKey.objects.all())
    key.update(friendly_name="webhooks 2")
    assert key.friendly_name == "webhooks 2"
    key.delete()
    assert not r.SigningKey.objects.exists()


@covers("CreateToken")
def test_tokens_give_ice_servers(api: twiliorm.Client) -> None:
    token = r.Token.objects.create(ttl=3600)
    assert token.ttl == 3600 and token.username and token.password
    assert any(server["urls"].startswith("turn:") for server in token.ice_servers)


# --- addresses -----------------------------------------------------------------------------------


@covers(
    "CreateAddress", "ListAddress", "FetchAddress", "UpdateAddress", "DeleteAddress",
    "ListDependentPhoneNumber",
)  # fmt: skip
def test_addresses_and_their_dependent_numbers(api: twiliorm.Client) -> None:
    address = r.Address.objects.create(
        customer_name="Ada", street="1 Main St", city="Davis", region="CA",
        postal_code="95616", iso_country="US",
    )  # fmt: skip
    assert address.validated is True and address.verified is False
    assert r.Address.objects.filter(customer_name="Ada", iso_country="US").get() == address
    address.update(friendly_name="HQ")
    assert r.Address.objects.get(sid=address.sid).friendly_name == "HQ"
    number = buy_number(address_sid=address.sid)
    dependents = list(address.dependent_phone_numbers.all())
    assert [d.phone_number for d in dependents] == [number.phone_number]
    with pytest.raises(twiliorm.TwilioRestError, match="depending on it"):
        address.delete()
    number.delete()
    address.delete()
    assert not r.Address.objects.exists()


# --- applications and connect apps ---------------------------------------------------------------


@covers(
    "CreateApplication", "ListApplication", "FetchApplication", "UpdateApplication",
    "DeleteApplication",
)  # fmt: skip
def test_applications(api: twiliorm.Client) -> None:
    app = r.Application.objects.create(friendly_name="ivr", voice_url="https://example.com/v")
    assert app.voice_method == r.HttpMethod.POST and app.api_version == "2010-04-01"
    assert r.Application.objects.filter(friendly_name="ivr").get() == app
    app.update(voice_method="GET")
    assert r.Application.objects.get(sid=app.sid).voice_method == r.HttpMethod.GET
    with pytest.raises(twiliorm.ValidationError):
        app.update(voice_method="PUT")  # refused before anything is sent
    app.delete()
    assert not r.Application.objects.exists()


@covers(
    "ListConnectApp", "FetchConnectApp", "UpdateConnectApp", "DeleteConnectApp",
    "ListAuthorizedConnectApp", "FetchAuthorizedConnectApp",
)  # fmt: skip
def test_connect_apps_and_authorizations(api: twiliorm.Client, sandbox: Sandbox) -> None:
    made = sandbox.app.behaviours["ConnectApp"].register(  # type: ignore[attr-defined]
        api.account_sid, "Partner", company_name="Partner Inc"
    )
    connect = r.ConnectApp.objects.get(sid=made["sid"])
    connect.update(permissions=["get-all"], homepage_url="https://partner.example")
    assert r.ConnectApp.objects.get(sid=connect.sid).permissions == ["get-all"]
    sandbox.app.behaviours["AuthorizedConnectApp"].authorize(  # type: ignore[attr-defined]
        api.account_sid, connect.sid
    )
    granted = r.AuthorizedConnectApp.objects.get(connect_app_sid=connect.sid)
    assert granted.connect_app_company_name == "Partner Inc"
    assert list(r.AuthorizedConnectApp.objects.all()) == [granted]
    connect.delete()
    assert not r.ConnectApp.objects.exists() and not r.AuthorizedConnectApp.objects.exists()


# --- phone numbers -------------------------------------------------------------------------------


AVAILABLE_TYPES = ["Local", "TollFree", "Mobile", "National", "Voip", "SharedCost",
                   "MachineToMachine"]  # fmt: skip


@covers("ListAvailablePhoneNumberCountry", "FetchAvailablePhoneNumberCountry")
def test_countries_with_numbers(api: twiliorm.Client) -> None:
    countries = {c.country_code: c for c in r.AvailablePhoneNumberCountry.objects.all()}
    assert "US" in countries
    us = r.AvailablePhoneNumberCountry.objects.get(country_code="US")
    assert us.country == "United States" and us.subresource_uris


@covers("ListAvailablePhoneNumber{kind}")
@pytest.mark.parametrize("kind", AVAILABLE_TYPES)
def test_available_numbers_of_every_type(api: twiliorm.Client, kind: str) -> None:
    country = r.AvailablePhoneNumberCountry.objects.get(country_code="US")
    numbers: twiliorm.Manager[r.AvailablePhoneNumber] = getattr(country, snake(kind))
    found = list(numbers.filter(sms_enabled=True)[:3])
    assert all(n.phone_number and n.phone_number.startswith("+") for n in found)


@covers(
    "CreateIncomingPhoneNumber", "ListIncomingPhoneNumber", "FetchIncomingPhoneNumber",
    "UpdateIncomingPhoneNumber", "DeleteIncomingPhoneNumber",
)  # fmt: skip
def test_incoming_numbers(api: twiliorm.Client) -> None:
    number = buy_number(friendly_name="main line")
    assert number.sid and number.phone_number and number.phone_number.startswith("+1530")
    assert r.IncomingPhoneNumber.objects.filter(friendly_name="main line").get() == number
    number.voice_url = "https://example.com/voice"
    number.save()
    assert r.IncomingPhoneNumber.objects.get(sid=number.sid).voice_url == number.voice_url
    number.delete()
    assert not r.IncomingPhoneNumber.objects.exists()


@covers("CreateIncomingPhoneNumber{kind}", "ListIncomingPhoneNumber{kind}")
@pytest.mark.parametrize(
    ("kind", "country"), [("Local", "US"), ("Mobile", "GB"), ("TollFree", "US")]
)
def test_incoming_numbers_by_type(api: twiliorm.Client, kind: str, country: str) -> None:
    available = r.AvailablePhoneNumber.objects.filter(country=country, type=kind).first()
    assert available is not None, f"the sandbox has no {country} {kind} numbers"
    bought = r.IncomingPhoneNumber.objects.create(type=kind, phone_number=available.phone_number)
    assert [n.sid for n in r.IncomingPhoneNumber.objects.filter(type=kind)] == [bought.sid]


@covers(
    "CreateIncomingPhoneNumberAssignedAddOn", "ListIncomingPhoneNumberAssignedAddOn",
    "FetchIncomingPhoneNumberAssignedAddOn", "DeleteIncomingPhoneNumberAssignedAddOn",
    "ListIncomingPhoneNumberAssignedAddOnExtension",
    "FetchIncomingPhoneNumberAssignedAddOnExtension",
)  # fmt: skip
def test_assigned_add_ons_and_extensions(api: twiliorm.Client) -> None:
    number = buy_number()
    installed = "XE" + "1" * 32
    assigned = number.assigned_add_ons.create(installed_add_on_sid=installed)
    assert assigned.sid == installed and assigned.resource_sid == number.sid
    assert list(number.assigned_add_ons.all()) == [assigned]
    assert number.assigned_add_ons.get(sid=installed).friendly_name == assigned.friendly_name
    extension = assigned.extensions.first()
    assert extension is not None and extension.enabled is True
    assert assigned.extensions.get(sid=extension.sid).unique_name == extension.unique_name
    with pytest.raises(twiliorm.TwilioRestError, match="already assigned"):
        number.assigned_add_ons.create(installed_add_on_sid=installed)
    assigned.delete()
    assert not number.assigned_add_ons.exists()


# --- calls and what hangs off them ---------------------------------------------------------------


@covers("CreateCall", "ListCall", "FetchCall", "UpdateCall", "DeleteCall", "ListCallEvent")
def test_calls_and_their_natural_forms(api: twiliorm.Client) -> None:
    call = live_call()
    assert r.Call.objects.filter(to="+15558675310", status="in-progress").get() == call
    events = list(call.events.all())
    assert events[0].request["method"] == "POST" and events[0].response["response_code"] == 201
    with pytest.raises(twiliorm.ValidationError):
        call.redirect()  # a url or TwiML is needed: nothing is sent
    call.redirect(twiml=QUEUE_TWIML)
    queue = r.Queue.objects.first()
    assert queue is not None and queue.friendly_name == "support"
    assert [m.call_sid for m in queue.members.all()] == [call.sid]
    call.hangup()
    assert r.Call.objects.get(sid=call.sid).status == r.CallStatus.COMPLETED
    call.delete()
    with pytest.raises(r.Call.DoesNotExist):
        r.Call.objects.get(sid=call.sid)


def test_a_ringing_call_is_canceled(api: twiliorm.Client, sandbox: Sandbox) -> None:
    sandbox.app.settings.call_delays = (60.0, 0.0, 0.0)
    call = r.Call.objects.create(to="+15558675310", from_=OUR_NUMBER, url="https://example.com/t")
    call.cancel()
    assert call.refresh().status == r.CallStatus.CANCELED


@covers("ListCallNotification", "FetchCallNotification", "ListNotification", "FetchNotification")
def test_notifications_of_failures(api: twiliorm.Client) -> None:
    failed = r.Call.objects.create(to="+15550001003", from_=OUR_NUMBER, twiml=CONFERENCE_TWIML)
    failed.refresh()
    assert failed.status == r.CallStatus.FAILED
    notice = failed.notifications.first()
    assert notice is not None and notice.call_sid == failed.sid
    assert failed.notifications.get(sid=notice.sid).error_code == notice.error_code
    r.Message.objects.create(to="+15550030008", from_=OUR_NUMBER, body="never").refresh()
    logged = list(r.Notification.objects.filter(log="0"))
    assert len(logged) == 2 and notice.sid in {n.sid for n in logged}
    assert r.Notification.objects.get(sid=notice.sid).message_text


@covers(
    "CreateCallRecording", "ListCallRecording", "FetchCallRecording", "UpdateCallRecording",
    "DeleteCallRecording",
)  # fmt: skip
def test_call_recordings(api: twiliorm.Client) -> None:
    call = live_call()
    recording = call.recordings.create(recording_channels="dual")
    assert recording.status == r.CallRecordingStatus.IN_PROGRESS
    assert list(call.recordings.all()) == [recording]
    recording.update(status=r.CallRecordingStatus.PAUSED, pause_behavior="skip")
    assert call.recordings.get(sid=recording.sid).status == r.CallRecordingStatus.PAUSED
    recording.delete()
    assert not call.recordings.exists()


@covers(
    "CreateSiprec", "UpdateSiprec", "CreateStream", "UpdateStream",
    "CreateRealtimeTranscription", "UpdateRealtimeTranscription",
)  # fmt: skip
def test_media_sessions_of_a_live_call(api: twiliorm.Client) -> None:
    call = live_call()
    siprec = call.siprec.create(connector_name="recorder", parameters={"case": "42"})
    stream = call.streams.create(url="wss://example.com/audio", name="audio", track="both_tracks")
    words = call.transcriptions.create(language_code="en-US", partial_results=True)
    for session in (siprec, stream, words):
        assert session.status == "in-progress" and session.call_sid == call.sid
        session.update(status="stopped")
        assert session.status == "stopped"
    with pytest.raises(twiliorm.TwilioRestError, match="already stopped"):
        stream.update(status="stopped")


def test_sessions_need_a_live_call(api: twiliorm.Client) -> None:
    call = finished_call()
    with pytest.raises(twiliorm.TwilioRestError) as caught:
        call.streams.create(url="wss://example.com/audio")
    assert caught.value.code == 21220


@covers("CreatePayments", "UpdatePayments")
def test_payments(api: twiliorm.Client) -> None:
    call = live_call()
    payment = call.payments.create(
        idempotency_key="pay-1", status_callback="https://example.com/pay",
        charge_amount=decimal.Decimal("9.99"), parameter={"order": "A1"}, confirmation=True,
    )  # fmt: skip
    assert payment.sid and payment.sid.startswith("PK") and payment.call_sid == call.sid
    payment.update(
        idempotency_key="pay-2", status_callback="https://example.com/pay",
        capture=r.PaymentsCapture.PAYMENT_CARD_NUMBER,
    )  # fmt: skip
    payment.update(
        idempotency_key="pay-3", status_callback="https://example.com/pay",
        status=r.PaymentsStatus.COMPLETE,
    )  # fmt: skip
    with pytest.raises(twiliorm.TwilioRestError, match="already completed"):
        payment.update(idempotency_key="pay-4", status_callback="https://example.com/pay",
                       status=r.PaymentsStatus.CANCEL)  # fmt: skip


@covers(
    "CreateUserDefinedMessage", "CreateUserDefinedMessageSubscription",
    "DeleteUserDefinedMessageSubscription",
)  # fmt: skip
def test_user_defined_messages(api: twiliorm.Client) -> None:
    call = live_call()
    subscription = call.user_defined_message_subscriptions.create(
        callback="https://example.com/udm"
    )
    assert subscription.sid and subscription.sid.startswith("ZY")
    sent = call.user_defined_messages.create(content='{"greeting": "hi"}')
    assert sent.sid and sent.sid.startswith("KX") and sent.call_sid == call.sid
    with pytest.raises(twiliorm.TwilioRestError, match="JSON object"):
        call.user_defined_messages.create(content="not json")
    subscription.delete()
    with pytest.raises(twiliorm.NotFoundError):
        subscription.delete()


# --- conferences ---------------------------------------------------------------------------------


@covers(
    "ListConference", "FetchConference", "UpdateConference", "CreateParticipant",
    "ListParticipant", "FetchParticipant", "UpdateParticipant", "DeleteParticipant",
)  # fmt: skip
def test_conferences_and_participants(api: twiliorm.Client) -> None:
    first = live_call()
    conference = r.Conference.objects.filter(friendly_name="Ops room").get()
    assert conference.status == r.ConferenceStatus.IN_PROGRESS
    joined = conference.participants.create(from_=OUR_NUMBER, to="+15558675311", label="agent")
    assert joined.call_sid and joined.conference_sid == conference.sid
    assert {p.call_sid for p in conference.participants.all()} == {first.sid, joined.call_sid}
    joined.mute()
    joined.hold()
    held = conference.participants.get(call_sid=joined.call_sid)
    assert held.muted is True and held.on_hold is True
    assert list(conference.participants.filter(muted=True)) == [held]
    held.unmute()
    held.unhold()
    assert held.muted is False and held.on_hold is False
    held.kick()
    assert r.Call.objects.get(sid=joined.call_sid).status == r.CallStatus.COMPLETED
    conference.update(status="completed")
    assert r.Conference.objects.get(sid=conference.sid).status == r.ConferenceStatus.COMPLETED


@covers(
    "ListConferenceRecording", "FetchConferenceRecording", "UpdateConferenceRecording",
    "DeleteConferenceRecording",
)  # fmt: skip
def test_conference_recordings(api: twiliorm.Client, sandbox: Sandbox) -> None:
    call = live_call()
    conference = r.Conference.objects.get(friendly_name="Ops room")
    # The sandbox has no <Conference record=...> yet: the recording is made directly.
    made = sandbox.app.store.get("Call", api.account_sid, "", call.sid or "")
    assert made is not None
    sandbox.app.behaviours["Recording"].record_call(  # type: ignore[attr-defined]
        made, 30, conference_sid=conference.sid
    )
    recording = conference.recordings.get()
    assert recording.conference_sid == conference.sid and recording.duration == 30
    recording.update(status=r.ConferenceRecordingStatus.STOPPED)
    assert conference.recordings.get(sid=recording.sid).status == "stopped"
    recording.delete()
    assert not conference.recordings.exists()


# --- messages ------------------------------------------------------------------------------------


@covers(
    "CreateMessage", "ListMessage", "FetchMessage", "UpdateMessage", "DeleteMessage",
    "ListMedia", "FetchMedia", "DeleteMedia", "CreateMessageFeedback",
)  # fmt: skip
def test_messages_media_and_feedback(api: twiliorm.Client) -> None:
    sent = r.Message.objects.create(
        to="+15558675310", from_=OUR_NUMBER, body="Hello Monkey",
        media_url=["https://example.com/a.png"],
    )  # fmt: skip
    assert sent.sid and sent.sid.startswith("MM") and sent.num_media == 1
    today = dt.datetime.now(dt.timezone.utc).date()
    found = r.Message.objects.filter(to="+15558675310", date_sent__gte=today - dt.timedelta(1))
    assert [m.sid for m in found] == [sent.sid]
    media = sent.media.get()
    assert media.content_type == "image/png" and sent.media.get(sid=media.sid) == media
    media.delete()
    assert not sent.media.exists()
    feedback = sent.feedback.create(outcome=r.MessageFeedbackOutcome.CONFIRMED)
    assert feedback.message_sid == sent.sid and feedback.outcome == "confirmed"
    sent.redact()
    assert r.Message.objects.get(sid=sent.sid).body == ""
    sent.delete()
    assert not r.Message.objects.exists()


def test_a_scheduled_message_is_canceled(api: twiliorm.Client) -> None:
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=1)
    message = r.Message.objects.create(
        to="+15558675310", from_=OUR_NUMBER, body="later",
        messaging_service_sid="MG" + "0" * 32, schedule_type="fixed", send_at=later,
    )  # fmt: skip
    assert message.status == r.MessageStatus.SCHEDULED
    message.cancel()
    assert message.status == r.MessageStatus.CANCELED


# --- caller IDs, queues, short codes -------------------------------------------------------------


@covers(
    "CreateValidationRequest", "ListOutgoingCallerId", "FetchOutgoingCallerId",
    "UpdateOutgoingCallerId", "DeleteOutgoingCallerId",
)  # fmt: skip
def test_caller_ids_are_validated(api: twiliorm.Client) -> None:
    request = r.ValidationRequest.objects.create(phone_number="+15558675399", friendly_name="desk")
    assert request.validation_code and len(request.validation_code) == 6
    caller_id = r.OutgoingCallerId.objects.filter(phone_number="+15558675399").get()
    assert caller_id.friendly_name == "desk"
    caller_id.update(friendly_name="front desk")
    assert r.OutgoingCallerId.objects.get(sid=caller_id.sid).friendly_name == "front desk"
    with pytest.raises(twiliorm.TwilioRestError) as caught:
        r.ValidationRequest.objects.create(phone_number="+15558675399")
    assert caught.value.code == 21450
    caller_id.delete()
    assert not r.OutgoingCallerId.objects.exists()


@covers(
    "CreateQueue", "ListQueue", "FetchQueue", "UpdateQueue", "DeleteQueue", "ListMember",
    "FetchMember", "UpdateMember",
)  # fmt: skip
def test_queues_and_members(api: twiliorm.Client) -> None:
    queue = r.Queue.objects.create(friendly_name="support", max_size=10)
    assert queue.current_size == 0 and list(r.Queue.objects.all()) == [queue]
    queue.update(max_size=20)
    assert r.Queue.objects.get(sid=queue.sid).max_size == 20
    call = live_call(QUEUE_TWIML)
    member = queue.members.get(call_sid=call.sid)
    assert member.position == 1 and list(queue.members.all()) == [member]
    member.dequeue("https://example.com/agent", method="POST")
    assert not queue.members.exists()
    queue.delete()
    assert not r.Queue.objects.exists()


@covers("ListShortCode", "FetchShortCode", "UpdateShortCode")
def test_short_codes(api: twiliorm.Client, sandbox: Sandbox) -> None:
    made = sandbox.app.behaviours["ShortCode"].provision(  # type: ignore[attr-defined]
        api.account_sid, "99990"
    )
    code = r.ShortCode.objects.filter(short_code="99990").get()
    assert code.sid == made["sid"] and code.sms_method == r.HttpMethod.POST
    code.update(sms_url="https://example.com/sms", friendly_name="promo")
    assert r.ShortCode.objects.get(sid=code.sid).sms_url == "https://example.com/sms"


# --- recordings, transcriptions, add-on results --------------------------------------------------


@covers(
    "ListRecording", "FetchRecording", "DeleteRecording", "ListRecordingTranscription",
    "FetchRecordingTranscription", "DeleteRecordingTranscription", "ListTranscription",
    "FetchTranscription", "DeleteTranscription",
)  # fmt: skip
def test_recordings_their_media_and_transcriptions(api: twiliorm.Client) -> None:
    call = finished_call()
    recording = r.Recording.objects.filter(call_sid=call.sid).get()
    assert r.Recording.objects.get(sid=recording.sid).call_sid == call.sid
    assert recording.download()[:4] == b"RIFF"
    assert recording.download("mp3")[:2] == b"\xff\xfb"
    with pytest.raises(twiliorm.ValidationError):
        recording.download("ogg")
    text = recording.transcriptions.get()
    assert text.status == r.RecordingTranscriptionStatus.COMPLETED and text.transcription_text
    assert recording.transcriptions.get(sid=text.sid).recording_sid == recording.sid
    same = r.Transcription.objects.get(sid=text.sid)
    assert [t.sid for t in r.Transcription.objects.all()] == [same.sid]
    text.delete()
    assert not r.Transcription.objects.exists()
    another = finished_call()
    kept = r.Recording.objects.get(call_sid=another.sid).transcriptions.get()
    r.Transcription.objects.get(sid=kept.sid).delete()
    assert not r.Transcription.objects.exists()
    recording.delete()
    assert [x.call_sid for x in r.Recording.objects.all()] == [another.sid]


@covers(
    "ListRecordingAddOnResult", "FetchRecordingAddOnResult", "DeleteRecordingAddOnResult",
    "ListRecordingAddOnResultPayload", "FetchRecordingAddOnResultPayload",
    "DeleteRecordingAddOnResultPayload", "FetchRecordingAddOnResultPayloadData",
)  # fmt: skip
def test_add_on_results_of_a_recording(api: twiliorm.Client) -> None:
    number = buy_number()
    assigned = number.assigned_add_ons.create(installed_add_on_sid="XE" + "2" * 32)
    call = r.Call.objects.create(
        to="+15558675310", from_=number.phone_number, twiml=RECORD_TWIML, record=True
    )
    recording = r.Recording.objects.get(call_sid=call.sid)
    result = recording.add_on_results.get()
    assert result.status == r.RecordingAddOnResultStatus.COMPLETED
    assert result.add_on_configuration_sid == assigned.sid
    assert recording.add_on_results.get(sid=result.sid) == result
    payload = result.payloads.get()
    assert payload.content_type == "application/json"
    assert result.payloads.get(sid=payload.sid).label == payload.label
    data = payload.data.get()
    assert data.redirect_to and data.redirect_to.startswith("http")
    payload.delete()
    assert not result.payloads.exists()
    result.delete()
    assert not recording.add_on_results.exists()  # a deleted result stays deleted


# --- SIP -----------------------------------------------------------------------------------------


SIP_LIST = ("Create{0}", "List{0}", "Fetch{0}", "Update{0}", "Delete{0}")
SIP_MAPPING = ("Create{0}", "List{0}", "Fetch{0}", "Delete{0}")


@covers(
    *(op.format("SipCredentialList") for op in SIP_LIST),
    *(op.format("SipCredential") for op in SIP_LIST),
)
def test_sip_credential_lists_and_credentials(api: twiliorm.Client) -> None:
    staff = r.SipCredentialList.objects.create(friendly_name="staff")
    alice = staff.credentials.create(username="alice", password="IWasAtSignal2018")
    assert alice.credential_list_sid == staff.sid and not hasattr(alice, "password_hash")
    with pytest.raises(twiliorm.TwilioRestError, match="12 characters"):
        staff.credentials.create(username="bob", password="short")
    assert list(staff.credentials.all()) == [alice]
    alice.update(password="AnotherGood2026")
    assert staff.credentials.get(sid=alice.sid).username == "alice"
    alice.delete()
    staff.update(friendly_name="all staff")
    assert r.SipCredentialList.objects.get(sid=staff.sid).friendly_name == "all staff"
    assert list(r.SipCredentialList.objects.all()) == [staff]
    staff.delete()
    assert not r.SipCredentialList.objects.exists()


@covers(
    *(op.format("SipIpAccessControlList") for op in SIP_LIST),
    *(op.format("SipIpAddress") for op in SIP_LIST),
)
def test_sip_ip_access_control_lists_and_addresses(api: twiliorm.Client) -> None:
    office = r.SipIpAccessControlList.objects.create(friendly_name="office")
    gateway = office.ip_addresses.create(friendly_name="gw", ip_address="203.0.113.7")
    assert gateway.cidr_prefix_length == 32
    with pytest.raises(twiliorm.TwilioRestError, match="IpAddress"):
        office.ip_addresses.create(friendly_name="bad", ip_address="not-an-ip")
    gateway.update(cidr_prefix_length=24)
    assert office.ip_addresses.get(sid=gateway.sid).cidr_prefix_length == 24
    assert list(office.ip_addresses.all()) == [gateway]
    gateway.delete()
    office.update(friendly_name="head office")
    assert r.SipIpAccessControlList.objects.get(sid=office.sid).friendly_name == "head office"
    assert list(r.SipIpAccessControlList.objects.all()) == [office]
    office.delete()
    assert not r.SipIpAccessControlList.objects.exists()


MAPPINGS = [
    ("SipCredentialListMapping", "credential_list_mappings", "credential_list_sid"),
    ("SipIpAccessControlListMapping", "ip_access_control_list_mappings",
     "ip_access_control_list_sid"),
    ("SipAuthCallsCredentialListMapping", "auth_calls_credential_list_mappings",
     "credential_list_sid"),
    ("SipAuthCallsIpAccessControlListMapping", "auth_calls_ip_access_control_list_mappings",
     "ip_access_control_list_sid"),
    ("SipAuthRegistrationsCredentialListMapping", "auth_registrations_credential_list_mappings",
     "credential_list_sid"),
]  # fmt: skip


@covers(*(op.format("SipDomain") for op in SIP_LIST))
def test_sip_domains(api: twiliorm.Client) -> None:
    domain = r.SipDomain.objects.create(domain_name="acme.sip.twilio.com", friendly_name="acme")
    assert domain.voice_method == r.HttpMethod.POST and domain.auth_type is None
    with pytest.raises(twiliorm.TwilioRestError, match="already taken"):
        r.SipDomain.objects.create(domain_name="acme.sip.twilio.com")
    with pytest.raises(twiliorm.TwilioRestError, match=r"sip\.twilio\.com"):
        r.SipDomain.objects.create(domain_name="acme.example.com")
    domain.update(voice_url="https://example.com/sip", sip_registration=True)
    assert r.SipDomain.objects.get(sid=domain.sid).sip_registration is True
    assert list(r.SipDomain.objects.all()) == [domain]
    domain.delete()
    assert not r.SipDomain.objects.exists()


@covers(*(op.format(name) for op in SIP_MAPPING for name, _, _ in MAPPINGS))
def test_sip_domain_mappings(api: twiliorm.Client) -> None:
    domain = r.SipDomain.objects.create(domain_name="mapped.sip.twilio.com")
    lists = {
        "credential_list_sid": r.SipCredentialList.objects.create(friendly_name="people"),
        "ip_access_control_list_sid": r.SipIpAccessControlList.objects.create(
            friendly_name="offices"
        ),
    }
    for _, attribute, key in MAPPINGS:
        mappings: twiliorm.Manager[Any] = getattr(domain, attribute)
        mapped = mappings.create(**{key: lists[key].sid})
        assert mapped.sid == lists[key].sid and mapped.friendly_name == lists[key].friendly_name
        assert list(mappings.all()) == [mapped] and mappings.get(sid=mapped.sid) == mapped
    assert r.SipDomain.objects.get(sid=domain.sid).auth_type == "IP_ACL,CREDENTIAL_LIST"
    with pytest.raises(twiliorm.TwilioRestError, match="already mapped"):
        domain.credential_list_mappings.create(credential_list_sid=lists["credential_list_sid"])
    for _, attribute, _ in MAPPINGS:
        getattr(domain, attribute).get().delete()
    assert r.SipDomain.objects.get(sid=domain.sid).auth_type is None


# --- usage ---------------------------------------------------------------------------------------

PERIODS = ["Today", "Yesterday", "ThisMonth", "LastMonth", "Daily", "Monthly", "Yearly", "AllTime"]


@covers("ListUsageRecord{period}")
@pytest.mark.parametrize("period", ["", *PERIODS])
def test_usage_records_by_period(api: twiliorm.Client, period: str) -> None:
    r.Message.objects.create(to="+15558675310", from_=OUR_NUMBER, body="counted")
    records = r.UsageRecord.objects.filter(category="sms")
    if period:
        records = getattr(r.UsageRecord.objects.filter(category="sms"), snake(period))()
    found = list(records)
    assert found and {u.category for u in found} == {"sms"}
    if period in ("", "Today", "ThisMonth", "AllTime", "Daily", "Monthly", "Yearly"):
        assert sum(u.count or 0 for u in found) == 1


@covers(
    "CreateUsageTrigger", "ListUsageTrigger", "FetchUsageTrigger", "UpdateUsageTrigger",
    "DeleteUsageTrigger",
)  # fmt: skip
def test_usage_triggers_fire(api: twiliorm.Client) -> None:
    trigger = r.UsageTrigger.objects.create(
        usage_category="sms", trigger_value=decimal.Decimal(2), trigger_by="count",
        callback_url="https://example.com/usage", recurring="daily",
    )  # fmt: skip
    assert trigger.current_value == 0 and trigger.date_fired is None
    for body in ("one", "two"):
        r.Message.objects.create(to="+15558675310", from_=OUR_NUMBER, body=body)
    fired = r.UsageTrigger.objects.get(sid=trigger.sid)
    assert fired.current_value == 2 and fired.date_fired is not None
    assert list(r.UsageTrigger.objects.filter(usage_category="sms", recurring="daily")) == [fired]
    fired.update(friendly_name="sms cap", callback_method="GET")
    assert fired.friendly_name == "sms cap"
    fired.delete()
    assert not r.UsageTrigger.objects.exists()


def test_every_operation_has_a_test() -> None:
    everything = {op.operation_id for op in operations(load_spec()).values()}
    assert len(everything) == TOTAL_OPERATIONS
    assert sorted(everything - set(COVERED)) == []
    assert sorted(set(COVERED) - everything) == []
