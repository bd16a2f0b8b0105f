"""No input can change which resource a request reaches: path parameters, adversarially.

Every path parameter of every declared resource is fed traversal attempts,
separators (raw and percent-encoded), unicode look-alikes, control
characters, empty and very long values: each is refused with a
ValidationError that names the parameter, before anything is sent. Values
that are accepted land in exactly one path segment, unchanged.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

import twiliorm
from twiliorm.paths import PathTemplate
from twiliorm.resource import resources
from twiliorm.transport import FunctionTransport, Request, Response

from .test_retry import ACCOUNT, MESSAGE_JSON, SID

HOSTILE = [
    "",
    ".",
    "..",
    "/",
    "//",
    "../Calls",
    "..%2F..%2FCalls",
    "%2F",
    "%2e%2e",
    "a/b",
    "a\\b",
    "?PageSize=1000",
    "#frag",
    "x.json?x=1",
    "SM" + "0" * 32 + "/../Calls",
    "SM" + "0" * 32 + "%2F..",
    "SM" + "0" * 32 + "\n",
    "\uff33\uff2d" + "0" * 32,  # fullwidth letters
    "SM" + "\uff10" * 32,  # fullwidth digits
    "SM\u200b" + "0" * 32,  # zero-width space
    "é",
    "\u202e",
    "\x00",
    " ",
    "x" * 10_000,
    "AC" + "0" * 32 + "@evil.example.com",
]

# Wrong shapes for a SID (harmless in a path, but not a SID).
NOT_SIDS = ["SM" + "0" * 31, "SM" + "0" * 33, "SM" + "g" * 32, "sm" + "0" * 32, "S" + "0" * 33]

CASES = [
    (model, name)
    for model in resources()
    for name in model._meta.path_names
    if name not in model._meta.choices
]


def _never_sent(request: Request) -> Response:
    raise AssertionError(f"a request was sent: {request.method} {request.url}")


@pytest.fixture
def offline() -> twiliorm.Client:
    return twiliorm.Client(ACCOUNT, "offline-token", transport=FunctionTransport(_never_sent))


@pytest.mark.parametrize(("model", "name"), CASES, ids=[f"{m.__name__}.{n}" for m, n in CASES])
def test_every_path_parameter_refuses_hostile_values(model: Any, name: str) -> None:
    for value in HOSTILE:
        with pytest.raises(twiliorm.ValidationError) as e:
            model._meta.check_path(name, value)
        assert name in str(e.value)
    if name == "sid" or name.endswith("_sid"):
        for value in NOT_SIDS:
            with pytest.raises(twiliorm.ValidationError, match="shape"):
                model._meta.check_path(name, value)


@pytest.mark.parametrize("model", [m for m in resources() if m._meta.choices])
def test_choice_parameters_refuse_anything_but_their_choices(model: Any) -> None:
    for name, allowed in model._meta.choices.items():
        for value in [*HOSTILE, allowed[0].lower(), allowed[0] + "/"]:
            with pytest.raises(twiliorm.ValidationError, match=name):
                model._meta.check_path(name, value)


@pytest.mark.parametrize("value", [None, 12, 3.5, b"SM" + b"0" * 32, ["SM" + "0" * 32]])
def test_non_text_values_are_refused(value: Any) -> None:
    with pytest.raises(twiliorm.ValidationError, match="sid"):
        twiliorm.Message._meta.check_path("sid", value)


HEX32 = st.text("0123456789abcdefABCDEF", min_size=32, max_size=32)
TWO_CAPITALS = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2)


def accepted_values(model: Any, name: str) -> st.SearchStrategy[str]:
    """Values of the shape path parameter ``name`` of ``model`` takes (from what the field
    declares, not from the validator's own regex): SIDs of the field's prefixes (any two
    capitals when it names none) + 32 hex digits, country codes, or plain words."""
    spec = model._meta.fields.get(model._meta.path_attrs.get(name, name))
    prefixes = getattr(spec.kind, "prefixes", ()) if spec else ()
    if name == "country_code":
        return TWO_CAPITALS
    if prefixes or name == "account_sid":
        prefix: st.SearchStrategy[str] = st.sampled_from(prefixes or ("AC",))
    elif name == "sid" or name.endswith("_sid"):
        prefix = TWO_CAPITALS
    else:
        return st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}", fullmatch=True)
    return st.tuples(prefix, HEX32).map("".join)


@settings(max_examples=300)
@given(st.sampled_from(CASES).flatmap(lambda c: st.tuples(st.just(c), accepted_values(*c))))
def test_an_accepted_value_fills_exactly_one_segment_unchanged(case_value: Any) -> None:
    (model, name), value = case_value
    assert model._meta.check_path(name, value) == value  # a well-shaped value is accepted as is
    template = next(
        t
        for t in (*model._meta.list_paths, *model._meta.create_paths, model._meta.instance_path)
        if t is not None and name in t.names
    )
    assert _segments_holding(template, name, value) == 1
    event(f"{name}: {value[:2]}" if len(value) == 34 else name)  # it got here: see statistics


@settings(max_examples=300)
@given(case=st.sampled_from(CASES), value=st.text(max_size=80))
def test_any_text_is_refused_or_fills_exactly_one_segment(case: Any, value: str) -> None:
    model, name = case
    try:
        checked = model._meta.check_path(name, value)
    except twiliorm.ValidationError:
        event("refused")
        return
    event("accepted")
    template = next(
        t
        for t in (*model._meta.list_paths, *model._meta.create_paths, model._meta.instance_path)
        if t is not None and name in t.names
    )
    assert _segments_holding(template, name, checked) == 1


def _segments_holding(template: PathTemplate, name: str, value: str) -> int:
    """How many segments of the filled path differ from the template's (each must hold the
    value, unchanged once decoded); nothing else changes and no separator gets in."""
    marker = "\x01"
    values = {n: (value if n == name else marker) for n in template.names}
    path = template.fill(values)
    expected = template.fill({n: marker for n in template.names}).split("/")
    got = path.split("/")
    assert len(got) == len(expected)
    assert "?" not in path and "#" not in path and "\\" not in path
    changed = [seg for seg, ref in zip(got, expected, strict=True) if seg != ref]
    for seg in changed:
        assert urllib.parse.unquote(seg.removesuffix(".json")) == value
    return len(changed)


def test_sids_of_the_right_shape_are_accepted() -> None:
    assert twiliorm.Message._meta.check_path("sid", SID) == SID
    assert twiliorm.Message._meta.check_path("account_sid", ACCOUNT) == ACCOUNT


# --- through the public API: refused before anything is sent ----------------------------------


@pytest.mark.parametrize("value", HOSTILE)
def test_get_by_sid_refuses_before_sending(offline: twiliorm.Client, value: str) -> None:
    with pytest.raises(twiliorm.ValidationError):
        twiliorm.Message.objects.using(offline).get(sid=value)


@pytest.mark.parametrize("value", ["../../Calls", "CF" + "0" * 31, "%2F"])
def test_a_parent_given_to_filter_is_checked_before_sending(
    offline: twiliorm.Client, value: str
) -> None:
    with pytest.raises(twiliorm.ValidationError, match="conference"):
        list(twiliorm.Participant.objects.using(offline).filter(conference=value))


@pytest.mark.parametrize("value", ["../US", "US/Local", "US%2FLocal", "", "U\u0301S"])
def test_a_country_code_is_checked_before_sending(offline: twiliorm.Client, value: str) -> None:
    with pytest.raises(twiliorm.ValidationError, match="country"):
        twiliorm.AvailablePhoneNumber.objects.using(offline).filter(
            country=value, type=twiliorm.LOCAL
        ).first()


@pytest.mark.parametrize("value", ["../" + SID, SID + "/..", ""])
def test_a_tampered_sid_on_an_instance_is_refused_on_save_refresh_and_delete(
    offline: twiliorm.Client, value: str
) -> None:
    message = twiliorm.Message.from_api(
        json.loads(MESSAGE_JSON), binding=twiliorm.Binding(offline, {})
    )
    object.__setattr__(message, "sid", value)
    message.body = "changed"
    for action in (message.save, message.refresh, message.delete):
        with pytest.raises((twiliorm.ValidationError, twiliorm.FieldError)):
            action()


def test_a_foreign_account_cannot_be_smuggled_in(offline: twiliorm.Client) -> None:
    with pytest.raises(twiliorm.ValidationError, match="account_sid"):
        list(twiliorm.Message.objects.using(offline, account="AC" + "0" * 32 + "/../AC1"))
