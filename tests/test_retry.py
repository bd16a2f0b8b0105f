"""The retry policy, over real HTTP on loopback: what is resent, when, and what never is.

A scripted server answers each request with the next step of a script (an
answer, a dropped connection, a cut or trickling body), so every case is
exact. Sleeps urllib3 asks for are recorded instead of slept, so backoff
and Retry-After are checked without timing anything.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import types
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import urllib3
from urllib3.exceptions import NewConnectionError, ProtocolError
from urllib3.util.retry import RequestHistory, Retry

import twiliorm
from twiliorm import persistence
from twiliorm.transport import DEFAULT_RETRY, DEFAULT_TIMEOUT, TwilioRetry

ACCOUNT = "AC" + "a" * 32
TOKEN = "retry-test-token-5c1d"
SID = "SM" + "b" * 32
MESSAGE_JSON = (
    b'{"sid": "' + SID.encode() + b'", "account_sid": "' + ACCOUNT.encode() + b'", '
    b'"body": "hi", "status": "queued", "to": "+15005550006", "from": "+15005550001"}'
)

Step = Callable[["ScriptedHandler"], None]


class ScriptedHandler(BaseHTTPRequestHandler):
    """Reads the request, records it, and plays the next step of the server's script."""

    protocol_version = "HTTP/1.1"
    server: ScriptedServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append((self.command, self.path, body))
        self.server.next_step(self.command)(self)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def drop(self) -> None:
        """Close the connection without a word (the request may have been processed)."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)


class ScriptedServer(ThreadingHTTPServer):
    """A loopback server playing ``script`` (one step per request; then ``default``)."""

    daemon_threads = True

    def __init__(self, script: list[Step], default: Step | None = None, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), ScriptedHandler)
        self.script = list(script)
        self.default = default or ok()
        self.seen: list[tuple[str, str, bytes]] = []
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    def next_step(self, method: str) -> Step:
        with self._lock:
            return self.script.pop(0) if self.script else self.default

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def methods(self) -> list[str]:
        return [method for method, _, _ in self.seen]

    def __enter__(self) -> ScriptedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


def ok(status: int = 200, body: bytes = MESSAGE_JSON, **headers: str) -> Step:
    return lambda h: h.answer(status, body, {"Content-Type": "application/json", **headers})


def error(status: int, **headers: str) -> Step:
    body = b'{"code": 20%03d, "message": "injected", "status": %d}' % (status, status)
    return lambda h: h.answer(status, body, {"Content-Type": "application/json", **headers})


def drop() -> Step:
    return lambda h: h.drop()


def cut() -> Step:
    """Announce the whole body, send half of it, close."""

    def step(h: ScriptedHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(MESSAGE_JSON)))
        h.end_headers()
        h.wfile.write(MESSAGE_JSON[: len(MESSAGE_JSON) // 2])
        h.wfile.flush()
        h.drop()

    return step


def trickle(seconds: float, pieces: int = 20) -> Step:
    """Send the body a few bytes at a time over ``seconds``."""

    def step(h: ScriptedHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(len(MESSAGE_JSON)))
        h.end_headers()
        size = max(1, len(MESSAGE_JSON) // pieces)
        try:
            for start in range(0, len(MESSAGE_JSON), size):
                h.wfile.write(MESSAGE_JSON[start : start + size])
                h.wfile.flush()
                time.sleep(seconds / pieces)
        except OSError:
            pass  # the client gave up, as it should

    return step


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the pauses urllib3's Retry asks for instead of sleeping them."""
    asked: list[float] = []
    clock = types.SimpleNamespace(sleep=asked.append, time=time.time)
    monkeypatch.setattr(urllib3.util.retry, "time", clock)
    return asked


def client_for(server: ScriptedServer, **options: Any) -> twiliorm.Client:
    return twiliorm.Client(ACCOUNT, TOKEN, base_url=server.base_url, **options)


