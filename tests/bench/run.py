"""The orchestrator: ``python -m tests.bench [--reps 5] [--out bench-results.json]``.

1. Builds the data (two accounts: 20,000 and 100,000 messages) and renders
   every page the clients will ask for (PageSize 1000 and 50) before any
   timing, then serves the bytes from a loopback server in this process,
   plus a second server that adds a fixed latency to every request.
2. For each repetition, for each workload, runs each client in a fresh
   subprocess (``tests.bench.child``), in an order rotated every repetition,
   and asks the server how many requests that run sent.
3. Adds the latency experiment (20 pages of 1000, prefetch on vs off, three
   consumers), a tracemalloc run per client for retained bytes per record
   (a list of the biggest ``list()`` size run), and the structuring
   micro-benchmark (``bench_structure``).

``--only iterate list`` and ``--clients twiliorm raw-orjson`` narrow a run;
``--async-fetch [OPTIONS]`` runs ``async_fetch`` (the async client, issue 14) instead.
4. Prints the table and the targets (``report``) and writes everything as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from . import bench_structure, report
from .data import DEFAULT_PAGE_SIZE, PAGE_SIZE_MAX, Listing
from .server import PageServer

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "b3nch" + "0" * 27
ACCOUNTS = {20_000: "AC" + "20" * 16, 100_000: "AC" + "10" * 16}
LIST_CLIENTS = ("twiliorm", "official-p1000", "official", "raw-json", "raw-orjson")
CALL_CLIENTS = ("twiliorm", "official", "raw-json", "raw-orjson")
LATENCY_MS = 50
LATENCY_N = 20_000  # 20 pages of 1000


@dataclass(frozen=True)
class Workload:
    """One row block of the table: ``kind`` run by each of ``clients``."""

    name: str
    kind: str
    n: int = 0
    count: int = 0
    clients: tuple[str, ...] = LIST_CLIENTS
    per: str = "record"  # what the µs figure divides by: "record" or "request"
    records_per_op: int = 1


def workloads(quick: bool) -> list[Workload]:
    small, big, calls = (2_000, 10_000, 50) if quick else (20_000, 100_000, 500)
    return [
        Workload(f"iterate {small:,}", "iterate", small),
        Workload(f"iterate {big:,}", "iterate", big),
        Workload(f"list() {small:,}", "list", small),
        Workload(f"list() {big:,}", "list", big),
        Workload(f"create x{calls}", "create", count=calls, clients=CALL_CLIENTS, per="request"),
        Workload(f"fetch x{calls}", "fetch", count=calls, clients=CALL_CLIENTS, per="request"),
        Workload(
            "first page (50) x100",
            "first",
            count=100,
            clients=CALL_CLIENTS,
            per="request",
            records_per_op=50,
        ),
    ]


# --- data and servers ---------------------------------------------------------------


def build_listings(quick: bool) -> dict[int, Listing]:
    sizes = (2_000, 10_000) if quick else (20_000, 100_000)
    listings = {}
    for seed, (size, account) in enumerate(zip(sizes, ACCOUNTS.values(), strict=True)):
        listing = Listing.build(account, size, seed=seed + 1)
        for page_size in (PAGE_SIZE_MAX, DEFAULT_PAGE_SIZE):
            listing.prerender(page_size)
        listing.prerender(1, first_only=True)
        listings[size] = listing
    return listings


def write_env(folder: str, server: PageServer, listings: dict[int, Listing]) -> str:
    biggest = listings[max(listings)]
    env = {
        "base_url": server.base_url,
        "token": TOKEN,
        "accounts": {str(n): x.account for n, x in listings.items()} | {"default": biggest.account},
        "fetch_sids": biggest.sids[1 : 1 + 500],
        "warm_sids": {x.account: x.sids[0] for x in listings.values()},
    }
    path = os.path.join(folder, f"env-{server.server_address[1]}.json")
    with open(path, "w") as f:
        json.dump(env, f)
    return path


# --- running children -----------------------------------------------------------------


def run_child(env: str, server: PageServer, client: str, *options: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "tests.bench.child", "--env", env, "--client", client]
    server.take_counts()
    done = subprocess.run(
        [*command, *options], cwd=ROOT, capture_output=True, text=True, check=False
    )
    counts, sizes = server.take_counts()
    if done.returncode != 0:
        raise SystemExit(f"{client} {' '.join(options)} failed:\n{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    warm_up = 1  # the one fetch before the clock starts
    figures["requests"] = sum(counts.values()) - warm_up
    figures["page_sizes"] = dict(sizes)
    return figures


def rotated(items: tuple[str, ...], by: int) -> list[str]:
    by %= len(items)
    return [*items[by:], *items[:by]]


def run_workload(env: str, server: PageServer, w: Workload, rep: int) -> list[dict[str, Any]]:
    rows = []
    for client in rotated(w.clients, rep):
        options = ["--workload", w.kind, "--n", str(w.n), "--count", str(w.count)]
        figures = run_child(env, server, client, *options)
        rows.append({"workload": w.name, "client": client, "rep": rep, **figures})
    return rows


def run_latency(env: str, server: PageServer, n: int, rep: int) -> list[dict[str, Any]]:
    rows = []
    for consumer in ("none", "cpu", "io"):
        for prefetch in rotated(("on", "off"), rep):
            options = ["--workload", "pages", "--n", str(n), "--prefetch", prefetch]
            figures = run_child(env, server, "twiliorm", *options, "--consumer", consumer)
            rows.append({"consumer": consumer, "prefetch": prefetch, "rep": rep, **figures})
    return rows


def run_traced(
    env: str, server: PageServer, n: int, clients: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Bytes kept per record by a list of N, by tracemalloc (one run each: it is exact)."""
    rows = []
    traced = ("twiliorm", "official-p1000", "raw-json", "raw-orjson")
    for client in (c for c in traced if c in clients):
        options = ["--workload", "list", "--n", str(n), "--tracemalloc"]
        rows.append({"client": client, "n": n, **run_child(env, server, client, *options)})
    return rows


