"""The declarations of twiliorm.models, held to Twilio's official contract.

The contract is Twilio's OpenAPI file, kept in tests/data/ (see its NOTICE).
:func:`check` compares it with the declarations' ``_meta`` and returns every
difference as a :class:`Problem`; it reads nothing else, so a test can hand
it an altered copy of a declaration and see the drift reported. What is
compared:

- operations: every path and method of the spec is an operation of exactly
  one declared resource (list and create on list paths, fetch, update and
  delete on instance paths, path variants expanded from ``choices``), with
  the verb the spec's operationId names, and nothing is declared that the
  spec lacks;
- fields: every property of every response schema is a field of the resource
  answering it, of the kind its format implies, declared in the order of
  Twilio's payload (so ``to_api()`` and the sandbox keep Twilio's key order),
  and no field is declared that no response has;
- filters: every query parameter of a list (``DateSent<`` included) is a
  filter lookup or a search parameter, and nothing else is sent;
- form parameters: every create and update parameter is writable under its
  API name on that operation (``Parameter1.Name``... through a parameters
  kind), of a kind its type allows, and required exactly where the spec
  requires it.

Run ``python -m tests.test_conformance`` to print the report.
"""

from __future__ import annotations

import functools
import json
import pathlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import attrs
import pytest

from twiliorm import fields
from twiliorm.fields import EnumKind, FieldSpec
from twiliorm.resource import Meta, Resource, resources

SPEC_FILE = pathlib.Path(__file__).resolve().parent / "data" / "twilio_api_v2010.json"
TOTAL_OPERATIONS = 197
TOTAL_EXAMPLES = 287
PAGING = frozenset({"PageSize", "Page", "PageToken"})
VERBS = {v.title(): v for v in ("list", "fetch", "create", "update", "delete")}
METHODS = {"list": "GET", "fetch": "GET", "create": "POST", "update": "POST", "delete": "DELETE"}

#: Strings whose examples are all digits but which name or code something rather than count
#: it (a postal code, a short code, an error code, a log level): they stay text.
CODES = frozenset(
    {"postal_code", "lata", "friendly_name", "short_code", "validation_code", "error_code", "log"}
)
_SID_PATTERN = re.compile(r"\^\(?([A-Z]{2}(?:\|[A-Z]{2})*)\)?\[0-9a-fA-F\]\{32\}\$")
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_INTEGER = re.compile(r"-?\d+")
_PARAMETER = re.compile(r"([A-Za-z]+)(\d+)\.(Name|Value)")


# --- the spec -------------------------------------------------------------------


@functools.cache
def load_spec() -> dict[str, Any]:
    """Twilio's OpenAPI document, from the project's own copy."""
    data: dict[str, Any] = json.loads(SPEC_FILE.read_text(encoding="utf-8"))
    return data