MESSAGES = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
MESSAGE = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/{SID}.json"


# --- GET and DELETE: resent on every failure that may be temporary ------------------------


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
@pytest.mark.parametrize(("method", "path"), [("GET", MESSAGE), ("DELETE", MESSAGE)])
def test_get_and_delete_are_resent_after_429_and_5xx(
    status: int, method: str, path: str, sleeps: list[float]
) -> None:
    final = ok(204, b"") if method == "DELETE" else ok()
    with ScriptedServer([error(status), error(status), final]) as server:
        response = client_for(server).request(method, path)
    assert response.status in (200, 204)
    # retried: an earlier attempt may have been processed, which a 429 proves it was not.
    assert response.retried is (status != 429)
    assert server.methods() == [method] * 3


@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_get_and_delete_are_resent_after_a_dropped_connection(
    method: str, sleeps: list[float]
) -> None:
    with ScriptedServer([drop(), ok(204, b"") if method == "DELETE" else ok()]) as server:
        response = client_for(server).request(method, MESSAGE)
    assert response.retried
    assert server.methods() == [method, method]


def test_get_is_resent_after_a_body_cut_short(sleeps: list[float]) -> None:
    with ScriptedServer([cut(), ok()]) as server:
        data = client_for(server).get_json(MESSAGE)
    assert data["sid"] == SID
    assert server.methods() == ["GET", "GET"]


def test_get_gives_up_with_the_last_answer_when_retries_run_out(sleeps: list[float]) -> None:
    with ScriptedServer([], default=error(503)) as server, pytest.raises(twiliorm.ServerError) as e:
        client_for(server).get_json(MESSAGE)
    assert e.value.status == 503 and e.value.retried
    assert len(server.seen) == 1 + DEFAULT_RETRY.status  # type: ignore[operator]


def test_a_retried_delete_that_answers_404_deleted_the_record(sleeps: list[float]) -> None:
    # The first DELETE was processed but its answer was lost; the resend finds nothing.
    with ScriptedServer([drop(), error(404)]) as server:
        binding = twiliorm.Binding(client_for(server), {})
        twiliorm.Message.from_api(json.loads(MESSAGE_JSON), binding=binding).delete()
    assert server.methods() == ["DELETE", "DELETE"]


# --- POST: resent only when the answer proves nothing was processed ----------------------


def test_post_is_resent_after_429(sleeps: list[float]) -> None:
    with ScriptedServer([error(429, **{"Retry-After": "1"}), ok(201)]) as server:
        data = client_for(server).post_json(MESSAGES, [("To", "+15005550006")])
    assert data["sid"] == SID
    assert server.methods() == ["POST", "POST"]
    assert sleeps == [1]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_post_is_not_resent_after_5xx(status: int, sleeps: list[float]) -> None:
    with ScriptedServer([error(status)]) as server, pytest.raises(twiliorm.ServerError):
        client_for(server).post_json(MESSAGES, [("To", "+15005550006")])
    assert server.methods() == ["POST"]


@pytest.mark.parametrize("step", [drop(), cut()], ids=["dropped", "cut"])
def test_post_is_not_resent_when_the_answer_is_lost(step: Step, sleeps: list[float]) -> None:
    with ScriptedServer([step]) as server, pytest.raises(twiliorm.TransportError) as e:
        client_for(server).post_json(MESSAGES, [("To", "+15005550006")])
    assert server.methods() == ["POST"]
    assert "not resent" in str(e.value) and "may have reached Twilio" in str(e.value)


