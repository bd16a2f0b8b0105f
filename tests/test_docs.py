"""The documentation builds without a warning, and its generated parts follow the code."""

from __future__ import annotations

import argparse
import html
import pathlib
import pydoc
import re
import subprocess
import sys

import pytest
import sphinx  # noqa: F401  # a test dependency: the docs build with it, never skipped

from twiliorm import Message
from twiliorm import exceptions as exceptions_module
from twiliorm.cli import build_parser
from twiliorm.resource import resources

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    out = tmp_path_factory.mktemp("html")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(DOCS),
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    assert done.stderr == "", done.stderr[-5000:]
    return out


def text_of(page: pathlib.Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))


def test_every_resource_has_its_paths_fields_and_operations_on_its_family_page(
    built: pathlib.Path,
) -> None:
    for model in resources():
        family = model.__module__.rsplit(".", 1)[1]
        page = text_of(built / "families" / f"{family}.html")
        meta = model._meta
        assert model.__name__ in page
        for path in (*meta.list_paths, *([meta.instance_path] if meta.instance_path else [])):
            assert str(path) in page, f"{model.__name__}: {path}"
        for spec in meta.fields.values():
            assert spec.name in page, f"{model.__name__}.{spec.name}"
        for param in meta.query_params.values():
            assert str(param.param) in page


def test_the_filters_shown_are_the_ones_sent(built: pathlib.Path) -> None:
    page = text_of(built / "families" / "messages.html")
    assert re.search(r"date_sent\s+date_sent\s+rfc2822\s+DateSent, DateSent<, DateSent>", page)
    assert (
        "AvailablePhoneNumber.purchase"
        in (built / "families" / "available_numbers.html").read_text()
    )


def test_every_subcommand_has_its_help_on_the_command_line_page(built: pathlib.Path) -> None:
    page = text_of(built / "cli.html")
    names = [
        name
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    ]
    assert {"sandbox", "demo", "ls", "get", "explain"} <= set(names)
    for name in names:
        assert f"usage: twiliorm {name}" in page, name


def test_the_tutorial_shows_the_examples_code(built: pathlib.Path) -> None:
    page = text_of(built / "tutorial.html")
    for name in ("def find_number", "def send_updates", "def give_number", "def try_requests"):
        assert name in page


def test_the_errors_page_documents_every_exception() -> None:
    page = (DOCS / "errors.rst").read_text()
    for name in exceptions_module.__all__:
        assert f".. autoexception:: {name}\n" in page, name


def test_help_on_a_managers_filter_says_what_it_accepts() -> None:
    text = pydoc.render_doc(Message.objects.filter, renderer=pydoc.plaintext)
    assert "lookup" in text and "gte" in text and "contains" in text


def test_help_on_a_querysets_filter_says_what_it_accepts() -> None:
    text = pydoc.render_doc(Message.objects.all().filter, renderer=pydoc.plaintext)
    assert "field__lookup=value" in text and "gte" in text and "explain()" in text