def snake(name: str) -> str:
    """``AccountSid`` -> ``account_sid`` (the spec's placeholders, as twiliorm names them)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def snake_path(path: str) -> str:
    return re.sub(r"\{([A-Za-z]+)\}", lambda m: "{" + snake(m.group(1)) + "}", path)


@attrs.frozen
class Operation:
    """One path and method of the spec."""

    path: str  # with snake_case placeholders, as twiliorm declares paths
    method: str
    verb: str
    operation_id: str
    raw: Mapping[str, Any] = attrs.field(eq=False, repr=False)

    def query_params(self) -> dict[str, Mapping[str, Any]]:
        return {
            p["name"]: p
            for p in self.raw.get("parameters", ())
            if p["in"] == "query" and p["name"] not in PAGING
        }

    def form(self) -> Mapping[str, Any]:
        """The form schema of a POST (``properties`` and ``required``), or an empty one."""
        body = self.raw.get("requestBody", {}).get("content", {})
        schema: Mapping[str, Any] = body.get("application/x-www-form-urlencoded", {}).get(
            "schema", {}
        )
        return schema


def operations(spec: Mapping[str, Any]) -> dict[tuple[str, str], Operation]:
    """Every operation of the spec, by (snake path, method)."""
    out = {}
    for path, item in spec["paths"].items():
        for method, raw in item.items():
            if method not in ("get", "post", "delete"):
                continue
            oid = raw["operationId"]
            verb = next(v for prefix, v in VERBS.items() if oid.startswith(prefix))
            key = (snake_path(path), method.upper())
            out[key] = Operation(key[0], key[1], verb, oid, raw)
    return out


def schema_named(spec: Mapping[str, Any], ref: str) -> tuple[str, Mapping[str, Any]]:
    name = ref.rsplit("/", 1)[-1]
    return name, spec["components"]["schemas"][name]


@attrs.frozen
class Example:
    """One response example: its payload, and the list key when it is a page."""

    operation: Operation
    status: str
    name: str
    payload: Mapping[str, Any] = attrs.field(repr=False)
    list_key: str | None

    @property
    def id(self) -> str:
        return f"{self.operation.operation_id}/{self.status}/{self.name}"

    def items(self) -> list[Mapping[str, Any]]:
        """The instance payloads of the example (each item of a page)."""
        if self.list_key is None:
            return [self.payload]
        return list(self.payload.get(self.list_key) or [])


def response_schemas(
    spec: Mapping[str, Any], op: Operation
) -> Iterator[tuple[str, str, Mapping[str, Any], str | None, Mapping[str, Any]]]:
    """(status, schema name, schema, list key or None, examples) of each JSON answer."""
    for status, answer in op.raw.get("responses", {}).items():
        content = answer.get("content", {}).get("application/json")
        if not content or not status.startswith(("2", "3")):
            continue
        schema, examples = content["schema"], content.get("examples", {})
        if "$ref" in schema:
            yield (status, *schema_named(spec, schema["$ref"]), None, examples)
            continue
        for key, prop in schema.get("properties", {}).items():
            if prop.get("type") == "array" and "$ref" in prop.get("items", {}):
                yield (status, *schema_named(spec, prop["items"]["$ref"]), key, examples)


def examples(spec: Mapping[str, Any]) -> list[Example]:
    """Every response example of the spec (287 in the 2010-04-01 file)."""
    out = []
    for op in operations(spec).values():
        for status, _, _, key, found in response_schemas(spec, op):
            for name, example in found.items():
                out.append(Example(op, status, name, example["value"], key))
    return out


# --- the declarations -------------------------------------------------------------


def declared_operations(metas: Iterable[Meta]) -> dict[tuple[str, str], list[tuple[Meta, str]]]:
    """(path, method) -> the resources declaring it, with the verb they give it."""
    out: dict[tuple[str, str], list[tuple[Meta, str]]] = defaultdict(list)
    for meta in metas:
        for verb in sorted(meta.operations):
            for path in _paths(meta, verb):
                out[(path, METHODS[verb])].append((meta, verb))
    return out


def _paths(meta: Meta, verb: str) -> list[str]:
    if verb == "list":
        templates = meta.list_paths
    elif verb == "create":
        templates = meta.create_paths
    else:
        templates = (meta.instance_path,) if meta.instance_path else ()
    return [p for t in templates for p in _expand(t.template, meta.choices)]


def _expand(template: str, choices: Mapping[str, tuple[str, ...]]) -> list[str]:
    for name, values in choices.items():
        if "{" + name + "}" in template:
            return [p for v in values for p in _expand(template.replace("{" + name + "}", v), {})]
    return [template]


def metas_of(models: Iterable[type[Resource]]) -> list[Meta]:
    return [model._meta for model in models]


# --- problems ----------------------------------------------------------------------------


@attrs.frozen
class Problem:
    """One difference between the spec and the declarations."""

    area: str  # operation, field, filter, param
    where: str
    text: str

    def __str__(self) -> str:
        return f"[{self.area}] {self.where}: {self.text}"


def check(spec: Mapping[str, Any], metas: Iterable[Meta]) -> list[Problem]:
    """Every difference between ``spec`` and the declarations ``metas``."""
    metas = list(metas)
    ops = operations(spec)
    declared = declared_operations(metas)
    problems = _check_operations(ops, declared)
    owners = _owners(ops, declared)
    for meta in metas:
        mine = [op for op in ops.values() if owners.get(op) is meta]
        problems += _check_fields(spec, meta, mine)
        problems += [p for op in mine if op.verb == "list" for p in _check_filters(meta, op)]
        for verb in ("create", "update"):
            writes = [op for op in mine if op.verb == verb]
            if writes:
                problems += _check_form(spec, meta, verb, writes)
    return problems


def _owners(
    ops: Mapping[tuple[str, str], Operation],
    declared: Mapping[tuple[str, str], list[tuple[Meta, str]]],
) -> dict[Operation, Meta]:
    out = {}
    for key, op in ops.items():
        found = declared.get(key, [])
        if len(found) == 1 and found[0][1] == op.verb:
            out[op] = found[0][0]
    return out


def covered(spec: Mapping[str, Any], metas: Iterable[Meta]) -> int:
    """How many of the spec's operations exactly one declaration answers, with the right verb."""
    ops = operations(spec)
    return len(_owners(ops, declared_operations(metas)))


