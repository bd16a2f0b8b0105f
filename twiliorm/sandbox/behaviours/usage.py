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
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, overload

import attrs

from ..errors import ApiError, bad_param
from ..generic import Behaviour, behaviour
from ..pages import Page, page_of

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["CATEGORIES", "Intervals", "UsageRecords", "amount"]


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
_EARLIEST = dt.date(1970, 1, 1)

Accounts = list[str]  # named here: ``list`` is an operation inside the Behaviour class
Totals = dict[str, dict[dt.date, list[float]]]  # category -> day -> [count, usage, price]


@behaviour("UsageRecord")
class UsageRecords(Behaviour):
    def list(self, ctx: Context) -> Page:
        today = self.app.now().date()
        period = ctx.params.get("period", "AllTime")
        wanted = ctx.query_value("Category")
        categories = [c for c in CATEGORIES if wanted in (None, c.name)]
        start = self.date_param(ctx, "StartDate", today) or self.default_start(period, today)
        end = self.date_param(ctx, "EndDate", today) or self.default_end(period, today)
        totals = self.totals(self.accounts(ctx), categories, start, end)
        if start is None:  # all time: from the first day anything happened
            start = min((day for days in totals.values() for day in days), default=today)
        spans = Intervals(period, start, end)
        width = len(categories)

        def render(first: int, stop: int) -> list[str]:
            return [
                json.dumps(
                    self.record(ctx, period, categories[i % width], spans[i // width], totals)
                )
                for i in range(first, stop)
            ]

        return page_of(ctx, self.meta.key, len(spans) * width, render)

    def accounts(self, ctx: Context) -> Accounts:
        include = (ctx.query_value("IncludeSubaccounts") or "true").lower()
        if include not in ("true", "false"):
            raise bad_param("IncludeSubaccounts", include)
        subs = self.store.subaccounts(ctx.account) if include == "true" else []
        return [ctx.account, *subs]

    def totals(
        self,
        accounts: Accounts,
        categories: Sequence[Category] = CATEGORIES,
        since: dt.date | None = None,
        until: dt.date | None = None,
    ) -> Totals:
        """Count, usage and price per (category, day) of ``categories``, from the stored
        records created from ``since`` to ``until`` (each end open when None)."""
        out: Totals = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0, 0.0]))
        names = {c.name for c in categories}
        for resource in _resources(categories):
            for day, count, used, cost in self._aggregate(resource, accounts, since, until):
                for category in CATEGORIES:
                    if category.resource == resource and category.name in names:
                        _add(out[category.name][day], count, used, cost)
                if "totalprice" in names:
                    _add(out["totalprice"][day], 0, cost, cost)
        return out

    def total(
        self, accounts: Accounts, category: str, since: dt.date | None
    ) -> tuple[float, float, float]:
        """(count, usage, price) of one category from ``since`` (or all time) to now."""
        chosen = [c for c in CATEGORIES if c.name == category]
        days = self.totals(accounts, chosen, since).get(category, {})
        count, used, cost = (sum(v[i] for v in days.values()) for i in range(3))
        return count, used, cost

    def _aggregate(
        self, resource: str, accounts: Accounts, since: dt.date | None, until: dt.date | None
    ) -> Iterator[tuple[dt.date, float, float, float]]:
        """(day, count, usage, price) of ``resource``'s records, summed per day here rather
        than by a GROUP BY: the scan goes in batches, so it never holds up other requests
        for long (a GROUP BY would compute everything in its first step)."""
        usage, price, condition = _MEASURES[resource]
        marks = ", ".join("?" for _ in accounts)
        sql = (
            f"SELECT {_DAY}, {usage}, {price} FROM records "
            f"WHERE resource=? AND account IN ({marks}) AND {condition}"
        )
        args: list[Any] = [resource, *accounts]
        if since is not None:
            sql += f" AND {_DAY} >= ?"
            args.append(since.isoformat())
        if until is not None:
            sql += f" AND {_DAY} <= ?"
            args.append(until.isoformat())
        days: dict[str, list[float]] = {}
        for day_text, used, cost in self.store.scan(sql, args):
            total = days.get(day_text)
            if total is None:
                total = days[day_text] = [0, 0.0, 0.0]
            total[0] += 1
            total[1] += used or 0
            total[2] += cost or 0
        for day_text, (count, used, cost) in days.items():
            if day_text:
                yield dt.date.fromisoformat(day_text), count, used, cost

    def date_param(self, ctx: Context, name: str, today: dt.date) -> dt.date | None:
        """``StartDate``/``EndDate``: a day (``YYYY-MM-DD``) or days from today (``-30days``),
        from 1970-01-01 (no usage is older) to 9999-12-31."""
        value = ctx.query_value(name)
        if not value:
            return None
        relative = _RELATIVE.match(value.strip())
        try:
            if relative:
                day = today + dt.timedelta(days=int(relative.group(1)))
            else:
                day = dt.date.fromisoformat(value.strip()[:10])
        except (ValueError, OverflowError):
            raise bad_param(name, value) from None
        if day < _EARLIEST:
            raise ApiError(
                400,
                20001,
                f"Invalid value {value!r} for parameter {name}: give a day from "
                f"{_EARLIEST.isoformat()} on (no usage is older)",
            )
        return day

    def default_start(self, period: str, today: dt.date) -> dt.date | None:
        """The first day of a named period (None: from the first day anything happened)."""
        if period == "Today":
            return today
        if period == "Yesterday":
            return today - dt.timedelta(days=1)
        if period == "ThisMonth":
            return today.replace(day=1)
        if period == "LastMonth":
            return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        return None

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
        span: tuple[dt.date, dt.date],
        totals: Totals,
    ) -> dict[str, Any]:
        start, end = span
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
            "price": amount(cost),
            "price_unit": "usd",
            "start_date": start.isoformat(),
            "subresource_uris": _subresources(base, category.name),
            "uri": f"{base}{path}.json?{query}",
            "usage": amount(used),
            "usage_unit": category.usage_unit,
        }


