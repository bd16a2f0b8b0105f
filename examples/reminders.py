"""Appointment reminders: the Twilio side of a small Django-style app, no Django needed.

An app keeps its Twilio logic the way a Django app keeps its ORM logic: a
custom QuerySet whose methods are the app's questions, a Manager made from
it, and plain functions (the app's services) that views, scheduled jobs and
tests call. Nothing here knows whether it talks to Twilio or to the
sandbox: ``examples/app_tests/`` tests this module against a sandbox
started as a pytest fixture.

Run as a script, it sends tomorrow's reminders for a few appointments.
"""

import collections
import dataclasses
import datetime as dt
import os

import twiliorm
from twiliorm import AvailablePhoneNumber, IncomingPhoneNumber, Manager, Message, QuerySet

SENDER_NAME = "reminders"
STATUS_CALLBACK = "https://clinic.example.com/twilio/status"
UNREACHABLE = {21211, 21610, 21614}  # invalid number, unsubscribed (STOP), not a mobile


@dataclasses.dataclass(frozen=True)
class Appointment:
    patient: str
    phone: str
    starts_at: dt.datetime


class ReminderError(Exception):
    """A reminder that cannot be sent to this patient (the app shows it to the staff)."""

    def __init__(self, appointment, code, message):
        super().__init__(f"{appointment.patient} ({appointment.phone}): {code} {message}")
        self.appointment = appointment
        self.code = code


class ReminderQuerySet(QuerySet):
    """The app's questions about its messages, chainable like any QuerySet."""

    def to_patient(self, phone):
        return self.filter(to=phone)

    def sent_since(self, day):
        return self.filter(date_sent__gte=day)  # DateSent>=day, on the server

    def from_clinic(self, sender):
        return self.filter(from_=sender)


# Like Django's `objects = ReminderManager()`: a manager with the app's methods.
ReminderManager = Manager.from_queryset(ReminderQuerySet)
reminders = ReminderManager(Message)


def sender_number(area_code=530):
    """The clinic's number, bought the first time it is needed."""
    number = IncomingPhoneNumber.objects.filter(friendly_name=SENDER_NAME).first()
    if number is None:
        available = AvailablePhoneNumber.objects.filter(area_code=area_code, sms_enabled=True)
        number = available.first().purchase(friendly_name=SENDER_NAME)
    return number


def reminder_text(appointment):
    when = appointment.starts_at.strftime("%A %d %B at %H:%M")
    return (
        f"Hi {appointment.patient}, a reminder of your appointment on {when}. "
        "Reply STOP to opt out."
    )


def send_reminder(appointment, sender):
    """Send one reminder; a number Twilio cannot reach raises ReminderError."""
    try:
        return Message.objects.create(
            to=appointment.phone,
            from_=sender.phone_number,
            body=reminder_text(appointment),
            status_callback=STATUS_CALLBACK,
        )
    except twiliorm.TwilioRestError as exc:
        if exc.code in UNREACHABLE:
            raise ReminderError(appointment, exc.code, exc.message) from exc
        raise


def send_due_reminders(appointments, now):
    """Remind everyone whose appointment is within a day, once a day; return (sent, failed)."""
    sender = sender_number()
    sent, failed = [], []
    for appointment in appointments:
        due = now <= appointment.starts_at <= now + dt.timedelta(days=1)
        if not due or already_reminded(appointment, sender, now.date()):
            continue
        try:
            sent.append(send_reminder(appointment, sender))
        except ReminderError as exc:
            failed.append(exc)
    return sent, failed


def already_reminded(appointment, sender, day):
    # DateSent is set once Twilio sends the message, seconds after the POST; jobs run
    # minutes apart, so yesterday's run is always visible here.
    earlier = reminders.to_patient(appointment.phone).from_clinic(sender.phone_number)
    return earlier.sent_since(day).exists()  # one GET, PageSize=1


def delivery_report(day):
    """How many of the messages sent since ``day`` are in each status."""
    statuses = reminders.sent_since(day).values_list("status", flat=True)
    return collections.Counter(str(status) for status in statuses)


def forget_patient(phone):
    """Redact the body of every message sent to ``phone`` (a patient's erasure request)."""
    redacted = 0
    for message in reminders.to_patient(phone):
        if message.body:
            message.update(body="")
            redacted += 1
    return redacted


def main():
    now = dt.datetime.now(dt.timezone.utc)
    tomorrow = now + dt.timedelta(hours=20)
    appointments = [
        Appointment("Ada", "+15558675310", tomorrow),
        Appointment("Grace", "+15558675311", tomorrow + dt.timedelta(hours=1)),
        Appointment("Alan", "+15005550001", tomorrow),  # a number Twilio refuses
        Appointment("Edsger", "+15558675312", now + dt.timedelta(days=7)),  # not due yet
    ]
    sent, failed = send_due_reminders(appointments, now)
    print(f"sent {len(sent)} reminders; could not reach {len(failed)}")
    for problem in failed:
        print("  ", problem)
    again, _ = send_due_reminders(appointments, now)
    print(f"a second run sends {len(again)} (each patient is reminded once a day)")
    print("delivery:", dict(delivery_report(now.date())))
    print("forgot Ada:", forget_patient("+15558675310"), "message(s) redacted")


if __name__ == "__main__":
    if os.environ.get("TWILIO_ACCOUNT_SID"):
        twiliorm.connect()
        main()
    else:
        from twiliorm.sandbox import Sandbox

        with Sandbox() as sandbox:
            twiliorm.connect(sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url)
            main()
