"""The ``twiliorm`` command: ls, get and explain, run as a user runs them.

The end-to-end tests start the real ``twiliorm sandbox`` command and run the
real ``twiliorm`` command against it, in subprocesses; the rest call
``main()`` in-process against the ``sandbox`` fixture.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import pathlib
import re
import subprocess
import sys
from collections.abc import Iterator

import pytest

import twiliorm
from twiliorm import Message
from twiliorm.cli import browse, common, main
from twiliorm.resource import resources
from twiliorm.sandbox import Sandbox

TO = "+15558675310"
FROM = "+15017122661"


def command() -> list[str]:
    """The installed ``twiliorm`` script next to this Python, else ``python -m twiliorm``."""
    script = pathlib.Path(sys.executable).with_name("twiliorm")
    return [str(script)] if script.exists() else [sys.executable, "-m", "twiliorm"]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    env.pop("NO_COLOR", None)
    return {**env, **extra}


def run(*argv: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*command(), *argv], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def served() -> Iterator[dict[str, str]]:
    """``twiliorm sandbox --port 0`` in a subprocess; yields the environment it prints."""
    process = subprocess.Popen(
        [*command(), "sandbox", "--port", "0", "--quiet"],
        env=clean_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        exports: dict[str, str] = {}
        while len(exports) < 3:
            line = process.stdout.readline()
            assert line, "the sandbox command ended before printing its address"
            if "export " in line:
                name, _, value = line.split("export ", 1)[1].strip().partition("=")
                exports[name] = value
        yield exports
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Sandbox:
    """The environment of this process pointed at the in-process sandbox."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", sandbox.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", sandbox.auth_token)
    monkeypatch.setenv("TWILIO_API_BASE_URL", sandbox.base_url)
    return sandbox


def send(client: twiliorm.Client, count: int, to: str = TO) -> list[Message]:
    messages = Message.objects.using(client)
    return [messages.create(to=to, from_=FROM, body=f"hello {i}") for i in range(count)]


# --- as a user runs it ------------------------------------------------------------------------


def test_ls_against_a_running_sandbox_prints_a_table(served: dict[str, str]) -> None:
    with twiliorm.Client(
        served["TWILIO_ACCOUNT_SID"],
        served["TWILIO_AUTH_TOKEN"],
        base_url=served["TWILIO_API_BASE_URL"],
    ) as client:
        mine = send(client, 7)
        send(client, 2, to="+15558675399")
    done = run("ls", "messages", "--filter", f"to={TO}", "--limit", "5", env=clean_env(**served))
    assert done.returncode == 0, done.stderr
    header, rule, *rows = done.stdout.splitlines()
    assert header.split() == ["sid", "date_sent", "date_created", "from", "to", "status"]
    assert set(rule) == {"-", " "}
    assert len(rows) == 5 and all(TO in row and FROM in row for row in rows)
    assert {row.split()[0] for row in rows} <= {m.sid for m in mine}
    assert "\033[" not in done.stdout and done.stderr == ""


def test_a_wrong_token_prints_one_line_naming_20003_and_fails(served: dict[str, str]) -> None:
    env = clean_env(**{**served, "TWILIO_AUTH_TOKEN": "0" * 32})
    done = run("ls", "messages", env=env)
    assert done.returncode != 0 and done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and "Traceback" not in done.stderr
    assert "20003" in done.stderr and "TWILIO_AUTH_TOKEN" in done.stderr


def test_no_credentials_prints_one_line_saying_what_to_set() -> None:
    done = run("ls", "messages", env=clean_env())
    assert done.returncode == 1 and len(done.stderr.splitlines()) == 1
    assert "TWILIO_ACCOUNT_SID" in done.stderr and "Traceback" not in done.stderr


def test_demo_runs_after_installing() -> None:
    done = run("demo", env=clean_env())
    assert done.returncode == 0, done.stderr
    assert "Buying a phone number" in done.stdout and "Done:" in done.stdout


