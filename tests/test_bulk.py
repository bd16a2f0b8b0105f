"""Bulk update, delete, in_bulk and bulk_create against the sandbox, over real HTTP.

Each test reads the outcome twice: from the report, and from the sandbox
itself (its store and its request log), and checks that they agree.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

import pytest

import twiliorm
from twiliorm import Account, IncomingPhoneNumber, Message, Notification
from twiliorm.bulk import Progress, bulk_update
from twiliorm.bulk.engine import Job, Outcome, Status
from twiliorm.bulk.jobs import DeleteJob
from twiliorm.exceptions import NotFoundError, RateLimitError
from twiliorm.sandbox import Sandbox
from twiliorm.transport import Request, Response

CALLER = "+14155550100"
TO = "+14155550000"  # one of the populated numbers (a server-side filter: To=...)


def bodies(sandbox: Sandbox) -> dict[str, str]:
    """sid -> body of every message, read from the sandbox with a fresh client."""
    with sandbox.client() as client:
        return {m.sid: m.body for m in Message.objects.using(client).all()}


def writes(sandbox: Sandbox, method: str = "POST") -> list[str]:
    """The paths of the processed writes the sandbox logged (faults that skip processing out)."""
    return [
        r.path
        for r in sandbox.requests
        if r.method == method and 200 <= r.status < 300 and r.fault != "garbage"
    ]


@pytest.fixture
def populated(sandbox: Sandbox, client: twiliorm.Client) -> Sandbox:
    sandbox.populate(120, 0)
    return sandbox


# --- update ---------------------------------------------------------------------------------


def test_update_writes_each_matching_record_once_and_reports_it(populated: Sandbox) -> None:
    report = Message.objects.filter(to=TO).update(body="", workers=6)
    delivered = {m.sid for m in Message.objects.filter(to=TO)}
    assert report.matched == len(delivered) == report.succeeded > 0
    assert report.ok and report.skipped == 0 and report.refused == 0
    assert report.requests == report.succeeded and report.pages == 1  # one POST each, one page
    assert f"  {report.requests} requests and 1 list page, 0 refused" in str(report)
    assert sorted(writes(populated)) == sorted(
        f"/2010-04-01/Accounts/{populated.account_sid}/Messages/{sid}.json" for sid in delivered
    )
    stored = bodies(populated)
    assert all(stored[sid] == "" for sid in delivered)
    assert any(body for sid, body in stored.items() if sid not in delivered)


def test_an_update_already_applied_is_not_sent_again(populated: Sandbox) -> None:
    first = Message.objects.update(body="")
    before = len(writes(populated))
    again = Message.objects.update(body="")
    assert first.succeeded == 120
    assert again.matched == again.skipped == 120 and again.succeeded == 0
    assert again.reasons == {"already applied": 120}
    assert len(writes(populated)) == before


def test_bad_values_raise_before_anything_is_sent(populated: Sandbox) -> None:
    count = len(populated.requests)
    with pytest.raises(twiliorm.FieldError, match="no field 'bodyy'"):
        Message.objects.update(bodyy="")
    with pytest.raises(twiliorm.FieldError, match="read-only"):
        Message.objects.update(price="1.00")
    with pytest.raises(twiliorm.FieldError, match="cannot be sent on update"):
        Message.objects.update(to="+15558675310")
    with pytest.raises(twiliorm.ValidationError, match="text"):
        Message.objects.update(body=42)
    with pytest.raises(twiliorm.FieldError, match="at least one"):
        Message.objects.update()
    with pytest.raises(twiliorm.NotSupportedError, match="no update operation"):
        Notification.objects.update(log=1)
    with pytest.raises(ValueError, match="workers"):
        Message.objects.update(body="", workers=0)
    assert len(populated.requests) == count


def test_failures_carry_the_sid_and_twilios_error(populated: Sandbox) -> None:
    with pytest.raises(twiliorm.BulkError) as raised:
        Message.objects.all()[:5].update(body="not allowed")
    report = raised.value.report
    assert report.matched == 5 and report.succeeded == 0 and not report.ok
    assert len(report.failed) == 5
    failure = report.failed[0]
    assert failure.sid.startswith("SM")
    assert "20001" in failure.error and "empty string" in failure.error
    assert isinstance(failure.exception, twiliorm.TwilioRestError)
    assert "failed SM" in str(report)


def test_dry_run_reads_and_compares_but_writes_nothing(populated: Sandbox) -> None:
    Message.objects.filter(to=TO).update(body="")
    redacted = sum(1 for body in bodies(populated).values() if body == "")
    before = len(writes(populated))
    report = Message.objects.update(body="", dry_run=True)
    assert report.planned == 120 - redacted and report.skipped == redacted
    assert report.examples and all(sid.startswith("SM") for sid in report.examples)
    assert len(writes(populated)) == before
    assert "would be written (dry run)" in str(report)


def test_progress_is_called_once_per_record_in_order(populated: Sandbox) -> None:
    seen: list[Progress] = []
    report = Message.objects.update(body="", progress=seen.append, total=120)
    assert [p.done for p in seen] == list(range(1, 121))
    assert seen[-1].succeeded == report.succeeded and seen[-1].total == 120
    assert seen[-1].remaining == 0 and seen[-1].rate > 0


def test_updates_run_concurrently_within_the_workers_bound(client: twiliorm.Client) -> None:
    with Sandbox(latency_ms=30) as slow:
        slow.populate(48, 0)
        gauge = Gauge(slow.client().transport)
        with twiliorm.Client(slow.account_sid, slow.auth_token, base_url=slow.base_url) as c:
            c.transport = gauge
            report = Message.objects.using(c).update(body="", workers=5)
    assert report.succeeded == 48
    assert 3 <= gauge.peak <= 5  # the bound holds, and requests did overlap


class Gauge:
    """A transport that counts how many requests are in flight at once."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.now = self.peak = 0
        self.lock = threading.Lock()

    def send(self, request: Request) -> Response:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now) if request.method == "POST" else self.peak
        try:
            return self.inner.send(request)  # type: ignore[no-any-return]
        finally:
            with self.lock:
                self.now -= 1

    def close(self) -> None:
        self.inner.close()


