"""Operating the sandbox: persistence with ``--db``, seeding, latency, the concurrency limit,
concurrent clients, and the request log.

The persistence test runs the real ``twiliorm sandbox`` command in a
subprocess, stops it, starts it again on the same file and finds everything
(records, credentials, sub-accounts, a lifecycle still under way).
"""

from __future__ import annotations

import concurrent.futures
import importlib
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import twiliorm
import twiliorm.sandbox
from twiliorm import Account, Call, IncomingPhoneNumber, Message, Queue, cli
from twiliorm.sandbox import Clock, Sandbox, Settings, populate, server

from .test_sandbox_support import Raw


def _command() -> list[str]:
    script = Path(sys.executable).parent / "twiliorm"
    return [str(script)] if script.exists() else [sys.executable, "-m", "twiliorm"]


class Served:
    """``twiliorm sandbox`` in a subprocess, and what it printed about itself."""

    def __init__(self, *options: str) -> None:
        self.process = subprocess.Popen(
            [*_command(), "sandbox", "--port", "0", "--quiet", *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        lines = [self.process.stdout.readline() for _ in range(4)]
        found = dict(re.findall(r"export (\w+)=(\S+)", "".join(lines)))
        if len(found) != 3:
            self.process.kill()
            raise AssertionError(f"the sandbox did not start: {lines} {self.process.stderr}")
        self.base_url = found["TWILIO_API_BASE_URL"]
        self.account_sid = found["TWILIO_ACCOUNT_SID"]
        self.auth_token = found["TWILIO_AUTH_TOKEN"]

    def client(self) -> twiliorm.Client:
        return twiliorm.Client(self.account_sid, self.auth_token, base_url=self.base_url)

    def stop(self) -> str:
        self.process.send_signal(signal.SIGTERM)
        _, errors = self.process.communicate(timeout=30)
        assert self.process.returncode == 0, errors
        return errors


def test_the_command_keeps_every_record_across_restarts(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    first = Served("--db", db)
    with first.client() as client:
        message = Message.objects.using(client).create(
            to="+15558675310", from_="+15017122661", body="kept"
        )
        redacted = Message.objects.using(client).create(
            to="+15558675311", from_="+15017122661", body="secret"
        )
        redacted.update(body="")
        call = Call.objects.using(client).create(
            to="+15558675310", from_="+15017122661", twiml="<Response><Say>hi</Say></Response>"
        )
        number = IncomingPhoneNumber.objects.using(client).create(area_code="530")
        number.update(friendly_name="kept number")
        sub = Account.objects.using(client).create(friendly_name="kept sub")
        queue = Queue.objects.using(client).create(friendly_name="kept queue")
    first.stop()

    again = Served("--db", db)
    try:
        assert (again.account_sid, again.auth_token) == (first.account_sid, first.auth_token)
        with again.client() as client:
            assert Message.objects.using(client).get(sid=message.sid).body == "kept"
            assert Message.objects.using(client).get(sid=redacted.sid).body == ""
            assert Call.objects.using(client).get(sid=call.sid).status == "completed"
            kept = IncomingPhoneNumber.objects.using(client).get(sid=number.sid)
            assert kept.friendly_name == "kept number" and kept.phone_number == number.phone_number
            assert Queue.objects.using(client).get(sid=queue.sid).friendly_name == "kept queue"
            assert {a.sid for a in Account.objects.using(client).all()} == {
                first.account_sid,
                sub.sid,
            }
        assert sub.sid and sub.auth_token
        with twiliorm.Client(sub.sid, sub.auth_token, base_url=again.base_url) as child:
            assert Message.objects.using(child).count() == 0  # its credentials still work
    finally:
        again.stop()


def test_a_lifecycle_under_way_carries_on_after_a_restart(tmp_path: Path) -> None:
    db = str(tmp_path / "sandbox.db")
    clock = Clock(frozen=True)
    settings = Settings(message_delays=(5, 5, 5), callback_timeout=2.0)
    with Sandbox(db=db, clock=clock, settings=settings) as sandbox:
        raw = Raw(sandbox)
        form = {"To": "+15558675310", "From": "+15017122661", "Body": "in flight"}
        sid = raw("POST", f"{raw.a}/Messages.json", form).json()["sid"]
        sandbox.advance(5)
        assert raw("GET", f"{raw.a}/Messages/{sid}.json").json()["status"] == "sending"
        raw.close()
    with Sandbox(db=db, clock=clock) as again:  # settings come back from the file too
        assert again.app.settings == settings
        raw = Raw(again)
        again.advance(10)
        assert raw("GET", f"{raw.a}/Messages/{sid}.json").json()["status"] == "delivered"
        raw.close()


def test_records_are_made_once_per_database(tmp_path: Path) -> None:
    db = str(tmp_path / "populated.db")
    with Sandbox(db=db, records=120) as sandbox, sandbox.client() as client:
        assert Message.objects.using(client).count() == 120
        assert Call.objects.using(client).count() == 120
        statuses = {m.status for m in Message.objects.using(client).all()}
        assert "delivered" in statuses
        assert statuses <= {"delivered", "sent", "undelivered", "failed"}
    with Sandbox(db=db, records=120) as sandbox, sandbox.client() as client:
        assert Message.objects.using(client).count() == 120
        sandbox.populate(130, calls=0)  # totals, not additions
        assert Message.objects.using(client).count() == 130
        assert Call.objects.using(client).count() == 120
    served = Served("--db", db, "--records", "150")
    try:
        with served.client() as client:
            assert Message.objects.using(client).count() == 150
    finally:
        served.stop()


def test_the_former_names_of_populating_still_work_and_warn() -> None:
    with pytest.warns(DeprecationWarning, match=r"Sandbox\(records=N\)"):
        sandbox = Sandbox(seed=3)
    with sandbox, pytest.warns(DeprecationWarning, match=r"populate\(\)"):
        sandbox.seed(4, 2)
        assert len(sandbox.store.all("Message")) == 4
        assert len(sandbox.store.all("Call")) == 3
    with pytest.warns(DeprecationWarning, match="twiliorm.sandbox.populate"):
        seed = importlib.import_module("twiliorm.sandbox.seed")
        importlib.reload(seed)  # warns again if an earlier test imported it
    assert seed.seed_messages is populate.populate_messages


def test_the_command_passes_records_and_limits_to_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    given: dict[str, object] = {}

    def refused(**options: object) -> None:
        given.update(options)
        raise ValueError("not started in this test")

    monkeypatch.setattr(twiliorm.sandbox, "Sandbox", refused)
    limits = ["--request-timeout", "2.5", "--idle-timeout", "7", "--max-connections", "3"]
    assert cli.main(["sandbox", "--quiet", "--records", "5", *limits]) == 2
    assert "not started in this test" in capsys.readouterr().err
    assert given["records"] == 5
    assert (given["request_timeout"], given["idle_timeout"], given["max_connections"]) == (
        2.5,
        7,
        3,
    )
    given.clear()
    assert cli.main(["sandbox", "--quiet", "--seed", "4"]) == 2
    assert given["records"] == 4 and "--seed N is deprecated" in capsys.readouterr().err
    assert "request_timeout" not in given  # the sandbox's own defaults


def test_the_commands_help_gives_the_sandboxs_own_limits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["sandbox", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for flag, default in [
        ("--request-timeout", server.REQUEST_TIMEOUT),
        ("--idle-timeout", server.IDLE_TIMEOUT),
        ("--max-connections", server.MAX_CONNECTIONS),
    ]:
        assert re.search(rf"{flag} \S+ ((?!--).)*\(default {default:g}\)", text), flag


def test_latency_delays_every_answer() -> None:
    with Sandbox(latency_ms=200) as sandbox:
        raw = Raw(sandbox)
        started = time.monotonic()
        raw("GET", f"{raw.a}/Messages.json")
        assert time.monotonic() - started >= 0.2  # a lower bound the sleep guarantees
        raw.close()


def test_over_the_concurrency_limit_requests_get_429() -> None:
    with Sandbox(concurrency_limit=2, latency_ms=1500) as sandbox:
        sub = Raw(sandbox)("POST", "/2010-04-01/Accounts.json", {"FriendlyName": "other"}).json()
        start = threading.Barrier(7)

        def get(raw: Raw) -> tuple[int, int, int]:
            start.wait()
            answer = raw("GET", f"{raw.a}/Messages.json")
            code = answer.json().get("code", 0)
            return answer.status, code, int(answer.headers["Twilio-Concurrent-Requests"])

        raws = [Raw(sandbox) for _ in range(6)] + [Raw(sandbox, sub["sid"], sub["auth_token"])]
        with concurrent.futures.ThreadPoolExecutor(7) as pool:
            answers = list(pool.map(get, raws))
        mine, other = answers[:6], answers[6]
        admitted = [a for a in mine if a[0] == 200]
        refused = [a for a in mine if a[0] == 429]
        assert len(admitted) == 2 and len(refused) == 4
        assert all(code == 20429 for _, code, _ in refused)
        assert all(inflight <= 2 for _, _, inflight in admitted)
        assert other[0] == 200  # the limit is per account
        assert [r.status for r in sandbox.requests].count(429) == 4


def test_concurrent_clients_are_all_served() -> None:
    with Sandbox() as sandbox:

        def work(n: int) -> list[str]:
            with sandbox.client() as client:
                made = [
                    Message.objects.using(client).create(
                        to=f"+1555867{n:02d}{i:02d}", from_="+15017122661", body=f"{n}/{i}"
                    )
                    for i in range(20)
                ]
                return [m.sid for m in made if m.sid]

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            sids = [sid for batch in pool.map(work, range(8)) for sid in batch]
        assert len(set(sids)) == 160
        with sandbox.client() as client:
            assert Message.objects.using(client).count() == 160


def test_each_request_is_logged_on_one_line_without_secrets_or_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with Sandbox() as sandbox:
        raw = Raw(sandbox)
        caplog.set_level(logging.INFO, logger="twiliorm.sandbox")
        form = {"To": "+15558675310", "From": "+15017122661", "Body": "private words"}
        raw("POST", f"{raw.a}/Messages.json", form)
        raw("GET", f"{raw.a}/Messages.json?To=%2B15558675310&PageSize=7")
        raw.close()
        lines = [r.getMessage() for r in caplog.records if r.name == "twiliorm.sandbox"]
        token = sandbox.auth_token
    assert len(lines) == 2
    post, get = lines
    assert post.startswith(f"POST /2010-04-01/Accounts/{raw.account}/Messages.json 201 ")
    assert get.startswith(f"GET /2010-04-01/Accounts/{raw.account}/Messages.json 200 ")
    assert "params=To,PageSize" in get and "rid=RQ" in get
    for line in lines:
        assert "\n" not in line and token not in line
        assert "private" not in line and "5558675310" not in line and "=7" not in line


def test_bad_options_are_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="fault rates for GET"):
        Sandbox(faults="500=0.7,503=0.7")
    with pytest.raises(ValueError, match="concurrency_limit"):
        Sandbox(concurrency_limit=0)
    result = subprocess.run(
        [*_command(), "sandbox", "--port", "0", "--faults", "teapot=0.5"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert result.returncode == 2 and "unknown fault 'teapot'" in result.stderr
