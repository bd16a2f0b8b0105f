"""Conferences, their participants and recordings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from .. import fields
from ..resource import Resource, related, resource
from .common import HttpMethod

__all__ = [
    "Conference",
    "ConferenceReasonConferenceEnded",
    "ConferenceRecording",
    "ConferenceRecordingSource",
    "ConferenceRecordingStatus",
    "ConferenceStatus",
    "Participant",
    "ParticipantStatus",
]


class ConferenceStatus(fields.ApiEnum):
    INIT = "init"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"


class ConferenceReasonConferenceEnded(fields.ApiEnum):
    CONFERENCE_ENDED_VIA_API = "conference-ended-via-api"
    PARTICIPANT_WITH_END_CONFERENCE_ON_EXIT_LEFT = "participant-with-end-conference-on-exit-left"
    PARTICIPANT_WITH_END_CONFERENCE_ON_EXIT_KICKED = (
        "participant-with-end-conference-on-exit-kicked"
    )
    LAST_PARTICIPANT_KICKED = "last-participant-kicked"
    LAST_PARTICIPANT_LEFT = "last-participant-left"


class ConferenceRecordingStatus(fields.ApiEnum):
    IN_PROGRESS = "in-progress"
    PAUSED = "paused"
    STOPPED = "stopped"
    PROCESSING = "processing"
    COMPLETED = "completed"
    ABSENT = "absent"


class ConferenceRecordingSource(fields.ApiEnum):
    DIALVERB = "DialVerb"
    CONFERENCE = "Conference"
    OUTBOUNDAPI = "OutboundAPI"
    TRUNKING = "Trunking"
    RECORDVERB = "RecordVerb"
    STARTCALLRECORDINGAPI = "StartCallRecordingAPI"
    STARTCONFERENCERECORDINGAPI = "StartConferenceRecordingAPI"


class ParticipantStatus(fields.ApiEnum):
    QUEUED = "queued"
    CONNECTING = "connecting"
    RINGING = "ringing"
    CONNECTED = "connected"
    COMPLETE = "complete"
    FAILED = "failed"


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Conferences.json",
    operations="list fetch update",
)
class Conference(Resource):
    """A conference call, started when its first participant joins.

    ``conference.participants`` are its calls; ``update(status="completed")`` ends
    it for everyone.
    """

    participants: ClassVar[related[Participant]] = related("Participant")
    recordings: ClassVar[related[ConferenceRecording]] = related("ConferenceRecording")

    account_sid: str | None = fields.sid("AC")
    date_created: datetime | None = fields.rfc2822(filter=True, lookups="exact lt lte gt gte")
    date_updated: datetime | None = fields.rfc2822(filter=True, lookups="exact lt lte gt gte")
    api_version: str | None = fields.string()
    friendly_name: str | None = fields.string(filter=True)
    region: str | None = fields.string()
    sid: str | None = fields.sid("CF")
    status: ConferenceStatus | str | None = fields.enum_field(
        ConferenceStatus, filter=True, writable="update"
    )
    uri: str | None = fields.string()
    subresource_uris: dict[str, str] | None = fields.uri_map()
    reason_conference_ended: ConferenceReasonConferenceEnded | str | None = fields.enum_field(
        ConferenceReasonConferenceEnded
    )
    call_sid_ending_conference: str | None = fields.sid("CA")

    # write-only parameters
    announce_url: str | None = fields.param(fields.URI, writable="update")
    announce_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="update"
    )


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Conferences/{conference_sid}/Participants.json",
    operations="list fetch create update delete",
    instance_path="/2010-04-01/Accounts/{account_sid}/Conferences/{conference_sid}/Participants/{call_sid}.json",
)
class Participant(Resource):
    """A call in a conference, named by its ``call_sid``: ``conference.participants``.

    ``mute()``, ``unmute()``, ``hold()``, ``unhold()`` and ``kick()`` act on it;
    ``conference.participants.create(from_=..., to=...)`` dials someone in.
    """

    account_sid: str | None = fields.sid("AC")
    call_sid: str | None = fields.sid("CA")
    label: str | None = fields.string(writable="create")
    call_sid_to_coach: str | None = fields.sid("CA", writable=True)
    coaching: bool | None = fields.boolean(filter=True, writable=True)
    conference_sid: str | None = fields.sid("CF")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    end_conference_on_exit: bool | None = fields.boolean(writable=True)
    muted: bool | None = fields.boolean(filter=True, writable=True)
    on_hold: bool | None = fields.boolean(key="hold", filter=True, writable="update")
    start_conference_on_enter: bool | None = fields.boolean(writable="create")
    status: ParticipantStatus | str | None = fields.enum_field(ParticipantStatus)
    queue_time: int | None = fields.integer_text()
    uri: str | None = fields.string()

    # write-only parameters
    from_: str | None = fields.param(fields.PHONE, writable="create", required="create")
    to: str | None = fields.param(fields.PHONE, writable="create", required="create")
    status_callback: str | None = fields.param(fields.URI, writable="create")
    status_callback_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="create"
    )
    status_callback_event: list[str] | None = fields.param(fields.LIST, writable="create")
    timeout: int | None = fields.param(fields.INTEGER, writable="create")
    record: bool | None = fields.param(fields.BOOLEAN, writable="create")
    beep: str | None = fields.param(writable="create")
    wait_url: str | None = fields.param(fields.URI)
    wait_method: HttpMethod | str | None = fields.param(fields.enum_kind(HttpMethod))
    early_media: bool | None = fields.param(fields.BOOLEAN, writable="create")
    max_participants: int | None = fields.param(fields.INTEGER, writable="create")
    conference_record: str | None = fields.param(writable="create")
    conference_trim: str | None = fields.param(writable="create")
    conference_status_callback: str | None = fields.param(fields.URI, writable="create")
    conference_status_callback_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="create"
    )
    conference_status_callback_event: list[str] | None = fields.param(
        fields.LIST, writable="create"
    )
    recording_channels: str | None = fields.param(writable="create")
    recording_status_callback: str | None = fields.param(fields.URI, writable="create")
    recording_status_callback_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="create"
    )
    sip_auth_username: str | None = fields.param(writable="create")
    sip_auth_password: str | None = fields.param(writable="create")
    region: str | None = fields.param(writable="create")
    conference_recording_status_callback: str | None = fields.param(fields.URI, writable="create")
    conference_recording_status_callback_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="create"
    )
    recording_status_callback_event: list[str] | None = fields.param(fields.LIST, writable="create")
    conference_recording_status_callback_event: list[str] | None = fields.param(
        fields.LIST, writable="create"
    )
    jitter_buffer_size: str | None = fields.param(writable="create")
    byoc: str | None = fields.param(fields.sid_kind("BY"), writable="create")
    caller_id: str | None = fields.param(writable="create")
    call_reason: str | None = fields.param(writable="create")
    recording_track: str | None = fields.param(writable="create")
    time_limit: int | None = fields.param(fields.INTEGER, writable="create")
    machine_detection: str | None = fields.param(writable="create")
    machine_detection_timeout: int | None = fields.param(fields.INTEGER, writable="create")
    machine_detection_speech_threshold: int | None = fields.param(fields.INTEGER, writable="create")
    machine_detection_speech_end_threshold: int | None = fields.param(
        fields.INTEGER, writable="create"
    )
    machine_detection_silence_timeout: int | None = fields.param(fields.INTEGER, writable="create")
    amd_status_callback: str | None = fields.param(fields.URI, writable="create")
    amd_status_callback_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="create"
    )
    trim: str | None = fields.param(writable="create")
    call_token: str | None = fields.param(writable="create")
    client_notification_url: str | None = fields.param(fields.URI, writable="create")
    caller_display_name: str | None = fields.param(writable="create")
    hold_url: str | None = fields.param(fields.URI, writable="update")
    hold_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="update"
    )
    announce_url: str | None = fields.param(fields.URI, writable="update")
    announce_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="update"
    )
    beep_on_exit: bool | None = fields.param(fields.BOOLEAN, writable="update")

    def mute(self) -> Participant:
        """Mute this participant (``Muted=true``)."""
        return self.update(muted=True)

    def unmute(self) -> Participant:
        """Let this participant speak again (``Muted=false``)."""
        return self.update(muted=False)

    def hold(self) -> Participant:
        """Put this participant on hold (``Hold=true``; ``hold_url`` plays meanwhile)."""
        return self.update(on_hold=True)

    def unhold(self) -> Participant:
        """Take this participant off hold (``Hold=false``)."""
        return self.update(on_hold=False)

    def kick(self) -> None:
        """Remove this participant from the conference, hanging up its call (DELETE)."""
        self.delete()


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Conferences/{conference_sid}/Recordings.json",
    operations="list fetch update delete",
)
class ConferenceRecording(Resource):
    """A recording of a conference: ``conference.recordings``."""

    account_sid: str | None = fields.sid("AC")
    api_version: str | None = fields.string()
    call_sid: str | None = fields.sid("CA")
    conference_sid: str | None = fields.sid("CF")
    date_created: datetime | None = fields.rfc2822(filter=True, lookups="exact lt lte gt gte")
    date_updated: datetime | None = fields.rfc2822()
    start_time: datetime | None = fields.rfc2822()
    duration: int | None = fields.integer_text()
    sid: str | None = fields.sid("RE")
    price: Decimal | None = fields.decimal_text()
    price_unit: str | None = fields.string()
    status: ConferenceRecordingStatus | str | None = fields.enum_field(
        ConferenceRecordingStatus, writable="update", required="update"
    )
    channels: int | None = fields.integer()
    source: ConferenceRecordingSource | str | None = fields.enum_field(ConferenceRecordingSource)
    error_code: int | None = fields.integer()
    encryption_details: Any = fields.json()
    uri: str | None = fields.string()

    # write-only parameters
    pause_behavior: str | None = fields.param(writable="update")
