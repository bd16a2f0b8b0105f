"""TwiML applications and Connect apps."""

from __future__ import annotations

from datetime import datetime

from .. import fields
from ..resource import Resource, resource
from .common import HttpMethod

__all__ = [
    "Application",
    "AuthorizedConnectApp",
    "ConnectApp",
]


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Applications.json",
    operations="list fetch create update delete",
)
class Application(Resource):
    """A TwiML application: voice and messaging URLs that numbers and clients share.

    Numbers point to it with ``voice_application_sid`` and ``sms_application_sid``.
    """

    account_sid: str | None = fields.sid("AC")
    api_version: str | None = fields.string(writable=True)
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    friendly_name: str | None = fields.string(filter=True, writable=True)
    message_status_callback: str | None = fields.uri(writable=True)
    sid: str | None = fields.sid("AP")
    sms_fallback_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable=True)
    sms_fallback_url: str | None = fields.uri(writable=True)
    sms_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable=True)
    sms_status_callback: str | None = fields.uri(writable=True)
    sms_url: str | None = fields.uri(writable=True)
    status_callback: str | None = fields.uri(writable=True)
    status_callback_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable=True)
    uri: str | None = fields.string()
    voice_caller_id_lookup: bool | None = fields.boolean(writable=True)
    voice_fallback_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable=True)
    voice_fallback_url: str | None = fields.uri(writable=True)
    voice_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable=True)
    voice_url: str | None = fields.uri(writable=True)
    public_application_connect_enabled: bool | None = fields.boolean(writable=True)


@resource(
    path="/2010-04-01/Accounts/{account_sid}/AuthorizedConnectApps.json",
    operations="list fetch",
    instance_path="/2010-04-01/Accounts/{account_sid}/AuthorizedConnectApps/{connect_app_sid}.json",
)
class AuthorizedConnectApp(Resource):
    """A Connect app this account has authorized, and what it may do (``permissions``)."""

    account_sid: str | None = fields.sid("AC")
    connect_app_company_name: str | None = fields.string()
    connect_app_description: str | None = fields.string()
    connect_app_friendly_name: str | None = fields.string()
    connect_app_homepage_url: str | None = fields.uri()
    connect_app_sid: str | None = fields.sid("CN")
    permissions: list[str] | None = fields.list_of()
    uri: str | None = fields.string()


@resource(
    path="/2010-04-01/Accounts/{account_sid}/ConnectApps.json",
    operations="list fetch update delete",
)
class ConnectApp(Resource):
    """A Connect app of this account, which other accounts authorize to act for them.

    Connect apps are made in Twilio's Console; over the API they are listed,
    changed and deleted.
    """

    account_sid: str | None = fields.sid("AC")
    authorize_redirect_url: str | None = fields.uri(writable="update")
    company_name: str | None = fields.string(writable="update")
    deauthorize_callback_method: HttpMethod | str | None = fields.enum_field(
        HttpMethod, writable="update"
    )
    deauthorize_callback_url: str | None = fields.uri(writable="update")
    description: str | None = fields.string(writable="update")
    friendly_name: str | None = fields.string(writable="update")
    homepage_url: str | None = fields.uri(writable="update")
    permissions: list[str] | None = fields.list_of(writable="update")
    sid: str | None = fields.sid("CN")
    uri: str | None = fields.string()