def _check_operations(
    ops: Mapping[tuple[str, str], Operation],
    declared: Mapping[tuple[str, str], list[tuple[Meta, str]]],
) -> list[Problem]:
    problems = []
    for key, op in ops.items():
        found = declared.get(key, [])
        where = f"{op.method} {op.path}"
        if not found:
            problems.append(Problem("operation", where, f"{op.operation_id} is not declared"))
        elif len(found) > 1:
            names = ", ".join(f"{m.name}.{v}" for m, v in found)
            problems.append(Problem("operation", where, f"declared more than once: {names}"))
        elif found[0][1] != op.verb:
            meta, verb = found[0]
            problems.append(
                Problem("operation", where, f"{meta.name} declares {verb}, spec: {op.verb}")
            )
    for key, found in declared.items():
        if key not in ops:
            for meta, verb in found:
                text = f"{meta.name}.{verb} is not an operation of the spec"
                problems.append(Problem("operation", f"{key[1]} {key[0]}", text))
    return problems


# --- fields ------------------------------------------------------------------------------


@attrs.frozen
class Expected:
    """What a field must be for one spec property."""

    kinds: frozenset[str]
    values: tuple[str, ...] | None = None  # an enum's values
    prefixes: frozenset[str] | None = None  # a SID's two-letter types

    def describe(self) -> str:
        text = " or ".join(sorted(self.kinds))
        if self.values is not None:
            text += f" {list(self.values)}"
        if self.prefixes is not None:
            text += f" {sorted(self.prefixes)}"
        return text


def expected_kind(
    spec: Mapping[str, Any], name: str, prop: Mapping[str, Any], samples: list[Any]
) -> Expected:
    """The kind a response property's schema (and, for numeric text, its examples) implies."""
    if "$ref" in prop:
        _, target = schema_named(spec, prop["$ref"])
        return expected_kind(spec, name, target, samples)
    if "enum" in prop:
        return Expected(frozenset({"enum"}), values=tuple(prop["enum"]))
    kind = _by_format(prop)
    if kind is not None:
        return Expected(frozenset({kind}))
    found = _SID_PATTERN.fullmatch(prop.get("pattern", ""))
    if found:
        return Expected(frozenset({"sid"}), prefixes=frozenset(found.group(1).split("|")))
    return Expected(frozenset({_by_type(name, prop, samples)}))


_FORMATS = {
    "date-time-rfc-2822": "rfc2822",
    "date": "date",
    "date-time": "datetime",
    "phone-number": "phone",
    "uri-map": "uri_map",
    "uri": "uri",
    "phone-number-capabilities": "json",
}
_TYPES = {"number": "decimal", "integer": "integer", "boolean": "boolean", "object": "json"}


def _by_format(prop: Mapping[str, Any]) -> str | None:
    if prop.get("type") == "array":
        items = prop.get("items", {})
        return "list" if "$ref" in items or items.get("type") == "string" else "json"
    return _FORMATS.get(prop.get("format", ""))


def _by_type(name: str, prop: Mapping[str, Any], samples: list[Any]) -> str:
    kind = prop.get("type")
    if kind is None:
        return "json"  # any JSON value
    if kind != "string":
        return _TYPES[kind]
    texts = [s for s in samples if s is not None]
    numeric = bool(texts) and all(isinstance(s, str) and _NUMBER.fullmatch(s) for s in texts)
    if not numeric or name in CODES:
        return "string"
    return "integer_text" if all(_INTEGER.fullmatch(s) for s in texts) else "decimal"


def _accepted(expected: Expected, field: FieldSpec, phone_params: set[str]) -> Expected:
    """Kinds a field may also have: a count may be declared decimal; a text the API is sent
    as a phone number or endpoint (``To``) may be declared phone."""
    kinds = set(expected.kinds)
    if "integer_text" in kinds:
        kinds.add("decimal")
    if kinds == {"string"} and field.param in phone_params:
        kinds.add("phone")
    return attrs.evolve(expected, kinds=frozenset(kinds))


