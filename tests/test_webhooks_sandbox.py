"""The sandbox's signed status callbacks, received by a loopback WSGI app behind the middleware.

The sandbox signs each callback as Twilio does, with the token of the
account the message belongs to; an application using twiliorm's WSGI
middleware must accept every one of them, and read each into a Message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

import twiliorm
from twiliorm import Message, MessageStatus
from twiliorm.sandbox import Sandbox
from twiliorm.webhooks import AccountTokens, WebhookValidator, parse_callback
from twiliorm.webhooks.wsgi import PARAMS_KEY, SignatureMiddleware


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


class Receiver:
    """A threaded loopback server: every request passes the middleware or gets its 403."""

    def __init__(self, validator: WebhookValidator) -> None:
        self.messages: list[Message] = []
        self.lock = threading.Lock()
        app = SignatureMiddleware(self.app, validator)
        self.server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/twilio/status"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        message = parse_callback(environ[PARAMS_KEY], Message)
        with self.lock:
            self.messages.append(message)
        start_response("204 No Content", [])
        return []

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def receiver(sandbox: Sandbox) -> Iterator[Receiver]:
    client = sandbox.client()
    server = Receiver(WebhookValidator(sandbox.auth_token, accounts=AccountTokens(client)))
    yield server
    server.close()
    client.close()


def delivered(sandbox: Sandbox, message: Message, final: str = "delivered") -> list[Any]:
    """The callbacks the sandbox attempted for ``message``, once it reached ``final``."""
    deadline = time.monotonic() + 30  # a generous bound for a busy machine, not a timing claim
    while message.refresh().status != final:
        assert time.monotonic() < deadline, f"{message.sid} stayed {message.status}"
        time.sleep(0.05)
    assert sandbox.app.callbacks.wait(30)
    return [d for d in sandbox.app.callbacks.deliveries if d.form.get("MessageSid") == message.sid]


def test_every_status_callback_validates_and_reads_into_the_message(
    sandbox: Sandbox, client: twiliorm.Client, receiver: Receiver
) -> None:
    message = Message.objects.create(
        to="+15558675310", from_="+15005550006", body="Hello", status_callback=receiver.url
    )
    attempts = delivered(sandbox, message)
    assert attempts, "the sandbox sent no status callback"
    assert [a.status for a in attempts] == [204] * len(attempts)
    assert [m.sid for m in receiver.messages] == [message.sid] * len(attempts)
    assert receiver.messages[-1].status is MessageStatus.DELIVERED
    assert receiver.messages[-1].to == "+15558675310"


def test_a_sub_accounts_callbacks_validate_with_its_own_token(
    sandbox: Sandbox, client: twiliorm.Client, receiver: Receiver
) -> None:
    sub = twiliorm.Account.objects.create(friendly_name="callbacks")
    assert sub.sid and sub.auth_token and sub.auth_token != sandbox.auth_token
    sub_client = twiliorm.Client(sub.sid, sub.auth_token, base_url=sandbox.base_url)
    try:
        message = Message.objects.using(sub_client).create(
            to="+15558675310", from_="+15005550006", body="Hi", status_callback=receiver.url
        )
        message = Message.objects.using(sub_client).get(sid=message.sid)
        attempts = delivered(sandbox, message)
    finally:
        sub_client.close()
    assert attempts and all(a.status == 204 for a in attempts)
    assert {m.account_sid for m in receiver.messages} == {sub.sid}


def test_each_signature_binds_the_url_and_the_accounts_token(
    sandbox: Sandbox, client: twiliorm.Client, receiver: Receiver
) -> None:
    message = Message.objects.create(
        to="+15558675310",
        from_="+15005550006",
        body="Hello",
        status_callback=receiver.url + "?attempt=1",
    )
    attempts = delivered(sandbox, message)
    assert attempts
    validator = WebhookValidator(sandbox.auth_token)
    stranger = WebhookValidator("0" * 32)
    for attempt in attempts:
        assert attempt.status == 204
        assert validator.validate(attempt.url, attempt.params, attempt.signature)
        other_url = attempt.url.replace("attempt=1", "attempt=2")
        assert not validator.validate(other_url, attempt.params, attempt.signature)
        assert not stranger.validate(attempt.url, attempt.params, attempt.signature)
