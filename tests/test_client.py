"""Client configuration: credentials, API keys, base URL, headers, the default client."""

from __future__ import annotations

import base64
import http.server
import threading

import pytest

import twiliorm
from twiliorm import ConfigurationError, Message, NewKey
from twiliorm.client import USER_AGENT, default_client, set_default_client
from twiliorm.sandbox import Sandbox

from .helpers import record

AC = "AC" + "1" * 32


def test_credentials_come_from_arguments_or_the_environment() -> None:
    env = {"TWILIO_ACCOUNT_SID": AC, "TWILIO_AUTH_TOKEN": "secret-token"}
    client = twiliorm.Client(environ=env)
    assert client.account_sid == AC
    assert client.base_url == "https://api.twilio.com"
    explicit = twiliorm.Client(AC, "other", environ={})
    assert explicit.account_sid == AC


def test_base_url_from_the_environment() -> None:
    env = {
        "TWILIO_ACCOUNT_SID": AC,
        "TWILIO_AUTH_TOKEN": "t",
        "TWILIO_API_BASE_URL": "http://127.0.0.1:9/",
    }
    assert twiliorm.Client(environ=env).base_url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"TWILIO_ACCOUNT_SID": AC},
        {"TWILIO_AUTH_TOKEN": "t"},
        {"TWILIO_ACCOUNT_SID": AC, "TWILIO_API_KEY": "SK1"},
    ],
)
def test_missing_credentials_name_what_to_set(env: dict[str, str]) -> None:
    with pytest.raises(ConfigurationError) as info:
        twiliorm.Client(environ=env)
    text = str(info.value)
    assert "TWILIO_ACCOUNT_SID" in text and "TWILIO_AUTH_TOKEN" in text and "TWILIO_API_KEY" in text


def test_plain_http_is_refused_for_remote_hosts() -> None:
    with pytest.raises(ConfigurationError) as info:
        twiliorm.Client(AC, "t", base_url="http://api.example.com")
    assert "https" in str(info.value)
    assert twiliorm.Client(AC, "t", base_url="http://api.example.com", allow_insecure_http=True)
    assert twiliorm.Client(AC, "t", base_url="http://localhost:8008")
    with pytest.raises(ConfigurationError):
        twiliorm.Client(AC, "t", base_url="ftp://api.twilio.com")


def test_repr_names_the_account_but_never_the_token() -> None:
    client = twiliorm.Client(AC, "super-secret-token")
    assert AC in repr(client)
    assert "super-secret-token" not in repr(client) + str(client)


def test_requests_carry_basic_auth_and_a_twiliorm_user_agent() -> None:
    seen: list[dict[str, str]] = []

    class Capture(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(dict(self.headers.items()))
            body = b'{"messages": [], "next_page_uri": null}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.handle_request, daemon=True).start()
    client = twiliorm.Client(AC, "tok", base_url=f"http://127.0.0.1:{server.server_address[1]}")
    assert list(Message.objects.using(client).all()) == []
    server.server_close()
    headers = {k.lower(): v for k, v in seen[0].items()}
    assert headers["user-agent"] == USER_AGENT and USER_AGENT.startswith(
        f"twiliorm/{twiliorm.__version__}"
    )
    expected = base64.b64encode(f"{AC}:tok".encode()).decode()
    assert headers["authorization"] == f"Basic {expected}"
    assert headers["accept"] == "application/json"


def test_api_key_and_secret_authenticate_for_the_account(
    sandbox: Sandbox, client: twiliorm.Client
) -> None:
    key = NewKey.objects.create(friendly_name="ci")
    assert key.sid.startswith("SK") and key.secret
    env = {
        "TWILIO_ACCOUNT_SID": sandbox.account_sid,
        "TWILIO_API_KEY": key.sid,
        "TWILIO_API_SECRET": key.secret,
        "TWILIO_API_BASE_URL": sandbox.base_url,
    }
    with_key = twiliorm.Client(environ=env)
    assert "api_key" in repr(with_key) and key.secret not in repr(with_key)
    Message.objects.using(with_key).create(to="+15558675310", from_="+15017122661", body="via key")
    assert Message.objects.count() == 1


def test_form_posts_repeat_keys_for_list_parameters(client: twiliorm.Client) -> None:
    sent = record(client)
    Message.objects.create(
        to="+15558675310",
        from_="+15017122661",
        body="two pictures",
        media_url=["https://example.com/1.png", "https://example.com/2.png"],
    )
    form = list(sent.requests[-1].fields)
    assert [v for k, v in form if k == "MediaUrl"] == [
        "https://example.com/1.png",
        "https://example.com/2.png",
    ]
    assert ("To", "+15558675310") in form and ("From", "+15017122661") in form


def test_empty_form_values_are_sent(client: twiliorm.Client) -> None:
    msg = Message.objects.create(to="+15558675310", from_="+15017122661", body="secret")
    msg.refresh()
    sent = record(client)
    msg.body = ""
    msg.save()
    assert list(sent.requests[-1].fields) == [("Body", "")]
    assert Message.objects.get(sid=msg.sid).body == ""


def test_connect_sets_the_default_client(sandbox: Sandbox) -> None:
    client = twiliorm.connect(sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url)
    assert default_client() is client
    assert Message.objects.count() == 0
    set_default_client(None)


def test_a_default_client_is_built_from_the_environment(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", sandbox.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", sandbox.auth_token)
    monkeypatch.setenv("TWILIO_API_BASE_URL", sandbox.base_url)
    assert Message.objects.count() == 0
    assert default_client().base_url == sandbox.base_url
