"""The account's error and warning log."""

from __future__ import annotations

from datetime import datetime

from .. import fields
from ..resource import Resource, resource
from .common import HttpMethod

__all__ = [
    "Notification",
]


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Notifications.json",
    operations="list fetch",
)
class Notification(Resource):
    """An entry of the account's error and warning log (deprecated by Twilio for the Debugger)."""

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
