"""Instances read from a payload convert each value on its first read, and only then.

What stays as it was with values converted up front: ``from_api(p).to_api() == p`` on
every example of the spec, typed values on access, setting a value (before or after
reading it) counts as a change, pickling, copies, equality, repr and full_clean.
A value that cannot be read is a DecodeError naming the field, where it is read
(``from_api()`` reads them all at once).
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import gc
import importlib
import json
import pickle
from collections.abc import Iterator
from typing import Any

import pytest

from twiliorm import ConnectApp, DecodeError, Message, ValidationError, convert, dates, fields
from twiliorm.models.messages import MessageStatus
from twiliorm.resource import Resource, resource

from .test_conformance import Example, canonical
from .test_convert import PAYLOAD
from .test_payloads import EXAMPLES, _model, _wrong_type

registry = importlib.import_module("twiliorm.resource")  # the package exports resource()
UTC = dt.timezone.utc
SENT = dt.datetime(2023, 8, 24, 5, 1, 46, tzinfo=UTC)


def lazy(model: type[Resource], payload: dict[str, Any]) -> Any:
    """What reading a page does: the generated function, no value read."""
    return model._meta.structure()(payload, None)


class CountingDates(type(fields.RFC2822)):  # type: ignore[misc]
    """RFC 2822 dates that remember every value they were asked to parse."""

    def __init__(self) -> None:
        self.parsed: list[Any] = []

    def parse(self, value: Any) -> Any:
        self.parsed.append(value)
        return dates.parse_rfc2822(value)


@pytest.fixture
def toy(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, CountingDates]]:
    """A resource whose date kind counts its parses (declared for this test only)."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    kind = CountingDates()

    @resource(path="/2010-04-01/Accounts/{account_sid}/Toys.json", operations="list fetch update")
    class Toy(Resource):
        sid: str | None = fields.sid("TY")
        when: dt.datetime | None = fields.field(kind, writable="update")
        note: str | None = fields.string(writable="update")

    yield Toy, kind


TOY = {"sid": "TY" + "0" * 32, "when": "Thu, 24 Aug 2023 05:01:46 +0000", "note": "hi"}


# --- when conversion happens -------------------------------------------------------------


def test_a_value_is_converted_on_its_first_read_only(toy: tuple[Any, CountingDates]) -> None:
    Toy, kind = toy
    obj = lazy(Toy, dict(TOY))
    assert kind.parsed == []
    assert repr(obj) == f"<Toy: {TOY['sid']}>" and obj.to_api() == TOY and obj.note == "hi"
    assert obj.changed_fields() == [] and kind.parsed == []  # none of these converts
    assert obj.when == SENT
    assert obj.when is obj.when  # the converted value is kept and given again
    assert kind.parsed == [TOY["when"]]


def test_a_value_set_before_it_was_read_is_never_converted(
    toy: tuple[Any, CountingDates],
) -> None:
    Toy, kind = toy
    obj = lazy(Toy, dict(TOY))
    later = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    obj.when = later
    assert obj.when is later
    assert obj.to_api()["when"] == "Tue, 02 Jan 2024 03:04:05 +0000"
    assert kind.parsed == []
    # changed_fields() compares with the loaded value as Python sees it: it parses that.
    assert obj.changed_fields() == ["when"] and kind.parsed == [TOY["when"]]
    obj.when = SENT.astimezone(dt.timezone(dt.timedelta(hours=2)))  # the same instant
    assert obj.changed_fields() == []


def test_from_api_reads_every_value_at_once(toy: tuple[Any, CountingDates]) -> None:
    Toy, kind = toy
    obj = Toy.from_api(dict(TOY))
    assert kind.parsed == [TOY["when"]]
    assert obj.when == SENT and len(kind.parsed) == 1


def test_values_are_typed_on_access_and_kept() -> None:
    msg = lazy(Message, dict(PAYLOAD))
    assert msg.date_sent == SENT and msg.date_sent is msg.date_sent
    assert msg.price == decimal.Decimal("-0.00750") and msg.price is msg.price
    assert msg.status is MessageStatus.QUEUED and msg.num_segments == 2
    assert msg.status_callback is None  # a write-only parameter, never in a payload
    assert msg.to_api() == PAYLOAD and msg.changed_fields() == []


def test_an_instance_keeps_its_payload_and_references_none_of_its_values() -> None:
    payload = dict(PAYLOAD)
    msg = lazy(Message, payload)
    assert not hasattr(msg, "__dict__")
    referents = gc.get_referents(msg)
    assert any(ref is payload for ref in referents)
    values = [v for v in payload.values() if v is not None]
    assert not any(ref is value for ref in referents for value in values)
    assert Message.from_api(payload)._orig is not payload  # one payload read: a copy kept


