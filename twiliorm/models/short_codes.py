"""SMS short codes."""

from __future__ import annotations

from datetime import datetime

from .. import fields
from ..resource import Resource, resource
from .common import HttpMethod

__all__ = [
    "ShortCode",
]


@resource(
    path="/2010-04-01/Accounts/{account_sid}/SMS/ShortCodes.json",
    operations="list fetch update",
)
class ShortCode(Resource):
    """A short code of the account (approved by Twilio, then configured over the API)."""

    account_sid: str | None = fields.sid("AC")
    api_version: str | None = fields.string(writable="update")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    friendly_name: str | None = fields.string(filter=True, writable="update")
    short_code: str | None = fields.string(filter=True)
    sid: str | None = fields.sid("SC")
    sms_fallback_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable="update")
    sms_fallback_url: str | None = fields.uri(writable="update")
    sms_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable="update")
    sms_url: str | None = fields.uri(writable="update")
    uri: str | None = fields.string()
