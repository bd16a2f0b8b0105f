"""Every example and the demo run against a fresh sandbox."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

from twiliorm.cli.demo import Tour, run_demo
from twiliorm.sandbox import Sandbox

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    env["PYTHONWARNINGS"] = "error::UserWarning"
    return env


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_example_runs_against_a_fresh_sandbox(path: pathlib.Path) -> None:
    done = subprocess.run(
        [sys.executable, str(path)], env=_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]


def test_quickstart_prints_what_it_did() -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "bought +1530" in done.stdout
    assert "GET /2010-04-01/Accounts/" in done.stdout and "DateSent%3E=2026-01-01" in done.stdout
    assert "participants in Quickstart 1" in done.stdout


def test_demo_walks_the_seed_tutorial() -> None:
    lines: list[str] = []
    assert run_demo(lines.append) == 0
    text = "\n".join(lines)
    for title in (
        "Buying a phone number",
        "Sending and retrieving SMS messages",
        "Accessing sub-accounts",
        "Checking error logs",
        "Something with conferences",
    ):
        assert title in text
    assert "muted=True" in text


def test_each_step_of_the_demo_runs_on_its_own(sandbox: Sandbox, client: object) -> None:
    lines: list[str] = []
    tour = Tour(sandbox, lines.append)
    number = tour.buy_a_number()
    assert number.is_saved and number.voice_url == "http://example.com/twiml.xml"
    lines.clear()
    tour.conference(number)
    assert lines[0] == "== Something with conferences"
    assert any("muted=True" in line for line in lines)
    assert all(line.startswith(("==", "   ")) for line in lines)
