"""Messages: Twilio's checks and error codes, segments and media, and the lifecycle.

A new message answers ``queued``; then, on the sandbox clock, it goes
``sending`` -> ``sent`` (``date_sent`` and ``price`` set) -> ``delivered``.
A body of ``Body=`` on update redacts it; ``Status=canceled`` cancels a
scheduled message. Media URLs become Media records under the message.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..generic import Behaviour, behaviour, new_sid
from ..store import Record
from . import magic

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["Messages", "segments"]

_GSM = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)
_FINAL = ("delivered", "undelivered", "failed", "received", "canceled", "read")


def segments(body: str) -> int:
    """How many SMS segments a body takes (GSM-7: 160/153, otherwise UCS-2: 70/67)."""
    if not body:
        return 1
    if all(ch in _GSM for ch in body):
        single, multi = 160, 153
    else:
        single, multi = 70, 67
    return 1 if len(body) <= single else -(-len(body) // multi)


@behaviour("Message")
class Messages(Behaviour):
    def sid_prefix(self, ctx: Context) -> str:
        return "MM" if ctx.form_values("MediaUrl") else "SM"

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        to, frm = ctx.form_value("To"), ctx.form_value("From")
        service = ctx.form_value("MessagingServiceSid")
        if not to:
            raise ApiError(400, 21604, "A 'To' phone number is required.")
        if not frm and not service:
            raise ApiError(400, 21603, "A 'From' phone number is required.")
        media = ctx.form_values("MediaUrl")
        if not ctx.form_values("Body") and not media and not ctx.form_value("ContentSid"):
            raise ApiError(400, 21602, "Message body is required.")
        magic.check_message(frm, to, ctx.test)
        text = body.get("body") or ""
        scheduled = ctx.form_value("ScheduleType") == "fixed" and ctx.form_value("SendAt")
        body.update(
            direction="outbound-api",
            status="scheduled" if scheduled else ("accepted" if service and not frm else "queued"),
            num_segments=str(segments(text)),
            num_media=str(len(media)),
            price_unit="USD",
            messaging_service_sid=service,
        )

    def after_create(self, ctx: Context, record: Record) -> None:
        for url in ctx.form_values("MediaUrl"):
            self._add_media(ctx, record, url)
        if record.body["status"] in ("queued", "accepted"):
            self.lifecycle(ctx.account, record)

    def _add_media(self, ctx: Context, message: Record, url: str) -> None:
        media = self.app.behaviours["Media"]
        sid = new_sid("ME")
        now = self.app.now_rfc2822()
        content_type = mimetypes.guess_type(url)[0] or "image/jpeg"
        body = {
            "account_sid": ctx.account,
            "content_type": content_type,
            "date_created": now,
            "date_updated": now,
            "parent_sid": message.pk,
            "sid": sid,
            "uri": f"/2010-04-01/Accounts/{ctx.account}/Messages/{message.pk}/Media/{sid}.json",
        }
        self.store.insert(
            "Media", ctx.account, f"message_sid={message.pk}", sid, body, media.index(body)
        )

    def lifecycle(self, account: str, record: Record) -> None:
        """Schedule queued -> sending -> sent -> delivered on the sandbox clock."""
        delays = self.app.settings.message_delays
        steps: list[tuple[str, dict[str, Any]]] = [
            ("sending", {}),
            ("sent", {"price": "-0.00750"}),
            ("delivered", {}),
        ]
        elapsed = 0.0
        for (status, extra), delay in zip(steps, delays, strict=True):
            elapsed += delay
            self.app.scheduler.at(elapsed, self._step(record, status, extra))

    def _step(self, record: Record, status: str, extra: dict[str, Any]) -> Callable[[], None]:
        return lambda: self.advance(record, status, extra)

    def advance(self, record: Record, status: str, extra: dict[str, Any]) -> None:
        current = self.store.get(self.name, record.account, record.parent, record.pk)
        if current is None or current.body.get("status") in _FINAL:
            return
        body = dict(current.body, status=status, date_updated=self.app.now_rfc2822(), **extra)
        if status == "sent":
            body["date_sent"] = body["date_updated"]
        self.save(current, body)

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