def _resources(categories: Sequence[Category]) -> list[str]:
    """The resources counted for ``categories`` (every one for the total price)."""
    if any(c.name == "totalprice" for c in categories):
        return list(_MEASURES)
    return list(dict.fromkeys(c.resource for c in categories))


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


def amount(value: float) -> str:
    """A count, usage or price as Twilio writes it: text, at most five decimals, no
    trailing zeros (``0.015``, ``3``, ``0``)."""
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


class Intervals(Sequence[tuple[dt.date, dt.date]]):
    """The date ranges of a period, computed on demand (a page renders only its own): one
    for the named periods, one per day, month or year of ``[start, end]`` otherwise."""

    def __init__(self, period: str, start: dt.date, end: dt.date) -> None:
        self.period, self.start, self.end = period, start, end
        if start > end:
            self.size = 0
        elif period == "Daily":
            self.size = (end - start).days + 1
        elif period == "Monthly":
            self.size = _month(end) - _month(start) + 1
        elif period == "Yearly":
            self.size = end.year - start.year + 1
        else:
            self.size = 1

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, index: int) -> tuple[dt.date, dt.date]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[tuple[dt.date, dt.date]]: ...

    def __getitem__(
        self, index: int | slice
    ) -> tuple[dt.date, dt.date] | Sequence[tuple[dt.date, dt.date]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self.size))]
        if not 0 <= index < self.size:
            raise IndexError(index)
        if self.period == "Daily":
            day = self.start + dt.timedelta(days=index)
            return day, day
        if self.period == "Monthly":
            year, month = divmod(_month(self.start) + index, 12)
            first = dt.date(year, month + 1, 1)
            last = first.replace(day=calendar.monthrange(year, month + 1)[1])
        elif self.period == "Yearly":
            first = dt.date(self.start.year + index, 1, 1)
            last = first.replace(month=12, day=31)
        else:
            return self.start, self.end
        return max(first, self.start), min(last, self.end)


def _month(day: dt.date) -> int:
    """Months since year 0: consecutive months are consecutive numbers."""
    return day.year * 12 + day.month - 1
