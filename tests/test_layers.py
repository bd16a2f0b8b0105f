"""The seams the architecture promises, checked on the source and on the kinds themselves.

- Field kinds own their conversions: nothing outside ``fields.py`` decides by
  comparing a kind's name.
- The core (fields, lookups, plan, protocol, query, resource, manager,
  persistence, convert) imports nothing of a higher layer, not even inside a
  function: the seed facade, bulk jobs, the command line, the sandbox,
  webhooks and contrib build on the core, never the other way round.
- Sandbox behaviours reach each other through typed references, not a dict
  looked up by name.
"""

from __future__ import annotations

import ast
import datetime as dt
import decimal
import re
from pathlib import Path

import pytest

from twiliorm import Message, fields
from twiliorm.lookups import get_lookup

PACKAGE = Path(__file__).resolve().parent.parent / "twiliorm"
CORE = ("fields", "lookups", "query", "protocol", "queryset", "resource", "manager",
        "persistence", "convert", "paging", "paths", "dates")  # fmt: skip
HIGHER = ("api", "cli", "sandbox", "webhooks", "contrib")


def sources() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_but_fields_compares_a_kind_by_name() -> None:
    compared = re.compile(r"kind\.name\s*(==|!=|in\b|not in\b)|kind\.name\]|_KINDS\b")
    found = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in sources()
        if path.name != "fields.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if compared.search(line)
    ]
    assert found == []


def _imports(tree: ast.AST, *, in_function: bool = False) -> list[tuple[int, str, bool]]:
    """(line, top-level twiliorm module, inside a function) of each relative import that
    runs (imports only for type checkers are left out)."""
    found = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            top = (node.module or "").split(".")[0]
            for name in [top] if top else [a.name for a in node.names]:
                found.append((node.lineno, name, in_function))
        inside = in_function or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        found += _imports(node, in_function=inside)
    return found


@pytest.mark.parametrize("module", CORE)
def test_the_core_imports_no_higher_layer(module: str) -> None:
    """The facade, the command line, the sandbox, webhooks and contrib build on the core.
    The bulk engine is beneath the QuerySet's bulk methods: imported where the module
    starts, never from inside a function to dodge a cycle."""
    found = _imports(ast.parse((PACKAGE / f"{module}.py").read_text()))
    upward = [f"line {n}: {name}" for n, name, _ in found if name in HIGHER]
    hidden = [f"line {n}: {name}" for n, name, late in found if late and name == "bulk"]
    assert upward == [] and hidden == []


def test_no_resource_renders_itself_for_a_template() -> None:
    assert not hasattr(Message, "__html__")


def test_sandbox_behaviours_are_not_looked_up_by_name() -> None:
    found = [
        str(path.relative_to(PACKAGE))
        for path in sorted((PACKAGE / "sandbox").rglob("*.py"))
        if 'behaviours["' in path.read_text()
    ]
    assert found == []


# --- what each kind does with a form, a person's text and an export cell -------------


def test_form_text_becomes_the_payload_value_the_api_would_store() -> None:
    assert fields.BOOLEAN.from_form(["True"]) is True
    assert fields.INTEGER.from_form(["12"]) == 12
    assert fields.LIST.from_form(["a", "b"]) == ["a", "b"]
    assert fields.STRING.from_form(["a", "b"]) == "b"  # a repeated key: the last counts
    assert fields.DECIMAL_OFFSET.from_form(["+30"]) == "+30"  # an offset stays one
    for kind, text in [
        (fields.BOOLEAN, "yes"),
        (fields.INTEGER, "1.5"),
        (fields.DECIMAL, "1e5"),
        (fields.INTEGER_TEXT, "ten"),
    ]:
        with pytest.raises(ValueError):
            kind.from_form([text])


def test_a_persons_text_becomes_a_python_value() -> None:
    assert fields.RFC2822.from_text("2026-01-05") == dt.date(2026, 1, 5)
    assert fields.DATETIME.from_text("2026-01-05T10:00:00Z") == dt.datetime(
        2026, 1, 5, 10, tzinfo=dt.timezone.utc
    )
    assert fields.BOOLEAN.from_text("no") is False
    with pytest.raises(ValueError, match="not a day"):
        fields.RFC2822.from_text("yesterday")


def test_export_cells() -> None:
    assert fields.RFC2822.cell("Thu, 30 Jul 2015 20:12:31 +0000") == "2015-07-30T20:12:31Z"
    assert fields.RFC2822.cell("not a date") == "not a date"
    assert fields.INTEGER_TEXT.cell("3") == 3
    assert fields.DECIMAL.cell(decimal.Decimal("-0.00750")) == "-0.00750"
    assert fields.DATE.cell("2012-09-01") == "2012-09-01"


def test_kinds_say_what_compares_by_day_and_what_changes_in_place() -> None:
    assert fields.RFC2822.by_day and fields.DATE.by_day and not fields.STRING.by_day
    assert fields.LIST.mutable and fields.JSON.mutable and not fields.INTEGER.mutable


def test_lookups_say_how_the_api_answers_them() -> None:
    lt, gt, rng = get_lookup("lt"), get_lookup("gt"), get_lookup("range")
    assert lt is not None and gt is not None and rng is not None
    day = dt.date(2026, 1, 5)
    assert lt.wire(fields.RFC2822, day) == ("lte", dt.date(2026, 1, 4), False)
    noon = dt.datetime(2026, 1, 5, 12, tzinfo=dt.timezone.utc)
    assert gt.wire(fields.RFC2822, noon) == ("gte", day, True)  # the rest of the day: client
    assert gt.wire(fields.INTEGER, 3) is None  # the API has no such filter
    assert rng.parts((1, 2)) == [("gte", 1), ("lte", 2)]
