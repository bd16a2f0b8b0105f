"""Figures from the raw runs: medians with min/max, paired ratios, targets, the table.

A paired ratio divides two clients' figures from the same repetition (they
ran back to back), then takes the median over repetitions: the machine's
slow and fast moments cancel out better than in a ratio of medians.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .run import Workload

Stat = dict[str, float]
RAW, RAW_ORJSON = "raw-json", "raw-orjson"
OFFICIAL, OFFICIAL_P1000 = "official", "official-p1000"
MB = 1024.0


def stat(values: list[float]) -> Stat:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def fmt(s: Stat, digits: int = 0, scale: float = 1.0) -> str:
    m, lo, hi = s["median"] * scale, s["min"] * scale, s["max"] * scale
    return f"{m:.{digits}f} [{lo:.{digits}f}-{hi:.{digits}f}]"


def by_rep(runs: list[dict[str, Any]], workload: str) -> dict[str, dict[int, dict[str, Any]]]:
    out: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for run in runs:
        if run["workload"] == workload:
            out[run["client"]][run["rep"]] = run
    return out


def paired(rows: dict[str, dict[int, dict[str, Any]]], top: str, bottom: str) -> Stat | None:
    """Median over repetitions of top's CPU / bottom's CPU (None if either is missing)."""
    if top not in rows or bottom not in rows:
        return None
    reps = sorted(set(rows[top]) & set(rows[bottom]))
    ratios = [rows[top][r]["cpu_s"] / rows[bottom][r]["cpu_s"] for r in reps]
    return stat(ratios) if ratios else None


def summarize_client(w: Workload, runs: dict[int, dict[str, Any]]) -> dict[str, Any]:
    values = list(runs.values())
    units = [r["handled"] * w.records_per_op for r in values]
    cpu = [r["cpu_s"] for r in values]
    return {
        "cpu_ms": stat([c * 1000 for c in cpu]),
        "wall_ms": stat([r["wall_s"] * 1000 for r in values]),
        "requests": stat([r["requests"] for r in values]),
        "records": stat([float(u) for u in units]),
        "us_per_record": stat([c / u * 1e6 for c, u in zip(cpu, units, strict=True)]),
        "us_per_request": stat(
            [c / max(r["requests"], 1) * 1e6 for c, r in zip(cpu, values, strict=True)]
        ),
        "peak_rss_mb": stat([r["peak_rss_kb"] / MB for r in values]),
        "peak_delta_mb": stat([(r["peak_rss_kb"] - r["rss0_kb"]) / MB for r in values]),
        "kept_mb": stat([(r["rss_after_kb"] - r["rss0_kb"]) / MB for r in values]),
        "page_sizes": values[0].get("page_sizes", {}),
    }


def summarize(results: dict[str, Any], plan: list[Workload]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for w in plan:
        rows = by_rep(results["runs"], w.name)
        block: dict[str, Any] = {}
        for client in w.clients:
            if client not in rows:
                continue
            entry = summarize_client(w, rows[client])
            entry["x_raw"] = paired(rows, client, RAW)
            entry["x_orjson"] = paired(rows, client, RAW_ORJSON)
            entry["official_p1000_over"] = paired(rows, OFFICIAL_P1000, client)
            entry["official_over"] = paired(rows, OFFICIAL, client)
            block[client] = entry
        summary[w.name] = block
    summary["latency"] = summarize_latency(results.get("latency", []))
    summary["traced"] = {
        r["client"]: r["traced_now_b"] / max(r["handled"], 1) for r in results.get("traced", [])
    }
    return summary


def summarize_latency(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for consumer in sorted({r["consumer"] for r in rows}):
        mine = [r for r in rows if r["consumer"] == consumer]
        on = {r["rep"]: r for r in mine if r["prefetch"] == "on"}
        off = {r["rep"]: r for r in mine if r["prefetch"] == "off"}
        reps = sorted(set(on) & set(off))
        pages = max(1, math.ceil(mine[0]["handled"] / 1000))
        out[consumer] = {
            "pages": pages,
            "prefetch_ms": stat([on[r]["wall_s"] * 1000 for r in reps]),
            "sequential_ms": stat([off[r]["wall_s"] * 1000 for r in reps]),
            "ratio": stat([on[r]["wall_s"] / off[r]["wall_s"] for r in reps]),
            "consumer_ms_per_page": stat([off[r]["consumer_s"] * 1000 / pages for r in reps]),
            "best_ratio": stat([best_ratio(off[r], pages) for r in reps]),
        }
    return out


def best_ratio(sequential: dict[str, Any], pages: int) -> float:
    """The ratio a perfect one-page-ahead prefetch would reach in that sequential run.

    Each page costs F to get (request, wait, parse, build) and W of the consumer's
    work. With the next page in flight while one is consumed, and F and W
    overlapping perfectly, the run takes F + (pages - 1) * max(F, W) + W instead of
    pages * (F + W). Each page's URL comes from the page before (next_page_uri),
    so nothing can be fetched further ahead.
    """
    work = sequential["consumer_s"] / pages
    fetch = (sequential["wall_s"] - sequential["consumer_s"]) / pages
    return (fetch + (pages - 1) * max(fetch, work) + work) / (pages * (fetch + work))


def _target(
    name: str, figure: Stat | None, limit: float, better: str, unit: str = "x"
) -> dict[str, Any]:
    if figure is None:
        return {"target": name, "met": None, "note": "not measured"}
    met = figure["median"] <= limit if better == "<=" else figure["median"] >= limit
    return {"target": name, "figure": figure, "limit": f"{better} {limit}{unit}", "met": met}


def _biggest(plan: list[Workload], kind: str) -> str | None:
    found = [w for w in plan if w.kind == kind]
    return max(found, key=lambda w: (w.n, w.count)).name if found else None


def targets(results: dict[str, Any], plan: list[Workload]) -> list[dict[str, Any]]:
    s = results["summary"]
    iterate, listing = _biggest(plan, "iterate"), _biggest(plan, "list")
    out = []
    if iterate:
        out += iterate_targets(s[iterate], iterate, max(w.n for w in plan if w.name == iterate))
    for kind in ("create", "fetch"):
        name = _biggest(plan, kind)
        if name:
            ratio = s[name]["twiliorm"]["x_raw"]
            out.append(_target(f"{name}: twiliorm CPU / raw-json CPU", ratio, 1.3, "<="))
    if iterate and listing:
        out += memory_targets(s, iterate, listing)
    for consumer, figures in s.get("latency", {}).items():
        out.append(
            _target(
                f"+50 ms latency, consumer {consumer!r}: prefetch / sequential wall",
                figures["ratio"],
                0.6,
                "<=",
            )
        )
    return out


def iterate_targets(block: dict[str, Any], name: str, n: int) -> list[dict[str, Any]]:
    ours = block["twiliorm"]
    return [
        _target(f"{name}: twiliorm CPU / raw-json CPU", ours["x_raw"], 2.0, "<="),
        _target(f"{name}: twiliorm CPU / raw-orjson CPU", ours["x_orjson"], 1.3, "<="),
        _target(
            f"{name}: official-p1000 CPU / twiliorm CPU", ours["official_p1000_over"], 3.0, ">="
        ),
        _target(f"{name}: official (default) CPU / twiliorm CPU", ours["official_over"], 5.0, ">="),
        _target(f"{name}: twiliorm requests", ours["requests"], math.ceil(n / 1000), "<=", ""),
    ]


def memory_targets(s: dict[str, Any], iterate: str, listing: str) -> list[dict[str, Any]]:
    out = rss_targets(s, iterate, listing) if RAW in s[listing] else []
    traced = s.get("traced", {})
    if "twiliorm" in traced and RAW_ORJSON in traced:
        ratio = traced["twiliorm"] / traced[RAW_ORJSON]
        name = "list: bytes kept (tracemalloc), twiliorm instances / raw-orjson dicts"
        out.append(_target(name, {"median": ratio, "min": ratio, "max": ratio}, 1.0, "<="))
    return out


def rss_targets(s: dict[str, Any], iterate: str, listing: str) -> list[dict[str, Any]]:
    ours, raw = s[listing]["twiliorm"], s[listing][RAW]
    pages = ours["records"]["median"] / 1000
    # One page in flight: its objects, its parsed dicts and its body, all at once.
    page_mb = (ours["kept_mb"]["median"] + raw["kept_mb"]["median"]) / pages * 1.25
    peak = s[iterate]["twiliorm"]["peak_delta_mb"]
    in_pages = {k: v / page_mb for k, v in peak.items()}
    kept = {k: ours["kept_mb"][k] - raw["kept_mb"]["median"] for k in ("median", "min", "max")}
    return [
        _target(f"{iterate}: twiliorm iterator() peak RSS growth, in pages", in_pages, 4, "<=", ""),
        _target(f"{listing}: RSS kept, twiliorm list - raw-json dicts (MB)", kept, 0, "<=", ""),
    ]


# --- the table -------------------------------------------------------------------------

_HEAD = (
    f"{'client':15s} {'CPU ms [min-max]':>22s} {'wall ms':>8s} {'req':>5s} {'µs/unit':>16s} "
    f"{'peak RSS MB':>11s} {'+peak':>6s} {'kept':>6s} {'x raw-json':>17s} {'x raw-orjson':>17s} "
    f"{'off-p1000 ÷':>17s} {'official ÷':>17s}"
)


def _ratio(s: Stat | None) -> str:
    return fmt(s, 2) if s else "-"


def _row(client: str, e: dict[str, Any], per: str) -> str:
    unit = e["us_per_record"] if per == "record" else e["us_per_request"]
    return (
        f"{client:15s} {fmt(e['cpu_ms']):>22s} {e['wall_ms']['median']:8.0f} "
        f"{e['requests']['median']:5.0f} {fmt(unit, 2):>16s} {e['peak_rss_mb']['median']:11.1f} "
        f"{e['peak_delta_mb']['median']:6.1f} {e['kept_mb']['median']:6.1f} "
        f"{_ratio(e['x_raw']):>17s} {_ratio(e['x_orjson']):>17s} "
        f"{_ratio(e['official_p1000_over']):>17s} "
        f"{_ratio(e['official_over']):>17s}"
    )


def render_runs(results: dict[str, Any], plan: list[Workload]) -> list[str]:
    reps = results["config"]["reps"]
    lines = [
        f"CPU = user+sys of the client process during the workload; median [min-max] of {reps} "
        "repetitions.",
        "µs/unit: CPU per record (lists) or per request; +peak: peak RSS minus RSS before the "
        "workload; kept: RSS held after it (the result alive).",
        "x raw-json / x raw-orjson: paired CPU ratio to raw urllib3+json / +orjson; "
        "off-p1000 ÷ / official ÷: the official client's CPU divided by this client's.",
    ]
    for w in plan:
        lines += ["", f"== {w.name} (µs per {w.per})", _HEAD]
        for client, e in results["summary"][w.name].items():
            lines.append(_row(client, e, w.per))
    return lines


def render_latency(s: dict[str, Any], latency_ms: int) -> list[str]:
    lines = ["", f"== latency: +{latency_ms} ms per request, twiliorm, prefetch on vs off"]
    for consumer, f in s.items():
        lines.append(
            f"consumer {consumer!r:7s} ({f['consumer_ms_per_page']['median']:.1f} ms work/page, "
            f"{f['pages']} pages): prefetch {fmt(f['prefetch_ms'])} ms, sequential "
            f"{fmt(f['sequential_ms'])} ms, ratio {fmt(f['ratio'], 2)} (best possible "
            f"{fmt(f['best_ratio'], 2)})"
        )
    return lines


def render_targets(items: list[dict[str, Any]]) -> list[str]:
    lines = ["", "== targets (median [min-max])"]
    for t in items:
        verdict = {True: "met", False: "MISSED", None: "n/a"}[t["met"]]
        figure = fmt(t["figure"], 2) if "figure" in t else t.get("note", "")
        lines.append(f"{verdict:7s} {t['target']}: {figure} (target {t.get('limit', '-')})")
    return lines


def render(results: dict[str, Any], plan: list[Workload]) -> str:
    from .bench_structure import render as render_structure

    s = results["summary"]
    lines = render_runs(results, plan)
    if s.get("latency"):
        lines += render_latency(s["latency"], results["config"]["latency_ms"])
    if s["traced"]:
        lines += ["", "== bytes kept per record by a list (tracemalloc)"]
        lines += [f"{client:15s} {size:8.0f}" for client, size in s["traced"].items()]
    if results.get("structure"):
        lines += ["", "== " + render_structure(results["structure"])]
    lines += render_targets(results["targets"])
    lines.append(f"pages rendered while serving (should be 0): {results.get('late_renders')}")
    return "\n".join(lines)
