"""Calls: Twilio's checks and error codes, the lifecycle, and what TwiML makes them do.

A new call answers ``queued``; then, on the sandbox clock, it rings and is
answered (``in-progress``, ``start_time``), unless its ``To`` number is
reserved for another end (``busy``, ``no-answer`` after its ``Timeout``,
``failed``: see :mod:`.outcomes`). What an answered call does comes from its
``Twiml``: ``<Dial><Conference>`` joins (or starts) a conference and stays
there, ``<Enqueue>`` waits in a queue, anything else talks for a while and
completes (``end_time``, ``duration``, ``price``). ``Record=true`` (or
``<Record>``) leaves a recording, ``transcribe="true"`` a transcription.

Updating ``Status`` cancels a call not yet answered or hangs up one in
progress; a new ``Twiml`` redirects it. The ``StatusCallback`` gets the
events named in ``StatusCallbackEvent`` (initiated, ringing, answered,
completed; by default only completed), and ``RecordingStatusCallback`` each
finished recording. What the sandbox keeps about a call beside its payload
(the TwiML, the callbacks) is stored with it, so it survives a restart.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from typing import TYPE_CHECKING, Any

from ... import phones
from .. import errors
from ..errors import ApiError
from ..generic import Behaviour, behaviour
from ..lifecycle import on_event
from ..store import Record
from . import magic, outcomes

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["Calls", "Twiml", "outbound", "price"]

_LIVE = ("queued", "ringing", "in-progress")
_DEFAULT_TIMEOUT = 60
_EVENTS = ("initiated", "ringing", "answered", "completed")


def _check_addresses(to: str, frm: str) -> None:
    """Twilio keeps E.164 (and channel addresses, short codes): it refuses anything
    else rather than guess (21211, 21212); a call has no alphanumeric sender ID."""
    if to and not phones.is_address(to):
        raise ApiError(400, 21211, f"The 'To' number {to} is not a valid phone number.")
    if frm and not phones.is_address(frm):
        raise ApiError(400, 21212, f"The 'From' number {frm} is not a valid phone number.")


def outbound(frm: str, to: str) -> dict[str, Any]:
    """What the API makes of a new outbound call (a participant's leg and populated calls too)."""
    parties: dict[str, Any] = {"from": frm, "to": to}  # "from" is no keyword name
    return {
        **parties,
        "direction": "outbound-api",
        "from_formatted": _formatted(frm),
        "to_formatted": _formatted(to),
        "price_unit": "USD",
        "queue_time": "0",
        "caller_name": None,
    }


def price(seconds: int) -> str:
    """What a completed call of ``seconds`` costs: per started minute, as Twilio bills."""
    return f"-{0.014 * max(1, -(-seconds // 60)):.5f}"


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
    missing_codes = {
        "To": (21201, "No 'To' number is specified"),
        "From": (21213, "No 'From' number is specified"),
    }

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        to, frm = ctx.form_value("To") or "", ctx.form_value("From") or ""
        if not (
            ctx.form_value("Url") or ctx.form_value("Twiml") or ctx.form_value("ApplicationSid")
        ):
            raise ApiError(400, 21205, "Url parameter is required.")
        Twiml(ctx.form_value("Twiml"))  # refuse malformed TwiML now, as Twilio does
        _check_addresses(to, frm)
        magic.check_call(frm, to, ctx.test)
        body.update(outbound(frm, to), status="queued")

    def after_create(self, ctx: Context, record: Record) -> None:
        twiml = ctx.form_value("Twiml")
        events = [e for e in ctx.form_values("StatusCallbackEvent") for e in e.split()]
        self.set_state(
            record,
            {
                "twiml": twiml,
                "record": (ctx.form_value("Record") or "").lower() == "true" or Twiml(twiml).record,
                "timeout": int(ctx.form_value("Timeout") or _DEFAULT_TIMEOUT),
                "callback": ctx.form_value("StatusCallback"),
                "callback_method": ctx.form_value("StatusCallbackMethod") or "POST",
                "events": [e for e in events if e in _EVENTS] or ["completed"],
                "recording_callback": ctx.form_value("RecordingStatusCallback"),
                "recording_callback_method": ctx.form_value("RecordingStatusCallbackMethod")
                or "POST",
                "sequence": 0,
            },
        )
        self.callback(record, "initiated")
        self.events.schedule(record, self.app.settings.call_delays[0], "ring")

    # --- the lifecycle, on the sandbox clock --------------------------------------------

    def current(self, record: Record) -> Record | None:
        return self.store.get(self.name, record.account, record.parent, record.pk)

    def set_status(self, record: Record, status: str, **extra: Any) -> Record | None:
        current = self.current(record)
        if current is None or current.body.get("status") not in _LIVE:
            return None
        now = self.app.now_rfc2822()
        return self.save(current, dict(current.body, status=status, date_updated=now, **extra))

    @on_event("ring")
    def ring(self, record: Record) -> None:
        if record.body.get("status") != "queued":
            return
        outcome = outcomes.call_outcome(record.body.get("to"))
        if outcome == "failed":
            self.end(record, "failed")
            self._notify_failure(record)
            return
        ringing = self.set_status(record, "ringing")
        if ringing is None:
            return
        self.callback(ringing, "ringing")
        rings_for = self.app.settings.call_delays[1]
        if outcome == "busy":
            self.events.schedule(ringing, rings_for, "end", status="busy")
        elif outcome == "no-answer":
            timeout = self.state(ringing).get("timeout", 60)
            self.events.schedule(ringing, timeout, "end", status="no-answer")
        else:
            self.events.schedule(ringing, rings_for, "answer")

    @on_event("answer")
    def answer(self, record: Record) -> None:
        answered = self.set_status(record, "in-progress", start_time=self.app.now_rfc2822())
        if answered is None:
            return
        self.callback(answered, "answered")
        self.act(answered, Twiml(self.state(answered).get("twiml")))

    def act(self, call: Record, twiml: Twiml) -> None:
        """Do what the TwiML of an answered call says: join, wait, hang up or talk."""
        if twiml.hangup:
            self.finish(call, force=True)
        elif twiml.conference:
            conference, options = twiml.conference, twiml.conference_options
            self.app.behaviours.participants.join(call, conference, options)
        elif twiml.queue:
            self.app.behaviours.members.enqueue(call, twiml.queue)
        else:
            self.talk(call)

    def talk(self, call: Record) -> None:
        """An answered call talks for a while, then completes (unless something ends it)."""
        self.events.schedule(call, self.app.settings.call_delays[2], "finish")

    @on_event("finish")
    def talked(self, record: Record) -> None:
        self.finish(record)

    @on_event("end")
    def unanswered(self, record: Record, status: str) -> None:
        """A call that was never answered ends (busy, no-answer)."""
        if record.body.get("status") in ("queued", "ringing"):
            self.end(record, status)

    def end(self, record: Record, status: str) -> None:
        ended = self.set_status(record, status, end_time=self.app.now_rfc2822(), duration="0")
        if ended is not None:
            self.callback(ended, "completed")

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
            extra["price"] = price(seconds)
        finished = self.set_status(current, status, **extra)
        if busy:
            self.app.leave_conference_or_queue(record.pk)
        if finished is None:
            return
        if self.state(finished).get("record") and start:
            self._record(finished, seconds)
        self.callback(finished, "completed")

    def _record(self, call: Record, seconds: int) -> None:
        recording = self.app.behaviours.recordings.record_call(call, seconds)
        state = self.state(call)
        if Twiml(state.get("twiml")).transcribe:
            self.app.behaviours.transcriptions.transcribe(recording)
        params = _recording_params(recording, self.app.base_url)
        method = state.get("recording_callback_method", "POST")
        url = state.get("recording_callback")
        self.app.callbacks.send(call.account, url, params, method=method, call_sid=call.pk)

    def _notify_failure(self, record: Record) -> None:
        self.app.behaviours.notifications.notify(
            record.account,
            code=13224,
            text=f"Call {record.pk} to {record.body.get('to')} failed: the number cannot be called",
            call_sid=record.pk,
        )

    # --- status callbacks -------------------------------------------------------------

    def callback(self, record: Record, event: str) -> None:
        """POST a call progress event to the StatusCallback, when the call subscribed to it."""
        state = self.state(record)
        if not state.get("callback") or event not in state.get("events", ()):
            return
        state["sequence"] = int(state.get("sequence", 0)) + 1
        self.set_state(record, state)
        params = _call_params(record, "initiated" if event == "initiated" else None)
        params += [
            ("CallbackSource", "call-progress-events"),
            ("SequenceNumber", str(state["sequence"] - 1)),
            ("Timestamp", self.app.now_rfc2822()),
        ]
        if event == "completed":
            params += [("CallDuration", str(record.body.get("duration") or "0"))]
        self.app.callbacks.send(
            record.account,
            state["callback"],
            params,
            method=state.get("callback_method", "POST"),
            call_sid=record.pk,
        )

    # --- updates ------------------------------------------------------------------------

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
        if ctx.form_value("StatusCallback"):
            state = self.state(record)
            state["callback"] = ctx.form_value("StatusCallback")
            self.set_state(record, state)

    def after_update(self, ctx: Context, record: Record) -> None:
        status = ctx.form_value("Status")
        if status == "canceled" and record.body.get("status") in ("queued", "ringing"):
            self.end(record, "canceled")
        elif status in ("canceled", "completed"):
            self.finish(record, "completed", force=True)
        elif ctx.form_value("Twiml"):
            self.redirect(record, ctx.form_value("Twiml") or "")

    def redirect(self, record: Record, text: str) -> None:
        """New TwiML for a live call: leave where it is, then act on the new document."""
        self.app.leave_conference_or_queue(record.pk)
        state = self.state(record)
        state["twiml"] = text
        self.set_state(record, state)
        current = self.current(record)
        if current is not None and current.body.get("status") == "in-progress":
            self.act(current, Twiml(text))

    def before_delete(self, ctx: Context, record: Record) -> None:
        if record.body.get("status") in _LIVE:
            raise ApiError(400, 20009, "Cannot delete a call that is in progress")

    # --- legs the sandbox dials itself ----------------------------------------------------

    def new_leg(self, account: str, frm: str, to: str) -> Record:
        """An outbound call started by the sandbox itself (a participant's leg)."""
        return self.make(account, None, status="queued", **outbound(frm, to))


def _call_params(record: Record, status: str | None = None) -> list[tuple[str, str]]:
    body = record.body
    return [
        ("AccountSid", record.account),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", record.pk),
        ("CallStatus", status or str(body.get("status"))),
        ("Called", body.get("to") or ""),
        ("Caller", body.get("from") or ""),
        ("Direction", body.get("direction") or "outbound-api"),
        ("From", body.get("from") or ""),
        ("To", body.get("to") or ""),
    ]


def _recording_params(recording: Record, base_url: str | None) -> list[tuple[str, str]]:
    body = recording.body
    url = str(body.get("media_url") or "")
    if base_url:
        url = url.replace("https://api.twilio.com", base_url)
    return [
        ("AccountSid", recording.account),
        ("CallSid", str(body.get("call_sid") or "")),
        ("RecordingSid", recording.pk),
        ("RecordingUrl", url),
        ("RecordingStatus", str(body.get("status"))),
        ("RecordingDuration", str(body.get("duration") or "0")),
        ("RecordingChannels", str(body.get("channels") or 1)),
        ("RecordingSource", str(body.get("source") or "")),
        ("RecordingStartTime", str(body.get("start_time") or "")),
    ]


def _formatted(number: str) -> str:
    if number.startswith("+1") and len(number) == 12:
        return f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    return number
