"""Converting Twilio JSON to resource instances and back, each value when it is first read.

The public face is a cattrs ``Converter`` (:func:`make_converter`, configured
by :func:`configure_converter`): ``converter.structure(payload, Message)``,
``converter.structure(items, list[Message])`` and
``converter.unstructure(message)`` work for every declared resource.

Reading pages is the hot path of the library: hundreds of thousands of
records in a migration, most of them read in part (the sid and status a
script acts on) or not at all (counted, exported). So an instance built from
a payload keeps that payload and converts nothing:

- ``_orig`` is the payload dict itself, as the JSON parser made it: the
  instance as it was loaded. Building an instance stores that reference, its
  binding, and a marker (``_UNREAD``) in each attribute's slot; no value is
  looked up or referenced, so building touches no memory but the instance's
  own (copying a page's values out of their dicts costs about half as much
  again as parsing the page: every value is cold in the cache by then);
- an instance kept after its page (a QuerySet's results: :func:`build_compact`)
  keeps the tuple of the payload's values instead, in the order of the
  class's fields, when the payload has exactly the class's keys (what the API
  sends); the dict can then go, and a list of instances is smaller than the
  dicts it was read from. A payload with other keys, or without some, stays
  a dict, so nothing it had is lost;
- every payload attribute is a property over its slot, ``_slot_<attribute>``
  (:func:`prepare`). Its first read takes the value from ``_orig`` (by key,
  or by position in a tuple), parses it where the kind parses (a date, a
  decimal, an enum, a count sent as text) or copies it where it can change
  in place (a writable list), keeps the result in the slot and returns it;
  later reads return the slot. Setting the attribute stores the new value,
  which counts as a change;
- a write-only parameter (never in a payload) is a plain slot, None when loaded.

``to_api()`` is a copy of the payload (:func:`payload_of`) with the attributes
set since (or read and converted) dumped by their kinds: unchanged, an
instance gives back its payload exactly, with unknown keys kept and absent
keys absent. ``changed_fields()`` compares each slot read with its value in
the payload. A pickle keeps the payload as a dict.

A value that cannot be read raises :class:`DecodeError` naming the resource,
the attribute, its key, the value and the record. For the records of a list
that happens where the value is read: a record nobody reads costs nothing,
and an export gives it back as it came. ``from_api()`` reads one payload (the
answer to a fetch or a save, kept as a copy) and reads every value at once,
so a malformed answer is refused before it replaces anything.

The code is generated once per class, on first use (:meth:`Meta.conversions`),
and its source is registered in ``linecache`` (as attrs does), so tracebacks
and debuggers show the generated lines. cattrs' own generated structuring
builds a keyword dict, calls ``__init__`` and converts every value:
``python -m tests.bench.bench_structure`` measures both.
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import enum
import linecache
import operator
import types
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs
import cattrs

from . import dates
from .exceptions import DecodeError
from .fields import FieldSpec, Kind

if TYPE_CHECKING:
    from .resource import Binding, Meta, Resource

__all__ = [
    "Conversions",
    "configure_converter",
    "converter",
    "make_converter",
    "prepare",
    "structure",
    "unstructure",
]

R = TypeVar("R", bound="Resource")
_PRIVATE = ("_ctx", "_orig")
#: what a kind's parser raises for a value it cannot read
_UNREADABLE = (ValueError, TypeError, ArithmeticError, AttributeError, KeyError)


class _Unread:
    """The marker in the slot of an attribute not read since the instance was loaded."""

    def __repr__(self) -> str:
        return "<unread>"


_UNREAD = _Unread()


@attrs.frozen
class Conversions:
    """The generated code of one resource class (see :func:`prepare`)."""

    structure: Callable[[Mapping[str, Any], Binding | None], Any]
    to_api: Callable[[Any], dict[str, Any]]
    copy: Callable[[Any, Any], None]
    #: a list's instances keep the tuple of their values in place of their payload dicts
    compact: Callable[[list[Any]], None]
    #: the payload attributes whose first read parses or copies the value
    converted: tuple[str, ...]


def prepare(meta: Meta) -> Conversions:
    """Generate one class's conversions, and make its payload attributes properties over
    their slots.

    Until then every instance of the class was made by ``__init__`` (every slot
    set, nothing loaded), which reads the same through the properties.
    """
    _check_covers_every_slot(meta)
    _install_properties(meta)
    built = build_structure(meta), build_to_api(meta), build_copy(meta), build_compact(meta)
    converted = tuple(s.name for s in meta.payload_fields if _parser(s) is not None)
    return Conversions(*built, converted=converted)


def _mutable(spec: FieldSpec) -> bool:
    return bool(spec.writable) and spec.kind.mutable


def _parser(spec: FieldSpec) -> Callable[[Any], Any] | None:
    """The first read's conversion of a non-null value: the kind's parser, then a copy for
    a value that can change in place (so changing it counts against ``_orig``)."""
    parse = spec.kind.parse
    if not _mutable(spec):
        return parse
    if parse is None:
        return copy.deepcopy
    return lambda value: copy.deepcopy(parse(value))


def _slot(name: str) -> str:
    return f"_slot_{name}"


def _check_covers_every_slot(meta: Meta) -> None:
    # The generated code bypasses __init__, so every slot must be assigned by it.
    assigned = {*meta.fields, *_PRIVATE}
    missing = [a.name for a in attrs.fields(cast(Any, meta.model)) if a.name not in assigned]
    if missing:
        raise TypeError(f"{meta.name}: attributes without a twiliorm field declaration: {missing}")


# --- generated code, registered for tracebacks ------------------------------------------


def _compile(
    meta: Meta,
    lines: list[str],
    namespace: dict[str, Any],
    name: str,
    *,
    label: str | None = None,
) -> Callable[..., Any]:
    """Define function ``name`` from ``lines``, its source registered for tracebacks."""
    _define(meta, lines, namespace, label or name)
    fn: Callable[..., Any] = namespace.pop(name)
    return fn


def _define(meta: Meta, lines: list[str], namespace: dict[str, Any], label: str) -> None:
    """Run the definitions in ``lines`` in ``namespace``, their source registered."""
    source = "\n".join(lines) + "\n"
    filename = _register_source(f"{label} {meta.model.__module__}.{meta.name}", source)
    exec(compile(source, filename, "exec"), namespace)


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


# --- properties: a value taken from the payload on its first read -----------------------


def _install_properties(meta: Meta) -> None:
    """Each payload attribute becomes a property; its slot stays as ``_slot_<name>``."""
    cls = meta.model
    names = meta.payload_names
    for name in names:
        setattr(cls, _slot(name), _member(cls, name))
    getters = _build_getters(meta)
    for name in names:
        setattr(cls, name, property(getters[name], _member(cls, name).__set__))


def _member(cls: type, name: str) -> types.MemberDescriptorType:
    """The slot descriptor of attribute ``name`` (under its alias once installed)."""
    for klass in cls.__mro__:
        for candidate in (vars(klass).get(_slot(name)), vars(klass).get(name)):
            if isinstance(candidate, types.MemberDescriptorType):
                return candidate
    raise TypeError(f"{cls.__name__}.{name} is not a slot")


def _build_getters(meta: Meta) -> dict[str, Callable[[Any], Any]]:
    namespace: dict[str, Any] = {
        "_UNREAD": _UNREAD,
        "_UNREADABLE": _UNREADABLE,
        "_unreadable": lambda obj, index: unreadable(meta, obj, index),
    }
    lines: list[str] = []
    for i, spec in enumerate(meta.payload_fields):
        lines += _getter_source(spec, i, namespace)
    _define(meta, lines, namespace, "attributes")
    return {name: namespace[f"get_{name}"] for name in meta.payload_names}


def _getter_source(spec: FieldSpec, i: int, namespace: dict[str, Any]) -> list[str]:
    slot, parse = _slot(spec.name), _parser(spec)
    lines = [
        f"def get_{spec.name}(o):",
        f"    v = o.{slot}",
        "    if v is not _UNREAD:",
        "        return v",  # read before, or set
        "    d = o._orig",
        f"    v = d[{i}] if type(d) is tuple else d.get({spec.key!r})",
    ]
    if parse is not None:
        namespace[f"_p{i}"] = parse
        lines += [
            "    if v is not None:",
            "        try:",
            f"            v = _p{i}(v)",
            "        except _UNREADABLE as e:",
            f"            raise _unreadable(o, {i}) from e",
        ]
    return [*lines, f"    o.{slot} = v", "    return v"]


def unreadable(meta: Meta, obj: Any, index: int) -> DecodeError:
    """The DecodeError for the loaded value ``index`` of ``obj``, naming the field."""
    spec, loaded = meta.payload_fields[index], payload_of(obj) or {}
    shown = repr(loaded.get(spec.key or ""))
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    pk = meta.fields.get(meta.pk or "")
    where = f" of {loaded.get(pk.key)}" if pk is not None and pk.key in loaded else ""
    return DecodeError(
        f"{meta.name}.{spec.name}: cannot read {shown} as {spec.kind.name} "
        f"(key {spec.key!r}{where})"
    )


# --- payload -> instance ----------------------------------------------------------------


def build_structure(meta: Meta) -> Callable[[Mapping[str, Any], Binding | None], Any]:
    """Generate ``structure(payload, binding) -> instance`` for one resource class.

    Two functions come from the declaration. The one returned keeps a payload
    that is a dict as it is; any other mapping goes to the general function,
    which keeps a dict copy of it. Neither reads a value.
    """
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": meta.model, "_UNREAD": _UNREAD}
    lines = [
        "def structure(d, ctx=None):",
        "    if type(d) is not dict:",
        "        return _general(d, ctx)",
        "    o = _new(_cls)",
        "    o._ctx = ctx",
        "    o._orig = d",
        *(f"    o.{_slot(s.name)} = _UNREAD" for s in meta.payload_fields),
        *(f"    o.{s.name} = None" for s in meta.fields.values() if s.key is None),
        "    return o",
    ]
    general = ["def _general(d, ctx=None):", "    return structure(dict(d), ctx)"]
    function = _compile(meta, lines, namespace, "structure")
    namespace["structure"] = function
    namespace["_general"] = _compile(meta, general, namespace, "_general", label="general")
    return function


def build_compact(meta: Meta) -> Callable[[list[Any]], None]:
    """Generate ``compact(instances)``: each instance of the list whose payload is a dict
    with exactly the class's keys (what the API sends) keeps the tuple of its values
    instead, in the order of the declaration, taken by one ``itemgetter`` call.

    A list that outlives its pages (a QuerySet's results) is then smaller than
    the dicts it was read from; any other payload is kept as its dict.
    """
    keys = _keys(meta)
    if len(keys) < 2:  # itemgetter of one key gives the value, not a tuple
        return _compile(meta, ["def compact(objs):", "    pass"], {}, "compact")
    lines = ["def compact(objs):", "    for o in objs:", "        d = o._orig"]
    namespace: dict[str, Any] = {"_take": operator.itemgetter(*keys)}
    lines += [
        f"        if type(d) is dict and len(d) == {len(keys)}:",
        "            try:",
        "                o._orig = _take(d)",
        "            except KeyError:",  # another key in place of one of ours: kept as a dict
        "                pass",
    ]
    return _compile(meta, lines, namespace, "compact")


def _keys(meta: Meta) -> tuple[str, ...]:
    """The payload keys of a class, in the order of its declaration (a loaded tuple's)."""
    return tuple(s.key or "" for s in meta.payload_fields)


def structure(cls: type[R], payload: Any, binding: Binding | None = None) -> R:
    """An instance of ``cls`` from (a copy of) a JSON payload with every value read, or a
    DecodeError saying what is wrong (the first value that cannot be read, naming it)."""
    if not isinstance(payload, Mapping):
        raise DecodeError(
            f"{cls.__name__} payload must be a JSON object, got {type(payload).__name__}"
        )
    conversions = cls._meta.conversions()
    obj: R = conversions.structure(dict(payload), binding)
    for name in conversions.converted:
        getattr(obj, name)
    return obj


# --- instance -> payload ----------------------------------------------------------------


def build_to_api(meta: Meta) -> Callable[[Any], dict[str, Any]]:
    """Generate ``to_api(obj) -> payload``: a copy of the payload read, with each value
    read or set since put through its kind's dump (None on a key the payload did not
    have leaves it absent); an instance never loaded goes to :func:`_unsaved_payload`."""
    namespace: dict[str, Any] = {
        "_unsaved": _unsaved_payload,
        "_UNREAD": _UNREAD,
        "_keys": _keys(meta),
        "_zip": zip,
    }
    lines = [
        "def to_api(o):",
        "    d = o._orig",
        "    if d is None:",
        "        return _unsaved(o)",
        "    if type(d) is tuple:",
        "        d = p = dict(_zip(_keys, d))",  # a new dict: the same one can be written
        "    else:",
        "        p = d.copy()",
    ]
    for i, spec in enumerate(meta.payload_fields):
        key, dump = spec.key, _own_dump(spec.kind)
        if dump is not None:
            namespace[f"_d{i}"] = dump
        value = f"_d{i}(v)" if dump is not None else "v"
        lines += [
            f"    v = o.{_slot(spec.name)}",
            f"    if v is not _UNREAD and v is not d.get({key!r}):",
            f"        if v is not None or {key!r} in d:",
            f"            p[{key!r}] = None if v is None else {value}",
        ]
    return _compile(meta, [*lines, "    return p"], namespace, "to_api")


def _own_dump(kind: Kind) -> Callable[[Any], Any] | None:
    return None if type(kind).dump is Kind.dump else kind.dump


def _unsaved_payload(obj: Resource) -> dict[str, Any]:
    """The payload of an instance made in Python: every declared key, dumped by its kind."""
    out: dict[str, Any] = {}
    for spec in obj._meta.payload_fields:
        value = getattr(obj, spec.name)
        out[spec.key or ""] = value if value is None else spec.kind.dump(value)
    return out


def unstructure(obj: Resource) -> dict[str, Any]:
    """The JSON payload of an instance: the payload it was read from (unknown keys kept,
    absent keys absent), with the values set since dumped by their kinds."""
    return obj._meta.conversions().to_api(obj)


# --- instance -> instance, and the state of one ----------------------------------------


def build_copy(meta: Meta) -> Callable[[Any, Any], None]:
    """Generate ``copy(source, target)``: every slot of one instance onto another, as it
    is (a value not read stays unread).

    ``save()`` and ``refresh()`` read the answer into a new instance (so a
    malformed answer changes nothing) and then copy it onto the caller's.
    """
    lines = ["def copy(s, t):"]
    for a in attrs.fields(cast(Any, meta.model)):
        name = _slot(a.name) if a.name in meta.payload_names else a.name
        lines.append(f"    t.{name} = s.{name}")
    return _compile(meta, lines, {}, "copy")


def state_of(obj: Resource) -> dict[str, Any]:
    """What pickles an instance: every slot set, as it is (a value never read pickles as
    it came, in ``_orig``, and stays unread once loaded)."""
    obj._meta.conversions()  # the slots' aliases
    state = {}
    for a in attrs.fields(cast(Any, type(obj))):
        name = _slot(a.name) if a.name in obj._meta.payload_names else a.name
        value = getattr(obj, name, _UNREAD)
        if value is not _UNREAD:
            state[a.name] = value
    if "_orig" in state:  # the payload as a dict: a pickle does not depend on the slot order
        state["_orig"] = payload_of(obj)
    return state


def restore(obj: Resource, state: Mapping[str, Any]) -> None:
    """Put back what :func:`state_of` took; a payload attribute not in it is unread."""
    payload = obj._meta.payload_names
    obj._meta.conversions()  # the slots' aliases
    for name, value in state.items():
        setattr(obj, _slot(name) if name in payload else name, value)
    if state.get("_orig") is not None:
        for spec in obj._meta.payload_fields:
            if spec.name not in state:
                setattr(obj, _slot(spec.name), _UNREAD)


def payload_of(obj: Resource) -> dict[str, Any] | None:
    """The payload ``obj`` was loaded from, as a dict (None: never loaded)."""
    loaded = obj._orig
    if type(loaded) is tuple:
        return dict(zip(_keys(obj._meta), loaded, strict=True))
    return cast("dict[str, Any] | None", loaded)


def changed_fields(obj: Resource) -> list[str]:
    """Attributes set since ``obj`` was loaded (or set at all, if it never was); then the
    write-only parameters that are set."""
    meta = obj._meta
    loaded = payload_of(obj)
    if loaded is None:
        return [s.name for s in meta.fields.values() if getattr(obj, s.name) is not None]
    changed = [
        spec.name
        for spec in meta.payload_fields
        if _differs(spec, getattr(obj, _slot(spec.name)), loaded.get(spec.key or ""))
    ]
    params = [s for s in meta.fields.values() if s.key is None]
    return changed + [s.name for s in params if getattr(obj, s.name) is not None]


def _differs(spec: FieldSpec, value: Any, raw: Any) -> bool:
    if value is _UNREAD or value is raw:  # never read, or read and kept as it came
        return False
    parse = spec.kind.parse
    if parse is None or raw is None:
        return bool(value != raw)
    try:
        return bool(value != parse(raw))
    except _UNREADABLE:
        return True  # a value set in place of one that could not be read


def loaded_value(obj: Resource, name: str) -> Any:
    """The value attribute ``name`` had when ``obj`` was loaded (None if it never was)."""
    spec = obj._meta.fields.get(name)
    loaded = payload_of(obj)
    if loaded is None or spec is None or spec.key is None:
        return None
    raw = loaded.get(spec.key)
    return raw if raw is None or spec.kind.parse is None else spec.kind.parse(raw)


def loaded_from(obj: Resource, fresh: Resource, names: list[str]) -> dict[str, Any] | None:
    """``obj``'s payload with the values of ``names`` as ``fresh`` was loaded with them."""
    mine, theirs = payload_of(obj), payload_of(fresh)
    if mine is None or theirs is None:
        return mine
    payload = dict(mine)
    for name in names:
        key = obj._meta.fields[name].key or ""
        if key in theirs:
            payload[key] = theirs[key]
        else:
            payload.pop(key, None)
    return payload


# --- cattrs ---------------------------------------------------------------------------------


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
