"""``get(sid=...)`` and ``aget(sid=...)``: the instance path built with each value checked
once, every refusal kept (before any request), and ``PathTemplate.fill``'s encoding.

Over HTTP against the sandbox, through the sync and the async client.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Iterator
from types import CodeType, FrameType
from typing import Any

import pytest

import twiliorm
from twiliorm import AsyncClient, Message
from twiliorm.models.available_numbers import AvailablePhoneNumberCountry
from twiliorm.models.conferences import ConferenceRecording
from twiliorm.paths import PathTemplate, check_path_value
from twiliorm.resource import Meta
from twiliorm.sandbox import Sandbox

DRIVERS = ("sync", "async")
SID = "SM" + "0" * 32


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def made(sb: Sandbox) -> Message:
    with sb.client() as client:
        return Message.objects.using(client).create(
            to="+15558675310", from_="+15017122661", body="get path"
        )


def get(sb: Sandbox, driver: str, model: Any, **conditions: Any) -> Any:
    """``model.objects.get(**conditions)`` through ``driver``'s client of the sandbox."""
    if driver == "sync":
        with sb.client() as client:
            return model.objects.using(client).get(**conditions)

    async def run() -> Any:
        async with AsyncClient(sb.account_sid, sb.auth_token, base_url=sb.base_url) as client:
            return await model.objects.using(client).aget(**conditions)

    return asyncio.run(run())


def calls_during(codes: dict[str, CodeType], work: Callable[[], Any]) -> dict[str, int]:
    """How many times each function of ``codes`` was called (in this thread) by ``work``."""
    counts = dict.fromkeys(codes, 0)
    names = {code: name for name, code in codes.items()}

    def hook(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code in names:
            counts[names[frame.f_code]] += 1

    sys.setprofile(hook)
    try:
        work()
    finally:
        sys.setprofile(None)
    return counts


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_fetch_by_sid_checks_each_value_once(sb: Sandbox, made: Message, driver: str) -> None:
    sid_kind = Message._meta.fields["sid"].kind
    codes = {
        "path value": check_path_value.__code__,  # the client's account, in path_values
        "meta path": Meta.check_path.__code__,
        "sid kind": type(sid_kind).clean.__code__,
    }
    found: list[Message] = []
    counts = calls_during(codes, lambda: found.append(get(sb, driver, Message, sid=made.sid)))
    assert found == [made]
    # Before: the account checked twice, the SID three times (kind, then path), 6 matches.
    assert counts == {"path value": 1, "meta path": 0, "sid kind": 1}


@pytest.mark.parametrize("driver", DRIVERS)
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("SM" + "0" * 31, "'SM0000000000000000000000000000000'"),
        ("CA" + "0" * 32, "'CA00000000000000000000000000000000'"),  # a call's SID
        ("../Calls", "'../Calls'"),
        (SID + "/../Calls", f"'{SID}/../Calls'"),
        ("SM" + "\uff10" * 32, repr("SM" + "\uff10" * 32)),
        (42, "42"),
    ],
)
def test_a_bad_sid_is_refused_with_the_kinds_message_before_any_request(
    sb: Sandbox, driver: str, value: Any, shown: str
) -> None:
    before = len(sb.requests)
    message = f"Message.sid must be a SID (SM + 32 hex digits or MM + 32 hex digits), got {shown}"
    with pytest.raises(twiliorm.ValidationError) as caught:
        get(sb, driver, Message, sid=value)
    assert str(caught.value) == message
    assert len(sb.requests) == before


@pytest.mark.parametrize("driver", DRIVERS)
def test_an_instance_given_as_its_sid_is_fetched(sb: Sandbox, made: Message, driver: str) -> None:
    assert get(sb, driver, Message, pk=made) == made


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_nested_instance_still_needs_its_parent(sb: Sandbox, driver: str) -> None:
    before = len(sb.requests)
    with pytest.raises(twiliorm.FieldError, match="need the conference"):
        get(sb, driver, ConferenceRecording, sid="RE" + "0" * 32)
    assert len(sb.requests) == before


@pytest.mark.parametrize("driver", DRIVERS)
def test_a_key_that_is_not_a_sid_is_still_checked_as_a_path_value(sb: Sandbox, driver: str) -> None:
    before = len(sb.requests)
    with pytest.raises(twiliorm.ValidationError, match="country_code has the wrong shape"):
        get(sb, driver, AvailablePhoneNumberCountry, country_code="../Calls")
    assert len(sb.requests) == before


def test_fill_keeps_plain_values_and_encodes_the_rest() -> None:
    template = PathTemplate("/A/{account_sid}/B/{name}.json")
    assert template.fill({"account_sid": SID, "name": "a.b_c-d"}) == f"/A/{SID}/B/a.b_c-d.json"
    # Letters outside ASCII are letters to str.isalnum(), but not plain in a path.
    assert template.fill({"account_sid": SID, "name": "é"}) == f"/A/{SID}/B/%C3%A9.json"
    assert template.fill({"account_sid": "a/b", "name": "x y"}) == "/A/a%2Fb/B/x%20y.json"


def test_fill_with_one_placeholder_none_and_a_literal_percent() -> None:
    assert PathTemplate("/A/{sid}.json").fill({"sid": SID}) == f"/A/{SID}.json"
    assert PathTemplate("/A/Balance.json").fill({"sid": SID}) == "/A/Balance.json"
    assert PathTemplate("/100%/{sid}").fill({"sid": "%"}) == "/100%/%25"
    with pytest.raises(KeyError, match="sid"):
        PathTemplate("/A/{account_sid}/{sid}").fill({"account_sid": SID})
