"""Checkpoints (resuming without repeating or skipping) and the adaptive limiter, piece by piece."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

import twiliorm
from twiliorm import Call, IncomingPhoneNumber, Message, SipCredential, SipCredentialList
from twiliorm.bulk import Progress
from twiliorm.bulk.checkpoint import SECRET_ROUNDS, Checkpoint, job_digest
from twiliorm.bulk.engine import Limiter
from twiliorm.sandbox import Sandbox

JOB = {"operation": "update", "resource": "Message", "values": [["Body", ""]]}


# --- the file -----------------------------------------------------------------------------


def test_events_survive_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "job.ckpt"
    with Checkpoint(path, JOB) as first:
        first.record("done", "SM1")
        first.record("fail", "SM2")
        first.record("begin", "#3", sync=True)
    with Checkpoint(path, JOB) as again:
        assert again.states == {"SM1": "done", "SM2": "fail", "#3": "begin"}
        assert not again.finished
        again.record("done", "#3", "SM3")
    with Checkpoint(path, JOB) as third:
        assert third.state("#3") == "done" and third.sids == {"#3": "SM3"}
        third.finish()
    with Checkpoint(path, JOB) as after:  # a finished run: its entries are history
        assert after.finished and after.states == {}
        assert after.history == {"SM1": "done", "SM2": "fail", "#3": "done"}
        after.record("done", "SM4")
    with Checkpoint(path, JOB) as last:
        assert not last.finished and last.states == {"SM4": "done"}


def test_a_torn_last_line_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "job.ckpt"
    with Checkpoint(path, JOB) as first:
        first.record("done", "SM1")
    with open(path, "ab") as handle:
        handle.write(b"done SM2")  # killed in the middle of a write: no newline
    with Checkpoint(path, JOB) as again:
        assert again.states == {"SM1": "done"}
        again.record("done", "SM3")
    assert path.read_text().splitlines()[1:] == ["done SM1", "done SM3"]


def test_a_header_cut_short_starts_over(tmp_path: Path) -> None:
    path = tmp_path / "job.ckpt"
    path.write_bytes(b"# twiliorm checkp")
    with Checkpoint(path, JOB) as fresh:
        assert fresh.states == {}
    assert path.read_text().startswith("# twiliorm checkpoint 2 ")


def test_another_jobs_checkpoint_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "job.ckpt"
    Checkpoint(path, JOB).close()
    other = dict(JOB, values=[["Body", "x"]])
    with pytest.raises(twiliorm.ConfigurationError, match="belongs to another job"):
        Checkpoint(path, other)
    stranger = tmp_path / "notes.txt"
    stranger.write_text("shopping list\n")
    with pytest.raises(twiliorm.ConfigurationError, match="not a twiliorm checkpoint"):
        Checkpoint(stranger, JOB)
    assert stranger.read_text() == "shopping list\n"
    broken = tmp_path / "broken.ckpt"
    Checkpoint(broken, JOB).close()
    with open(broken, "a") as handle:
        handle.write("maybe SM1\n")
    with pytest.raises(twiliorm.ConfigurationError, match="line 2"):
        Checkpoint(broken, JOB)


# --- what resume= may name: never a file that is not this job's ----------------------------

OTHER_JOB = "# twiliorm checkpoint 2 " + json.dumps({"job": {"operation": "delete"}})
STRANGERS = {
    "csv": b"sid,to\nSM1,+15558675310\nSM2,+1555867",  # no final newline: nothing is "torn"
    "one-line csv": b"sid,to,body",
    "json of another job": json.dumps({"job": {"operation": "delete"}, "done": ["SM1"]}).encode(),
    "another job's checkpoint": (OTHER_JOB + "\ndone SM1\ndone SM").encode(),
    "a version 1 checkpoint of another job": b'# twiliorm checkpoint 1 {"job": {}}\ndone SM1\n',
    "random bytes": bytes(range(256)) * 4,
    "a blank line": b"\n",
    "latin-1 text": "caf\xe9 cr\xe8me\n".encode("latin-1"),
}


@pytest.mark.parametrize("write", [True, False])
@pytest.mark.parametrize("name", sorted(STRANGERS))
def test_a_file_that_is_not_this_jobs_checkpoint_is_left_as_it_was(
    tmp_path: Path, name: str, write: bool
) -> None:
    path = tmp_path / "stranger"
    path.write_bytes(STRANGERS[name])
    before = os.stat(path)
    with pytest.raises(twiliorm.ConfigurationError, match="checkpoint") as raised:
        Checkpoint(path, JOB, write=write)
    assert path.read_bytes() == STRANGERS[name]
    assert os.stat(path).st_mtime_ns == before.st_mtime_ns
    if name in ("random bytes", "latin-1 text"):
        assert "not UTF-8" in str(raised.value)


def test_an_empty_file_is_adopted(tmp_path: Path) -> None:
    path = tmp_path / "job.ckpt"
    path.touch()  # as mktemp or a hand-made name leaves it: no event can be lost
    with Checkpoint(path, JOB) as fresh:
        fresh.record("done", "SM1")
    with Checkpoint(path, JOB) as again:
        assert again.states == {"SM1": "done"}


def test_a_symbolic_link_is_refused_whatever_it_points_to(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_bytes(STRANGERS["csv"])
    mine = tmp_path / "mine.ckpt"
    Checkpoint(mine, JOB).close()
    for target in (data, mine, tmp_path / "nowhere.ckpt"):
        link = tmp_path / f"link-to-{target.name}"
        link.symlink_to(target)
        for write in (True, False):
            with pytest.raises(twiliorm.ConfigurationError, match="symbolic link"):
                Checkpoint(link, JOB, write=write)
    assert data.read_bytes() == STRANGERS["csv"]
    assert not (tmp_path / "nowhere.ckpt").exists()


def test_a_directory_or_a_pipe_is_refused(tmp_path: Path) -> None:
    with pytest.raises(twiliorm.ConfigurationError, match="directory"):
        Checkpoint(tmp_path, JOB)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for write in (True, False):  # and neither blocks waiting for a writer
        with pytest.raises(twiliorm.ConfigurationError, match="not a regular file"):
            Checkpoint(fifo, JOB, write=write)


SECRET_JOB = {
    "operation": "update",
    "resource": "SipCredential",
    "query": {"path": "/2010-04-01/Accounts/AC1/SIP/x.json", "params": [["To", "+14155550000"]]},
    "values": [["Password", "hunter2-Secret"]],
}


def test_the_header_holds_a_digest_not_the_values(tmp_path: Path) -> None:
    path = tmp_path / "job.ckpt"
    with Checkpoint(path, SECRET_JOB) as first:
        first.record("done", "CR1")
    text = path.read_text()
    assert "hunter2" not in text and "+14155550000" not in text
    header = json.loads(text.splitlines()[0][len("# twiliorm checkpoint 2 ") :])
    assert header["job"] == {
        "operation": "update",
        "resource": "SipCredential",
        "path": "/2010-04-01/Accounts/AC1/SIP/x.json",
        "fields": ["Password"],
    }
    canonical = json.dumps(SECRET_JOB, sort_keys=True, separators=(",", ":")).encode()
    salt = bytes.fromhex(header["salt"])
    slow = hashlib.pbkdf2_hmac("sha256", canonical, salt, SECRET_ROUNDS).hex()
    assert header["digest"] == job_digest(SECRET_JOB, salt) == slow  # a guess costs 200k rounds
    with Checkpoint(path, SECRET_JOB) as again:
        assert again.states == {"CR1": "done"}
    other = dict(SECRET_JOB, values=[["Password", "another-Secret"]])
    with pytest.raises(twiliorm.ConfigurationError, match="with other values"):
        Checkpoint(path, other)
    assert path.read_text() == text


def test_a_version_1_checkpoint_still_resumes_and_is_not_rewritten(tmp_path: Path) -> None:
    path = tmp_path / "old.ckpt"
    old = "# twiliorm checkpoint 1 " + json.dumps({"job": JOB, "info": {}}, sort_keys=True)
    path.write_text(old + "\ndone SM1\n")
    with Checkpoint(path, JOB) as resumed:
        assert resumed.states == {"SM1": "done"}
        resumed.record("done", "SM2")
    assert path.read_text() == old + "\ndone SM1\ndone SM2\n"
    with pytest.raises(twiliorm.ConfigurationError, match="belongs to another job"):
        Checkpoint(path, dict(JOB, values=[["Body", "x"]]))


def test_a_bulk_update_of_passwords_keeps_them_out_of_its_checkpoint(
    sandbox: Sandbox, client: twiliorm.Client, tmp_path: Path
) -> None:
    staff = SipCredentialList.objects.create(friendly_name="staff")
    for name in ("alice", "bob", "carol"):
        staff.credentials.create(username=name, password="IWasAtSignal2018")
    path = tmp_path / "rotate.ckpt"
    assert staff.credentials.all().update(password="Rotated-2026-Secret", resume=path).ok
    assert "Rotated-2026" not in path.read_text()
    again = staff.credentials.all().update(password="Rotated-2026-Secret", resume=path)
    assert again.ok
    with pytest.raises(twiliorm.ConfigurationError, match="another job"):
        staff.credentials.all().update(password="Other-2026-Secret", resume=path)
    made = tmp_path / "create.ckpt"
    new = [SipCredential(username=f"u{n}", password="Created-2026-Secret") for n in range(2)]
    assert staff.credentials.bulk_create(new, resume=made).succeeded == 2
    assert "Created-2026" not in made.read_text()


def test_a_read_only_checkpoint_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "job.ckpt"
    Checkpoint(path, JOB, write=False).record("done", "SM1")
    assert not path.exists()


# --- resuming through the bulk calls ------------------------------------------------------


def stop_at(done: int) -> Callable[[Progress], None]:
    """A progress callback that interrupts the job (as Ctrl-C would) at ``done`` records."""

    def stop(progress: Progress) -> None:
        if progress.done == done:
            raise KeyboardInterrupt

    return stop


def test_resume_skips_what_is_done_and_does_the_rest(
    sandbox: Sandbox, client: twiliorm.Client, tmp_path: Path
) -> None:
    sandbox.populate(40, 0)
    path = tmp_path / "redact.ckpt"
    with pytest.raises(KeyboardInterrupt):
        Message.objects.update(body="", resume=path, progress=stop_at(15), workers=1)
    writes = sum(1 for r in sandbox.requests if r.method == "POST")
    assert writes == 15
    second = Message.objects.update(body="", resume=path)
    assert second.reasons == {"already applied": 15}  # the records say so: no request
    assert second.succeeded == 25
    assert sum(1 for r in sandbox.requests if r.method == "POST") == writes + 25
    with pytest.raises(twiliorm.ConfigurationError, match="belongs to another job"):
        Message.objects.all().delete(resume=path)


def test_a_resumed_update_nothing_can_read_back_trusts_the_checkpoint(
    sandbox: Sandbox, client: twiliorm.Client, tmp_path: Path
) -> None:
    # A call's url is not in its record: the listed calls look the same redirected or not, so
    # only the checkpoint can keep a resumed job from redirecting a call a second time.
    room = "<Response><Dial><Conference>Room</Conference></Dial></Response>"
    for _ in range(12):
        Call.objects.create(to="+15558675310", from_="+14155550100", twiml=room)
    calls = Call.objects.filter(status="in-progress")
    path = tmp_path / "redirect.ckpt"
    with pytest.raises(KeyboardInterrupt):
        calls.update(url="https://e.com/announce.xml", resume=path, progress=stop_at(5), workers=1)
    events = [line.split(" ") for line in path.read_text().splitlines()[1:]]
    done = {key for state, key, *_ in events if state == "done"}
    assert len(done) == 5 and calls.count() == 12  # still in progress: nothing shows the 5
    start = len(sandbox.requests)
    second = calls.update(url="https://e.com/announce.xml", resume=path)
    writes = [r.path for r in sandbox.requests[start:] if r.method == "POST"]
    assert not [p for p in writes if any(sid in p for sid in done)]  # the checkpoint decided
    assert len(writes) == len(set(writes)) == 7
    assert second.succeeded == 7 and second.reasons == {"finished in an earlier run": 5}


def test_a_dry_run_reads_the_checkpoint_without_writing_it(
    sandbox: Sandbox, client: twiliorm.Client, tmp_path: Path
) -> None:
    sandbox.populate(10, 0)
    path = tmp_path / "job.ckpt"
    assert Message.objects.update(body="", dry_run=True, resume=path).planned == 10
    assert not path.exists()
    with pytest.raises(KeyboardInterrupt):
        Message.objects.update(body="", resume=path, progress=stop_at(4), workers=1)
    size = path.stat().st_size
    report = Message.objects.update(body="", dry_run=True, resume=path)
    assert report.planned == 6 and report.skipped == 4
    assert path.stat().st_size == size


def test_a_create_checkpoint_must_match_its_objects(
    sandbox: Sandbox, client: twiliorm.Client, tmp_path: Path
) -> None:
    path = tmp_path / "create.ckpt"
    objects = [Message(to="+15558675310", from_="+14155550100", body=f"#{n}") for n in range(5)]
    assert Message.objects.bulk_create(objects, resume=path).succeeded == 5
    again = [Message(to="+15558675310", from_="+14155550100", body=f"#{n}") for n in range(5)]
    report = Message.objects.bulk_create(again, resume=path)
    assert report.skipped == 5 and report.succeeded == 0
    assert Message.objects.count() == 5
    with pytest.raises(twiliorm.ConfigurationError, match="another job"):
        Message.objects.bulk_create(new_messages(4), resume=path)


# --- the limiter ----------------------------------------------------------------------------


def test_the_limit_doubles_each_round_trip_until_a_refusal() -> None:
    limiter = Limiter(64)
    for _ in range(6):  # one round trip: every request in flight answers
        for _ in range(limiter.allowed):
            limiter.on_answer(limiter.allowed, None)
    assert limiter.allowed == 64 or limiter.allowed >= 2**6
    limiter = Limiter(64)
    for _ in range(3):
        limiter.on_answer(2, None)
    assert limiter.allowed == 5


def test_a_refusal_drops_to_just_under_it_once_per_overshoot() -> None:
    limiter = Limiter(32, start=12)
    limiter.on_refused(in_flight=9, epoch=0)
    assert limiter.allowed == 8 and limiter.ceiling == 8
    limiter.on_refused(in_flight=12, epoch=0)  # sent before the decrease: the same overshoot
    assert limiter.allowed == 8 and limiter.refused == 2


def test_at_the_ceiling_it_probes_slowly() -> None:
    limiter = Limiter(32, start=8, probe_rounds=16)
    limiter.on_refused(in_flight=5, epoch=0)
    assert limiter.allowed == 4
    for _ in range(4 * 15):
        limiter.on_answer(4, None)
    assert limiter.allowed == 4  # not yet: one step per 16 round trips
    for _ in range(16):
        limiter.on_answer(4, None)
    assert limiter.allowed == 5


def test_an_admitted_level_is_kept_through_a_refusal_at_it() -> None:
    limiter = Limiter(32, start=4)
    for _ in range(8):
        limiter.on_answer(4, 4)  # Twilio-Concurrent-Requests: 4 were admitted
    limiter.limit = 4.0
    limiter.on_refused(in_flight=4, epoch=0)  # the server had not yet counted an answer
    assert limiter.allowed == 4


def test_others_on_the_account_hold_the_limit() -> None:
    limiter = Limiter(32, start=4)
    limiter.on_answer(4, 9)  # the account has 9 in flight, this job 4
    assert limiter.limit == 4.0
    for _ in range(40):
        limiter.on_answer(4, 9)
    limiter.on_refused(in_flight=4, epoch=0)
    assert limiter.allowed == 3  # the shared answers proved nothing about this job's share


def test_ctrl_c_settles_what_is_in_flight_then_resume_finishes(
    sandbox: Sandbox, client: twiliorm.Client, tmp_path: Path
) -> None:
    sandbox.populate(60, 0)
    path = tmp_path / "job.ckpt"

    def interrupt(progress: object) -> None:
        if getattr(progress, "done", 0) == 20:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Message.objects.update(body="", workers=6, resume=path, progress=interrupt)
    written = [r.path for r in sandbox.requests if r.method == "POST" and r.status == 200]
    recorded = path.read_text().count("\ndone ")
    assert recorded == len(written) >= 20  # every write that happened is in the checkpoint
    report = Message.objects.update(body="", resume=path)
    assert report.succeeded == 60 - recorded and report.skipped == recorded
    paths = [r.path for r in sandbox.requests if r.method == "POST" and r.status == 200]
    assert len(paths) == len(set(paths)) == 60


# --- one job per file, and what a later run may trust ------------------------------------------


def new_messages(count: int) -> list[Message]:
    return [Message(to="+15558675310", from_="+14155550100", body=f"#{n}") for n in range(count)]


def test_a_checkpoint_open_elsewhere_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "job.ckpt"
    with Checkpoint(path, JOB) as first:
        first.record("done", "SM1")
        with pytest.raises(twiliorm.ConfigurationError, match="in use"):
            Checkpoint(path, JOB)
    with Checkpoint(path, JOB) as again:  # free once the first one is closed
        assert again.state("SM1") == "done"


def test_two_runs_cannot_share_one_checkpoint(
    sandbox: Sandbox, client: twiliorm.Client, tmp_path: Path
) -> None:
    path = tmp_path / "create.ckpt"
    refused: list[Exception] = []

    def start_a_second_run(progress: Progress) -> None:
        if progress.done == 1:
            try:
                Message.objects.bulk_create(new_messages(10), resume=path)
            except twiliorm.ConfigurationError as exc:
                refused.append(exc)

    report = Message.objects.bulk_create(new_messages(10), resume=path, progress=start_a_second_run)
    assert report.succeeded == 10
    assert refused and "in use" in str(refused[0])
    assert Message.objects.count() == 10


def test_a_resumed_bulk_create_gives_every_object_its_sid(
    sandbox: Sandbox, client: twiliorm.Client, tmp_path: Path
) -> None:
    path = tmp_path / "create.ckpt"

    with pytest.raises(KeyboardInterrupt):
        Message.objects.bulk_create(new_messages(4), resume=path, progress=stop_at(2), workers=1)
    again = new_messages(4)
    report = Message.objects.bulk_create(again, resume=path)
    assert report.succeeded == 2 and report.skipped == 2
    assert report.reasons == {"created in an earlier run": 2}
    stored = {m.sid: m.body for m in Message.objects.all()}
    assert {o.sid: o.body for o in again} == stored and len(stored) == 4
    assert all(o.is_saved for o in again)
    again[0].refresh()  # bound to the caller's client


def test_a_record_changed_back_after_a_finished_job_is_written_again(
    sandbox: Sandbox, client: twiliorm.Client, tmp_path: Path
) -> None:
    path = tmp_path / "repoint.ckpt"
    for _ in range(3):
        IncomingPhoneNumber.objects.create(area_code="530", voice_url="https://e.com/v1")
    assert IncomingPhoneNumber.objects.update(voice_url="https://e.com/v2", resume=path).ok
    assert path.read_text().splitlines()[-1] == "finished"
    number = IncomingPhoneNumber.objects.first()
    assert number is not None
    number.voice_url = "https://e.com/v1"
    number.save()
    again = IncomingPhoneNumber.objects.update(voice_url="https://e.com/v2", resume=path)
    assert again.succeeded == 1 and again.reasons == {"already applied": 2}
    assert {n.voice_url for n in IncomingPhoneNumber.objects.all()} == {"https://e.com/v2"}


def test_a_checkpoint_belongs_to_one_query(
    sandbox: Sandbox, client: twiliorm.Client, tmp_path: Path
) -> None:
    sandbox.populate(20, 0)
    path = tmp_path / "redact.ckpt"
    Message.objects.filter(to="+14155550000").update(body="", resume=path)
    header = path.read_text().splitlines()[0]
    assert "Messages.json" in header and "+14155550000" not in header  # in the digest only
    with pytest.raises(twiliorm.ConfigurationError, match="belongs to another job"):
        Message.objects.update(body="", resume=path)


def test_an_interrupted_delete_resumes_from_what_the_list_shows(
    sandbox: Sandbox, client: twiliorm.Client, tmp_path: Path
) -> None:
    sandbox.populate(30, 0)
    path = tmp_path / "delete.ckpt"

    with pytest.raises(KeyboardInterrupt):
        Message.objects.all().delete(resume=path, progress=stop_at(10), workers=2)
    assert "finished" not in path.read_text().splitlines()
    left = Message.objects.count()
    report = Message.objects.all().delete(resume=path)
    assert report.succeeded == left and report.ok and not Message.objects.exists()
    assert path.read_text().splitlines()[-1] == "finished"
