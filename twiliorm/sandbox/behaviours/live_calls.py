"""What hangs off a live call, and the ICE servers a client needs to carry one.

- Payments, SIPREC sessions, media streams, real-time transcriptions,
  user-defined messages and their subscriptions each need the call to be
  ``in-progress`` (21220 otherwise). A session starts ``in-progress`` and is
  stopped by an update to ``stopped``; a payment is updated with ``Capture``
  or ``Status`` (``complete`` or ``cancel``), and not after it is completed
  or cancelled. Twilio answers 200 to a new session and 202 to a payment
  update.
- A call's events: the API request that created it and its answer.
- ICE tokens (``Tokens.json``): STUN and TURN servers with a username and
  password, for a WebRTC client to carry a call's media; answered, not kept.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from ..errors import ApiError, bad_param
from ..generic import Answered, Behaviour, behaviour
from ..pages import Page, Rows
from ..store import Record

if TYPE_CHECKING:
    from ..app import Context

__all__ = [
    "CallEvents",
    "Payments",
    "Sessions",
    "Subscriptions",
    "Tokens",
    "UserDefinedMessages",
    "live_call",
]


def live_call(behaviour: Behaviour, ctx: Context) -> Record:
    """The call of the path, which must be in progress."""
    call = behaviour.parent_record(ctx, "Call", "call_sid")
    if call.body.get("status") != "in-progress":
        raise ApiError(400, 21220, f"Call {call.pk} is not in-progress")
    return call


def _json_object(param: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ApiError(400, 20001, f"{param} must be a JSON object, got {text!r}")
    return value


@behaviour("Siprec", "Stream", "RealtimeTranscription")
class Sessions(Behaviour):
    """A SIPREC session, media stream or real-time transcription of a live call."""

    statuses = {"create": 200}

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        live_call(self, ctx)
        name = body.get("name")
        if name:
            same = [
                ("json_extract(body, '$.name') = ?", (name,)),
                ("json_extract(body, '$.status') = 'in-progress'", ()),
            ]
            if self.store.children(self.name, ctx.account, self.parent_of(ctx.params), same):
                raise ApiError(400, 20001, f"Name {name!r} is already used on this call")
        body["status"] = "in-progress"

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        self.form.check_required(ctx, "update")
        if body.get("status") != "stopped":
            raise bad_param("Status", str(body.get("status")))
        if record.body.get("status") == "stopped":
            raise ApiError(400, 20001, f"{self.name} {record.pk} is already stopped")


@behaviour("Payment")
class Payments(Behaviour):
    statuses = {"update": 202}

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        live_call(self, ctx)
        parameter = ctx.form_value("Parameter")
        if parameter is not None:
            _json_object("Parameter", parameter)

    def after_create(self, ctx: Context, record: Record) -> None:
        self.set_state(record, {"status": "in-progress"})

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        self.form.check_required(ctx, "update")
        capture, status = ctx.form_value("Capture"), ctx.form_value("Status")
        if not capture and not status:
            raise ApiError(400, 20001, "A payment update needs Capture or Status")
        done = self.state(record).get("status")
        if done != "in-progress":
            ended = {"complete": "completed", "cancel": "cancelled"}.get(str(done), done)
            raise ApiError(400, 20001, f"Payment {record.pk} is already {ended}")
        if status:
            if status not in ("complete", "cancel"):
                raise bad_param("Status", status)
            self.set_state(record, {"status": status})


@behaviour("UserDefinedMessage")
class UserDefinedMessages(Answered):
    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        live_call(self, ctx)
        _json_object("Content", ctx.form_value("Content") or "")


@behaviour("UserDefinedMessageSubscription")
class Subscriptions(Behaviour):
    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        live_call(self, ctx)


@behaviour("CallEvent")
class CallEvents(Behaviour):
    """The API request that created the call, and what it answered."""

    def list(self, ctx: Context) -> Page:
        call = self.parent_record(ctx, "Call", "call_sid")
        event = json.dumps(self.created(call))

        def fetch(following: int | None, preceding: int | None, limit: int) -> Rows:
            fits = (following is None or call.seq < following) and (
                preceding is None or call.seq > preceding
            )
            return [(call.seq, event)] if fits and limit else []

        return self.page(ctx, fetch)

    def created(self, call: Record) -> dict[str, Any]:
        made = call.body
        parameters = {"to": made.get("to"), "from": made.get("from"), "account_sid": call.account}
        return {
            "request": {
                "method": "POST",
                "url": f"https://api.twilio.com/2010-04-01/Accounts/{call.account}/Calls.json",
                "parameters": parameters,
            },
            "response": {
                "response_code": 201,
                "request_duration": 0,
                "content_type": "application/json",
                "response_body": json.dumps({"sid": call.pk}),
                "date_created": made.get("date_created"),
            },
        }


@behaviour("Token")
class Tokens(Answered):
    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        ttl = int(body.get("ttl") or 86400)
        if not 1 <= ttl <= 172800:
            raise bad_param("Ttl", str(ttl))
        username, password = secrets.token_hex(32), secrets.token_urlsafe(32)
        stun = "stun:global.stun.twilio.com:3478"
        turns = [
            f"turn:global.turn.twilio.com:{p}" for p in ("3478?transport=udp", "443?transport=tcp")
        ]
        servers: list[dict[str, str]] = [{"url": stun, "urls": stun}]
        servers += [
            {"url": t, "urls": t, "username": username, "credential": password} for t in turns
        ]
        body.update(ttl=str(ttl), username=username, password=password, ice_servers=servers)
