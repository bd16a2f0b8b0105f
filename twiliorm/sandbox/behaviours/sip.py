"""SIP: credential lists and credentials, IP access control lists and addresses, domains, and
the mappings that attach lists to a domain.

As Twilio answers them: a mapping's SID is the SID of the list it maps and its
friendly name is the list's; a list maps once per domain and kind of mapping,
and only a list of the same account. A domain name ends in ``sip.twilio.com``
and is unique; a domain's ``auth_type`` says which kinds of list its calls are
authenticated by (``IP_ACL``, ``CREDENTIAL_LIST``). A password follows Twilio's
rules (12 characters or more, a digit, mixed case) and is never answered. An
IP address is IPv4 with a CIDR prefix length of at most 32. Deleting a list
deletes what it holds and every mapping of it; deleting a domain deletes its
mappings.
"""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import ApiError, bad_param
from ..generic import Behaviour, behaviour
from ..store import Record

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["CredentialLists", "Credentials", "Domains", "IpAccessControlLists", "IpAddresses"]

_DOMAIN = re.compile(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.sip\.twilio\.com")
_CREDENTIAL_MAPPINGS = (
    "SipCredentialListMapping",
    "SipAuthCallsCredentialListMapping",
    "SipAuthRegistrationsCredentialListMapping",
)
_IP_MAPPINGS = ("SipIpAccessControlListMapping", "SipAuthCallsIpAccessControlListMapping")
#: The mappings that authenticate calls, by the auth_type they give a domain.
_CALL_AUTH = (
    ("IP_ACL", ("SipIpAccessControlListMapping", "SipAuthCallsIpAccessControlListMapping")),
    ("CREDENTIAL_LIST", ("SipCredentialListMapping", "SipAuthCallsCredentialListMapping")),
)


def _check_friendly_name(ctx: Context) -> None:
    name = ctx.form_value("FriendlyName")
    if name is not None and len(name) > 64:
        raise ApiError(400, 20001, "FriendlyName must be at most 64 characters long")


class _Lists(Behaviour):
    """A list of credentials or of IP addresses: what it holds goes with it."""

    member: ClassVar[str] = ""
    member_param: ClassVar[str] = ""
    mappings: ClassVar[tuple[str, ...]] = ()

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        _check_friendly_name(ctx)

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        self.form.check_required(ctx, "update")
        _check_friendly_name(ctx)

    def before_delete(self, ctx: Context, record: Record) -> None:
        held = f"{self.member_param}={record.pk}"
        for member in self.store.children(self.member, record.account, held):
            self.store.delete(member)
        domains = set()
        for name in self.mappings:
            for mapping in self.store.all(name, record.account, [("pk = ?", (record.pk,))]):
                self.store.delete(mapping)
                domains.add(mapping.parent.partition("=")[2])
        for domain in domains:
            refresh_auth_type(self, record.account, domain)


@behaviour("SipCredentialList")
class CredentialLists(_Lists):
    member, member_param = "SipCredential", "credential_list_sid"
    mappings = _CREDENTIAL_MAPPINGS


@behaviour("SipIpAccessControlList")
class IpAccessControlLists(_Lists):
    member, member_param = "SipIpAddress", "ip_access_control_list_sid"
    mappings = _IP_MAPPINGS


@behaviour("SipCredential")
class Credentials(Behaviour):
    """A username unique in its list (32 characters at most) and a password never answered."""

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        self.parent_record(ctx, "SipCredentialList", "credential_list_sid")
        username = str(body.get("username") or "")
        if len(username) > 32:
            raise ApiError(400, 20001, "Username must be at most 32 characters long")
        same = ("json_extract(body, '$.username') = ?", (username,))
        if self.store.children(self.name, ctx.account, self.parent_of(ctx.params), [same]):
            raise ApiError(400, 20001, f"Username {username!r} is already in this list")
        _check_password(ctx.form_value("Password") or "")

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        password = ctx.form_value("Password")
        if password is not None:
            _check_password(password)


def _check_password(password: str) -> None:
    strong = (
        len(password) >= 12
        and re.search(r"\d", password)
        and re.search(r"[a-z]", password)
        and re.search(r"[A-Z]", password)
    )
    if not strong:
        raise ApiError(
            400,
            20001,
            "Password must be at least 12 characters long, with a digit and mixed case",
        )


@behaviour("SipIpAddress")
class IpAddresses(Behaviour):
    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        self.parent_record(ctx, "SipIpAccessControlList", "ip_access_control_list_sid")
        body["ip_address"] = _ipv4(str(body.get("ip_address") or ""))
        body["cidr_prefix_length"] = _prefix(body.get("cidr_prefix_length"))

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        body["ip_address"] = _ipv4(str(body.get("ip_address") or ""))
        body["cidr_prefix_length"] = _prefix(body.get("cidr_prefix_length"))


def _ipv4(text: str) -> str:
    try:
        return str(ipaddress.IPv4Address(text))
    except ValueError:
        raise bad_param("IpAddress", text) from None


def _prefix(value: Any) -> int:
    length = 32 if value is None else int(value)
    if not 0 <= length <= 32:
        raise bad_param("CidrPrefixLength", str(value))
    return length


@behaviour("SipDomain")
class Domains(Behaviour):
    """A domain name unique across the sandbox; its mappings go with it."""

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        self._check_name(str(body.get("domain_name") or ""), None)
        for key in ("voice_method", "voice_fallback_method", "voice_status_callback_method"):
            body[key] = body.get(key) or "POST"
        for key in ("sip_registration", "emergency_calling_enabled", "secure"):
            body[key] = bool(body.get(key))

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        if body.get("domain_name") != record.body.get("domain_name"):
            self._check_name(str(body.get("domain_name") or ""), record.pk)

    def _check_name(self, name: str, own: str | None) -> None:
        if not _DOMAIN.fullmatch(name):
            raise ApiError(
                400,
                20001,
                f"DomainName {name!r} must be letters, digits and '-' ending in sip.twilio.com",
            )
        same = ("json_extract(body, '$.domain_name') = ?", (name,))
        if any(d.pk != own for d in self.store.all(self.name, None, [same])):
            raise ApiError(400, 20001, f"DomainName {name!r} is already taken")

    def before_delete(self, ctx: Context, record: Record) -> None:
        mine = f"domain_sid={record.pk}"
        for name in (*_CREDENTIAL_MAPPINGS, *_IP_MAPPINGS):
            for mapping in self.store.children(name, record.account, mine):
                self.store.delete(mapping)


def refresh_auth_type(behaviour: Behaviour, account: str, domain_sid: str) -> None:
    """Set a domain's ``auth_type`` from the lists mapped to authenticate its calls."""
    domain = behaviour.store.get("SipDomain", account, "", domain_sid)
    if domain is None:
        return
    mine = f"domain_sid={domain_sid}"
    kinds = [
        label
        for label, names in _CALL_AUTH
        if any(behaviour.store.children(n, account, mine, limit=1) for n in names)
    ]
    body = dict(domain.body, auth_type=",".join(kinds) or None)
    behaviour.app.behaviours.sip_domains.save(domain, body)


class _Mappings(Behaviour):
    """A list mapped to a domain: the mapping is named by the list's SID."""

    source: ClassVar[str] = ""
    param: ClassVar[str] = ""

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        self.parent_record(ctx, "SipDomain", "domain_sid")
        sid = ctx.form_value(self.param) or ""
        mapped = self.store.get(self.source, ctx.account, "", sid)
        if mapped is None:
            raise ApiError(400, 20001, f"{self.param} {sid!r} is no list of this account")
        if self.store.get(self.name, ctx.account, self.parent_of(ctx.params), sid) is not None:
            raise ApiError(400, 20001, f"{sid} is already mapped to this domain")
        body.update(sid=sid, friendly_name=mapped.body.get("friendly_name"))

    def after_create(self, ctx: Context, record: Record) -> None:
        refresh_auth_type(self, ctx.account, ctx.params["domain_sid"])

    def delete(self, ctx: Context) -> None:
        super().delete(ctx)
        refresh_auth_type(self, ctx.account, ctx.params["domain_sid"])


@behaviour(*_CREDENTIAL_MAPPINGS)
class CredentialListMappings(_Mappings):
    source, param = "SipCredentialList", "CredentialListSid"


@behaviour(*_IP_MAPPINGS)
class IpAccessControlListMappings(_Mappings):
    source, param = "SipIpAccessControlList", "IpAccessControlListSid"
