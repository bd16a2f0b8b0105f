"""Calls: Twilio's checks and error codes, the lifecycle, and what TwiML makes them do.

A new call answers ``queued``, then on the sandbox clock rings and is
answered (``in-progress``, ``start_time``). What happens next comes from its
``Twiml``: ``<Dial><Conference>`` joins (or starts) a conference and stays
there, ``<Enqueue>`` waits in a queue, anything else talks for a while and
completes (``end_time``, ``duration``, ``price``). ``Record=true`` leaves a
recording. Updating ``Status`` cancels or hangs up; a new ``Twiml`` redirects.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import TYPE_CHECKING, Any, cast

from .. import errors
from ..errors import ApiError
from ..generic import Behaviour, behaviour, new_sid
from ..store import Record
from . import magic

if TYPE_CHECKING:
    from ..app import Context
    from .conferences import Participants
    from .queues import Members
    from .recordings import Recordings

__all__ = ["Calls", "Twiml"]

_LIVE = ("queued", "ringing", "in-progress")


class Twiml:
    """The parts of a TwiML document the sandbox acts on."""

    def __init__(self, text: str | None) -> None:
        self.conference: str | None = None
        self.conference_options: dict[str, str] = {}
        self.queue: str | None = None
        self.record = False
        self.transcribe = False
        self.hangup = False
        if not text:
            return
        try:
            root = ElementTree.fromstring(text)
        except ElementTree.ParseError:
            raise ApiError(400, 21220, "Invalid TwiML: not well-formed XML") from None
        conference = root.find(".//Dial/Conference")
        if conference is not None and (conference.text or "").strip():
            self.conference = (conference.text or "").strip()
            self.conference_options = dict(conference.attrib)
        enqueue = root.find(".//Enqueue")
        if enqueue is not None and (enqueue.text or "").strip():
            self.queue = (enqueue.text or "").strip()
        record = root.find(".//Record")
        if record is not None:
            self.record = True
            self.transcribe = record.attrib.get("transcribe", "false").lower() == "true"
        self.hangup = root.find(".//Hangup") is not None or root.find(".//Reject") is not None


@behaviour("Call")
class Calls(Behaviour):
    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        to, frm = ctx.form_value("To"), ctx.form_value("From")
        if not to:
            raise ApiError(400, 21201, "No 'To' number is specified")
        if not frm:
            raise ApiError(400, 21213, "No 'From' number is specified")
        if not (
            ctx.form_value("Url") or ctx.form_value("Twiml") or ctx.form_value("ApplicationSid")
        ):
            raise ApiError(400, 21205, "Url parameter is required.")
        Twiml(ctx.form_value("Twiml"))  # refuse malformed TwiML now, as Twilio does
        magic.check_call(frm, to, ctx.test)
        body.update(
            direction="outbound-api",
            status="queued",
            from_formatted=_formatted(frm),
            to_formatted=_formatted(to),
            price_unit="USD",
            queue_time="0",
            caller_name=None,
        )

    def after_create(self, ctx: Context, record: Record) -> None:
        twiml = Twiml(ctx.form_value("Twiml"))
        self.app.call_settings[record.pk] = {
            "twiml": twiml,
            "record": (ctx.form_value("Record") or "").lower() == "true" or twiml.record,
        }
        self.run_lifecycle(record)

    def run_lifecycle(self, record: Record) -> None:
        ring, answer, talk = self.app.settings.call_delays
        self.app.scheduler.at(ring, lambda: self.ring(record))
        self.app.scheduler.at(ring + answer, lambda: self.answer(record))
        self.app.scheduler.at(ring + answer + talk, lambda: self.finish(record))

    def ring(self, record: Record) -> None:
        self.set_status(record, "ringing")

    def current(self, record: Record) -> Record | None:
        return self.store.get(self.name, record.account, record.parent, record.pk)

    def set_status(self, record: Record, status: str, **extra: Any) -> Record | None:
        current = self.current(record)
        if current is None or current.body.get("status") not in _LIVE:
            return None
        now = self.app.now_rfc2822()
        return self.save(current, dict(current.body, status=status, date_updated=now, **extra))

    def answer(self, record: Record) -> None:
        answered = self.set_status(record, "in-progress", start_time=self.app.now_rfc2822())
        if answered is None:
            return
        twiml = self.app.call_settings.get(record.pk, {}).get("twiml")
        if twiml is not None and twiml.conference:
            cast("Participants", self.app.behaviours["Participant"]).join(
                answered, twiml.conference, twiml.conference_options
            )
        elif twiml is not None and twiml.queue:
            cast("Members", self.app.behaviours["Member"]).enqueue(answered, twiml.queue)

    def finish(self, record: Record, status: str = "completed", *, force: bool = False) -> None:
        """Complete a call that only talks (or, with ``force``, any live call)."""
        current = self.current(record)
        if current is None or current.body.get("status") not in _LIVE:
            return
        busy = self.app.in_conference_or_queue(record.pk)
        if busy and not force:
            return
        start = current.body.get("start_time")
        seconds = self.app.seconds_since(start) if start else 0
        extra: dict[str, Any] = {"end_time": self.app.now_rfc2822(), "duration": str(seconds)}
        if status == "completed" and start:
            extra["price"] = f"-{0.014 * max(1, -(-seconds // 60)):.5f}"
        self.set_status(current, status, **extra)
        if busy:
            self.app.leave_conference_or_queue(record.pk)
        if self.app.call_settings.get(record.pk, {}).get("record") and start:
            cast("Recordings", self.app.behaviours["Recording"]).record_call(current, seconds)

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        status = ctx.form_value("Status")
        current = record.body.get("status")
        if status is not None:
            if status not in ("canceled", "completed"):
                raise errors.bad_param("Status", status)
            if current not in _LIVE:
                raise ApiError(400, 21220, "Call is not in-progress. Cannot redirect.")
            body["status"] = current  # the lifecycle applies it (after_update)
        elif ctx.form_value("Twiml") or ctx.form_value("Url"):
            if current not in _LIVE:
                raise ApiError(400, 21220, "Call is not in-progress. Cannot redirect.")
            Twiml(ctx.form_value("Twiml"))

    def after_update(self, ctx: Context, record: Record) -> None:
        status = ctx.form_value("Status")
        if status == "canceled" and record.body.get("status") in ("queued", "ringing"):
            self.set_status(record, "canceled", end_time=self.app.now_rfc2822(), duration="0")
        elif status in ("canceled", "completed"):
            self.finish(record, "completed", force=True)
        elif ctx.form_value("Twiml"):
            self.redirect(record, Twiml(ctx.form_value("Twiml")))

    def redirect(self, record: Record, twiml: Twiml) -> None:
        """New TwiML for a live call: leave where it is, then act on the new document."""
        self.app.leave_conference_or_queue(record.pk)
        settings = self.app.call_settings.setdefault(record.pk, {})
        settings["twiml"] = twiml
        if twiml.hangup:
            self.finish(record, force=True)
        elif twiml.conference or twiml.queue:
            self.answer_again(record, twiml)
        else:
            self.app.scheduler.at(self.app.settings.call_delays[2], lambda: self.finish(record))

    def answer_again(self, record: Record, twiml: Twiml) -> None:
        current = self.current(record)
        if current is None:
            return
        if twiml.conference:
            cast("Participants", self.app.behaviours["Participant"]).join(
                current, twiml.conference, twiml.conference_options
            )
        elif twiml.queue:
            cast("Members", self.app.behaviours["Member"]).enqueue(current, twiml.queue)

    def before_delete(self, ctx: Context, record: Record) -> None:
        if record.body.get("status") in _LIVE:
            raise ApiError(400, 20009, "Cannot delete a call that is in progress")

    def new_leg(self, account: str, frm: str, to: str) -> Record:
        """An outbound call started by the sandbox itself (a participant's leg)."""
        now = self.app.now_rfc2822()
        sid = new_sid("CA")
        body: dict[str, Any] = {spec.key: None for spec in self.meta.payload_fields if spec.key}
        body.update(
            sid=sid,
            account_sid=account,
            api_version="2010-04-01",
            date_created=now,
            date_updated=now,
            direction="outbound-api",
            status="queued",
            to=to,
            to_formatted=_formatted(to),
            **{"from": frm},
            from_formatted=_formatted(frm),
            price_unit="USD",
            queue_time="0",
        )
        values = {"account_sid": account, "sid": sid}
        if self.meta.instance_path:
            body["uri"] = self.meta.instance_path.fill(values)
        body["subresource_uris"] = self.subresource_uris(values, body)
        seq = self.store.insert(self.name, account, "", sid, body, self.index(body))
        return Record(seq, self.name, account, "", sid, body)


def _formatted(number: str) -> str:
    if number.startswith("+1") and len(number) == 12:
        return f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    return number
