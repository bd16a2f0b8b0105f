"""Regions, edges and user agent extensions, as Twilio's official client defines them.

No network: a function-backed transport records each request the client sends.
The official client (``twilio``, in the test extra) is the reference for the
host rules and the User-Agent's extensions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from twilio.base.client_base import ClientBase

import twiliorm
from twiliorm import Message
from twiliorm.client import USER_AGENT, get_client, regional_url, set_client
from twiliorm.transport import FunctionTransport, Request, Response

ACCOUNT = "AC" + "1" * 32
TOKEN = "regions-token-4d2e"
SID = "SM" + "2" * 32
MESSAGE_JSON = (
    f'{{"sid": "{SID}", "account_sid": "{ACCOUNT}", "body": "hi", "status": "queued"}}'
).encode()


class Recorder(FunctionTransport):
    """Answers every request with one message, keeping the requests."""

    def __init__(self) -> None:
        self.sent: list[Request] = []
        super().__init__(self._answer)

    def _answer(self, request: Request) -> Response:
        self.sent.append(request)
        return Response(200, {"Content-Type": "application/json"}, MESSAGE_JSON)


def client(
    environ: dict[str, str] | None = None, **options: Any
) -> tuple[twiliorm.Client, Recorder]:
    recorder = Recorder()
    env = {"TWILIO_ACCOUNT_SID": ACCOUNT, "TWILIO_AUTH_TOKEN": TOKEN, **(environ or {})}
    return twiliorm.Client(transport=recorder, environ=env, **options), recorder


def official(url: str, region: str | None, edge: str | None) -> str:
    reference = ClientBase(ACCOUNT, TOKEN, region=region, edge=edge, environment={"HOME": "/"})
    return str(reference.get_hostname(url))


# --- the host ------------------------------------------------------------------------------------

HOSTS = [
    "https://api.twilio.com",
    "https://api.ie1.twilio.com",
    "https://api.dublin.ie1.twilio.com",
    "https://api.twilio.com/2010-04-01",
    "https://api.twilio.com:8443",
]
SETTINGS = [("ie1", None), (None, "sydney"), ("au1", "sydney"), (None, None), ("us1", None)]


@pytest.mark.parametrize("url", HOSTS)
@pytest.mark.parametrize(("region", "edge"), SETTINGS)
def test_regional_hosts_follow_the_official_client(
    url: str, region: str | None, edge: str | None
) -> None:
    assert regional_url(url, region, edge) == official(url, region, edge)


@pytest.mark.parametrize(
    ("region", "edge", "host"),
    [
        ("ie1", None, "api.ie1.twilio.com"),  # a region alone: no edge
        (None, "sydney", "api.sydney.us1.twilio.com"),  # an edge alone: region us1
        ("au1", "sydney", "api.sydney.au1.twilio.com"),
        (None, None, "api.twilio.com"),
    ],
)
def test_requests_go_to_the_regional_host(region: str | None, edge: str | None, host: str) -> None:
    c, recorder = client(region=region, edge=edge)
    assert Message.objects.using(c).get(sid=SID).body == "hi"
    assert c.base_url == f"https://{host}"
    assert (
        recorder.sent[0].url == f"https://{host}/2010-04-01/Accounts/{ACCOUNT}/Messages/{SID}.json"
    )


def test_the_environment_sets_region_and_edge() -> None:
    c, recorder = client({"TWILIO_REGION": "au1", "TWILIO_EDGE": "sydney"})
    c.get_json("/2010-04-01/Accounts.json")
    assert recorder.sent[0].url.startswith("https://api.sydney.au1.twilio.com/2010-04-01/")
    assert (c.region, c.edge) == ("au1", "sydney")


def test_the_process_environment_sets_them_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.delenv("TWILIO_EDGE", raising=False)
    monkeypatch.delenv("TWILIO_API_BASE_URL", raising=False)
    assert twiliorm.Client(transport=Recorder()).base_url == "https://api.ie1.twilio.com"


@pytest.fixture
def forget_marketing() -> Iterator[None]:
    yield
    set_client("marketing", None)


def test_an_alias_reads_its_own_region(
    monkeypatch: pytest.MonkeyPatch, forget_marketing: None
) -> None:
    for name in list(os.environ):
        if name.startswith("TWILIO_MARKETING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TWILIO_MARKETING_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_MARKETING_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("TWILIO_MARKETING_REGION", "au1")
    monkeypatch.setenv("TWILIO_REGION", "ie1")  # the default alias's, not this one's
    assert get_client("marketing").base_url == "https://api.au1.twilio.com"


def test_arguments_win_over_the_environment() -> None:
    c, _ = client({"TWILIO_REGION": "au1", "TWILIO_EDGE": "sydney"}, region="ie1", edge="dublin")
    assert c.base_url == "https://api.dublin.ie1.twilio.com"


def test_a_twilio_base_url_takes_the_region_and_keeps_what_it_names() -> None:
    c, _ = client(base_url="https://api.dublin.ie1.twilio.com", region="ie1")
    assert c.base_url == "https://api.dublin.ie1.twilio.com"
    c, _ = client({"TWILIO_API_BASE_URL": "https://api.twilio.com"}, region="ie1")
    assert c.base_url == "https://api.ie1.twilio.com"
    c.base_url = "https://api.twilio.com"  # set later: the client's region still applies
    assert c.base_url == "https://api.ie1.twilio.com"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "https://twilio.example.com", "https://api.twilio.com.evil.io"]
)
def test_a_base_url_elsewhere_is_left_as_it_is(url: str) -> None:
    # The sandbox or a gateway of yours: an explicit base URL outside twilio.com wins.
    c, recorder = client(base_url=url, region="ie1", edge="dublin")
    c.get_json("/2010-04-01/Accounts.json")
    assert c.base_url == url
    assert recorder.sent[0].url == url + "/2010-04-01/Accounts.json"


def test_links_stay_on_the_regional_host() -> None:
    c, _ = client(region="ie1")
    assert c.url("https://api.ie1.twilio.com/2010-04-01/x.json").startswith("https://api.ie1.")
    with pytest.raises(twiliorm.DecodeError, match="leads away"):
        c.url("https://api.twilio.com/2010-04-01/x.json")


@pytest.mark.parametrize("value", ["ie1.evil.io", "ie1/", "ie 1", "-ie1", "ie1:443", "é1"])
@pytest.mark.parametrize("what", ["region", "edge"])
def test_a_region_or_edge_is_one_host_label(what: str, value: str) -> None:
    with pytest.raises(twiliorm.ConfigurationError, match=f"a Twilio {what} is one host name"):
        client(None, **{what: value})
    with pytest.raises(twiliorm.ConfigurationError, match=what):
        client({f"TWILIO_{what.upper()}": value})


def test_region_and_edge_are_read_in_lower_case() -> None:
    c, _ = client(region="IE1", edge="Dublin")
    assert c.base_url == "https://api.dublin.ie1.twilio.com"


# --- the user agent ------------------------------------------------------------------------------


def test_user_agent_extensions_are_appended_as_the_official_client_appends_them() -> None:
    extensions = ["my-app/1.2", "worker (batch)"]
    c, recorder = client(user_agent_extensions=extensions)
    c.get_json("/2010-04-01/Accounts.json")
    sent = recorder.sent[0].headers or {}
    assert sent["User-Agent"] == f"{USER_AGENT} my-app/1.2 worker (batch)"
    theirs = ClientBase(ACCOUNT, TOKEN, user_agent_extensions=extensions).get_headers("GET", None)
    assert theirs["User-Agent"].endswith(" my-app/1.2 worker (batch)")
    assert c.user_agent == sent["User-Agent"]


def test_without_extensions_the_user_agent_is_twiliorms_own() -> None:
    c, recorder = client()
    c.get_json("/2010-04-01/Accounts.json")
    assert (recorder.sent[0].headers or {})["User-Agent"] == USER_AGENT


def test_a_lone_string_is_one_extension() -> None:
    c, _ = client(user_agent_extensions="my-app/1.2")
    assert c.user_agent == f"{USER_AGENT} my-app/1.2"


@pytest.mark.parametrize("bad", ["app/1\r\nX-Evil: 1", "", " app", "app\t1", "café/1", 12])
def test_an_extension_cannot_break_the_header(bad: Any) -> None:
    with pytest.raises(twiliorm.ConfigurationError, match="user agent extension"):
        client(user_agent_extensions=[bad])


def test_derive_keeps_region_and_user_agent() -> None:
    c = twiliorm.Client(ACCOUNT, TOKEN, environ={}, region="ie1", user_agent_extensions=["a/1"])
    twin = c.derive(retry=False)
    assert twin.base_url == "https://api.ie1.twilio.com"
    assert twin._sent_headers["User-Agent"] == f"{USER_AGENT} a/1"
