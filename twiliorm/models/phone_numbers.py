"""Incoming phone numbers (local, mobile, toll-free) and their add-ons."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from .. import fields
from ..resource import Resource, related, resource
from .common import HttpMethod

__all__ = [
    "IncomingPhoneNumber",
    "IncomingPhoneNumberAddressRequirement",
    "IncomingPhoneNumberAssignedAddOn",
    "IncomingPhoneNumberAssignedAddOnExtension",
    "IncomingPhoneNumberEmergencyAddressStatus",
    "IncomingPhoneNumberEmergencyStatus",
    "IncomingPhoneNumberVoiceReceiveMode",
]


class IncomingPhoneNumberAddressRequirement(fields.ApiEnum):
    NONE = "none"
    ANY = "any"
    LOCAL = "local"
    FOREIGN = "foreign"


class IncomingPhoneNumberVoiceReceiveMode(fields.ApiEnum):
    VOICE = "voice"
    FAX = "fax"


class IncomingPhoneNumberEmergencyStatus(fields.ApiEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


class IncomingPhoneNumberEmergencyAddressStatus(fields.ApiEnum):
    REGISTERED = "registered"
    UNREGISTERED = "unregistered"
    PENDING_REGISTRATION = "pending-registration"
    REGISTRATION_FAILURE = "registration-failure"
    PENDING_UNREGISTRATION = "pending-unregistration"
    UNREGISTRATION_FAILURE = "unregistration-failure"


@resource(
    path=(
        "/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers.json",
        "/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{type}.json",
    ),
    operations="list fetch create update delete",
    choices={"type": ("Local", "TollFree", "Mobile")},
)
class IncomingPhoneNumber(Resource):
    """A number the account owns: bought, configured, and released with ``delete()``.

    Bought with ``IncomingPhoneNumber.objects.create(phone_number=...)`` (or
    ``available.purchase()``); ``filter(type="Local")`` lists one type.
    """

    assigned_add_ons: ClassVar[related[IncomingPhoneNumberAssignedAddOn]] = related(
        "IncomingPhoneNumberAssignedAddOn"
    )

    account_sid: str | None = fields.sid("AC", writable="update")
    address_sid: str | None = fields.sid("AD", writable=True)
    address_requirements: IncomingPhoneNumberAddressRequirement | str | None = fields.enum_field(
        IncomingPhoneNumberAddressRequirement
    )
    api_version: str | None = fields.string(writable=True)
    beta: bool | None = fields.boolean(filter=True)
    capabilities: Any = fields.json()
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    friendly_name: str | None = fields.string(filter=True, writable=True)
    identity_sid: str | None = fields.sid("RI", writable=True)
    phone_number: str | None = fields.phone(filter=True, writable="create")
    origin: str | None = fields.string(filter=True)
    sid: str | None = fields.sid("PN")
    sms_application_sid: str | None = fields.sid("AP", writable=True)
    sms_fallback_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable=True)
    sms_fallback_url: str | None = fields.uri(writable=True)
    sms_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable=True)
    sms_url: str | None = fields.uri(writable=True)
    status_callback: str | None = fields.uri(writable=True)
    status_callback_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable=True)
    trunk_sid: str | None = fields.sid("TK", writable=True)
    uri: str | None = fields.string()
    voice_receive_mode: IncomingPhoneNumberVoiceReceiveMode | str | None = fields.enum_field(
        IncomingPhoneNumberVoiceReceiveMode, writable=True
    )
    voice_application_sid: str | None = fields.sid("AP", writable=True)
    voice_caller_id_lookup: bool | None = fields.boolean(writable=True)
    voice_fallback_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable=True)
    voice_fallback_url: str | None = fields.uri(writable=True)
    voice_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable=True)
    voice_url: str | None = fields.uri(writable=True)
    emergency_status: IncomingPhoneNumberEmergencyStatus | str | None = fields.enum_field(
        IncomingPhoneNumberEmergencyStatus, writable=True
    )
    emergency_address_sid: str | None = fields.sid("AD", writable=True)
    emergency_address_status: IncomingPhoneNumberEmergencyAddressStatus | str | None = (
        fields.enum_field(IncomingPhoneNumberEmergencyAddressStatus)
    )
    bundle_sid: str | None = fields.sid("BU", writable=True)
    status: str | None = fields.string()
    type: str | None = fields.string()

    # write-only parameters
    # An area code is digits: 530 and "530" both do (the tutorial writes area_code=530).
    area_code: int | str | None = fields.param(fields.INTEGER_TEXT, writable="create")


@resource(
    path="/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{resource_sid}/AssignedAddOns.json",
    operations="list fetch create delete",
)
class IncomingPhoneNumberAssignedAddOn(Resource):
    """An installed add-on assigned to a number: ``number.assigned_add_ons``."""

    extensions: ClassVar[related[IncomingPhoneNumberAssignedAddOnExtension]] = related(
        "IncomingPhoneNumberAssignedAddOnExtension"
    )

    sid: str | None = fields.sid("XE")
    account_sid: str | None = fields.sid("AC")
    resource_sid: str | None = fields.sid("PN")
    friendly_name: str | None = fields.string()
    description: str | None = fields.string()
    configuration: Any = fields.json()
    unique_name: str | None = fields.string()
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    uri: str | None = fields.string()
    subresource_uris: dict[str, str] | None = fields.uri_map()

    # write-only parameters
    installed_add_on_sid: str | None = fields.param(
        fields.sid_kind("XE"), writable="create", required="create"
    )


@resource(
    path="/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{resource_sid}/AssignedAddOns/{assigned_add_on_sid}/Extensions.json",
    operations="list fetch",
)
class IncomingPhoneNumberAssignedAddOnExtension(Resource):
    """A feature of an add-on assigned to a number: ``assigned.extensions``."""

    sid: str | None = fields.sid("XF")
    account_sid: str | None = fields.sid("AC")
    resource_sid: str | None = fields.sid("PN")
    assigned_add_on_sid: str | None = fields.sid("XE")
    friendly_name: str | None = fields.string()
    product_name: str | None = fields.string()
    unique_name: str | None = fields.string()
    uri: str | None = fields.string()
    enabled: bool | None = fields.boolean()
