"""Proxies: the client through a real forwarding proxy on loopback, and the environment's proxy.

The proxy here is a small threaded one, written for these tests, that records
what it carries: an http request arrives in absolute form and is forwarded
(its Proxy-Authorization removed, as proxies do) with the answer streamed
back as it comes; an https request is a CONNECT tunnel whose bytes are copied
both ways unread. The origins are the scripted servers of ``test_retry``, over
plain http or TLS with the self-signed certificate of ``test_faults_transport``.
Every test starts from an environment without proxy variables, whatever the
machine's, and monkeypatch restores it afterwards.
"""

from __future__ import annotations

import base64
import logging
import select
import socket
import ssl
import threading
import time
import traceback
import types
import urllib.parse
from collections.abc import Iterator
from email.message import Message as Headers
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import urllib3

import twiliorm
from twiliorm import Message
from twiliorm.client import proxy_for
from twiliorm.sandbox import Sandbox
from twiliorm.transport import DEFAULT_RETRY, Urllib3Transport, redacted_proxy

from .test_faults_transport import CERT, KEY
from .test_retry import (
    ACCOUNT,
    MESSAGE,
    MESSAGES,
    TOKEN,
    ScriptedHandler,
    ScriptedServer,
    error,
    ok,
)
from .test_transport_hostile import _trickled_headers

PROXY_VARIABLES = ["http_proxy", "https_proxy", "no_proxy", "all_proxy", "REQUEST_METHOD"]
SECRET = "Zq8wK7"  # the part of the proxy password no text may show
USER, PASSWORD = "corp user", f"pr0xy-p@ss:{SECRET}"  # escaped in the URL, sent decoded
QUOTED = f"{urllib.parse.quote(USER, safe='')}:{urllib.parse.quote(PASSWORD, safe='')}"
PROXY_AUTH = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
TWILIO_AUTH = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
HOP_BY_HOP = {"proxy-authorization", "proxy-connection", "connection", "keep-alive"}


