"""Helpers for the sandbox tests (no tests here): raw HTTP, and the spec as Twilio answers it.

``Raw`` talks to a sandbox over real HTTP without twiliorm in between, so a
test sees the wire: status, headers and body exactly as sent.

``answer_validator()`` is Twilio's OpenAPI contract (tests/data) for
validating answers, with one reading relaxed from the spec's own examples:
where an example of a payload sends a string for a property typed number
(``"price": "-0.0025"``), or null for one not marked nullable
(``"reason_conference_ended": null``), that is what Twilio sends, so the
sandbox may too. Nothing else is relaxed.
"""

from __future__ import annotations

import copy
import functools
import json
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import urllib3
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from twiliorm.sandbox import Sandbox

from .test_conformance import load_spec

__all__ = ["Answer", "Raw", "answer_problems", "schema_keys"]

TWILIO = "https://api.twilio.com"


@attrs.frozen
class Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def type(self) -> str:
        return self.headers.get("Content-Type", "")


class Raw:
    """A bare HTTP client for a sandbox, authenticated as ``account`` (default: the main one)."""

    def __init__(
        self, sandbox: Sandbox, account: str | None = None, token: str | None = None
    ) -> None:
        self.base = sandbox.base_url
        self.account = account or sandbox.account_sid
        secret = token or (sandbox.auth_token if account is None else "")
        self.headers = urllib3.make_headers(basic_auth=f"{self.account}:{secret}")
        self.http = urllib3.PoolManager(retries=False, timeout=30)

    @property
    def a(self) -> str:
        """The account's path prefix: ``/2010-04-01/Accounts/AC...``."""
        return f"/2010-04-01/Accounts/{self.account}"

    def __call__(
        self,
        method: str,
        path: str,
        form: Sequence[tuple[str, str]] | Mapping[str, str] | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Answer:
        sent = {**self.headers, **(headers or {})}
        if form is not None:
            pairs = list(form.items()) if isinstance(form, Mapping) else list(form)
            body = urllib.parse.urlencode(pairs).encode()
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        answer = self.http.request(method, self.base + path, body=body, headers=sent)
        return Answer(answer.status, dict(answer.headers), answer.data)

    def close(self) -> None:
        self.http.clear()


# --- the spec, as Twilio's examples show it is answered ----------------------------------


@functools.cache
def _relaxed() -> dict[str, Any]:
    spec = copy.deepcopy(load_spec())
    for schema, value in _examples(spec):
        _relax(spec, schema, value)
    return spec


@functools.cache
def answer_validator() -> OpenAPI:
    return OpenAPI.from_dict(_relaxed())


def _examples(spec: Mapping[str, Any]) -> list[tuple[dict[str, Any], Any]]:
    """(item schema, item payload) of every JSON answer example of the spec."""
    out = []
    for item in spec["paths"].values():
        for op in item.values():
            for answer in op.get("responses", {}).values() if isinstance(op, dict) else ():
                content = answer.get("content", {}).get("application/json", {})
                for example in content.get("examples", {}).values():
                    out += _pairs(spec, content.get("schema", {}), example.get("value"))
    return out


def _pairs(spec: Mapping[str, Any], schema: Mapping[str, Any], value: Any) -> list[Any]:
    if "$ref" in schema:
        return [(_resolve(spec, schema), value)]
    out = []
    for key, prop in schema.get("properties", {}).items():
        items = prop.get("items", {})
        if isinstance(value, dict) and "$ref" in items:
            out += [(_resolve(spec, items), v) for v in value.get(key) or ()]
    return out


def _resolve(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return found


def _relax(spec: dict[str, Any], schema: dict[str, Any], value: Any) -> None:
    if not isinstance(value, dict):
        return
    props = schema.get("properties", {})
    for key, item in value.items():
        if key not in props:
            continue
        prop = _resolve(spec, props[key]) if "$ref" in props[key] else props[key]
        if item is None:
            prop["nullable"] = True
            if "enum" in prop and None not in prop["enum"]:
                prop["enum"] = [*prop["enum"], None]
        elif isinstance(item, str) and prop.get("type") in ("number", "integer"):
            props[key] = {"anyOf": [prop, {"type": "string"}], "nullable": True}


def answer_problems(method: str, path: str, answer: Answer, form: Any = None) -> str | None:
    """Why the spec (as Twilio answers it) refuses ``answer``; None when it is valid."""
    route, _, query = path.partition("?")
    request = MockRequest(
        TWILIO,
        method.lower(),
        route,
        args=urllib.parse.parse_qsl(query),  # type: ignore[arg-type]
        data=urllib.parse.urlencode(form or {}).encode() if form else None,
        content_type="application/x-www-form-urlencoded",
    )
    response = MockResponse(
        answer.body, status_code=answer.status, content_type=answer.type.split(";")[0]
    )
    try:
        answer_validator().validate_response(request, response)
    except Exception as exc:
        return f"{method} {route}: {exc} {getattr(exc, '__cause__', '') or ''}"[:3000]
    return None


def schema_keys(path: str, method: str = "get", status: str = "200") -> set[str]:
    """The property names of the payload (or list item) the spec gives for an answer."""
    spec = load_spec()
    content = spec["paths"][path][method]["responses"][status]["content"]["application/json"]
    pairs = _pairs(spec, content["schema"], {})
    schema = pairs[0][0] if pairs else _list_item(spec, content["schema"])
    return set(schema["properties"])


def _list_item(spec: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    for prop in schema.get("properties", {}).values():
        if "$ref" in prop.get("items", {}):
            return _resolve(spec, prop["items"])
    raise AssertionError("not a list answer")
