"""Transport security against hostile or broken servers: TLS, plain http, oversized answers.

Every server here is real and on loopback: a TLS server with a self-signed
certificate, servers that announce or stream more than the limit, one that
sends a compression bomb.
"""

from __future__ import annotations

import gzip
import ssl
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

import twiliorm
from twiliorm.transport import MAX_BODY_BYTES, Urllib3Transport

from .test_retry import ACCOUNT, MESSAGE, MESSAGE_JSON, TOKEN, ScriptedHandler, ScriptedServer, ok

# A self-signed certificate for 127.0.0.1 and localhost, valid 2020-2120, made with openssl
# for these tests only (the key protects nothing).
CERT = """-----BEGIN CERTIFICATE-----
MIIBZjCCAQ2gAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAkxMjcuMC4w
LjEwIBcNMjAwMTAxMDAwMDAwWhgPMjEyMDAxMDEwMDAwMDBaMBQxEjAQBgNVBAMM
CTEyNy4wLjAuMTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABKgmk9um8WpXnRYd
NPzQlmmlr8qjZoQtemT31JMKok213UFT7qpDDDbirsZB7uNhmHa1K+Fg0Rr6aUwr
j0ptsCKjTjBMMA8GA1UdEwEB/wQFMAMBAf8wGgYDVR0RBBMwEYcEfwAAAYIJbG9j
YWxob3N0MB0GA1UdDgQWBBQyFSSvg0Ybnq2ufsLso8um31EQvzAKBggqhkjOPQQD
AgNHADBEAiA3MFrFriApCP6lXBuyN4T/CTgPzuY7eL08PC0Pn6S7ZAIgWn7jsofm
HyDSQIHRrv05BsGfgy7yIgrZZ/rw564lPls=
-----END CERTIFICATE-----
"""
KEY = """-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgoI1tF54QCpq7TKFQ
4oRKWqj4JIZbd6fVoJ3t3uP543mhRANCAASoJpPbpvFqV50WHTT80JZppa/Ko2aE
LXpk99STCqJNtd1BU+6qQww24q7GQe7jYZh2tSvhYNEa+mlMK49KbbAi
-----END PRIVATE KEY-----
"""


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text(CERT)
    key.write_text(KEY)
    return cert, key


@pytest.fixture
def tls_server(tls_files: tuple[Path, Path]) -> Iterator[ScriptedServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_files)
    server = ScriptedServer([], default=ok())
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with server:
        yield server


def https_url(server: ScriptedServer) -> str:
    return f"https://127.0.0.1:{server.server_address[1]}"


# --- TLS ------------------------------------------------------------------------------------


def test_certificates_are_required_for_every_https_pool() -> None:
    transport = twiliorm.Client(ACCOUNT, TOKEN, environ={}).transport
    assert isinstance(transport, Urllib3Transport)
    assert transport._pool.connection_pool_kw["cert_reqs"] == "CERT_REQUIRED"
    pool = transport._pool.connection_from_url("https://api.twilio.com/2010-04-01")
    assert pool.cert_reqs == "CERT_REQUIRED"  # type: ignore[attr-defined]


def test_a_self_signed_server_is_refused_with_a_clear_error(tls_server: ScriptedServer) -> None:
    client = twiliorm.Client(ACCOUNT, TOKEN, base_url=https_url(tls_server))
    with pytest.raises(twiliorm.TransportError) as e:
        client.get_json(MESSAGE)
    assert "certificate could not be verified" in str(e.value)
    assert "CERTIFICATE_VERIFY_FAILED" in str(e.value)
    assert tls_server.seen == []  # not retried, and nothing reached the handler
    for method in ("POST", "DELETE"):
        with pytest.raises(twiliorm.TransportError, match="certificate"):
            client.request(method, MESSAGE)


def test_the_same_server_is_reached_once_its_certificate_is_trusted(
    tls_server: ScriptedServer, tls_files: tuple[Path, Path]
) -> None:
    # Proves the refusal above was the certificate check and nothing else.
    client = twiliorm.Client(ACCOUNT, TOKEN, base_url=https_url(tls_server))
    client.transport = Urllib3Transport(headers={}, ca_certs=str(tls_files[0]))
    assert client.get_json(MESSAGE)["sid"].startswith("SM")


