"""One client, one workload, in a fresh process: ``python -m tests.bench.child ARGS``.

The orchestrator starts this module once per (repetition, workload, client),
so no cache, connection or allocator state leaks from one measurement into
the next. Imports, client construction and one warm-up request (a fetch of
one message: it opens the connection and builds per-class state) happen
before the clock starts; the figures cover the workload only:

- CPU: ``getrusage(RUSAGE_SELF)`` user + sys, every thread of the process
  (twiliorm's prefetch thread included);
- wall: ``perf_counter``;
- memory: RSS before the workload, peak RSS during it (the kernel's high-water
  mark, reset when the clock starts), and RSS after it with the result still
  alive (what a list of N records keeps).

It prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
import tracemalloc
from typing import Any

import psutil

from .clients import CLIENTS, Client


def run_workload(client: Client, workload: str, args: argparse.Namespace) -> tuple[int, Any]:
    """(records or requests handled, the result kept alive for the RSS reading)."""
    if workload == "iterate":
        return client.iterate(), None
    if workload == "list":
        kept = client.list_all()
        return len(kept), kept
    if workload == "create":
        return client.create(args.count), None
    if workload == "fetch":
        return client.fetch(args.sids[: args.count]), None
    if workload == "first":
        return client.first_page(args.count), None
    raise SystemExit(f"unknown workload {workload!r}")


def rss_kb() -> int:
    return int(psutil.Process().memory_info().rss // 1024)


def reset_peak() -> None:
    """Start the peak-RSS reading from now (imports and warm-up stay out of it).

    ``ru_maxrss`` cannot serve: after fork+exec it carries the parent's peak.
    Writing 5 to ``clear_refs`` resets the kernel's high-water mark (Linux 4.0+).
    """
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def peak_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def measure(client: Client, workload: str, args: argparse.Namespace) -> dict[str, Any]:
    gc.collect()
    rss0 = rss_kb()
    reset_peak()
    if args.tracemalloc:
        tracemalloc.start()
    ru0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    handled, kept = run_workload(client, workload, args)
    t1, ru1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    traced = tracemalloc.get_traced_memory() if args.tracemalloc else (0, 0)
    rss_after, peak = rss_kb(), peak_kb()
    del kept
    return {
        "handled": handled,
        "user_s": ru1.ru_utime - ru0.ru_utime,
        "sys_s": ru1.ru_stime - ru0.ru_stime,
        "cpu_s": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
        "wall_s": t1 - t0,
        "rss0_kb": rss0,
        "peak_rss_kb": peak,
        "rss_after_kb": rss_after,
        "traced_now_b": traced[0],
        "traced_peak_b": traced[1],
    }


def measure_pages(client: Client, args: argparse.Namespace) -> dict[str, Any]:
    """The latency experiment: read every page of the list, prefetching or not."""
    ru0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    handled, consumer_s = client.pages(args.prefetch == "on", args.consumer)
    t1, ru1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    return {
        "handled": handled,
        "consumer_s": consumer_s,
        "cpu_s": (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime),
        "wall_s": t1 - t0,
    }


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.bench.child")
    p.add_argument("--env", required=True, help="the JSON file the orchestrator wrote")
    p.add_argument("--client", required=True, choices=sorted(CLIENTS))
    p.add_argument("--workload", required=True)
    p.add_argument("--n", type=int, default=0, help="the account to read (its record count)")
    p.add_argument("--count", type=int, default=0, help="operations (create, fetch, first)")
    p.add_argument("--prefetch", choices=("on", "off"), default="on")
    p.add_argument("--consumer", default="none")
    p.add_argument("--tracemalloc", action="store_true")
    return p.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    with open(args.env) as f:
        env = json.load(f)
    args.sids = env["fetch_sids"]
    client = CLIENTS[args.client](env, args.n)
    client.warm_up(env["warm_sids"][client.account])
    if args.workload == "pages":
        figures = measure_pages(client, args)
    else:
        figures = measure(client, args.workload, args)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
