"""Bulk jobs against a misbehaving sandbox: injected faults, a job killed mid-way, a capped account.

The sandbox's request log is the witness: it says which writes were
processed (an injected 5xx, reset or 429 is answered without processing; a
``lost`` request is processed and its answer dropped), so "no write repeated"
is counted, not assumed. The full-size runs (10,000 records) are in
``tests/bench/bench_bulk.py``; these are the same checks at CI size.

Each runs with both drivers (``tests/async_driver.py``): a job killed under
one is resumed under the other (a checkpoint is the same file sync or async).
"""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from twiliorm import Call, Message
from twiliorm.sandbox import Sandbox
from twiliorm.sandbox.app import LoggedRequest
from twiliorm.sandbox.faults import Faults

FAULTS = "500=0.05,reset=0.01,lost=0.01,burst429=0.002:10,429=0.01:1"
ANNOUNCE = "https://example.com/announce.xml"
ROOM = "<Response><Dial><Conference>Room</Conference></Dial></Response>"

# The job a user would run, in its own process so that it can be killed like one.
JOB = """
import asyncio, json, sys, twiliorm
from twiliorm import Call, Message
twiliorm.connect()
ANNOUNCE = "https://example.com/announce.xml"
operation, checkpoint, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
driver = sys.argv[4]

def call(target, method, *args, **options):
    if driver == "sync":
        return getattr(target, method)(*args, **options)
    return asyncio.run(getattr(target, "a" + method)(*args, **options))

if operation == "update":
    report = call(Message.objects, "update", body="", resume=checkpoint, workers=8,
                  raise_on_failure=False)
elif operation == "redirect":
    calls = Call.objects.filter(status="in-progress")
    report = call(calls, "update", url=ANNOUNCE, resume=checkpoint, workers=8,
                  raise_on_failure=False)
else:
    objects = [Message(to="+15558675310", from_="+14155550100", body=f"#{n}") for n in range(count)]
    report = call(Message.objects, "bulk_create", objects, resume=checkpoint, workers=8,
                  raise_on_failure=False)
print(json.dumps({"matched": report.matched, "succeeded": report.succeeded,
                  "skipped": report.skipped, "failed": len(report.failed),
                  "unknown": len(report.unknown), "reasons": dict(report.reasons)}))
"""


def processed_writes(log: list[LoggedRequest], method: str = "POST") -> list[str]:
    """Paths of the writes the sandbox processed (faults answered without processing left out)."""
    return [
        r.path for r in log if r.method == method and 200 <= r.status < 300 and r.fault != "garbage"
    ]


def test_redacting_under_faults_redacts_everything_once(driver: str) -> None:
    with Sandbox(faults=FAULTS, fault_seed=11) as sandbox, sandbox.client() as client:
        sandbox.populate(1000, 0)
        report = Message.objects.using(client).update(body="", workers=8)
        log = sandbox.requests
        stored = [m.body for m in Message.objects.using(client).all()]
    faults = collections.Counter(r.fault for r in log if r.fault)
    assert faults["500"] and faults["reset"] and faults["lost"] and faults["burst429"]
    assert faults["429"]
    per_record = collections.Counter(processed_writes(log))
    assert len(per_record) == 1000 and set(per_record.values()) == {1}  # each written once
    assert stored == [""] * 1000
    assert report.matched == report.succeeded == 1000 and report.ok
    refused = sum(1 for r in log if r.status == 429 and "/Messages/SM" in r.path)
    assert report.refused == refused
    # every request sent for a record (writes, the looks before a second write, resends)
    assert report.requests == sum(1 for r in log if "/Messages/SM" in r.path)
    assert report.pages == sum(1 for r in log if r.path.endswith("/Messages.json"))


#: the driver a killed job is resumed with: the other one
OTHER = {"sync": "async", "async": "sync"}


def _run_job(
    sandbox: Sandbox, operation: str, checkpoint: Path, driver: str, count: int = 0
) -> Any:
    env = dict(os.environ)
    env.update(
        TWILIO_ACCOUNT_SID=sandbox.account_sid,
        TWILIO_AUTH_TOKEN=sandbox.auth_token,
        TWILIO_API_BASE_URL=sandbox.base_url,
    )
    args = [sys.executable, "-c", JOB, operation, str(checkpoint), str(count), driver]
    return subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _kill_when(
    job: subprocess.Popen[bytes], checkpoint: Path, done: int, event: str = "done"
) -> int:
    """SIGKILL the job once its checkpoint records ``done`` events (finished records)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and job.poll() is None:
        if checkpoint.exists() and checkpoint.read_text().count(f"\n{event} ") >= done:
            job.send_signal(signal.SIGKILL)
            job.wait()
            return checkpoint.read_text().count(f"\n{event} ")
        time.sleep(0.01)
    raise AssertionError(f"the job ended or stalled before {done} records: {job.poll()}")


def _settled(sandbox: Sandbox) -> int:
    """The log's length once the requests a killed job left in flight were answered."""
    length, still = len(sandbox.requests), 0.0
    while still < 0.3:
        time.sleep(0.05)
        now = len(sandbox.requests)
        length, still = now, (still + 0.05 if now == length else 0.0)
    return length


def _finish(job: subprocess.Popen[bytes]) -> dict[str, Any]:
    out, err = job.communicate(timeout=120)
    assert job.returncode == 0, err.decode()[-2000:]
    return json.loads(out)  # type: ignore[no-any-return]