def _phone_params(ops: list[Operation]) -> set[str]:
    out = set()
    for op in ops:
        params = [*op.query_params().items(), *op.form().get("properties", {}).items()]
        for name, prop in params:
            if prop.get("schema", prop).get("format") in ("phone-number", "endpoint"):
                out.add(name.rstrip("<>"))
    return out


def kind_problem(spec: FieldSpec, expected: Expected) -> str | None:
    """Why ``spec`` does not have the expected kind, or None."""
    kind = spec.kind
    if kind.name not in expected.kinds:
        return f"kind {kind.name}, spec implies {expected.describe()}"
    if expected.values is not None:
        assert isinstance(kind, EnumKind)
        if tuple(kind.values) != expected.values:
            return f"enum values {list(kind.values)}, spec: {list(expected.values)}"
        if not issubclass(kind.enum_class, fields.ApiEnum):
            return f"enum {kind.enum_class.__name__} does not derive from fields.ApiEnum"
    if expected.prefixes is not None:
        prefixes = frozenset(getattr(kind, "prefixes", ()))
        if prefixes != expected.prefixes:
            return f"SID prefixes {sorted(prefixes)}, spec: {sorted(expected.prefixes)}"
    return None


def _check_fields(spec: Mapping[str, Any], meta: Meta, ops: list[Operation]) -> list[Problem]:
    schemas: dict[str, Mapping[str, Any]] = {}
    samples: dict[str, list[Any]] = defaultdict(list)
    for op in ops:
        for _, name, schema, key, found in response_schemas(spec, op):
            schemas[name] = schema
            for example in found.values():
                ex = Example(op, "", "", example["value"], key)
                for item in ex.items():
                    for prop, value in item.items():
                        samples[prop].append(value)
    by_key = {s.key: s for s in meta.payload_fields}
    phones = _phone_params(ops)
    problems = []
    for schema_name, schema in schemas.items():
        for key, prop in schema.get("properties", {}).items():
            where = f"{meta.name}.{key}"
            spec_field = by_key.get(key)
            if spec_field is None:
                problems.append(Problem("field", where, f"missing (in {schema_name})"))
                continue
            expected = expected_kind(spec, key, prop, samples[key])
            why = kind_problem(spec_field, _accepted(expected, spec_field, phones))
            if why:
                problems.append(Problem("field", where, why))
    known = {k for schema in schemas.values() for k in schema.get("properties", {})}
    for key in sorted(set(by_key) - known):
        problems.append(Problem("field", f"{meta.name}.{key}", "no response of the spec has it"))
    return problems + _check_order(meta, schemas)


def _check_order(meta: Meta, schemas: Mapping[str, Mapping[str, Any]]) -> list[Problem]:
    """Fields are declared in the order of Twilio's payload, so to_api() keeps its key order."""
    order: dict[str, None] = {}
    for schema in schemas.values():
        order.update(dict.fromkeys(schema.get("properties", {})))
    declared = [s.key for s in meta.payload_fields if s.key in order]
    expected = [key for key in order if key in declared]
    if declared == expected:
        return []
    first = next(i for i, (a, b) in enumerate(zip(declared, expected, strict=True)) if a != b)
    text = f"declared {declared[first]!r} where Twilio's payload has {expected[first]!r}"
    return [Problem("field", f"{meta.name} field order", text)]


# --- filters and form parameters --------------------------------------------------------


def filter_params(meta: Meta) -> dict[str, str]:
    """Query param -> the attribute (and lookup) it filters, as the declaration sends it."""
    out = {}
    for spec in meta.fields.values():
        if spec.filter is not None:
            for lookup, param in spec.filter.params().items():
                out[param] = f"{spec.name}__{lookup}"
    for name, query in meta.query_params.items():
        out[query.param or ""] = name
    return out


def _check_filters(meta: Meta, op: Operation) -> list[Problem]:
    declared = filter_params(meta)
    wanted = op.query_params()
    where = f"{meta.name} {op.operation_id}"
    problems = [
        Problem("filter", where, f"query parameter {name!r} is not a lookup")
        for name in wanted
        if name not in declared
    ]
    problems += [
        Problem("filter", where, f"{attr} sends {name!r}, which the spec does not list")
        for name, attr in declared.items()
        if name not in wanted
    ]
    return problems


def writable_params(meta: Meta, operation: str) -> dict[str, FieldSpec]:
    return {spec.param or "": spec for spec in meta.writable(operation)}


