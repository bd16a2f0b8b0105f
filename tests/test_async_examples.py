"""The async examples run against a fresh sandbox: the asyncio script (also run by
tests/test_examples.py with every example) and the ASGI Django project."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _run(path: pathlib.Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "DJANGO_"))}
    env["PYTHONWARNINGS"] = "error::UserWarning"
    return subprocess.run(
        [sys.executable, str(path)], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_asyncio_script_sends_reads_and_redacts() -> None:
    done = _run(EXAMPLES / "async_script.py")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "sent 12 reminders" in done.stdout and "body is now ''" in done.stdout


def test_the_django_async_views_send_and_list_over_asgi() -> None:
    done = _run(EXAMPLES / "django_async_view" / "run.py")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("POST /reminders/ -> 201 SM") == 3
    assert "with a bad number -> 400" in done.stdout
    assert "GET /messages/ -> 3 messages" in done.stdout