# --- a forwarding proxy -------------------------------------------------------------------------


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ForwardingProxy

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _admitted(self) -> bool:
        """Record the request; answer 407 unless it carries the proxy's credentials."""
        self.server.carried.append((self.command, self.path))
        self.server.seen.append(self.headers)
        if (
            self.server.required is None
            or self.headers["Proxy-Authorization"] == self.server.required
        ):
            return True
        self.send_response(407)
        self.send_header("Proxy-Authenticate", 'Basic realm="tests"')
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_CONNECT(self) -> None:
        if not self._admitted():
            return
        host, port = self.path.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as upstream:
            self.send_response(200, "Connection established")
            self.end_headers()
            self.wfile.flush()
            self.close_connection = True
            _pipe(self.connection, upstream)

    def _forward(self) -> None:
        if not self._admitted():
            return
        target = urllib.parse.urlsplit(self.path)
        assert target.scheme == "http" and target.hostname, self.path  # absolute form
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        lines = [
            f"{self.command} {target.path}{'?' + target.query if target.query else ''} HTTP/1.1"
        ]
        lines += [f"{k}: {v}" for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
        head = "\r\n".join([*lines, "Connection: close", "", ""]).encode("latin-1")
        with socket.create_connection((target.hostname, target.port or 80), timeout=10) as up:
            up.sendall(head + body)
            try:  # streamed as it comes: a trickling origin trickles through
                while chunk := up.recv(65536):
                    self.wfile.write(chunk)
                    self.wfile.flush()
            except OSError:
                self.close_connection = True  # the client gave up

    do_GET = do_POST = do_DELETE = _forward


def _pipe(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes (or 10 s of silence)."""
    try:
        while True:
            readable, _, _ = select.select([a, b], [], [], 10)
            if not readable:
                return
            for side in readable:
                data = side.recv(65536)
                if not data:
                    return
                (b if side is a else a).sendall(data)
    except OSError:
        return


class ForwardingProxy(ThreadingHTTPServer):
    """A proxy on loopback recording every request it carries (method, target) and its headers;
    with ``required``, it answers 407 to requests without that Proxy-Authorization."""

    daemon_threads = True

    def __init__(self, required: str | None = None, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), ProxyHandler)
        self.required = required
        self.carried: list[tuple[str, str]] = []
        self.seen: list[Headers] = []
        self.thread = threading.Thread(target=self.serve_forever, args=(0.05,), daemon=True)

    def url(self, userinfo: str = "") -> str:
        return f"http://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.server_address[1]}"

    def methods(self) -> list[str]:
        return [method for method, _ in self.carried]

    def __enter__(self) -> ForwardingProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start from no proxy variables whatever the machine has; monkeypatch puts them back."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def proxy() -> Iterator[ForwardingProxy]:
    with ForwardingProxy(required=PROXY_AUTH) as server:
        yield server


@pytest.fixture
def open_proxy() -> Iterator[ForwardingProxy]:
    with ForwardingProxy() as server:
        yield server


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the pauses urllib3's Retry asks for instead of sleeping them."""
    asked: list[float] = []
    monkeypatch.setattr(urllib3.util.retry, "time", types.SimpleNamespace(sleep=asked.append))
    return asked


@pytest.fixture
def cert(tmp_path: Path) -> Path:
    (tmp_path / "cert.pem").write_text(CERT)
    (tmp_path / "key.pem").write_text(KEY)
    return tmp_path / "cert.pem"


Recorded = list[Headers]


def recording(into: Recorded, step: Any = None) -> Any:
    """A scripted step noting the headers the origin received, then answering as ``step``."""

    def answer(h: ScriptedHandler) -> None:
        into.append(h.headers)
        (step or ok())(h)

    return answer


def tls(server: ScriptedServer, cert: Path) -> ScriptedServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, cert.parent / "key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    return server


def https_url(server: ScriptedServer) -> str:
    return f"https://127.0.0.1:{server.server_address[1]}"


def client(base_url: str, **options: Any) -> twiliorm.Client:
    return twiliorm.Client(ACCOUNT, TOKEN, base_url=base_url, environ={}, **options)


def workload(c: twiliorm.Client) -> list[str]:
    """Two GETs and a POST; the methods sent, in order."""
    c.get_json(MESSAGE)
    c.post_json(MESSAGES, [("To", "+15005550006"), ("Body", "hi")])
    c.get_json(MESSAGE)
    return ["GET", "POST", "GET"]


# --- http targets: absolute-form requests, forwarded -----------------------------------------


def test_http_requests_go_through_the_proxy_with_its_credentials(proxy: ForwardingProxy) -> None:
    origin_saw: Recorded = []
    with ScriptedServer([], default=recording(origin_saw)) as origin:
        sent = workload(client(origin.base_url, proxy=proxy.url(QUOTED)))
    assert proxy.methods() == sent == origin.methods()
    assert {target for _, target in proxy.carried} == {
        origin.base_url + MESSAGE,
        origin.base_url + MESSAGES,
    }
    assert [h["Proxy-Authorization"] for h in proxy.seen] == [PROXY_AUTH] * 3
    assert [h["Authorization"] for h in origin_saw] == [TWILIO_AUTH] * 3
    assert origin.seen[1][2] == b"To=%2B15005550006&Body=hi"  # the form went through unchanged


def test_the_proxy_refusing_the_credentials_is_an_error_without_them(
    proxy: ForwardingProxy,
) -> None:
    with ScriptedServer([]) as origin:
        c = client(origin.base_url, proxy=proxy.url("corp%20user:wrong-secret-1"))
        with pytest.raises(twiliorm.TwiliormError) as e:
            c.get_json(MESSAGE)
    assert e.value.status == 407  # type: ignore[attr-defined]
    assert origin.seen == [] and proxy.methods() == ["GET"]
    assert "wrong-secret-1" not in _every_form(e.value, c, c.transport)


# --- https targets: a CONNECT tunnel, TLS end to end ------------------------------------------


def test_https_goes_through_one_connect_tunnel_verified_end_to_end(
    proxy: ForwardingProxy, cert: Path
) -> None:
    origin_saw: Recorded = []
    with tls(ScriptedServer([], default=recording(origin_saw)), cert) as origin:
        c = client(https_url(origin), proxy=proxy.url(QUOTED), ca_certs=str(cert))
        sent = workload(c)
    port = origin.server_address[1]
    assert proxy.carried == [("CONNECT", f"127.0.0.1:{port}")]  # kept alive for all three
    assert origin.methods() == sent
    assert proxy.seen[0]["Proxy-Authorization"] == PROXY_AUTH
    assert proxy.seen[0]["Authorization"] is None  # the account's credentials stay in the tunnel
    # The proxy's credentials went to the proxy only: the tunnel carried them nowhere.
    assert [h["Proxy-Authorization"] for h in origin_saw] == [None] * 3
    assert [h["Authorization"] for h in origin_saw] == [TWILIO_AUTH] * 3


def test_certificates_are_still_verified_through_the_tunnel(
    open_proxy: ForwardingProxy, cert: Path
) -> None:
    with tls(ScriptedServer([]), cert) as origin:
        c = client(https_url(origin), proxy=open_proxy.url())  # the system's CAs only
        with pytest.raises(twiliorm.TransportError, match="certificate could not be verified"):
            c.get_json(MESSAGE)
    assert origin.seen == [] and open_proxy.methods() == ["CONNECT"]


def test_a_refused_connect_is_an_error_without_the_credentials(
    proxy: ForwardingProxy, cert: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with tls(ScriptedServer([]), cert) as origin:
        url = proxy.url("corp%20user:wrong-secret-2")
        c = client(https_url(origin), proxy=url, ca_certs=str(cert))
        with pytest.raises(twiliorm.TransportError, match="through the proxy") as e:
            c.post_json(MESSAGES, [("To", "+15005550006")])
    assert origin.seen == [] and proxy.methods() == ["CONNECT"]
    assert "Tunnel connection failed: 407" in str(e.value)
    assert "may have reached Twilio" not in str(e.value)  # no tunnel, so nothing was sent
    shown = _every_form(e.value, c, c.transport) + caplog.text
    assert "wrong-secret-2" not in shown
    assert base64.b64encode(b"corp user:wrong-secret-2").decode() not in shown
    assert redacted_proxy(url) in str(e.value)


# --- what the transport keeps through a proxy ---------------------------------------------------


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_each_answer_keeps_its_deadline_through_the_proxy(
    open_proxy: ForwardingProxy, cert: Path, scheme: str
) -> None:
    # Headers trickle a byte at a time: each read is quick, the whole answer is not.
    origin = ScriptedServer([], default=_trickled_headers(every=0.3, for_at_most=8))
    with tls(origin, cert) if scheme == "https" else origin:
        base = https_url(origin) if scheme == "https" else origin.base_url
        c = client(base, proxy=open_proxy.url(), ca_certs=str(cert), timeout=1.0, retry=False)
        started = time.monotonic()
        with pytest.raises(twiliorm.TransportError, match="none complete within 1 s"):
            c.get_json(MESSAGE)
        elapsed = time.monotonic() - started
    assert elapsed < 2.0, elapsed  # a margin for a loaded machine; unbounded is 8 s and more
    assert open_proxy.methods() == ["CONNECT" if scheme == "https" else "GET"]


def test_retries_follow_twilio_retry_through_the_proxy(
    open_proxy: ForwardingProxy, sleeps: list[float]
) -> None:
    script = [error(503), error(503), ok(), error(500)]
    with ScriptedServer(script) as origin:
        c = client(origin.base_url, proxy=open_proxy.url())
        c.get_json(MESSAGE)  # resent twice
        with pytest.raises(twiliorm.TwiliormError):
            c.post_json(MESSAGES, [("To", "+15005550006")])  # a 500 after a POST: never resent
    assert open_proxy.methods() == origin.methods() == ["GET", "GET", "GET", "POST"]
    assert len(sleeps) == 2 and DEFAULT_RETRY.status_forcelist


def test_a_get_resent_after_the_proxy_refused_it_was_not_processed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:  # a free port, where the proxy comes up only for the retry
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    late: list[ForwardingProxy] = []
    start = lambda seconds: late.append(ForwardingProxy(port=port).__enter__())  # noqa: E731
    monkeypatch.setattr(urllib3.util.retry, "time", types.SimpleNamespace(sleep=start))
    with ScriptedServer([]) as origin:
        answer = client(origin.base_url, proxy=f"http://127.0.0.1:{port}").request("GET", MESSAGE)
    late[0].__exit__()
    assert answer.status == 200 and late[0].methods() == ["GET"]
    assert answer.retried is False  # the refusal came from the proxy: nothing reached Twilio


def test_redirects_are_not_followed_through_the_proxy(open_proxy: ForwardingProxy) -> None:
    elsewhere = ok(302, b"", Location="http://127.0.0.1:9/stolen")
    with (
        ScriptedServer([elsewhere]) as origin,
        pytest.raises(twiliorm.TransportError, match="does not follow"),
    ):
        client(origin.base_url, proxy=open_proxy.url()).get_json(MESSAGE)
    assert open_proxy.methods() == ["GET"]


# --- the environment -----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["HTTP_PROXY", "http_proxy"])
def test_the_sandbox_works_through_the_environments_proxy(
    sandbox: Sandbox, open_proxy: ForwardingProxy, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, open_proxy.url())
    with sandbox.client() as c:
        assert c.transport.proxy == open_proxy.url()
        made = Message.objects.using(c).create(to="+15558675310", from_="+15017122661", body="hi")
        assert Message.objects.using(c).get(sid=made.sid).body == "hi"
        made.delete()
    assert open_proxy.methods() == [r.method for r in sandbox.requests] == ["POST", "GET", "DELETE"]
    assert all(target.startswith(sandbox.base_url + "/") for _, target in open_proxy.carried)


@pytest.mark.parametrize("name", ["HTTPS_PROXY", "https_proxy"])
def test_https_takes_the_environments_https_proxy(
    proxy: ForwardingProxy, cert: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, proxy.url(QUOTED))
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # for http only: never used here
    with tls(ScriptedServer([]), cert) as origin:
        workload(client(https_url(origin), ca_certs=str(cert)))
    assert proxy.methods() == ["CONNECT"] and len(origin.seen) == 3


@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "localhost,127.0.0.1", "*", "{port_entry}"])
def test_no_proxy_sends_the_base_url_directly(
    open_proxy: ForwardingProxy, monkeypatch: pytest.MonkeyPatch, no_proxy: str
) -> None:
    monkeypatch.setenv("HTTP_PROXY", open_proxy.url())
    with ScriptedServer([]) as origin:
        entry = f"example.com,127.0.0.1:{origin.server_address[1]}"
        monkeypatch.setenv("NO_PROXY", no_proxy.format(port_entry=entry))
        workload(client(origin.base_url))
    assert open_proxy.carried == [] and origin.methods() == ["GET", "POST", "GET"]


def test_no_proxy_naming_other_hosts_leaves_the_proxy_on(
    open_proxy: ForwardingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", open_proxy.url())
    monkeypatch.setenv("no_proxy", "example.com,.twilio.com,127.0.0.2")
    with ScriptedServer([]) as origin:
        workload(client(origin.base_url))
    assert open_proxy.methods() == ["GET", "POST", "GET"]


@pytest.mark.parametrize(
    "environment",
    [{"HTTP_PROXY": "http://127.0.0.1:9"}, {"NO_PROXY": "*"}, {"no_proxy": "127.0.0.1"}],
)
def test_an_explicit_proxy_wins_over_the_environment(
    open_proxy: ForwardingProxy, monkeypatch: pytest.MonkeyPatch, environment: dict[str, str]
) -> None:
    # Neither the environment's proxy (nothing listens on port 9) nor its NO_PROXY is read.
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with ScriptedServer([]) as origin:
        workload(client(origin.base_url, proxy=open_proxy.url()))
    assert open_proxy.methods() == ["GET", "POST", "GET"]


def test_proxy_false_connects_directly_whatever_the_environment(
    open_proxy: ForwardingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", open_proxy.url())
    with ScriptedServer([]) as origin:
        c = client(origin.base_url, proxy=False)
        workload(c)
        workload(c.derive(proxy=None))  # derive() can turn the environment back on
    assert open_proxy.methods() == ["GET", "POST", "GET"]
    assert origin.methods() == ["GET", "POST", "GET"] * 2


def test_proxy_for_reads_the_environment_as_urllib_does(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://upper:3128")
    assert proxy_for("https://api.twilio.com") == "http://upper:3128"
    monkeypatch.setenv("https_proxy", "http://lower:3128")
    assert proxy_for("https://api.twilio.com") == "http://lower:3128"  # lower case wins
    assert proxy_for("http://127.0.0.1:8080") is None  # http has its own variable
    monkeypatch.setenv("no_proxy", ".twilio.com")
    assert proxy_for("https://api.ie1.twilio.com") is None
    assert proxy_for("https://api.ie1.twilio.com", "http://given:1") == "http://given:1"
    assert proxy_for("https://api.twilio.com", False) is None


def test_a_cgi_request_cannot_set_the_http_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpoxy: under CGI, HTTP_PROXY may come from a request's "Proxy:" header; urllib ignores it.
    monkeypatch.setenv("HTTP_PROXY", "http://attacker:3128")
    monkeypatch.setenv("REQUEST_METHOD", "GET")
    assert proxy_for("http://127.0.0.1:8080") is None


# --- configuration and secrets ------------------------------------------------------------------


def test_the_proxy_password_is_in_no_repr_and_reaches_urllib3_only_as_a_header() -> None:
    c = client("https://api.twilio.com", proxy=f"http://{QUOTED}@proxy.example:3128")
    transport = c.transport
    assert isinstance(transport, Urllib3Transport)
    assert transport.proxy == "http://<redacted>@proxy.example:3128"
    pool = transport._pool
    assert isinstance(pool, urllib3.ProxyManager)
    assert pool.proxy is not None and pool.proxy.url == "http://proxy.example:3128"
    assert pool.proxy_headers == {"proxy-authorization": PROXY_AUTH}
    assert SECRET not in _every_form(c, transport, transport._pool.proxy)


def test_a_dead_proxy_is_a_clear_error_without_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    c = client("https://api.twilio.com", proxy=f"http://{QUOTED}@127.0.0.1:9", retry=False)
    with pytest.raises(twiliorm.TransportError, match="through the proxy") as e:
        c.post_json(MESSAGES, [("To", "+15005550006")])
    assert "refused" in str(e.value).lower()
    assert "may have reached Twilio" not in str(e.value)
    assert SECRET not in _every_form(e.value, c) + caplog.text


@pytest.mark.parametrize(
    "bad", ["socks5://user:hunter2-pw@proxy:1080", "ftp://proxy", "http://user:hunter2-pw@"]
)
def test_an_unusable_proxy_url_is_refused_without_its_password(bad: str) -> None:
    with pytest.raises(twiliorm.ConfigurationError, match="http:// or https://") as e:
        client("https://api.twilio.com", proxy=bad)
    assert "hunter2" not in _every_form(e.value)


@pytest.mark.parametrize("value", ["", True])
def test_proxy_takes_a_url_none_or_false(value: Any) -> None:
    with pytest.raises(twiliorm.ConfigurationError, match="False for none"):
        client("https://api.twilio.com", proxy=value)


def test_a_proxy_without_a_scheme_is_an_http_proxy() -> None:
    transport = client("https://api.twilio.com", proxy="proxy.example:3128").transport
    assert transport._pool.proxy.url == "http://proxy.example:3128"  # type: ignore[attr-defined]


def test_redacted_proxy_hides_everything_before_the_host() -> None:
    assert redacted_proxy("http://u:p@h:1") == "http://<redacted>@h:1"
    assert redacted_proxy("http://u:p/@#@h:1") == "http://<redacted>@h:1"
    assert redacted_proxy("u:p@h:1") == "<redacted>@h:1"
    assert redacted_proxy("http://h:1") == "http://h:1"


def _every_form(*objects: Any) -> str:
    """Each object's str and repr; an exception's whole traceback, causes included."""
    texts = []
    for o in objects:
        texts += [str(o), repr(o)]
        if isinstance(o, BaseException):
            texts += traceback.format_exception(o)
    return "\n".join(texts)
