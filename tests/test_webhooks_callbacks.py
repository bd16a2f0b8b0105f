"""Status-callback forms read into the models they report on, through the declarations."""

from __future__ import annotations

import datetime as dt
import urllib.parse

import pytest

import twiliorm
from twiliorm import Call, CallStatus, Message, MessageStatus
from twiliorm.webhooks import CALLBACK_PARAMS, callback_model, parse_callback

ACCOUNT = "AC" + "a" * 32
MESSAGE_SID = "SM" + "1" * 32
CALL_SID = "CA" + "2" * 32

# A delivery report as Twilio posts it for an outbound message.
MESSAGE_FORM = {
    "ErrorCode": "30007",
    "SmsSid": MESSAGE_SID,
    "SmsStatus": "undelivered",
    "MessageStatus": "undelivered",
    "To": "+15558675310",
    "MessagingServiceSid": "MG" + "3" * 32,
    "MessageSid": MESSAGE_SID,
    "AccountSid": ACCOUNT,
    "From": "+15017122661",
    "ApiVersion": "2010-04-01",
    "RawDlrDoneDate": "2302141000",
    "NumSegments": "2",
}

# A call's completed event.
CALL_FORM = {
    "Called": "+15558675310",
    "ToState": "CA",
    "CallerCountry": "US",
    "Direction": "outbound-api",
    "Timestamp": "Tue, 14 Feb 2023 10:00:05 +0000",
    "CallbackSource": "call-progress-events",
    "SequenceNumber": "3",
    "CallStatus": "completed",
    "From": "+15017122661",
    "CallSid": CALL_SID,
    "To": "+15558675310",
    "CallDuration": "42",
    "Duration": "1",
    "AccountSid": ACCOUNT,
    "ApiVersion": "2010-04-01",
    "ParentCallSid": "CA" + "4" * 32,
    "AnsweredBy": "human",
}


def test_a_message_status_callback_is_a_message() -> None:
    message = parse_callback(MESSAGE_FORM)
    assert isinstance(message, Message)
    assert message.sid == MESSAGE_SID
    assert message.status is MessageStatus.UNDELIVERED
    assert message.to == "+15558675310"
    assert message.from_ == "+15017122661"
    assert message.account_sid == ACCOUNT
    assert message.messaging_service_sid == "MG" + "3" * 32
    assert message.error_code == 30007
    assert message.num_segments == 2
    assert message.api_version == "2010-04-01"
    assert message.body is None  # not in the form: absent, not empty


def test_unknown_and_unused_params_are_kept_under_their_names() -> None:
    payload = parse_callback(MESSAGE_FORM).to_api()
    assert payload["RawDlrDoneDate"] == "2302141000"
    assert payload["SmsSid"] == MESSAGE_SID  # MessageSid gave the sid
    assert payload["SmsStatus"] == "undelivered"
    assert payload["status"] == "undelivered" and payload["sid"] == MESSAGE_SID
    assert "MessageSid" not in payload and "body" not in payload


def test_old_sms_names_alone_are_enough() -> None:
    form = {"SmsSid": MESSAGE_SID, "SmsStatus": "sent", "AccountSid": ACCOUNT}
    message = parse_callback(form)
    assert isinstance(message, Message)
    assert (message.sid, message.status) == (MESSAGE_SID, MessageStatus.SENT)


def test_a_call_status_callback_is_a_call() -> None:
    call = parse_callback(CALL_FORM)
    assert isinstance(call, Call)
    assert call.sid == CALL_SID
    assert call.status is CallStatus.COMPLETED
    assert call.duration == 42  # CallDuration, in seconds
    assert call.direction == "outbound-api"
    assert call.parent_call_sid == "CA" + "4" * 32
    assert call.answered_by == "human"
    extra = call.to_api()
    assert extra["Timestamp"] == "Tue, 14 Feb 2023 10:00:05 +0000"
    assert extra["Duration"] == "1"  # CallDuration took the field
    assert extra["SequenceNumber"] == "3"


def test_an_enum_value_the_library_does_not_know_is_kept_as_text() -> None:
    message = parse_callback({**MESSAGE_FORM, "MessageStatus": "teleported"})
    assert message.status == "teleported"


def test_the_model_can_be_given_and_typed() -> None:
    message: Message = parse_callback(MESSAGE_FORM, Message)
    assert message.sid == MESSAGE_SID
    call = parse_callback({"CallSid": CALL_SID, "CallStatus": "ringing"}, Call)
    assert call.status is CallStatus.RINGING


def test_any_declared_model_reads_its_declared_params() -> None:
    number = parse_callback(
        {"Sid": "PN" + "5" * 32, "PhoneNumber": "+15005550006", "VoiceUrl": "https://x/y"},
        twiliorm.IncomingPhoneNumber,
    )
    assert number.phone_number == "+15005550006"
    assert number.voice_url == "https://x/y"


def test_dates_are_read_from_their_form_text() -> None:
    message = parse_callback({**MESSAGE_FORM, "DateSent": "Tue, 14 Feb 2023 10:00:00 +0000"})
    assert message.date_sent == dt.datetime(2023, 2, 14, 10, 0, tzinfo=dt.timezone.utc)


def test_forms_as_pairs_multidicts_and_urlencoded_bodies() -> None:
    body = urllib.parse.urlencode(MESSAGE_FORM)
    for form in (list(MESSAGE_FORM.items()), body, body.encode()):
        assert parse_callback(form).to_api() == parse_callback(MESSAGE_FORM).to_api()
    with_media = body + "&MediaUrl0=https%3A%2F%2Fa%2F1&Body="
    message = parse_callback(with_media)
    assert message.body == ""
    assert message.to_api()["MediaUrl0"] == "https://a/1"


def test_a_form_that_is_no_status_callback_says_what_it_looks_for() -> None:
    with pytest.raises(twiliorm.DecodeError, match="MessageStatus, SmsStatus, CallStatus"):
        parse_callback({"RecordingSid": "RE" + "1" * 32, "AccountSid": ACCOUNT})
    assert callback_model(MESSAGE_FORM) is Message
    assert callback_model(CALL_FORM) is Call


def test_unreadable_values_raise_decode_error_naming_the_param() -> None:
    with pytest.raises(twiliorm.DecodeError, match="ErrorCode='thirty'"):
        parse_callback({**MESSAGE_FORM, "ErrorCode": "thirty"})
    with pytest.raises(twiliorm.DecodeError, match="num_segments"):
        parse_callback({**MESSAGE_FORM, "NumSegments": "many"})
    with pytest.raises(twiliorm.DecodeError, match="To is repeated"):
        parse_callback([*MESSAGE_FORM.items(), ("To", "+1")])


def test_the_explicit_mapping_names_real_fields() -> None:
    for model, names in CALLBACK_PARAMS.items():
        for attribute in names:
            assert attribute in model._meta.fields, (model, attribute)


def test_a_parsed_callback_refreshes_through_the_client(client: twiliorm.Client) -> None:
    sent = Message.objects.create(to="+15558675310", from_="+15005550006", body="Hello Monkey")
    form = {"MessageSid": sent.sid, "MessageStatus": "sent", "AccountSid": sent.account_sid}
    message = parse_callback(form, client=client)
    message.refresh()
    assert message.body == "Hello Monkey"
