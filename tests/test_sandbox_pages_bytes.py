"""A list page's bytes: the stored payloads exactly, whatever their bodies hold.

The sandbox assembles a JSON page from the bytes its store holds for each
record (:class:`twiliorm.sandbox.pages.Stored`), never decoding them to text
and encoding them again. These tests send messages whose bodies hold what
such a shortcut could get wrong (characters beyond ASCII and beyond the BMP,
quotes, backslashes, control characters, JSON's line separators), then read
their list over HTTP, page by page, forwards and back, through the list and
through the day index (``DateSent``), and compare each page's bytes with the
text expected: each record as the store keeps it (compact JSON, UTF-8, not
escaped) and the paging keys as Twilio spells them. CSV and XML read the same
records as text. A database file in another text encoding than UTF-8 is
refused at start, and left as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from twiliorm.sandbox import Sandbox
from twiliorm.sandbox.pages import Stored

from .test_sandbox_support import Answer, Raw

BODIES = [
    "plain text",
    "accents é à ü, Ωmega, 中文, עברית",
    "beyond the BMP: 😀🎉 𝄞",
    "say \"hi\" and 'bye'",
    "back\\slash \\n \\u00e9 \\\\",
    "new\nline\ttab\rreturn",
    "nul \x00 unit \x1f escape \x1b del \x7f",
    "separators \u2028 \u2029 and </script><!--",
    "😀" * 200,
]
PAGE = 4


@pytest.fixture(params=["memory", "file"])
def sandbox(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Sandbox]:
    db = str(tmp_path / "pages.db") if request.param == "file" else None
    with Sandbox(db=db) as sandbox:
        yield sandbox


@pytest.fixture
def raw(sandbox: Sandbox) -> Iterator[Raw]:
    raw = Raw(sandbox)
    for n, body in enumerate(BODIES):
        form = {"To": f"+1555867531{n}", "From": "+15017122661", "Body": body}
        assert raw("POST", f"{raw.a}/Messages.json", form).status == 201
    yield raw
    raw.close()


def stored_text(payload: dict[str, Any]) -> str:
    """A record as the store keeps it and a page carries it."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def expected_page(answer: Answer, raw: Raw) -> bytes:
    """The page's bytes as they must be: each of its records as its own answer gives it
    (fetched on its own), re-made as stored, then the paging keys the page gave."""
    page = answer.json()
    records = [raw("GET", f"{raw.a}/Messages/{m['sid']}.json").json() for m in page["messages"]]
    keys = {k: v for k, v in page.items() if k != "messages"}
    head = json.dumps(keys, separators=(", ", ": "))[1:]
    text = f'{{"messages": [{", ".join(stored_text(r) for r in records)}], {head}'
    return text.encode()


def walk(raw: Raw, query: str) -> list[Answer]:
    """Every page of the list, forwards through next_page_uri then back through
    previous_page_uri, each checked for its bytes."""
    answers = [raw("GET", f"{raw.a}/Messages.json?{query}&PageSize={PAGE}")]
    while (following := answers[-1].json()["next_page_uri"]) is not None:
        answers.append(raw("GET", following))
    backwards = [answers[-1]]
    while (preceding := backwards[-1].json()["previous_page_uri"]) is not None:
        backwards.append(raw("GET", preceding))
    for answer in answers + backwards:
        assert answer.status == 200
        assert answer.type == "application/json; charset=utf-8"
        assert answer.body == expected_page(answer, raw)
    # the same records back (each page's own URIs name the token it was asked with)
    assert [a.json()["messages"] for a in backwards[::-1]] == [
        a.json()["messages"] for a in answers
    ]
    return answers


@pytest.mark.parametrize(
    "query", ["", "DateSent>=2000-01-01", "DateSent<=2999-01-01&To=%2B15558675316"]
)
def test_a_page_is_its_stored_payloads_byte_for_byte(raw: Raw, query: str) -> None:
    answers = walk(raw, query)
    bodies = [m["body"] for answer in answers for m in answer.json()["messages"]]
    wanted = BODIES[::-1] if "To=" not in query else [BODIES[6]]
    assert bodies == wanted
    assert len(answers) == (-(-len(wanted) // PAGE))


def test_a_page_of_a_day_reads_the_same_bytes_as_the_list(raw: Raw, sandbox: Sandbox) -> None:
    today = sandbox.app.now().date()
    whole = raw("GET", f"{raw.a}/Messages.json?PageSize=50").json()
    day = raw("GET", f"{raw.a}/Messages.json?DateSent={today}&PageSize=50")
    assert day.json()["messages"] == whole["messages"]
    assert day.body == expected_page(day, raw)
    empty = raw("GET", f"{raw.a}/Messages.json?DateSent={today - dt.timedelta(days=1)}")
    assert empty.json()["messages"] == []
    assert empty.body.startswith(b'{"messages": [], "first_page_uri": ')


def test_csv_and_xml_read_the_stored_bodies_as_text(raw: Raw) -> None:
    rows = list(csv.DictReader(io.StringIO(raw("GET", f"{raw.a}/Messages.csv").body.decode())))
    assert [row["body"] for row in rows] == BODIES[::-1]
    tree = ElementTree.fromstring(raw("GET", f"{raw.a}/Messages").body)
    found = [m.findtext("Body") for m in tree.iter("Message")]
    # XML 1.0 cannot carry most control characters: those are dropped, the rest kept
    assert found[-3] == BODIES[2] and found[0] == BODIES[-1]


def test_stored_items_read_as_text() -> None:
    texts = ['{"body":"é😀"}', '{"body":"\\"q\\""}', "{}"]
    items = Stored([text.encode() for text in texts])
    assert (len(items), items[0], items[-1], items[1:]) == (3, texts[0], "{}", texts[1:])
    assert list(items) == texts and "{}" in items
    assert items.framed("[", "]") == f"[{', '.join(texts)}]".encode()
    assert Stored([]).framed("[", "]") == b"[]"
    assert Stored([b"{}"]).framed("<", ">") == b"<{}>"


def test_a_database_in_another_text_encoding_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "utf16.db"
    db = sqlite3.connect(path)
    db.execute("PRAGMA encoding = 'UTF-16le'")
    db.execute("CREATE TABLE kept (x TEXT)")
    db.execute("INSERT INTO kept VALUES ('é')")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(OSError, match=r"utf16\.db.*text encoding is UTF-16le, not UTF-8"):
        Sandbox(db=str(path))
    assert path.read_bytes() == before
    assert not Path(f"{path}-wal").exists()


def test_a_file_store_reads_through_a_memory_map(tmp_path: Path) -> None:
    with Sandbox(db=str(tmp_path / "mapped.db")) as sandbox:
        mapped = sandbox.app.store._db.execute("PRAGMA mmap_size").fetchone()[0]
        assert mapped >= 1 << 30  # the whole of any sandbox file we know of
        raw = Raw(sandbox)
        form = {"To": "+15558675310", "From": "+15017122661", "Body": BODIES[2]}
        assert raw("POST", f"{raw.a}/Messages.json", form).status == 201
        page = raw("GET", f"{raw.a}/Messages.json")
        assert page.body == expected_page(page, raw)
        raw.close()