# --- plain http -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://api.twilio.com",
        "http://10.0.0.8:8080",
        "http://127.0.0.1.example.com",
        "http://localhost.example.com",
        "http://[2001:db8::1]",
    ],
)
def test_plain_http_to_another_host_is_refused(url: str) -> None:
    with pytest.raises(twiliorm.ConfigurationError, match="refusing plain http") as e:
        twiliorm.Client(ACCOUNT, TOKEN, base_url=url)
    assert "allow_insecure_http=True" in str(e.value)
    assert TOKEN not in str(e.value)


def test_plain_http_elsewhere_works_when_asked_for_explicitly() -> None:
    client = twiliorm.Client(
        ACCOUNT, TOKEN, base_url="http://10.0.0.8:8080", allow_insecure_http=True
    )
    assert client.base_url == "http://10.0.0.8:8080"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "http://127.8.9.1"]
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    assert twiliorm.Client(ACCOUNT, TOKEN, base_url=url).base_url == url


@pytest.mark.parametrize("url", ["ftp://api.twilio.com", "file:///etc/passwd", "https://", "x"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(twiliorm.ConfigurationError, match="http"):
        twiliorm.Client(ACCOUNT, TOKEN, base_url=url)


# --- bounded answers ------------------------------------------------------------------------


def _limited(server: ScriptedServer, limit: int) -> twiliorm.Client:
    client = twiliorm.Client(ACCOUNT, TOKEN, base_url=server.base_url)
    transport = client.transport
    assert isinstance(transport, Urllib3Transport)
    transport.max_body = limit
    return client


def test_an_answer_at_the_limit_is_read() -> None:
    with ScriptedServer([ok()]) as server:
        assert _limited(server, len(MESSAGE_JSON)).get_json(MESSAGE)["body"] == "hi"


def test_an_announced_answer_over_the_limit_is_refused_before_reading() -> None:
    with ScriptedServer([ok()]) as server, pytest.raises(twiliorm.DecodeError) as e:
        _limited(server, len(MESSAGE_JSON) - 1).get_json(MESSAGE)
    assert "byte limit" in str(e.value) and "announced" in str(e.value)


def _endless(h: ScriptedHandler) -> None:
    """A chunked answer that never ends (1 MB chunks) until the client hangs up."""
    h.send_response(200)
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b"[" * (1 << 20)
    try:
        while True:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    except OSError:
        pass


def test_an_endless_answer_stops_at_the_default_limit() -> None:
    with ScriptedServer([_endless]) as server, pytest.raises(twiliorm.DecodeError) as e:
        twiliorm.Client(ACCOUNT, TOKEN, base_url=server.base_url).get_json(MESSAGE)
    assert f"{MAX_BODY_BYTES} byte limit" in str(e.value)


def test_a_compression_bomb_is_stopped_at_the_limit() -> None:
    bomb = gzip.compress(b" " * (128 << 20), compresslevel=9)  # 128 MB of spaces in ~130 KB
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    with ScriptedServer([lambda h: h.answer(200, bomb, headers)]) as server:
        client = _limited(server, 1 << 20)
        tracemalloc.start()
        try:
            with pytest.raises(twiliorm.DecodeError, match="byte limit"):
                client.get_json(MESSAGE)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 16 << 20  # decompressed as far as the limit, not to 128 MB


def test_the_pool_survives_a_refused_answer() -> None:
    # The oversized answer's connection is discarded, not reused half-read.
    with ScriptedServer([_endless, ok()]) as server:
        client = _limited(server, 4096)
        with pytest.raises(twiliorm.DecodeError):
            client.get_json(MESSAGE)
        assert client.get_json(MESSAGE)["sid"].startswith("SM")


def test_answers_are_read_concurrently_within_their_own_limits() -> None:
    errors: list[BaseException] = []
    with ScriptedServer([], default=ok()) as server:
        client = _limited(server, len(MESSAGE_JSON))

        def work() -> None:
            try:
                for _ in range(20):
                    assert client.get_json(MESSAGE)["sid"].startswith("SM")
            except BaseException as exc:  # collected, then failed on below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == [] and len(server.seen) == 160