def _check_form(
    spec: Mapping[str, Any], meta: Meta, verb: str, ops: list[Operation]
) -> list[Problem]:
    """The form parameters of ``verb`` on every path of ``meta`` that has it.

    A resource with path variants (``IncomingPhoneNumbers/Local.json``) has one
    declaration for all of them: what any variant takes is writable, and what
    every variant requires is required.
    """
    params: dict[str, Mapping[str, Any]] = {}
    required: set[str] | None = None
    for op in ops:
        form = op.form()
        params.update(form.get("properties", {}))
        needs = set(form.get("required", ()))
        required = needs if required is None else required & needs
    mine = writable_params(meta, verb)
    where = f"{meta.name} {ops[0].operation_id}"
    problems = _check_numbered(where, params, mine)
    for name, prop in params.items():
        needed = name in (required or ())
        problems += _check_param(spec, where, verb, name, prop, mine.get(name), needed)
    for name in sorted(set(mine) - set(params) - {s.param for s in _numbered(mine)}):
        problems.append(Problem("param", where, f"{name} is writable but not in the spec's form"))
    return problems


def _check_param(
    spec: Mapping[str, Any],
    where: str,
    verb: str,
    name: str,
    prop: Mapping[str, Any],
    field: FieldSpec | None,
    required: bool,
) -> list[Problem]:
    if field is None:
        return [Problem("param", where, f"form parameter {name!r} is not writable")]
    problems = []
    why = param_kind_problem(spec, field, prop)
    if why:
        problems.append(Problem("param", where, f"{name}: {why}"))
    if required != (verb in field.required):
        need = "required" if required else "optional"
        problems.append(Problem("param", where, f"{name} is {need} in the spec"))
    return problems


def _numbered(mine: Mapping[str, FieldSpec]) -> list[FieldSpec]:
    return [s for s in mine.values() if s.kind is fields.PARAMETERS]


def _check_numbered(
    where: str, params: dict[str, Any], mine: Mapping[str, FieldSpec]
) -> list[Problem]:
    """``Parameter1.Name``/``Parameter1.Value``... are one dict attribute of kind parameters."""
    found: dict[str, int] = {}
    for name in list(params):
        match = _PARAMETER.fullmatch(name)
        if match:
            del params[name]
            found[match.group(1)] = max(found.get(match.group(1), 0), int(match.group(2)))
    problems = []
    for base, count in found.items():
        field = mine.get(base)
        if field is None or field.kind is not fields.PARAMETERS:
            text = f"{base}1.Name ... {base}{count}.Value need a parameters attribute {base!r}"
            problems.append(Problem("param", where, text))
        elif count > getattr(field.kind, "limit", 0):
            text = f"{base} goes up to {count}, its kind takes {getattr(field.kind, 'limit', 0)}"
            problems.append(Problem("param", where, text))
    return problems


_PARAM_KINDS: dict[str, frozenset[str]] = {
    "boolean": frozenset({"boolean"}),
    "integer": frozenset({"integer", "integer_text"}),
    "number": frozenset({"decimal"}),
    "array": frozenset({"list"}),
    "date-time": frozenset({"datetime"}),
    "uri": frozenset({"uri"}),
    "phone-number": frozenset({"phone"}),
    "endpoint": frozenset({"phone"}),
}
_TEXT_KINDS = frozenset({"string", "uri", "phone", "decimal", "integer_text"})


def param_kind_problem(
    spec: Mapping[str, Any], field: FieldSpec, prop: Mapping[str, Any]
) -> str | None:
    """Why a writable attribute cannot carry a form parameter of schema ``prop``, or None."""
    if "$ref" in prop:
        prop = schema_named(spec, prop["$ref"])[1]
    kind = field.kind
    if "enum" in prop:
        return _enum_param_problem(kind, prop["enum"])
    if not set(prop) - {"description"}:
        return None if kind.name == "json" else f"kind {kind.name}, spec: any JSON"
    found = _SID_PATTERN.fullmatch(prop.get("pattern", ""))
    if found:
        prefixes = frozenset(getattr(kind, "prefixes", ()))
        if kind.name != "sid" or prefixes != frozenset(found.group(1).split("|")):
            return f"kind {kind.name} {sorted(prefixes)}, spec: SID {found.group(1)}"
        return None
    allowed = _PARAM_KINDS.get(prop.get("format", "")) or _PARAM_KINDS.get(prop.get("type", ""))
    if kind.name not in (allowed or _TEXT_KINDS):
        return f"kind {kind.name}, spec: {prop.get('format') or prop.get('type')}"
    return None


