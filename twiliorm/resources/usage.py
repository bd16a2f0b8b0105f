"""Usage records for every period, and usage triggers."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from .. import fields
from ..resource import Resource, resource
from .common import HttpMethod

__all__ = [
    "UsageRecord",
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


@resource(
    path=(
        "/2010-04-01/Accounts/{account_sid}/Usage/Records.json",
        "/2010-04-01/Accounts/{account_sid}/Usage/Records/{period}.json",
    ),
    operations="list",
    key="usage_records",
    choices={
        "period": (
            "Today",
            "Yesterday",
            "ThisMonth",
            "LastMonth",
            "Daily",
            "Monthly",
            "Yearly",
            "AllTime",
        )
    },
)
class UsageRecord(Resource):
    """Twilio account usage records"""

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
    """Webhooks that notify you of usage thresholds"""

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
    trigger_value: Decimal | None = fields.decimal_text(writable="create", required="create")
    uri: str | None = fields.string()
    usage_category: str | None = fields.string(filter=True, writable="create", required="create")
    usage_record_uri: str | None = fields.string()