# --- main ---------------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m tests.bench",
        description="twiliorm, the official twilio client and raw urllib3 side by side, "
        "against pre-rendered Twilio pages; prints a table and writes JSON.",
    )
    p.add_argument("--reps", type=int, default=5, help="repetitions (default 5)")
    p.add_argument("--out", default="bench-results.json", help="where the JSON goes")
    p.add_argument("--quick", action="store_true", help="small sizes: checks the suite runs")
    p.add_argument(
        "--only",
        nargs="*",
        default=None,
        metavar="KIND",
        help="run only these workloads: iterate list create fetch first",
    )
    p.add_argument("--skip-latency", action="store_true", help="no +50 ms prefetch experiment")
    p.add_argument(
        "--async-fetch",
        action="store_true",
        help="first option only: run tests.bench.async_fetch (the async client, issue 14) "
        "with the options after it",
    )
    p.add_argument(
        "--clients",
        nargs="*",
        default=None,
        metavar="CLIENT",
        help=f"run only these clients: {' '.join(LIST_CLIENTS)}",
    )
    return p.parse_args(argv)


def machine() -> dict[str, Any]:
    import importlib.metadata as md

    versions = {p: md.version(p) for p in ("twilio", "urllib3", "orjson", "attrs", "cattrs")}
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "versions": versions,
        "load_before": os.getloadavg(),
    }


def measure_all(args: argparse.Namespace, plan: list[Workload]) -> dict[str, Any]:
    """Every run of the plan, the latency experiment and the traced lists."""
    print("rendering pages ...", flush=True)
    listings = build_listings(args.quick)
    small = {min(listings): listings[min(listings)]}
    plain = PageServer(list(listings.values()), TOKEN).start()
    slow = PageServer(list(small.values()), TOKEN, latency=LATENCY_MS / 1000).start()
    results: dict[str, Any] = {"machine": machine(), "runs": [], "latency": [], "traced": []}
    results["config"] = {"reps": args.reps, "latency_ms": LATENCY_MS, "quick": args.quick}
    try:
        with tempfile.TemporaryDirectory() as folder:
            env, slow_env = write_env(folder, plain, listings), write_env(folder, slow, small)
            for rep in range(args.reps):
                print(f"repetition {rep + 1}/{args.reps} ...", flush=True)
                for w in plan:
                    results["runs"] += run_workload(env, plain, w, rep)
                if not args.skip_latency:
                    results["latency"] += run_latency(slow_env, slow, min(listings), rep)
            lists = [w.n for w in plan if w.kind == "list"]
            if lists:
                clients = tuple(args.clients or LIST_CLIENTS)
                results["traced"] = run_traced(env, plain, max(lists), clients)
        results["late_renders"] = plain.late_renders
    finally:
        plain.stop()
        slow.stop()
    return results


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--async-fetch"]:  # issue 14's async figures: their own orchestrator
        from . import async_fetch

        return async_fetch.main(argv[1:])
    args = parse(argv)
    started = time.perf_counter()
    plan = [
        replace(w, clients=tuple(c for c in w.clients if c in args.clients)) if args.clients else w
        for w in workloads(args.quick)
        if args.only is None or w.kind in args.only
    ]
    results = measure_all(args, plan)
    if args.only is None:
        print("structuring micro-benchmark ...", flush=True)
        results["structure"] = bench_structure.measure(quick=args.quick)
    results["seconds"] = time.perf_counter() - started
    results["machine"]["load_after"] = os.getloadavg()
    results["summary"] = report.summarize(results, plan)
    results["targets"] = report.targets(results, plan)
    print(report.render(results, plan))
    Path(args.out).write_text(json.dumps(results, indent=1, default=str))
    load = results["machine"]["load_before"][0], results["machine"]["load_after"][0]
    print(
        f"\nwritten: {args.out} ({results['seconds']:.0f} s; load average {load[0]:.1f} "
        f"before, {load[1]:.1f} after, on {os.cpu_count()} CPUs)"
    )
    return 0
