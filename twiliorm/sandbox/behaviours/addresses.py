"""Addresses, and the phone numbers that depend on them.

An address names its country by ISO 3166 code (two letters) and is
validated when it is created (``AutoCorrectAddress`` defaults to true, as
Twilio's); it is never ``verified`` in the sandbox. The numbers depending on
an address are the account's incoming numbers whose ``address_sid`` or
``emergency_address_sid`` is that address: ``DependentPhoneNumbers`` lists
them in their own, shorter shape, and an address with dependents cannot be
deleted.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..generic import Behaviour, behaviour
from ..pages import Page, Rows
from ..store import Record

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["Addresses", "DependentNumbers"]

_COUNTRY = re.compile(r"[A-Z]{2}")


def dependents(behaviour: Behaviour, account: str, address_sid: str) -> Rows:
    """(seq, payload text) of the account's numbers that depend on an address, newest first."""
    clause = (
        "(json_extract(body, '$.address_sid') = ? OR "
        "json_extract(body, '$.emergency_address_sid') = ?)"
    )
    rows: Rows = behaviour.store.select(
        "SELECT seq, body FROM records WHERE resource = 'IncomingPhoneNumber' "
        f"AND account = ? AND {clause} ORDER BY seq DESC",
        (account, address_sid, address_sid),
    )
    return rows


@behaviour("Address")
class Addresses(Behaviour):
    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        country = str(body.get("iso_country") or "")
        if not _COUNTRY.fullmatch(country):
            raise ApiError(400, 20001, f"IsoCountry {country!r} is not an ISO 3166 country code")
        correct = (ctx.form_value("AutoCorrectAddress") or "true").lower() != "false"
        body.update(
            validated=correct,
            verified=False,
            emergency_enabled=bool(body.get("emergency_enabled")),
        )

    def before_delete(self, ctx: Context, record: Record) -> None:
        if dependents(self, record.account, record.pk):
            raise ApiError(
                400,
                20001,
                f"Address {record.pk} has phone numbers depending on it "
                "(DependentPhoneNumbers): move them to another address first",
            )


@behaviour("DependentPhoneNumber")
class DependentNumbers(Behaviour):
    def list(self, ctx: Context) -> Page:
        self.parent_record(ctx, "Address", "address_sid")
        keys = [spec.key for spec in self.meta.payload_fields if spec.key]
        rows = dependents(self, ctx.account, ctx.params["address_sid"])

        def fetch(before: int | None, after: int | None, limit: int) -> Rows:
            chosen = [r for r in rows if (before is None or r[0] < before)]
            if after is not None:
                chosen = [r for r in rows if r[0] > after][-limit:]
            return [(seq, _shape(text, keys)) for seq, text in chosen[:limit]]

        return self.page(ctx, fetch)


def _shape(text: str, keys: list[str]) -> str:
    number = json.loads(text)
    return json.dumps({key: number.get(key) for key in keys})
