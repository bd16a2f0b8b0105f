"""The seed document's code runs, as written there, against the sandbox.

``docs/seed/twilio-api.rst`` is the library's original description, kept
verbatim. Each of its code blocks runs here with only these changes, each
listed in FIXES with its reason: the credentials, Python 3's ``print()``, the
module's name (``twilio`` is now ``twiliorm``), and two typos. The reference
part is checked too: every class, method, parameter and constant it names
exists in ``twiliorm.api``.
"""

from __future__ import annotations

import inspect
import pathlib
import re
from collections.abc import Iterator
from typing import Any

import pytest

import twiliorm
from twiliorm import IncomingPhoneNumber, Message, Resource, api
from twiliorm.resource import resources
from twiliorm.sandbox import Sandbox

SEED = pathlib.Path(__file__).resolve().parent.parent / "docs" / "seed" / "twilio-api.rst"

#: (as written in the seed, as run here, why)
FIXES = (
    ("import twilio\n", "import twiliorm as twilio\n", "the library's name today"),
    ("ACCOUT_SID = ", "ACCOUNT_SID = ", "typo: the next line reads ACCOUNT_SID"),
    ('"AXXXXXXXXXXXXXXXXX"', "SANDBOX_ACCOUNT_SID", "credentials: the sandbox's"),
    ('"YYYYYYYYYYYYYYYYYY"', "SANDBOX_AUTH_TOKEN", "credentials: the sandbox's"),
    ("n = number[0]", "n = numbers[0]", "typo: the search result is `numbers`"),
    ("print m.body", "print(m.body)", "Python 3"),
    ("print a.status", "print(a.status)", "Python 3"),
)


def code_blocks(text: str) -> list[str]:
    """The literal blocks of a reST text: the indented lines after a line ending in ``::``."""
    blocks: list[str] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.rstrip().endswith("::") and not line.lstrip().startswith(".."):
            blocks.append(_indented_after(lines, i + 1))
    return [block for block in blocks if block.strip()]


def _indented_after(lines: list[str], start: int) -> str:
    body: list[str] = []
    for line in lines[start:]:
        if line.strip() and not line.startswith((" ", "\t")):
            break
        body.append(line)
    indent = min(len(line) - len(line.lstrip()) for line in body if line.strip())
    return "\n".join(line[indent:] for line in body).strip("\n") + "\n"


def as_run(block: str) -> str:
    for written, run, _ in FIXES:
        block = block.replace(written, run)
    return block


BLOCKS = code_blocks(SEED.read_text())


@pytest.fixture
def seed_env(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """The environment the seed's ``twilio.api.Client()`` reads, pointed at the sandbox."""
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", sandbox.account_sid)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", sandbox.auth_token)
    monkeypatch.setenv("TWILIO_API_BASE_URL", sandbox.base_url)
    yield sandbox


def execute(block: str, sandbox: Sandbox) -> dict[str, Any]:
    namespace: dict[str, Any] = {
        "SANDBOX_ACCOUNT_SID": sandbox.account_sid,
        "SANDBOX_AUTH_TOKEN": sandbox.auth_token,
    }
    exec(compile(as_run(block), str(SEED), "exec"), namespace)
    return namespace


def test_the_seed_has_the_five_code_blocks_of_its_tutorial() -> None:
    assert len(BLOCKS) == 5
    assert all("import twilio\n" in block for block in BLOCKS)
    for written, _, _ in FIXES:
        assert any(written in block for block in BLOCKS), f"the seed no longer has {written!r}"


def test_making_a_connection(seed_env: Sandbox) -> None:
    namespace = execute(BLOCKS[0], seed_env)
    conn = namespace["conn"]
    assert isinstance(conn, api.Client) and conn.account_sid == seed_env.account_sid
    assert [a.sid for a in conn.accounts.list()] == [seed_env.account_sid]


def test_buying_a_phone_number(seed_env: Sandbox) -> None:
    n = execute(BLOCKS[1], seed_env)["n"]
    assert isinstance(n, IncomingPhoneNumber)
    assert n.phone_number.startswith("+1530") and n.voice_url == "http://foo.com/twiml.xml"
    with seed_env.client() as client:
        owned = IncomingPhoneNumber.objects.using(client).get(sid=n.sid)
    assert owned.voice_url == "http://foo.com/twiml.xml"