def _enum_param_problem(kind: fields.Kind, values: list[str]) -> str | None:
    if set(values) == {"true", "false"}:
        return None if kind.name == "boolean" else f"kind {kind.name}, spec: 'true' or 'false'"
    if not isinstance(kind, EnumKind):
        return f"kind {kind.name}, spec: one of {values}"
    missing = set(values) - set(kind.values)
    return f"enum lacks {sorted(missing)}" if missing else None


# --- the report ----------------------------------------------------------------------------


def round_trip_problem(model: type[Resource], example: Example) -> str | None:
    """Why ``example`` does not read into ``model`` and back unchanged, or None."""
    if example.list_key is not None and example.list_key != model._meta.key:
        return f"page key {example.list_key!r}, {model.__name__} reads {model._meta.key!r}"
    for item in example.items():
        back = model.from_api(item).to_api()
        if canonical(back) != canonical(item):
            diff = sorted(
                k for k in set(item) | set(back) if canonical(item.get(k)) != canonical(back.get(k))
            )
            return f"to_api() differs in {diff}"
    return None


def canonical(value: Any) -> str:
    """JSON text with sorted keys: it tells 1 from 1.0 and from true, which == does not."""
    return json.dumps(value, sort_keys=True)


def model_for(example: Example, metas: Iterable[Meta]) -> type[Resource] | None:
    found = declared_operations(metas).get((example.operation.path, example.operation.method))
    return found[0][0].model if found and len(found) == 1 else None


def round_trips(spec: Mapping[str, Any], metas: Iterable[Meta]) -> tuple[int, list[str]]:
    """How many examples round-trip, and why the others do not."""
    metas = list(metas)
    good, bad = 0, []
    for example in examples(spec):
        model = model_for(example, metas)
        why = "no resource declares it" if model is None else round_trip_problem(model, example)
        if why is None:
            good += 1
        else:
            bad.append(f"{example.id}: {why}")
    return good, bad


def report(spec: Mapping[str, Any], metas: list[Meta]) -> tuple[list[str], list[Problem]]:
    """The coverage lines and the problems found (an example that does not round-trip too)."""
    problems = check(spec, metas)
    good, bad = round_trips(spec, metas)
    problems += [Problem("example", *why.split(": ", 1)) for why in bad]
    fields_off = sum(1 for p in problems if p.area == "field")
    lines = [
        f"operations covered: {covered(spec, metas)}/{len(operations(spec))}",
        f"field mismatches: {fields_off}",
        f"filter and form parameter mismatches: {len(problems) - fields_off - len(bad)}",
        f"examples round-tripping: {good}/{len(examples(spec))}",
    ]
    return lines, problems


# --- tests ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec()


def test_the_spec_copy_is_the_one_described(spec: dict[str, Any]) -> None:
    assert len(spec["paths"]) == 121
    assert len(operations(spec)) == TOTAL_OPERATIONS
    assert len(examples(spec)) == TOTAL_EXAMPLES
    assert spec["info"]["license"]["name"] == "Apache 2.0"
    assert (SPEC_FILE.parent / "NOTICE").read_text().count("Apache License, Version 2.0") == 1


