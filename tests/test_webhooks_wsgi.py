"""The WSGI helper and middleware, end to end over loopback HTTP (wsgiref + urllib3)."""

from __future__ import annotations

import io
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import urllib3
from twilio.request_validator import RequestValidator as OfficialValidator

from twiliorm.webhooks import WebhookValidator, body_sha256, parse_callback, wsgi_url
from twiliorm.webhooks.wsgi import (
    PARAMS_KEY,
    SignatureMiddleware,
    content_length,
    read_body,
    validate_request,
)

TOKEN = "wsgi-test-token-0123456789abcdef"
FORM = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "To": "+15558675310"}


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Hooks:
    """A loopback WSGI server running ``SignatureMiddleware`` around a recording app."""

    def __init__(self, **options: Any) -> None:
        self.seen: list[dict[str, Any]] = []
        app = SignatureMiddleware(self.app, **options)
        self.server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()
        self.http = urllib3.PoolManager(retries=False)

    def app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.seen.append({"body": body, "params": environ.get(PARAMS_KEY)})
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    def post(self, path: str, form: dict[str, str], signature: str, **headers: str) -> int:
        answer = self.http.request(
            "POST",
            self.base + path,
            body=urllib.parse.urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
                **headers,
            },
        )
        return answer.status

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)
        self.http.clear()


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    server = Hooks(auth_token=TOKEN)
    yield server
    server.close()


def sign(url: str, params: object) -> str:
    return str(OfficialValidator(TOKEN).compute_signature(url, params))


def test_a_signed_form_passes_and_the_app_reads_the_body_again(hooks: Hooks) -> None:
    url = hooks.base + "/status?attempt=1"
    assert hooks.post("/status?attempt=1", FORM, sign(url, FORM)) == 200
    (seen,) = hooks.seen
    assert urllib.parse.parse_qs(seen["body"].decode())["MessageStatus"] == ["delivered"]
    assert parse_callback(seen["params"]).sid == FORM["MessageSid"]


def test_a_bad_signature_gets_403_and_never_reaches_the_app(hooks: Hooks) -> None:
    url = hooks.base + "/status"
    signature = sign(url, FORM)
    assert hooks.post("/status", {**FORM, "MessageStatus": "failed"}, signature) == 403
    assert hooks.post("/other", FORM, signature) == 403
    assert hooks.post("/status", FORM, "") == 403
    assert hooks.seen == []


def test_a_json_body_with_bodysha256(hooks: Hooks) -> None:
    body = json.dumps({"status": "delivered"}).encode()
    path = f"/events?bodySHA256={body_sha256(body)}"
    signature = sign(hooks.base + path, {})
    headers = {"Content-Type": "application/json", "X-Twilio-Signature": signature}
    ok = hooks.http.request("POST", hooks.base + path, body=body, headers=headers)
    assert ok.status == 200
    assert hooks.seen[0]["params"] == body
    tampered = hooks.http.request("POST", hooks.base + path, body=body + b" ", headers=headers)
    assert tampered.status == 403


def test_a_body_no_signature_covers_is_refused(hooks: Hooks) -> None:
    signature = sign(hooks.base + "/events", {})
    headers = {"Content-Type": "application/json", "X-Twilio-Signature": signature}
    answer = hooks.http.request("POST", hooks.base + "/events", body=b'{"a": 1}', headers=headers)
    assert answer.status == 403


def test_a_get_webhook_signs_the_url_alone(hooks: Hooks) -> None:
    path = "/voice?" + urllib.parse.urlencode(FORM)
    signature = sign(hooks.base + path, {})
    answer = hooks.http.request("GET", hooks.base + path, headers={"X-Twilio-Signature": signature})
    assert answer.status == 200


def test_behind_a_proxy_only_when_trusted() -> None:
    public = "https://hooks.example.com/status"
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "hooks.example.com"}
    trusting = Hooks(auth_token=TOKEN, trust_forwarded=True)
    wary = Hooks(auth_token=TOKEN)
    try:
        assert trusting.post("/status", FORM, sign(public, FORM), **headers) == 200
        assert wary.post("/status", FORM, sign(public, FORM), **headers) == 403
    finally:
        trusting.close()
        wary.close()


