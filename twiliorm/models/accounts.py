"""Accounts, their API keys and signing keys, balance and tokens."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from .. import fields
from ..resource import Resource, related, resource

if TYPE_CHECKING:
    from .addresses import Address
    from .applications import Application, AuthorizedConnectApp, ConnectApp
    from .available_numbers import AvailablePhoneNumberCountry
    from .caller_ids import OutgoingCallerId, ValidationRequest
    from .calls import Call
    from .conferences import Conference
    from .messages import Message
    from .notifications import Notification
    from .phone_numbers import IncomingPhoneNumber
    from .queues import Queue
    from .recordings import Recording, Transcription
    from .short_codes import ShortCode
    from .sip import SipCredentialList, SipDomain, SipIpAccessControlList
    from .usage import UsageRecord, UsageTrigger


__all__ = [
    "Account",
    "AccountStatus",
    "AccountType",
    "Balance",
    "Key",
    "NewKey",
    "NewSigningKey",
    "SigningKey",
    "Token",
]


class AccountStatus(fields.ApiEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class AccountType(fields.ApiEnum):
    TRIAL = "Trial"
    FULL = "Full"


@resource(
    path="/2010-04-01/Accounts.json",
    operations="list fetch create update",
    ordering="date_created",  # oldest first: the main account, then its sub-accounts
)
class Account(Resource):
    """An account (a project) or one of its sub-accounts.

    ``Account.objects.create(friendly_name=...)`` makes a sub-account;
    ``account.update(status=AccountStatus.CLOSED)`` closes one for good. Every
    other resource is reached below an account: ``account.messages``, or
    ``Message.objects.using(account=sid)``.
    """

    addresses: ClassVar[related[Address]] = related("Address")
    applications: ClassVar[related[Application]] = related("Application")
    authorized_connect_apps: ClassVar[related[AuthorizedConnectApp]] = related(
        "AuthorizedConnectApp"
    )
    available_phone_numbers: ClassVar[related[AvailablePhoneNumberCountry]] = related(
        "AvailablePhoneNumberCountry"
    )
    balance: ClassVar[related[Balance]] = related("Balance")
    calls: ClassVar[related[Call]] = related("Call")
    conferences: ClassVar[related[Conference]] = related("Conference")
    connect_apps: ClassVar[related[ConnectApp]] = related("ConnectApp")
    incoming_phone_numbers: ClassVar[related[IncomingPhoneNumber]] = related("IncomingPhoneNumber")
    keys: ClassVar[related[Key]] = related("Key")
    messages: ClassVar[related[Message]] = related("Message")
    new_keys: ClassVar[related[NewKey]] = related("NewKey")
    new_signing_keys: ClassVar[related[NewSigningKey]] = related("NewSigningKey")
    notifications: ClassVar[related[Notification]] = related("Notification")
    outgoing_caller_ids: ClassVar[related[OutgoingCallerId]] = related("OutgoingCallerId")
    queues: ClassVar[related[Queue]] = related("Queue")
    recordings: ClassVar[related[Recording]] = related("Recording")
    signing_keys: ClassVar[related[SigningKey]] = related("SigningKey")
    short_codes: ClassVar[related[ShortCode]] = related("ShortCode")
    tokens: ClassVar[related[Token]] = related("Token")
    transcriptions: ClassVar[related[Transcription]] = related("Transcription")
    validation_requests: ClassVar[related[ValidationRequest]] = related("ValidationRequest")
    sip_domains: ClassVar[related[SipDomain]] = related("SipDomain")
    sip_credential_lists: ClassVar[related[SipCredentialList]] = related("SipCredentialList")
    sip_ip_access_control_lists: ClassVar[related[SipIpAccessControlList]] = related(
        "SipIpAccessControlList"
    )
    usage_records: ClassVar[related[UsageRecord]] = related("UsageRecord")
    usage_triggers: ClassVar[related[UsageTrigger]] = related("UsageTrigger")

    auth_token: str | None = fields.string()
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    friendly_name: str | None = fields.string(filter=True, writable=True)
    owner_account_sid: str | None = fields.sid("AC")
    sid: str | None = fields.sid("AC")
    status: AccountStatus | str | None = fields.enum_field(
        AccountStatus, filter=True, writable="update"
    )
    subresource_uris: dict[str, str] | None = fields.uri_map()
    type: AccountType | str | None = fields.enum_field(AccountType)
    uri: str | None = fields.string()


@resource(
    path=None,
    operations="fetch",
    instance_path="/2010-04-01/Accounts/{account_sid}/Balance.json",
)
class Balance(Resource):
    """The account's balance: ``Balance.objects.get()`` (or ``account.balance.get()``)."""

    account_sid: str | None = fields.sid("AC")
    balance: Decimal | None = fields.decimal_text()
    currency: str | None = fields.string()


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Keys.json",
    operations="list fetch update delete",
)
class Key(Resource):
    """A standard API key of the account; deleting it revokes it at once.

    Keys are made through :class:`NewKey`, the only answer that carries the secret.
    """

    sid: str | None = fields.sid("SK")
    friendly_name: str | None = fields.string(writable="update")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()


@resource(
    path=None,
    create_path="/2010-04-01/Accounts/{account_sid}/Keys.json",
    operations="create",
)
class NewKey(Resource):
    """A new API key: ``NewKey.objects.create(friendly_name=...)`` answers its ``secret``, once."""

    sid: str | None = fields.sid("SK")
    friendly_name: str | None = fields.string(writable="create")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    secret: str | None = fields.string()


@resource(
    path="/2010-04-01/Accounts/{account_sid}/SigningKeys.json",
    operations="list fetch update delete",
)
class SigningKey(Resource):
    """A signing key of the account (listed, renamed, deleted; made through ``NewSigningKey``)."""

    sid: str | None = fields.sid("SK")
    friendly_name: str | None = fields.string(writable="update")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()


@resource(
    path=None,
    create_path="/2010-04-01/Accounts/{account_sid}/SigningKeys.json",
    operations="create",
)
class NewSigningKey(Resource):
    """A new signing key: the create answers its ``secret``, once."""

    sid: str | None = fields.sid("SK")
    friendly_name: str | None = fields.string(writable="create")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    secret: str | None = fields.string()


@resource(
    path=None,
    create_path="/2010-04-01/Accounts/{account_sid}/Tokens.json",
    operations="create",
)
class Token(Resource):
    """Short-lived STUN/TURN credentials for WebRTC: ``Token.objects.create(ttl=3600)``."""

    account_sid: str | None = fields.sid("AC")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    ice_servers: Any = fields.json()
    password: str | None = fields.string()
    ttl: int | None = fields.integer_text(writable="create")
    username: str | None = fields.string()
