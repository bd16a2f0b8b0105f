"""Recordings, their add-on results and payloads, and transcriptions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from .. import fields, persistence
from ..exceptions import ValidationError
from ..resource import Resource, related, resource

__all__ = [
    "Recording",
    "RecordingAddOnResult",
    "RecordingAddOnResultPayload",
    "RecordingAddOnResultPayloadData",
    "RecordingAddOnResultStatus",
    "RecordingSource",
    "RecordingStatus",
    "RecordingTranscription",
    "RecordingTranscriptionStatus",
    "Transcription",
    "TranscriptionStatus",
]


MEDIA_FORMATS = ("wav", "mp3")


class RecordingStatus(fields.ApiEnum):
    IN_PROGRESS = "in-progress"
    PAUSED = "paused"
    STOPPED = "stopped"
    PROCESSING = "processing"
    COMPLETED = "completed"
    ABSENT = "absent"
    DELETED = "deleted"


class RecordingSource(fields.ApiEnum):
    DIALVERB = "DialVerb"
    CONFERENCE = "Conference"
    OUTBOUNDAPI = "OutboundAPI"
    TRUNKING = "Trunking"
    RECORDVERB = "RecordVerb"
    STARTCALLRECORDINGAPI = "StartCallRecordingAPI"
    STARTCONFERENCERECORDINGAPI = "StartConferenceRecordingAPI"


class RecordingAddOnResultStatus(fields.ApiEnum):
    CANCELED = "canceled"
    COMPLETED = "completed"
    DELETED = "deleted"
    FAILED = "failed"
    IN_PROGRESS = "in-progress"
    INIT = "init"
    PROCESSING = "processing"
    QUEUED = "queued"


class RecordingTranscriptionStatus(fields.ApiEnum):
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    FAILED = "failed"


class TranscriptionStatus(fields.ApiEnum):
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    FAILED = "failed"


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Recordings.json",
    operations="list fetch delete",
)
class Recording(Resource):
    """A recording of a call or conference; ``download()`` gives its audio.

    ``recording.transcriptions`` and ``recording.add_on_results`` hold what was
    made from it.
    """

    transcriptions: ClassVar[related[RecordingTranscription]] = related("RecordingTranscription")
    add_on_results: ClassVar[related[RecordingAddOnResult]] = related("RecordingAddOnResult")

    account_sid: str | None = fields.sid("AC")
    api_version: str | None = fields.string()
    call_sid: str | None = fields.sid("CA", filter=True)
    conference_sid: str | None = fields.sid("CF", filter=True)
    date_created: datetime | None = fields.rfc2822(filter=True, lookups="exact lt lte gt gte")
    date_updated: datetime | None = fields.rfc2822()
    start_time: datetime | None = fields.rfc2822()
    duration: int | None = fields.integer_text()
    sid: str | None = fields.sid("RE")
    price: Decimal | None = fields.decimal_text()
    price_unit: str | None = fields.string()
    status: RecordingStatus | str | None = fields.enum_field(RecordingStatus)
    channels: int | None = fields.integer()
    source: RecordingSource | str | None = fields.enum_field(RecordingSource)
    error_code: int | None = fields.integer()
    uri: str | None = fields.string()
    encryption_details: Any = fields.json()
    subresource_uris: dict[str, str] | None = fields.uri_map()
    media_url: str | None = fields.uri()

    # search parameters of the list
    include_soft_deleted = fields.query(fields.BOOLEAN)

    def download(self, format: str = "wav") -> bytes:
        """The audio of this recording, as WAV (``"wav"``) or MP3 (``"mp3"``) bytes."""
        if format not in MEDIA_FORMATS:
            raise ValidationError(f"Recording.download() format is 'wav' or 'mp3', not {format!r}")
        client = persistence.client_of(self)
        path = persistence.instance_path(self, client).removesuffix(".json")
        return client.request("GET", f"{path}.{format}").body


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Recordings/{reference_sid}/AddOnResults.json",
    operations="list fetch delete",
)
class RecordingAddOnResult(Resource):
    """What an add-on made of a recording: ``recording.add_on_results``."""

    payloads: ClassVar[related[RecordingAddOnResultPayload]] = related(
        "RecordingAddOnResultPayload"
    )

    sid: str | None = fields.sid("XR")
    account_sid: str | None = fields.sid("AC")
    status: RecordingAddOnResultStatus | str | None = fields.enum_field(RecordingAddOnResultStatus)
    add_on_sid: str | None = fields.sid("XB")
    add_on_configuration_sid: str | None = fields.sid("XE")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    date_completed: datetime | None = fields.rfc2822()
    reference_sid: str | None = fields.sid("RE")
    subresource_uris: dict[str, str] | None = fields.uri_map()


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Recordings/{reference_sid}/AddOnResults/{add_on_result_sid}/Payloads.json",
    operations="list fetch delete",
)
class RecordingAddOnResultPayload(Resource):
    """One payload of an add-on result: ``result.payloads``."""

    data: ClassVar[related[RecordingAddOnResultPayloadData]] = related(
        "RecordingAddOnResultPayloadData"
    )

    sid: str | None = fields.sid("XH")
    add_on_result_sid: str | None = fields.sid("XR")
    account_sid: str | None = fields.sid("AC")
    label: str | None = fields.string()
    add_on_sid: str | None = fields.sid("XB")
    add_on_configuration_sid: str | None = fields.sid("XE")
    content_type: str | None = fields.string()
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    reference_sid: str | None = fields.sid("RE")
    subresource_uris: dict[str, str] | None = fields.uri_map()


@resource(
    path=None,
    operations="fetch",
    instance_path="/2010-04-01/Accounts/{account_sid}/Recordings/{reference_sid}/AddOnResults/{add_on_result_sid}/Payloads/{payload_sid}/Data.json",
)
class RecordingAddOnResultPayloadData(Resource):
    """Where a payload's data is (``redirect_to``): ``payload.data.get()``."""

    redirect_to: str | None = fields.uri()


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Recordings/{recording_sid}/Transcriptions.json",
    operations="list fetch delete",
)
class RecordingTranscription(Resource):
    """A transcription of a recording: ``recording.transcriptions``."""

    account_sid: str | None = fields.sid("AC")
    api_version: str | None = fields.string()
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    duration: int | None = fields.integer_text()
    price: Decimal | None = fields.decimal_text()
    price_unit: str | None = fields.string()
    recording_sid: str | None = fields.sid("RE")
    sid: str | None = fields.sid("TR")
    status: RecordingTranscriptionStatus | str | None = fields.enum_field(
        RecordingTranscriptionStatus
    )
    transcription_text: str | None = fields.string()
    type: str | None = fields.string()
    uri: str | None = fields.string()


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Transcriptions.json",
    operations="list fetch delete",
)
class Transcription(Resource):
    """A transcription of one of the account's recordings."""

    account_sid: str | None = fields.sid("AC")
    api_version: str | None = fields.string()
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    duration: int | None = fields.integer_text()
    price: Decimal | None = fields.decimal_text()
    price_unit: str | None = fields.string()
    recording_sid: str | None = fields.sid("RE")
    sid: str | None = fields.sid("TR")
    status: TranscriptionStatus | str | None = fields.enum_field(TranscriptionStatus)
    transcription_text: str | None = fields.string()
    type: str | None = fields.string()
    uri: str | None = fields.string()
