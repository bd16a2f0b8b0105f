"""The rest of the account's resources that need more than the generic answers.

- What hangs off a live call: payments, SIPREC sessions, media streams,
  real-time transcriptions, user-defined messages and their subscriptions.
  Each needs the call to be ``in-progress`` (21220 otherwise); a session
  starts ``in-progress`` and is stopped by an update to ``stopped``; a
  payment is updated with ``Capture`` or ``Status`` (``complete`` or
  ``cancel``), and not after it is completed or cancelled.
- A call's events: the API request that created it and its answer.
- Message feedback, for an existing message.
- ICE tokens (STUN and TURN servers with a username and password).
- Caller ID validation: the sandbox places no call; the validation succeeds
  at once and the number becomes an ``OutgoingCallerId`` (21450 if it
  already is one).
- Short codes, provisioned by Twilio rather than bought over the API: a test
  or demo adds one with :meth:`ShortCodes.provision`.
- Usage triggers, whose ``current_value`` is the account's usage of the
  category (by count, usage or price, over the recurring period) and which
  fire (``date_fired``) when it reaches ``trigger_value``; a value of
  ``+30`` means 30 more than the current value.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import TYPE_CHECKING, Any, ClassVar, cast

from ..errors import ApiError, bad_param
from ..generic import Behaviour, Page, Rows, behaviour, new_sid
from ..render import Reply, answer
from ..store import Record
from .applications import check_methods
from .sip import parent_record
from .usage import CATEGORIES, UsageRecords

if TYPE_CHECKING:
    from ..app import Context

__all__ = [
    "CallEvents",
    "Feedback",
    "Payments",
    "Sessions",
    "ShortCodes",
    "Subscriptions",
    "Tokens",
    "UsageTriggers",
    "UserDefinedMessages",
    "Validations",
]


def with_status(behaviour: Behaviour, ctx: Context, body: dict[str, Any], status: int) -> Reply:
    """An answer with the status Twilio gives this operation (200 for some creates)."""
    return answer(body, status, ctx.format, ctx.request_id, behaviour.meta)


class _Answered(Behaviour):
    """A create that is answered, not kept: nothing can read it back later."""

    def save_new(self, ctx: Context, body: dict[str, Any]) -> Record:
        if "sid" in body and body["sid"] is None:
            body["sid"] = new_sid(self.sid_prefix(ctx))
        self.finish_payload(ctx, body)
        return Record(0, self.name, ctx.account, "", "", body)


def live_call(behaviour: Behaviour, ctx: Context) -> Record:
    """The call of the path, which must be in progress."""
    call = parent_record(behaviour, ctx, "Call", "call_sid")
    if call.body.get("status") != "in-progress":
        raise ApiError(400, 21220, f"Call {call.pk} is not in-progress")
    return call


# --- what hangs off a live call --------------------------------------------------------


@behaviour("Siprec", "Stream", "RealtimeTranscription")
class Sessions(Behaviour):
    """A SIPREC session, media stream or real-time transcription of a live call."""

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        live_call(self, ctx)
        name = body.get("name")
        if name and any(
            s.body.get("name") == name and s.body.get("status") == "in-progress"
            for s in self.store.all(self.name, ctx.account)
            if s.parent == self.parent_of(ctx.params)
        ):
            raise ApiError(400, 20001, f"Name {name!r} is already used on this call")
        body["status"] = "in-progress"

    def create(self, ctx: Context) -> Reply:  # type: ignore[override]
        return with_status(self, ctx, super().create(ctx), 200)

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        self.check_required(ctx, "update")
        if body.get("status") != "stopped":
            raise bad_param("Status", str(body.get("status")))
        if record.body.get("status") == "stopped":
            raise ApiError(400, 20001, f"{self.name} {record.pk} is already stopped")


@behaviour("Payment")
class Payments(Behaviour):
    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        live_call(self, ctx)
        parameter = ctx.form_value("Parameter")
        if parameter is not None:
            _json_object("Parameter", parameter)

    def after_create(self, ctx: Context, record: Record) -> None:
        self.set_state(record, {"status": "in-progress"})

    def update(self, ctx: Context) -> Reply:  # type: ignore[override]
        return with_status(self, ctx, super().update(ctx), 202)

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        self.check_required(ctx, "update")
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


def _json_object(param: str, text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ApiError(400, 20001, f"{param} must be a JSON object, got {text!r}")
    return value


@behaviour("UserDefinedMessage")
class UserDefinedMessages(_Answered):
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
        call = parent_record(self, ctx, "Call", "call_sid")
        event = json.dumps(self.created(call))

        def fetch(before: int | None, after: int | None, limit: int) -> Rows:
            fits = (before is None or call.seq < before) and (after is None or call.seq > after)
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


# --- messages, tokens, caller IDs, short codes ---------------------------------------------


@behaviour("MessageFeedback")
class Feedback(_Answered):
    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        parent_record(self, ctx, "Message", "message_sid")
        outcome = body.get("outcome") or "confirmed"
        if outcome not in ("confirmed", "unconfirmed"):
            raise bad_param("Outcome", str(outcome))
        path = f"/2010-04-01/Accounts/{ctx.account}/Messages/{ctx.params['message_sid']}"
        body.update(outcome=outcome, uri=f"{path}/Feedback.json")

    def create(self, ctx: Context) -> Reply:  # type: ignore[override]
        return with_status(self, ctx, super().create(ctx), 200)


@behaviour("Token")
class Tokens(_Answered):
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


@behaviour("ValidationRequest")
class Validations(_Answered):
    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        number = str(body.get("phone_number") or "")
        delay = int(ctx.form_value("CallDelay") or 0)
        if not 0 <= delay <= 60:
            raise bad_param("CallDelay", str(delay))
        known = self.store.all("OutgoingCallerId", ctx.account)
        if any(c.body.get("phone_number") == number for c in known):
            raise ApiError(400, 21450, f"Phone number {number} is already verified")
        body.update(call_sid=new_sid("CA"), validation_code=f"{secrets.randbelow(10**6):06d}")

    def create(self, ctx: Context) -> Reply:  # type: ignore[override]
        return with_status(self, ctx, super().create(ctx), 200)

    def after_create(self, ctx: Context, record: Record) -> None:
        """The sandbox's validation call is answered with the right code at once."""
        caller_ids = self.app.behaviours["OutgoingCallerId"]
        body: dict[str, Any] = {s.key: None for s in caller_ids.meta.payload_fields if s.key}
        number = record.body["phone_number"]
        now, sid = self.app.now_rfc2822(), new_sid("PN")
        body.update(
            sid=sid,
            account_sid=ctx.account,
            phone_number=number,
            friendly_name=record.body.get("friendly_name") or number,
            date_created=now,
            date_updated=now,
            uri=f"/2010-04-01/Accounts/{ctx.account}/OutgoingCallerIds/{sid}.json",
        )
        self.store.insert("OutgoingCallerId", ctx.account, "", sid, body, caller_ids.index(body))


