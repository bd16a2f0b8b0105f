"""``twiliorm update``, ``delete`` and ``export`` against the sandbox; their progress display."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from twiliorm import Message
from twiliorm.bulk import Progress
from twiliorm.cli import main
from twiliorm.cli.bulk import Bar, plain_line
from twiliorm.sandbox import Sandbox

TO = "+14155550000"


@pytest.fixture
def env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    sandbox.populate(60, 0)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", sandbox.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", sandbox.auth_token)
    monkeypatch.setenv("TWILIO_API_BASE_URL", sandbox.base_url)
    return sandbox


def posts(sandbox: Sandbox) -> int:
    return sum(1 for r in sandbox.requests if r.method in ("POST", "DELETE"))


def test_update_asks_first_and_refuses_without_a_terminal(
    env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["update", "messages", "--set", "body="]) == 1
    assert "pass --yes" in capsys.readouterr().err
    assert posts(env) == 0


def test_update_with_yes_writes_and_reports(
    env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["update", "messages", "--filter", f"to={TO}", "--set", "body=", "--yes"])
    out = capsys.readouterr()
    with env.client() as client:
        matching = [m.body for m in Message.objects.using(client).filter(to=TO)]
    assert code == 0 and set(matching) == {""}
    assert f"update Message: {len(matching)} matched, {len(matching)} succeeded" in out.out
    assert f"update Message: {len(matching)}/{len(matching)} (100%)" in out.err  # plain progress


def test_dry_run_shows_what_would_be_written_and_writes_nothing(
    env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["delete", "messages", "--filter", f"to={TO}", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would be written (dry run)" in out and "would write: SM" in out
    assert posts(env) == 0


def test_checkpoint_records_the_job_and_a_rerun_writes_nothing_twice(
    env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = tmp_path / "job.ckpt"
    args = ["update", "messages", "--set", "body=", "--yes", "--checkpoint", str(checkpoint)]
    assert main([*args, "--workers", "3"]) == 0
    lines = checkpoint.read_text().splitlines()
    assert len([line for line in lines if line.startswith("done ")]) == 60
    assert lines[-1] == "finished"
    capsys.readouterr()
    before = posts(env)
    assert main(args) == 0
    assert "skipped, already applied: 60" in capsys.readouterr().out
    assert posts(env) == before


def test_delete_with_yes(env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["delete", "messages", "--filter", f"to={TO}", "-y", "--workers", "2"]) == 0
    with env.client() as client:
        assert not Message.objects.using(client).filter(to=TO).exists()
        assert Message.objects.using(client).count() > 0


def test_bad_command_lines_say_what_is_wrong(
    env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["update", "mesages", "--set", "body=", "--yes"]) == 1
    assert "did you mean messages" in capsys.readouterr().err
    assert main(["update", "messages", "--set", "body", "--yes"]) == 1
    assert "--set takes FIELD=VALUE" in capsys.readouterr().err
    assert main(["update", "messages", "--set", "price=1", "--yes"]) == 1
    assert "read-only" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["delete", "messages", "--workers", "0"])
    assert posts(env) == 0


def test_export_to_a_file_and_to_stdout(
    env: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "messages.jsonl"
    assert main(["export", "messages", "-o", str(target), "--fields", "sid,date_sent,price"]) == 0
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(rows) == 60 and set(rows[0]) == {"sid", "date_sent", "price"}
    assert rows[0]["date_sent"].endswith("Z") and rows[0]["price"] == "-0.00750"
    assert main(["export", "messages", "-o", str(target)]) == 1  # it exists: asks, no terminal
    assert "pass --yes" in capsys.readouterr().err
    assert main(["export", "messages", "--filter", f"to={TO}", "--fields", "sid,to"]) == 0
    out = capsys.readouterr().out
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["sid", "to"] and all(row[1] == TO for row in table[1:])
    assert main(["export", "messages", "--dry-run"]) == 0
    assert "would export 60 Message records as csv to stdout" in capsys.readouterr().out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _progress(done: int, total: int | None) -> Progress:
    return Progress("update Message", done, total, done, 0, 0, 0, 0, done / 50, 8)


def test_the_bar_shows_rate_and_time_left_on_a_terminal() -> None:
    screen = Terminal()
    with Bar(400, screen) as bar:
        for done in range(1, 201):
            bar(_progress(done, 400))
    assert "200/400" in screen.getvalue() and "rec/s" in screen.getvalue()


def test_the_plain_fallback_says_the_same_in_a_line() -> None:
    stream = io.StringIO()
    with Bar(400, stream) as bar:
        bar(_progress(100, 400))
        bar(_progress(400, 400))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "update Message: 100/400 (25%), 50.0/s, 6s left, 0 failed"
    assert lines[-1].startswith("update Message: 400/400 (100%)")
    assert plain_line(_progress(7, None)) == "update Message: 7, 50.0/s, 0 failed"


# --- repeated filters, and what goes wrong outside the API ------------------------------------


def test_a_repeated_filter_applies_both_conditions(
    env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    other = "+14155550003"
    with env.client() as client:
        to_other = Message.objects.using(client).filter(to=other).count()
    assert to_other > 0
    argv = ["delete", "messages", "--filter", f"to={TO}", "--filter", f"to={other}", "--yes"]
    assert main(argv) == 0  # no message goes to both: nothing is deleted
    assert "0 matched" in capsys.readouterr().out
    assert posts(env) == 0
    with env.client() as client:
        assert Message.objects.using(client).filter(to=other).count() == to_other


@pytest.mark.parametrize("option", ["-o", "--checkpoint"])
def test_a_file_that_cannot_be_written_is_one_line(
    env: Sandbox, tmp_path: Path, option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "no such folder" / "file")
    command = "export" if option == "-o" else "delete"
    assert main([command, "messages", option, missing, "--yes"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("twiliorm: ") and len(err.splitlines()) == 1
    assert "no such folder" in err and "No such file or directory" in err
    assert posts(env) == 0


def test_end_of_input_at_the_question_is_a_no(
    env: Sandbox, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", Terminal())  # a terminal that is closed (Ctrl-D)
    assert main(["delete", "messages"]) == 1
    assert "nothing written" in capsys.readouterr().out
    assert posts(env) == 0


def test_a_scan_is_a_note_on_stderr_for_the_bulk_commands_too(
    env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["update", "messages", "--filter", "status=delivered", "--set", "body=", "--yes"]
    assert main(argv) == 0
    assert "twiliorm: note: Message query filters only on the client" in capsys.readouterr().err
    assert main(["export", "messages", "--filter", "status=delivered"]) == 0
    assert "twiliorm: note: Message query" in capsys.readouterr().err
