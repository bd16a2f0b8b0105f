"""Addresses and the phone numbers that depend on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from .. import fields
from ..resource import Resource, related, resource
from .common import HttpMethod

__all__ = [
    "Address",
    "DependentPhoneNumber",
    "DependentPhoneNumberAddressRequirement",
    "DependentPhoneNumberEmergencyStatus",
]


class DependentPhoneNumberAddressRequirement(fields.ApiEnum):
    NONE = "none"
    ANY = "any"
    LOCAL = "local"
    FOREIGN = "foreign"


class DependentPhoneNumberEmergencyStatus(fields.ApiEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Addresses.json",
    operations="list fetch create update delete",
)
class Address(Resource):
    """A customer's address, which some countries require before a number is bought there.

    Numbers name it in ``address_sid``; ``address.dependent_phone_numbers`` lists
    them, and an address they depend on cannot be deleted.
    """

    dependent_phone_numbers: ClassVar[related[DependentPhoneNumber]] = related(
        "DependentPhoneNumber"
    )

    account_sid: str | None = fields.sid("AC")
    city: str | None = fields.string(writable=True, required="create")
    customer_name: str | None = fields.string(filter=True, writable=True, required="create")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    friendly_name: str | None = fields.string(filter=True, writable=True)
    iso_country: str | None = fields.string(filter=True, writable="create", required="create")
    postal_code: str | None = fields.string(writable=True, required="create")
    region: str | None = fields.string(writable=True, required="create")
    sid: str | None = fields.sid("AD")
    street: str | None = fields.string(writable=True, required="create")
    uri: str | None = fields.string()
    emergency_enabled: bool | None = fields.boolean(filter=True, writable=True)
    validated: bool | None = fields.boolean()
    verified: bool | None = fields.boolean()
    street_secondary: str | None = fields.string(writable=True)

    # write-only parameters
    auto_correct_address: bool | None = fields.param(fields.BOOLEAN)


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Addresses/{address_sid}/DependentPhoneNumbers.json",
    operations="list",
)
class DependentPhoneNumber(Resource):
    """A number that depends on an address: ``address.dependent_phone_numbers.all()``."""

    sid: str | None = fields.sid("PN")
    account_sid: str | None = fields.sid("AC")
    friendly_name: str | None = fields.string()
    phone_number: str | None = fields.phone()
    voice_url: str | None = fields.uri()
    voice_method: HttpMethod | str | None = fields.enum_field(HttpMethod)
    voice_fallback_method: HttpMethod | str | None = fields.enum_field(HttpMethod)
    voice_fallback_url: str | None = fields.uri()
    voice_caller_id_lookup: bool | None = fields.boolean()
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    sms_fallback_method: HttpMethod | str | None = fields.enum_field(HttpMethod)
    sms_fallback_url: str | None = fields.uri()
    sms_method: HttpMethod | str | None = fields.enum_field(HttpMethod)
    sms_url: str | None = fields.uri()
    address_requirements: DependentPhoneNumberAddressRequirement | str | None = fields.enum_field(
        DependentPhoneNumberAddressRequirement
    )
    capabilities: Any = fields.json()
    status_callback: str | None = fields.uri()
    status_callback_method: HttpMethod | str | None = fields.enum_field(HttpMethod)
    api_version: str | None = fields.string()
    sms_application_sid: str | None = fields.sid("AP")
    voice_application_sid: str | None = fields.sid("AP")
    trunk_sid: str | None = fields.sid("TK")
    emergency_status: DependentPhoneNumberEmergencyStatus | str | None = fields.enum_field(
        DependentPhoneNumberEmergencyStatus
    )
    emergency_address_sid: str | None = fields.sid("AD")
    uri: str | None = fields.string()