def test_a_compacted_instance_keeps_the_tuple_of_its_values_not_the_dict() -> None:
    payload = dict(PAYLOAD)
    msg = lazy(Message, payload)
    assert msg.price == decimal.Decimal("-0.00750")  # read before: kept as read
    msg.body = "edited"
    Message._meta.conversions().compact([msg])
    referents = gc.get_referents(msg)
    assert not any(ref is payload for ref in referents)  # the dict can go
    kept = msg._orig
    assert type(kept) is tuple and any(ref is kept for ref in referents)
    keys = [spec.key or "" for spec in Message._meta.payload_fields]
    assert all(value is payload[key] for key, value in zip(keys, kept, strict=True))
    assert msg.to_api() == {**payload, "body": "edited"} and msg.changed_fields() == ["body"]
    assert msg.date_sent == SENT and msg.price is msg.price
    twin = pickle.loads(pickle.dumps(msg))
    assert type(twin._orig) is dict and twin.to_api() == msg.to_api()
    assert twin.changed_fields() == ["body"]
    bad = lazy(Message, {**PAYLOAD, "date_sent": "yesterday"})
    Message._meta.conversions().compact([bad])
    with pytest.raises(DecodeError, match=r"'yesterday' as rfc2822 \(key 'date_sent' of SM"):
        bad.date_sent  # noqa: B018


def _without_body(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != "body"}


@pytest.mark.parametrize(
    "payload",
    [
        {**PAYLOAD, "added_by_twilio": "new"},  # a key the class does not declare
        _without_body(PAYLOAD),  # one of its keys absent
        {**_without_body(PAYLOAD), "other": 1},  # as many keys, one not its own
    ],
    ids=["extra key", "missing key", "another key"],
)
def test_a_payload_with_other_keys_stays_a_dict(payload: dict[str, Any]) -> None:
    msg = lazy(Message, payload)
    Message._meta.conversions().compact([msg])
    assert msg._orig is payload
    assert msg.to_api() == payload and msg.changed_fields() == []
    assert msg.body == payload.get("body") and msg.date_sent == SENT


def test_a_list_of_instances_keeps_fewer_bytes_than_the_dicts_it_came_from() -> None:
    """Against the dicts of orjson, which twiliorm parses pages with when it is installed
    (a test dependency); the stdlib's dicts are smaller (measured: 1.05x them)."""
    import tracemalloc

    import orjson

    from .bench.data import messages

    pages = [json.dumps(messages("AC" + "1" * 32, 500, seed)) for seed in range(4)]
    build, compact = Message._meta.structure(), Message._meta.conversions().compact

    def kept(make: Any) -> int:
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            items = make([record for page in pages for record in orjson.loads(page)])
            size = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert len(items) == 2_000
        return int(size)

    def instances(dicts: list[dict[str, Any]]) -> list[Any]:
        objs = [build(d, None) for d in dicts]
        compact(objs)
        return objs

    dicts, objs = kept(lambda ds: ds), kept(instances)
    assert objs <= dicts, (objs / 2_000, dicts / 2_000)


def test_the_results_of_a_query_are_compacted_a_stream_is_not(client: Any) -> None:
    for body in ("one", "two"):
        Message.objects.create(to="+15005550006", from_="+15005550006", body=body)
    qs = Message.objects.all()
    assert all(type(m._orig) is tuple for m in qs)  # the result cache: kept after its pages
    assert sorted(m.body for m in qs) == ["one", "two"]
    assert all(m.to_api() == m.refresh().to_api() for m in list(Message.objects.all()))
    streamed = list(Message.objects.iterator())
    assert all(type(m._orig) is dict for m in streamed)  # built as each is reached
    assert [m.sid for m in streamed] == [m.sid for m in qs]


# --- round trips and types on every example of the spec ---------------------------------


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_every_example_round_trips_unread_and_read(example: Example) -> None:
    model = _model(example)
    for item in example.items():
        unread = lazy(model, item)
        assert canonical(unread.to_api()) == canonical(item)
        assert unread.changed_fields() == []
        read = lazy(model, item)
        wrong = [
            why
            for spec in model._meta.payload_fields
            if (why := _wrong_type(spec, item.get(spec.key or ""), getattr(read, spec.name)))
        ]
        assert not wrong, wrong
        assert canonical(read.to_api()) == canonical(item)
        assert read.changed_fields() == []
        assert read == unread == model.from_api(item) or read.pk is None


# --- malformed values ----------------------------------------------------------------------


