"""Django's model semantics on resources, against the sandbox over HTTP.

``save(update_fields=...)`` and every other save path keep the edits they did
not send; a naive datetime warns and is read in the current time zone, and
ISO 8601 text is a date; phone numbers are checked and normalised the same
way in the ORM and the seed's facade; ``full_clean()`` checks an instance
as its next save would, with Django's ``message_dict``.
"""

from __future__ import annotations

import datetime as dt
import pickle
import sys
import time
import warnings
from collections.abc import Iterator

import pytest

import twiliorm
from tests.helpers import Recorder, record
from twiliorm import (
    Call,
    IncomingPhoneNumber,
    Message,
    NaiveDateTimeWarning,
    TwilioRestError,
    ValidationError,
    api,
    phones,
)
from twiliorm.persistence import save_request, saved
from twiliorm.sandbox import Sandbox
from twiliorm.sandbox.clock import Clock

UTC = dt.timezone.utc
SENDER = "+15017122661"
VOICE = "https://example.com/voice.xml"


@pytest.fixture
def sent(client: twiliorm.Client) -> Recorder:
    return record(client)


def forms(recorder: Recorder, method: str = "POST") -> list[dict[str, str]]:
    return [dict(r.fields) for r in recorder.requests if r.method == method]


def number(client: twiliorm.Client) -> IncomingPhoneNumber:
    return IncomingPhoneNumber.objects.using(client).create(area_code="530")


# --- 1. a save keeps the edits it did not send --------------------------------------------------


def test_model_save_update_fields_keeps_the_other_unsaved_edits(
    client: twiliorm.Client, sent: Recorder
) -> None:
    n = number(client)
    old_name = n.friendly_name
    n.friendly_name = "front desk"
    n.voice_url = VOICE
    n.save(update_fields=["friendly_name"])
    assert forms(sent)[-1] == {"FriendlyName": "front desk"}
    assert n.friendly_name == "front desk" and n.friendly_name != old_name
    assert n.voice_url == VOICE  # kept, as Django keeps it
    assert n.changed_fields() == ["voice_url"]  # and still to be saved
    n.save()
    assert forms(sent)[-1] == {"VoiceUrl": VOICE}
    assert n.changed_fields() == []
    fetched = IncomingPhoneNumber.objects.using(client).get(sid=n.sid)
    assert (fetched.friendly_name, fetched.voice_url) == ("front desk", VOICE)


def test_model_update_keeps_the_other_unsaved_edits(client: twiliorm.Client) -> None:
    n = number(client)
    n.voice_url = VOICE
    n.update(friendly_name="lobby")
    assert n.friendly_name == "lobby"
    assert n.voice_url == VOICE and n.changed_fields() == ["voice_url"]
    assert IncomingPhoneNumber.objects.using(client).get(sid=n.sid).voice_url is None


def test_model_an_edit_made_while_a_create_is_on_its_way_is_kept(
    client: twiliorm.Client,
) -> None:
    n = IncomingPhoneNumber.objects.using(client).new(area_code="530", friendly_name="new")
    write = save_request(n, None, client.account_sid)
    assert write is not None
    n.voice_url = VOICE  # set after the request was built: not in it
    answer = client.post_json(write.request.path, write.request.form)
    saved(n, write, answer, client)
    assert n.sid is not None and n.friendly_name == "new"
    assert n.voice_url == VOICE and n.changed_fields() == ["voice_url"]
    n.save()
    assert IncomingPhoneNumber.objects.using(client).get(sid=n.sid).voice_url == VOICE


def test_model_an_edit_made_while_an_update_is_on_its_way_is_kept(
    client: twiliorm.Client,
) -> None:
    n = number(client)
    n.friendly_name = "sent"
    write = save_request(n, None, client.account_sid)
    assert write is not None
    n.voice_url = VOICE
    saved(n, write, client.post_json(write.request.path, write.request.form), client)
    assert n.friendly_name == "sent" and n.changed_fields() == ["voice_url"]