def test_post_is_resent_when_the_connection_was_refused() -> None:
    # Nothing listens on the port at first; the server starts once the client was refused.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started: list[ScriptedServer] = []

    class StartServerOnRetry(TwilioRetry):
        def increment(self, *args: Any, **kwargs: Any) -> Any:
            new = super().increment(*args, **kwargs)
            if not started:
                started.append(ScriptedServer([ok(201)], port=port).__enter__())
            return new

    policy = StartServerOnRetry(**_settings(DEFAULT_RETRY), history=())
    client = twiliorm.Client(ACCOUNT, TOKEN, base_url=f"http://127.0.0.1:{port}", retry=policy)
    try:
        data = client.post_json(MESSAGES, [("To", "+15005550006")])
    finally:
        for server in started:
            server.__exit__()
    assert data["sid"] == SID
    assert started[0].methods() == ["POST"]


def test_post_to_a_closed_port_fails_clearly_without_claiming_it_may_have_arrived() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = twiliorm.Client(
        ACCOUNT, TOKEN, base_url=f"http://127.0.0.1:{port}", retry=DEFAULT_RETRY.new(connect=0)
    )
    with pytest.raises(twiliorm.TransportError) as e:
        client.post_json(MESSAGES, [("To", "+15005550006")])
    assert "POST" in str(e.value) and "may have reached" not in str(e.value)


def test_policy_resends_a_post_only_for_what_proves_it_was_not_processed() -> None:
    refused = NewConnectionError(None, "refused")  # type: ignore[arg-type]
    assert DEFAULT_RETRY.increment("POST", "/x", error=refused).connect == 2
    with pytest.raises(ProtocolError):
        DEFAULT_RETRY.increment("POST", "/x", error=ProtocolError("connection dropped"))
    assert DEFAULT_RETRY.is_retry("POST", 429)
    assert not any(DEFAULT_RETRY.is_retry("POST", s) for s in (400, 404, 500, 502, 503, 504))
    assert all(DEFAULT_RETRY.is_retry(m, 503) for m in ("GET", "HEAD", "DELETE"))


# --- backoff and Retry-After --------------------------------------------------------------


def _settings(retry: Retry) -> dict[str, Any]:
    names = [
        "total", "connect", "read", "redirect", "status", "other", "allowed_methods",
        "status_forcelist", "backoff_factor", "backoff_max", "raise_on_redirect",
        "raise_on_status", "respect_retry_after_header", "backoff_jitter", "retry_after_max",
    ]  # fmt: skip
    return {name: getattr(retry, name) for name in names}


def test_backoff_is_exponential_with_jitter_from_the_first_retry() -> None:
    failure = RequestHistory("GET", "/x", None, 503, None)
    for failures, base in [(1, 0.25), (2, 0.5), (3, 1.0), (4, 2.0), (5, 4.0)]:
        policy = DEFAULT_RETRY.new(history=(failure,) * failures)
        waits = {policy.get_backoff_time() for _ in range(50)}
        assert all(base <= w <= base + DEFAULT_RETRY.backoff_jitter for w in waits)
        assert len(waits) > 1  # jitter: concurrent clients do not come back in step
    assert DEFAULT_RETRY.new(history=(failure,) * 20).get_backoff_time() == 20.0


def test_retry_after_is_honoured_and_capped(sleeps: list[float]) -> None:
    script = [error(429, **{"Retry-After": "3"}), error(503, **{"Retry-After": "7200"}), ok()]
    with ScriptedServer(script) as server:
        client_for(server).get_json(MESSAGE)
    assert sleeps == [3, 60]


def test_without_retry_after_the_client_backs_off(sleeps: list[float]) -> None:
    with ScriptedServer([error(429), error(429), error(500), ok()]) as server:
        client_for(server).get_json(MESSAGE)
    jitter = DEFAULT_RETRY.backoff_jitter
    assert len(sleeps) == 3
    assert all(base <= s <= base + jitter for s, base in zip(sleeps, [0.25, 0.5, 1.0], strict=True))


def test_rate_limit_error_carries_retry_after_when_retries_run_out(sleeps: list[float]) -> None:
    with ScriptedServer([], default=error(429, **{"Retry-After": "2"})) as server:
        client = client_for(server, retry=TwilioRetry(total=1, status_forcelist=[429]))
        with pytest.raises(twiliorm.RateLimitError) as e:
            client.get_json(MESSAGE)
    assert e.value.retry_after == 2.0
    assert not e.value.retried  # both attempts were refused with 429: neither was processed
    assert len(server.seen) == 2


