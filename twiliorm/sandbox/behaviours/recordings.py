"""Recordings and transcriptions, the views other paths give of them, and recording media.

A call made with ``Record=true`` (or TwiML ``<Record>``) leaves a Recording
when it completes, and a Transcription when ``transcribe="true"``; a call in
progress can also be recorded over the API (``POST .../Calls/{sid}/
Recordings.json``). Twilio shows the same objects under several paths: a
call's recordings are the account's recordings of that call, a recording's
transcriptions are the account's transcriptions of that recording. Those
paths are views here, so a record has one home and every path sees its
changes.

A recording's media is served at its ``media_url``: ``.../Recordings/
{sid}.wav``, ``.mp3``, or without an extension (WAV), as Twilio serves it;
``media_url`` names the sandbox that answers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from .. import media
from ..errors import ApiError
from ..generic import Behaviour, Clauses, behaviour, new_sid
from ..pages import Fetch, Page, stored
from ..render import Reply
from ..store import Record

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["Recordings", "Transcriptions", "View"]

TWILIO = "https://api.twilio.com"


class _Served(Behaviour):
    """Payloads whose ``media_url`` names where the sandbox serves the media."""

    def here(self, text: str) -> str:
        base = self.app.base_url
        return text.replace(TWILIO, base) if base else text

    def page(self, ctx: Context, fetch: Fetch) -> Page:
        found = super().page(ctx, fetch)
        return Page(found.key, [self.here(item) for item in found.items], found.meta)

    def fetch(self, ctx: Context) -> dict[str, Any] | Reply:
        record = self.load(ctx)
        if ctx.format in media.CONTENT_TYPES:
            return self.media(ctx, record)
        url = record.body.get("media_url")
        return dict(record.body, media_url=self.here(url)) if url else record.body

    def media(self, ctx: Context, record: Record) -> Reply:
        seconds = int(record.body.get("duration") or 1)
        body = media.audio(ctx.format, seconds)
        headers = {
            "Content-Type": media.CONTENT_TYPES[ctx.format],
            "Twilio-Request-Id": ctx.request_id,
        }
        return Reply(200, headers, body)


@behaviour("Recording")
class Recordings(_Served):
    def record_call(
        self, call: Record, seconds: int, *, conference_sid: str | None = None
    ) -> Record:
        sid = new_sid("RE")
        return self.make(
            call.account,
            sid=sid,
            call_sid=call.pk,
            conference_sid=conference_sid,
            start_time=call.body.get("start_time") or self.app.now_rfc2822(),
            duration=str(seconds),
            status="completed",
            channels=1,
            source="OutboundAPI",
            price="-0.00250",
            price_unit="USD",
            media_url=f"{TWILIO}/2010-04-01/Accounts/{call.account}/Recordings/{sid}",
        )


@behaviour("Transcription")
class Transcriptions(Behaviour):
    def transcribe(self, recording: Record) -> Record:
        return self.make(
            recording.account,
            recording_sid=recording.pk,
            duration=recording.body.get("duration"),
            status="completed",
            transcription_text="Hello from the twiliorm sandbox.",
            price="-0.05000",
            price_unit="USD",
            type="fast",
        )


class View(Behaviour):
    """A resource whose records live under another resource, its origin, narrowed by one key.

    Its payloads are the origin's, limited to the keys the view's own
    declaration has (a call's recording has no ``media_url``). The view filters
    by its own declaration; the records keep what their origin indexes.
    """

    key: ClassVar[str] = ""
    param: ClassVar[str] = ""

    @property
    def origin(self) -> Behaviour:
        """The behaviour of the resource whose records the view shows."""
        raise NotImplementedError

    def _where(self, ctx: Context) -> Clauses:
        return [(f"json_extract(body, '$.{self.key}') = ?", (ctx.params[self.param],))]

    def list(self, ctx: Context) -> Page:
        where = self._where(ctx) + self.filters.where(ctx)
        origin, first = self.origin.name, self.newest_first
        return self.page(
            ctx, stored(self.store, origin, ctx.account, "", where, newest_first=first)
        )

    def project(self, body: dict[str, Any]) -> dict[str, Any]:
        return {spec.key: body.get(spec.key) for spec in self.meta.payload_fields if spec.key}

    def page(self, ctx: Context, fetch: Fetch) -> Page:
        found = super().page(ctx, fetch)
        items = [json.dumps(self.project(json.loads(item))) for item in found.items]
        return Page(found.key, items, found.meta)

    def fetch(self, ctx: Context) -> dict[str, Any]:
        return self.project(self.load(ctx).body)

    def update(self, ctx: Context) -> dict[str, Any]:
        return self.project(super().update(ctx))

    def load(self, ctx: Context) -> Record:
        record = self.store.get(self.origin.name, ctx.account, "", ctx.params.get("sid", ""))
        if record is None or record.body.get(self.key) != ctx.params[self.param]:
            raise ApiError.not_found(ctx.path)
        return record

    def index(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return self.origin.index(body)  # a record updated here is listed there too


@behaviour("CallRecording")
class CallRecordings(View):
    key = param = "call_sid"

    @property
    def origin(self) -> Recordings:
        return self.app.behaviours.recordings

    def create(self, ctx: Context) -> dict[str, Any]:
        call = self.store.get("Call", ctx.account, "", ctx.params["call_sid"])
        if call is None or call.body.get("status") != "in-progress":
            raise ApiError(400, 21220, "Requested resource is not eligible for recording")
        record = self.origin.record_call(call, 0)
        body = dict(record.body, status="in-progress", source="StartCallRecordingAPI")
        return self.project(self.origin.save(record, body).body)


@behaviour("ConferenceRecording")
class ConferenceRecordings(View):
    key = param = "conference_sid"

    @property
    def origin(self) -> Recordings:
        return self.app.behaviours.recordings


@behaviour("RecordingTranscription")
class RecordingTranscriptions(View):
    key = param = "recording_sid"

    @property
    def origin(self) -> Transcriptions:
        return self.app.behaviours.transcriptions
