"""Bad requests get Twilio's answers, never tracebacks.

Unknown paths answer 404 / 20404; a missing required parameter answers 400
with Twilio's code for it; paging beyond the rules (PageSize over 1000:
20007) and malformed bodies, headers and request lines answer 400; a bug
inside the sandbox answers 500 / 20500. Every one is a Twilio error body
``{code, message, more_info, status}``, and none changes anything.
"""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from twiliorm.sandbox import Sandbox

from .test_sandbox_support import Answer, Raw

CALL = {"To": "+15558675310", "From": "+15017122661", "Twiml": "<Response/>"}
MESSAGE = {"To": "+15558675310", "From": "+15017122661", "Body": "Hello"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture(scope="module")
def raw(sandbox: Sandbox) -> Iterator[Raw]:
    raw = Raw(sandbox)
    yield raw
    raw.close()


def error_body(answer: Answer) -> dict[str, object]:
    """The fields of an error answer, from its JSON or its XML (``<RestException>``)."""
    if answer.type.startswith("application/xml"):
        found = ElementTree.fromstring(answer.body).find("RestException")
        assert found is not None, answer.body
        names = {"Code": "code", "Message": "message", "MoreInfo": "more_info", "Status": "status"}
        out: dict[str, object] = {names[e.tag]: e.text for e in found}
        return {**out, "code": int(str(out["code"])), "status": int(str(out["status"]))}
    body: dict[str, object] = answer.json()
    return body


def twilio_error(answer: Answer, status: int, code: int) -> str:
    body = error_body(answer)
    assert set(body) == {"code", "message", "more_info", "status"}, body
    assert (answer.status, body["status"], body["code"]) == (status, status, code), body
    assert "Traceback" not in body["message"]
    return str(body["message"])


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/2010-04-01",
        "/2010-04-01/Accounts/{a}/Nothing.json",
        "/2010-04-01/Accounts/{a}/Messages/not-a-sid.json",
        "/2010-04-01/Accounts/{a}/Messages/CA00000000000000000000000000000000.json",
        "/2010-04-01/Accounts/{a}/Messages.json/extra",
        "/2010-04-01/Accounts/{a}/IncomingPhoneNumbers/Satellite.json",
        "/2010-04-01/Accounts/{a}/Usage/Records/Fortnightly.json",
        "/2010-04-01/Accounts/{a}/Calls/%2e%2e/Messages.json",
    ],
)
def test_unknown_paths_answer_20404(raw: Raw, path: str) -> None:
    answer = raw("GET", path.format(a=raw.account))
    twilio_error(answer, 404, 20404)


def test_a_missing_record_answers_20404(raw: Raw) -> None:
    message = twilio_error(raw("GET", f"{raw.a}/Calls/CA{'0' * 32}.json"), 404, 20404)
    assert f"CA{'0' * 32}" in message


@pytest.mark.parametrize(
    ("resource", "form", "code", "names"),
    [
        ("Messages", {**MESSAGE, "To": ""}, 21604, "'To'"),
        ("Messages", {"To": "+15558675310", "Body": "x"}, 21603, "'From'"),
        ("Messages", {"To": "+15558675310", "From": "+15017122661"}, 21602, "body"),
        ("Messages", {**MESSAGE, "Body": "x" * 1601}, 21617, "1600"),
        ("Calls", {k: v for k, v in CALL.items() if k != "To"}, 21201, "'To'"),
        ("Calls", {k: v for k, v in CALL.items() if k != "From"}, 21213, "'From'"),
        ("Calls", {"To": "+15558675310", "From": "+15017122661"}, 21205, "Url"),
        ("Calls", {**CALL, "Twiml": "<Response><Say>"}, 21220, "TwiML"),
        ("Calls", {**CALL, "Timeout": "soon"}, 20001, "Timeout"),
        ("Queues", {}, 20001, "FriendlyName"),
        ("IncomingPhoneNumbers", {}, 20001, "PhoneNumber"),
        ("Messages", {**MESSAGE, "ProvideFeedback": "maybe"}, 20001, "ProvideFeedback"),
    ],
)
def test_missing_or_bad_parameters_answer_twilios_code(
    raw: Raw, resource: str, form: dict[str, str], code: int, names: str
) -> None:
    before = raw("GET", f"{raw.a}/{resource}.json").json()
    answer = raw("POST", f"{raw.a}/{resource}.json", form)
    assert names in twilio_error(answer, 400, code)
    assert raw("GET", f"{raw.a}/{resource}.json").json() == before  # nothing changed


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("PageSize=1001", 20007),
        ("PageSize=0", 20001),
        ("PageSize=ten", 20001),
        ("Page=-1", 20001),
        ("Page=2", 20001),
        ("Page=1&PageToken=nonsense", 20001),
    ],
)
def test_paging_beyond_the_rules(raw: Raw, query: str, code: int) -> None:
    twilio_error(raw("GET", f"{raw.a}/Messages.json?{query}"), 400, code)


