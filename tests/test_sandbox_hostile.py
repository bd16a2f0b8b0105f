"""Hostile clients get Twilio's 4xx answers, slow ones are cut off, keys stay in their lane.

- Every route of every declared resource, sent hostile values (years of 20
  digits, 5,000-digit numbers, floats for integers, bytes that are not UTF-8,
  NUL, repeated keys, long strings): never a 5xx, and every error is Twilio's
  error body. ``tests/bench/fuzz_sandbox.py`` does the same at 30,000 requests;
  here a seeded sample of it runs.
- A connection that is idle, trickles its headers or its body is closed
  after a bounded time; ``GET /`` without a version answers at once; other
  clients are answered meanwhile.
- A standard API key cannot list or create signing keys, as it cannot keys.
"""

from __future__ import annotations

import json
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

import twiliorm
from twiliorm import Account, Key, Message, NewKey, NewSigningKey, SigningKey
from twiliorm.exceptions import AuthenticationError
from twiliorm.sandbox import Sandbox

from .bench.fuzz_sandbox import Fuzzer, problem
from .test_sandbox_support import Raw

CONFERENCE_TWIML = "<Response><Dial><Conference>Ops room</Conference></Dial></Response>"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as sb:
        yield sb


@pytest.fixture(scope="module")
def raw(sandbox: Sandbox) -> Iterator[Raw]:
    raw = Raw(sandbox)
    yield raw
    raw.close()


def twilio_400(raw: Raw, method: str, path: str, form: dict[str, str] | None = None) -> str:
    answer = raw(method, path, form)
    body = answer.json()
    assert set(body) == {"code", "message", "more_info", "status"}, body
    assert (answer.status, body["status"], body["code"]) == (400, 400, 20001), body
    return str(body["message"])


# --- no 5xx for a client's mistake ----------------------------------------------------------


def test_every_route_answers_hostile_values_with_4xx(sandbox: Sandbox) -> None:
    fuzzer = Fuzzer(sandbox, random.Random(11))
    assert fuzzer.populate() >= 40  # records of many resources to aim at, not just messages
    cases = fuzzer.sample(3600)  # the aimed ones (about 3,300), then random ones
    assert {str(c.route) for c in cases} == {str(route) for route in fuzzer.routes}
    problems = []
    for case in cases:
        found = problem(*fuzzer.send(case))
        if found is not None:
            problems.append(f"{case.method} {case.target[:150]}: {found}")
    fuzzer.close()
    assert not problems, f"{len(problems)} of {len(cases)}:\n" + "\n".join(problems[:20])


@pytest.mark.parametrize(
    "query",
    [
        "DateSent%3E=99999999999999999999-01-01",
        "DateSent=Thu%2C%2030%20Jul%2099999999999999999999%2020%3A12%3A31%20%2B0000",
        "DateSent%3C=12%2F31%2F99999999999999999999",
        "DateSent=0000-00-00",
    ],
)
def test_a_date_filter_naming_no_day_is_400(raw: Raw, query: str) -> None:
    message = twilio_400(raw, "GET", f"{raw.a}/Messages.json?{query}")
    assert "DateSent" in message and "YYYY-MM-DD" in message


@pytest.mark.parametrize("ttl", ["1.5", "9" * 5000, "\u0663", "1e3", "0x10"])
def test_a_token_ttl_that_is_no_whole_number_is_400(raw: Raw, ttl: str) -> None:
    message = twilio_400(raw, "POST", f"{raw.a}/Tokens.json", {"Ttl": ttl})
    assert "Ttl" in message and "whole number" in message
    assert len(message) < 200  # a 5,000-digit value is not repeated whole


@pytest.mark.parametrize("size", ["9" * 5000, "1.5", "-1", "0", "\u0663"])
def test_a_page_size_that_is_no_whole_number_from_1_is_400(raw: Raw, size: str) -> None:
    assert "PageSize" in twilio_400(raw, "GET", f"{raw.a}/Messages.json?PageSize={size}")


@pytest.mark.parametrize("point", ["1,x", "1e309,nan", "91,0", "37.77"])
def test_a_near_lat_long_that_names_no_place_is_400(raw: Raw, point: str) -> None:
    """It was 21451, "Invalid Contains pattern", whatever the request's Contains."""
    path = f"{raw.a}/AvailablePhoneNumbers/US/Local.json?NearLatLong={point}"
    assert "NearLatLong" in twilio_400(raw, "GET", path)


def test_ending_a_crowded_conference_answers(sandbox: Sandbox, raw: Raw) -> None:
    """Each participant kicked used to end the conference again from inside the loop that
    ended it: a level of recursion each, so 400 participants answered 500."""
    form = {"To": "+15558675310", "From": "+15017122661", "Twiml": CONFERENCE_TWIML}
    assert raw("POST", f"{raw.a}/Calls.json", form).status == 201
    sandbox.advance(5)
    conference = raw("GET", f"{raw.a}/Conferences.json?Status=in-progress").json()
    sid = conference["conferences"][0]["sid"]
    for i in range(400):
        leg = {"From": "+15017122661", "To": f"+1555{i:07d}", "EndConferenceOnExit": "true"}
        assert raw("POST", f"{raw.a}/Conferences/{sid}/Participants.json", leg).status == 201
    first = raw("GET", f"{raw.a}/Conferences/{sid}/Participants.json?PageSize=1").json()
    call_sid = first["participants"][0]["call_sid"]
    assert raw("DELETE", f"{raw.a}/Conferences/{sid}/Participants/{call_sid}.json").status == 204
    assert raw("GET", f"{raw.a}/Conferences/{sid}.json").json()["status"] == "completed"
    assert raw("GET", f"{raw.a}/Conferences/{sid}/Participants.json").json()["participants"] == []


