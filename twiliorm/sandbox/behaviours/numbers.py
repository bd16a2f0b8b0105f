"""Phone numbers: searching the inventory, buying, configuring and releasing; caller IDs and
short codes.

``AvailablePhoneNumbers/{country}/{type}.json`` searches the inventory (one
page, with the list and ``uri`` only, as Twilio answers; a country the
sandbox does not stock is 404); ``POST IncomingPhoneNumbers.json`` buys a
number by ``PhoneNumber`` or ``AreaCode``; DELETE releases it back to the
inventory.

Caller ID validation: the sandbox places no call; the validation succeeds
at once (answered 200) and the number becomes an ``OutgoingCallerId``
(21450 if it already is one). Short codes are provisioned by Twilio rather
than bought over the API: a test or demo adds one with
:meth:`ShortCodes.provision`.
"""

from __future__ import annotations

import json
import re
import secrets
import urllib.parse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..errors import ApiError, bad_param, missing_param
from ..filters import ListFilter
from ..generic import Answered, Behaviour, behaviour, new_sid
from ..pages import Page, paging
from ..store import Clause, Clauses, Record
from . import inventory, magic
from .applications import check_methods

if TYPE_CHECKING:
    from ...fields import FieldSpec
    from ..app import App, Context

__all__ = [
    "AvailableCountries",
    "AvailableNumbers",
    "IncomingNumbers",
    "NumberFilter",
    "ShortCodes",
    "Validations",
]

_TYPE_PATHS = {"Local": "local", "TollFree": "toll_free", "Mobile": "mobile"}


def _owned(app: App) -> Callable[[str], bool]:
    """Whether any account of the sandbox owns a number."""

    def owned(number: str) -> bool:
        clause = ("json_extract(idx, '$.phone_number') = ?", (number,))
        accounts = app.store.accounts()
        return bool(app.store.page("IncomingPhoneNumber", accounts, "", [clause], limit=1))

    return owned


@behaviour("AvailablePhoneNumber")
class AvailableNumbers(Behaviour):
    def list(self, ctx: Context) -> Page:
        country = ctx.params.get("country_code", "US")
        kind = ctx.params.get("type", "Local")
        if country not in inventory.COUNTRIES:
            raise ApiError.not_found(ctx.path)  # as Twilio answers a country it has no stock of
        size, _, _ = paging(ctx)
        if ctx.query_value("Contains") and len(ctx.query_value("Contains") or "") < 2:
            raise ApiError(400, 21451, "Contains must be at least two characters")
        try:
            found = inventory.search(country, kind, ctx.query_value, _owned(self.app), size)
        except ValueError:
            raise ApiError(400, 21451, "Invalid Contains pattern") from None
        items = [_json(item) for item in found]
        query = urllib.parse.urlencode(ctx.query)
        uri = ctx.path + (f"?{query}" if query else "")
        return Page(self.meta.key, items, {"uri": uri})


@behaviour("AvailablePhoneNumberCountry")
class AvailableCountries(Behaviour):
    def payload(self, ctx: Context, code: str) -> dict[str, Any]:
        base = f"/2010-04-01/Accounts/{ctx.account}/AvailablePhoneNumbers/{code}"
        kinds = sorted({a.type for a in inventory.AREAS if a.country == code})
        return {
            "country_code": code,
            "country": inventory.COUNTRIES[code],
            "uri": f"{base}.json",
            "beta": False,
            "subresource_uris": {_TYPE_PATHS[k]: f"{base}/{k}.json" for k in kinds},
        }

    def list(self, ctx: Context) -> Page:
        items = [_json(self.payload(ctx, code)) for code in inventory.COUNTRIES]
        return Page(self.meta.key, items, {"uri": ctx.path})

    def fetch(self, ctx: Context) -> dict[str, Any]:
        code = ctx.params.get("country_code", "")
        if code not in inventory.COUNTRIES:
            raise ApiError.not_found(ctx.path)
        return self.payload(ctx, code)


class NumberFilter(ListFilter):
    """A number's type (the path's ``Local``, ``TollFree``...) and partial numbers."""

    def index(self, body: Mapping[str, Any]) -> dict[str, Any]:
        out = super().index(body)
        area = inventory.area_of(body.get("phone_number") or "")
        out["_type"] = area.type if area else "Local"
        out["phone_number"] = body.get("phone_number")
        return out

    def where(self, ctx: Context) -> Clauses:
        clauses = super().where(ctx)
        if "type" in ctx.params:
            clauses.append(("json_extract(idx, '$._type') = ?", (ctx.params["type"],)))
        return clauses

    def clause(self, spec: FieldSpec, lookup: str, param: str, value: str) -> Clause:
        if param == "PhoneNumber":
            # Twilio matches partial numbers, with * for any digit.
            pattern = "%" + re.sub(r"[^0-9*]", "", value).replace("*", "_") + "%"
            return "json_extract(idx, '$.phone_number') LIKE ?", (pattern,)
        return super().clause(spec, lookup, param, value)


