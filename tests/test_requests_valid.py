"""Every request twiliorm builds is valid for Twilio's spec.

For each of the spec's 197 operations, a representative call through the
public API (a manager, a queryset, ``save()``, ``delete()``) is sent to a
function transport that keeps the request and answers with the spec's own
example for that operation, so no network is involved. Each request is then
validated with openapi-core against tests/data/twilio_api_v2010.json (path
and its parameters, method, query parameters and form body with their types
and required ones, basic auth), and checked for names the spec does not
have (the API silently ignores those, so openapi-core lets them through).

The representative call uses everything the declaration can send: every
filter of a list, every writable parameter of a create or update; the test
also asserts that all of the spec's parameters were sent, so a parameter
twiliorm cannot send at all shows up here too.

One reading of the spec is relaxed, on purpose: date filters typed
``date-time`` whose description documents ``YYYY-MM-DD`` (and whose examples
use it) are validated as dates, which is what twiliorm sends (Twilio's date
filters are by day).
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import functools
import itertools
import json
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any

import attrs
import pytest
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest

import twiliorm
from twiliorm.fields import FieldSpec, Kind
from twiliorm.manager import Manager
from twiliorm.resource import Meta, Resource, related, resources, resources_by_name
from twiliorm.transport import FunctionTransport, Request, Response

from .test_conformance import (
    _PARAMETER,
    METHODS,
    PAGING,
    Operation,
    load_spec,
    metas_of,
    operations,
    response_schemas,
    schema_named,
    snake,
)

ACCOUNT = "AC" + "0" * 32
BASE = "https://api.twilio.com"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_PATTERN = re.compile(r"\^\(?([A-Z]{2})")


# --- the validator ---------------------------------------------------------------------


def _for_validation(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The spec, with date-time filters that document ``YYYY-MM-DD`` validated as dates."""
    out = copy.deepcopy(dict(spec))
    for item in out["paths"].values():
        for raw in item.values():
            for param in raw.get("parameters", ()) if isinstance(raw, dict) else ():
                if _day_filter(param):
                    param["schema"] = {**param["schema"], "format": "date"}
    return out


def _day_filter(param: Mapping[str, Any]) -> bool:
    return (
        param.get("in") == "query"
        and param["schema"].get("format") == "date-time"
        and "YYYY-MM-DD" in param.get("description", "")
    )


@functools.cache
def validator() -> OpenAPI:
    return OpenAPI.from_dict(_for_validation(load_spec()))


@attrs.frozen
class Sent:
    """A request as it left the client, with the operation of the spec it reaches."""

    request: Request
    operation: Operation

    @property
    def query(self) -> list[tuple[str, str]]:
        return urllib.parse.parse_qsl(urllib.parse.urlsplit(self.request.url).query, True)

    @property
    def path(self) -> str:
        return urllib.parse.urlsplit(self.request.url).path

    def problems(self, headers: Mapping[str, str] | None = None) -> list[str]:
        """Why the spec would refuse this request (empty when it is valid); ``headers``
        stand in for a request made by hand, which carries none."""
        headers = headers if headers is not None else self.request.headers or {}
        op = self.operation
        body = urllib.parse.urlencode(list(self.request.fields)).encode()
        mock = MockRequest(
            BASE,
            self.request.method,
            self.path,
            args=self.query,  # type: ignore[arg-type]  # a list of pairs keeps repeated keys
            headers=dict(headers),
            data=body if self.request.fields else None,
            content_type="application/x-www-form-urlencoded",
        )
        try:
            validator().validate_request(mock)
        except Exception as exc:
            return [f"{op.operation_id}: {exc} {getattr(exc, '__cause__', '') or ''}"]
        known_query = {p["name"] for p in op.raw.get("parameters", ()) if p["in"] == "query"}
        known_form = set(op.form().get("properties", {}))
        return [
            f"{op.operation_id}: unknown query {k!r}" for k, _ in self.query if k not in known_query
        ] + [
            f"{op.operation_id}: unknown form {k!r}"
            for k, _ in self.request.fields
            if k not in known_form
        ]


@functools.cache
def _routes() -> list[tuple[re.Pattern[str], Operation]]:
    """Spec paths as regexes, literal segments first (``Local.json`` before ``{sid}.json``)."""
    out = []
    for op in operations(load_spec()).values():
        pattern = re.escape(op.path).replace(r"\{", "{").replace(r"\}", "}")
        regex = re.compile(_PLACEHOLDER.sub("[^/]+", pattern) + r"\Z")
        out.append((regex, op))
    return sorted(out, key=lambda r: -len(_PLACEHOLDER.sub("", r[1].path)))


def operation_of(request: Request) -> Operation:
    path = urllib.parse.urlsplit(request.url).path
    for regex, op in _routes():
        if op.method == request.method and regex.match(path):
            return op
    raise AssertionError(f"{request.method} {path} is no operation of the spec")