def test_sending_an_sms(seed_env: Sandbox) -> None:
    msg = execute(BLOCKS[2], seed_env)["msg"]
    assert isinstance(msg, Message)
    assert (msg.to, msg.from_, msg.body) == ("+18995431234", "+13452341231", "Hello Monkey")


def test_retrieving_sms(seed_env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    with seed_env.client() as client:
        for body in ("first", "second"):
            Message.objects.using(client).create(to="+13453453344", from_="+15017122661", body=body)
        Message.objects.using(client).create(to="+15558675310", from_="+15017122661", body="other")
    execute(BLOCKS[3], seed_env)
    assert sorted(capsys.readouterr().out.split()) == ["first", "second"]


def test_accessing_sub_accounts(seed_env: Sandbox, capsys: pytest.CaptureFixture[str]) -> None:
    with seed_env.client() as client:
        twiliorm.Account.objects.using(client).create(friendly_name="customer")
    execute(BLOCKS[4], seed_env)
    assert capsys.readouterr().out.split() == ["active", "active"]


# --- the reference part ----------------------------------------------------------------------


def reference() -> dict[str, dict[str, list[str]]]:
    """``{class: {method or attribute: [parameter names]}}`` as the seed's reference writes them."""
    text = SEED.read_text().split("Reference\n>>>>>>>>>", 1)[1]
    classes: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for line in text.splitlines():
        found = re.match(r"\.\. class:: (\w+)(?:\((.*)\))?", line.strip())
        if found:
            current = classes.setdefault(found.group(1), {})
            current["__init__"] = _names(found.group(2) or "")
            continue
        member = re.match(r"\.\. (?:method|attribute):: (\w+)(?:\((.*)\))?", line.strip())
        if member:
            current[member.group(1)] = _names(member.group(2) or "")
    return classes


def _names(signature: str) -> list[str]:
    return [part.split("=")[0].strip() for part in signature.split(",") if part.strip()]


#: What each class of the seed's reference is now. Its Resource, with the raw forms, is the
#: facade's base of the list resources; its InstanceResource is every declared model, which
#: has no raw forms (a template rendering a model must not send a request).
IMPLEMENTED_BY: dict[str, Any] = {
    "Client": api.Client,
    "Resource": api.Resource,
    "ListResource": api.ListResource,
    "InstanceResource": Resource,
    "PhoneNumbers": api.PhoneNumbers,
    "Recordings": api.Recordings,
    "Transcriptions": api.Transcriptions,
    "Participants": api.Participants,
    "SmsMessages": api.SmsMessages,
}
#: Named by the seed, on instances whose payload has them (accounts, messages, calls...).
PAYLOAD_ATTRIBUTES = {"subresource_uris"}


def test_the_reference_names_only_what_exists() -> None:
    classes = reference()
    assert set(classes) == set(IMPLEMENTED_BY)
    for name, members in classes.items():
        implementation = IMPLEMENTED_BY[name]
        for member, parameters in members.items():
            if member in PAYLOAD_ATTRIBUTES:
                assert member in Message._meta.fields and member in twiliorm.Account._meta.fields
                continue
            targets = resources() if implementation is Resource else [implementation]
            for target in targets:
                assert hasattr(target, member), f"{name}.{member} ({target.__name__})"
                _accepts(getattr(target, member), parameters, f"{name}.{member}")


def _accepts(function: Any, names: list[str], where: str) -> None:
    if not callable(function) or not names:
        return
    parameters = inspect.signature(function).parameters
    for name in names:  # by name, not swallowed by **filters
        assert name in parameters, f"{where} takes no {name}"
    # ... and in the seed's order, so a positional call means what the seed says
    positional = [
        p.name
        for p in parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"
    ]
    assert positional[: len(names)] == names, f"{where}({', '.join(positional)})"


def test_the_reference_constants_are_in_twiliorm_api() -> None:
    names = re.findall(r"^\.\. data:: (\w+)", SEED.read_text(), flags=re.MULTILINE)
    assert len(names) == 14
    for name in names:
        assert getattr(api, name) == getattr(twiliorm, name)


def test_every_list_resource_is_the_seeds_resource_with_its_raw_forms() -> None:
    for name in ("ListResource", "PhoneNumbers", "Recordings", "Transcriptions", "Participants"):
        assert issubclass(IMPLEMENTED_BY[name], api.Resource), name
    assert issubclass(api.SmsMessages, api.Resource) and issubclass(api.Usage, api.Resource)
    assert not issubclass(Resource, api.Resource)
