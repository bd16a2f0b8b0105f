"""Nothing fails silently: a bulk write with failures raises BulkError, carrying its report.

Against the sandbox over HTTP: ``update()``, ``delete()`` and ``bulk_create()`` that the API
refuses (a message body can only be redacted, a queued message cannot be deleted, a message
needs a body) finish every record, then raise; ``raise_on_failure=False`` returns the report.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import pytest

import twiliorm
from twiliorm import BulkError, Message
from twiliorm.bulk import BulkReport
from twiliorm.cli import main
from twiliorm.sandbox import Clock, Sandbox, Settings

TO, FROM = "+15558675310", "+14155550100"


@pytest.fixture
def frozen() -> Iterator[Sandbox]:
    """Eight messages that stay queued (time stands still): the API refuses to delete them."""
    still = Sandbox(clock=Clock(frozen=True), settings=Settings(message_delays=(1, 1, 1)))
    with still as sandbox, sandbox.client() as client:
        for n in range(8):
            Message.objects.using(client).create(to=TO, from_=FROM, body=f"#{n}")
        yield sandbox


@pytest.fixture
def queued(frozen: Sandbox) -> Iterator[twiliorm.Client]:
    with frozen.client() as client:
        yield client


def test_an_update_the_api_refuses_raises_after_trying_every_record(
    queued: twiliorm.Client,
) -> None:
    messages = Message.objects.using(queued)
    with pytest.raises(BulkError) as raised:
        messages.update(body="not allowed", workers=3)
    error = raised.value
    assert isinstance(error, twiliorm.TwiliormError)
    report = error.report
    assert report.matched == 8 and len(report.failed) == 8 and report.succeeded == 0
    assert int(report) == 0 and not report and not report.ok
    text = str(error)
    assert text.startswith("update Message: 8 failed of 8 (0 succeeded, 0 skipped): SM")
    assert "code 20001" in text and text.endswith("; and 5 more")
    assert sorted(m.body or "" for m in messages.all()) == [f"#{n}" for n in range(8)]


def test_raise_on_failure_false_collects_instead(queued: twiliorm.Client) -> None:
    report = Message.objects.using(queued).all().delete(raise_on_failure=False)
    assert isinstance(report, BulkReport)
    assert report.matched == 8 and len(report.failed) == 8 and not report.ok
    assert all("20009" in failure.error for failure in report.failed)
    assert int(report) == 0 and not report
    with pytest.raises(BulkError, match=r"delete Message: 8 failed of 8"):
        report.raise_for_failures()


def test_a_delete_the_api_refuses_raises(queued: twiliorm.Client) -> None:
    with pytest.raises(BulkError, match=r"Cannot delete message SM\w+: it is still queued"):
        Message.objects.using(queued).all().delete()


def test_bulk_create_of_bad_records_raises_with_the_good_ones_created(
    client: twiliorm.Client,
) -> None:
    objects = [
        Message(to=TO, from_=FROM),
        Message(to=TO, from_=FROM, body="fine"),
        Message(to=TO, from_=FROM, body="x" * 1700),
    ]
    with pytest.raises(BulkError) as raised:
        Message.objects.bulk_create(objects, workers=2)
    report = raised.value.report
    assert sorted(f.sid for f in report.failed) == ["#0", "#2"]
    assert "21602" in str(raised.value) and "21617" in str(raised.value)
    assert report.succeeded == int(report) == 1 and bool(report)
    assert objects[1].is_saved and not objects[0].is_saved and not objects[2].is_saved
    assert [m.body for m in Message.objects.all()] == ["fine"]


def test_a_report_counts_what_was_written_like_djangos_row_count(client: twiliorm.Client) -> None:
    for n in range(3):
        Message.objects.create(to=TO, from_=FROM, body=f"#{n}")
    report = Message.objects.update(body="")
    assert int(report) == 3 and report and report.ok
    again = Message.objects.update(body="")  # already redacted: skipped, nothing written
    assert int(again) == 0 and not again and again.ok and again.skipped == 3
    assert again.raise_for_failures() is again


def test_bulk_error_pickles_with_its_report(queued: twiliorm.Client) -> None:
    with pytest.raises(BulkError) as raised:
        Message.objects.using(queued).update(body="no")
    copy = pickle.loads(pickle.dumps(raised.value))
    assert str(copy) == str(raised.value)
    assert copy.report.matched == 8 and len(copy.report.failed) == 8


def test_the_cli_prints_the_report_and_exits_1_on_failures(
    frozen: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", frozen.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", frozen.auth_token)
    monkeypatch.setenv("TWILIO_API_BASE_URL", frozen.base_url)
    assert main(["delete", "messages", "--yes"]) == 1
    out = capsys.readouterr()
    assert "delete Message: 8 matched, 0 succeeded, 0 skipped, 8 failed" in out.out
    assert "failed SM" in out.out and "Traceback" not in out.err
