"""Verified outgoing caller IDs and the requests that verify them."""

from __future__ import annotations

from datetime import datetime

from .. import fields
from ..resource import Resource, resource
from .common import HttpMethod

__all__ = [
    "OutgoingCallerId",
    "ValidationRequest",
]


@resource(
    path="/2010-04-01/Accounts/{account_sid}/OutgoingCallerIds.json",
    operations="list fetch update delete",
)
class OutgoingCallerId(Resource):
    """A verified number the account may use as caller ID (made by a ``ValidationRequest``)."""

    sid: str | None = fields.sid("PN")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    friendly_name: str | None = fields.string(filter=True, writable="update")
    account_sid: str | None = fields.sid("AC")
    phone_number: str | None = fields.phone(filter=True)
    uri: str | None = fields.string()


@resource(
    path=None,
    create_path="/2010-04-01/Accounts/{account_sid}/OutgoingCallerIds.json",
    operations="create",
)
class ValidationRequest(Resource):
    """A request to verify a caller ID: Twilio calls the number and asks for the code.

    ``ValidationRequest.objects.create(phone_number=...)`` answers the
    ``validation_code`` to enter; once it is entered, the number is an
    :class:`OutgoingCallerId`.
    """

    account_sid: str | None = fields.sid("AC")
    call_sid: str | None = fields.sid("CA")
    friendly_name: str | None = fields.string(writable="create")
    phone_number: str | None = fields.phone(writable="create", required="create")
    validation_code: str | None = fields.string()

    # write-only parameters
    call_delay: int | None = fields.param(fields.INTEGER, writable="create")
    extension: str | None = fields.param(writable="create")
    status_callback: str | None = fields.param(fields.URI, writable="create")
    status_callback_method: HttpMethod | str | None = fields.param(
        fields.enum_kind(HttpMethod), writable="create"
    )
