"""Messages, their media and delivery feedback."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from .. import fields
from ..resource import Resource, related, resource

__all__ = [
    "Media",
    "Message",
    "MessageAddressRetention",
    "MessageContentRetention",
    "MessageDirection",
    "MessageFeedback",
    "MessageFeedbackOutcome",
    "MessageRiskCheck",
    "MessageScheduleType",
    "MessageStatus",
    "MessageTrafficType",
]


class MessageContentRetention(fields.ApiEnum):
    RETAIN = "retain"
    DISCARD = "discard"


class MessageAddressRetention(fields.ApiEnum):
    RETAIN = "retain"
    OBFUSCATE = "obfuscate"


class MessageTrafficType(fields.ApiEnum):
    FREE = "free"


class MessageScheduleType(fields.ApiEnum):
    FIXED = "fixed"


class MessageRiskCheck(fields.ApiEnum):
    ENABLE = "enable"
    DISABLE = "disable"


class MessageDirection(fields.ApiEnum):
    INBOUND = "inbound"
    OUTBOUND_API = "outbound-api"
    OUTBOUND_CALL = "outbound-call"
    OUTBOUND_REPLY = "outbound-reply"


class MessageStatus(fields.ApiEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    RECEIVING = "receiving"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    SCHEDULED = "scheduled"
    READ = "read"
    PARTIALLY_DELIVERED = "partially_delivered"
    CANCELED = "canceled"


class MessageFeedbackOutcome(fields.ApiEnum):
    CONFIRMED = "confirmed"
    UNCONFIRMED = "unconfirmed"


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Messages.json",
    operations="list fetch create update delete",
)
class Message(Resource):
    """An SMS, MMS or chat message: ``Message.objects.create(to=..., from_=..., body=...)``.

    ``redact()`` erases its body, ``cancel()`` stops a scheduled one;
    ``message.media`` holds its attachments.
    """

    media: ClassVar[related[Media]] = related("Media")
    feedback: ClassVar[related[MessageFeedback]] = related("MessageFeedback")

    body: str | None = fields.string(writable=True)
    num_segments: int | None = fields.integer_text()
    direction: MessageDirection | str | None = fields.enum_field(MessageDirection)
    from_: str | None = fields.sender(filter=True, writable="create")
    to: str | None = fields.phone(filter=True, writable="create", required="create")
    date_updated: datetime | None = fields.rfc2822()
    price: Decimal | None = fields.decimal_text()
    error_message: str | None = fields.string()
    uri: str | None = fields.string()
    account_sid: str | None = fields.sid("AC")
    num_media: int | None = fields.integer_text()
    status: MessageStatus | str | None = fields.enum_field(MessageStatus, writable="update")
    messaging_service_sid: str | None = fields.sid("MG", writable="create")
    sid: str | None = fields.sid("SM", "MM")
    date_sent: datetime | None = fields.rfc2822(filter=True, lookups="exact lt lte gt gte")
    date_created: datetime | None = fields.rfc2822()
    error_code: int | None = fields.integer()
    price_unit: str | None = fields.string()
    api_version: str | None = fields.string()
    subresource_uris: dict[str, str] | None = fields.uri_map()

    # write-only parameters
    status_callback: str | None = fields.param(fields.URI, writable="create")
    application_sid: str | None = fields.param(fields.sid_kind("AP"), writable="create")
    max_price: Decimal | None = fields.param(fields.DECIMAL, writable="create")
    provide_feedback: bool | None = fields.param(fields.BOOLEAN, writable="create")
    attempt: int | None = fields.param(fields.INTEGER, writable="create")
    validity_period: int | None = fields.param(fields.INTEGER, writable="create")
    force_delivery: bool | None = fields.param(fields.BOOLEAN, writable="create")
    content_retention: MessageContentRetention | str | None = fields.param(
        fields.enum_kind(MessageContentRetention), writable="create"
    )
    address_retention: MessageAddressRetention | str | None = fields.param(
        fields.enum_kind(MessageAddressRetention), writable="create"
    )
    smart_encoded: bool | None = fields.param(fields.BOOLEAN, writable="create")
    persistent_action: list[str] | None = fields.param(fields.LIST, writable="create")
    traffic_type: MessageTrafficType | str | None = fields.param(
        fields.enum_kind(MessageTrafficType), writable="create"
    )
    shorten_urls: bool | None = fields.param(fields.BOOLEAN, writable="create")
    schedule_type: MessageScheduleType | str | None = fields.param(
        fields.enum_kind(MessageScheduleType), writable="create"
    )
    send_at: datetime | None = fields.param(fields.DATETIME, writable="create")
    send_as_mms: bool | None = fields.param(fields.BOOLEAN, writable="create")
    content_variables: str | None = fields.param(writable="create")
    risk_check: MessageRiskCheck | str | None = fields.param(
        fields.enum_kind(MessageRiskCheck), writable="create"
    )
    fallback_from: str | None = fields.param(fields.SENDER, writable="create")
    media_url: list[str] | None = fields.param(fields.LIST, writable="create")
    content_sid: str | None = fields.param(fields.sid_kind("HX"), writable="create")

    def redact(self) -> Message:
        """Erase this message's body (``Body=`` empty), keeping the message itself."""
        return self.update(body="")

    def cancel(self) -> Message:
        """Cancel this scheduled message before it is sent (``Status=canceled``)."""
        return self.update(status=MessageStatus.CANCELED)


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}/Media.json",
    operations="list fetch delete",
    key="media_list",
    path_attrs={"message_sid": "parent_sid"},
)
class Media(Resource):
    """An attachment of a message (an image...): ``message.media.all()``."""

    account_sid: str | None = fields.sid("AC")
    content_type: str | None = fields.string()
    date_created: datetime | None = fields.rfc2822(filter=True, lookups="exact lt lte gt gte")
    date_updated: datetime | None = fields.rfc2822()
    parent_sid: str | None = fields.sid("SM", "MM")
    sid: str | None = fields.sid("ME")
    uri: str | None = fields.string()


@resource(
    path=None,
    create_path="/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}/Feedback.json",
    operations="create",
)
class MessageFeedback(Resource):
    """Whether a message's recipient did what it asked: ``message.feedback.create(outcome=...)``."""

    account_sid: str | None = fields.sid("AC")
    message_sid: str | None = fields.sid("SM", "MM")
    outcome: MessageFeedbackOutcome | str | None = fields.enum_field(
        MessageFeedbackOutcome, writable="create"
    )
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    uri: str | None = fields.string()
