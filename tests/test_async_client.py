"""AsyncClient: the sync client's settings, the same retry rules, errors, logs and secrets.

Retries are tested through AsyncFunctionTransport (faults injected by a function,
pauses recorded instead of slept); the rest against a sandbox over real HTTP.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import re
import socket
import sys
import warnings
from collections.abc import Callable
from typing import Any

import pytest
import urllib3

import twiliorm
from twiliorm import AsyncClient, Message
from twiliorm.aio import AsyncFunctionTransport, async_client_for
from twiliorm.aio.transport import broken, unsent
from twiliorm.client import get_client, set_client
from twiliorm.protocol import ApiRequest
from twiliorm.sandbox import Sandbox
from twiliorm.transport import Request, Response

pytestmark = pytest.mark.anyio
ACCOUNT = "AC" + "a" * 32
TOKEN = "t0ken-that-must-stay-secret"
MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
MESSAGE = {"sid": "SM" + "b" * 32, "account_sid": ACCOUNT, "body": "hi"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Script:
    """A transport that plays answers (or failures) in turn and records every attempt."""

    def __init__(self, *steps: Response | Exception) -> None:
        self.steps = list(steps)
        self.seen: list[Request] = []

    def __call__(self, request: Request) -> Response:
        self.seen.append(request)
        step = self.steps.pop(0) if len(self.steps) > 1 else self.steps[0]
        if isinstance(step, Exception):
            raise step
        return step


def answer(status: int, body: bytes = b"{}", **headers: str) -> Response:
    return Response(status, {"Content-Type": "application/json", **headers}, body)


def scripted(
    monkeypatch: pytest.MonkeyPatch, *steps: Response | Exception, **options: Any
) -> tuple[AsyncClient, Script, list[float]]:
    script = Script(*steps)
    client = AsyncClient(
        ACCOUNT, TOKEN, base_url="https://api.example.com", transport=AsyncFunctionTransport(script)
    )
    for name, value in options.items():
        setattr(client, name, value)
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(client, "_pause", pause)
    return client, script, pauses


OK = answer(200, b'{"sid": "SMx"}')
CREATED = answer(201, b'{"sid": "SMx"}')


# --- retries: the sync client's rules, by the same policy ---------------------------------


async def test_a_get_is_resent_after_5xx_and_a_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    client, script, pauses = scripted(monkeypatch, answer(503), broken("reset"), OK)
    assert await client.get_json(MESSAGES) == {"sid": "SMx"}
    assert len(script.seen) == 3 and len(pauses) == 2


async def test_a_post_is_resent_after_429_and_when_nothing_was_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, script, pauses = scripted(
        monkeypatch, answer(429, **{"Retry-After": "2"}), unsent("refused"), CREATED
    )
    assert await client.post_json(MESSAGES, [("Body", "hi")]) == {"sid": "SMx"}
    assert len(script.seen) == 3
    assert pauses[0] == 2.0  # Retry-After honoured


@pytest.mark.parametrize(
    "failure", [answer(500), answer(503), broken("connection reset by peer")], ids=str
)
async def test_a_post_is_never_resent_after_it_may_have_landed(
    monkeypatch: pytest.MonkeyPatch, failure: Response | Exception
) -> None:
    client, script, _ = scripted(monkeypatch, failure, CREATED)
    with pytest.raises((twiliorm.ServerError, twiliorm.TransportError)) as info:
        await client.post_json(MESSAGES, [("Body", "hi")])
    assert len(script.seen) == 1
    if isinstance(info.value, twiliorm.TransportError):
        assert "may have reached Twilio" in str(info.value)
        assert isinstance(info.value.__cause__, Exception)


async def test_retries_run_out_into_the_apis_error(monkeypatch: pytest.MonkeyPatch) -> None:
    limited = answer(429, b'{"code": 20429, "message": "Too Many Requests", "status": 429}')
    client, script, _ = scripted(monkeypatch, limited)
    with pytest.raises(twiliorm.RateLimitError) as info:
        await client.get_json(MESSAGES)
    assert info.value.code == 20429
    assert len(script.seen) == 1 + 5  # the DEFAULT_RETRY's status budget


async def test_no_answer_at_all_is_a_transport_error(monkeypatch: pytest.MonkeyPatch) -> None:
    client, script, _ = scripted(monkeypatch, unsent("cannot connect: refused"))
    with pytest.raises(twiliorm.TransportError, match="refused") as info:
        await client.get_json(MESSAGES)
    assert len(script.seen) == 1 + 3  # the connect budget
    assert "may have reached" not in str(info.value)


async def test_retry_false_sends_once(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Script(answer(503))
    client = AsyncClient(ACCOUNT, TOKEN, retry=False, transport=AsyncFunctionTransport(script))
    with pytest.raises(twiliorm.ServerError):
        await client.get_json(MESSAGES)


def test_a_retry_that_would_resend_posts_is_refused() -> None:
    bad = urllib3.Retry(total=3, allowed_methods=None)
    with pytest.raises(twiliorm.ConfigurationError, match="POST"):
        AsyncClient(ACCOUNT, TOKEN, retry=bad, transport=AsyncFunctionTransport(Script(OK)))


async def test_a_retried_delete_answered_404_was_done(monkeypatch: pytest.MonkeyPatch) -> None:
    client, script, _ = scripted(monkeypatch, broken("reset"), answer(404, b'{"code": 20404}'))
    with pytest.raises(twiliorm.NotFoundError) as info:
        await client.delete(MESSAGES.replace(".json", "/SMx.json"))
    assert info.value.retried and len(script.seen) == 2


# --- where requests go, what they carry ------------------------------------------------------


async def test_redirects_are_errors_and_links_elsewhere_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moved = answer(302, b"", Location="https://evil.example/steal")
    client, script, _ = scripted(monkeypatch, moved)
    with pytest.raises(twiliorm.TransportError, match="does not follow"):
        await client.get_json(MESSAGES)
    with pytest.raises(twiliorm.DecodeError):
        await client.get_json("https://evil.example/x")
    assert len(script.seen) == 1


async def test_every_request_carries_the_credentials_and_the_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, script, _ = scripted(monkeypatch, CREATED)
    await client.send(ApiRequest("POST", MESSAGES, form=(("MediaUrl", "a"), ("MediaUrl", "b"))))
    sent = script.seen[0]
    assert sent.url == "https://api.example.com" + MESSAGES
    assert sent.headers is not None and sent.headers["Authorization"].startswith("Basic ")
    assert list(sent.fields) == [("MediaUrl", "a"), ("MediaUrl", "b")]


def test_secrets_stay_out_of_repr_and_pickles() -> None:
    client = AsyncClient(ACCOUNT, TOKEN, transport=AsyncFunctionTransport(Script(OK)))
    assert TOKEN not in repr(client) and repr(client).startswith("<twiliorm.AsyncClient ")
    with pytest.raises(pickle.PicklingError, match="alias"):
        pickle.dumps(client)


async def test_the_http_log_line_is_the_sync_ones(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client, _, _ = scripted(monkeypatch, answer(429), CREATED)
    with caplog.at_level(logging.DEBUG, logger="twiliorm.http"):
        await client.post_json(MESSAGES, [("To", "+15558675310"), ("AuthToken", TOKEN)])
    lines = [r.getMessage() for r in caplog.records if r.name == "twiliorm.http"]
    assert len(lines) == 1 and lines[0].startswith(f"POST {MESSAGES} [To, AuthToken] -> 201 (")
    assert lines[0].endswith("after 1 retry (429)")
    assert TOKEN not in lines[0] and "+15558675310" not in lines[0]


# --- settings, aliases, twins ----------------------------------------------------------------


def test_credentials_and_base_url_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("TWILIO_API_BASE_URL", "http://127.0.0.1:9")
    client = AsyncClient(transport=AsyncFunctionTransport(Script(OK)))
    assert (client.account_sid, client.base_url) == (ACCOUNT, "http://127.0.0.1:9")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN")
    with pytest.raises(twiliorm.ConfigurationError, match="TWILIO_AUTH_TOKEN"):
        AsyncClient(transport=AsyncFunctionTransport(Script(OK)))


def test_an_alias_holds_one_configuration_both_ways() -> None:
    try:
        made = twiliorm.connect_async(ACCOUNT, TOKEN, alias="marketing-async")
        assert get_client("marketing-async") is made.sync
        assert twiliorm.get_async_client("marketing-async") is made
        assert pickle.loads(pickle.dumps(made)) is made
        qs = Message.objects.using("marketing-async")
        assert async_client_for(qs.client) is made
        sync = twiliorm.connect(ACCOUNT, TOKEN, alias="marketing-async")  # replaces it
        derived = twiliorm.get_async_client("marketing-async")
        assert derived is not made and derived.sync is sync
        assert twiliorm.get_async_client("marketing-async") is derived  # kept for it
    finally:
        set_client("marketing-async", None)


def test_a_derived_client_has_its_own_async_twin(sandbox: Sandbox) -> None:
    client = sandbox.client()
    twin = client.derive(retry=False)
    assert async_client_for(twin) is not async_client_for(client)
    assert async_client_for(twin).retry.total == 0
    assert async_client_for(client).timeout.read_timeout == 30.0


# --- over HTTP -------------------------------------------------------------------------------


async def test_over_http_with_aiohttp(sandbox: Sandbox) -> None:
    async with AsyncClient(
        sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url
    ) as client:
        made = await client.post_json(
            f"/2010-04-01/Accounts/{client.account_sid}/Messages.json",
            [("To", "+15558675310"), ("From", "+15017122661"), ("Body", "é & ü")],
        )
        listed = await client.get_json(
            f"/2010-04-01/Accounts/{client.account_sid}/Messages.json", [("PageSize", "5")]
        )
    assert listed["messages"][0]["sid"] == made["sid"]
    assert listed["messages"][0]["body"] == "é & ü"


async def test_a_wrong_token_is_an_authentication_error(sandbox: Sandbox) -> None:
    async with AsyncClient(sandbox.account_sid, "wrong", base_url=sandbox.base_url) as client:
        with pytest.raises(twiliorm.AuthenticationError) as info:
            await Message.objects.using(client).acount()
    assert info.value.code == 20003 and "wrong" not in str(info.value)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_a_refused_connection_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    client = AsyncClient(ACCOUNT, TOKEN, base_url=f"http://127.0.0.1:{_closed_port()}")
    monkeypatch.setattr(client, "_pause", lambda seconds: asyncio.sleep(0))
    with pytest.raises(twiliorm.TransportError, match="cannot connect") as info:
        await client.post_json(MESSAGES, [("Body", "x")])
    assert "may have reached" not in str(info.value)  # nothing was sent
    await client.aclose()


async def test_one_deadline_bounds_a_trickled_answer() -> None:
    timeout = urllib3.Timeout(connect=2.0, read=0.5)
    with Sandbox(faults="slow=1:3") as sandbox:
        async with AsyncClient(
            sandbox.account_sid,
            sandbox.auth_token,
            base_url=sandbox.base_url,
            timeout=timeout,
            retry=False,
        ) as client:
            started = asyncio.get_running_loop().time()
            with pytest.raises(twiliorm.TransportError, match="timed out"):
                await client.get_json(f"/2010-04-01/Accounts/{client.account_sid}/Messages.json")
            assert asyncio.get_running_loop().time() - started < 2.0


def test_a_client_made_before_any_loop_serves_each_loop(sandbox: Sandbox) -> None:
    client = AsyncClient(sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url)
    qs = Message.objects.using(client)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unclosed session would be a ResourceWarning
        assert asyncio.run(qs.acount()) == 0
        assert asyncio.run(qs.aexists()) is False
        assert asyncio.run(qs.acount()) == 0


def test_without_the_extra_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import twiliorm.aio.aiohttp as transport

    monkeypatch.setattr(transport, "aiohttp", None)
    with pytest.raises(twiliorm.ConfigurationError, match=r"pip install 'twiliorm\[async\]'"):
        AsyncClient(ACCOUNT, TOKEN)


async def test_aiohttp_resends_nothing_by_itself() -> None:
    """The client's policy sees every attempt: aiohttp's own resend of a GET or DELETE on a
    broken kept-alive connection is off (a private switch: this fails if it is renamed)."""
    from twiliorm.aio.aiohttp import AiohttpTransport

    transport = AiohttpTransport()
    session = await transport._session()
    assert session._retry_connection is False
    await transport.aclose()


def test_import_twiliorm_does_not_import_aiohttp() -> None:
    import subprocess

    code = "import sys, twiliorm; from twiliorm import Message; print('aiohttp' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


# --- the sync API inside a running loop --------------------------------------------------------


async def test_sync_calls_in_a_running_loop_warn_and_name_the_async_method(
    client: twiliorm.Client,
) -> None:
    cases: list[tuple[Callable[[], Any], str]] = [
        (lambda: Message.objects.count(), "await qs.acount()"),
        (lambda: list(Message.objects.all()), "async for obj in qs"),
        (lambda: Message.objects.filter(to="+15558675310").first(), "await qs.afirst()"),
        (
            lambda: Message.objects.create(to="+15558675310", from_="+15017122661", body="x"),
            "await qs.acreate()",
        ),
    ]
    for call, advice in cases:
        with pytest.warns(twiliorm.SyncInAsyncWarning, match=re.escape(advice)) as caught:
            call()
        assert caught[0].filename == __file__
    made = Message.objects.all()[:1]
    obj = await made.afirst()
    assert obj is not None
    with pytest.warns(twiliorm.SyncInAsyncWarning, match=r"await obj\.asave\(\)"):
        obj.body = ""
        obj.save()


def test_sync_calls_in_a_thread_without_a_loop_stay_silent(client: twiliorm.Client) -> None:
    async def main() -> int:
        return await asyncio.to_thread(Message.objects.count)

    with warnings.catch_warnings():
        warnings.simplefilter("error", twiliorm.SyncInAsyncWarning)
        assert asyncio.run(main()) == 0
        assert Message.objects.count() == 0
