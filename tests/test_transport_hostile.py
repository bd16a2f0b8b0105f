"""The transport against hostile or odd servers: Retry-After in any form, trickled headers,
and error excerpts cut off inside a credential.

Servers are real, on loopback (the scripted server of ``test_retry``); pauses urllib3
asks for are recorded instead of slept.
"""

from __future__ import annotations

import email.utils
import functools
import json
import re
import time
import types
from typing import Any

import pytest
import urllib3
from hypothesis import given, settings
from hypothesis import strategies as st
from urllib3.exceptions import NewConnectionError, ProtocolError
from urllib3.util.retry import RequestHistory

import twiliorm
from twiliorm import logs
from twiliorm.exceptions import DecodeError, TwiliormError
from twiliorm.transport import (
    DEFAULT_RETRY,
    Request,
    Response,
    TwilioRetry,
    _may_have_landed,
    raise_for_status,
    retry_after_seconds,
)

from .test_retry import (
    MESSAGE,
    MESSAGES,
    ScriptedHandler,
    ScriptedServer,
    Step,
    client_for,
    error,
    ok,
)


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    asked: list[float] = []
    clock = types.SimpleNamespace(sleep=asked.append, time=time.time)
    monkeypatch.setattr(urllib3.util.retry, "time", clock)
    return asked


def _in(seconds: float) -> str:
    return email.utils.formatdate(time.time() + seconds, usegmt=True)


# --- Retry-After --------------------------------------------------------------------------------


def test_retry_after_in_every_form_is_honoured_and_capped(sleeps: list[float]) -> None:
    after = ["1.5", _in(30), " 0.25 ", "7200.5", "Sun, 06 Nov 1994 08:49:37 GMT"]
    script = [error(429 if i % 2 else 503, **{"Retry-After": a}) for i, a in enumerate(after)]
    with ScriptedServer([*script, ok()]) as server:
        client_for(server).get_json(MESSAGE)
    assert sleeps[0] == 1.5 and 28 <= sleeps[1] <= 30 and sleeps[2:4] == [0.25, 60]
    assert len(sleeps) == 5 and 0.25 <= sleeps[4] <= 20.25  # a date past: the backoff


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_unreadable_retry_after_falls_back_to_the_backoff(
    method: str, sleeps: list[float]
) -> None:
    garbage = ["soon", "-3", "nan", "inf", "1e3", "9" * 400, "Wed, 99 Foo 2024", "1,5"]
    script = [error(429, **{"Retry-After": g}) for g in garbage]
    policy = DEFAULT_RETRY.new(total=len(garbage), status=len(garbage))
    with ScriptedServer([*script, ok(201)]) as server:
        client = client_for(server, retry=policy)
        client.request(method, MESSAGES if method == "POST" else MESSAGE)
    jitter = DEFAULT_RETRY.backoff_jitter
    assert len(sleeps) == len(garbage) and all(0.25 <= s <= 20 + jitter for s in sleeps)


def test_a_post_refused_with_429_is_never_said_to_have_reached_twilio(sleeps: list[float]) -> None:
    refusal = error(429, **{"Retry-After": "whenever"})
    with ScriptedServer([], default=refusal) as server:
        client = client_for(server, retry=TwilioRetry(total=2, status_forcelist=[429]))
        with pytest.raises(twiliorm.RateLimitError) as e:
            client.post_json(MESSAGES, [("To", "+15005550006")])
    assert "may have reached" not in str(e.value) and not e.value.retried
    assert server.methods() == ["POST"] * 3


def test_a_post_resent_after_429_waits_the_fraction_asked(sleeps: list[float]) -> None:
    with ScriptedServer([error(429, **{"Retry-After": "1.5"}), ok(201)]) as server:
        client_for(server).post_json(MESSAGES, [("To", "+15005550006")])
    assert sleeps == [1.5] and server.methods() == ["POST", "POST"]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("2", 2.0), ("1.5", 1.5), (" 3 ", 3.0), (".5", 0.5), ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0),
     ("Sunday, 06-Nov-94 08:49:37 GMT", 0.0), ("Sun Nov  6 08:49:37 1994", 0.0),
     ("soon", None), ("", None), ("-1", None), ("nan", None), ("1" * 400, None), (None, None)],
)  # fmt: skip
def test_the_error_carries_retry_after_in_seconds_whatever_its_form(
    value: str | None, seconds: float | None
) -> None:
    headers = {} if value is None else {"Retry-After": value}
    answer = Response(429, headers, b'{"code": 20429, "message": "Too Many Requests"}')
    with pytest.raises(twiliorm.RateLimitError) as e:
        raise_for_status(Request("POST", "http://h/x.json"), answer)
    assert e.value.retry_after == seconds
    assert retry_after_seconds(value) == seconds


