"""Usage triggers: a callback when the account's usage of a category reaches a value.

A trigger's ``current_value`` is the account's usage of its category (by
``count``, ``usage`` or ``price``, over its ``recurring`` period: ``daily``,
``monthly``, ``yearly`` or ``alltime``); it fires (``date_fired``) once the
value reaches ``trigger_value``. A trigger value of ``+30`` means 30 more
than the current value. Reading triggers brings them up to date: the usage
is aggregated once per request and per (category, period), not per trigger,
and the update takes the write lock and starts from the stored trigger, so
it never undoes a change that a concurrent POST made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ..errors import bad_param
from ..generic import Behaviour, behaviour
from ..pages import Page
from ..store import Record
from .applications import check_methods
from .usage import CATEGORIES, amount

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["UsageTriggers"]

_RECURRING = ("daily", "monthly", "yearly", "alltime")
#: (account, category, first day counted or None for all time) -> (count, usage, price)
Readings = dict[tuple[str, str, dt.date | None], tuple[float, float, float]]


@behaviour("UsageTrigger")
class UsageTriggers(Behaviour):
    measures: ClassVar[dict[str, int]] = {"count": 0, "usage": 1, "price": 2}

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        category = body.get("usage_category")
        if category not in {c.name for c in CATEGORIES}:
            raise bad_param("UsageCategory", str(category))
        body["trigger_by"] = body.get("trigger_by") or "usage"
        if body["trigger_by"] not in self.measures:
            raise bad_param("TriggerBy", str(body["trigger_by"]))
        body["recurring"] = body.get("recurring") or "alltime"
        if body["recurring"] not in _RECURRING:
            raise bad_param("Recurring", str(body["recurring"]))
        check_methods(ctx, body)
        text = ctx.form_value("TriggerValue") or ""
        try:
            wanted = float(text)
        except ValueError:
            raise bad_param("TriggerValue", text) from None
        if wanted != wanted or wanted in (float("inf"), float("-inf")):
            raise bad_param("TriggerValue", text)
        current = self.current(ctx.account, body, {})
        body["current_value"] = current
        body["trigger_value"] = amount(wanted + (float(current) if text.startswith("+") else 0))
        base_uri = f"/2010-04-01/Accounts/{ctx.account}/Usage/Records"
        body["usage_record_uri"] = f"{base_uri}.json?Category={category}"

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        check_methods(ctx, body)

    def current(self, account: str, body: dict[str, Any], readings: Readings) -> str:
        """The usage the trigger watches, now, as Twilio writes numbers (text); ``readings``
        keeps the aggregates this request made already."""
        category = str(body.get("usage_category"))
        key = (account, category, self.since(str(body.get("recurring") or "alltime")))
        if key not in readings:
            usage = self.app.behaviours.usage_records
            readings[key] = usage.total([account], category, key[2])
        return amount(readings[key][self.measures[str(body.get("trigger_by") or "usage")]])

    def since(self, recurring: str) -> dt.date | None:
        today = self.app.now().date()
        return {
            "daily": today,
            "monthly": today.replace(day=1),
            "yearly": today.replace(month=1, day=1),
        }.get(recurring)

    def refresh(self, records: Sequence[Record]) -> Sequence[Record]:
        """Bring ``current_value`` up to date; fire each trigger once it is reached."""
        readings: Readings = {}
        for record in records:  # aggregate outside the lock: writes need not wait
            self.current(record.account, record.body, readings)
        with self.app.lock, self.store.transaction():
            stored = [self.store.get(self.name, r.account, r.parent, r.pk) for r in records]
            return [self._refreshed(r, readings) for r in stored if r is not None]

    def _refreshed(self, record: Record, readings: Readings) -> Record:
        body = dict(record.body, current_value=self.current(record.account, record.body, readings))
        reached = float(body["current_value"]) >= float(body.get("trigger_value") or 0)
        if reached and not body.get("date_fired"):
            body["date_fired"] = self.app.now_rfc2822()
        return self.save(record, body) if body != record.body else record

    def load(self, ctx: Context) -> Record:
        found = self.refresh([super().load(ctx)])
        if not found:  # deleted while it was being read
            return super().load(ctx)
        return found[0]

    def list(self, ctx: Context) -> Page:
        self.refresh(self.store.children(self.name, ctx.account, ""))
        return super().list(ctx)