def test_page_size_1000_is_allowed(raw: Raw) -> None:
    assert raw("GET", f"{raw.a}/Messages.json?PageSize=1000").status == 200


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Content-Type": "application/json"}, b'{"To": "+15558675310"}'),
        ({"Content-Type": "application/x-www-form-urlencoded"}, b"To=%FF%FE&Body=x"),
        ({"Content-Type": "application/x-www-form-urlencoded"}, b"\xff\xfe\xfd"),
    ],
)
def test_malformed_bodies_answer_400(raw: Raw, headers: dict[str, str], body: bytes) -> None:
    answer = raw("POST", f"{raw.a}/Messages.json", headers=headers, body=body)
    twilio_error(answer, 400, 20001)


def test_a_chunked_body_is_read(raw: Raw) -> None:
    body = b"To=%2B15558675310&From=%2B15017122661&Body=chunked"
    chunked = b"".join((f"{len(body):x}\r\n".encode(), body, b"\r\n0\r\n\r\n"))
    answer = _send(
        raw,
        f"POST {raw.a}/Messages.json HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n",
        chunked,
    )
    assert answer.startswith(b"HTTP/1.1 201")


def _send(raw: Raw, head: str, body: bytes = b"") -> bytes:
    """Send raw bytes (with the raw client's credentials) and read the whole answer."""
    host = raw.base.split("//")[1]
    address, port = host.split(":")
    auth = raw.headers["authorization"]
    request = f"{head}Host: {host}\r\nAuthorization: {auth}\r\nConnection: close\r\n\r\n"
    with socket.create_connection((address, int(port)), timeout=30) as conn:
        conn.sendall(request.encode("latin-1") + body)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("head", "status"),
    [
        ("POST {a}/Messages.json HTTP/1.1\r\nContent-Length: lots\r\n", b"400"),
        ("POST {a}/Messages.json HTTP/1.1\r\nContent-Length: 999999999999\r\n", b"413"),
        ("BREW {a}/Messages.json HTTP/1.1\r\n", b"405"),
        ("GET {a}/Messages.json\x00 HTTP/1.1 extra\r\n", b"400"),
        ("GET {a}/Messages.json HTTP/9.9\r\n", b"505"),
    ],
)
def test_malformed_http_gets_a_twilio_body(raw: Raw, head: str, status: bytes) -> None:
    answer = _send(raw, head.format(a=raw.a))
    assert answer.split(b" ", 2)[1] == status
    body = answer.split(b"\r\n\r\n", 1)[1]
    assert b'"code": 20' in body and b'"more_info"' in body and b"Traceback" not in body


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer token", "Basic !!!", "Basic " + "bm9jb2xvbg==", "Basic " + "/w=="],
)
def test_bad_credentials_answer_20003(raw: Raw, authorization: str) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    stranger = Raw.__new__(Raw)
    stranger.__dict__.update(vars(raw))
    stranger.headers = headers
    answer = stranger("GET", f"{raw.a}/Messages.json")
    twilio_error(answer, 401, 20003)
    assert answer.headers["WWW-Authenticate"].startswith("Basic")


def test_a_bug_in_the_sandbox_answers_20500_without_a_traceback(
    sandbox: Sandbox, raw: Raw, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object) -> object:
        raise RuntimeError("an internal detail that must not leak")

    monkeypatch.setattr(sandbox.app.behaviours.queues, "list", broken)
    answer = raw("GET", f"{raw.a}/Queues.json")
    message = twilio_error(answer, 500, 20500)
    assert "internal detail" not in message and "RuntimeError" not in message


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    method=st.sampled_from(["GET", "POST", "DELETE"]),
    tail=st.lists(
        st.sampled_from(["Messages", "Calls", "Queues", "SM" + "a" * 32, "x", ".json", ".."]),
        max_size=4,
    ),
    query=st.lists(st.tuples(TEXT, TEXT), max_size=4),
    form=st.lists(st.tuples(TEXT, TEXT), max_size=4),
)
def test_no_request_gets_a_traceback(
    raw: Raw,
    method: str,
    tail: list[str],
    query: list[tuple[str, str]],
    form: list[tuple[str, str]],
) -> None:
    import urllib.parse

    path = raw.a + "/" + "/".join(tail) + "?" + urllib.parse.urlencode(query)
    answer = raw(method, path, form if method == "POST" else None)
    assert answer.status in (200, 201, 204, 400, 404, 405), answer.body
    assert b"Traceback" not in answer.body and b'File "' not in answer.body
    if answer.status >= 400:
        body = error_body(answer)
        assert body["status"] == answer.status and str(body["more_info"]).endswith(
            str(body["code"])
        )
