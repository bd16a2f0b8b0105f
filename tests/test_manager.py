"""Managers are derived from their QuerySet class, as Django's are (``from_queryset``)."""

from __future__ import annotations

import ast
import inspect
import pathlib
import subprocess
import sys
import textwrap
from typing import Any

import pytest

import twiliorm
from twiliorm import Message
from twiliorm.manager import QUERYSET_ONLY, BaseManager, Manager
from twiliorm.queryset import QuerySet

from .helpers import record

MANAGER_SOURCE = pathlib.Path(twiliorm.manager.__file__).read_text()


def proxied(manager_class: type[Any]) -> set[str]:
    return {name for name, value in vars(manager_class).items() if hasattr(value, "__wrapped__")}


def public_queryset_methods() -> set[str]:
    found = inspect.getmembers(QuerySet, predicate=inspect.isfunction)
    marked = {name for name, f in found if getattr(f, "queryset_only", None) is True}
    return {name for name, _ in found if not name.startswith("_")} - marked


def test_the_manager_has_every_public_queryset_method_but_delete() -> None:
    assert proxied(Manager) == public_queryset_methods() - QUERYSET_ONLY
    assert "delete" in public_queryset_methods() and not hasattr(Message.objects, "delete")
    assert not hasattr(BaseManager, "filter")


def test_a_proxy_keeps_the_querysets_name_docstring_and_signature() -> None:
    for name in proxied(Manager):
        method, original = getattr(Manager, name), getattr(QuerySet, name)
        assert method.__name__ == name and method.__qualname__ == f"Manager.{name}"
        assert method.__doc__ == original.__doc__
        assert inspect.signature(method) == inspect.signature(original)


def test_a_proxy_starts_a_queryset_and_calls_its_method(client: twiliorm.Client) -> None:
    sent = record(client)
    qs = Message.objects.filter(to="+15558675310")
    assert isinstance(qs, QuerySet) and sent.requests == []
    assert Message.objects.using(client).count() == 0 and len(sent.requests) == 1
    assert "To=%2B15558675310" in Message.objects.filter(to="+15558675310").explain()


def _typed_declarations() -> dict[str, list[str]]:
    """{method: [parameter names]} of the ``Manager`` a type checker reads in manager.py."""
    tree = ast.parse(MANAGER_SOURCE)
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == "Manager":
            return {
                item.name: _parameters(item.args)
                for item in node.body
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            }
    raise AssertionError("manager.py declares no Manager class for type checkers")


def _parameters(args: ast.arguments) -> list[str]:
    listed = [*args.posonlyargs, *args.args, args.vararg, *args.kwonlyargs, args.kwarg]
    return [a.arg for a in listed if a is not None]


def test_the_typed_declarations_are_the_proxies_with_the_same_parameters() -> None:
    declared = _typed_declarations()
    assert set(declared) == proxied(Manager), "declare each proxied method for type checkers"
    for name, parameters in declared.items():
        assert parameters == list(inspect.signature(getattr(QuerySet, name)).parameters), name


class TaggedQuerySet(QuerySet[Message]):
    """Messages with the app's own questions."""

    def to_patient(self, phone: str) -> QuerySet[Message]:
        """Messages sent to ``phone``."""
        return self.filter(to=phone)

    def _hidden(self) -> None: ...

    def forget(self) -> None: ...

    forget.queryset_only = True  # type: ignore[attr-defined]


def test_from_queryset_gives_a_custom_queryset_a_manager(client: twiliorm.Client) -> None:
    TaggedManager: type[Any] = Manager.from_queryset(TaggedQuerySet)
    assert TaggedManager.__name__ == "TaggedQuerySetManager" and issubclass(TaggedManager, Manager)
    assert proxied(TaggedManager) == {"to_patient"}  # the rest come from Manager
    tagged: Any = TaggedManager(Message, client=client)
    Message.objects.create(to="+15558675310", from_="+15017122661", body="hi")
    qs = tagged.to_patient("+15558675310")
    assert isinstance(qs, TaggedQuerySet) and [m.body for m in qs] == ["hi"]
    assert isinstance(tagged.filter(body="hi"), TaggedQuerySet)  # inherited proxies too
    assert tagged.to_patient.__doc__ == "Messages sent to ``phone``."
    assert not hasattr(tagged, "_hidden") and not hasattr(tagged, "forget")


def test_a_scoped_manager_keeps_its_class(client: twiliorm.Client) -> None:
    TaggedManager: type[Any] = Manager.from_queryset(TaggedQuerySet, "Tagged")
    account = twiliorm.Account.objects.get(sid=client.account_sid)
    assert type(TaggedManager(Message).below(account)) is TaggedManager


SNIPPET = """
from twiliorm import Message
from twiliorm.models.usage import UsageRecord

reveal_type(Message.objects.filter(to="+15558675310"))
reveal_type(Message.objects.get(sid="SM"))
reveal_type(Message.objects.first())
reveal_type(UsageRecord.objects.daily())
Message.objects.delete()
"""


@pytest.mark.slow
def test_type_checkers_see_the_proxied_methods_typed(tmp_path: pathlib.Path) -> None:
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(SNIPPET))
    root = pathlib.Path(__file__).resolve().parent.parent
    command = [sys.executable, "-m", "mypy", "--config-file", str(root / "setup.cfg")]
    command += ["--cache-dir", str(tmp_path / "cache"), str(snippet)]
    out = subprocess.run(command, capture_output=True, text=True, cwd=root).stdout
    revealed = [line.split("Revealed type is ")[1] for line in out.splitlines() if "Reveal" in line]
    assert revealed == [
        '"twiliorm.queryset.QuerySet[twiliorm.models.messages.Message]"',
        '"twiliorm.models.messages.Message"',
        '"twiliorm.models.messages.Message | None"',
        '"twiliorm.models.usage.UsageRecordQuerySet"',
    ], out
    assert 'Manager[Message]" has no attribute "delete"' in out, out
