"""``twiliorm demo``: the tutorial, step by step, against an embedded sandbox.

Each step prints what it did and the request it sent, so a reader sees how
the models map onto the API. No Twilio account is needed. The steps are the
methods of :class:`Tour`, one per section of the tutorial, each usable
on its own against any sandbox.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import (
    LOCAL,
    Account,
    AvailablePhoneNumber,
    Call,
    Conference,
    IncomingPhoneNumber,
    Message,
    Notification,
    TwilioRestError,
)
from ..client import set_default_client

if TYPE_CHECKING:
    from ..sandbox import Sandbox

__all__ = ["Tour", "add_parser", "run_demo"]

Say = Callable[[str], Any]


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the tutorial against an embedded sandbox",
        description="Buy a number, send and read messages, look at sub-accounts, the error log "
        "and a conference, against a sandbox started for the occasion.",
    )
    parser.set_defaults(handler=lambda args: run_demo(print))


def run_demo(say: Say) -> int:
    """Start a sandbox and walk the tutorial through it, telling ``say`` each step."""
    from ..sandbox import Sandbox

    with Sandbox() as sandbox, sandbox.client() as client:
        set_default_client(client)
        try:
            say(f"Sandbox running at {sandbox.base_url} (account {sandbox.account_sid})\n")
            Tour(sandbox, say).walk()
        finally:
            set_default_client(None)
    return 0


class Tour:
    """The tutorial's steps against ``sandbox`` (through the default client)."""

    def __init__(self, sandbox: Sandbox, say: Say) -> None:
        self.sandbox = sandbox
        self.say = say

    def walk(self) -> None:
        number = self.buy_a_number()
        self.send_and_read(number)
        self.sub_accounts()
        self.error_logs(number)
        self.conference(number)
        self.say("")
        self.say(f"Done: {len(self.sandbox.requests)} requests answered by the sandbox.")

    def title(self, text: str) -> None:
        self.say(f"== {text}")

    def request(self, end: str = "") -> None:
        """Show the last request the sandbox answered."""
        entry = self.sandbox.requests[-1]
        query = f"?{'&'.join(entry.params)}" if entry.params else ""  # the log keeps no values
        self.say(f"   -> {entry.method} {entry.path}{query} ({entry.status}){end}")

    def buy_a_number(self) -> IncomingPhoneNumber:
        self.title("Buying a phone number")
        found = AvailablePhoneNumber.objects.filter(
            country="US", type=LOCAL, area_code=530, contains="WOLF"
        ).first()
        self.request()
        assert found is not None, "the sandbox's stock has numbers in 530 spelling WOLF"
        self.say(f"   found {found.phone_number} in {found.locality}, {found.region}")
        bought = found.purchase()
        self.request()
        bought.voice_url = "http://example.com/twiml.xml"
        bought.save()
        self.request()
        self.say(f"   bought {bought.sid}, voice_url={bought.voice_url}\n")
        return bought

    def send_and_read(self, number: IncomingPhoneNumber) -> None:
        self.title("Sending and retrieving SMS messages")
        sent = Message.objects.create(
            to="+18995431234", from_=number.phone_number, body="Hello Monkey"
        )
        self.request()
        self.say(f"   sent {sent.sid}: status {sent.status}")
        for m in Message.objects.filter(to="+18995431234", date_sent__gte=dt.date.today()):
            self.say(f"   {m.sid} {m.status} {m.date_sent:%Y-%m-%d %H:%M:%S} {m.body!r}")
        self.request("\n")

    def sub_accounts(self) -> None:
        self.title("Accessing sub-accounts")
        Account.objects.create(friendly_name="Marketing")
        self.request()
        for account in Account.objects.all():
            self.say(f"   {account.sid} {account.friendly_name!r} {account.status}")
        self.request("\n")

    def error_logs(self, number: IncomingPhoneNumber) -> None:
        self.title("Checking error logs")
        try:
            Message.objects.create(to="+15005550001", from_=number.phone_number, body="hi")
        except TwilioRestError as exc:
            self.say(f"   refused at once: error {exc.code}: {exc.message}")
        # The sandbox's reserved number +15550030003 takes the message, then it
        # ends undelivered (30003), which the account's error log records.
        lost = Message.objects.create(to="+15550030003", from_=number.phone_number, body="hi")
        lost.refresh()
        self.say(f"   {lost.sid} ended {lost.status} with error {lost.error_code}")
        for entry in Notification.objects.all()[:5]:
            when = f"{entry.message_date:%H:%M:%S}"
            self.say(f"   log: error {entry.error_code} at {when} {entry.more_info}")
        self.request("\n")

    def conference(self, number: IncomingPhoneNumber) -> None:
        self.title("Something with conferences")
        twiml = "<Response><Dial><Conference>Monkey Room</Conference></Dial></Response>"
        Call.objects.create(to="+15558675310", from_=number.phone_number, twiml=twiml)
        self.request()
        room = Conference.objects.get(friendly_name="Monkey Room")
        self.say(f"   {room.sid} {room.friendly_name!r} is {room.status}")
        guest = room.participants.create(from_=number.phone_number, to="+15558675311")
        self.request()
        guest.update(muted=True)
        self.request()
        for p in room.participants.all():
            self.say(f"   participant {p.call_sid} muted={p.muted}")
