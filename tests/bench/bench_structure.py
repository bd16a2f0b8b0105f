"""Per record: cattrs' generated structuring next to twiliorm's.

Run it alone with ``python -m tests.bench.bench_structure``; the suite runs it too.

twiliorm generates its own payload -> instance function per resource class
(``twiliorm.convert.build_structure``) instead of using cattrs'
``make_dict_structure_fn``. This micro-benchmark documents that choice with
numbers, on 1,000 varied Message payloads already parsed from JSON:

- ``twiliorm``: ``Message._meta.structure()``, what reading a page runs (it
  converts no value: each is converted on its first read);
- ``twiliorm, all read``: the same, then every value read once (each date,
  decimal, enum and count converted), what ``from_api()`` does;
- ``cattrs``: ``make_dict_structure_fn(Message, converter, **overrides)`` with
  the same renames (``from_`` <- ``from``) and the same parsers as hooks, on a
  converter without detailed validation (its fastest setting); the
  write-only parameters are omitted;
- ``cattrs (detailed)``: the same with cattrs' default detailed validation;
- ``dict copy``: ``dict(payload)``, a floor for "doing anything per record".

It also times the date parser on Twilio's fixed form against ``email.utils``
(what the official client uses) and against twiliorm's fallback path.
Both functions are checked to give the same values before anything is timed.
"""

from __future__ import annotations

import email.utils
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, override

from twiliorm import Message, dates

from .data import messages

Fn = Callable[[Any], Any]


def cattrs_structure(detailed: bool) -> Fn:
    conv = cattrs.Converter(forbid_extra_keys=False, detailed_validation=detailed)
    overrides = {}
    for spec in Message._meta.fields.values():
        if spec.key is None:
            overrides[spec.name] = override(omit=True)
            continue
        parse = spec.kind.parse
        hook = (lambda v, _, p=parse: None if v is None else p(v)) if parse else (lambda v, _: v)
        overrides[spec.name] = override(rename=spec.key, struct_hook=hook)
    fn = make_dict_structure_fn(Message, conv, **overrides)
    return lambda payload: fn(payload, Message)


def read_all(build: Fn) -> Fn:
    names = Message._meta.payload_names

    def fn(payload: Any) -> Any:
        obj = build(payload)
        for name in names:
            getattr(obj, name)
        return obj

    return fn


def variants() -> dict[str, Fn]:
    ours = Message._meta.structure()
    return {
        "twiliorm": lambda payload: ours(payload, None),
        "twiliorm, all read": read_all(lambda payload: ours(payload, None)),
        "cattrs": cattrs_structure(detailed=False),
        "cattrs (detailed)": cattrs_structure(detailed=True),
        "dict copy": dict,
    }


def check_same(fns: dict[str, Fn], payloads: list[dict[str, Any]]) -> None:
    names = [s.name for s in Message._meta.payload_fields]
    for payload in payloads[:50]:
        ours, theirs = fns["twiliorm"](payload), fns["cattrs"](payload)
        for name in names:
            if getattr(ours, name) != getattr(theirs, name):
                mine, other = getattr(ours, name), getattr(theirs, name)
                raise AssertionError(f"{name}: {mine!r} != {other!r}")


def per_item_us(fn: Fn, items: list[Any], loops: int) -> float:
    started = time.process_time()  # CPU time: other processes on a shared machine stay out
    for _ in range(loops):
        for item in items:
            fn(item)
    return (time.process_time() - started) / (loops * len(items)) * 1e6


def timed(fns: dict[str, Fn], items: list[Any], rounds: int, loops: int) -> dict[str, Any]:
    """Interleaved rounds; median, min and max µs per item of each function."""
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            samples[name].append(per_item_us(fn, items, loops))
    return {
        name: {"median": statistics.median(s), "min": min(s), "max": max(s)}
        for name, s in samples.items()
    }


def date_variants() -> dict[str, Fn]:
    return {
        "twiliorm fixed form": dates.parse_rfc2822,
        "twiliorm fallback": dates._parse_rfc2822_slow,
        "email.utils": email.utils.parsedate_to_datetime,
    }


def measure(quick: bool = False) -> dict[str, Any]:
    payloads = messages("AC" + "5" * 32, 1000, seed=11)
    fns = variants()
    check_same(fns, payloads)
    rounds, loops = (3, 1) if quick else (7, 5)
    texts = [str(p["date_sent"]) for p in payloads]
    result = {"records": timed(fns, payloads, rounds, loops)}
    result["dates"] = timed(date_variants(), texts, rounds, loops * 3)
    twiliorm_us = result["records"]["twiliorm"]["median"]
    result["cattrs_over_twiliorm"] = result["records"]["cattrs"]["median"] / twiliorm_us
    all_read_us = result["records"]["twiliorm, all read"]["median"]
    result["all_read_over_cattrs"] = all_read_us / result["records"]["cattrs"]["median"]
    return result


def render(result: dict[str, Any]) -> str:
    lines = ["µs per record (1,000 Message payloads, median [min-max] of interleaved rounds)"]
    for section in ("records", "dates"):
        for name, s in result[section].items():
            label = f"{section[:-1]}: {name}"
            lines.append(f"  {label:34s} {s['median']:7.3f}  [{s['min']:.3f}-{s['max']:.3f}]")
    lines.append(f"  cattrs / twiliorm: {result['cattrs_over_twiliorm']:.2f}x")
    if "all_read_over_cattrs" in result:
        lines.append(f"  twiliorm, all read / cattrs: {result['all_read_over_cattrs']:.2f}x")
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(measure(quick="--quick" in sys.argv)))