def test_a_malformed_value_is_a_decode_error_where_it_is_read() -> None:
    bad = {**PAYLOAD, "date_sent": "yesterday"}
    msg = lazy(Message, bad)  # a list of records reads: nothing raises yet
    assert msg.body == PAYLOAD["body"] and msg.price == decimal.Decimal("-0.00750")
    assert msg.to_api() == bad  # an export gives it back as it came
    with pytest.raises(DecodeError) as info:
        msg.date_sent  # noqa: B018
    text = str(info.value)
    assert "Message.date_sent" in text and "'yesterday'" in text and PAYLOAD["sid"] in text
    with pytest.raises(DecodeError):  # again: nothing was cached
        msg.date_sent  # noqa: B018
    msg.date_sent = SENT  # a value set in its place is kept, and is a change
    assert msg.date_sent == SENT and msg.changed_fields() == ["date_sent"]
    with pytest.raises(DecodeError, match=r"Message\.date_sent"):
        Message.from_api(bad)


def test_a_malformed_value_does_not_stop_a_pickle() -> None:
    msg = lazy(Message, {**PAYLOAD, "num_segments": "two"})
    again = pickle.loads(pickle.dumps(msg))
    assert again.to_api()["num_segments"] == "two"
    with pytest.raises(DecodeError, match=r"Message\.num_segments"):
        again.num_segments  # noqa: B018


# --- change tracking, copies, pickles, equality ----------------------------------------


def test_changing_a_list_in_place_counts_as_a_change() -> None:
    payload = {"sid": "CN" + "1" * 32, "permissions": ["get-all"], "friendly_name": "app"}
    app = lazy(ConnectApp, payload)
    app.permissions.append("post-all")
    assert app.changed_fields() == ["permissions"]
    assert app.to_api()["permissions"] == ["get-all", "post-all"]
    assert payload["permissions"] == ["get-all"]  # the loaded value is untouched


def test_setting_a_plain_value_or_a_parameter_counts_as_a_change() -> None:
    msg = lazy(Message, dict(PAYLOAD))
    msg.body = "edited"
    msg.status_callback = "https://example.com/cb"
    assert msg.changed_fields() == ["body", "status_callback"]
    assert msg.to_api()["body"] == "edited" and "status_callback" not in msg.to_api()


@pytest.mark.parametrize(
    "clone",
    [pickle.loads, copy.deepcopy, copy.copy],
    ids=["pickle", "deepcopy", "copy"],
)
def test_copies_keep_values_unread_and_changes_changed(clone: Any) -> None:
    msg = lazy(Message, dict(PAYLOAD))
    msg.body = "edited"
    assert msg.price == decimal.Decimal("-0.00750")  # one value read, the others not
    twin = clone(pickle.dumps(msg)) if clone is pickle.loads else clone(msg)
    assert twin == msg and twin is not msg
    assert twin.changed_fields() == ["body"]
    assert twin._slot_date_sent is convert._UNREAD  # still as it came: unread
    assert twin.date_sent == SENT and twin.price == decimal.Decimal("-0.00750")
    assert twin.to_api() == {**PAYLOAD, "body": "edited"}


def test_an_instance_made_in_python_copies_before_any_payload_was_read(
    toy: tuple[Any, CountingDates],
) -> None:
    Toy, _ = toy  # a class no payload has been read into yet: no properties made
    twin = copy.copy(Toy(note="hi", when=SENT))
    assert (twin.note, twin.when, twin.sid) == ("hi", SENT, None)
    assert twin.changed_fields() == ["when", "note"]


def test_a_lazy_instance_equals_one_built_eagerly() -> None:
    unread, eager = lazy(Message, dict(PAYLOAD)), Message.from_api(PAYLOAD)
    made = Message(sid=PAYLOAD["sid"], date_sent=SENT)
    assert unread == eager == made and hash(unread) == hash(eager) == hash(made)
    names = Message._meta.payload_names
    assert [getattr(unread, n) for n in names] == [getattr(eager, n) for n in names]
    assert unread.to_api() == eager.to_api() == PAYLOAD


def test_full_clean_checks_what_was_set_and_reads_nothing_else(
    toy: tuple[Any, CountingDates],
) -> None:
    Toy, kind = toy
    obj = lazy(Toy, dict(TOY))
    obj.full_clean()
    assert kind.parsed == []
    obj.when = "not a date"
    with pytest.raises(ValidationError) as info:
        obj.full_clean()
    assert "when" in info.value.message_dict


def test_a_stream_builds_each_record_as_it_is_reached(client: Any) -> None:
    for number in range(12):
        Message.objects.create(to="+15005550006", from_="+15005550006", body=f"m{number}")

    def alive() -> int:
        return sum(1 for o in gc.get_objects() if type(o) is Message)

    before = alive()
    stream = Message.objects.iterator(chunk_size=5)
    first = next(stream)
    assert alive() - before == 1  # not the other 4 of its page
    page = next(Message.objects.page_size(5).pages(prefetch=False))
    assert alive() - before == 1  # a page builds nothing until asked
    assert len(page.records) == 5 and page.records is page.records  # kept once built
    assert list(page.each()) == page.records and alive() - before == 6
    assert [first.sid, *(m.sid for m in stream)] == [m.sid for m in Message.objects.all()]