class Inline(Executor):
    """An executor of the user's own: runs each job at once, in the calling thread."""

    def __init__(self) -> None:
        self.submitted = 0
        self.closed = False

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        future: Future[Any] = Future()
        future.set_result(fn(*args, **kwargs))
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.closed = True


def test_any_executor_can_run_the_jobs(populated: Sandbox) -> None:
    inline = Inline()
    report = Message.objects.update(body="", executor=inline)
    assert report.succeeded == inline.submitted == 120
    assert not inline.closed  # the caller's executor is the caller's to shut down
    with ThreadPoolExecutor(3) as pool:
        assert Message.objects.all().delete(executor=pool).succeeded == 120


def test_an_update_that_moves_numbers_between_accounts(client: twiliorm.Client) -> None:
    sub = Account.objects.create(friendly_name="West")
    numbers = [IncomingPhoneNumber.objects.create(area_code="530") for _ in range(4)]
    report = IncomingPhoneNumber.objects.update(account_sid=sub.sid)
    assert report.succeeded == 4
    moved = {n.sid for n in IncomingPhoneNumber.objects.using(account=sub.sid)}
    assert moved == {n.sid for n in numbers}
    assert not IncomingPhoneNumber.objects.exists()


def test_bulk_update_takes_a_mapping_too(populated: Sandbox) -> None:
    assert bulk_update(Message.objects.all(), {"body": ""}).succeeded == 120


# --- delete ---------------------------------------------------------------------------------


def test_delete_removes_every_matching_record(populated: Sandbox) -> None:
    failed = Message.objects.filter(to=TO)
    count = failed.count()
    assert failed.delete(dry_run=True).planned == count
    assert not writes(populated, "DELETE")
    report = failed.delete(workers=4)
    assert report.matched == report.succeeded == count > 0 and report.ok
    assert len(writes(populated, "DELETE")) == count
    assert not failed.exists() and Message.objects.count() == 120 - count


def test_a_delete_that_finds_nothing_is_skipped_or_done(populated: Sandbox) -> None:
    client = twiliorm.default_client()
    path = f"/2010-04-01/Accounts/{populated.account_sid}/Messages/SM{'0' * 32}.json"
    first = DeleteJob(client, "SM" + "0" * 32, path)
    assert first.run().status is Status.SKIPPED  # gone before we came: nothing was deleted
    first.tries = 1
    assert first.run().status is Status.DONE  # an earlier attempt of ours deleted it


def outcome_of(job: Job, *answers: Exception) -> Outcome:
    """One attempt of ``job``'s steps, driven by hand (no socket): each request it sends
    is answered by raising the next of ``answers`` into it."""
    steps = job.steps()
    step = next(steps)
    try:
        for answer in answers:
            assert isinstance(step, tuple)
            step = steps.throw(answer)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
    raise AssertionError(f"the job asked for more than {len(answers)} requests: {step}")


def test_a_delete_whose_resend_was_refused_then_not_found_was_done_by_us() -> None:
    # The first DELETE's answer was lost, the client's resend got a 429 (retried=True: an
    # earlier attempt may have landed); the engine's next attempt finds the record gone.
    job = DeleteJob(twiliorm.Client("AC" + "0" * 32, "token"), "SM1", "/Messages/SM1.json")
    refused = RateLimitError(429, 20429, "Too Many Requests", retried=True)
    assert outcome_of(job, refused).status is Status.REFUSED and job.tries == 0
    assert outcome_of(job, NotFoundError(404, 20404, "not found")).status is Status.DONE
    fresh = DeleteJob(job.client, "SM2", "/Messages/SM2.json")
    assert outcome_of(fresh, RateLimitError(429, 20429, "busy")).status is Status.REFUSED
    assert outcome_of(fresh, NotFoundError(404, 20404, "gone")).status is Status.SKIPPED


