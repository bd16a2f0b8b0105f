"""Usage records for every period, and usage triggers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, ClassVar

from .. import fields
from ..manager import Manager
from ..queryset import QuerySet
from ..resource import Resource, resource
from .common import HttpMethod

__all__ = [
    "UsageRecord",
    "UsageRecordManager",
    "UsageRecordQuerySet",
    "UsageTrigger",
    "UsageTriggerRecurring",
    "UsageTriggerTriggerField",
]


class UsageTriggerRecurring(fields.ApiEnum):
    DAILY = "daily"
    MONTHLY = "monthly"
    YEARLY = "yearly"
    ALLTIME = "alltime"


class UsageTriggerTriggerField(fields.ApiEnum):
    COUNT = "count"
    USAGE = "usage"
    PRICE = "price"


PERIODS = ("Today", "Yesterday", "ThisMonth", "LastMonth", "Daily", "Monthly", "Yearly", "AllTime")


class UsageRecordQuerySet(QuerySet["UsageRecord"]):
    """Usage records, with the API's periods as methods: ``UsageRecord.objects.daily()``."""

    def period(self, name: str) -> UsageRecordQuerySet:
        """Records over one of the API's periods (``"Daily"``, ``"ThisMonth"``...)."""
        chosen: UsageRecordQuerySet = self.filter(period=name)  # type: ignore[assignment]
        return chosen

    def daily(self) -> UsageRecordQuerySet:
        """One record per category and day."""
        return self.period("Daily")

    def monthly(self) -> UsageRecordQuerySet:
        """One record per category and month."""
        return self.period("Monthly")

    def yearly(self) -> UsageRecordQuerySet:
        """One record per category and year."""
        return self.period("Yearly")

    def today(self) -> UsageRecordQuerySet:
        return self.period("Today")

    def yesterday(self) -> UsageRecordQuerySet:
        return self.period("Yesterday")

    def this_month(self) -> UsageRecordQuerySet:
        return self.period("ThisMonth")

    def last_month(self) -> UsageRecordQuerySet:
        return self.period("LastMonth")

    def all_time(self) -> UsageRecordQuerySet:
        """One record per category, over the account's whole life."""
        return self.period("AllTime")


if TYPE_CHECKING:  # the methods from_queryset() adds, as a type checker should see them

    class UsageRecordManager(Manager["UsageRecord"]):
        def period(self, name: str) -> UsageRecordQuerySet: ...
        def daily(self) -> UsageRecordQuerySet: ...
        def monthly(self) -> UsageRecordQuerySet: ...
        def yearly(self) -> UsageRecordQuerySet: ...
        def today(self) -> UsageRecordQuerySet: ...
        def yesterday(self) -> UsageRecordQuerySet: ...
        def this_month(self) -> UsageRecordQuerySet: ...
        def last_month(self) -> UsageRecordQuerySet: ...
        def all_time(self) -> UsageRecordQuerySet: ...

else:
    UsageRecordManager = Manager.from_queryset(UsageRecordQuerySet)


@resource(
    path=(
        "/2010-04-01/Accounts/{account_sid}/Usage/Records.json",
        "/2010-04-01/Accounts/{account_sid}/Usage/Records/{period}.json",
    ),
    operations="list",
    key="usage_records",
    choices={"period": PERIODS},
    manager=UsageRecordManager,
)
class UsageRecord(Resource):
    """The account's usage of one category over a period.

    ``UsageRecord.objects.filter(category="sms").this_month()``; the periods are
    ``daily()``, ``monthly()``, ``yearly()``, ``today()``, ``yesterday()``,
    ``this_month()``, ``last_month()`` and ``all_time()``.
    """

    objects: ClassVar[UsageRecordManager]

    account_sid: str | None = fields.sid("AC")
    api_version: str | None = fields.string()
    as_of: str | None = fields.string()
    category: str | None = fields.string(filter=True)
    count: int | None = fields.integer_text()
    count_unit: str | None = fields.string()
    description: str | None = fields.string()
    end_date: date | None = fields.date(filter={"lte": "EndDate"})
    price: Decimal | None = fields.decimal_text()
    price_unit: str | None = fields.string()
    start_date: date | None = fields.date(filter={"gte": "StartDate"})
    subresource_uris: dict[str, str] | None = fields.uri_map()
    uri: str | None = fields.string()
    usage: Decimal | None = fields.decimal_text()
    usage_unit: str | None = fields.string()

    # search parameters of the list
    include_subaccounts = fields.query(fields.BOOLEAN)


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Usage/Triggers.json",
    operations="list fetch create update delete",
    key="usage_triggers",
)
class UsageTrigger(Resource):
    """A webhook Twilio calls once usage of a category reaches ``trigger_value``."""

    account_sid: str | None = fields.sid("AC")
    api_version: str | None = fields.string()
    callback_method: HttpMethod | str | None = fields.enum_field(HttpMethod, writable=True)
    callback_url: str | None = fields.uri(writable=True, required="create")
    current_value: Decimal | None = fields.decimal_text()
    date_created: datetime | None = fields.rfc2822()
    date_fired: datetime | None = fields.rfc2822()
    date_updated: datetime | None = fields.rfc2822()
    friendly_name: str | None = fields.string(writable=True)
    recurring: UsageTriggerRecurring | str | None = fields.enum_field(
        UsageTriggerRecurring, filter=True, writable="create"
    )
    sid: str | None = fields.sid("UT")
    trigger_by: UsageTriggerTriggerField | str | None = fields.enum_field(
        UsageTriggerTriggerField, filter=True, writable="create"
    )
    # "+30" fires 30 above the usage at creation: an offset keeps its sign.
    trigger_value: Decimal | str | None = fields.field(
        fields.DECIMAL_OFFSET, writable="create", required="create"
    )
    uri: str | None = fields.string()
    usage_category: str | None = fields.string(filter=True, writable="create", required="create")
    usage_record_uri: str | None = fields.string()