# --- slow clients ------------------------------------------------------------------------------

LIMIT = 1.0  # request_timeout and idle_timeout of the sandbox below
BOUND = LIMIT + 1.5  # what the tests allow for the server to act on it


@pytest.fixture(scope="module")
def strict() -> Iterator[Sandbox]:
    with Sandbox(request_timeout=LIMIT, idle_timeout=LIMIT) as sb:
        yield sb


def connect(sandbox: Sandbox) -> socket.socket:
    port = int(sandbox.base_url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(BOUND + 5)  # the test's own bound: the server must act before this
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes (an error, not a timeout, if it resets)."""
    out = b""
    try:
        while chunk := sock.recv(65536):
            out += chunk
    except ConnectionResetError:
        pass
    return out


def trickle(sock: socket.socket, data: bytes, stop: threading.Event) -> None:
    for i in range(len(data)):
        if stop.is_set():
            return
        try:
            sock.sendall(data[i : i + 1])
        except OSError:
            return  # cut off: what the test wants
        time.sleep(0.1)


def timed(sock: socket.socket, data: bytes) -> tuple[bytes, float]:
    """Trickle ``data`` (a byte every 0.1 s) and read the answer: (answer, seconds)."""
    stop = threading.Event()
    sender = threading.Thread(target=trickle, args=(sock, data, stop), daemon=True)
    started = time.monotonic()
    sender.start()
    answer = read_all(sock)
    elapsed = time.monotonic() - started
    stop.set()
    sender.join()
    sock.close()
    return answer, elapsed


def status_and_code(answer: bytes) -> tuple[int, int]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)["code"]


def test_an_idle_connection_is_closed(strict: Sandbox) -> None:
    answer, elapsed = timed(connect(strict), b"")
    assert answer == b""
    assert LIMIT * 0.8 <= elapsed < BOUND


def test_trickled_headers_are_cut_off(strict: Sandbox) -> None:
    head = b"GET /2010-04-01/Accounts.json HTTP/1.1\r\n"
    sock = connect(strict)
    sock.sendall(head)
    answer, elapsed = timed(sock, b"Host: x\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n")
    assert elapsed < BOUND
    assert status_and_code(answer) == (408, 20001)


def test_a_trickled_request_line_is_cut_off(strict: Sandbox) -> None:
    answer, elapsed = timed(connect(strict), b"GET /2010-04-01/Accounts.json HTTP/1.1\r\n\r\n")
    assert answer == b"" and elapsed < BOUND


def test_a_slow_body_is_cut_off(strict: Sandbox) -> None:
    sock = connect(strict)
    sock.sendall(b"POST /2010-04-01/Accounts.json HTTP/1.1\r\nContent-Length: 500\r\n\r\n")
    answer, elapsed = timed(sock, b"F" * 500)
    assert elapsed < BOUND
    assert status_and_code(answer) == (408, 20001)


def test_a_request_line_without_a_version_answers_at_once(strict: Sandbox) -> None:
    sock = connect(strict)
    sock.settimeout(2)
    started = time.monotonic()
    sock.sendall(b"GET /\r\n")
    answer = read_all(sock)
    assert time.monotonic() - started < 2
    assert status_and_code(answer) == (400, 20001)
    sock.close()


def test_slow_clients_do_not_starve_the_others(strict: Sandbox) -> None:
    slow = [connect(strict) for _ in range(20)]
    for sock in slow:
        sock.sendall(b"GET /2010-04-01/Acc")
    client = strict.client()
    started = time.monotonic()
    for _ in range(5):
        assert Account.objects.using(client).count() == 1
    assert time.monotonic() - started < LIMIT
    for sock in slow:
        sock.close()


def test_a_pooled_client_carries_on_after_its_idle_connection_was_closed(
    strict: Sandbox,
) -> None:
    client = strict.client()
    assert Account.objects.using(client).count() == 1
    time.sleep(LIMIT + 0.5)  # the server closes the pooled connection meanwhile
    assert Account.objects.using(client).count() == 1


def test_connections_over_the_limit_get_503() -> None:
    with Sandbox(max_connections=2, idle_timeout=LIMIT) as sandbox:
        held = [connect(sandbox) for _ in range(2)]
        time.sleep(0.2)  # both accepted
        extra = connect(sandbox)
        assert status_and_code(read_all(extra)) == (503, 20503)
        for sock in held:
            assert read_all(sock) == b""  # idle: closed, and their places freed
        assert Account.objects.using(sandbox.client()).count() == 1


# --- API keys ----------------------------------------------------------------------------------


def test_a_standard_api_key_cannot_list_or_create_signing_keys(sandbox: Sandbox) -> None:
    owner = sandbox.client()
    key = NewKey.objects.using(owner).create(friendly_name="deploy")
    signing = NewSigningKey.objects.using(owner).create(friendly_name="webhooks")
    keyed = twiliorm.Client(
        sandbox.account_sid, api_key=key.sid, api_secret=key.secret, base_url=sandbox.base_url
    )
    assert Message.objects.using(keyed).count() >= 0  # the key works elsewhere
    attempts: list[Callable[[], object]] = [
        lambda: list(SigningKey.objects.using(keyed).all()),
        lambda: NewSigningKey.objects.using(keyed).create(friendly_name="by a key"),
        lambda: SigningKey.objects.using(keyed).get(sid=signing.sid),
        lambda: list(Key.objects.using(keyed).all()),  # as for keys already
    ]
    for attempt in attempts:
        with pytest.raises(AuthenticationError) as caught:
            attempt()
        assert (caught.value.status, caught.value.code) == (401, 20003)
    names = [k.friendly_name for k in SigningKey.objects.using(owner).all()]
    assert "webhooks" in names and "by a key" not in names