def test_paths_limit_the_check_and_large_bodies_get_413() -> None:
    hooks = Hooks(auth_token=TOKEN, paths=["/twilio/"], max_body=100)
    try:
        assert hooks.post("/health", {}, "") == 200
        assert hooks.post("/twilio/status", {"Body": "x" * 200}, "") == 413
        assert hooks.post("/twilio/status", FORM, "") == 403
    finally:
        hooks.close()


def test_a_trusted_chain_of_proxies_signs_with_the_value_the_proxies_vouch_for() -> None:
    public = "https://hooks.example.com/status"
    forged = "https://forged.example/status"
    headers = {
        "X-Forwarded-Proto": "https, https",
        "X-Forwarded-Host": "forged.example, hooks.example.com, lb.internal",
    }
    two = Hooks(auth_token=TOKEN, trust_forwarded=2)
    try:
        assert two.post("/status", FORM, sign(public, FORM), **headers) == 200
        assert two.post("/status", FORM, sign(forged, FORM), **headers) == 403
    finally:
        two.close()


# --- which paths the middleware checks, and malformed lengths --------------------------


def call(app: Any, env: dict[str, Any]) -> str:
    """The status line ``app`` answers the WSGI request ``env`` with."""
    statuses: list[str] = []
    b"".join(app(env, lambda status, headers, exc_info=None: statuses.append(status)))
    return statuses[0]


def passing(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [])
    return [b"ok"]


@pytest.mark.parametrize(
    ("entry", "checked", "unchecked"),
    [
        ("/sms", ["/sms", "/sms/", "/sms/status", "/sms/a/b"], ["/smsx", "/sm", "/", "/SMS"]),
        ("/sms/", ["/sms", "/sms/", "/sms/status"], ["/smsx", "/other/sms"]),
        ("/", ["/", "/anything", "/a/b"], []),
        (
            "/twilio/voice",
            ["/twilio/voice", "/public/../twilio/voice", "//twilio//voice/x", "/twilio/./voice"],
            ["/twilio", "/twilio/voicemail", "/twilio/sms"],
        ),
    ],
)
def test_what_paths_covers(entry: str, checked: list[str], unchecked: list[str]) -> None:
    app = SignatureMiddleware(passing, auth_token=TOKEN, paths=[entry])
    for path in checked:
        assert call(app, environ(PATH_INFO=path)).startswith("403"), path
    for path in unchecked:
        assert call(app, environ(PATH_INFO=path)).startswith("200"), path


def test_paths_count_script_name_and_refuse_what_would_never_match() -> None:
    app = SignatureMiddleware(passing, auth_token=TOKEN, paths=["/app/sms"])
    assert call(app, environ(SCRIPT_NAME="/app", PATH_INFO="/sms")).startswith("403")
    for entry in ("sms", "/sms*", "/twilio/*", ""):
        with pytest.raises(ValueError, match="paths"):
            SignatureMiddleware(passing, auth_token=TOKEN, paths=[entry])


@pytest.mark.parametrize(
    "length", ["\u0663", "\u00b2", "-1", "1e3", "0x10", "12 13", "+5", "\u0665\u0665"]
)
def test_a_malformed_content_length_is_400(length: str) -> None:
    body = urllib.parse.urlencode(FORM).encode()
    env = environ(
        CONTENT_LENGTH=length,
        CONTENT_TYPE="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=sign("http://app.internal:8000/status", FORM),
        **{"wsgi.input": io.BytesIO(body)},
    )
    assert call(SignatureMiddleware(passing, auth_token=TOKEN), dict(env)) == "400 Bad Request"
    assert read_body(dict(env)) is None
    assert not validate_request(dict(env), WebhookValidator(TOKEN))
    with pytest.raises(ValueError, match="Content-Length"):
        content_length(env)
    assert content_length(environ(CONTENT_LENGTH=" 12 ")) == 12
    assert content_length(environ(CONTENT_LENGTH="")) is None