def test_model_refresh_drops_unsaved_edits_as_django_does_and_later_saves_keep_theirs(
    client: twiliorm.Client, sent: Recorder
) -> None:
    n = number(client)
    n.voice_url = VOICE
    n.refresh()  # Django's refresh_from_db(): every field as the API has it
    assert n.voice_url is None and n.changed_fields() == []
    n.friendly_name = "after refresh"
    n.voice_url = VOICE
    n.save(update_fields=["voice_url"])
    assert forms(sent)[-1] == {"VoiceUrl": VOICE}
    assert n.friendly_name == "after refresh" and n.changed_fields() == ["friendly_name"]


def test_model_a_create_reads_the_answer_and_leaves_nothing_pending(
    client: twiliorm.Client,
) -> None:
    msg = Message.objects.using(client).create(to="(555) 867-5310", from_=SENDER, body="hi")
    assert msg.to == "+15558675310" and msg.changed_fields() == []


# --- 3. naive datetimes and ISO text -------------------------------------------------------------

SENT_AT = dt.datetime(2026, 1, 2, 3, 30, tzinfo=UTC)  # 22:30 on Jan 1 in New York


@pytest.fixture
def dated() -> Iterator[Message]:
    """One message sent at SENT_AT (a sandbox whose clock starts then)."""
    with Sandbox(clock=Clock(frozen=True, start=SENT_AT)) as sb:
        c = sb.client()
        msg = Message.objects.using(c).create(to="+15558675310", from_=SENDER, body="dated")
        sb.advance(60)
        msg.refresh()
        assert msg.date_sent is not None and msg.date_sent - SENT_AT < dt.timedelta(minutes=1)
        yield msg
        c.close()


