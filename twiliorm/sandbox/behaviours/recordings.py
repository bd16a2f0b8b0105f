"""Recordings, transcriptions and notifications, and the views other paths give of them.

A call made with ``Record=true`` (or TwiML ``<Record>``) leaves a Recording
when it completes, and a Transcription when ``transcribe="true"``. Twilio
shows the same objects under several paths: a call's recordings are the
account's recordings of that call, a recording's transcriptions are the
account's transcriptions of that recording, a call's notifications are the
account's notifications about that call. Those paths are views here, so a
record has one home and every path sees its changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, cast

from ..errors import ApiError
from ..generic import Behaviour, Clauses, Page, behaviour, new_sid
from ..store import Record

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["Recordings", "View"]


@behaviour("Recording")
class Recordings(Behaviour):
    def record_call(
        self, call: Record, seconds: int, *, conference_sid: str | None = None
    ) -> Record:
        now = self.app.now_rfc2822()
        sid = new_sid("RE")
        body: dict[str, Any] = {spec.key: None for spec in self.meta.payload_fields if spec.key}
        body.update(
            sid=sid,
            account_sid=call.account,
            call_sid=call.pk,
            conference_sid=conference_sid,
            api_version="2010-04-01",
            date_created=now,
            date_updated=now,
            start_time=call.body.get("start_time"),
            duration=str(seconds),
            status="completed",
            channels=1,
            source="OutboundAPI",
            price="-0.00250",
            price_unit="USD",
            error_code=None,
            media_url=f"https://api.twilio.com/2010-04-01/Accounts/{call.account}/Recordings/{sid}",
        )
        values = {"account_sid": call.account, "sid": sid}
        body["uri"] = self.meta.instance_path.fill(values) if self.meta.instance_path else None
        body["subresource_uris"] = self.subresource_uris(values, body)
        seq = self.store.insert(self.name, call.account, "", sid, body, self.index(body))
        record = Record(seq, self.name, call.account, "", sid, body)
        twiml = self.app.call_settings.get(call.pk, {}).get("twiml")
        if twiml is not None and twiml.transcribe:
            cast("Transcriptions", self.app.behaviours["Transcription"]).transcribe(record)
        return record


@behaviour("Transcription")
class Transcriptions(Behaviour):
    def transcribe(self, recording: Record) -> Record:
        now = self.app.now_rfc2822()
        sid = new_sid("TR")
        body: dict[str, Any] = {spec.key: None for spec in self.meta.payload_fields if spec.key}
        body.update(
            sid=sid,
            account_sid=recording.account,
            recording_sid=recording.pk,
            api_version="2010-04-01",
            date_created=now,
            date_updated=now,
            duration=recording.body.get("duration"),
            status="completed",
            transcription_text="Hello from the twiliorm sandbox.",
            price="-0.05000",
            price_unit="USD",
            type="fast",
        )
        body["uri"] = f"/2010-04-01/Accounts/{recording.account}/Transcriptions/{sid}.json"
        seq = self.store.insert(self.name, recording.account, "", sid, body, self.index(body))
        return Record(seq, self.name, recording.account, "", sid, body)


class View(Behaviour):
    """A resource whose records live under another resource, narrowed by one key."""

    source: ClassVar[str] = ""
    key: ClassVar[str] = ""
    param: ClassVar[str] = ""

    def _where(self, ctx: Context) -> Clauses:
        return [(f"json_extract(body, '$.{self.key}') = ?", (ctx.params[self.param],))]

    def list(self, ctx: Context) -> Page:
        where = self._where(ctx) + self.where(ctx)
        return self.page(
            ctx,
            lambda before, after, limit: self.store.page(
                self.source,
                ctx.account,
                "",
                where,
                before=before,
                after=after,
                limit=limit,
            ),
        )

    def load(self, ctx: Context) -> Record:
        record = self.store.get(self.source, ctx.account, "", ctx.params.get("sid", ""))
        if record is None or record.body.get(self.key) != ctx.params[self.param]:
            raise ApiError.not_found(ctx.path)
        return record

    def index(self, body: Any) -> dict[str, Any]:
        return self.app.behaviours[self.source].index(body)

    def clause(self, spec: Any, lookup: str, param: str, value: str) -> tuple[str, Sequence[Any]]:
        # The source indexes its own filter keys; a view's filters use the same names.
        return self.app.behaviours[self.source].clause(spec, lookup, param, value)


@behaviour("CallRecording")
class CallRecordings(View):
    source, key, param = "Recording", "call_sid", "call_sid"

    def create(self, ctx: Context) -> dict[str, Any]:
        call = self.store.get("Call", ctx.account, "", ctx.params["call_sid"])
        if call is None or call.body.get("status") != "in-progress":
            raise ApiError(400, 21220, "Requested resource is not eligible for recording")
        recordings = cast("Recordings", self.app.behaviours["Recording"])
        record = recordings.record_call(call, 0)
        body = dict(record.body, status="in-progress", source="StartCallRecordingAPI")
        return recordings.save(record, body).body


@behaviour("ConferenceRecording")
class ConferenceRecordings(View):
    source, key, param = "Recording", "conference_sid", "conference_sid"


@behaviour("RecordingTranscription")
class RecordingTranscriptions(View):
    source, key, param = "Transcription", "recording_sid", "recording_sid"


@behaviour("CallNotification")
class CallNotifications(View):
    source, key, param = "Notification", "call_sid", "call_sid"
