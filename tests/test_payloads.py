"""Every response example of Twilio's spec reads into its resource and back, unchanged.

Each of the 287 examples in tests/data/twilio_api_v2010.json is read with
``R.from_api()`` (each item of a list page) by the resource that declares the
example's operation; ``to_api()`` must give exactly the payload back (same
keys, same JSON values and types), and each declared value must arrive as the
Python type its kind promises (a datetime, a Decimal, an int, an enum member).
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from typing import Any

import pytest

from twiliorm.fields import FieldSpec
from twiliorm.resource import Resource, resources

from .test_conformance import (
    TOTAL_EXAMPLES,
    Example,
    canonical,
    examples,
    load_spec,
    metas_of,
    model_for,
)

EXAMPLES = examples(load_spec())
_TYPES: dict[str, type | tuple[type, ...]] = {
    "rfc2822": dt.datetime,
    "datetime": dt.datetime,
    "date": dt.date,
    "integer_text": int,
    "integer": int,
    "boolean": bool,
    "decimal": (decimal.Decimal, int, float),
    "uri_map": dict,
    "list": list,
}


def _model(example: Example) -> type[Resource]:
    model = model_for(example, metas_of(resources()))
    assert model is not None, f"no resource declares {example.operation.operation_id}"
    return model


def _wrong_type(spec: FieldSpec, raw: Any, value: Any) -> str | None:
    if raw is None:
        return None if value is None else f"{spec.name}: null read as {value!r}"
    expected = _TYPES.get(spec.kind.name)
    if expected is not None and not isinstance(value, expected):
        return f"{spec.name}: {raw!r} read as {type(value).__name__}"
    values = getattr(spec.kind, "values", ())
    if raw in values and not isinstance(value, enum.Enum):
        return f"{spec.name}: enum value {raw!r} read as {type(value).__name__}"
    return None


def test_every_example_is_here() -> None:
    assert len(EXAMPLES) == TOTAL_EXAMPLES


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_example_round_trips(example: Example) -> None:
    model = _model(example)
    if example.list_key is not None:
        assert example.list_key == model._meta.key
    for item in example.items():
        obj = model.from_api(item)
        assert canonical(obj.to_api()) == canonical(item)
        wrong = [
            why
            for spec in model._meta.payload_fields
            if (why := _wrong_type(spec, item.get(spec.key or ""), getattr(obj, spec.name)))
        ]
        assert not wrong, wrong


def _one_per_operation() -> list[Example]:
    seen: dict[str, Example] = {}
    for example in EXAMPLES:
        if example.items():
            seen.setdefault(example.operation.operation_id, example)
    return list(seen.values())


@pytest.mark.parametrize("example", _one_per_operation(), ids=lambda e: e.id)
def test_a_changed_value_is_sent_back_changed(example: Example) -> None:
    """The round trip is not an echo: what the instance holds is what to_api() writes."""
    model = _model(example)
    item = example.items()[0]
    obj = model.from_api(item)
    spec = next(s for s in model._meta.payload_fields if s.key in item)
    setattr(obj, spec.name, None)
    assert obj.to_api()[spec.key or ""] is None
    assert obj.changed_fields() == ([spec.name] if item[spec.key or ""] is not None else [])


def test_unknown_keys_are_kept_and_absent_keys_stay_absent() -> None:
    message = next(e for e in EXAMPLES if e.operation.operation_id == "FetchMessage")
    model = _model(message)
    payload = dict(message.items()[0])
    del payload["num_media"]
    payload["tags"] = {"campaign": "spring"}
    back = model.from_api(payload).to_api()
    assert "num_media" not in back
    assert back["tags"] == {"campaign": "spring"}
    assert canonical(back) == canonical(payload)
