"""Twilio's test credentials and magic numbers, as the sandbox answers them.

With the test credentials only creating messages, calls and incoming numbers
is allowed (anything else: 403, code 20008); the whole table of
TWILIO_FACTS.md answers its codes; a success creates nothing that can be
read back, and sends no status callback. With the sandbox's own
credentials the numbers that name an error still answer it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from twiliorm.sandbox import Sandbox

from .test_sandbox_support import Raw

OK = "+15005550006"
NOBODY = "+15558675310"
TWIML = "<Response><Say>hi</Say></Response>"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture(scope="module")
def test_raw(sandbox: Sandbox) -> Iterator[Raw]:
    raw = Raw(sandbox, sandbox.test_account_sid, sandbox.test_auth_token)
    yield raw
    raw.close()


@pytest.fixture(scope="module")
def live(sandbox: Sandbox) -> Iterator[Raw]:
    raw = Raw(sandbox)
    yield raw
    raw.close()


MESSAGES = [
    (OK, NOBODY, None),
    ("+15005550001", NOBODY, 21212),
    ("+15005550007", NOBODY, 21606),
    ("+15017122661", NOBODY, 21606),
    ("+15005550008", NOBODY, 21611),
    (OK, "+15005550001", 21211),
    (OK, "+15005550002", 21612),
    (OK, "+15005550003", 21408),
    (OK, "+15005550004", 21610),
    (OK, "+15005550009", 21614),
]


@pytest.mark.parametrize(("frm", "to", "code"), MESSAGES)
def test_messages_with_test_credentials(
    test_raw: Raw, live: Raw, frm: str, to: str, code: int | None
) -> None:
    form = {"From": frm, "To": to, "Body": "magic", "StatusCallback": "http://127.0.0.1:9/cb"}
    answer = test_raw("POST", f"{test_raw.a}/Messages.json", form)
    if code is None:
        assert answer.status == 201
        sent = answer.json()
        assert sent["status"] == "queued" and sent["sid"].startswith("SM")
        assert sent["uri"] == f"{test_raw.a}/Messages/{sent['sid']}.json"
        stored = live("GET", f"{test_raw.a}/Messages/{sent['sid']}.json")
        assert stored.status in (401, 404)  # nothing was stored, for anyone
    else:
        assert (answer.status, answer.json()["code"]) == (400, code)


CALLS = [
    (OK, NOBODY, None),
    ("+15005550001", NOBODY, 21212),
    ("+15017122661", NOBODY, 21210),
    (OK, "+15005550001", 21217),
    (OK, "+15005550002", 21214),
    (OK, "+15005550003", 21215),
    (OK, "+15005550004", 21216),
]


@pytest.mark.parametrize(("frm", "to", "code"), CALLS)
def test_calls_with_test_credentials(test_raw: Raw, frm: str, to: str, code: int | None) -> None:
    answer = test_raw("POST", f"{test_raw.a}/Calls.json", {"From": frm, "To": to, "Twiml": TWIML})
    if code is None:
        assert answer.status == 201 and answer.json()["status"] == "queued"
    else:
        assert (answer.status, answer.json()["code"]) == (400, code)


NUMBERS = [
    ({"PhoneNumber": OK}, OK),
    ({"PhoneNumber": "+15005550000"}, 21422),
    ({"PhoneNumber": "+15005550001"}, 21421),
    ({"AreaCode": "500"}, OK),
    ({"AreaCode": "533"}, 21452),
]


@pytest.mark.parametrize(("form", "result"), NUMBERS)
def test_incoming_numbers_with_test_credentials(
    test_raw: Raw, form: dict[str, str], result: str | int
) -> None:
    answer = test_raw("POST", f"{test_raw.a}/IncomingPhoneNumbers.json", form)
    if isinstance(result, str):
        assert answer.status == 201
        assert answer.json()["phone_number"] == result and answer.json()["sid"].startswith("PN")
    else:
        assert (answer.status, answer.json()["code"]) == (400, result)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/Messages.json"),
        ("GET", f"/Messages/SM{'0' * 32}.json"),
        ("POST", f"/Messages/SM{'0' * 32}.json"),
        ("DELETE", f"/Messages/SM{'0' * 32}.json"),
        ("GET", "/Calls.json"),
        ("GET", "/IncomingPhoneNumbers.json"),
        ("POST", "/Queues.json"),
        ("GET", ".json"),
        ("GET", "/Usage/Records.json"),
    ],
)
def test_test_credentials_may_do_nothing_else(test_raw: Raw, method: str, path: str) -> None:
    form = {"FriendlyName": "q"} if method == "POST" else None
    answer = test_raw(method, test_raw.a + path, form)
    assert (answer.status, answer.json()["code"]) == (403, 20008)


def test_test_credentials_store_nothing_and_call_back_nobody(
    sandbox: Sandbox, test_raw: Raw, live: Raw
) -> None:
    before = len(sandbox.callbacks)
    form = {"From": OK, "To": NOBODY, "Body": "x", "StatusCallback": "http://127.0.0.1:9/cb"}
    assert test_raw("POST", f"{test_raw.a}/Messages.json", form).status == 201
    assert live("GET", f"{live.a}/Messages.json").json()["messages"] == []
    sandbox.wait_for_callbacks()
    assert len(sandbox.callbacks) == before
    assert sandbox.app.scheduler.pending() == 0


@pytest.mark.parametrize(
    ("resource", "form", "code"),
    [
        ("Messages", {"From": "+15017122661", "To": "+15005550001", "Body": "x"}, 21211),
        ("Messages", {"From": "+15005550001", "To": NOBODY, "Body": "x"}, 21212),
        ("Messages", {"From": "+15017122661", "To": "+15005550004", "Body": "x"}, 21610),
        ("Calls", {"From": "+15017122661", "To": "+15005550002", "Twiml": TWIML}, 21214),
        ("IncomingPhoneNumbers", {"PhoneNumber": "+15005550000"}, 21422),
        ("IncomingPhoneNumbers", {"AreaCode": "533"}, 21452),
    ],
)
def test_magic_errors_apply_to_the_sandbox_credentials_too(
    live: Raw, resource: str, form: dict[str, str], code: int
) -> None:
    answer = live("POST", f"{live.a}/{resource}.json", form)
    assert (answer.status, answer.json()["code"]) == (400, code)


def test_any_from_number_works_with_the_sandbox_credentials(live: Raw) -> None:
    form = {"From": "+15017122661", "To": NOBODY, "Body": "x"}
    assert live("POST", f"{live.a}/Messages.json", form).status == 201
