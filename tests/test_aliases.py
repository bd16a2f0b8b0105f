"""Client aliases, as Django's database aliases: connect(alias=), using("alias"), get_client().

Two sandboxes stand for two accounts over HTTP: "default" and "marketing".
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import twiliorm
from twiliorm import ConfigurationError, Message, Queue
from twiliorm.client import get_client, set_client, set_default_client
from twiliorm.sandbox import Sandbox

ALIASES = ("marketing", "sales-eu", "x")


@pytest.fixture(autouse=True)
def _forget_aliases() -> Iterator[None]:
    yield
    for alias in ALIASES:
        set_client(alias, None)


@pytest.fixture
def marketing() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


def connect(sandbox: Sandbox, **options: str) -> twiliorm.Client:
    return twiliorm.connect(
        sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url, **options
    )


def test_connect_registers_the_default_alias(sandbox: Sandbox) -> None:
    client = connect(sandbox)
    assert client.alias == "default"
    assert get_client() is get_client("default") is twiliorm.default_client() is client
    assert twiliorm.get_client is get_client


def test_a_named_client_answers_using_its_alias(sandbox: Sandbox, marketing: Sandbox) -> None:
    default = connect(sandbox)
    named = connect(marketing, alias="marketing")
    assert named.alias == "marketing" and twiliorm.default_client() is default
    Queue.objects.create(friendly_name="support")
    sid = Queue.objects.using("marketing").create(friendly_name="campaigns").sid

    assert [q.friendly_name for q in Queue.objects.all()] == ["support"]
    assert [q.friendly_name for q in Queue.objects.using("marketing")] == ["campaigns"]
    qs = Queue.objects.all().using("marketing")
    assert qs.client is named and qs.get(sid=sid).friendly_name == "campaigns"
    assert qs.using(default).count() == 1  # a Client still works, as before
    assert len(marketing.requests) == 3 and all(
        r.path.startswith(f"/2010-04-01/Accounts/{marketing.account_sid}/")
        for r in marketing.requests
    )


def test_an_unknown_alias_is_a_configuration_error_that_says_how(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TWILIO_SALES_EU_ACCOUNT_SID", raising=False)
    with pytest.raises(ConfigurationError) as raised:
        Message.objects.using("sales-eu")
    text = str(raised.value)
    assert "'sales-eu'" in text and "twiliorm.connect(..., alias='sales-eu')" in text
    assert "TWILIO_SALES_EU_ACCOUNT_SID" in text and "TWILIO_SALES_EU_AUTH_TOKEN" in text
    with pytest.raises(TypeError, match="non-empty string"):
        get_client("")


def test_an_alias_is_configured_from_its_environment(
    marketing: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_MARKETING_ACCOUNT_SID", marketing.account_sid)
    monkeypatch.setenv("TWILIO_MARKETING_AUTH_TOKEN", marketing.auth_token)
    monkeypatch.setenv("TWILIO_MARKETING_API_BASE_URL", marketing.base_url)
    monkeypatch.delenv("TWILIO_ACCOUNT_SID", raising=False)
    client = get_client("marketing")
    assert client.alias == "marketing" and client.base_url == marketing.base_url
    assert Queue.objects.using("marketing").create(friendly_name="env").sid
    assert get_client("marketing") is client  # made once, then registered


def test_an_alias_half_configured_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_MARKETING_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.delenv("TWILIO_MARKETING_AUTH_TOKEN", raising=False)
    with pytest.raises(ConfigurationError, match=r"client 'marketing' cannot be made.*AUTH_TOKEN"):
        get_client("marketing")


def test_the_default_alias_comes_from_the_twilio_environment(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", sandbox.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", sandbox.auth_token)
    monkeypatch.setenv("TWILIO_API_BASE_URL", sandbox.base_url)
    client = Message.objects.using("default").client
    assert client.alias == "default" and client is twiliorm.default_client()
    monkeypatch.delenv("TWILIO_ACCOUNT_SID")
    set_default_client(None)
    with pytest.raises(ConfigurationError, match=r"twiliorm\.connect\(\)"):
        get_client()


def test_a_client_knows_its_alias_while_it_is_registered(sandbox: Sandbox) -> None:
    plain = sandbox.client()
    assert plain.alias is None
    set_default_client(plain)
    assert plain.alias == "default" and plain.derive(retry=False).alias == "default"
    set_client("marketing", plain)  # a second alias: the first still names it
    assert plain.alias == "default"
    set_default_client(None)
    assert plain.alias == "marketing"
    other = connect(sandbox, alias="marketing")  # replaced: the old client has no alias left
    assert plain.alias is None and other.alias == "marketing"


def test_the_registry_makes_one_client_per_alias_across_threads(
    marketing: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_X_ACCOUNT_SID", marketing.account_sid)
    monkeypatch.setenv("TWILIO_X_AUTH_TOKEN", marketing.auth_token)
    monkeypatch.setenv("TWILIO_X_API_BASE_URL", marketing.base_url)
    start = threading.Barrier(8)
    seen: list[twiliorm.Client] = []

    def look_up() -> None:
        start.wait()
        seen.append(get_client("x"))

    threads = [threading.Thread(target=look_up) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and all(client is seen[0] for client in seen)