# --- configuring it on the Client ---------------------------------------------------------


@pytest.mark.parametrize("off", [False, 0])
def test_retry_can_be_turned_off(off: bool | int, sleeps: list[float]) -> None:
    with ScriptedServer([error(503), ok()]) as server, pytest.raises(twiliorm.ServerError) as e:
        client_for(server, retry=off).get_json(MESSAGE)
    assert not e.value.retried
    assert server.methods() == ["GET"]


def test_retry_off_does_not_resend_a_get_after_a_dropped_connection() -> None:
    with ScriptedServer([drop(), ok()]) as server, pytest.raises(twiliorm.TransportError):
        client_for(server, retry=False).get_json(MESSAGE)
    assert server.methods() == ["GET"]


def test_retry_count_limits_the_attempts(sleeps: list[float]) -> None:
    with ScriptedServer([], default=error(503)) as server, pytest.raises(twiliorm.ServerError):
        client_for(server, retry=2).get_json(MESSAGE)
    assert len(server.seen) == 3


def test_a_custom_policy_is_used(sleeps: list[float]) -> None:
    policy = TwilioRetry(total=4, backoff_factor=2, status_forcelist=[500], allowed_methods=["GET"])
    with (
        ScriptedServer([error(500), error(503), ok()]) as server,
        pytest.raises(twiliorm.ServerError),
    ):
        client_for(server, retry=policy).get_json(MESSAGE)
    assert len(server.seen) == 2  # 503 is not in this policy's list
    assert sleeps == [2.0]  # backoff_factor 2, no jitter


@pytest.mark.parametrize("methods", [None, ["GET", "POST"], frozenset({"post", "get"})])
def test_a_policy_that_would_resend_posts_is_refused(methods: Any) -> None:
    with pytest.raises(twiliorm.ConfigurationError, match="created twice"):
        twiliorm.Client(ACCOUNT, TOKEN, retry=Retry(total=3, allowed_methods=methods))


def test_a_plain_urllib3_retry_never_resends_a_post(sleeps: list[float]) -> None:
    with ScriptedServer([error(429), ok(201)]) as server, pytest.raises(twiliorm.RateLimitError):
        client_for(server, retry=Retry(3, status_forcelist=[429])).post_json(MESSAGES, [])
    assert server.methods() == ["POST"]


# --- timeouts -----------------------------------------------------------------------------


def test_timeouts_are_on_by_default_and_configurable() -> None:
    assert (DEFAULT_TIMEOUT.connect_timeout, DEFAULT_TIMEOUT.read_timeout) == (10.0, 30.0)
    default = twiliorm.Client(ACCOUNT, TOKEN, environ={}).transport
    assert default._pool.connection_pool_kw["timeout"] is DEFAULT_TIMEOUT  # type: ignore[attr-defined]
    short = twiliorm.Client(ACCOUNT, TOKEN, timeout=2.5, environ={}).transport
    chosen = short._pool.connection_pool_kw["timeout"]  # type: ignore[attr-defined]
    assert (chosen.connect_timeout, chosen.read_timeout) == (2.5, 2.5)
    exact = urllib3.Timeout(connect=1, read=4)
    assert twiliorm.Client(ACCOUNT, TOKEN, timeout=exact, environ={}).transport.timeout is exact  # type: ignore[attr-defined]


def test_an_answer_that_never_comes_times_out(sleeps: list[float]) -> None:
    release = threading.Event()
    with ScriptedServer([], default=lambda h: (release.wait(10), h.drop())) as server:
        client = client_for(server, timeout=urllib3.Timeout(connect=1, read=0.3))
        try:
            with pytest.raises(twiliorm.TransportError, match="timed out"):
                client.post_json(MESSAGES, [("To", "+15005550006")])
        finally:
            release.set()
    assert server.methods() == ["POST"]


