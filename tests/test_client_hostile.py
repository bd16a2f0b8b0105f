"""Where credentials may go: page links and redirects from a hostile server never move a request.

A hostile API server on loopback answers with page links spelled every way a
URL parser accepts, or with redirects; witnesses (raw listeners on another
port, and on another loopback address where the system has one) record any
connection they get. Every request carries the account's credentials, so a
witness must get nothing, and the client must fail with a clear error first.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import twiliorm
from twiliorm import Message
from twiliorm.transport import FunctionTransport, Request, Response

from .test_retry import ACCOUNT, MESSAGE, MESSAGES, TOKEN, ScriptedHandler, ScriptedServer, Step

RECORD = {"sid": "SM" + "c" * 32, "account_sid": ACCOUNT, "body": "hi", "status": "sent"}


class Witness:
    """A raw listener that records every connection it gets (and what came first on it)."""

    def __init__(self, host: str) -> None:
        self.listener = socket.create_server((host, 0))
        self.listener.settimeout(0.05)
        self.host, self.port = host, int(self.listener.getsockname()[1])
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    self.received.append(conn.recv(65536) or b"<connected>")
                except OSError:
                    self.received.append(b"<connected>")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.listener.close()


def _second_loopback() -> str | None:
    try:
        with socket.create_server(("127.0.0.2", 0)):
            return "127.0.0.2"
    except OSError:
        return None


@pytest.fixture
def witnesses() -> Iterator[list[Witness]]:
    hosts = ["127.0.0.1"] + ([other] if (other := _second_loopback()) else [])
    found = [Witness(host) for host in hosts]
    yield found
    for witness in found:
        witness.close()
    assert [w.received for w in found] == [[] for _ in found], "a request left the base URL"


def _spellings(base: int, witnesses: list[Witness]) -> list[str]:
    """Links that lead (or a lenient parser could read as leading) away from the base URL."""
    port = witnesses[0].port
    w = f"127.0.0.1:{port}"
    far = f"{witnesses[-1].host}:{witnesses[-1].port}"
    return [
        f"http://{w}/x", f"HTTP://{w}/x", f"hTtP://{w}/x", f"http://{far}/x", f"//{far}/x",
        f"//{w}/x", f"///{w}/x", f"\\\\{w}/x", f"/\\{w}/x", f"\\/{w}/x", f"/\\/{w}/x",
        f"@{w}/x", f":{port}/x", f".evil:{port}/x", f"%2F%2F{w}/x", "x", "?PageToken=PT1",
        f"http://127.0.0.1:{base}@{w}/x", f"http://u:p@127.0.0.1:{base}/x",
        f"http://127.0.0.1:{base}\\@{w}/x", f"http://127.0.0.1%2F@{w}/x",
        f"http:{w}/x", f"http:/{w}/x", f"http:\\\\{w}/x", f"http:///{w}/x",
        f"http://%31%32%37.0.0.1:{port}/x", f"http://127.0.0.1%2e:{port}/x",
        f"http://127.0.0.1%3A{port}/x", f"http://127.0.0.1.evil:{base}/x",
        f"http://127.0.0.1.:{port}/x", f"http://localhost:{port}/x", f"http://127.1:{port}/x",
        f"http://2130706433:{port}/x", f"http://0x7f000001:{port}/x",
        f"http://[::ffff:127.0.0.1]:{port}/x", f"http://127.0.0.2:{base}/x",
        f"http://127.0.0.1:{base}:{port}/x", f"https://127.0.0.1:{base}/x",
        f"ftp://127.0.0.1:{base}/x", "javascript:alert(1)",
        f" //{w}/x", f"\t//{w}/x", f"\n//{w}/x", f"\r\n//{w}/x", "/x\t", "/x y", "/x\n",
        "/x\x00", f"/x\r\nHost: {w}", "/x\x7f", f"/x\u2028//{w}",
        "http://\u24d4vil.example/x", f"http://\uff11\uff12\uff17.\uff10.\uff10.\uff11:{port}/x",
        "/\uff58", f"http://127.0.0.1:{base}\u3002evil/x", f"//{w}\u2044x",
    ]  # fmt: skip


def _page(link: Any, sid: str = RECORD["sid"]) -> Step:
    body = json.dumps({"messages": [{**RECORD, "sid": sid}], "next_page_uri": link}).encode()
    return lambda h: h.answer(200, body, {"Content-Type": "application/json"})


def _client(server: ScriptedServer, **options: Any) -> twiliorm.Client:
    return twiliorm.Client(ACCOUNT, TOKEN, base_url=server.base_url, retry=False, **options)


def _base_port(server: ScriptedServer) -> int:
    return int(server.server_address[1])


# --- page links ------------------------------------------------------------------------------


def test_a_list_never_follows_a_page_link_off_the_base_url(witnesses: list[Witness]) -> None:
    with ScriptedServer([]) as server:
        client = _client(server, timeout=2.0)
        for link in _spellings(_base_port(server), witnesses):
            server.default, server.seen = _page(link), []
            with pytest.raises(twiliorm.DecodeError, match="refus"):
                list(Message.objects.using(client).all())
            assert len(server.seen) == 1, link  # the first page only


def test_the_client_refuses_every_such_link_before_sending(witnesses: list[Witness]) -> None:
    # Links from any payload, not only the pager's: Client.url is the last gate.
    with ScriptedServer([], default=_page(None)) as server:
        client = _client(server, timeout=2.0)
        for link in _spellings(_base_port(server), witnesses):
            with pytest.raises(twiliorm.DecodeError, match="refusing to follow"):
                client.get_json(link)
        assert server.seen == []


@pytest.mark.parametrize("link", [1, 1.5, 0, True, False, ["/x"], {"path": "/x"}])
def test_a_page_link_that_is_not_text_is_a_decode_error(link: Any) -> None:
    with ScriptedServer([], default=_page(link)) as server:
        with pytest.raises(twiliorm.DecodeError, match="next_page_uri"):
            list(Message.objects.using(_client(server)).all())
        assert len(server.seen) == 1


def _echo(h: ScriptedHandler) -> None:
    _page(h.path)(h)  # the link leads to the page just read


def test_a_page_linking_to_itself_is_a_decode_error_not_an_endless_loop() -> None:
    with ScriptedServer([], default=_echo) as server:
        with pytest.raises(twiliorm.DecodeError, match="already read"):
            list(Message.objects.using(_client(server)).all())
        assert len(server.seen) == 1


def test_pages_linking_in_a_circle_are_a_decode_error() -> None:
    first = f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json?PageSize=50&PageToken=PA"
    second = first.replace("PA", "PB")
    script = [_page(first), _page(second)]
    with ScriptedServer(script, default=_page(first)) as server:
        with pytest.raises(twiliorm.DecodeError, match="already read"):
            list(Message.objects.using(_client(server)).all())
        assert len(server.seen) <= 4


def test_same_origin_links_are_followed(witnesses: list[Witness]) -> None:
    with ScriptedServer([]) as server:
        base = server.base_url
        spelled = [f"{base}/a.json", base.replace("http", "HTTP") + "/b.json", "/c.json"]
        server.script = [_page(link, f"SM{n:032d}") for n, link in enumerate(spelled)]
        server.default = _page(None)
        got = list(Message.objects.using(_client(server)).all())
        assert len(got) == 4
        assert [path for _, path, _ in server.seen][1:] == ["/a.json", "/b.json", "/c.json"]


def test_a_base_url_with_a_user_name_is_refused() -> None:
    with pytest.raises(twiliorm.ConfigurationError, match="user name"):
        twiliorm.Client(ACCOUNT, TOKEN, base_url="http://user:pw@127.0.0.1:9")


# --- redirects ---------------------------------------------------------------------------------


def _redirect(status: int, location: str) -> Step:
    return lambda h: h.answer(status, b"moved", {"Location": location})


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_redirect_is_never_followed(status: int, method: str, witnesses: list[Witness]) -> None:
    form = [("To", "+15005550006"), ("Body", "hi")]
    for witness in witnesses:
        target = f"http://{witness.host}:{witness.port}/2010-04-01/x.json"
        with ScriptedServer([], default=_redirect(status, target)) as server:
            client = twiliorm.Client(ACCOUNT, TOKEN, base_url=server.base_url, timeout=2.0)
            with pytest.raises(twiliorm.TransportError) as error:
                client.request(method, MESSAGE, form=form if method == "POST" else ())
            assert len(server.seen) == 1  # not resent either
        text = str(error.value)
        assert f"answered {status} redirecting to {witness.host}:{witness.port}" in text
        assert "does not follow" in text and "+1500" not in text


def test_a_redirect_on_the_same_host_is_not_followed_either() -> None:
    with ScriptedServer([], default=_redirect(302, "/elsewhere")) as server:
        with pytest.raises(twiliorm.TransportError, match=r"redirecting to 127\.0\.0\.1"):
            _client(server).post_json(MESSAGES, [("To", "+15005550006")])
        assert [path for _, path, _ in server.seen] == [MESSAGES]


def test_twilios_307_for_add_on_data_is_an_answer_not_followed(witnesses: list[Witness]) -> None:
    where = f"http://127.0.0.1:{witnesses[0].port}/data"
    body = json.dumps({"redirect_to": where}).encode()
    step: Step = lambda h: h.answer(307, body, {"Location": where})  # noqa: E731
    with ScriptedServer([], default=step) as server:
        assert _client(server).get_json(MESSAGE) == {"redirect_to": where}


def test_redirects_are_refused_whatever_the_transport() -> None:
    def moved(request: Request) -> Response:
        return Response(302, {"Location": "https://evil.example/x"}, b"")

    client = twiliorm.Client(ACCOUNT, TOKEN, transport=FunctionTransport(moved))
    with pytest.raises(twiliorm.TransportError, match=r"redirecting to evil\.example"):
        client.get_json(MESSAGE)