def test_a_malformed_content_length_on_the_wire_is_400(hooks: Hooks) -> None:
    # "\xb2" is "²" once the server decodes the header as latin-1: isdigit() yet no int().
    with socket.create_connection(("127.0.0.1", hooks.server.server_port), timeout=5) as conn:
        conn.sendall(b"POST /status HTTP/1.0\r\nHost: x\r\nContent-Length: \xb2\r\n\r\nab")
        answer = conn.makefile("rb").readline()
    assert answer.split()[1] == b"400"
    assert hooks.seen == []


def test_sub_account_tokens_through_the_middleware() -> None:
    sub, sub_token = "AC" + "b" * 32, "s" * 32
    hooks = Hooks(auth_token=TOKEN, accounts={sub: sub_token})
    try:
        form = {**FORM, "AccountSid": sub}
        url = hooks.base + "/status"
        good = OfficialValidator(sub_token).compute_signature(url, form)
        assert hooks.post("/status", form, good) == 200
        assert hooks.post("/status", form, sign(url, form)) == 403
    finally:
        hooks.close()


# --- the pieces, on hand-made environs ---------------------------------------


def environ(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "REQUEST_METHOD": "POST",
        "wsgi.url_scheme": "http",
        "SERVER_NAME": "app.internal",
        "SERVER_PORT": "8000",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/status",
        "QUERY_STRING": "",
        "wsgi.input": io.BytesIO(b""),
    }
    base.update(values)
    return base


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, "http://app.internal:8000/status"),
        ({"HTTP_HOST": "example.com"}, "http://example.com/status"),
        ({"SERVER_PORT": "80"}, "http://app.internal/status"),
        ({"wsgi.url_scheme": "https", "SERVER_PORT": "443"}, "https://app.internal/status"),
        (
            {"SCRIPT_NAME": "/app", "QUERY_STRING": "a=1&b=%20"},
            "http://app.internal:8000/app/status?a=1&b=%20",
        ),
        ({"PATH_INFO": "/caf\xc3\xa9 x"}, "http://app.internal:8000/caf%C3%A9%20x"),
        ({"PATH_INFO": "/a:b@c+d"}, "http://app.internal:8000/a:b@c+d"),
        ({"RAW_URI": "/sta%74us?x=1"}, "http://app.internal:8000/sta%74us?x=1"),
    ],
)
def test_wsgi_url(values: dict[str, Any], expected: str) -> None:
    assert wsgi_url(environ(**values)) == expected


def test_read_body_is_bounded_and_put_back() -> None:
    env = environ(CONTENT_LENGTH="5", **{"wsgi.input": io.BytesIO(b"hello, more")})
    assert read_body(env) == b"hello"
    assert env["wsgi.input"].read() == b"hello"
    big = environ(CONTENT_LENGTH="10", **{"wsgi.input": io.BytesIO(b"x" * 10)})
    assert read_body(big, max_bytes=9) is None
    endless = environ(**{"wsgi.input": io.BytesIO(b"x" * 10), "wsgi.input_terminated": True})
    assert read_body(endless, max_bytes=9) is None
    no_length = environ(**{"wsgi.input": io.BytesIO(b"x" * 10)})
    assert read_body(no_length) == b""


def test_validate_request_on_an_environ() -> None:
    body = urllib.parse.urlencode(FORM).encode()
    url = "http://app.internal:8000/status"
    env = environ(
        CONTENT_LENGTH=str(len(body)),
        CONTENT_TYPE="application/x-www-form-urlencoded; charset=utf-8",
        HTTP_X_TWILIO_SIGNATURE=sign(url, FORM),
        **{"wsgi.input": io.BytesIO(body)},
    )
    assert validate_request(env, WebhookValidator(TOKEN))
    assert dict(env[PARAMS_KEY]) == FORM


def test_a_query_that_only_mentions_body_sha256_is_still_a_form(hooks: Hooks) -> None:
    path = "/status?notbodySHA256=1"
    assert hooks.post(path, FORM, sign(hooks.base + path, FORM)) == 200
    assert hooks.seen[-1]["params"] is not None
