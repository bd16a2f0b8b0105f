"""SIP: credential lists and credentials, domains, IP access control lists and addresses, and every
mapping between them.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from .. import fields
from ..resource import Resource, related, resource
from .common import HttpMethod

__all__ = [
    "SipAuthCallsCredentialListMapping",
    "SipAuthCallsIpAccessControlListMapping",
    "SipAuthRegistrationsCredentialListMapping",
    "SipCredential",
    "SipCredentialList",
    "SipCredentialListMapping",
    "SipDomain",
    "SipIpAccessControlList",
    "SipIpAccessControlListMapping",
    "SipIpAddress",
]


@resource(
    path="/2010-04-01/Accounts/{account_sid}/SIP/CredentialLists.json",
    operations="list fetch create update delete",
)
class SipCredentialList(Resource):
    """A list of SIP usernames and passwords: ``credential_list.credentials``."""

    credentials: ClassVar[related[SipCredential]] = related("SipCredential")

    account_sid: str | None = fields.sid("AC")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    friendly_name: str | None = fields.string(writable=True, required=True)
    sid: str | None = fields.sid("CL")
    subresource_uris: dict[str, str] | None = fields.uri_map()
    uri: str | None = fields.string()


@resource(
    path="/2010-04-01/Accounts/{account_sid}/SIP/CredentialLists/{credential_list_sid}/Credentials.json",
    operations="list fetch create update delete",
)
class SipCredential(Resource):
    """A SIP username and password in a credential list; the password is never answered."""

    sid: str | None = fields.sid("CR")
    account_sid: str | None = fields.sid("AC")
    credential_list_sid: str | None = fields.sid("CL")
    username: str | None = fields.string(writable="create", required="create")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    uri: str | None = fields.string()

    # write-only parameters
    password: str | None = fields.param(required="create")


@resource(
    path="/2010-04-01/Accounts/{account_sid}/SIP/Domains.json",
    operations="list fetch create update delete",
)
class SipDomain(Resource):
    """A SIP domain (``name.sip.twilio.com``), with the lists that authenticate its traffic."""

    ip_access_control_list_mappings: ClassVar[related[SipIpAccessControlListMapping]] = related(
        "SipIpAccessControlListMapping"
    )
    credential_list_mappings: ClassVar[related[SipCredentialListMapping]] = related(
        "SipCredentialListMapping"
    )
    auth_calls_credential_list_mappings: ClassVar[related[SipAuthCallsCredentialListMapping]] = (
        related("SipAuthCallsCredentialListMapping")
    )
    auth_calls_ip_access_control_list_mappings: ClassVar[
        related[SipAuthCallsIpAccessControlListMapping]
    ] = related("SipAuthCallsIpAccessControlListMapping")
    auth_registrations_credential_list_mappings: ClassVar[
        related[SipAuthRegistrationsCredentialListMapping]
    ] = related("SipAuthRegistrationsCredentialListMapping")

    account_sid: str | None = fields.sid("AC")
    api_version: str | None = fields.string()
    auth_type: str | None = fields.string()
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    domain_name: str | None = fields.string(writable=True, required="create")
    friendly_name: str | None = fields.string(writable=True)
    sid: str | None = fields.sid("SD")
    uri: str | None = fields.string()
    voice_fallback_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable=True)
    voice_fallback_url: str | None = fields.uri(writable=True)
    voice_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable=True)
    voice_status_callback_method: HttpMethod | str | None = fields.enum_field(
        HttpMethod, writable=True
    )
    voice_status_callback_url: str | None = fields.uri(writable=True)
    voice_url: str | None = fields.uri(writable=True)
    subresource_uris: dict[str, str] | None = fields.uri_map()
    sip_registration: bool | None = fields.boolean(writable=True)
    emergency_calling_enabled: bool | None = fields.boolean(writable=True)
    secure: bool | None = fields.boolean(writable=True)
    byoc_trunk_sid: str | None = fields.sid("BY", writable=True)
    emergency_caller_sid: str | None = fields.sid("PN", writable=True)


@resource(
    path="/2010-04-01/Accounts/{account_sid}/SIP/IpAccessControlLists.json",
    operations="list fetch create update delete",
)
class SipIpAccessControlList(Resource):
    """A list of IP addresses allowed to send SIP traffic: ``acl.ip_addresses``."""

    ip_addresses: ClassVar[related[SipIpAddress]] = related("SipIpAddress")

    sid: str | None = fields.sid("AL")
    account_sid: str | None = fields.sid("AC")
    friendly_name: str | None = fields.string(writable=True, required=True)
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    subresource_uris: dict[str, str] | None = fields.uri_map()
    uri: str | None = fields.string()


@resource(
    path="/2010-04-01/Accounts/{account_sid}/SIP/IpAccessControlLists/{ip_access_control_list_sid}/IpAddresses.json",
    operations="list fetch create update delete",
)
class SipIpAddress(Resource):
    """An IPv4 address (or range, with ``cidr_prefix_length``) in an access control list."""

    sid: str | None = fields.sid("IP")
    account_sid: str | None = fields.sid("AC")
    friendly_name: str | None = fields.string(writable=True, required="create")
    ip_address: str | None = fields.string(writable=True, required="create")
    cidr_prefix_length: int | None = fields.integer(writable=True)
    ip_access_control_list_sid: str | None = fields.sid("AL")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    uri: str | None = fields.string()


@resource(
    path="/2010-04-01/Accounts/{account_sid}/SIP/Domains/{domain_sid}/CredentialListMappings.json",
    operations="list fetch create delete",
)
class SipCredentialListMapping(Resource):
    """A credential list authenticating a domain's calls: ``domain.credential_list_mappings``."""

    account_sid: str | None = fields.sid("AC")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    domain_sid: str | None = fields.sid("SD")
    friendly_name: str | None = fields.string()
    sid: str | None = fields.sid("CL")
    uri: str | None = fields.string()

    # write-only parameters
    credential_list_sid: str | None = fields.param(
        fields.sid_kind("CL"), writable="create", required="create"
    )


