"""``twiliorm demo``: the seed's tutorial, step by step, against an embedded sandbox.

Each step prints what it did and the request it sent, so a reader sees how
the models map onto the API. No Twilio account is needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

__all__ = ["add_parser", "run_demo"]


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the tutorial against an embedded sandbox",
        description="Buy a number, send and read messages, look at sub-accounts, the error log "
        "and a conference, against a sandbox started for the occasion.",
    )
    parser.set_defaults(handler=lambda args: run_demo(print))


def run_demo(say: Callable[[str], Any]) -> int:
    from .. import (
        LOCAL,
        Account,
        AvailablePhoneNumber,
        Call,
        Conference,
        Message,
        Notification,
        TwilioRestError,
    )
    from ..client import set_default_client
    from ..sandbox import Sandbox

    with Sandbox() as sandbox:
        client = sandbox.client()
        set_default_client(client)
        try:
            say(f"Sandbox running at {sandbox.base_url} (account {sandbox.account_sid})\n")

            def step(title: str) -> None:
                say(f"== {title}")

            def last_request() -> str:
                entry = sandbox.requests[-1]
                query = f"?{entry.query}" if entry.query else ""
                return f"   -> {entry.method} {entry.path}{query} ({entry.status})"

            step("Buying a phone number")
            found = AvailablePhoneNumber.objects.filter(
                country="US", type=LOCAL, area_code=530, contains="WOLF"
            )
            number = found.first()
            say(last_request())
            assert number is not None
            say(f"   found {number.phone_number} in {number.locality}, {number.region}")
            bought = number.purchase()
            say(last_request())
            bought.voice_url = "http://example.com/twiml.xml"
            bought.save()
            say(last_request())
            say(f"   bought {bought.sid}, voice_url={bought.voice_url}\n")

            step("Sending and retrieving SMS messages")
            msg = Message.objects.create(
                to="+18995431234", from_=bought.phone_number, body="Hello Monkey"
            )
            say(last_request())
            say(f"   sent {msg.sid}: status {msg.status}")
            for m in Message.objects.filter(to="+18995431234", date_sent__gte=dt.date.today()):
                say(f"   {m.sid} {m.status} {m.date_sent:%Y-%m-%d %H:%M:%S} {m.body!r}")
            say(last_request() + "\n")

            step("Accessing sub-accounts")
            Account.objects.create(friendly_name="Marketing")
            say(last_request())
            for account in Account.objects.all():
                say(f"   {account.sid} {account.friendly_name!r} {account.status}")
            say(last_request() + "\n")

            step("Checking error logs")
            try:
                Message.objects.create(to="+15005550001", from_=bought.phone_number, body="hi")
            except TwilioRestError as exc:
                say(f"   refused at once: error {exc.code}: {exc.message}")
            # The sandbox's reserved number +15550030003 takes the message, then it
            # ends undelivered (30003), which the account's error log records.
            lost = Message.objects.create(to="+15550030003", from_=bought.phone_number, body="hi")
            lost.refresh()
            say(f"   {lost.sid} ended {lost.status} with error {lost.error_code}")
            for entry in Notification.objects.all()[:5]:
                when = f"{entry.message_date:%H:%M:%S}"
                say(f"   log: error {entry.error_code} at {when} {entry.more_info}")
            say(last_request() + "\n")

            step("Something with conferences")
            twiml = "<Response><Dial><Conference>Monkey Room</Conference></Dial></Response>"
            Call.objects.create(to="+15558675310", from_=bought.phone_number, twiml=twiml)
            say(last_request())
            room = Conference.objects.get(friendly_name="Monkey Room")
            say(f"   {room.sid} {room.friendly_name!r} is {room.status}")
            guest = room.participants.create(from_=bought.phone_number, to="+15558675311")
            say(last_request())
            guest.update(muted=True)
            say(last_request())
            for p in room.participants.all():
                say(f"   participant {p.call_sid} muted={p.muted}")
            say("")
            say(f"Done: {len(sandbox.requests)} requests answered by the sandbox.")
        finally:
            set_default_client(None)
            client.close()
    return 0