def test_a_killed_update_resumes_without_repeating_a_write(tmp_path: Path, driver: str) -> None:
    checkpoint = tmp_path / "redact.ckpt"
    with Sandbox(latency_ms=10) as sandbox:
        sandbox.populate(600, 0)
        recorded = _kill_when(_run_job(sandbox, "update", checkpoint, driver), checkpoint, 150)
        assert recorded < 600  # killed in the middle
        rerun_from = _settled(sandbox)
        second = _finish(_run_job(sandbox, "update", checkpoint, OTHER[driver]))
        log = sandbox.requests
        with sandbox.client() as client:
            stored = [m.body for m in Message.objects.using(client).all()]
    per_record = collections.Counter(processed_writes(log))
    assert len(per_record) == 600 and set(per_record.values()) == {1}
    assert stored == [""] * 600
    assert second["matched"] == 600 and second["failed"] == 0
    assert second["reasons"]["already applied"] >= recorded  # the records show it
    assert second["succeeded"] == len(processed_writes(log[rerun_from:]))
    assert second["succeeded"] + second["skipped"] == 600


def test_a_killed_bulk_create_never_creates_twice(tmp_path: Path, driver: str) -> None:
    checkpoint = tmp_path / "create.ckpt"
    with Sandbox(latency_ms=10) as sandbox:
        _kill_when(_run_job(sandbox, "create", checkpoint, driver, 300), checkpoint, 100)
        second = _finish(_run_job(sandbox, "create", checkpoint, OTHER[driver], 300))
        with sandbox.client() as client:
            stored = [m.body for m in Message.objects.using(client).all()]
    assert len(stored) == len(set(stored))  # no object created twice
    assert second["matched"] == 300 and second["failed"] == 0
    assert second["succeeded"] + second["skipped"] + second["unknown"] == 300
    # the creates in flight at the kill are unknown (not resent); everything else exists
    assert 300 - second["unknown"] <= len(stored) <= 300


def in_progress_calls(sandbox: Sandbox, count: int) -> None:
    """``count`` calls held in a conference (in progress until redirected or hung up)."""
    with sandbox.client() as client:
        for _ in range(count):
            Call.objects.using(client).create(to="+15558675310", from_="+14155550100", twiml=ROOM)


def test_a_redirect_whose_answer_is_lost_is_never_sent_again(driver: str) -> None:
    # A call's url cannot be read back, so nothing can show a lost redirect happened.
    with Sandbox() as sandbox, sandbox.client() as client:
        in_progress_calls(sandbox, 30)
        sandbox.faults = Faults("lost@POST=0.4", 3)
        start = len(sandbox.requests)
        calls = Call.objects.using(client).filter(status="in-progress")
        report = calls.update(url=ANNOUNCE, raise_on_failure=False)
        log = sandbox.requests[start:]
    per_call = collections.Counter(processed_writes(log))
    lost = [r for r in log if r.method == "POST" and r.fault == "lost"]
    assert lost and len(per_call) == 30 and set(per_call.values()) == {1}
    assert len(report.unknown) == len(lost) and report.succeeded == 30 - len(lost)
    assert all("not resent" in f.error for f in report.unknown) and not report.failed


def test_a_killed_redirect_resumes_without_resending_what_was_in_flight(
    tmp_path: Path, driver: str
) -> None:
    checkpoint = tmp_path / "redirect.ckpt"
    with Sandbox(latency_ms=10) as sandbox:
        in_progress_calls(sandbox, 200)
        start = len(sandbox.requests)
        _kill_when(_run_job(sandbox, "redirect", checkpoint, driver), checkpoint, 40, "begin")
        _settled(sandbox)
        states = dict(line.split(" ")[:2][::-1] for line in checkpoint.read_text().splitlines()[1:])
        in_doubt = sum(1 for state in states.values() if state == "begin")
        second = _finish(_run_job(sandbox, "redirect", checkpoint, OTHER[driver]))
        log = sandbox.requests[start:]
    per_call = collections.Counter(processed_writes(log))
    assert set(per_call.values()) == {1}  # no call redirected twice
    assert in_doubt and second["unknown"] == in_doubt and second["failed"] == 0
    assert second["succeeded"] + second["skipped"] + second["unknown"] == 200


@pytest.mark.slow
@pytest.mark.parametrize(("cap", "workers", "count"), [(4, 16, 400), (16, 64, 800)])
def test_more_workers_than_the_cap_settle_at_the_cap(
    cap: int, workers: int, count: int, driver: str
) -> None:
    with Sandbox(latency_ms=50, concurrency_limit=cap) as sandbox, sandbox.client() as client:
        sandbox.populate(count, 0)
        report = Message.objects.using(client).update(body="", workers=workers)
        posts = [r for r in sandbox.requests if r.method == "POST"]
    refused = sum(1 for r in posts if r.status == 429)
    assert report.succeeded == count and report.ok
    # Bounds with room for a loaded machine (at load 12 on 2 cores: 5.4% refused, settled at
    # 14 of 16); without the slowdown most of the POSTs beyond the cap are refused.
    assert report.refused == refused <= 0.07 * len(posts)
    assert cap - max(1, cap // 8) <= report.concurrency <= cap + 1