def test_the_manager_has_no_delete_of_everything() -> None:
    assert not hasattr(Message.objects, "delete")


# --- in_bulk ------------------------------------------------------------------------------------


def test_in_bulk_fetches_by_sid_and_leaves_out_the_missing(populated: Sandbox) -> None:
    sids = [m.sid for m in Message.objects.all()[:6]]
    missing = "SM" + "f" * 32
    before = len(populated.requests)
    found = Message.objects.in_bulk([*sids, missing, sids[0]], workers=3)
    assert set(found) == set(sids)
    assert all(found[sid].sid == sid and found[sid].body for sid in sids)
    assert len(populated.requests) - before == 7  # one GET per distinct SID
    delivered = Message.objects.filter(status="delivered").in_bulk(sids)  # tested per record
    assert set(delivered) == {s for s in sids if found[s].status == "delivered"}
    found[sids[0]].refresh()  # bound to the caller's client, usable as any fetched object


def test_in_bulk_checks_its_arguments_before_sending(populated: Sandbox) -> None:
    before = len(populated.requests)
    with pytest.raises(twiliorm.ValidationError):
        Message.objects.in_bulk(["SM123"])
    with pytest.raises(TypeError, match="list of SIDs"):
        Message.objects.in_bulk("SM" + "0" * 32)
    with pytest.raises(TypeError, match="sliced"):
        Message.objects.all()[:3].in_bulk(["SM" + "0" * 32])
    assert len(populated.requests) == before
    assert len(Message.objects.in_bulk()) == 120


# --- bulk_create ------------------------------------------------------------------------------


def new_messages(count: int) -> list[Message]:
    return [Message(to="+15558675310", from_=CALLER, body=f"hello #{n}") for n in range(count)]


def test_bulk_create_creates_each_object_once(client: twiliorm.Client, sandbox: Sandbox) -> None:
    objects = new_messages(30)
    report = Message.objects.bulk_create(objects, workers=6)
    assert report.succeeded == 30 and report.ok
    assert all(o.sid and o.sid.startswith("SM") for o in objects)
    assert sorted(o.body for o in Message.objects.all()) == sorted(o.body for o in objects)
    assert len([r for r in sandbox.requests if r.created]) == 30
    objects[0].refresh()  # rebound to the caller's client after the bulk call


def test_bulk_create_checks_every_object_first(client: twiliorm.Client, sandbox: Sandbox) -> None:
    before = len(sandbox.requests)
    broken = [*new_messages(3), Message(from_=CALLER, body="no recipient")]
    with pytest.raises(twiliorm.ValidationError, match="#3 cannot be created without to"):
        Message.objects.bulk_create(broken)
    with pytest.raises(twiliorm.ValidationError, match="takes text"):
        Message.objects.bulk_create([Message(to="+15558675310", body=7)])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="is a Call"):
        Message.objects.bulk_create([twiliorm.Call(to="+1555")])  # type: ignore[list-item]
    saved = Message.objects.create(to="+15558675310", from_=CALLER, body="x")
    with pytest.raises(twiliorm.ValidationError, match="already saved"):
        Message.objects.bulk_create([saved])
    assert len(sandbox.requests) == before + 1


def test_creates_refused_with_429_are_sent_again_and_lost_ones_never(driver: str) -> None:
    faults = "429@POST=0.25:0,lost@POST=0.1"
    with Sandbox(faults=faults, fault_seed=7) as faulty, faulty.client() as client:
        objects = new_messages(80)
        report = Message.objects.using(client).bulk_create(
            objects, workers=4, raise_on_failure=False
        )
        posts = [r for r in faulty.requests if r.method == "POST"]
        refused = sum(1 for r in posts if r.status == 429)
        lost = [r for r in posts if r.fault == "lost"]
        stored = [m.body for m in Message.objects.using(client).all()]
    assert refused > 0 and lost
    assert report.succeeded + len(report.unknown) == 80 and not report.failed
    assert len(report.unknown) == len(lost)  # each dropped answer: unknown, and not resent
    assert all("not resent" in f.error for f in report.unknown)
    assert len(posts) == 80 + refused  # one processed POST per object, plus the refused
    assert len(stored) == len(set(stored)) == 80  # the lost ones were created, once each


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    before = {t.name for t in threading.enumerate()}
    yield
    leaked = {t.name for t in threading.enumerate()} - before
    assert not {name for name in leaked if name.startswith("twiliorm-bulk")}
