"""Usage records, computed from what happened in the sandbox.

Messages, calls, phone numbers, recordings and transcriptions are counted by
the day they were created, per category (``sms``, ``calls``,
``phonenumbers``, ``recordings``, ``transcriptions``, their ``-outbound``
shares, and ``totalprice``), then summed over the period the path asks for:
``Records.json`` and ``AllTime`` (one record per category since the first
activity), ``Today``, ``Yesterday``, ``ThisMonth``, ``LastMonth``, or one
record per category and ``Daily`` / ``Monthly`` / ``Yearly`` interval.
``Category``, ``StartDate``, ``EndDate`` (``YYYY-MM-DD``, or relative as
``-30days``) and ``IncludeSubaccounts`` (default true) narrow it, as on
Twilio. Counts, usage and prices are strings, dates ISO, as Twilio sends them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import attrs

from ..errors import bad_param
from ..generic import Behaviour, Page, behaviour, page_of

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["CATEGORIES", "UsageRecords"]


@attrs.frozen
class Category:
    name: str
    description: str
    count_unit: str
    usage_unit: str
    resource: str


CATEGORIES = (
    Category("sms", "SMS", "messages", "messages", "Message"),
    Category("sms-outbound", "Outbound SMS", "messages", "messages", "Message"),
    Category("calls", "Voice Minutes", "calls", "minutes", "Call"),
    Category("calls-outbound", "Outbound Voice Minutes", "calls", "minutes", "Call"),
    Category(
        "phonenumbers", "Phone Numbers", "phonenumbers", "phonenumbers", "IncomingPhoneNumber"
    ),
    Category("recordings", "Voice Recordings", "recordings", "minutes", "Recording"),
    Category(
        "transcriptions", "Voice Transcriptions", "transcriptions", "minutes", "Transcription"
    ),
    Category("totalprice", "Total Price", "", "usd", ""),
)
_NUMBER_PRICE = 1.15
_DAY = "substr(json_extract(idx, '$._created'), 1, 10)"
_MINUTES = "(CAST(json_extract(body, '$.duration') AS INTEGER) + 59) / 60"
_PRICE = "abs(CAST(json_extract(body, '$.price') AS REAL))"
#: per resource: (usage expression, price expression, extra condition)
_MEASURES = {
    "Message": (
        "CAST(json_extract(body, '$.num_segments') AS INTEGER)",
        _PRICE,
        "json_extract(body, '$.status') NOT IN ('failed', 'canceled', 'scheduled')",
    ),
    "Call": (_MINUTES, _PRICE, "1"),
    "IncomingPhoneNumber": ("1", str(_NUMBER_PRICE), "1"),
    "Recording": (_MINUTES, _PRICE, "1"),
    "Transcription": (_MINUTES, _PRICE, "1"),
}
_RELATIVE = re.compile(r"([+-]\d+)days\Z")

Accounts = list[str]  # named here: ``list`` is an operation inside the Behaviour class
Totals = dict[str, dict[dt.date, list[float]]]  # category -> day -> [count, usage, price]


@behaviour("UsageRecord")
class UsageRecords(Behaviour):
    def list(self, ctx: Context) -> Page:
        totals = self.totals(self.accounts(ctx))
        today = self.app.now().date()
        period = ctx.params.get("period", "AllTime")
        first = min((day for days in totals.values() for day in days), default=today)
        start = self.date_param(ctx, "StartDate", today) or self.default_start(period, today, first)
        end = self.date_param(ctx, "EndDate", today) or self.default_end(period, today)
        wanted = ctx.query_value("Category")
        items = [
            json.dumps(self.record(ctx, period, category, lo, hi, totals))
            for lo, hi in _intervals(period, start, end)
            for category in CATEGORIES
            if wanted in (None, category.name)
        ]
        return page_of(ctx, self.meta.key, items)

    def accounts(self, ctx: Context) -> Accounts:
        include = (ctx.query_value("IncludeSubaccounts") or "true").lower()
        if include not in ("true", "false"):
            raise bad_param("IncludeSubaccounts", include)
        subs = self.store.subaccounts(ctx.account) if include == "true" else []
        return [ctx.account, *subs]

    def totals(self, accounts: Accounts) -> Totals:
        """Count, usage and price per (category, day), from the stored records."""
        out: Totals = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0, 0.0]))
        marks = ", ".join("?" for _ in accounts)
        for resource, (usage, price, condition) in _MEASURES.items():
            rows = self.store.select(
                f"SELECT {_DAY}, count(*), total({usage}), total({price}) FROM records "
                f"WHERE resource=? AND account IN ({marks}) AND {condition} GROUP BY 1",
                (resource, *accounts),
            )
            for day_text, count, used, cost in rows:
                if not day_text:
                    continue
                day = dt.date.fromisoformat(day_text)
                for category in CATEGORIES:
                    if category.resource == resource:
                        _add(out[category.name][day], count, used, cost)
                _add(out["totalprice"][day], 0, cost, cost)
        return out

    def date_param(self, ctx: Context, name: str, today: dt.date) -> dt.date | None:
        value = ctx.query_value(name)
        if not value:
            return None
        relative = _RELATIVE.match(value.strip())
        if relative:
            return today + dt.timedelta(days=int(relative.group(1)))
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            raise bad_param(name, value) from None

    def default_start(self, period: str, today: dt.date, first: dt.date) -> dt.date:
        if period == "Today":
            return today
        if period == "Yesterday":
            return today - dt.timedelta(days=1)
        if period == "ThisMonth":
            return today.replace(day=1)
        if period == "LastMonth":
            return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        return first

    def default_end(self, period: str, today: dt.date) -> dt.date:
        if period == "Yesterday":
            return today - dt.timedelta(days=1)
        if period == "LastMonth":
            return today.replace(day=1) - dt.timedelta(days=1)
        return today

    def record(
        self,
        ctx: Context,
        period: str,
        category: Category,
        start: dt.date,
        end: dt.date,
        totals: Totals,
    ) -> dict[str, Any]:
        count, used, cost = _sum(totals.get(category.name, {}), start, end)
        base = f"/2010-04-01/Accounts/{ctx.account}/Usage/Records"
        path = "" if "period" not in ctx.params else f"/{period}"
        query = f"Category={category.name}&StartDate={start}&EndDate={end}"
        return {
            "account_sid": ctx.account,
            "api_version": "2010-04-01",
            "as_of": self.app.now().isoformat(),
            "category": category.name,
            "count": str(int(count)) if category.count_unit else "",
            "count_unit": category.count_unit,
            "description": category.description,
            "end_date": end.isoformat(),
            "price": _amount(cost),
            "price_unit": "usd",
            "start_date": start.isoformat(),
            "subresource_uris": _subresources(base, category.name),
            "uri": f"{base}{path}.json?{query}",
            "usage": _amount(used),
            "usage_unit": category.usage_unit,
        }


def _sum(days: dict[dt.date, list[float]], start: dt.date, end: dt.date) -> tuple[float, ...]:
    """Totals of the days in [start, end], visiting whichever is fewer: the range or the days."""
    span = (end - start).days + 1
    if span <= len(days):
        picked = [days[d] for d in map(start.__add__, map(_one_day, range(span))) if d in days]
    else:
        picked = [v for d, v in days.items() if start <= d <= end]
    return tuple(sum(v[i] for v in picked) for i in range(3))


def _one_day(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def _add(total: list[float], count: float, used: float, cost: float) -> None:
    total[0] += count
    total[1] += used
    total[2] += cost


def _amount(value: float) -> str:
    text = f"{value:.5f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def _subresources(base: str, category: str) -> dict[str, str]:
    names = (
        "AllTime",
        "Daily",
        "LastMonth",
        "Monthly",
        "ThisMonth",
        "Today",
        "Yearly",
        "Yesterday",
    )
    keys = (
        "all_time",
        "daily",
        "last_month",
        "monthly",
        "this_month",
        "today",
        "yearly",
        "yesterday",
    )
    return {
        key: f"{base}/{name}.json?Category={category}"
        for key, name in zip(keys, names, strict=True)
    }


def _intervals(period: str, start: dt.date, end: dt.date) -> Iterator[tuple[dt.date, dt.date]]:
    """The date ranges of a period: one for the named ones, one per day/month/year otherwise."""
    if period not in ("Daily", "Monthly", "Yearly"):
        if start <= end:
            yield start, end
        return
    cursor = start
    while cursor <= end:
        if period == "Daily":
            last = cursor
        elif period == "Monthly":
            last = cursor.replace(day=calendar.monthrange(cursor.year, cursor.month)[1])
        else:
            last = cursor.replace(month=12, day=31)
        yield cursor, min(last, end)
        cursor = last + dt.timedelta(days=1)
