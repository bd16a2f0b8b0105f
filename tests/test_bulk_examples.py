"""The migration guide's scripts run, on a rehearsal sandbox and on an account from the environment.

(tests/test_examples.py runs examples/*.py; the scripts of examples/migrations/
are run here.)
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from twiliorm import IncomingPhoneNumber, Message
from twiliorm.cli import main
from twiliorm.sandbox import Sandbox
from twiliorm.sandbox.clock import Clock

GUIDE = Path(__file__).resolve().parent.parent / "examples" / "migrations"
SCRIPTS = sorted(p for p in GUIDE.glob("*.py") if not p.name.startswith("_"))


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    env["PYTHONWARNINGS"] = "error::UserWarning"
    env.update(extra)
    return env


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: p.name)
def test_script_runs_against_a_fresh_sandbox(path: Path, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(path)],
        env=_env(TMPDIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert " matched, " in done.stdout


def test_every_script_is_in_the_guide_with_its_one_liner() -> None:
    guide = (GUIDE / "README.md").read_text()
    for path in SCRIPTS:
        assert f"]({path.name})" in guide
        one_liner = re.search(
            r"^\s+(twiliorm (?:update|delete|export) .*)$", path.read_text(), re.M
        )
        assert one_liner, f"{path.name} shows no CLI one-liner"


def test_a_script_works_on_the_account_the_environment_names(tmp_path: Path) -> None:
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=60)
    with Sandbox(clock=Clock(start=start)) as sandbox:
        sandbox.populate(50, 0)
        sandbox.advance(dt.timedelta(days=60).total_seconds())
        env = _env(
            TMPDIR=str(tmp_path),
            TWILIO_ACCOUNT_SID=sandbox.account_sid,
            TWILIO_AUTH_TOKEN=sandbox.auth_token,
            TWILIO_API_BASE_URL=sandbox.base_url,
        )
        script = str(GUIDE / "redact_old_bodies.py")
        done = subprocess.run(
            [sys.executable, script, "--live", "--days", "30", "--yes"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        with sandbox.client() as client:
            stored = [m.body for m in Message.objects.using(client).all()]
    assert done.returncode == 0, done.stderr[-3000:]
    assert "50 matched, 50 succeeded" in done.stdout
    assert stored == [""] * 50


def _numbers_on_v1(sandbox: Sandbox) -> dict[str, str]:
    """Three numbers on the old voice URL in ``sandbox``; their environment for a script."""
    with sandbox.client() as client:
        for _ in range(3):
            IncomingPhoneNumber.objects.using(client).create(
                area_code="530", voice_url="https://example.com/v1/voice.xml"
            )
    return _env(
        TWILIO_ACCOUNT_SID=sandbox.account_sid,
        TWILIO_AUTH_TOKEN=sandbox.auth_token,
        TWILIO_API_BASE_URL=sandbox.base_url,
    )


def _voice_urls(sandbox: Sandbox) -> set[str | None]:
    with sandbox.client() as client:
        return {n.voice_url for n in IncomingPhoneNumber.objects.using(client).all()}


def _repoint(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    script = str(GUIDE / "repoint_voice_urls.py")
    return subprocess.run(
        [sys.executable, script, *args],
        env=env,
        stdin=subprocess.DEVNULL,  # no terminal to ask on
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_live_a_script_rehearses_whatever_the_environment_names() -> None:
    with Sandbox() as sandbox:
        env = _numbers_on_v1(sandbox)
        before = len(sandbox.requests)
        done = _repoint(env)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "rehearsal" in done.stdout
        assert len(sandbox.requests) == before  # the account was not even read
        assert _voice_urls(sandbox) == {"https://example.com/v1/voice.xml"}


def test_a_live_run_names_its_targets_and_asks_first() -> None:
    new = "https://example.com/v2/voice.xml"
    with Sandbox() as sandbox:
        env = _numbers_on_v1(sandbox)
        before = len(sandbox.requests)
        untargeted = _repoint(env, "--live")
        assert untargeted.returncode == 2 and "--live needs --url" in untargeted.stderr
        assert len(sandbox.requests) == before
        unconfirmed = _repoint(env, "--live", "--url", new)
        assert unconfirmed.returncode == 1 and "pass --yes" in unconfirmed.stderr
        assert "3 would be written" in unconfirmed.stdout  # it showed what it would change
        assert not [r for r in sandbox.requests if r.method == "POST"][3:]  # only the 3 buys
        assert _voice_urls(sandbox) == {"https://example.com/v1/voice.xml"}
        done = _repoint(env, "--live", "--url", new, "--yes")
        assert done.returncode == 0, done.stderr[-3000:]
        assert _voice_urls(sandbox) == {new}


def test_the_redaction_one_liner(monkeypatch: pytest.MonkeyPatch) -> None:
    start = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=60)
    with Sandbox(clock=Clock(start=start)) as sandbox:
        sandbox.populate(30, 0)
        sandbox.advance(dt.timedelta(days=60).total_seconds())
        monkeypatch.setenv("TWILIO_ACCOUNT_SID", sandbox.account_sid)
        monkeypatch.setenv("TWILIO_AUTH_TOKEN", sandbox.auth_token)
        monkeypatch.setenv("TWILIO_API_BASE_URL", sandbox.base_url)
        with sandbox.client() as client:
            Message.objects.using(client).create(
                to="+15558675310", from_="+14155550100", body="new"
            )
            cutoff = (dt.date.today() - dt.timedelta(days=30)).isoformat()
            args = ["update", "messages", f"--filter=date_sent__lt={cutoff}", "--set", "body="]
            assert main([*args, "--yes"]) == 0
            bodies = sorted(m.body for m in Message.objects.using(client).all())
    assert bodies == [""] * 30 + ["new"]