@pytest.fixture
def new_york(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process's local zone is New York, and Django's settings are not in play."""
    monkeypatch.delitem(sys.modules, "django.conf", raising=False)
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def found(msg: Message, **conditions: object) -> bool:
    return msg.sid in [m.sid for m in Message.objects.using(msg._ctx.client).filter(**conditions)]  # type: ignore[union-attr]


def test_model_a_naive_datetime_warns_at_the_callers_line_and_is_local_time(
    dated: Message, new_york: None
) -> None:
    with pytest.warns(NaiveDateTimeWarning) as caught:
        assert found(dated, date_sent__gte=dt.datetime(2026, 1, 1, 22, 0))  # 03:00 UTC
        assert not found(dated, date_sent__gte=dt.datetime(2026, 1, 1, 23, 0))  # 04:00 UTC
    assert {w.filename for w in caught} == {__file__}
    assert "Message.date_sent" in str(caught[0].message)


def test_model_a_naive_datetime_is_sent_as_its_day_in_the_current_zone(
    client: twiliorm.Client, sent: Recorder, new_york: None
) -> None:
    with pytest.warns(NaiveDateTimeWarning):
        list(Message.objects.using(client).filter(date_sent__gte=dt.datetime(2026, 1, 1, 22, 0)))
    assert sent.params()["DateSent>"] == "2026-01-02"


def test_model_a_naive_datetime_warns_once_per_line_by_default(
    client: twiliorm.Client, new_york: None
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for hour in range(3):
            Message.objects.using(client).filter(date_sent__lt=dt.datetime(2026, 1, 1, hour))
    assert [w.category for w in caught] == [NaiveDateTimeWarning]


@pytest.fixture
def django_in_tokyo() -> Iterator[None]:
    """Django's settings configured (TIME_ZONE Asia/Tokyo) for this test only, whether or
    not another test module configured them for the session."""
    from django.conf import UserSettingsHolder, global_settings, settings
    from django.utils import timezone

    holder = UserSettingsHolder(global_settings)
    holder.TIME_ZONE, holder.USE_TZ = "Asia/Tokyo", True
    before = vars(settings)["_wrapped"]  # read without making the lazy object set up
    settings._wrapped = holder
    timezone.get_default_timezone.cache_clear()
    try:
        yield
    finally:
        settings._wrapped = before
        timezone.get_default_timezone.cache_clear()


def test_model_a_naive_datetime_is_read_in_djangos_current_time_zone(
    dated: Message, django_in_tokyo: None
) -> None:
    with pytest.warns(NaiveDateTimeWarning, match="Asia/Tokyo"):  # 03:30 UTC is 12:30 there
        assert not found(dated, date_sent__lt=dt.datetime(2026, 1, 2, 12, 0))
        assert found(dated, date_sent__gte=dt.datetime(2026, 1, 2, 12, 0))


def test_model_iso_text_is_a_date_or_an_aware_datetime(dated: Message) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert found(dated, date_sent__gte="2026-01-02")
        assert not found(dated, date_sent__gte="2026-01-03")
        assert found(dated, date_sent__gte="2026-01-02T03:00:00Z")
        assert not found(dated, date_sent__gte="2026-01-02T04:00:00+00:00")
        assert found(dated, date_sent__range=("2026-01-01", "2026-01-02T03:31:00Z"))


def test_model_text_that_is_no_date_is_refused_before_sending(
    client: twiliorm.Client, sent: Recorder
) -> None:
    with pytest.raises(ValidationError, match="ISO 8601"):
        Message.objects.using(client).filter(date_sent__gte="last tuesday")
    assert sent.requests == []


def test_model_a_naive_send_at_warns_and_is_sent_in_utc(
    client: twiliorm.Client, sent: Recorder, new_york: None
) -> None:
    msg = Message.objects.using(client).new(to="+15558675310", from_=SENDER, body="later")
    msg.send_at = dt.datetime(2026, 3, 1, 9, 0)
    msg.schedule_type = "fixed"
    with pytest.warns(NaiveDateTimeWarning) as caught:
        msg.save()
    assert caught[0].filename == __file__
    assert forms(sent)[-1]["SendAt"] == "2026-03-01T14:00:00Z"  # 9:00 in New York
    assert msg.status == "scheduled"


# --- 4. phone numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize("to", ["abc", "555-WOLF", "+1 555", "12", "555-867-5310 ext 5", True])
def test_model_an_address_that_is_none_is_refused_before_sending(
    client: twiliorm.Client, sent: Recorder, to: object
) -> None:
    with pytest.raises(ValidationError, match="phone number") as caught:
        Message.objects.using(client).create(to=to, from_=SENDER, body="hi")
    assert sent.requests == []
    if isinstance(to, str) and to != "12":
        assert "E.164" in str(caught.value) and "Message.to" in str(caught.value)


@pytest.mark.parametrize(
    "to", ["5558675310", "(555) 867-5310", "555-867-5310", "+1 555 867 5310", 5558675310]
)
def test_model_national_numbers_are_stored_in_e164_and_found_either_way(
    client: twiliorm.Client, to: object
) -> None:
    msg = Message.objects.using(client).create(to=to, from_=SENDER, body="hi")
    assert msg.to == "+15558675310"
    messages = Message.objects.using(client)
    for given in ("+15558675310", to, 5558675310, "(555) 867-5310"):
        assert [m.sid for m in messages.filter(to=given)] == [msg.sid]
    assert [m.sid for m in messages.filter(to__in=[to, "+15005550006"])] == [msg.sid]


def test_model_the_facade_and_the_orm_read_numbers_alike(client: twiliorm.Client) -> None:
    conn = api.Client(client=client)
    sent_one = conn.sms.send(to=8995431234, from_=3452341231, body="Hello Monkey")
    assert (sent_one.to, sent_one.from_) == ("+18995431234", "+13452341231")
    orm = [m.sid for m in Message.objects.using(client).filter(to=8995431234)]
    facade = [m.sid for m in conn.sms.list(to=8995431234)]
    assert orm == facade == [sent_one.sid]
    assert [m.sid for m in conn.sms.list(to="(899) 543-1234", from_="345-234-1231")] == orm
    with pytest.raises(ValidationError, match="phone number"):
        conn.sms.send(to="abc", from_=SENDER, body="x")


def test_model_senders_may_be_alphanumeric_ids_receivers_and_callers_not(
    client: twiliorm.Client,
) -> None:
    msg = Message.objects.using(client).create(to="+15558675310", from_="MyShop 24", body="hi")
    assert msg.from_ == "MyShop 24"
    assert [m.sid for m in Message.objects.using(client).filter(from_="MyShop 24")] == [msg.sid]
    with pytest.raises(ValidationError, match=r"Message\.to"):
        Message.objects.using(client).create(to="MyShop", from_=SENDER, body="hi")
    with pytest.raises(ValidationError, match=r"Message\.from_"):
        Message.objects.using(client).create(to="+15558675310", from_="TwelveChars1", body="x")
    with pytest.raises(ValidationError, match=r"Call\.from_"):
        Call.objects.using(client).create(to="+15558675310", from_="MyShop", twiml="<Response/>")


def test_model_channel_addresses_and_short_codes_are_kept(client: twiliorm.Client) -> None:
    whatsapp = Message.objects.using(client).create(
        to="whatsapp:555 867 5310", from_="whatsapp:+14155238886", body="hi"
    )
    assert whatsapp.to == "whatsapp:+15558675310"
    short = Message.objects.using(client).create(to="+15558675310", from_="12345", body="hi")
    assert short.from_ == "12345"
    call = Call.objects.using(client).create(
        to="client:alice", from_="+15017122661", twiml="<Response/>"
    )
    assert call.to == "client:alice"
    sip = Call.objects.using(client).create(
        to="sip:bob@example.com", from_=SENDER, twiml="<Response/>"
    )
    assert sip.to == "sip:bob@example.com"


def test_model_the_magic_test_numbers_still_reach_the_sandbox(client: twiliorm.Client) -> None:
    with pytest.raises(TwilioRestError) as caught:
        Message.objects.using(client).create(to="+15005550001", from_=SENDER, body="hi")
    assert caught.value.code == 21211
    ok = Message.objects.using(client).create(to="+15558675310", from_="+15005550006", body="hi")
    assert ok.from_ == "+15005550006"


def test_model_the_sandbox_refuses_what_is_not_e164_as_twilio_does(
    client: twiliorm.Client,
) -> None:
    messages = f"/2010-04-01/Accounts/{client.account_sid}/Messages.json"
    calls = f"/2010-04-01/Accounts/{client.account_sid}/Calls.json"
    cases = [
        (messages, {"To": "5558675310", "From": SENDER, "Body": "x"}, 21211),
        (messages, {"To": "+15558675310", "From": "555-0100", "Body": "x"}, 21212),
        (calls, {"To": "(555) 867-5310", "From": SENDER, "Twiml": "<Response/>"}, 21211),
        (calls, {"To": "+15558675310", "From": "MyShop", "Twiml": "<Response/>"}, 21212),
    ]
    for path, form, code in cases:
        with pytest.raises(TwilioRestError) as caught:
            client.post_json(path, list(form.items()))
        assert caught.value.code == code, form
    ok = client.post_json(messages, [("To", "+15558675310"), ("From", "MyShop"), ("Body", "x")])
    assert ok["from"] == "MyShop"


def test_model_without_phonenumbers_north_american_numbers_are_still_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(phones, "parser", None)
    for given in ("5558675310", "(555) 867-5310", "1 555 867 5310", 5558675310):
        assert phones.normalise(given) == "+15558675310"
    assert phones.normalise("+442071838750") == "+442071838750"
    for bad in ("+1555867531", "0555867531", "+4420"):
        with pytest.raises(ValidationError):
            phones.normalise(bad)
    monkeypatch.setenv("TWILIORM_PHONE_REGION", "GB")
    with pytest.raises(ValidationError, match=r"twiliorm\[phones\]"):
        phones.normalise("020 7183 8750")


def test_model_the_default_region_comes_from_the_environment(
    client: twiliorm.Client, sent: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIORM_PHONE_REGION", "gb")
    assert phones.normalise("020 7183 8750") == "+442071838750"
    list(Message.objects.using(client).filter(to="020 7183 8750"))
    assert sent.params()["To"] == "+442071838750"
    monkeypatch.setenv("TWILIORM_PHONE_REGION", "Britain")
    with pytest.raises(twiliorm.ConfigurationError, match="TWILIORM_PHONE_REGION"):
        phones.normalise("020 7183 8750")


# --- 5. full_clean() ------------------------------------------------------------------------------


def test_model_full_clean_names_every_problem_by_field_and_sends_nothing(
    client: twiliorm.Client, sent: Recorder
) -> None:
    msg = Message.objects.using(client).new(body="hi")
    msg.to = "abc"
    msg.from_ = "not a sender!"
    msg.status_callback = "example.com/status"
    msg.attempt = "many"  # type: ignore[assignment]
    msg.status = "sent"  # type: ignore[assignment]  # set by the API, not on create
    with pytest.raises(ValidationError) as caught:
        msg.full_clean()
    errors = caught.value.message_dict
    assert set(errors) == {"to", "from_", "status_callback", "attempt", "status"}
    assert "E.164" in errors["to"][0]
    assert "URL with a host, http or https" in errors["status_callback"][0]
    assert "cannot be sent on create" in errors["status"][0]
    assert set(caught.value.error_dict) == set(errors)
    assert len(caught.value.messages) == 5
    assert sent.requests == []


def test_model_full_clean_checks_required_fields_and_honours_exclude(
    client: twiliorm.Client,
) -> None:
    msg = Message.objects.using(client).new(body="hi")
    with pytest.raises(ValidationError) as caught:
        msg.full_clean()
    assert caught.value.message_dict == {"to": ["Message.to is required to create"]}
    msg.full_clean(exclude=["to"])
    msg.clean_fields(exclude={"to"})
    msg.full_clean(exclude=["to"], validate_unique=False, validate_constraints=False)


def test_model_full_clean_cleans_values_in_place_then_save_sends_them(
    client: twiliorm.Client, sent: Recorder
) -> None:
    msg = Message.objects.using(client).new(from_=SENDER, body="hi")
    msg.to = "(555) 867-5310"
    msg.full_clean()
    assert msg.to == "+15558675310"
    msg.save()
    assert forms(sent)[-1]["To"] == "+15558675310"


def test_model_full_clean_on_a_fetched_instance_checks_only_what_would_be_sent(
    client: twiliorm.Client,
) -> None:
    n = IncomingPhoneNumber.objects.using(client).get(sid=number(client).sid)
    n.full_clean()  # what the API sent is not the user's to fix
    n.voice_url = "ftp://example.com/x"
    n.voice_method = "FETCH"  # type: ignore[assignment]
    n.voice_application_sid = "AP123"
    n.phone_number = "+15558675310"  # a create-only field
    with pytest.raises(ValidationError) as caught:
        n.full_clean()
    errors = caught.value.message_dict
    assert set(errors) == {"voice_url", "voice_method", "voice_application_sid", "phone_number"}
    assert "'GET'" in errors["voice_method"][0]
    assert "AP + 32 hex" in errors["voice_application_sid"][0]
    assert "writable on create" in errors["phone_number"][0]
    n.full_clean(exclude=["voice_url", "voice_method", "voice_application_sid", "phone_number"])


class Checked(Message):
    """A resource with a check across fields, as a Django model's ``clean()``."""

    def clean(self) -> None:
        if self.body and self.media_url:
            raise ValidationError("a message with media has no body here")
        if self.body == "forbidden":
            raise ValidationError({"body": "that word is not sent"})


def test_model_full_clean_runs_the_instance_clean_hook(client: twiliorm.Client) -> None:
    msg = Checked(to="+15558675310", from_=SENDER, body="hi", media_url=["https://e.com/a.png"])
    with pytest.raises(ValidationError) as caught:
        msg.full_clean()
    assert caught.value.message_dict == {"__all__": ["a message with media has no body here"]}
    msg = Checked(to="bad", from_=SENDER, body="forbidden")
    with pytest.raises(ValidationError) as caught:
        msg.full_clean()
    assert set(caught.value.message_dict) == {"to", "body"}
    msg.clean_fields(exclude=["to"])  # clean() is full_clean's, not clean_fields'


def test_model_a_validation_error_by_field_pickles_and_reads_well() -> None:
    error = ValidationError({"to": ["bad to"], "body": "empty"})
    back = pickle.loads(pickle.dumps(error))
    assert back.message_dict == {"to": ["bad to"], "body": ["empty"]}
    assert str(back) == "to: bad to; body: empty"
    plain = ValidationError("one thing")
    assert plain.messages == ["one thing"] and not hasattr(plain, "error_dict")
    with pytest.raises(AttributeError):
        plain.message_dict  # noqa: B018  # as Django's: only an error about fields has one
