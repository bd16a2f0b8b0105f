"""Messages: Twilio's checks and error codes, segments and media, and the lifecycle.

A new message answers ``queued`` (``accepted`` when only a messaging service
is given, ``scheduled`` with ``ScheduleType=fixed``); then, on the sandbox
clock, it goes ``sending`` -> ``sent`` (``date_sent`` and ``price`` set) ->
``delivered``, or ends as its ``To`` number says (``undelivered`` or
``failed`` with an error code, see :mod:`.outcomes`). Each change is POSTed
to the message's ``StatusCallback``; a failure also leaves a Notification.

``Body=`` on update redacts the body; ``Status=canceled`` cancels a message
not yet sent. A message still on its way cannot be deleted. Media URLs
become Media records under the message. Feedback on a message is answered
(200), not kept.
"""

from __future__ import annotations

import mimetypes
from typing import TYPE_CHECKING, Any

from ... import dates, phones
from ..errors import ApiError, bad_param
from ..generic import Answered, Behaviour, behaviour
from ..lifecycle import on_event
from ..store import Record
from . import magic, outcomes

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["Feedback", "Messages", "outbound", "segments"]

_GSM = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
#: GSM-7's extension table: each is sent as an escape and the character, two septets
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")
_GSM_ALL = _GSM | _GSM_EXTENSION
_FINAL = ("delivered", "undelivered", "failed", "received", "canceled", "read")
_ON_ITS_WAY = ("queued", "sending", "accepted", "scheduled")
_MAX_BODY = 1600
PRICE = "-0.00750"


