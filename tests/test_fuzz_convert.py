"""The converter against hostile payloads: a model or a clear DecodeError, nothing else.

For every declared resource, hypothesis builds payloads whose keys are the
resource's own (each present or missing) plus unknown ones, and whose values
are right for the field, malformed (dates that are not dates, numbers that
are not numbers), of the wrong JSON type, nested, huge, or full of unpaired
surrogates; and raw bodies (invalid UTF-8, cut, not JSON, deeply nested)
that go through ``Response.json`` first. Reading each must give an instance
of the class, usable (``to_api()``, ``repr()``), or raise ``DecodeError``
naming the resource; any other exception fails the test.

CI runs ``TWILIORM_FUZZ_EXAMPLES`` examples per resource (default 12); set
it higher for a long run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import twiliorm
from twiliorm import dates
from twiliorm.convert import converter
from twiliorm.fields import FieldSpec
from twiliorm.resource import resources
from twiliorm.transport import Response

EXAMPLES = int(os.environ.get("TWILIORM_FUZZ_EXAMPLES", "12"))
MODELS = resources()
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
    | st.text(st.characters(categories=["Cs", "Co", "Cc", "Zs"]), max_size=10)
)
JSON_ANY = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
MALFORMED_DATES = st.sampled_from(
    [
        "",
        "0",
        "yesterday",
        "Thu, 31 Feb 2015 20:12:31 +0000",
        "Thu, 30 Jul 2015 25:12:31 +0000",
        "Thu, 30 Jul 2015 20:61:31 +0000",
        "Thu, 30 Jul 99999 20:12:31 +0000",
        "Thu, 30 Jul 2015 20:12:31 +9999",
        "Thu, 30 Xyz 2015 20:12:31 +0000",
        "Thu,30 Jul 2015 20:12:31 +0000",
        "Thu, 30 Jul 2015 20:12:31 +0000 trailing",
        "Thu, 30 Jul 0000 00:00:00 +0000",
        "2015-13-01",
        "2015-02-30",
        "2015-07-30T20:12:31",
        "2015-07-30T20:12:31+25:00",
        "9999-12-31T23:59:60Z",
        "-0001-01-01T00:00:00Z",
        "2015-07-30T20:12:31.123456789123Z",
        "\x00" * 31,
        "Thu, 30 Jul 2015 20:12:31 \ud800\ud800\ud800",
    ]
)
DATEISH = (
    MALFORMED_DATES
    | st.from_regex(r"\A[A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{1,5} \d\d:\d\d:\d\d [+-]\d{4}\Z")
    | st.from_regex(
        r"\A-?\d{1,5}-\d{1,2}-\d{1,2}(T\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)?)?\Z"
    )
)
NUMBERISH = st.from_regex(r"\A[+-]?\d{0,30}(\.\d{0,30})?([eE][+-]?\d{1,9})?\Z") | st.sampled_from(
    ["NaN", "-Infinity", "sNaN", "1e999999999", "0x10", "1_000", " 1 ", "", "9" * 5000, "١٢٣"]
)
HUGE = st.sampled_from([10_000, 300_000]).map(lambda n: "\u00e9" * n)
BAD = JSON_ANY | DATEISH | NUMBERISH | HUGE

UTC_TIMES = st.datetimes(
    min_value=dt.datetime(1970, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=st.just(dates.UTC),
)


def good(spec: FieldSpec) -> st.SearchStrategy[Any]:
    """A value of the shape the service sends for this field."""
    kind = spec.kind.name
    if kind == "rfc2822":
        return UTC_TIMES.map(dates.format_rfc2822)
    if kind == "datetime":
        return UTC_TIMES.map(dates.format_iso_datetime)
    if kind == "date":
        return st.dates().map(dt.date.isoformat)
    if kind == "decimal":
        return st.decimals(allow_nan=False, places=5).map(str)
    if kind == "integer_text":
        return st.integers(-(10**9), 10**9).map(str)
    if kind == "integer":
        return st.integers(-(10**9), 10**9)
    if kind == "boolean":
        return st.booleans()
    if kind == "sid":
        return st.from_regex(r"\A[A-Z]{2}[0-9a-f]{32}\Z")
    return st.text(max_size=30) | JSON_ANY


@st.composite
def payloads(draw: st.DrawFn, model: Any) -> Any:
    """A payload for ``model``: its keys (each maybe missing), right or wrong values, extras."""
    specs = model._meta.payload_fields
    mostly_good = draw(st.booleans())
    values = {}
    for spec in specs:
        if draw(st.integers(0, 9)) == 0:
            continue  # a missing key
        wrong = draw(st.integers(0, 9)) == 0 if mostly_good else draw(st.booleans())
        values[spec.key] = draw(BAD if wrong else good(spec) | st.none())
    values.update(draw(st.dictionaries(st.text(max_size=12), JSON_ANY, max_size=3)))
    if draw(st.integers(0, 19)) == 0:
        return draw(JSON_ANY.filter(lambda v: not isinstance(v, dict)))
    return values


def read(model: Any, payload: Any) -> None:
    """The property: an instance of ``model`` or a DecodeError that names it."""
    try:
        obj = model.from_api(payload)
    except twiliorm.DecodeError as exc:
        event("outcome: DecodeError")
        assert model.__name__ in str(exc)
        return
    event("outcome: model")
    assert type(obj) is model
    assert isinstance(obj.to_api(), dict)
    assert repr(obj).startswith(f"<{model.__name__}")


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
@FUZZ
@given(data=st.data())
def test_payloads_end_in_a_model_or_a_decode_error(model: Any, data: st.DataObject) -> None:
    payload = data.draw(payloads(model), label="payload")
    read(model, payload)
    with contextlib.suppress(twiliorm.DecodeError):
        converter.structure(payload, model)


def _body_of(payload: Any) -> bytes:
    return json.dumps(payload, default=str, allow_nan=True).encode("utf-8", "surrogatepass")


@st.composite
def bodies(draw: st.DrawFn, model: Any) -> bytes:
    """Raw answer bodies: valid JSON, cut, spliced with bytes that are not UTF-8, or noise."""
    body = _body_of(draw(payloads(model)))
    how = draw(st.sampled_from(["as is", "cut", "splice", "noise", "deep"]))
    if how == "cut":
        return body[: draw(st.integers(0, len(body)))]
    if how == "splice":
        at = draw(st.integers(0, len(body)))
        junk = draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xfe\xff"]))
        return body[:at] + junk + body[at:]
    if how == "deep":
        depth = draw(st.sampled_from([100, 5_000, 100_000]))
        return b"[" * depth + b"]" * depth
    if how == "noise":
        return draw(st.binary(max_size=200))
    return body


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
@FUZZ
@given(data=st.data())
def test_raw_bodies_end_in_a_model_or_a_decode_error(model: Any, data: st.DataObject) -> None:
    body = data.draw(bodies(model), label="body")
    try:
        payload = Response(200, {}, body).json()
    except twiliorm.DecodeError as exc:
        event("outcome: DecodeError (not JSON)")
        assert "not JSON" in str(exc)
        return
    read(model, payload)


def test_a_decode_error_says_which_field_and_what_it_got() -> None:
    with pytest.raises(twiliorm.DecodeError) as e:
        twiliorm.Message.from_api({"sid": "SM" + "0" * 32, "date_sent": "Thu, 31 Feb 2015"})
    assert "Message.date_sent" in str(e.value) and "Thu, 31 Feb 2015" in str(e.value)


def test_deep_nesting_is_a_decode_error_with_either_json_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from twiliorm import transport

    deep = b"[" * 200_000 + b"]" * 200_000
    with pytest.raises(twiliorm.DecodeError):
        Response(200, {}, deep).json()
    monkeypatch.setattr(transport, "_loads", json.loads)  # the stdlib path, without orjson
    with pytest.raises(twiliorm.DecodeError):
        Response(200, {}, deep).json()
    with pytest.raises(twiliorm.DecodeError):
        Response(200, {}, b'{"a": "\xff"}').json()