def test_declarations_conform_to_the_spec(
    spec: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    metas = metas_of(resources())
    lines, problems = report(spec, metas)
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert lines[0] == f"operations covered: {TOTAL_OPERATIONS}/{TOTAL_OPERATIONS}"
    assert lines[3] == f"examples round-tripping: {TOTAL_EXAMPLES}/{TOTAL_EXAMPLES}"
    assert not problems, "\n".join([*lines, *map(str, problems)])


def _drifted(model: type[Resource], **changes: Any) -> list[Meta]:
    """Every declaration, with a changed copy of ``model``'s (the real class is untouched)."""
    meta = attrs.evolve(model._meta, **changes)
    return [meta if m.model is model else m for m in metas_of(resources())]


def _with_field(model: type[Resource], name: str, **changes: Any) -> dict[str, FieldSpec]:
    return {**model._meta.fields, name: attrs.evolve(model._meta.fields[name], **changes)}


def _new_problems(spec: dict[str, Any], metas: list[Meta]) -> set[str]:
    return {str(p) for p in check(spec, metas)} - {
        str(p) for p in check(spec, metas_of(resources()))
    }


def test_a_removed_field_is_reported(
    spec: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    from twiliorm import Message

    kept = {k: v for k, v in Message._meta.fields.items() if k != "num_segments"}
    lines, problems = report(spec, _drifted(Message, fields=kept))
    with capsys.disabled():
        print("\nwith num_segments removed from a copy of Message's declaration:")
        print("\n".join([*lines, *map(str, problems)]))
    assert [str(p) for p in problems] == [
        "[field] Message.num_segments: missing (in api.v2010.account.message)"
    ]
    assert lines[1] == "field mismatches: 1"
    assert "num_segments" in Message._meta.fields  # the real declaration is untouched


def test_a_wrong_kind_enum_or_sid_prefix_is_reported(spec: dict[str, Any]) -> None:
    from twiliorm import Call, Message

    as_text = _with_field(Message, "price", kind=fields.STRING)
    assert _new_problems(spec, _drifted(Message, fields=as_text)) == {
        "[field] Message.price: kind string, spec implies decimal"
    }

    class Shorter(fields.ApiEnum):
        QUEUED = "queued"

    changed = {
        **_with_field(Call, "status", kind=fields.enum_kind(Shorter)),
        "sid": attrs.evolve(Call._meta.fields["sid"], kind=fields.sid_kind("CX")),
    }
    found = _new_problems(spec, _drifted(Call, fields=changed))
    assert "[field] Call.sid: SID prefixes ['CX'], spec: ['CA']" in found
    assert any(p.startswith("[field] Call.status: enum values ['queued'], spec: ") for p in found)
    assert any("Status: enum lacks ['canceled', 'completed']" in p for p in found)


def test_a_missing_or_extra_operation_is_reported(spec: dict[str, Any]) -> None:
    from twiliorm import Queue

    no_delete = _drifted(Queue, operations=Queue._meta.operations - {"delete"})
    assert covered(spec, no_delete) == TOTAL_OPERATIONS - 1
    assert _new_problems(spec, no_delete) == {
        "[operation] DELETE /2010-04-01/Accounts/{account_sid}/Queues/{sid}.json: "
        "DeleteQueue is not declared"
    }
    from twiliorm import Balance, Key

    twice = _new_problems(spec, _drifted(Key, operations=Key._meta.operations | {"create"}))
    assert {p for p in twice if p.startswith("[operation]")} == {
        "[operation] POST /2010-04-01/Accounts/{account_sid}/Keys.json: "
        "declared more than once: Key.create, NewKey.create"
    }
    assert _new_problems(spec, _drifted(Balance, operations=frozenset({"fetch", "delete"}))) == {
        "[operation] DELETE /2010-04-01/Accounts/{account_sid}/Balance.json: "
        "Balance.delete is not an operation of the spec"
    }


def test_fields_out_of_twilios_order_are_reported(spec: dict[str, Any]) -> None:
    from twiliorm import Queue

    swapped = dict(reversed(list(Queue._meta.fields.items())))
    assert _new_problems(spec, _drifted(Queue, fields=swapped)) == {
        "[field] Queue field order: declared 'max_size' where Twilio's payload has 'date_updated'"
    }


def test_a_filter_or_form_parameter_out_of_step_is_reported(spec: dict[str, Any]) -> None:
    from twiliorm import Message

    changed = {
        **_with_field(Message, "date_sent", filter=None),
        "body": attrs.evolve(Message._meta.fields["body"], writable=frozenset({"update"})),
        "to": attrs.evolve(Message._meta.fields["to"], required=frozenset()),
        "price": attrs.evolve(Message._meta.fields["price"], writable=frozenset({"create"})),
    }
    assert _new_problems(spec, _drifted(Message, fields=changed)) == {
        f"[filter] Message ListMessage: query parameter '{p}' is not a lookup"
        for p in ("DateSent", "DateSent<", "DateSent>")
    } | {
        "[param] Message CreateMessage: form parameter 'Body' is not writable",
        "[param] Message CreateMessage: To is required in the spec",
        "[param] Message CreateMessage: Price is writable but not in the spec's form",
    }


def main() -> None:
    lines, problems = report(load_spec(), metas_of(resources()))
    print("\n".join([*lines, *map(str, problems)]))


if __name__ == "__main__":
    main()