def test_an_http_date_gives_the_seconds_until_then() -> None:
    assert 58 <= (retry_after_seconds(_in(60)) or 0) <= 60


def test_only_a_retry_after_429_or_a_failed_connection_proves_nothing_was_processed() -> None:
    refused = RequestHistory("POST", "/x", NewConnectionError(None, "no"), None, None)  # type: ignore[arg-type]
    limited = RequestHistory("POST", "/x", None, 429, None)
    dropped = RequestHistory("GET", "/x", ProtocolError("dropped"), None, None)
    assert not _may_have_landed(DEFAULT_RETRY.new(history=(refused, limited)))
    assert _may_have_landed(DEFAULT_RETRY.new(history=(refused, dropped, limited)))


# --- one deadline per answer ------------------------------------------------------------------


def _trickled_headers(every: float, for_at_most: float) -> Step:
    """An answer whose status line and headers come one byte at a time."""

    def step(h: ScriptedHandler) -> None:
        head = (
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Pad: "
            + b"p" * 200
            + b"\r\nContent-Length: 2\r\n\r\n{}"
        )
        started = time.monotonic()
        h.close_connection = True
        try:
            for i in range(len(head)):
                h.wfile.write(head[i : i + 1])
                h.wfile.flush()
                if time.monotonic() - started < for_at_most:
                    time.sleep(every)
        except OSError:
            pass  # the client gave up, as it should

    return step


@pytest.mark.parametrize(
    ("method", "timeout", "bound"),
    [("GET", 1.0, 1.0), ("POST", 1.0, 1.0), ("GET", urllib3.Timeout(total=1.2, read=9), 1.2)],
)  # fmt: skip
def test_trickled_headers_cannot_hold_a_call_past_its_timeout(
    method: str, timeout: Any, bound: float
) -> None:
    with ScriptedServer([], default=_trickled_headers(every=0.3, for_at_most=8)) as server:
        client = client_for(server, timeout=timeout, retry=False)
        started = time.monotonic()
        with pytest.raises(twiliorm.TransportError, match="timed out") as e:
            client.request(method, MESSAGES)
        elapsed = time.monotonic() - started
    assert elapsed < bound + 1.0, elapsed  # a margin for a loaded machine; unbounded is 8 s+
    assert re.search(r"none complete within (1|1\.[12]|1\.1\d) s", str(e.value)), str(e.value)


def test_a_connection_reused_after_a_bounded_answer_gets_its_full_time() -> None:
    slow_enough: Step = lambda h: (time.sleep(0.4), ok()(h))  # type: ignore[func-returns-value]  # noqa: E731
    with ScriptedServer([ok(), ok()], default=slow_enough) as server:
        client = client_for(server, timeout=1.0, retry=False)
        for _ in range(4):
            client.get_json(MESSAGE)
    assert len(server.seen) == 4


# --- excerpts never carry a credential ---------------------------------------------------------

SECRET_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no run of 5 of these elsewhere in an excerpt
JSON_KEYS = ["auth_token", "secret", "password", "sip_auth_password", "api_secret", "token"]
XML_KEYS = ["AuthToken", "Secret", "Password", "SipAuthPassword"]
REQUEST = Request("GET", "http://h/x.json")


def _body(secret: str, key: str, pad: int, xml: bool) -> bytes:
    if xml:
        tag = XML_KEYS[len(key) % len(XML_KEYS)]
        text = f"<TwilioResponse><Pad>{'.' * pad}</Pad><Account><{tag}>{secret}</{tag}>"
        return (text + "<Status>active</Status></Account></TwilioResponse>").encode()
    account = {"sid": "ac" + "f" * 32, key: secret, "friendly_name": "main", "status": "active"}
    return json.dumps({"pad": "." * pad, "account": account}).encode()


def _excerpts(piece: bytes) -> list[str]:
    shown = [logs.redact(piece), logs.redact(piece, limit=60)]
    for status in (200, 401, 500):
        answer = Response(status, {}, piece)
        for read in (answer.json, functools.partial(raise_for_status, REQUEST, answer)):
            try:
                read()
            except (DecodeError, TwiliormError) as exc:
                shown += [str(exc), repr(exc)]
    return shown


@settings(max_examples=40)
@given(
    secret=st.text(SECRET_CHARS, min_size=8, max_size=40),
    key=st.sampled_from(JSON_KEYS),
    pad=st.integers(0, 220),
    xml=st.booleans(),
)
def test_an_excerpt_cut_anywhere_never_shows_a_credential(
    secret: str, key: str, pad: int, xml: bool
) -> None:
    body = _body(secret, key, pad, xml)
    start = body.index(secret.encode())
    for cut in range(len(body) + 1):
        visible = secret[: max(0, cut - start)]
        parts = {visible[i : i + 5] for i in range(len(visible) - 4)}
        for text in _excerpts(body[:cut]):
            assert not any(part in text for part in parts), (cut, text)
