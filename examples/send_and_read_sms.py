"""Sending and reading messages (the seed's "Sending and Retrieving SMS Messages").

A small notifier: it sends an order update to a few customers, reads back
one customer's conversation, counts today's messages by status, shows what
a refused message looks like, and redacts the body of a message that held
something it should not. The last part is the seed's own code.

Runs against an embedded sandbox unless TWILIO_ACCOUNT_SID is set.
"""

import collections
import datetime as dt
import os

import twiliorm
from twiliorm import IncomingPhoneNumber, Message, TwilioRestError, api
from twiliorm.sandbox import Sandbox

CUSTOMERS = {"+15558675310": "Ada", "+15558675311": "Grace", "+15558675312": "Alan"}


def our_number():
    """The number we send from: the first one the account owns, bought if there is none."""
    number = IncomingPhoneNumber.objects.first()
    if number is None:
        from twiliorm import AvailablePhoneNumber

        number = AvailablePhoneNumber.objects.filter(area_code=415, sms_enabled=True).first()
        number = number.purchase(friendly_name="notifications")
    return number.phone_number


def send_updates(sender, order):
    sent = []
    for phone, name in CUSTOMERS.items():
        body = f"Hi {name}, your order {order} has shipped."
        sent.append(Message.objects.create(to=phone, from_=sender, body=body))  # one POST each
    return sent


def conversation(phone, sender):
    """Both directions of a conversation, oldest first (two filtered GETs)."""
    outgoing = Message.objects.filter(to=phone, from_=sender)
    incoming = Message.objects.filter(to=sender, from_=phone)
    return sorted([*outgoing, *incoming], key=lambda m: m.date_created)


def todays_statuses():
    """How many of today's messages are in each status (DateSent>=today, no objects built)."""
    today = dt.datetime.now(dt.timezone.utc).date()
    statuses = Message.objects.filter(date_sent__gte=today).values_list("status", flat=True)
    return collections.Counter(str(status) for status in statuses)


def try_invalid_number(sender):
    try:
        Message.objects.create(to="+15005550001", from_=sender, body="hello?")
    except TwilioRestError as exc:  # Twilio's code, message and documentation link
        print(f"refused: {exc.code} {exc.message} ({exc.more_info})")


def redact(message):
    message.update(body="")  # POST .../Messages/SM....json with Body= (an empty body redacts it)
    return message


def with_the_seed_client(conn):
    """The seed's own code: bare ten-digit numbers are read as North American ones."""
    msg = conn.sms.send(to=8995431234, from_=3452341231, body="Hello Monkey")
    messages = conn.sms.list(to=3453453344)
    for m in messages:
        print(m.body)
    return msg


def main():
    sender = our_number()
    sent = send_updates(sender, "#1042")
    print(f"sent {len(sent)} messages from {sender}")
    for message in conversation("+15558675310", sender):
        print(f"  {message.date_created:%H:%M:%S} {message.from_} -> {message.to}: {message.body}")
    print("today by status:", dict(todays_statuses()))
    try_invalid_number(sender)
    redacted = redact(sent[0])
    print(f"redacted {redacted.sid}: body is now {redacted.body!r}")

    conn = api.Client(client=twiliorm.default_client())
    msg = with_the_seed_client(conn)
    print("the seed's client sent", msg.sid, "to", msg.to)


if __name__ == "__main__":
    if os.environ.get("TWILIO_ACCOUNT_SID"):
        twiliorm.connect()
        main()
    else:
        with Sandbox() as sandbox:
            twiliorm.connect(sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url)
            main()
