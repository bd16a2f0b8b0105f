"""Secrets never leak: the auth token and API secrets are in no log, error, repr or export.

One workload exercises every path a secret could escape through, with
every logger in the process at DEBUG (twiliorm's, urllib3's, the
sandbox's) and ``log_bodies=True`` on one client: creates, reads, updates
and deletes, answers that carry credentials (an Account holds its auth
token, a new API key its secret), a rejected wrong token, 404s, retried
429s and 5xx, dropped connections, unreadable answers, a refused port,
invalid input. Then everything the run produced is searched for every
secret, raw and in its base64 (Basic auth) form: the captured log
records, every exception's ``str``, ``repr`` and formatted traceback
(chained causes included), the ``repr`` of the clients, transports,
requests and answers, the sandbox's request log, and the files exported.
"""

from __future__ import annotations

import base64
import io
import logging
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import twiliorm
from twiliorm import Account, Message, NewKey
from twiliorm.sandbox import Sandbox
from twiliorm.sandbox.faults import Faults
from twiliorm.transport import Request, Response

from .helpers import record

WRONG_TOKEN = "0123456789abcdef-wrong-token-value"


class Capture(logging.Handler):
    """Every record of every logger, formatted as a handler would write it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def everything_logged() -> Iterator[Capture]:
    root = logging.getLogger()
    capture = Capture()
    old_level = root.level
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(old_level)


class Evidence:
    """Everything the workload produced that a secret could hide in."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.errors = 0
        self.secrets: list[str] = []  # secrets the workload met in answers (API key secrets)

    def add(self, *objects: Any) -> None:
        self.texts.extend(repr(o) for o in objects)
        self.texts.extend(str(o) for o in objects)

    def attempt(self, action: Callable[[], Any]) -> Any:
        """Run ``action``; keep its result's repr or its exception's every form."""
        try:
            result = action()
        except Exception as exc:
            self.errors += 1
            self.texts.append("".join(traceback.format_exception(exc)))
            self.add(exc, *_causes(exc))
            return None
        self.add(result)
        return result


def _causes(exc: BaseException) -> Iterator[BaseException]:
    while exc.__cause__ or exc.__context__:
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
        yield exc


def _workload(sandbox: Sandbox, out: Path, evidence: Evidence) -> None:
    plain = sandbox.client()
    chatty = sandbox.client(log_bodies=True)
    recorder = record(chatty)
    evidence.add(plain, chatty, plain.transport, chatty.transport)
    for client in (plain, chatty):
        _crud(client, evidence)
        _credentials_in_answers(client, sandbox, evidence)
    _failures(sandbox, evidence)
    evidence.add(*recorder.requests)
    evidence.attempt(lambda: Message.objects.using(plain).all().export(out / "messages.csv"))
    evidence.attempt(
        lambda: Message.objects.using(plain).all().export(out / "messages.json", format="json")
    )
    for fmt in ("csv", "jsonl", "json"):  # an Account's payload holds its auth token
        evidence.attempt(
            lambda fmt=fmt: (
                Account.objects.using(plain).all().export(out / f"accounts.{fmt}", format=fmt)
            )
        )


def _crud(client: twiliorm.Client, evidence: Evidence) -> None:
    objects = Message.objects.using(client)
    sent = evidence.attempt(
        lambda: objects.create(to="+15558675310", from_="+15005550006", body="secret-free")
    )
    evidence.attempt(lambda: list(objects.filter(to="+15558675310")[:10]))
    evidence.attempt(lambda: objects.get(sid=sent.sid))
    sent.body = ""
    evidence.attempt(sent.save)
    evidence.attempt(sent.delete)
    evidence.attempt(lambda: objects.get(sid=sent.sid))  # 404
    evidence.attempt(lambda: objects.get(sid="../" + sent.sid))  # refused before sending
    evidence.attempt(lambda: objects.create(to="+15005550001", from_="+15005550006", body="x"))


def _credentials_in_answers(client: twiliorm.Client, sandbox: Sandbox, evidence: Evidence) -> None:
    # These answers carry secrets by design; they must stay out of logs and reprs.
    account = evidence.attempt(lambda: Account.objects.using(client).get(sid=sandbox.account_sid))
    assert account.auth_token == sandbox.auth_token  # the workload really saw the token
    key = evidence.attempt(lambda: NewKey.objects.using(client).create(friendly_name="ci"))
    assert key.secret
    evidence.secrets.append(key.secret)
    evidence.add(Response(200, {}, account.to_api().__repr__().encode()))


def _failures(sandbox: Sandbox, evidence: Evidence) -> None:
    wrong = twiliorm.Client(sandbox.account_sid, WRONG_TOKEN, base_url=sandbox.base_url)
    evidence.attempt(lambda: list(Message.objects.using(wrong).all()[:1]))  # 401
    with sandbox.client(retry=1) as client:
        objects = Message.objects.using(client)
        for spec in ("429=1:0", "503=1", "reset=1", "lost=1", "garbage=1", "truncate=1"):
            sandbox.faults = Faults(spec, 1)
            evidence.attempt(lambda: list(objects.all()[:3]))
            evidence.attempt(
                lambda: objects.create(to="+15558675310", from_="+15005550006", body="f")
            )
        sandbox.faults = None
    refused = twiliorm.Client(
        sandbox.account_sid, sandbox.auth_token, base_url="http://127.0.0.1:9", retry=0
    )
    evidence.attempt(lambda: list(Message.objects.using(refused).all()[:1]))
    evidence.attempt(
        lambda: twiliorm.Client(sandbox.account_sid, sandbox.auth_token, base_url="http://x.io")
    )
    evidence.add(Request("GET", sandbox.base_url, headers={"Authorization": _basic(sandbox)}))


