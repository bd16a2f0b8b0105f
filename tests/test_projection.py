"""A bulk read that keeps only the keys it needs (twiliorm.projection): the same export,
less parsing.

With msgspec installed, an export read in partitions decodes each list page
into records of the export's columns and what the read itself needs (the SID,
the partition and order fields, the keys the client's filters test). These
tests hold it to the full parse: the decoder against ``json.loads`` on the
spec's and the sandbox's payloads, bodies it cannot read left to the full
parse, and exports over HTTP byte for byte equal to the same exports with
the decoder switched off (every column, some columns, a client-side filter
on a key that is not exported, CSV, JSON lines).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import pickle
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import twiliorm
from twiliorm import Call, Message, projection
from twiliorm.bulk.reads import PageGet
from twiliorm.protocol import ApiRequest
from twiliorm.sandbox import Clock, Sandbox
from twiliorm.sandbox.populate import populate_calls, populate_messages
from twiliorm.transport import Response

UTC = dt.timezone.utc
SPEC = Path(__file__).resolve().parent / "data" / "twilio_api_v2010.json"  # Twilio's, kept here


def _kept(record: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k in keys}


def test_a_page_keeps_the_keys_asked_for_and_nothing_else() -> None:
    decode = projection.page_decoder("messages", ["sid", "from", "price", "absent"])
    assert decode is not None
    body = {
        "messages": [
            {"sid": "SM1", "from": None, "price": "-0.00750", "body": "x", "n": {"a": [1]}},
            {"sid": "SM2", "from": "+15005550006", "price": 12345678901234567890123},
            {},
        ],
        "next_page_uri": "/2010-04-01/Accounts/AC1/Messages.json?Page=1",
        "page": 0,
    }
    assert decode(json.dumps(body).encode()) == {
        "messages": [
            {"sid": "SM1", "from": None, "price": "-0.00750"},  # null stays, absent stays absent
            {"sid": "SM2", "from": "+15005550006", "price": 12345678901234567890123},
            {},
        ],
        "next_page_uri": body["next_page_uri"],
    }


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"messages": 3}',
        b'{"messages": [1, {"sid": "SM1"}]}',
        b'{"other": []}',
        b'{"messages": [{"sid": NaN}]}',
    ],
)
def test_what_is_not_a_list_page_is_left_to_the_full_parse(body: bytes) -> None:
    decode = projection.page_decoder("messages", ["sid"])
    assert decode is not None
    with pytest.raises(ValueError):
        decode(body)
    job = PageGet(ApiRequest("GET", "/Messages.json"), decode=decode)
    answer = Response(200, {}, body)
    try:
        expected: Any = ("value", answer.json())
    except Exception as exc:  # whatever the full parse gives, the job gives
        expected = ("error", type(exc))
    steps = job.steps()
    next(steps)
    with pytest.raises(StopIteration) as stopped:
        steps.send(answer)
    outcome = stopped.value.value
    got = ("value", outcome.value) if outcome.error is None else ("error", type(outcome.error))
    assert got == expected


def _spec_list_examples() -> Iterator[tuple[str, dict[str, Any]]]:
    spec = json.loads(SPEC.read_text())
    for item in spec["paths"].values():
        content = item.get("get", {}).get("responses", {}).get("200", {}).get("content", {})
        for media in content.values():
            for example in (media.get("examples") or {}).values():
                value = example.get("value")
                if isinstance(value, dict) and "next_page_uri" in value:
                    lists = [k for k, v in value.items() if isinstance(v, list)]
                    if len(lists) == 1:
                        yield lists[0], value


def test_the_specs_list_examples_decode_as_the_full_parse_with_fewer_keys() -> None:
    examples = list(_spec_list_examples())
    assert len(examples) > 40
    for key, page in examples:
        body = json.dumps(page).encode()
        records = json.loads(body)[key]
        every = {k for record in records for k in record}
        for keys in (every, set(list(every)[::2]), {"sid", "date_created"}):
            decode = projection.page_decoder(key, keys)
            assert decode is not None
            got = decode(body)
            assert got[key] == [_kept(r, keys) for r in records]
            assert got.get("next_page_uri") == page["next_page_uri"]


# --- exports over HTTP, with and without the decoder -----------------------------------


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    start = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(days=40)
    with Sandbox(clock=Clock(frozen=True, start=start)) as sandbox:
        sandbox.advance(40 * 86400)
        populate_messages(sandbox.app, 2000, step=1200)
        populate_calls(sandbox.app, 600, step=3600)
        yield sandbox


def _export(qs: twiliorm.QuerySet[Any], **options: Any) -> str:
    out = io.StringIO()
    qs.export(out, **options)
    return out.getvalue()


@pytest.mark.parametrize(
    ("model", "filters", "fields", "format"),
    [
        (Message, {"date_sent__isnull": False}, None, "csv"),
        (Message, {"date_sent__isnull": False}, ["sid", "to", "date_sent"], "csv"),
        # A client-side test on a key that is not exported: it must be kept to be tested.
        (Message, {"date_sent__isnull": False, "body__icontains": "ok"}, ["sid"], "csv"),
        (Message, {"date_sent__isnull": False, "status": "delivered"}, ["to"], "jsonl"),
        (Call, {"start_time__isnull": False, "duration__gt": 30}, ["sid", "status"], "csv"),
    ],
)
def test_an_export_is_the_same_with_and_without_the_decoder(
    sb: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    model: Any,
    filters: dict[str, Any],
    fields: list[str] | None,
    format: str,
) -> None:
    with sb.client() as client:
        qs = model.objects.using(client).filter(**filters).page_size(100)
        made: list[Any] = []
        real = projection.page_decoder

        def counted(key: str, keys: Any) -> Any:
            made.append(set(keys))
            return real(key, keys)

        monkeypatch.setattr("twiliorm.partitions.page_decoder", counted)
        projected = _export(qs, fields=fields, format=format)
        assert made, "the export was read with the decoder"
        monkeypatch.setattr(projection, "_HAVE_MSGSPEC", False)
        whole = _export(qs, fields=fields, format=format)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the walk of a scan warns that it is one
            walked = _export(qs.concurrently(None), fields=fields, format=format)
    assert projected == whole == walked
    assert len(projected.splitlines()) > 20


def test_records_of_fewer_keys_let_the_merge_hold_more_of_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The merge's budget counts whole records: one keeping a third of the payload's keys
    holds three times as many (a read is not held up for memory it does not use)."""
    from twiliorm.partitions import open_partitions

    qs = Message.objects.filter(date_sent__isnull=False)
    plan = qs.query.compile("AC" + "0" * 32)
    today = dt.date(2026, 3, 1)

    def budget(keys: list[str] | None) -> int:
        reader = open_partitions(
            qs.query, plan, "sid", "http://api", today=today, account=None, budget=1000, keys=keys
        )
        return reader.budget  # type: ignore[union-attr]

    payload = len(Message._meta.payload_fields)
    kept = {"sid", "date_created", "date_sent", "to"}  # to, and what the read needs
    assert budget(None) == 1000
    assert budget(["to"]) == 1000 * (payload // len(kept))
    assert budget(list(Message._meta.payload_names)) == 1000
    monkeypatch.setattr(projection, "_HAVE_MSGSPEC", False)  # records kept whole
    assert budget(["to"]) == 1000


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_an_async_export_reads_the_same_keys_and_writes_the_same_file(
    sb: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[set[str]] = []
    real = projection.page_decoder

    def counted(key: str, keys: Any) -> Any:
        made.append(set(keys))
        return real(key, keys)

    monkeypatch.setattr("twiliorm.partitions.page_decoder", counted)
    fields = ["sid", "to", "date_sent"]
    with sb.client() as client:
        qs = Message.objects.using(client).filter(date_sent__isnull=False, body__icontains="ok")
        awaited = io.StringIO()
        await qs.aexport(awaited, fields=fields)
        assert made and {"sid", "to", "date_sent", "body", "date_created"} <= made[0]
        monkeypatch.setattr(projection, "_HAVE_MSGSPEC", False)
        assert awaited.getvalue() == _export(qs, fields=fields)


def test_a_queryset_built_on_one_that_reads_some_keys_reads_whole_records() -> None:
    """for_bulk(keys=) is for the pages read from that QuerySet; one chained on it (and
    so iterated into models) reads whole records. A QuerySet pickled before there were
    keys loads as one that reads whole records."""
    projected = Message.objects.filter(date_sent__isnull=False).for_bulk(keys=["to"])
    assert projected._keys == frozenset({"to"})
    assert projected.filter(status="delivered")._keys is None
    assert projected.order_by("-date_sent")._keys is None
    old = pickle.loads(pickle.dumps(Message.objects.filter(to="+15005550006")))
    old.__dict__.pop("_keys", None)  # as a pickle made before
    assert old._keys is None and old.filter(status="sent")._keys is None
