"""Checking error logs (the seed's "Checking Error Logs"): what failed, and why.

Every error answer of the API is a ``twiliorm.TwilioRestError`` carrying
Twilio's code, message and documentation link; the account's log of errors
and warnings is the Notifications list. This script makes a few requests
that Twilio refuses (numbers Twilio keeps for exactly that), prints what each
error says, then reads today's log entries, errors first.

Runs against an embedded sandbox unless TWILIO_ACCOUNT_SID is set.
"""

import datetime as dt
import os

import twiliorm
from twiliorm import Call, Message, Notification, TwilioRestError, api
from twiliorm.sandbox import Sandbox

SENDER = "+15017122661"
ATTEMPTS = (
    ("message to an invalid number", Message, {"to": "+15005550001", "body": "hi"}),
    ("message to an unsubscribed number", Message, {"to": "+15005550004", "body": "hi"}),
    ("call to an unreachable number", Call, {"to": "+15005550002", "url": "https://example.com"}),
)
LEVELS = {"0": "error", "1": "warning"}


def try_requests():
    """Make each refused request; return the errors, as the code would see them."""
    errors = []
    for what, model, values in ATTEMPTS:
        try:
            model.objects.create(from_=SENDER, **values)
        except TwilioRestError as exc:
            print(f"  {what}: HTTP {exc.status}, code {exc.code}: {exc.message}")
            print(f"    see {exc.more_info}")
            errors.append(exc)
    return errors


def todays_log():
    """Today's log entries (MessageDate>=today), errors and then warnings."""
    today = dt.datetime.now(dt.timezone.utc).date()
    entries = Notification.objects.filter(message_date__gte=today)
    print(entries.explain())
    return sorted(entries, key=lambda entry: entry.log or "")


def show(entries):
    if not entries:
        print("  the log has no entries for today")
    for entry in entries:
        level = LEVELS.get(entry.log or "", entry.log)
        print(f"  {entry.message_date:%H:%M:%S} {level} {entry.error_code}: {entry.message_text}")
        print(f"    {entry.request_method} {entry.request_url}")


def with_the_seed_client(conn):
    """The seed's Notifications list, through its client."""
    return conn.notifications.list()


def main():
    print("requests Twilio refuses:")
    errors = try_requests()
    print(f"{len(errors)} refused")
    print("the account's log:")
    show(todays_log())
    conn = api.Client(client=twiliorm.default_client())
    print("the seed's client sees", len(with_the_seed_client(conn)), "log entries")


if __name__ == "__main__":
    if os.environ.get("TWILIO_ACCOUNT_SID"):
        twiliorm.connect()
        main()
    else:
        with Sandbox() as sandbox:
            twiliorm.connect(sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url)
            main()
