"""Converting Twilio JSON to resource instances and back.

The public face is a cattrs ``Converter`` (:func:`make_converter`, configured
by :func:`configure_converter`): ``converter.structure(payload, Message)``,
``converter.structure(items, list[Message])`` and
``converter.unstructure(message)`` work for every declared resource.

Reading pages is the hot path of the library (one call per record, hundreds
of thousands in a migration), so each resource class gets one generated
function, made once from its declaration, that reads a payload into a slotted
instance with one assignment per field and calls a kind's parser only where
the value needs one (:func:`build_structure`). cattrs' own generated
structuring builds a keyword dict and calls ``__init__``, which measured
about 1.5 times the cost per record (``python -m tests.bench.bench_structure``),
so the mapping code is generated here and cattrs dispatches to it. Its
source is registered in ``linecache`` (as attrs does), so tracebacks and
debuggers show the generated lines.

Forward compatibility: unknown keys are kept in ``_extra``, absent keys are
remembered in ``_absent``, and ``to_api()`` gives back exactly the payload
that came in.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import enum
import linecache
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs
import cattrs

from . import dates
from .exceptions import DecodeError
from .fields import EnumKind, FieldSpec, Kind

if TYPE_CHECKING:
    from .resource import Binding, Meta, Resource

__all__ = ["configure_converter", "converter", "make_converter", "structure", "unstructure"]

R = TypeVar("R", bound="Resource")
_PRIVATE = ("_ctx", "_orig", "_extra", "_absent")


def build_structure(meta: Meta) -> Callable[[Mapping[str, Any], Binding | None], Any]:
    """Generate ``structure(payload, binding) -> instance`` for one resource class.

    Two functions come from the declaration. The one returned reads every
    declared key by subscript and looks enum values up in the members table
    directly; a payload it cannot take that way (an absent key, an unhashable
    enum value) raises KeyError or TypeError inside it, and it hands the
    payload to the general function, which reads with ``.get`` and calls every
    kind's parser. Both give the same instance for the same payload.
    """
    _check_covers_every_slot(meta)
    payload = meta.payload_fields
    namespace: dict[str, Any] = {
        "_new": object.__new__,
        "_cls": meta.model,
        "_known": frozenset(s.key for s in payload),
        "_odd": _odd_keys,
        "_deepcopy": copy.deepcopy,
    }
    general = _general_source(meta, namespace)
    namespace["_general"] = _compile(meta, general, namespace, label="general structure")
    return _compile(meta, _fast_source(meta, namespace), namespace)


def _compile(
    meta: Meta,
    lines: list[str],
    namespace: dict[str, Any],
    name: str = "structure",
    *,
    label: str | None = None,
) -> Callable[..., Any]:
    """Define function ``name`` from ``lines``, its source registered for tracebacks."""
    source = "\n".join(lines) + "\n"
    filename = _register_source(f"{label or name} {meta.model.__module__}.{meta.name}", source)
    exec(compile(source, filename, "exec"), namespace)
    fn: Callable[..., Any] = namespace.pop(name)
    return fn


def _register_source(title: str, source: str) -> str:
    """A filename for generated ``source``, whose lines ``linecache`` now gives.

    The entry has no modification time, so ``linecache.checkcache()`` keeps it.
    A name already holding other source (a class declared twice, in tests)
    gets a number, as attrs does.
    """
    entry_lines = source.splitlines(True)
    base = f"<twiliorm generated {title}>"
    filename, count = base, 1
    while True:
        entry = (len(source), None, entry_lines, filename)
        if linecache.cache.setdefault(filename, entry) == entry:
            return filename
        filename, count = f"{base[:-1]}-{count}>", count + 1


def build_copy(meta: Meta) -> Callable[[Any, Any], None]:
    """Generate ``copy(source, target)``: every slot of one instance onto another.

    ``save()`` and ``refresh()`` read the answer into a new instance (so a
    malformed answer changes nothing) and then copy it onto the caller's.
    """
    names = [a.name for a in attrs.fields(cast(Any, meta.model))]
    lines = ["def copy(s, t):", *(f"    t.{name} = s.{name}" for name in names)]
    return _compile(meta, lines, {}, "copy")


def _general_source(meta: Meta, namespace: dict[str, Any]) -> list[str]:
    lines = ["def structure(d, ctx=None):", "    g = d.get", "    o = _new(_cls)"]
    for i, spec in enumerate(meta.payload_fields):
        lines.append(f"    v{i} = g({spec.key!r})")
        if spec.kind.parse is not None:
            namespace[f"_p{i}"] = spec.kind.parse
            lines.append(f"    if v{i} is not None: v{i} = _p{i}(v{i})")
        lines.append(f"    o.{spec.name} = v{i}")
    return lines + _tail(meta, "d.keys() == _known", "    ")


def _fast_source(meta: Meta, namespace: dict[str, Any]) -> list[str]:
    lines = ["def structure(d, ctx=None):", "  try:", "    o = _new(_cls)"]
    for i, spec in enumerate(meta.payload_fields):
        lines.append(f"    v{i} = d[{spec.key!r}]")
        members = _enum_members(spec.kind)
        if members is not None:  # EnumKind.parse inlined, minus its TypeError guard
            namespace[f"_m{i}"] = members
            lines.append(f"    v{i} = _m{i}.get(v{i}, v{i})")
        elif spec.kind.parse is not None:
            namespace[f"_p{i}"] = spec.kind.parse
            lines.append(f"    if v{i} is not None: v{i} = _p{i}(v{i})")
        lines.append(f"    o.{spec.name} = v{i}")
    # Every declared key was found, so any other key count means unknown keys.
    lines += _tail(meta, f"len(d) == {len(meta.payload_fields)}", "    ")
    return [*lines, "  except (KeyError, TypeError):", "    return _general(d, ctx)"]


def _enum_members(kind: Kind) -> Mapping[Any, Any] | None:
    if isinstance(kind, EnumKind) and type(kind).parse is EnumKind.parse:
        return kind.members
    return None


def _tail(meta: Meta, plain: str, indent: str) -> list[str]:
    """Write-only attributes, the private slots, and the return.

    The snapshot holds a copy of a writable list or object (a Connect app's
    ``permissions``), so changing it in place still counts as a change.
    """
    snapshot = "".join(
        f"_deepcopy(v{i}), " if _mutable(spec) else f"v{i}, "
        for i, spec in enumerate(meta.payload_fields)
    )
    lines = [f"o.{s.name} = None" for s in meta.fields.values() if s.key is None]
    lines += [
        "o._ctx = ctx",
        f"o._orig = ({snapshot})",
        f"if {plain}:",
        "    o._extra = None",
        "    o._absent = None",
        "else:",
        "    o._extra, o._absent = _odd(d, _known)",
        "return o",
    ]
    return [indent + line for line in lines]


def _mutable(spec: FieldSpec) -> bool:
    return bool(spec.writable) and spec.kind.mutable


def _check_covers_every_slot(meta: Meta) -> None:
    # The generated code bypasses __init__, so every slot must be assigned by it.
    assigned = {*meta.fields, *_PRIVATE}
    missing = [a.name for a in attrs.fields(cast(Any, meta.model)) if a.name not in assigned]
    if missing:
        raise TypeError(f"{meta.name}: attributes without a twiliorm field declaration: {missing}")


def _odd_keys(payload: Mapping[str, Any], known: frozenset[str]) -> tuple[Any, Any]:
    extra = {k: v for k, v in payload.items() if k not in known} or None
    absent = frozenset(known.difference(payload)) or None
    return extra, absent


def structure(cls: type[R], payload: Any, binding: Binding | None = None) -> R:
    """An instance of ``cls`` from a JSON payload, or a DecodeError saying what is wrong."""
    if not isinstance(payload, Mapping):
        raise DecodeError(
            f"{cls.__name__} payload must be a JSON object, got {type(payload).__name__}"
        )
    try:
        result: R = cls._meta.structure()(payload, binding)
    except (ValueError, TypeError, ArithmeticError, AttributeError, KeyError) as exc:
        raise _diagnose(cls._meta, payload, exc) from exc
    return result


def _diagnose(meta: Meta, payload: Mapping[str, Any], exc: Exception) -> DecodeError:
    for spec in meta.payload_fields:
        value = payload.get(spec.key or "")
        if value is None or spec.kind.parse is None:
            continue
        try:
            spec.kind.parse(value)
        except Exception:
            shown = repr(value)
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            return DecodeError(
                f"{meta.name}.{spec.name}: cannot read {shown} as {spec.kind.name} "
                f"(key {spec.key!r})"
            )
    return DecodeError(f"{meta.name}: cannot read payload: {exc}")


def unstructure(obj: Resource) -> dict[str, Any]:
    """The JSON payload of an instance: declared keys (as they came) plus unknown ones.

    A key absent from the payload read stays absent, unless a value was set on it since.
    """
    absent = obj._absent or ()
    out: dict[str, Any] = {}
    for key, name, dump in obj._meta.dump_plan():
        value = getattr(obj, name)
        if value is None and key in absent:
            continue
        out[key] = value if value is None or dump is None else dump(value)
    if obj._extra:
        out.update(obj._extra)
    return out


def build_dump_plan(meta: Meta) -> tuple[tuple[str, str, Callable[[Any], Any] | None], ...]:
    """(key, attribute, dump or None when the value is its own JSON) per payload field."""
    return tuple((spec.key or "", spec.name, _own_dump(spec.kind)) for spec in meta.payload_fields)


def _own_dump(kind: Kind) -> Callable[[Any], Any] | None:
    return None if type(kind).dump is Kind.dump else kind.dump


def _is_resource(cls: Any) -> bool:
    from .resource import Resource

    return isinstance(cls, type) and issubclass(cls, Resource) and hasattr(cls, "_meta")


def configure_converter(conv: cattrs.Converter) -> None:
    """Teach a cattrs converter Twilio's payloads: resources, dates, decimals, enums."""
    conv.register_structure_hook_func(_is_resource, lambda d, cls: structure(cls, d))
    conv.register_unstructure_hook_func(_is_resource, unstructure)
    conv.register_structure_hook(decimal.Decimal, lambda v, _: decimal.Decimal(str(v)))
    conv.register_unstructure_hook(decimal.Decimal, str)
    conv.register_structure_hook(dt.datetime, lambda v, _: _read_timestamp(v))
    conv.register_unstructure_hook(dt.datetime, dates.format_rfc2822)
    conv.register_structure_hook(dt.date, lambda v, _: dates.parse_date(v))
    conv.register_unstructure_hook(dt.date, dt.date.isoformat)
    conv.register_unstructure_hook(enum.Enum, lambda member: member.value)


def _read_timestamp(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    text = str(value)
    return dates.parse_iso_datetime(text) if "T" in text[:20] else dates.parse_rfc2822(text)


def make_converter() -> cattrs.Converter:
    """A new cattrs converter configured for twiliorm's resources."""
    conv = cattrs.Converter(forbid_extra_keys=False)
    configure_converter(conv)
    return conv


converter = make_converter()