def _basic(sandbox: Sandbox) -> str:
    pair = f"{sandbox.account_sid}:{sandbox.auth_token}".encode()
    return "Basic " + base64.b64encode(pair).decode()


def _forms(secret: str, account: str) -> list[str]:
    """The secret as it could appear: raw, and inside a Basic auth header."""
    return [secret, base64.b64encode(f"{account}:{secret}".encode()).decode()]


def test_no_secret_in_anything_the_run_logged_raised_or_wrote(
    tmp_path: Path, everything_logged: Capture
) -> None:
    evidence = Evidence()
    with Sandbox() as sandbox:
        _workload(sandbox, tmp_path, evidence)
        evidence.add(*sandbox.requests)
        secrets = [sandbox.auth_token, WRONG_TOKEN, *evidence.secrets]
        account = sandbox.account_sid
    written = [p.read_text("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()]
    haystacks = {
        "log": "\n".join(everything_logged.lines),
        "errors and reprs": "\n".join(evidence.texts),
        "exported files": "\n".join(written),
    }
    # The search is only meaningful if the run produced all of these.
    assert evidence.errors >= 12 and len(written) == 5
    assert any("twiliorm.http DEBUG" in line for line in everything_logged.lines)
    assert any("urllib3" in line for line in everything_logged.lines)
    assert any("twiliorm.sandbox" in line for line in everything_logged.lines)
    for where, text in haystacks.items():
        for secret in secrets:
            for form in _forms(secret, account):
                assert form not in text, f"a secret leaked into the {where}"


def test_debug_logs_hide_parameter_values_unless_asked(sandbox: Sandbox) -> None:
    def lines_for(client: twiliorm.Client) -> list[str]:
        capture = Capture()
        logger = logging.getLogger("twiliorm.http")
        logger.addHandler(capture)
        old = logger.level
        logger.setLevel(logging.DEBUG)
        try:
            objects = Message.objects.using(client)
            objects.create(to="+15558675310", from_="+15005550006", body="Hello Monkey")
            list(objects.filter(to="+15558675310")[:2])
        finally:
            logger.removeHandler(capture)
            logger.setLevel(old)
        return capture.lines

    quiet = "\n".join(lines_for(sandbox.client()))
    assert "Body" in quiet and "To=..." in quiet and "PageSize=2" in quiet
    assert "+15558675310" not in quiet and "Hello Monkey" not in quiet
    chatty = "\n".join(lines_for(sandbox.client(log_bodies=True)))
    assert "+15558675310" in chatty and "Hello Monkey" in chatty
    assert sandbox.auth_token not in quiet + chatty


def test_the_twiliorm_logger_is_silent_by_default() -> None:
    handlers = logging.getLogger("twiliorm").handlers
    assert any(isinstance(h, logging.NullHandler) for h in handlers)
    assert logging.getLogger("twiliorm.http").handlers == []


def test_log_redaction_covers_every_credential_like_key() -> None:
    from twiliorm import logs

    body = (
        b'{"auth_token": "t1", "secret": "t2", "sip_auth_password": "t3", "password": "t4",'
        b' "ice_servers": [{"credential": "t5", "username": "u"}], "friendly_name": "ok"}'
    )
    shown = logs.redact(body)
    assert not any(f"t{i}" in shown for i in range(1, 6)) and '"ok"' in shown
    form = [("Password", "p1"), ("SipAuthPassword", "p2"), ("AuthToken", "p3"), ("To", "+1")]
    line = logs.describe_request("POST", "http://h/p.json?PageToken=PT1&To=%2B1", form, values=True)
    assert not any(p in line for p in ("p1", "p2", "p3")) and "PT1" in line and "+1" in line


def test_client_and_transport_reprs_hold_no_secret() -> None:
    token, secret = "tok-" + "7" * 28, "sec-" + "8" * 28
    by_token = twiliorm.Client("AC" + "1" * 32, token, environ={})
    by_key = twiliorm.Client(
        "AC" + "1" * 32, api_key="SK" + "2" * 32, api_secret=secret, environ={}
    )
    for client, hidden in ((by_token, token), (by_key, secret)):
        for shown in (repr(client), str(client), repr(client.transport)):
            assert hidden not in shown
    with pytest.raises(twiliorm.ConfigurationError) as failed:
        twiliorm.Client("AC" + "1" * 32, token, base_url="http://example.com")
    assert token not in "".join(traceback.format_exception(failed.value))


def test_a_credential_is_exported_only_when_named(sandbox: Sandbox, tmp_path: Path) -> None:
    accounts = Account.objects.using(sandbox.client())
    accounts.all().export(tmp_path / "default.csv")
    default = (tmp_path / "default.csv").read_text()
    assert sandbox.account_sid in default and "auth_token" not in default
    asked = io.StringIO()  # not a file: the suite-wide check would (rightly) object
    accounts.all().export(asked, fields=["sid", "auth_token"])
    assert sandbox.auth_token in asked.getvalue()