@resource(
    path="/2010-04-01/Accounts/{account_sid}/SIP/Domains/{domain_sid}/IpAccessControlListMappings.json",
    operations="list fetch create delete",
)
class SipIpAccessControlListMapping(Resource):
    """An IP access control list of a domain: ``domain.ip_access_control_list_mappings``."""

    account_sid: str | None = fields.sid("AC")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    domain_sid: str | None = fields.sid("SD")
    friendly_name: str | None = fields.string()
    sid: str | None = fields.sid("AL")
    uri: str | None = fields.string()

    # write-only parameters
    ip_access_control_list_sid: str | None = fields.param(
        fields.sid_kind("AL"), writable="create", required="create"
    )


@resource(
    path="/2010-04-01/Accounts/{account_sid}/SIP/Domains/{domain_sid}/Auth/Calls/CredentialListMappings.json",
    operations="list fetch create delete",
    key="contents",
)
class SipAuthCallsCredentialListMapping(Resource):
    """A credential list authenticating a domain's calls (``Auth/Calls``)."""

    account_sid: str | None = fields.sid("AC")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    friendly_name: str | None = fields.string()
    sid: str | None = fields.sid("CL")

    # write-only parameters
    credential_list_sid: str | None = fields.param(
        fields.sid_kind("CL"), writable="create", required="create"
    )


@resource(
    path="/2010-04-01/Accounts/{account_sid}/SIP/Domains/{domain_sid}/Auth/Calls/IpAccessControlListMappings.json",
    operations="list fetch create delete",
    key="contents",
)
class SipAuthCallsIpAccessControlListMapping(Resource):
    """An IP access control list authenticating a domain's calls (``Auth/Calls``)."""

    account_sid: str | None = fields.sid("AC")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    friendly_name: str | None = fields.string()
    sid: str | None = fields.sid("AL")

    # write-only parameters
    ip_access_control_list_sid: str | None = fields.param(
        fields.sid_kind("AL"), writable="create", required="create"
    )


@resource(
    path="/2010-04-01/Accounts/{account_sid}/SIP/Domains/{domain_sid}/Auth/Registrations/CredentialListMappings.json",
    operations="list fetch create delete",
    key="contents",
)
class SipAuthRegistrationsCredentialListMapping(Resource):
    """A credential list authenticating registrations to a domain."""

    account_sid: str | None = fields.sid("AC")
    date_created: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    friendly_name: str | None = fields.string()
    sid: str | None = fields.sid("CL")

    # write-only parameters
    credential_list_sid: str | None = fields.param(
        fields.sid_kind("CL"), writable="create", required="create"
    )
