"""Calls and what hangs off a call: events, notifications, recordings, payments, SIPREC, streams,
real-time transcriptions, user-defined messages.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar

from .. import fields
from ..exceptions import ValidationError
from ..resource import Resource, related, resource
from .common import HttpMethod

__all__ = [
    "Call",
    "CallEvent",
    "CallNotification",
    "CallRecording",
    "CallRecordingSource",
    "CallRecordingStatus",
    "CallStatus",
    "Payment",
    "PaymentsBankAccountType",
    "PaymentsCapture",
    "PaymentsPaymentMethod",
    "PaymentsStatus",
    "PaymentsTokenType",
    "RealtimeTranscription",
    "RealtimeTranscriptionStatus",
    "RealtimeTranscriptionTrack",
    "Siprec",
    "SiprecStatus",
    "SiprecTrack",
    "Stream",
    "StreamStatus",
    "StreamTrack",
    "UserDefinedMessage",
    "UserDefinedMessageSubscription",
]


class CallStatus(fields.ApiEnum):
    QUEUED = "queued"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    FAILED = "failed"
    NO_ANSWER = "no-answer"
    CANCELED = "canceled"


class CallRecordingStatus(fields.ApiEnum):
    IN_PROGRESS = "in-progress"
    PAUSED = "paused"
    STOPPED = "stopped"
    PROCESSING = "processing"
    COMPLETED = "completed"
    ABSENT = "absent"


class CallRecordingSource(fields.ApiEnum):
    DIALVERB = "DialVerb"
    CONFERENCE = "Conference"
    OUTBOUNDAPI = "OutboundAPI"
    TRUNKING = "Trunking"
    RECORDVERB = "RecordVerb"
    STARTCALLRECORDINGAPI = "StartCallRecordingAPI"
    STARTCONFERENCERECORDINGAPI = "StartConferenceRecordingAPI"


class PaymentsBankAccountType(fields.ApiEnum):
    CONSUMER_CHECKING = "consumer-checking"
    CONSUMER_SAVINGS = "consumer-savings"
    COMMERCIAL_CHECKING = "commercial-checking"


class PaymentsPaymentMethod(fields.ApiEnum):
    CREDIT_CARD = "credit-card"
    ACH_DEBIT = "ach-debit"


class PaymentsTokenType(fields.ApiEnum):
    ONE_TIME = "one-time"
    REUSABLE = "reusable"
    PAYMENT_METHOD = "payment-method"


class PaymentsCapture(fields.ApiEnum):
    PAYMENT_CARD_NUMBER = "payment-card-number"
    EXPIRATION_DATE = "expiration-date"
    SECURITY_CODE = "security-code"
    POSTAL_CODE = "postal-code"
    BANK_ROUTING_NUMBER = "bank-routing-number"
    BANK_ACCOUNT_NUMBER = "bank-account-number"
    PAYMENT_CARD_NUMBER_MATCHER = "payment-card-number-matcher"
    EXPIRATION_DATE_MATCHER = "expiration-date-matcher"
    SECURITY_CODE_MATCHER = "security-code-matcher"
    POSTAL_CODE_MATCHER = "postal-code-matcher"


class PaymentsStatus(fields.ApiEnum):
    COMPLETE = "complete"
    CANCEL = "cancel"


class RealtimeTranscriptionTrack(fields.ApiEnum):
    INBOUND_TRACK = "inbound_track"
    OUTBOUND_TRACK = "outbound_track"
    BOTH_TRACKS = "both_tracks"


class RealtimeTranscriptionStatus(fields.ApiEnum):
    IN_PROGRESS = "in-progress"
    STOPPED = "stopped"


class SiprecTrack(fields.ApiEnum):
    INBOUND_TRACK = "inbound_track"
    OUTBOUND_TRACK = "outbound_track"
    BOTH_TRACKS = "both_tracks"


class SiprecStatus(fields.ApiEnum):
    IN_PROGRESS = "in-progress"
    STOPPED = "stopped"


class StreamTrack(fields.ApiEnum):
    INBOUND_TRACK = "inbound_track"
    OUTBOUND_TRACK = "outbound_track"
    BOTH_TRACKS = "both_tracks"


class StreamStatus(fields.ApiEnum):
    IN_PROGRESS = "in-progress"
    STOPPED = "stopped"


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Calls.json",
    operations="list fetch create update delete",
)
class Call(Resource):
    """A phone call, made with ``Call.objects.create(to=..., from_=..., url=...)``.

    A live call is steered with ``hangup()``, ``cancel()`` (before it is answered)
    and ``redirect()``; what hangs off it is reached from it: ``call.recordings``,
    ``call.streams``, ``call.payments``...
    """

    recordings: ClassVar[related[CallRecording]] = related("CallRecording")
    notifications: ClassVar[related[CallNotification]] = related("CallNotification")
    events: ClassVar[related[CallEvent]] = related("CallEvent")
    payments: ClassVar[related[Payment]] = related("Payment")
    siprec: ClassVar[related[Siprec]] = related("Siprec")
    streams: ClassVar[related[Stream]] = related("Stream")
    transcriptions: ClassVar[related[RealtimeTranscription]] = related("RealtimeTranscription")
    user_defined_message_subscriptions: ClassVar[related[UserDefinedMessageSubscription]] = related(
        "UserDefinedMessageSubscription"
    )
    user_defined_messages: ClassVar[related[UserDefinedMessage]] = related("UserDefinedMessage")

    sid: str | None = fields.sid("CA")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    parent_call_sid: str | None = fields.sid("CA", filter=True)
    account_sid: str | None = fields.sid("AC")
    to: str | None = fields.phone(filter=True, writable="create", required="create")
    to_formatted: str | None = fields.string()
    from_: str | None = fields.phone(filter=True, writable="create", required="create")
    from_formatted: str | None = fields.string()
    phone_number_sid: str | None = fields.sid("PN")
    status: CallStatus | str | None = fields.enum_field(CallStatus, filter=True, writable="update")
    start_time: datetime | None = fields.rfc2822(filter=True, lookups="exact lt lte gt gte")
    end_time: datetime | None = fields.rfc2822(filter=True, lookups="exact lt lte gt gte")
    duration: int | None = fields.integer_text()
    price: Decimal | None = fields.decimal_text()
    price_unit: str | None = fields.string()
    direction: str | None = fields.string()
    answered_by: str | None = fields.string()
    api_version: str | None = fields.string()
    forwarded_from: str | None = fields.string()
    group_sid: str | None = fields.sid("GP")
    caller_name: str | None = fields.string()
    queue_time: int | None = fields.integer_text()
    trunk_sid: str | None = fields.sid("TK")
    uri: str | None = fields.string()
    subresource_uris: dict[str, str] | None = fields.uri_map()

    # write-only parameters
    method: HttpMethod | str | None = fields.param(fields.enum_kind(HttpMethod))
    fallback_url: str | None = fields.param(fields.URI)
    fallback_method: HttpMethod | str | None = fields.param(fields.enum_kind(HttpMethod))
    status_callback: str | None = fields.param(fields.URI)
    status_callback_event: list[str] | None = fields.param(fields.LIST, writable="create")
    status_callback_method: HttpMethod | str | None = fields.param(fields.enum_kind(HttpMethod))
    send_digits: str | None = fields.param(writable="create")
    timeout: int | None = fields.param(fields.INTEGER, writable="create")
    record: bool | None = fields.param(fields.BOOLEAN, writable="create")
    recording_channels: str | None = fields.param(writable="create")
    recording_status_callback: str | None = fields.param(writable="create")
    recording_status_callback_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="create"
    )
    sip_auth_username: str | None = fields.param(writable="create")
    sip_auth_password: str | None = fields.param(writable="create")
    machine_detection: str | None = fields.param(writable="create")
    machine_detection_timeout: int | None = fields.param(fields.INTEGER, writable="create")
    recording_status_callback_event: list[str] | None = fields.param(fields.LIST, writable="create")
    trim: str | None = fields.param(writable="create")
    caller_id: str | None = fields.param(writable="create")
    machine_detection_speech_threshold: int | None = fields.param(fields.INTEGER, writable="create")
    machine_detection_speech_end_threshold: int | None = fields.param(
        fields.INTEGER, writable="create"
    )
    machine_detection_silence_timeout: int | None = fields.param(fields.INTEGER, writable="create")
    async_amd: str | None = fields.param(writable="create")
    async_amd_status_callback: str | None = fields.param(fields.URI, writable="create")
    async_amd_status_callback_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="create"
    )
    byoc: str | None = fields.param(fields.sid_kind("BY"), writable="create")
    call_reason: str | None = fields.param(writable="create")
    call_token: str | None = fields.param(writable="create")
    recording_track: str | None = fields.param(writable="create")
    time_limit: int | None = fields.param(fields.INTEGER)
    client_notification_url: str | None = fields.param(fields.URI, writable="create")
    url: str | None = fields.param(fields.URI)
    twiml: str | None = fields.param()
    application_sid: str | None = fields.param(fields.sid_kind("AP"), writable="create")

    def hangup(self) -> Call:
        """End this call if it is in progress (``Status=completed``)."""
        return self.update(status=CallStatus.COMPLETED)

    def cancel(self) -> Call:
        """Cancel this call if it is still queued or ringing (``Status=canceled``)."""
        return self.update(status=CallStatus.CANCELED)

    def redirect(
        self,
        url: str | None = None,
        *,
        twiml: str | None = None,
        method: HttpMethod | str | None = None,
    ) -> Call:
        """Give this live call new instructions: the TwiML at ``url`` (fetched with ``method``),
        or the TwiML document ``twiml`` itself."""
        if (url is None) == (twiml is None):
            raise ValidationError("Call.redirect() takes a url or twiml=..., exactly one of them")
        given = {"url": url, "twiml": twiml, "method": method}
        return self.update(**{name: value for name, value in given.items() if value is not None})


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/Events.json",
    operations="list",
)
class CallEvent(Resource):
    """A request Twilio made or received for a call, with its answer: ``call.events.all()``."""

    request: Any = fields.json()
    response: Any = fields.json()


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/Notifications.json",
    operations="list fetch",
)
class CallNotification(Resource):
    """An error or warning logged about a call: ``call.notifications.all()``."""

    account_sid: str | None = fields.sid("AC")
    api_version: str | None = fields.string()
    call_sid: str | None = fields.sid("CA")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    error_code: str | None = fields.string()
    log: str | None = fields.string(filter=True)
    message_date: datetime | None = fields.rfc2822(filter=True, lookups="exact lt lte gt gte")
    message_text: str | None = fields.string()
    more_info: str | None = fields.uri()
    request_method: HttpMethod | str | None = fields.enum_field(HttpMethod)
    request_url: str | None = fields.uri()
    request_variables: str | None = fields.string()
    response_body: str | None = fields.string()
    response_headers: str | None = fields.string()
    sid: str | None = fields.sid("NO")
    uri: str | None = fields.string()


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/Recordings.json",
    operations="list fetch create update delete",
)
class CallRecording(Resource):
    """A recording of a call: ``call.recordings.create()`` starts one on a live call.

    It is paused, resumed or stopped with ``update(status=...)``; the same
    recording is an account :class:`Recording` too.
    """

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
    uri: str | None = fields.string()
    encryption_details: Any = fields.json()
    price_unit: str | None = fields.string()
    status: CallRecordingStatus | str | None = fields.enum_field(
        CallRecordingStatus, writable="update", required="update"
    )
    channels: int | None = fields.integer()
    source: CallRecordingSource | str | None = fields.enum_field(CallRecordingSource)
    error_code: int | None = fields.integer()
    track: str | None = fields.string()

    # write-only parameters
    recording_status_callback_event: list[str] | None = fields.param(fields.LIST, writable="create")
    recording_status_callback: str | None = fields.param(fields.URI, writable="create")
    recording_status_callback_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="create"
    )
    trim: str | None = fields.param(writable="create")
    recording_channels: str | None = fields.param(writable="create")
    recording_track: str | None = fields.param(writable="create")
    pause_behavior: str | None = fields.param(writable="update")


@resource(
    path=None,
    create_path="/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/Payments.json",
    instance_path="/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/Payments/{sid}.json",
    operations="create update",
)
class Payment(Resource):
    """A payment collected on a live call: ``call.payments.create(...)``.

    It is captured and completed (or cancelled) with ``update(capture=...)`` and
    ``update(status=...)``.
    """

    account_sid: str | None = fields.sid("AC")
    call_sid: str | None = fields.sid("CA")
    sid: str | None = fields.sid("PK")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    uri: str | None = fields.string()

    # write-only parameters
    idempotency_key: str | None = fields.param(required=True)
    status_callback: str | None = fields.param(fields.URI, required=True)
    bank_account_type: PaymentsBankAccountType | str | None = fields.param(
        fields.enum_kind(PaymentsBankAccountType), writable="create"
    )
    charge_amount: Decimal | None = fields.param(fields.DECIMAL, writable="create")
    currency: str | None = fields.param(writable="create")
    description: str | None = fields.param(writable="create")
    input: str | None = fields.param(writable="create")
    min_postal_code_length: int | None = fields.param(fields.INTEGER, writable="create")
    parameter: Any = fields.param(fields.JSON, writable="create")
    payment_connector: str | None = fields.param(writable="create")
    payment_method: PaymentsPaymentMethod | str | None = fields.param(
        fields.enum_kind(PaymentsPaymentMethod), writable="create"
    )
    postal_code: bool | None = fields.param(fields.BOOLEAN, writable="create")
    security_code: bool | None = fields.param(fields.BOOLEAN, writable="create")
    timeout: int | None = fields.param(fields.INTEGER, writable="create")
    token_type: PaymentsTokenType | str | None = fields.param(
        fields.enum_kind(PaymentsTokenType), writable="create"
    )
    valid_card_types: str | None = fields.param(writable="create")
    require_matching_inputs: str | None = fields.param(writable="create")
    confirmation: bool | None = fields.param(fields.BOOLEAN, writable="create")
    capture: PaymentsCapture | str | None = fields.param(
        fields.enum_kind(PaymentsCapture), writable="update"
    )
    status: PaymentsStatus | str | None = fields.param(
        fields.enum_kind(PaymentsStatus), writable="update"
    )


@resource(
    path=None,
    create_path="/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/Siprec.json",
    instance_path="/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/Siprec/{sid}.json",
    operations="create update",
)
class Siprec(Resource):
    """A SIPREC session forking a live call's media: ``call.siprec.create(connector_name=...)``.

    ``update(status="stopped")`` ends it.
    """

    sid: str | None = fields.sid("SR")
    account_sid: str | None = fields.sid("AC")
    call_sid: str | None = fields.sid("CA")
    name: str | None = fields.string(writable="create")
    status: SiprecStatus | str | None = fields.enum_field(
        SiprecStatus, writable="update", required="update"
    )
    date_updated: datetime | None = fields.rfc2822()
    uri: str | None = fields.string()

    # write-only parameters
    connector_name: str | None = fields.param(writable="create")
    track: SiprecTrack | str | None = fields.param(fields.enum_kind(SiprecTrack), writable="create")
    status_callback: str | None = fields.param(fields.URI, writable="create")
    status_callback_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="create"
    )
    parameters: dict[str, str] | None = fields.param(
        fields.PARAMETERS, writable="create", param="Parameter"
    )


@resource(
    path=None,
    create_path="/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/Streams.json",
    instance_path="/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/Streams/{sid}.json",
    operations="create update",
)
class Stream(Resource):
    """A media stream of a live call to a WebSocket: ``call.streams.create(url="wss://...")``.

    ``update(status="stopped")`` ends it.
    """

    sid: str | None = fields.sid("MZ")
    account_sid: str | None = fields.sid("AC")
    call_sid: str | None = fields.sid("CA")
    name: str | None = fields.string(writable="create")
    status: StreamStatus | str | None = fields.enum_field(
        StreamStatus, writable="update", required="update"
    )
    date_updated: datetime | None = fields.rfc2822()
    uri: str | None = fields.string()

    # write-only parameters
    url: str | None = fields.param(fields.WEBSOCKET, writable="create", required="create")
    track: StreamTrack | str | None = fields.param(fields.enum_kind(StreamTrack), writable="create")
    status_callback: str | None = fields.param(fields.URI, writable="create")
    status_callback_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="create"
    )
    parameters: dict[str, str] | None = fields.param(
        fields.PARAMETERS, writable="create", param="Parameter"
    )


@resource(
    path=None,
    create_path="/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/Transcriptions.json",
    instance_path="/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/Transcriptions/{sid}.json",
    operations="create update",
)
class RealtimeTranscription(Resource):
    """A real-time transcription of a live call: ``call.transcriptions.create(...)``.

    ``update(status="stopped")`` ends it.
    """

    sid: str | None = fields.sid("GT")
    account_sid: str | None = fields.sid("AC")
    call_sid: str | None = fields.sid("CA")
    name: str | None = fields.string(writable="create")
    status: RealtimeTranscriptionStatus | str | None = fields.enum_field(
        RealtimeTranscriptionStatus, writable="update", required="update"
    )
    date_updated: datetime | None = fields.rfc2822()
    uri: str | None = fields.string()

    # write-only parameters
    track: RealtimeTranscriptionTrack | str | None = fields.param(
        fields.enum_kind(RealtimeTranscriptionTrack), writable="create"
    )
    status_callback_url: str | None = fields.param(fields.URI, writable="create")
    status_callback_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="create"
    )
    inbound_track_label: str | None = fields.param(writable="create")
    outbound_track_label: str | None = fields.param(writable="create")
    partial_results: bool | None = fields.param(fields.BOOLEAN, writable="create")
    language_code: str | None = fields.param(writable="create")
    transcription_engine: str | None = fields.param(writable="create")
    profanity_filter: bool | None = fields.param(fields.BOOLEAN, writable="create")
    speech_model: str | None = fields.param(writable="create")
    hints: str | None = fields.param(writable="create")
    enable_automatic_punctuation: bool | None = fields.param(fields.BOOLEAN, writable="create")
    intelligence_service: str | None = fields.param(writable="create")
    conversation_configuration: str | None = fields.param(writable="create")
    conversation_id: str | None = fields.param(writable="create")
    configuration_id: str | None = fields.param(writable="create")
    enable_provider_data: bool | None = fields.param(fields.BOOLEAN, writable="create")


@resource(
    path=None,
    create_path="/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/UserDefinedMessages.json",
    operations="create",
)
class UserDefinedMessage(Resource):
    """A message sent to the Voice SDK client of a live call: ``call.user_defined_messages``."""

    account_sid: str | None = fields.sid("AC")
    call_sid: str | None = fields.sid("CA")
    sid: str | None = fields.sid("KX")
    date_created: datetime | None = fields.rfc2822()

    # write-only parameters
    content: str | None = fields.param(writable="create", required="create")
    idempotency_key: str | None = fields.param(writable="create")


@resource(
    path=None,
    create_path="/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/UserDefinedMessageSubscriptions.json",
    instance_path="/2010-04-01/Accounts/{account_sid}/Calls/{call_sid}/UserDefinedMessageSubscriptions/{sid}.json",
    operations="create delete",
)
class UserDefinedMessageSubscription(Resource):
    """A subscription to what a live call's Voice SDK client sends, delivered to ``callback``."""

    account_sid: str | None = fields.sid("AC")
    call_sid: str | None = fields.sid("CA")
    sid: str | None = fields.sid("ZY")
    date_created: datetime | None = fields.rfc2822()
    uri: str | None = fields.string()

    # write-only parameters
    callback: str | None = fields.param(fields.URI, writable="create", required="create")
    idempotency_key: str | None = fields.param(writable="create")
    method: HttpMethod | str | None = fields.param(fields.enum_kind(HttpMethod), writable="create")
