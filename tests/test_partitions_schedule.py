"""The sync driver of a read in partitions keeps sending while its caller works, and stops
when the caller leaves (``twiliorm.bulk.reads.read_concurrently``).

The schedule runs in a thread of its own: requests are answered and sent while the
calling thread works on a page (an export writing one), and a loop left early ends it
with nothing more sent. The async driver's twin is in test_async_partitions (a task
cancelled mid-scan).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator

import pytest

from twiliorm import Message
from twiliorm.bulk.reads import read_concurrently
from twiliorm.exceptions import DecodeError
from twiliorm.sandbox import Clock, Sandbox
from twiliorm.sandbox.faults import Faults
from twiliorm.sandbox.populate import populate_messages

UTC = dt.timezone.utc
WORKERS = 2


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    start = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(days=40)
    with Sandbox(clock=Clock(frozen=True, start=start), latency_ms=40) as sandbox:
        sandbox.advance(40 * 86400)
        populate_messages(sandbox.app, 3000, step=900)  # 31 days, 96 a day
        yield sandbox


def schedules() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "twiliorm-read-schedule"]


def test_requests_go_on_while_the_caller_works_on_a_page(sb: Sandbox) -> None:
    client = sb.client()
    qs = Message.objects.using(client).filter(date_sent__isnull=False).page_size(50)
    pages = qs.concurrently(WORKERS).pages()
    next(pages)
    answered = len(sb.requests)
    time.sleep(1.0)  # the caller at work: 25 round trips' worth
    # More than the requests that were in flight when the page came were answered.
    assert len(sb.requests) - answered > WORKERS
    pages.close()
    client.close()


def test_a_loop_left_early_sends_nothing_more(sb: Sandbox) -> None:
    client = sb.client()
    qs = Message.objects.using(client).filter(date_sent__isnull=False).page_size(50)
    whole = len(sb.requests)
    assert sum(len(page.raw) for page in qs.concurrently(WORKERS).pages()) == 3000
    whole = len(sb.requests) - whole
    before = len(sb.requests)
    pages = qs.concurrently(WORKERS).pages()
    next(pages)
    pages.close()
    assert schedules() == []  # closing waits for the schedule's thread to end
    left = len(sb.requests)
    time.sleep(0.5)
    assert len(sb.requests) - left <= WORKERS  # what was in flight, at most
    assert len(sb.requests) - before < whole / 2
    client.close()


def test_an_error_ends_the_read_in_the_callers_thread(sb: Sandbox) -> None:
    client = sb.client()
    qs = Message.objects.using(client).filter(date_sent__isnull=False).page_size(50)
    _, reader, _ = qs.concurrently(WORKERS)._read_plan()
    pages = read_concurrently(client, reader, workers=WORKERS, attempts=1)
    next(pages)
    sb.faults = Faults("garbage@GET=1")  # every answer from now on is not JSON
    with pytest.raises(DecodeError, match="JSON"):
        for _ in pages:
            pass
    assert schedules() == []
    client.close()