def test_a_trickling_body_is_cut_off_at_the_read_timeout(sleeps: list[float]) -> None:
    # Each piece arrives well within the read timeout; the whole body does not.
    with ScriptedServer([], default=trickle(seconds=4.0)) as server:
        client = client_for(server, timeout=urllib3.Timeout(connect=1, read=0.5))
        with pytest.raises(twiliorm.TransportError, match="took too long"):
            client.post_json(MESSAGES, [("To", "+15005550006")])
        assert server.methods() == ["POST"]
        with pytest.raises(twiliorm.TransportError, match="took too long"):
            client.get_json(MESSAGE)
    assert server.methods() == ["POST"] + ["GET"] * (1 + DEFAULT_RETRY.read)  # type: ignore[operator]


# --- a 404 right after a create -------------------------------------------------------------


@pytest.fixture
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    paused: list[float] = []
    clock = types.SimpleNamespace(sleep=paused.append, monotonic=time.monotonic)
    monkeypatch.setattr(persistence, "time", clock)
    yield paused


def test_fetching_a_just_created_instance_retries_a_404(no_pauses: list[float]) -> None:
    with ScriptedServer([ok(201), error(404), error(404), ok()]) as server:
        client = client_for(server)
        created = twiliorm.Message.objects.using(client).create(
            to="+15005550006", from_="+15005550001", body="hi"
        )
        fetched = twiliorm.Message.objects.using(client).get(sid=created.sid)
    assert fetched.sid == SID
    assert server.methods() == ["POST", "GET", "GET", "GET"]
    assert no_pauses == list(persistence.NOT_FOUND_PAUSES[:2])


def test_a_404_for_an_instance_not_created_here_is_believed_at_once(
    no_pauses: list[float],
) -> None:
    other = "SM" + "c" * 32
    with ScriptedServer([error(404)]) as server, pytest.raises(twiliorm.Message.DoesNotExist):
        twiliorm.Message.objects.using(client_for(server)).get(sid=other)
    assert server.methods() == ["GET"] and no_pauses == []


def test_a_just_created_instance_that_stays_missing_is_not_found_after_a_few_tries(
    no_pauses: list[float],
) -> None:
    with ScriptedServer([ok(201)], default=error(404)) as server:
        client = client_for(server)
        created = twiliorm.Message.objects.using(client).create(
            to="+15005550006", from_="+15005550001", body="hi"
        )
        with pytest.raises(twiliorm.NotFoundError):
            created.refresh()
    assert server.methods() == ["POST"] + ["GET"] * (1 + len(persistence.NOT_FOUND_PAUSES))
    assert no_pauses == list(persistence.NOT_FOUND_PAUSES)


def test_deleting_forgets_the_fresh_instance(no_pauses: list[float]) -> None:
    with ScriptedServer([ok(201), ok(204, b""), error(404)]) as server:
        client = client_for(server)
        created = twiliorm.Message.objects.using(client).create(
            to="+15005550006", from_="+15005550001", body="hi"
        )
        created.delete()
        with pytest.raises(twiliorm.Message.DoesNotExist):
            twiliorm.Message.objects.using(client).get(sid=SID)
    assert server.methods() == ["POST", "DELETE", "GET"] and no_pauses == []


def test_freshness_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    recent = persistence.RecentCreates(size=2)
    now = [1000.0]
    monkeypatch.setattr(persistence, "time", types.SimpleNamespace(monotonic=lambda: now[0]))
    recent.add("/a")
    assert "/a" in recent
    now[0] += persistence.FRESH_SECONDS
    assert "/a" not in recent
    recent.add("/b"), recent.add("/c"), recent.add("/d")
    assert "/b" not in recent and "/c" in recent and "/d" in recent  # bounded