def test_a_closed_pipe_stops_the_listing_quietly(sandbox: Sandbox) -> None:
    sandbox.populate(1500, 0)
    env = clean_env(
        TWILIO_ACCOUNT_SID=sandbox.account_sid,
        TWILIO_AUTH_TOKEN=sandbox.auth_token,
        TWILIO_API_BASE_URL=sandbox.base_url,
    )
    process = subprocess.Popen(
        [*command(), "ls", "messages", "--limit", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    assert process.stdout.readline().startswith("sid")
    process.stdout.close()  # as `| head -1` does
    assert process.wait(timeout=120) == 141
    assert "Traceback" not in process.stderr.read()


# --- ls ---------------------------------------------------------------------------------------


def test_ls_json_is_one_array_of_the_apis_payloads(
    env: Sandbox, client: twiliorm.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    send(client, 3)
    assert main(["ls", "messages", "--format", "json", "--limit", "2"]) == 0
    payloads = json.loads(capsys.readouterr().out)
    assert [p["sid"] for p in payloads] == [m.sid for m in Message.objects.using(client)[:2]]
    assert payloads[0]["from"] == FROM and "from_" not in payloads[0]


def test_ls_csv_has_the_apis_keys_as_header(
    env: Sandbox, client: twiliorm.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    send(client, 2)
    assert main(["ls", "messages", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[0].split(",")
    assert header[:5] == ["body", "num_segments", "direction", "from", "to"]
    assert len(lines) == 3


def test_ls_filters_are_typed_by_their_fields(
    env: Sandbox, client: twiliorm.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    send(client, 2)
    today = Message.objects.using(client).first().date_sent.date()
    argv = ["ls", "messages", "--filter", f"date_sent__gte={today}", "--fields", "sid,body"]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["sid", "body"] and len(out) == 4
    assert main(["ls", "messages", "--filter", f"date_sent__lt={today}"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no messages matched" in captured.err


def test_ls_reaches_nested_resources_through_their_parent(
    env: Sandbox, client: twiliorm.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    twiml = "<Response><Dial><Conference>Room</Conference></Dial></Response>"
    call = twiliorm.Call.objects.using(client).create(to=TO, from_=FROM, twiml=twiml)
    room = twiliorm.Conference.objects.using(client).get(friendly_name="Room")
    argv = ["ls", "participants", "--filter", f"conference={room.sid}", "--filter", "muted=false"]
    assert main(argv) == 0
    assert call.sid in capsys.readouterr().out


def test_a_client_side_only_filter_notes_the_scan_on_stderr(
    env: Sandbox, client: twiliorm.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    send(client, 2)
    assert main(["ls", "messages", "--filter", "body__contains=1"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 3
    assert captured.err.startswith("twiliorm: note: Message query filters only on the client")


def test_ls_without_a_resource_lists_them(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ls"]) == 0
    out = capsys.readouterr().out
    for name in ("messages", "calls", "incoming_phone_numbers", "usage_records", "participants"):
        assert f"\n{name} " in out


def test_every_listable_resource_answers_to_its_plural() -> None:
    for model in resources():
        if "list" in model._meta.operations:
            plural = common.plural(common.snake(model.__name__))
            assert common.find_resource(plural) is model
            assert common.find_resource(model.__name__) is model


def test_names_shared_by_several_list_keys_go_to_the_plain_resource() -> None:
    assert common.find_resource("recordings") is twiliorm.Recording
    assert common.find_resource("incoming-phone-numbers") is twiliorm.IncomingPhoneNumber
    assert common.find_resource("queue_members") is twiliorm.Member
    with pytest.raises(common.CommandError, match="contents"):
        common.find_resource("contents")  # three SIP mappings share that key


def test_an_unknown_resource_suggests_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ls", "mesages"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("twiliorm: no resource named 'mesages'; did you mean messages")


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("date_sent__gte=2026-01-05", ("date_sent__gte", dt.date(2026, 1, 5))),
        ("to=+15558675310", ("to", "+15558675310")),
        ("status__in=queued,sent", ("status__in", ["queued", "sent"])),
        ("body__isnull=yes", ("body__isnull", True)),
        ("conference=CF123", ("conference", "CF123")),
    ],
)
def test_filters_are_read_by_kind(item: str, expected: tuple[str, object]) -> None:
    assert common.parse_filters(Message, [item]) == [expected]


def test_a_time_filter_is_read_as_an_aware_timestamp() -> None:
    [(_, value)] = common.parse_filters(Message, ["date_sent__gt=2026-01-05T10:00:00Z"])
    assert value.isoformat() == "2026-01-05T10:00:00+00:00"
    assert common.parse_filters(twiliorm.Participant, ["muted=False"]) == [("muted", False)]


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("date_sent__gte=yesterday", "is not a day"),
        ("to", "KEY=VALUE"),
        ("=x", "KEY=VALUE"),
    ],
)
def test_unreadable_filters_say_what_is_wrong(
    item: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["explain", "messages", "--filter", item]) == 1
    err = capsys.readouterr().err
    assert message in err and len(err.splitlines()) == 1


def test_a_bad_value_or_field_is_one_line_and_sends_nothing(
    env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    before = len(env.requests)
    assert main(["ls", "participants", "--filter", "muted=maybe"]) == 1
    assert main(["ls", "messages", "--filter", "colour=red"]) == 1
    assert main(["ls", "messages", "--fields", "sid,colour"]) == 1
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 3 and all(line.startswith("twiliorm: ") for line in errors)
    assert "has no field 'colour'" in errors[1] and "has no field 'colour'" in errors[2]
    assert len(env.requests) == before


def test_credentials_are_shown_only_when_named(
    env: Sandbox, client: twiliorm.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = twiliorm.Account.objects.using(client).create(friendly_name="customer")
    token = str(sub.auth_token)
    for argv in (
        ["ls", "accounts", "--format", "json"],
        ["ls", "accounts", "--format", "csv"],
        ["ls", "accounts"],
        ["get", "accounts", str(sub.sid)],
        ["get", "accounts", str(sub.sid), "--format", "json"],
    ):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert sub.sid in out and token not in out and "auth_token" not in out, argv
    assert main(["get", "accounts", str(sub.sid), "--fields", "sid,auth_token"]) == 0
    assert token in capsys.readouterr().out


def test_fields_choose_the_keys_of_json_and_csv_too(
    env: Sandbox, client: twiliorm.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    send(client, 2)
    assert main(["ls", "messages", "--format", "json", "--fields", "sid,from_"]) == 0
    assert [set(p) for p in json.loads(capsys.readouterr().out)] == [{"sid", "from"}] * 2
    assert main(["ls", "messages", "--format", "csv", "--fields", "to,body"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "to,body"


# --- get and explain ---------------------------------------------------------------------------


def test_get_shows_every_field_of_one_record(
    env: Sandbox, client: twiliorm.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    message = send(client, 1)[0]
    assert main(["get", "messages", message.sid]) == 0
    rows = dict(
        line.split(None, 1) for line in capsys.readouterr().out.splitlines()[2:] if " " in line
    )
    assert rows["sid"] == message.sid and rows["body"] == "hello 0" and rows["from"] == FROM
    assert main(["get", "message", message.sid, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["sid"] == message.sid


def test_get_a_resource_with_one_record_needs_no_sid(
    env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["get", "balance"]) == 0
    assert "currency" in capsys.readouterr().out
    assert main(["get", "messages"]) == 1
    assert "needs the SID" in capsys.readouterr().err


def test_get_a_missing_record_is_twilios_404(
    env: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["get", "messages", "SM" + "0" * 32]) == 1
    assert "error 20404" in capsys.readouterr().err


def test_explain_sends_nothing_and_needs_no_credentials(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    argv = ["explain", "messages", "--filter", f"to={TO}", "--filter", "status=failed"]
    assert main([*argv, "--limit", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("GET /2010-04-01/Accounts/{account_sid}/Messages.json?To=%2B15558675310")
    assert "PageSize=5" in out and "client: status__exact='failed'" in out


# --- output fit for pipes ----------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color() -> None:
    assert browse._colour(_Terminal(), {})
    assert not browse._colour(io.StringIO(), {})
    assert not browse._colour(_Terminal(), {"NO_COLOR": ""})
    assert not browse._colour(_Terminal(), {"TERM": "dumb"})


def test_table_cells_stay_on_one_line_and_are_cut_when_long() -> None:
    cell = browse._cell("first line\nsecond " + "x" * 100)
    assert "\n" not in cell and len(cell) == browse.CELL_WIDTH and cell.endswith("…")
    assert browse._cell(None) == "" and browse._cell(True) == "true"


# --- one writer, one way to fail ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_ls_writes_records_as_export_does(
    env: Sandbox, client: twiliorm.Client, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    send(client, 3)
    assert main(["ls", "messages", "--format", fmt, "--limit", "0"]) == 0
    listed = capsys.readouterr().out
    assert main(["export", "messages", "--format", fmt]) == 0
    assert listed == capsys.readouterr().out
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", listed)  # ISO 8601 UTC
    assert "+0000" not in listed  # no RFC 2822 date left


def test_a_repeated_filter_keeps_every_condition(
    env: Sandbox, client: twiliorm.Client, capsys: pytest.CaptureFixture[str]
) -> None:
    send(client, 2)
    send(client, 2, to="+15558675399")
    argv = ["ls", "messages", "--filter", f"to={TO}", "--filter", "to=+15558675399"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "no messages matched" in captured.err


def _served_env(sandbox: Sandbox) -> dict[str, str]:
    return clean_env(
        TWILIO_ACCOUNT_SID=sandbox.account_sid,
        TWILIO_AUTH_TOKEN=sandbox.auth_token,
        TWILIO_API_BASE_URL=sandbox.base_url,
    )


@pytest.mark.parametrize(
    "argv", [["export", "messages"], ["delete", "messages", "--dry-run"], ["ls", "messages"]]
)
def test_a_reader_gone_before_the_first_line_is_141(sandbox: Sandbox, argv: list[str]) -> None:
    sandbox.populate(20, 0)
    process = subprocess.Popen(
        [*command(), *argv],
        env=_served_env(sandbox),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # `| head -0`: nothing will ever be read
    assert process.wait(timeout=120) == 141
    assert process.stderr.read() == b""


def test_a_full_disk_is_one_line(sandbox: Sandbox) -> None:
    sandbox.populate(20, 0)
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [*command(), "export", "messages"],
            env=_served_env(sandbox),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert done.stderr.startswith("twiliorm: ") and len(done.stderr.splitlines()) == 1
    assert "No space left on device" in done.stderr


def test_csv_lines_end_in_a_newline_on_a_pipe_and_in_crlf_in_a_file(
    served: dict[str, str], tmp_path: pathlib.Path
) -> None:
    """``$(twiliorm ls ... | tail -1)`` must not carry a carriage return; a file written
    with --output keeps RFC 4180's CRLF, which spreadsheets expect."""
    with twiliorm.Client(
        served["TWILIO_ACCOUNT_SID"],
        served["TWILIO_AUTH_TOKEN"],
        base_url=served["TWILIO_API_BASE_URL"],
    ) as client:
        send(client, 3)
    env = clean_env(**served)
    for argv in (["ls", "messages", "--format", "csv"], ["export", "messages", "--format", "csv"]):
        piped = subprocess.run([*command(), *argv], env=env, capture_output=True, timeout=120)
        assert piped.returncode == 0, piped.stderr
        assert b"\r" not in piped.stdout and piped.stdout.count(b"\n") == 4, argv
    target = tmp_path / "messages.csv"
    done = run("export", "messages", "--format", "csv", "--output", str(target), env=env)
    assert done.returncode == 0, done.stderr
    assert target.read_bytes().count(b"\r\n") == 4
