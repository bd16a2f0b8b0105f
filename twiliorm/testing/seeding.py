"""Putting what a test needs in a sandbox before the app under test runs.

:class:`Seeder` (the ``twilio_seed`` fixture) makes records the app will
find, without them counting as sent by the app: it uses a client of its
own, not the test's recorded one, or writes to the sandbox's store where
the API has no way in.

- ``incoming_number()`` (``await aincoming_number()`` in an async test)
  buys a number over the API, so the sandbox's own rules apply (the
  inventory, a number owned once);
- ``conversation()`` stores messages exchanged with someone, inbound ones
  included: the API cannot make an inbound message (Twilio receives them),
  so they are stored as the sandbox stores the messages it makes;
- ``sandbox.populate(messages, calls)`` (the sandbox's own) stores many
  made-up messages and calls.

What is returned is bound to no client: saving or refreshing it goes through
the default client, the test's. This module imports the sandbox: the plugin
imports it only when a test asks for ``twilio_seed``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from typing import Any, Literal

from .. import dates
from ..client import Client
from ..models import AvailablePhoneNumber, IncomingPhoneNumber, Message
from ..sandbox import Sandbox
from ..sandbox.behaviours import messages

__all__ = ["Seeder"]

Direction = Literal["inbound", "outbound"]


class Seeder:
    """Seeding helpers for one sandbox (see the module docstring); ``close()`` when done."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._client: Client | None = None

    @property
    def client(self) -> Client:
        """The seeder's own client: what it sends is not the app's."""
        if self._client is None:
            self._client = self.sandbox.client()
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()  # its async twin's connections close with their event loop
            self._client = None

    def incoming_number(
        self, phone_number: str | None = None, *, area_code: int | str = 415, **values: Any
    ) -> IncomingPhoneNumber:
        """A number the account owns: ``phone_number`` if given (it must be available),
        else the first available in ``area_code``; ``values`` are more fields to set
        (``friendly_name=``, ``sms_url=``...)."""
        if phone_number is None:
            phone_number = self._available(area_code)
        objects = IncomingPhoneNumber.objects.using(self.client)
        bought = objects.create(phone_number=phone_number, **values)
        return IncomingPhoneNumber.from_api(bought.to_api())

    async def aincoming_number(
        self, phone_number: str | None = None, *, area_code: int | str = 415, **values: Any
    ) -> IncomingPhoneNumber:
        """:meth:`incoming_number` for async tests (sync requests would block their loop)."""
        if phone_number is None:
            available = AvailablePhoneNumber.objects.using(self.client)
            phone_number = _number(await available.filter(area_code=area_code).afirst(), area_code)
        objects = IncomingPhoneNumber.objects.using(self.client)
        bought = await objects.acreate(phone_number=phone_number, **values)
        return IncomingPhoneNumber.from_api(bought.to_api())

    def _available(self, area_code: int | str) -> str:
        found = AvailablePhoneNumber.objects.using(self.client).filter(area_code=area_code).first()
        return _number(found, area_code)

    def conversation(
        self,
        ours: str,
        theirs: str,
        turns: Sequence[str],
        *,
        first: Direction = "inbound",
        every: dt.timedelta = dt.timedelta(minutes=1),
    ) -> list[Message]:
        """Messages between ``ours`` (the account's number) and ``theirs``, oldest first.

        ``turns`` are the bodies, taking turns: the first is ``first``
        (``"inbound"``: they wrote it; ``"outbound"``: the account did), the
        next the other way, and so on. They are ``every`` apart, the last one
        sent now (on the sandbox's clock); inbound ones are ``received``,
        outbound ones ``delivered``.
        """
        if first not in ("inbound", "outbound"):
            raise ValueError(f"first is 'inbound' or 'outbound', not {first!r}")
        now = self.sandbox.clock.now()
        ways: list[Direction] = [first, "outbound" if first == "inbound" else "inbound"]
        made = [
            _message(body, ours, theirs, ways[i % 2], now - every * (len(turns) - 1 - i))
            for i, body in enumerate(turns)
        ]
        return [Message.from_api(body) for body in self._store_messages(made)]

    def _store_messages(self, payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store messages as the sandbox stores those it makes itself (completed, indexed)."""
        app = self.sandbox.app
        behaviour, account = app.behaviours.messages, app.account_sid
        done = []
        with app.lock, app.store.transaction():
            for values in payloads:
                body = behaviour.payloads.build(account, **values)
                index = behaviour.index(body)
                app.store.insert(behaviour.name, account, "", body["sid"], body, index)
                done.append(body)
        return done


def _number(found: AvailablePhoneNumber | None, area_code: int | str) -> str:
    if found is None or found.phone_number is None:
        raise LookupError(f"the sandbox has no number left in area code {area_code}")
    return found.phone_number


def _message(
    body: str, ours: str, theirs: str, direction: Direction, when: dt.datetime
) -> dict[str, Any]:
    """The payload values of one message of a conversation."""
    stamp = dates.format_rfc2822(when)
    inbound = direction == "inbound"
    return {
        "sid": "SM" + secrets.token_hex(16),
        "from": theirs if inbound else ours,
        "to": ours if inbound else theirs,
        "body": body,
        **messages.outbound(body),
        "direction": "inbound" if inbound else "outbound-api",
        "status": "received" if inbound else "delivered",
        "price": messages.PRICE,
        "date_created": stamp,
        "date_sent": stamp,
        "date_updated": stamp,
    }
