"""Phone numbers available to buy, by country and type."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from .. import fields
from ..resource import Resource, related, resource

if TYPE_CHECKING:
    from .phone_numbers import IncomingPhoneNumber

__all__ = [
    "AvailablePhoneNumber",
    "AvailablePhoneNumberCountry",
]


@resource(
    path="/2010-04-01/Accounts/{account_sid}/AvailablePhoneNumbers.json",
    operations="list fetch",
    key="countries",
    instance_path="/2010-04-01/Accounts/{account_sid}/AvailablePhoneNumbers/{country_code}.json",
)
class AvailablePhoneNumberCountry(Resource):
    """A country with numbers to buy; its views search them by type.

    ``AvailablePhoneNumberCountry.objects.get(country_code="GB").mobile.all()``
    searches British mobile numbers.
    """

    local: ClassVar[related[AvailablePhoneNumber]] = related("AvailablePhoneNumber", type="Local")
    toll_free: ClassVar[related[AvailablePhoneNumber]] = related(
        "AvailablePhoneNumber", type="TollFree"
    )
    mobile: ClassVar[related[AvailablePhoneNumber]] = related("AvailablePhoneNumber", type="Mobile")
    national: ClassVar[related[AvailablePhoneNumber]] = related(
        "AvailablePhoneNumber", type="National"
    )
    voip: ClassVar[related[AvailablePhoneNumber]] = related("AvailablePhoneNumber", type="Voip")
    shared_cost: ClassVar[related[AvailablePhoneNumber]] = related(
        "AvailablePhoneNumber", type="SharedCost"
    )
    machine_to_machine: ClassVar[related[AvailablePhoneNumber]] = related(
        "AvailablePhoneNumber", type="MachineToMachine"
    )

    country_code: str | None = fields.string()
    country: str | None = fields.string()
    uri: str | None = fields.uri()
    beta: bool | None = fields.boolean()
    subresource_uris: dict[str, str] | None = fields.uri_map()


@resource(
    path="/2010-04-01/Accounts/{account_sid}/AvailablePhoneNumbers/{country_code}/{type}.json",
    operations="list",
    choices={
        "type": (
            "Local",
            "TollFree",
            "Mobile",
            "National",
            "Voip",
            "SharedCost",
            "MachineToMachine",
        )
    },
    defaults={"country_code": "US", "type": "Local"},
)
class AvailablePhoneNumber(Resource):
    """A number available to buy, found with the API's search parameters.

    ``AvailablePhoneNumber.objects.filter(country="US", type=twiliorm.LOCAL,
    area_code=530, contains="WOLF")``; ``number.purchase()`` buys it.
    """

    friendly_name: str | None = fields.phone()
    phone_number: str | None = fields.phone()
    lata: str | None = fields.string()
    locality: str | None = fields.string()
    rate_center: str | None = fields.string()
    latitude: Decimal | None = fields.decimal_text()
    longitude: Decimal | None = fields.decimal_text()
    region: str | None = fields.string()
    postal_code: str | None = fields.string()
    iso_country: str | None = fields.string()
    address_requirements: str | None = fields.string()
    beta: bool | None = fields.boolean(filter=True)
    capabilities: Any = fields.json()

    # search parameters of the list
    area_code = fields.query(fields.INTEGER)
    contains = fields.query()
    sms_enabled = fields.query(fields.BOOLEAN)
    mms_enabled = fields.query(fields.BOOLEAN)
    voice_enabled = fields.query(fields.BOOLEAN)
    exclude_all_address_required = fields.query(fields.BOOLEAN)
    exclude_local_address_required = fields.query(fields.BOOLEAN)
    exclude_foreign_address_required = fields.query(fields.BOOLEAN)
    near_number = fields.query(fields.PHONE)
    near_lat_long = fields.query()
    distance = fields.query(fields.INTEGER)
    in_postal_code = fields.query()
    in_region = fields.query()
    in_rate_center = fields.query()
    in_lata = fields.query()
    in_locality = fields.query()
    fax_enabled = fields.query(fields.BOOLEAN)

    def purchase(self, **values: Any) -> IncomingPhoneNumber:
        """Buy this number; returns the new IncomingPhoneNumber (POST IncomingPhoneNumbers.json).

        ``values`` configure it at once (``voice_url=...``, ``friendly_name=...``).
        """
        from .phone_numbers import IncomingPhoneNumber

        ctx = self._ctx
        account = ctx.path.get("account_sid") if ctx else None
        numbers = IncomingPhoneNumber.objects.using(ctx.client if ctx else None, account=account)
        return numbers.create(phone_number=self.phone_number, **values)