def segments(body: str) -> int:
    """How many SMS segments a body takes, as Twilio counts them.

    GSM-7 when every character is in its tables: 160 septets in one segment, 153
    per segment after that, an extension character (``€``, ``[``, ``{``...) taking
    two. Otherwise UCS-2: 70 UTF-16 code units, then 67 per segment (an emoji,
    outside the Basic Multilingual Plane, takes two).
    """
    if not body:
        return 1
    used = set(body)
    if used <= _GSM_ALL:
        extended = sum(body.count(ch) for ch in used & _GSM_EXTENSION)
        units, single, multi = len(body) + extended, 160, 153
    else:
        units, single, multi = len(body.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else -(-units // multi)


def outbound(text: str, media: int = 0, service: str | None = None) -> dict[str, Any]:
    """What the API makes of a new outbound message (and of populated ones too)."""
    return {
        "direction": "outbound-api",
        "num_segments": str(segments(text)),
        "num_media": str(media),
        "price_unit": "USD",
        "messaging_service_sid": service,
    }


def _check_addresses(to: str, frm: str | None) -> None:
    """Twilio keeps E.164 (and channel addresses, short codes, sender IDs): it refuses
    anything else rather than guess (21211, 21212)."""
    if to and not phones.is_address(to):
        raise ApiError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if frm and not phones.is_address(frm, sender=True):
        raise ApiError(
            400,
            21212,
            f"The 'From' number {frm} is not a valid phone number, shortcode, "
            "or alphanumeric sender ID.",
        )


@behaviour("Message")
class Messages(Behaviour):
    missing_codes = {"To": (21604, "A 'To' phone number is required.")}

    def sid_prefix(self, ctx: Context) -> str:
        return "MM" if ctx.form_values("MediaUrl") else "SM"

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        to, frm = ctx.form_value("To") or "", ctx.form_value("From")
        service = ctx.form_value("MessagingServiceSid")
        if not frm and not service:
            raise ApiError(400, 21603, "A 'From' phone number is required.")
        media = ctx.form_values("MediaUrl")
        text = ctx.form_value("Body") or ""
        if not text and not media and not ctx.form_value("ContentSid"):
            raise ApiError(400, 21602, "Message body is required.")
        if len(text) > _MAX_BODY:
            raise ApiError(
                400,
                21617,
                f"The concatenated message body exceeds the {_MAX_BODY} character limit.",
            )
        _check_addresses(to, frm)
        magic.check_message(frm, to, ctx.test)
        scheduled = ctx.form_value("ScheduleType") == "fixed" and ctx.form_value("SendAt")
        body.update(outbound(text, len(media), service))
        body["status"] = (
            "scheduled" if scheduled else ("accepted" if service and not frm else "queued")
        )

    def after_create(self, ctx: Context, record: Record) -> None:
        for url in ctx.form_values("MediaUrl"):
            self._add_media(ctx, record, url)
        callback = ctx.form_value("StatusCallback")
        if callback:
            self.set_state(record, {"callback": callback})
        if record.body["status"] in ("queued", "accepted"):
            self.lifecycle(record)
        elif record.body["status"] == "scheduled":
            self.events.schedule(record, self._until(ctx.form_value("SendAt") or ""), "release")

    def _add_media(self, ctx: Context, message: Record, url: str) -> None:
        self.app.behaviours.media.make(
            ctx.account,
            {"message_sid": message.pk},
            content_type=mimetypes.guess_type(url)[0] or "image/jpeg",
            parent_sid=message.pk,
        )

    # --- the lifecycle, on the sandbox clock --------------------------------------------

    def lifecycle(self, record: Record) -> None:
        """Schedule the steps to the message's outcome (see :mod:`.outcomes`)."""
        outcome = outcomes.message_outcome(record.body.get("to"))
        sending, sent, delivered = self.app.settings.message_delays
        if outcome.status == "failed":
            self.events.schedule(record, sending, "end", status="failed")
            return
        self.events.schedule(record, sending, "step", status="sending")
        self.events.schedule(record, sending + sent, "step", status="sent")
        if outcome.status != "sent":
            self.events.schedule(record, sending + sent + delivered, "end", status=outcome.status)

    def _until(self, send_at: str) -> float:
        try:
            when = dates.parse_iso_datetime(send_at)
        except ValueError:
            raise bad_param("SendAt", send_at) from None
        return max(0.0, when.timestamp() - self.app.scheduler.now())

    @on_event("release")
    def release(self, record: Record) -> None:
        """A scheduled message's time has come: it is queued and sent."""
        if record.body.get("status") != "scheduled":
            return
        body = dict(record.body, status="queued", date_updated=self.app.now_rfc2822())
        self.lifecycle(self.save(record, body))

    @on_event("step")
    def step(self, record: Record, status: str) -> None:
        """Sending, then sent (``date_sent`` and ``price`` set)."""
        if record.body.get("status") in _FINAL:
            return
        now = self.app.now_rfc2822()
        body = dict(record.body, status=status, date_updated=now)
        if status == "sent":
            body.update(date_sent=now, price=PRICE)
        self.changed(self.save(record, body))

    @on_event("end")
    def reach_outcome(self, record: Record, status: str) -> None:
        """The final status: delivered, or the failure the ``To`` number stands for."""
        if record.body.get("status") in _FINAL:
            return
        outcome = outcomes.message_outcome(record.body.get("to"))
        body = dict(record.body, status=status, date_updated=self.app.now_rfc2822())
        if outcome.error_code is not None:
            body.update(error_code=outcome.error_code, error_message=outcome.error_message)
        if status == "failed":
            body["price"] = None
        record = self.save(record, body)
        self.changed(record)
        if outcome.error_code is not None:
            self._notify(record, outcome)

    def _notify(self, record: Record, outcome: outcomes.MessageOutcome) -> None:
        self.app.behaviours.notifications.notify(
            record.account,
            code=outcome.error_code or 30008,
            text=f"Message {record.pk} {record.body['status']}: {outcome.error_message}",
        )

    def changed(self, record: Record) -> None:
        """POST the message's new status to its StatusCallback, as Twilio does."""
        callback = self.state(record).get("callback")
        if not callback:
            return
        body = record.body
        params = [
            ("AccountSid", record.account),
            ("ApiVersion", "2010-04-01"),
            ("From", body.get("from") or ""),
            ("MessageSid", record.pk),
            ("MessageStatus", body["status"]),
            ("SmsSid", record.pk),
            ("SmsStatus", body["status"]),
            ("To", body.get("to") or ""),
        ]
        if body.get("messaging_service_sid"):
            params.append(("MessagingServiceSid", body["messaging_service_sid"]))
        if body.get("error_code") is not None:
            params.append(("ErrorCode", str(body["error_code"])))
        self.app.callbacks.send(record.account, callback, params)

    # --- updates and deletes ------------------------------------------------------------

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        status = ctx.form_value("Status")
        if status is not None:
            if status != "canceled":
                raise ApiError(400, 20001, f"Invalid Status {status!r}: only 'canceled' is allowed")
            if record.body.get("status") not in ("scheduled", "queued", "accepted"):
                raise ApiError(400, 30409, "Message cannot be canceled: it is no longer queued")
        if ctx.form_values("Body") and ctx.form_value("Body") != "":
            raise ApiError(
                400, 20001, "Body can only be set to an empty string to redact a message"
            )

    def after_update(self, ctx: Context, record: Record) -> None:
        if ctx.form_value("Status") == "canceled":
            self.changed(record)

    def before_delete(self, ctx: Context, record: Record) -> None:
        if record.body.get("status") in _ON_ITS_WAY:
            raise ApiError(
                400,
                20009,
                f"Cannot delete message {record.pk}: it is still {record.body['status']}",
            )


@behaviour("MessageFeedback")
class Feedback(Answered):
    statuses = {"create": 200}

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        self.parent_record(ctx, "Message", "message_sid")
        outcome = body.get("outcome") or "confirmed"
        if outcome not in ("confirmed", "unconfirmed"):
            raise bad_param("Outcome", str(outcome))
        path = f"/2010-04-01/Accounts/{ctx.account}/Messages/{ctx.params['message_sid']}"
        body.update(outcome=outcome, uri=f"{path}/Feedback.json")