class SpecServer:
    """Answers each request with the spec's example answer, and keeps what was sent."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []

    def __call__(self, request: Request) -> Response:
        op = operation_of(request)
        self.sent.append(Sent(request, op))
        for status, _, _, key, examples in response_schemas(load_spec(), op):
            payload = dict(next(iter(examples.values()))["value"])
            if key is not None:
                payload["next_page_uri"] = None  # one page is enough here
            headers = {"Content-Type": "application/json"}
            return Response(int(status), headers, json.dumps(payload).encode())
        return Response(204, {}, b"")


# --- representative calls ------------------------------------------------------------------


def target(op: Operation) -> tuple[Meta, str, dict[str, str]]:
    """The resource answering ``op``, its verb, and the path choices (``type``) reaching it."""
    for meta in metas_of(resources()):
        for verb in meta.operations:
            if METHODS[verb] != op.method:
                continue
            for template in _templates(meta, verb):
                for chosen in _assignments(template, meta.choices):
                    if template.format_map(_Keep(chosen)) == op.path:
                        return meta, verb, chosen
    raise AssertionError(f"no resource declares {op.operation_id}")


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _templates(meta: Meta, verb: str) -> tuple[str, ...]:
    if verb == "list":
        return meta.list_paths
    if verb == "create":
        return meta.create_paths
    return (meta.instance_path,) if meta.instance_path else ()


def _assignments(template: str, choices: Mapping[str, tuple[str, ...]]) -> list[dict[str, str]]:
    names = [n for n in choices if "{" + n + "}" in template]
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(choices[n] for n in names))
    ]


def path_values(op: Operation, meta: Meta) -> dict[str, str]:
    """A value of the right shape for each placeholder of ``op`` but the account."""
    out = {}
    for param in op.raw.get("parameters", ()):
        name = snake(param["name"])
        if param["in"] != "path" or name == "account_sid" or name in meta.choices:
            continue
        found = _PATTERN.match(param["schema"].get("pattern", ""))
        if found:
            out[name] = found.group(1) + "a" * 32
        elif name == "country_code":
            out[name] = "US"
        else:  # a SID or a name (Streams/{Sid}, Participants/{CallSid}): a SID here
            spec = meta.fields.get(meta.path_attrs.get(name, name)) or meta.fields["sid"]
            out[name] = _sid(spec.kind)
    return out


def _sid(kind: Kind) -> str:
    return str(getattr(kind, "prefixes", ("XX",))[0]) + "a" * 32


def _enum_values(prop: Mapping[str, Any]) -> list[str]:
    if "$ref" in prop:
        prop = schema_named(load_spec(), prop["$ref"])[1]
    items = prop.get("items", {})
    if "$ref" in items:
        items = schema_named(load_spec(), items["$ref"])[1]
    return list(prop.get("enum") or items.get("enum") or ())


def sample(kind: Kind, prop: Mapping[str, Any], *, day: bool = False) -> Any:
    """A value a user could give for a field of ``kind`` sent as a parameter ``prop``."""
    values = _enum_values(prop)
    if values:
        return {"boolean": True, "list": values[:1]}.get(kind.name, values[0])
    name = kind.name
    if name in ("rfc2822", "date") or (name == "datetime" and day):
        return dt.date(2026, 1, 1)
    simple: dict[str, Any] = {
        "sid": _sid(kind),
        "phone": "+15005550006",
        "datetime": dt.datetime(2026, 1, 1, 12, tzinfo=dt.timezone.utc),
        "boolean": True,
        "decimal": decimal.Decimal("1.50"),
        "uri": getattr(kind, "example", "https://example.com/twiml"),  # wss for a stream
        "list": ["one", "two"],
        "parameters": {"customer": "42"},
        "json": {"amount": "1.00"},
    }
    if name in ("integer", "integer_text"):
        return _bounded(prop)
    if prop.get("type") == "integer":  # a code kept as text (a notification's Log)
        return str(_bounded(prop))
    return simple.get(name, "twiliorm")


def _bounded(schema: Mapping[str, Any]) -> int:
    value = 5
    value = min(value, schema.get("maximum", value))
    return int(max(value, schema.get("minimum", value)))


def filters(meta: Meta, op: Operation) -> dict[str, Any]:
    """Every filter and search parameter of the list, each with a sample value."""
    params = op.query_params()
    out: dict[str, Any] = {}
    for spec in meta.fields.values():
        if spec.filter is None:
            continue
        for lookup, param in spec.filter.params().items():
            name = spec.name if lookup == "exact" else f"{spec.name}__{lookup}"
            out[name] = sample(spec.kind, params.get(param, {}).get("schema", {}), day=True)
    for name, query in meta.query_params.items():
        out[name] = sample(query.kind, params.get(query.param or "", {}).get("schema", {}))
    return out


def writes(meta: Meta, op: Operation) -> dict[str, Any]:
    """Every attribute writable on ``op``, each with a sample value for its parameter."""
    form = op.form().get("properties", {})
    return {
        spec.name: sample(spec.kind, form.get(spec.param or "", {}))
        for spec in meta.writable(op.verb)
        if _sent_on(spec, op)
    }


def _sent_on(spec: FieldSpec, op: Operation) -> bool:
    # A resource with path variants declares a parameter some variants lack (AreaCode).
    form = op.form().get("properties", {})
    return spec.param in form or f"{spec.param}1.Name" in form


def call(client: twiliorm.Client, op: Operation) -> None:
    """Send ``op`` as a user would, through the public API."""
    meta, verb, chosen = target(op)
    model = meta.model
    path = {**path_values(op, meta), **chosen}
    objects = model.objects.using(client)
    if verb == "list":
        list(objects.filter(**path, **filters(meta, op))[:3])
    elif verb == "create":
        objects.create(**path, **writes(meta, op))
    elif verb == "fetch":
        _fetch(model, client, path)
    else:
        instance = _existing(model, client, path, op)
        if verb == "update":
            instance.update(**writes(meta, op))
        else:
            instance.delete()


def _fetch(model: type[Resource], client: twiliorm.Client, path: dict[str, str]) -> Resource:
    meta = model._meta
    if meta.pk is not None:
        pk = path.pop(meta.pk)
        return model.objects.using(client).filter(**path).get(pk=pk)
    if meta.parent_param == "account_sid":  # Balance.objects.get()
        return model.objects.using(client).get()
    # Another singleton is reached from its parent, as a user would: payload.data.get()
    parent_name, attribute = related.parents[meta.name]
    parent = resources_by_name()[parent_name]
    names = set(parent._meta.path_names)
    parent_path = {k: v for k, v in path.items() if k in names}
    parent_path[parent._meta.pk or "sid"] = path[meta.parent_param or ""]
    manager: Manager[Any] = getattr(_fetch(parent, client, parent_path), attribute)
    return manager.get()


def _existing(
    model: type[Resource], client: twiliorm.Client, path: dict[str, str], op: Operation
) -> Resource:
    """The instance an update or delete acts on: fetched, or (without fetch) created."""
    meta = model._meta
    if "fetch" in meta.operations:
        return _fetch(model, client, dict(path))
    create = operations(load_spec())[(_create_path(meta, path), "POST")]
    parent = {k: v for k, v in path.items() if k != meta.pk}
    return model.objects.using(client).create(**parent, **writes(meta, create))


def _create_path(meta: Meta, path: Mapping[str, str]) -> str:
    template = meta.list_template({"account_sid": ACCOUNT, **path}, for_create=True)
    return str(template)


def _first_or_plain(name: str) -> bool:
    """Form names the sample sends: not Parameter2.Name... (one custom parameter is sent)."""
    found = _PARAMETER.fullmatch(name)
    return found is None or found.group(2) == "1"


# --- tests -----------------------------------------------------------------------------------


OPERATIONS = sorted(operations(load_spec()).values(), key=lambda o: o.operation_id)


@pytest.fixture
def server() -> SpecServer:
    return SpecServer()


@pytest.fixture
def spec_client(server: SpecServer) -> twiliorm.Client:
    return twiliorm.Client(ACCOUNT, "not-a-secret", transport=FunctionTransport(server))


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda o: o.operation_id)
def test_request_is_valid_for_the_spec(
    op: Operation, server: SpecServer, spec_client: twiliorm.Client
) -> None:
    call(spec_client, op)
    reached = [s for s in server.sent if s.operation == op]
    assert reached, (
        f"{op.operation_id} was not sent: {[s.operation.operation_id for s in server.sent]}"
    )
    for sent in server.sent:
        assert sent.request.headers and "Authorization" in sent.request.headers
        assert not sent.problems()
    last = reached[-1]
    if op.verb == "list":
        sent_names = {k for k, _ in last.query} - PAGING
        assert sent_names == set(op.query_params())
    if op.verb in ("create", "update"):
        sent_form = {k for k, _ in last.request.fields}
        assert sent_form == {k for k in op.form().get("properties", {}) if _first_or_plain(k)}


def test_every_operation_is_tried() -> None:
    assert len(OPERATIONS) == 197
    assert {target(op)[1] for op in OPERATIONS} == {"list", "fetch", "create", "update", "delete"}


def test_the_validator_refuses_what_the_spec_refuses(server: SpecServer) -> None:
    client = twiliorm.Client(ACCOUNT, "x", transport=FunctionTransport(server))
    client.get_json(f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
    headers = server.sent[-1].request.headers or {}  # what the client's own requests carry
    messages = f"{BASE}/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    bad = [
        Request("GET", messages + "?PageSize=abc"),
        Request("GET", messages + "?Bogus=1"),
        Request("GET", messages + "?DateSent%3E=yesterday"),
        Request("POST", messages, (("From", "+15005550006"), ("Body", "no To"))),
        Request("POST", messages, (("To", "+15005550006"), ("Attempt", "many"))),
        Request("GET", f"{BASE}/2010-04-01/Accounts/{ACCOUNT}/Calls/PN{'a' * 32}.json"),
    ]
    for request in bad:
        assert Sent(request, operation_of(request)).problems(headers), request
    good = Request("GET", messages + "?DateSent%3E=2026-01-01&PageSize=20")
    assert Sent(good, operation_of(good)).problems(headers) == []
