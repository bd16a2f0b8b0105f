"""Tests of the reminders app (examples/reminders.py), run against the sandbox.

The fixtures are twiliorm's pytest plugin's: ``twilio_client`` is the app's
default client, connected to a sandbox emptied before each test (see
pytest.ini), ``twilio_requests`` what it sent, ``twilio_seed`` puts numbers
and messages in the sandbox before the app runs.
"""

import datetime as dt

import pytest
import reminders

import twiliorm
from twiliorm import IncomingPhoneNumber, Message

NOW = dt.datetime.now(dt.timezone.utc)
TOMORROW = NOW + dt.timedelta(hours=20)


def appointment(phone="+15558675310", starts_at=TOMORROW, patient="Ada"):
    return reminders.Appointment(patient, phone, starts_at)


def test_a_reminder_is_sent_from_the_clinic_number_with_a_status_callback(twilio_requests):
    sender = reminders.sender_number()
    message = reminders.send_reminder(appointment(), sender)
    assert message.to == "+15558675310"
    assert message.from_ == sender.phone_number
    assert "Hi Ada" in message.body and "Reply STOP" in message.body
    twilio_requests.assert_one(
        "POST",
        "Messages",
        To="+15558675310",
        From=sender.phone_number,
        StatusCallback=reminders.STATUS_CALLBACK,
    )


def test_the_clinic_number_is_bought_once(twilio_requests):
    first = reminders.sender_number()
    again = reminders.sender_number()
    assert first.sid == again.sid
    assert IncomingPhoneNumber.objects.count() == 1
    assert first.friendly_name == reminders.SENDER_NAME
    twilio_requests.assert_one("POST", "IncomingPhoneNumbers", FriendlyName=reminders.SENDER_NAME)


def test_a_clinic_number_the_account_has_is_used_not_bought(twilio_seed, twilio_requests):
    owned = twilio_seed.incoming_number(friendly_name=reminders.SENDER_NAME)
    assert reminders.sender_number().sid == owned.sid
    twilio_requests.assert_none("POST")


def test_a_patient_reminded_earlier_today_is_not_reminded_again(twilio_seed, twilio_requests):
    clinic = twilio_seed.incoming_number(area_code=530, friendly_name=reminders.SENDER_NAME)
    twilio_seed.conversation(
        clinic.phone_number,
        "+15558675310",
        [reminders.reminder_text(appointment()), "Thanks, see you then"],
        first="outbound",
    )
    assert reminders.send_due_reminders([appointment()], NOW) == ([], [])
    twilio_requests.assert_none("POST", "Messages")


def test_only_due_appointments_get_a_reminder_once_a_day(twilio_requests):
    booked = [appointment(), appointment("+15558675311", NOW + dt.timedelta(days=3), "Grace")]
    sent, failed = reminders.send_due_reminders(booked, NOW)
    assert [m.to for m in sent] == ["+15558675310"] and failed == []
    again, _ = reminders.send_due_reminders(booked, NOW)
    assert again == []
    assert Message.objects.filter(to="+15558675310").count() == 1
    twilio_requests.assert_one("POST", "Messages")
    twilio_requests.assert_none("POST", "Messages", To="+15558675311")


def test_an_unreachable_patient_is_reported_not_raised(twilio_client):
    sent, failed = reminders.send_due_reminders([appointment("+15005550001", patient="Alan")], NOW)
    assert sent == []
    assert [problem.code for problem in failed] == [21211]
    assert "Alan" in str(failed[0])


def test_other_errors_are_not_swallowed(twilio_client):
    sender = reminders.sender_number()
    with pytest.raises(twiliorm.TwilioRestError) as caught:
        reminders.send_reminder(appointment("+15005550002"), sender)  # 21612: not reachable by SMS
    assert not isinstance(caught.value, reminders.ReminderError)


def test_delivery_report_counts_todays_messages_by_status(twilio_client):
    sender = reminders.sender_number()
    for phone in ("+15558675310", "+15558675311"):
        reminders.send_reminder(appointment(phone), sender)
    report = reminders.delivery_report(NOW.date())
    assert sum(report.values()) == 2


def test_forgetting_a_patient_redacts_their_messages_only(twilio_client):
    sender = reminders.sender_number()
    reminders.send_reminder(appointment("+15558675310"), sender)
    kept = reminders.send_reminder(appointment("+15558675311", patient="Grace"), sender)
    assert reminders.forget_patient("+15558675310") == 1
    assert [m.body for m in Message.objects.filter(to="+15558675310")] == [""]
    assert Message.objects.get(sid=kept.sid).body == kept.body


def test_the_app_queryset_chains_and_compiles_to_server_filters(twilio_client):
    qs = reminders.reminders.to_patient("+15558675310").sent_since(dt.date(2026, 1, 1))
    assert isinstance(qs, reminders.ReminderQuerySet)
    assert "To=%2B15558675310&DateSent%3E=2026-01-01" in qs.explain()
