"""The async benchmark (``tests/bench/async_fetch.py``, issue 14) still runs: tiny sizes.

No figure is checked (a timed assertion on a shared machine can only flake);
what is checked is that every client runs every workload it is listed for
against the loopback server, through ``python -m tests.bench --async-fetch``
as the docs say, and that the server saw exactly the requests each run was
meant to send (the orchestrator stops on any other count: a client that
fetched a page too many, or iterated at another page size, fails here).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import aiohttp  # noqa: F401 - the test extra has both; a missing one fails here, never skips
import pytest
import twilio  # noqa: F401

from .bench import async_fetch

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_the_async_benchmark_runs_every_client(tmp_path: Path) -> None:
    out = tmp_path / "runs.json"
    sizes = ["--reps", "1", "--fetches", "6", "--records", "1500"]
    command = [sys.executable, "-m", "tests.bench", "--async-fetch", *sizes, "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    runs = json.loads(out.read_text())["runs"]
    ran = {(r["workload"], r["client"]): r for r in runs}
    planned = {(w, c) for w, clients in async_fetch.PLAN.items() for c in clients}
    assert set(ran) == planned
    for (workload, _), r in ran.items():
        assert r["handled"] == (1500 if workload == "iterate" else 6)
        assert r["wall_s"] > 0 and r["cpu_s"] >= 0
    assert "sequential sync wall ÷ twiliorm async wall" in done.stdout
    assert "load average before" in done.stdout


def test_bad_sizes_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        async_fetch.parse(["--fetches", "0"])
    assert "must be at least 1" in capsys.readouterr().err
