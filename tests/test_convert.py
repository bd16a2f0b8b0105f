"""The converter: payload -> instance -> payload, forward compatible and strict about shape."""

from __future__ import annotations

import datetime as dt
import decimal
import linecache
import re
import traceback

import pytest

from twiliorm import Call, DecodeError, IncomingPhoneNumber, Message
from twiliorm.convert import build_structure, converter
from twiliorm.models.messages import MessageStatus

PAYLOAD = {
    "account_sid": "AC" + "a" * 32,
    "api_version": "2010-04-01",
    "body": "Hello! \U0001f44d",
    "date_created": "Thu, 24 Aug 2023 05:01:45 +0000",
    "date_sent": "Thu, 24 Aug 2023 05:01:46 +0000",
    "date_updated": None,
    "direction": "outbound-api",
    "error_code": None,
    "error_message": None,
    "from": "+14155552345",
    "messaging_service_sid": None,
    "num_media": "0",
    "num_segments": "2",
    "price": "-0.00750",
    "price_unit": "USD",
    "sid": "SM" + "b" * 32,
    "status": "queued",
    "subresource_uris": {"media": "/2010-04-01/Accounts/AC/Messages/SM/Media.json"},
    "to": "+14155552346",
    "uri": "/2010-04-01/Accounts/AC/Messages/SM.json",
}


def test_values_are_typed() -> None:
    msg = Message.from_api(PAYLOAD)
    assert msg.date_sent == dt.datetime(2023, 8, 24, 5, 1, 46, tzinfo=dt.timezone.utc)
    assert msg.price == decimal.Decimal("-0.00750")
    assert msg.num_segments == 2
    assert (
        msg.status is MessageStatus.QUEUED
        and msg.status == "queued"
        and str(msg.status) == "queued"
    )
    assert msg.from_ == "+14155552345"


def test_round_trip_is_exact() -> None:
    assert Message.from_api(PAYLOAD).to_api() == PAYLOAD


def test_unknown_keys_are_kept_and_absent_keys_stay_absent() -> None:
    grown = {**PAYLOAD, "tags": {"campaign": "x"}, "risk": "low"}
    del grown["price_unit"]
    msg = Message.from_api(grown)
    assert msg.price_unit is None
    assert msg.to_api() == grown
    assert "price_unit" not in msg.to_api()


def test_unknown_enum_values_are_kept_as_text() -> None:
    msg = Message.from_api({**PAYLOAD, "status": "teleported"})
    assert msg.status == "teleported"
    assert msg.to_api()["status"] == "teleported"


@pytest.mark.parametrize(
    ("key", "value"),
    [("date_sent", "yesterday"), ("price", "cheap"), ("num_segments", "two"), ("date_created", 12)],
)
def test_malformed_values_raise_decode_error_naming_the_field(key: str, value: object) -> None:
    with pytest.raises(DecodeError) as info:
        Message.from_api({**PAYLOAD, key: value})
    assert key in str(info.value) or key.replace("_", "") in str(info.value)


def test_a_payload_that_is_not_an_object_is_a_decode_error() -> None:
    with pytest.raises(DecodeError):
        Message.from_api(["not", "an", "object"])  # type: ignore[arg-type]


def test_other_rfc2822_forms_still_read_correctly() -> None:
    msg = Message.from_api({**PAYLOAD, "date_sent": "Thu, 24 Aug 2023 07:01:46 +0200"})
    assert msg.date_sent == dt.datetime(2023, 8, 24, 5, 1, 46, tzinfo=dt.timezone.utc)
    assert msg.to_api()["date_sent"] == "Thu, 24 Aug 2023 07:01:46 +0200"


def test_cattrs_converter_structures_and_unstructures_resources() -> None:
    msg = converter.structure(PAYLOAD, Message)
    assert isinstance(msg, Message)
    assert converter.unstructure(msg) == PAYLOAD
    many = converter.structure([PAYLOAD, PAYLOAD], list[Message])
    assert [m.sid for m in many] == [PAYLOAD["sid"]] * 2


def test_instances_are_slotted_and_compare_by_identity_field() -> None:
    a, b = Message.from_api(PAYLOAD), Message.from_api({**PAYLOAD, "body": "changed"})
    assert not hasattr(a, "__dict__")
    assert a == b and hash(a) == hash(b)
    assert a != Call.from_api({"sid": PAYLOAD["sid"]})


def test_new_instances_take_keyword_values() -> None:
    number = IncomingPhoneNumber(phone_number="+15005550006", voice_url="http://example.com")
    assert number.phone_number == "+15005550006"
    assert number.changed_fields() == ["phone_number", "voice_url"]
    with pytest.raises(TypeError):
        IncomingPhoneNumber(colour="blue")


# --- generated code shows its source in tracebacks -------------------------------------------


def _formatted(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc))


def test_a_traceback_through_generated_attribute_code_shows_its_lines() -> None:
    # A value is parsed where it is first read: in the generated getter of its attribute.
    with pytest.raises(DecodeError) as info:
        Message.from_api({**PAYLOAD, "date_sent": "not a date"})
    text = _formatted(info.value)
    assert 'File "<twiliorm generated attributes twiliorm.models.messages.Message>"' in text
    assert "in get_date_sent" in text
    # The generated line itself, not just its filename: linecache gives the source.
    assert re.search(r"\n +v = _p(\d+)\(v\)\n", text), text


def test_a_traceback_through_generated_copy_code_shows_its_lines() -> None:
    with pytest.raises(AttributeError) as info:
        Message._meta.copy()(object(), Message())
    text = _formatted(info.value)
    assert '"<twiliorm generated copy twiliorm.models.messages.Message>", line 2' in text
    assert "\n    t._ctx = s._ctx\n" in text


def test_generated_source_survives_checkcache_and_a_second_build_gets_its_own_name() -> None:
    linecache.checkcache()  # drops entries of files that changed on disk; not these
    meta = Message._meta
    name = "<twiliorm generated copy twiliorm.models.messages.Message>"
    assert linecache.getline(name, 1) == "def copy(s, t):\n"
    again = build_structure(meta)
    filename = again.__code__.co_filename
    assert filename.startswith("<twiliorm generated structure twiliorm.models.messages.Message")
    assert linecache.getline(filename, 1) == "def structure(d, ctx=None):\n"
