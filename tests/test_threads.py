"""One Client, one connection pool, many threads: nothing lost, nothing doubled, no errors.

Sixteen threads share one client (and so one urllib3 pool smaller than the
number of threads) to create, read back, list, update and delete messages
in the sandbox at the same time; then the sandbox's own state and request
log are checked against what every thread believes it did. A second run
puts the sandbox's per-account concurrency limit below the thread count, so
some creates are refused with 429 and resent: still exactly one of each.
"""

from __future__ import annotations

import collections
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import twiliorm
from twiliorm import Message
from twiliorm.sandbox import Sandbox

THREADS = 16
PER_THREAD = 12


def _work(client: twiliorm.Client, worker: int, start: threading.Barrier) -> list[str]:
    """Create messages, read each back by SID, list, redact one and delete one; return SIDs."""
    objects = Message.objects.using(client)
    start.wait()
    sids = []
    for i in range(PER_THREAD):
        body = f"w{worker}-m{i}"
        created = objects.create(to="+15558675310", from_="+15005550006", body=body)
        fetched = objects.get(sid=created.sid)
        assert (fetched.sid, fetched.body) == (created.sid, body)
        sids.append(created.sid)
    assert len(objects.filter(to="+15558675310")[:5]) == 5
    last = objects.get(sid=sids[-1])
    last.body = ""
    last.save()
    objects.get(sid=sids[0]).delete()
    return sids


def _run(sandbox: Sandbox, client: twiliorm.Client) -> list[str]:
    start = threading.Barrier(THREADS)
    with ThreadPoolExecutor(THREADS) as pool:
        futures = [pool.submit(_work, client, w, start) for w in range(THREADS)]
        return [sid for f in futures for sid in f.result()]  # re-raises any thread's error


def _stored(sandbox: Sandbox) -> collections.Counter[str]:
    saved, sandbox.faults = sandbox.faults, None
    try:
        with sandbox.client() as clean:
            return collections.Counter(m.body or "" for m in Message.objects.using(clean).all())
    finally:
        sandbox.faults = saved


def _check(sandbox: Sandbox, sids: list[str]) -> None:
    assert len(sids) == len(set(sids)) == THREADS * PER_THREAD
    bodies = _stored(sandbox)
    expected = {f"w{w}-m{i}" for w in range(THREADS) for i in range(1, PER_THREAD - 1)}
    assert {b for b in bodies if b} == expected  # deleted first, redacted last, the rest intact
    assert all(bodies[b] == 1 for b in expected)
    assert bodies[""] == THREADS
    created = [e.created for e in sandbox.requests if e.created]
    assert sorted(created) == sorted(sids)  # each create processed exactly once


def test_one_client_shared_by_sixteen_threads(sandbox: Sandbox) -> None:
    with sandbox.client(pool_size=4) as client:
        sids = _run(sandbox, client)
    _check(sandbox, sids)


@pytest.mark.slow
def test_creates_refused_by_the_concurrency_limit_are_resent_exactly_once() -> None:
    with Sandbox(concurrency_limit=3, latency_ms=5) as sandbox, sandbox.client() as client:
        sids = _run(sandbox, client)
        refused = [e for e in sandbox.requests if e.status == 429]
        _check(sandbox, sids)
    assert refused, "the limit was never reached: the test proves nothing"
    assert any(e.method == "POST" for e in refused)


def test_the_default_client_is_made_once_under_concurrent_first_use(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", sandbox.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", sandbox.auth_token)
    monkeypatch.setenv("TWILIO_API_BASE_URL", sandbox.base_url)
    twiliorm.client.set_default_client(None)
    start = threading.Barrier(THREADS)

    def first_use(_: Any) -> int:
        start.wait()
        return id(twiliorm.default_client())

    with ThreadPoolExecutor(THREADS) as pool:
        seen = set(pool.map(first_use, range(THREADS)))
    assert len(seen) == 1
    assert list(Message.objects.all()[:1]) == []  # it reaches the (empty) sandbox