@behaviour("IncomingPhoneNumber")
class IncomingNumbers(Behaviour):
    filter_class = NumberFilter

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        number, area_code = ctx.form_value("PhoneNumber"), ctx.form_value("AreaCode")
        if not number and not area_code:
            raise missing_param("PhoneNumber")
        bought = magic.check_number_purchase(number, area_code, ctx.test)
        area = None
        if bought is None:
            number, area = self._choose(ctx, number, area_code)
        else:
            number = bought
        body.update(
            phone_number=number,
            friendly_name=ctx.form_value("FriendlyName") or inventory.friendly(number),
            capabilities=dict(area.capabilities)
            if area
            else {"voice": True, "sms": True, "mms": True, "fax": False},
            status="in-use",
            origin="twilio",
            beta=False,
            address_requirements=area.address_requirements if area else "none",
            emergency_status="Inactive",
            emergency_address_status="unregistered",
            voice_receive_mode="voice",
            voice_caller_id_lookup=body.get("voice_caller_id_lookup") or False,
        )
        for key in (
            "voice_method",
            "voice_fallback_method",
            "sms_method",
            "sms_fallback_method",
            "status_callback_method",
        ):
            if key in body and body[key] is None:
                body[key] = "POST"
        if "type" in ctx.params and area is not None and area.type != ctx.params["type"]:
            raise ApiError(400, 21422, f"PhoneNumber {number} is not a {ctx.params['type']} number")

    def _choose(self, ctx: Context, number: str | None, area_code: str | None) -> tuple[str, Any]:
        owned = _owned(self.app)
        if number:
            if not re.fullmatch(r"\+\d{8,15}", number):
                raise ApiError(400, 21421, "PhoneNumber is invalid.")
            area = inventory.area_of(number)
            if area is None or owned(number):
                raise ApiError(400, 21422, f"PhoneNumber {number} is not available.")
            return number, area
        kind = ctx.params.get("type", "Local")
        found = inventory.search("US", kind, {"AreaCode": area_code}.get, owned, 1)
        if not found:
            raise ApiError(400, 21452, f"No phone numbers found in area code {area_code}.")
        number = found[0]["phone_number"]
        return number, inventory.area_of(number)

    def update(self, ctx: Context) -> dict[str, Any]:
        target = ctx.form_value("AccountSid")
        if not target or target == ctx.account:
            return super().update(ctx)
        return self._transfer(ctx, self.load(ctx), target)

    def _transfer(self, ctx: Context, record: Record, target: str) -> dict[str, Any]:
        """Move a number to another account the caller reaches (main <-> sub-accounts)."""
        if not self.store.has_account(target) or not self.app.can_reach(
            ctx.principal.account, target
        ):
            raise ApiError(
                400, 21631, f"AccountSid {target} is not an account you can move numbers to"
            )
        body = dict(record.body)
        self.form.apply(ctx, body, "update")
        body.update(account_sid=target, date_updated=self.app.now_rfc2822())
        moved = {**ctx.params, "account_sid": target}
        body["uri"] = (
            self.meta.instance_path.fill({**moved, "sid": record.pk})
            if self.meta.instance_path
            else None
        )
        body["subresource_uris"] = self.payloads.subresource_uris({**moved, "sid": record.pk}, body)
        with self.store.transaction():  # moved, never lost nor owned twice
            self.store.delete(record)
            self.store.insert(self.name, target, record.parent, record.pk, body, self.index(body))
        return body


def _json(item: dict[str, Any]) -> str:
    return json.dumps(item)


@behaviour("ValidationRequest")
class Validations(Answered):
    statuses = {"create": 200}

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        number = str(body.get("phone_number") or "")
        delay_text = ctx.form_value("CallDelay") or "0"
        if not delay_text.isdigit() or not 0 <= int(delay_text) <= 60:
            raise bad_param("CallDelay", delay_text)
        same = ("json_extract(idx, '$.phone_number') = ?", (number,))
        if self.store.children("OutgoingCallerId", ctx.account, "", [same], limit=1):
            raise ApiError(400, 21450, f"Phone number {number} is already verified")
        body.update(call_sid=new_sid("CA"), validation_code=f"{secrets.randbelow(10**6):06d}")

    def after_create(self, ctx: Context, record: Record) -> None:
        """The sandbox's validation call is answered with the right code at once."""
        number = record.body["phone_number"]
        name = record.body.get("friendly_name") or number
        self.app.behaviours.caller_ids.make(ctx.account, phone_number=number, friendly_name=name)


@behaviour("ShortCode")
class ShortCodes(Behaviour):
    def provision(self, account: str, short_code: str, **values: Any) -> dict[str, Any]:
        """Give ``account`` a short code, as Twilio does once one is approved."""
        defaults = {
            "friendly_name": short_code,
            "sms_method": "POST",
            "sms_fallback_method": "POST",
        }
        return self.make(account, short_code=short_code, **{**defaults, **values}).body

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        check_methods(ctx, body)