@behaviour("ShortCode")
class ShortCodes(Behaviour):
    def provision(self, account: str, short_code: str, **values: Any) -> dict[str, Any]:
        """Give ``account`` a short code, as Twilio does once one is approved."""
        defaults = {
            "friendly_name": short_code,
            "sms_method": "POST",
            "sms_fallback_method": "POST",
        }
        return self.make(account, short_code=short_code, **{**defaults, **values}).body

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        check_methods(ctx, body)


# --- usage triggers ---------------------------------------------------------------------


@behaviour("UsageTrigger")
class UsageTriggers(Behaviour):
    measures: ClassVar[dict[str, int]] = {"count": 0, "usage": 1, "price": 2}

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        category = body.get("usage_category")
        if category not in {c.name for c in CATEGORIES}:
            raise bad_param("UsageCategory", str(category))
        body["trigger_by"] = body.get("trigger_by") or "usage"
        if body["trigger_by"] not in self.measures:
            raise bad_param("TriggerBy", str(body["trigger_by"]))
        body["recurring"] = body.get("recurring") or "alltime"
        if body["recurring"] not in ("daily", "monthly", "yearly", "alltime"):
            raise bad_param("Recurring", str(body["recurring"]))
        check_methods(ctx, body)
        current = self.current(ctx.account, body)
        body["current_value"] = current
        text = ctx.form_value("TriggerValue") or ""
        base = float(current) if text.startswith("+") else 0.0
        body["trigger_value"] = _number(base + float(text))
        base_uri = f"/2010-04-01/Accounts/{ctx.account}/Usage/Records"
        body["usage_record_uri"] = f"{base_uri}.json?Category={category}"

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        check_methods(ctx, body)

    def current(self, account: str, body: dict[str, Any]) -> str:
        """The usage the trigger watches, now, as Twilio writes numbers (text)."""
        usage = cast(UsageRecords, self.app.behaviours["UsageRecord"])
        days = usage.totals([account]).get(str(body.get("usage_category")), {})
        since = self.since(str(body.get("recurring") or "alltime"))
        index = self.measures[str(body.get("trigger_by") or "usage")]
        return _number(sum(v[index] for day, v in days.items() if since is None or day >= since))

    def since(self, recurring: str) -> dt.date | None:
        today = self.app.now().date()
        return {
            "daily": today,
            "monthly": today.replace(day=1),
            "yearly": today.replace(month=1, day=1),
        }.get(recurring)

    def refresh(self, record: Record) -> Record:
        """Bring ``current_value`` up to date; fire the trigger once it is reached."""
        body = dict(record.body, current_value=self.current(record.account, record.body))
        reached = float(body["current_value"]) >= float(body.get("trigger_value") or 0)
        if reached and not body.get("date_fired"):
            body["date_fired"] = self.app.now_rfc2822()
        return self.save(record, body) if body != record.body else record

    def load(self, ctx: Context) -> Record:
        return self.refresh(super().load(ctx))

    def list(self, ctx: Context) -> Page:
        for record in self.store.all(self.name, ctx.account):
            self.refresh(record)
        return super().list(ctx)


def _number(value: float) -> str:
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"
