"""twiliorm's async client against raw aiohttp and the official async client (issue 14).

``python -m tests.bench.async_fetch [--reps 5] [--records 20000] [--quick] [--out F]``
(or ``python -m tests.bench --async-fetch``, the same options after it).

The bench suite's loopback page server (``server.PageServer``: pre-rendered
Message JSON, keep-alive, TCP_NODELAY) runs in this process; every measured
client runs in a fresh process of its own, one per (repetition, workload,
client), in an order rotated each repetition. Each child imports, builds its
client and fetches one message (a connection opened, per-class state built)
before its clock starts; it reports wall time (``perf_counter``), its own CPU
time (``time.process_time``: every thread of the child, none of the server's;
user and system apart in the JSON) and the cyclic collector's collections per
generation. This process's CPU time during a run is the server's, reported
beside it.

Workloads, 64 requests in flight for the async ones (64 tasks sharing one
iterator of SIDs):

(a) ``fetch@50ms``: 1,000 fetches of existing messages, the server adding 50 ms
    to each request. ``raw-aiohttp``: one ClientSession, TCPConnector(limit=64),
    ``orjson.loads`` of the body; ``twiliorm``: ``await
    Message.objects.using(client).aget(sid=...)`` through an ``AsyncClient``
    (the ORM: the query, the request, the retry policy, the error mapping, a
    typed Message); ``twiliorm-client``: ``await client.get_json(path)`` (the
    client alone, a dict); ``official-async``: twilio 9.13's
    ``Client(http_client=AsyncTwilioHttpClient())...messages(sid).fetch_async()``.
(b) ``seq@50ms``: the same 1,000 fetches one after another with twiliorm's sync
    client (``Message.objects.get(sid=...)``): the "5x faster" reference.
(c) ``iterate``: every record of a list (``--records``, PageSize 1000), one page
    after another, no added latency: ``raw-aiohttp`` walks the orjson dicts,
    ``twiliorm`` runs ``async for m in Message.objects.using(client).aiterator()``
    (typed Messages, the next page fetched meanwhile): CPU per record.
(d) ``fetch@0ms``: (a) without the 50 ms, so CPU per fetch is not diluted by
    waiting (an idle event loop still costs wake-ups).

``--instructions`` counts instead, under valgrind, each client's user-space
instructions per fetch in (d): a figure the machine's load does not move.

The report gives each client's median [min-max] and its ratios to raw aiohttp
paired within a repetition, and checks issue 14's targets: twiliorm's wall time
and CPU within 1.3x of raw aiohttp, and its wall time at least 5x under the
sequential sync run.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import orjson

from .async_choice import ACCOUNT, TOKEN, CountingServer, paired, rotated
from .data import API, PAGE_SIZE_MAX, Listing
from .report import fmt, stat
from .server import basic_auth

ROOT = Path(__file__).resolve().parents[2]
WIDTH = 64
LATENCY = 0.05
PLAN = {  # workload: clients; raw-aiohttp first: every ratio is to it
    "fetch@50ms": ("raw-aiohttp", "twiliorm", "twiliorm-client", "official-async"),
    "seq@50ms": ("twiliorm-sync",),
    "iterate": ("raw-aiohttp", "twiliorm"),
    "fetch@0ms": ("raw-aiohttp", "twiliorm", "twiliorm-client", "official-async"),
}
REFERENCE = "raw-aiohttp"
TARGET = 1.3  # twiliorm within 1.3x of the raw reference
SPEEDUP = 5.0  # and at least 5x faster than sequential sync


# --- the clients (in the child process) ---------------------------------------------------


class Raw:
    """aiohttp alone: the independent reference (the library twiliorm[async] sends with)."""

    async def open(self, env: dict[str, Any]) -> None:
        import aiohttp

        headers = {"Authorization": basic_auth(ACCOUNT, TOKEN), "Accept": "application/json"}
        self.base = env["base_url"]
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=WIDTH),
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=30, connect=10),
        )

    async def get(self, url: str) -> Any:
        async with self.session.get(url, allow_redirects=False) as answer:
            if answer.status != 200:
                raise RuntimeError(f"{answer.status} for {url}")
            return orjson.loads(await answer.read())

    async def fetch(self, sid: str) -> Any:
        return await self.get(f"{self.base}{API}/Accounts/{ACCOUNT}/Messages/{sid}.json")

    async def iterate(self) -> int:
        seen, url = 0, f"{self.base}{API}/Accounts/{ACCOUNT}/Messages.json?PageSize=1000"
        while url:
            page = await self.get(url)
            for _ in page["messages"]:
                seen += 1
            url = page["next_page_uri"] and self.base + page["next_page_uri"]
        return seen

    async def close(self) -> None:
        await self.session.close()


class Twiliorm:
    """twiliorm's AsyncClient through the ORM: ``aget(sid=)``, ``aiterator()``."""

    async def open(self, env: dict[str, Any]) -> None:
        import twiliorm

        self.client = twiliorm.AsyncClient(ACCOUNT, TOKEN, base_url=env["base_url"])
        self.messages = twiliorm.Message.objects.using(self.client)

    async def fetch(self, sid: str) -> Any:
        return await self.messages.aget(sid=sid)

    async def iterate(self) -> int:
        seen = 0
        async for _ in self.messages.aiterator():
            seen += 1
        return seen

    async def close(self) -> None:
        await self.client.aclose()


class TwiliormClient(Twiliorm):
    """twiliorm's AsyncClient alone: the JSON of one instance, as a dict."""

    async def fetch(self, sid: str) -> Any:
        return await self.client.get_json(f"{API}/Accounts/{ACCOUNT}/Messages/{sid}.json")


class OfficialAsync:
    """twilio 9.13's async mode; it decodes with json and builds a MessageInstance."""

    async def open(self, env: dict[str, Any]) -> None:
        from twilio.http.async_http_client import AsyncTwilioHttpClient
        from twilio.rest import Client

        self.http = AsyncTwilioHttpClient()
        client = Client(ACCOUNT, TOKEN, http_client=self.http)
        client.api.base_url = env["base_url"]  # where every URL it builds starts
        self.messages = client.api.v2010.accounts(ACCOUNT).messages

    async def fetch(self, sid: str) -> Any:
        return await self.messages(sid).fetch_async()

    async def close(self) -> None:
        await self.http.close()


CLASSES: dict[str, Callable[[], Any]] = {
    "raw-aiohttp": Raw,
    "twiliorm": Twiliorm,
    "twiliorm-client": TwiliormClient,
    "official-async": OfficialAsync,
}


async def fan_out(fetch: Callable[[str], Awaitable[Any]], sids: list[str]) -> None:
    """``WIDTH`` tasks sharing one iterator: exactly ``WIDTH`` requests in flight."""
    pending = iter(sids)

    async def worker() -> None:
        for sid in pending:
            await fetch(sid)

    await asyncio.gather(*(worker() for _ in range(WIDTH)))


class Clock:
    """Wall time, process CPU time (user + system, and each) and the cyclic collector's
    collections per generation, from ``start()`` to ``stop()``."""

    def start(self) -> None:
        self.gc0 = [g["collections"] for g in gc.get_stats()]
        self.t0, self.os0, self.c0 = time.perf_counter(), os.times(), time.process_time()

    def stop(self, handled: int) -> dict[str, Any]:
        c1, os1, t1 = time.process_time(), os.times(), time.perf_counter()
        gcs = [g["collections"] - n for g, n in zip(gc.get_stats(), self.gc0, strict=True)]
        return {
            "handled": handled,
            "wall_s": t1 - self.t0,
            "cpu_s": c1 - self.c0,
            "user_s": os1.user - self.os0.user,
            "sys_s": os1.system - self.os0.system,
            "gc": gcs,
        }


async def run_async(name: str, workload: str, env: dict[str, Any]) -> dict[str, Any]:
    client = CLASSES[name]()
    await client.open(env)
    await client.fetch(env["warm_sid"])
    clock = Clock()
    clock.start()
    if workload == "iterate":
        handled = await client.iterate()
    else:
        await fan_out(client.fetch, env["fetch_sids"])
        handled = len(env["fetch_sids"])
    figures = clock.stop(handled)
    await client.close()
    return figures


def run_sync(env: dict[str, Any]) -> dict[str, Any]:
    """twiliorm's sync client, one fetch after another."""
    import twiliorm

    messages = twiliorm.Message.objects.using(
        twiliorm.Client(ACCOUNT, TOKEN, base_url=env["base_url"])
    )
    messages.get(sid=env["warm_sid"])
    clock = Clock()
    clock.start()
    for sid in env["fetch_sids"]:
        messages.get(sid=sid)
    return clock.stop(len(env["fetch_sids"]))


def child(client: str, workload: str, env_path: str) -> None:
    env = json.loads(Path(env_path).read_text())
    if client == "twiliorm-sync":
        figures = run_sync(env)
    else:
        figures = asyncio.run(run_async(client, workload, env))
    print(json.dumps(figures))


# --- the orchestrator --------------------------------------------------------------------


def write_env(folder: str, server: CountingServer, listing: Listing, fetches: int) -> str:
    env = {
        "base_url": server.base_url,
        "warm_sid": listing.sids[0],
        "fetch_sids": listing.sids[1 : 1 + fetches],
    }
    path = os.path.join(folder, f"env-{server.server_address[1]}-{fetches}.json")
    Path(path).write_text(json.dumps(env))
    return path


def run_child(
    env: str, server: CountingServer, client: str, workload: str, under: tuple[str, ...] = ()
) -> dict[str, Any]:
    """One child's figures (run ``under`` a command such as valgrind, if given)."""
    command = [*under, sys.executable, "-m", "tests.bench.async_fetch", "--child"]
    command += [client, workload, env]
    server.take_counts()
    accepted, c0 = server.accepted, time.process_time()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    server_cpu, accepted = time.process_time() - c0, server.accepted - accepted
    counts, sizes = server.take_counts()
    if done.returncode != 0:
        raise SystemExit(f"{client} {workload} failed:\n{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    counted = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)  # valgrind's, of the whole run
    if counted:
        figures["instructions"] = int(counted[1].replace(",", ""))
    expected = {"GET fetch": figures["handled"] + 1}  # the warm-up fetch
    if workload == "iterate":
        expected = {"GET fetch": 1, "GET list": -(-figures["handled"] // PAGE_SIZE_MAX)}
    if dict(counts) != expected or set(sizes) - {str(PAGE_SIZE_MAX)}:
        raise SystemExit(f"{client} {workload}: sent {dict(counts)} {dict(sizes)}, not {expected}")
    return figures | {"server_cpu_s": server_cpu, "connections": accepted}


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    listing = Listing.build(ACCOUNT, args.records, seed=1)
    listing.prerender(PAGE_SIZE_MAX)
    servers = {
        "0": CountingServer([listing], TOKEN).start(),
        "50": CountingServer([listing], TOKEN, latency=LATENCY).start(),
    }
    plan = {w: c for w, c in PLAN.items() if args.only is None or w in args.only}
    runs: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            envs = {k: write_env(folder, s, listing, args.fetches) for k, s in servers.items()}
            for rep in range(args.reps):
                print(f"repetition {rep + 1}/{args.reps}, load {os.getloadavg()}", flush=True)
                for workload, clients in plan.items():
                    key = "50" if workload.endswith("50ms") else "0"
                    for client in rotated(clients, rep):
                        figures = run_child(envs[key], servers[key], client, workload)
                        runs.append({"workload": workload, "client": client, "rep": rep, **figures})
        assert servers["0"].late_renders == 0, "a page was rendered during a timed run"
    finally:
        for s in servers.values():
            s.stop()
    return runs


VALGRIND = ("valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null")
BASE_FETCHES = 200  # --instructions: the run whose count is taken off (start-up, warm-up)


def instructions(args: argparse.Namespace) -> str:
    """fetch@0ms with each client under valgrind, twice: BASE_FETCHES fetches, then
    ``--fetches`` more; the difference over ``--fetches`` is the user-space
    instructions per fetch (start-up, imports and warm-up cancel out), which the
    machine's load does not move (the kernel's share is not in it)."""
    listing = Listing.build(ACCOUNT, BASE_FETCHES + args.fetches + 1, seed=1)
    server = CountingServer([listing], TOKEN).start()
    per: dict[str, float] = {}
    try:
        with tempfile.TemporaryDirectory() as folder:
            small, big = (
                write_env(folder, server, listing, n)
                for n in (BASE_FETCHES, BASE_FETCHES + args.fetches)
            )
            for client in PLAN["fetch@0ms"]:
                counts = [
                    run_child(env, server, client, "fetch@0ms", VALGRIND)["instructions"]
                    for env in (small, big)
                ]
                per[client] = (counts[1] - counts[0]) / args.fetches
                print(f"{client}: {per[client] / 1e3:.1f}k instructions per fetch", flush=True)
    finally:
        server.stop()
    return "\n".join(
        f"| {client} | {n / 1e3:.1f}k | {n / per[REFERENCE]:.2f} |" for client, n in per.items()
    )


# --- the report ---------------------------------------------------------------------------


def _rows(runs: list[dict[str, Any]], workload: str, client: str) -> list[dict[str, Any]]:
    return [r for r in runs if (r["workload"], r["client"]) == (workload, client)]


def table(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| workload | client | wall ms | CPU ms | CPU µs per fetch/record | "
        f"wall ÷ {REFERENCE} | CPU ÷ {REFERENCE} | connections | server CPU ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for workload, clients in PLAN.items():
        for client in clients:
            mine = _rows(runs, workload, client)
            if not mine:
                continue
            ref = (workload, REFERENCE)
            walls = paired(runs, (workload, client), ref, "wall_s")
            cpus = paired(runs, (workload, client), ref, "cpu_s")
            per = stat([r["cpu_s"] / r["handled"] * 1e6 for r in mine])
            lines.append(
                f"| {workload} | {client} | {fmt(stat([r['wall_s'] * 1e3 for r in mine]))} "
                f"| {fmt(stat([r['cpu_s'] * 1e3 for r in mine]))} | {fmt(per, 1)} "
                f"| {fmt(walls, 2) if walls else '-'} | {fmt(cpus, 2) if cpus else '-'} "
                f"| {fmt(stat([r['connections'] for r in mine]))} "
                f"| {fmt(stat([r['server_cpu_s'] * 1e3 for r in mine]))} |"
            )
    return "\n".join(lines)


def targets(runs: list[dict[str, Any]]) -> list[tuple[str, Any, bool]]:
    """(issue 14's target, the paired figure, met?) for those the run measured."""
    checks = [
        ("fetch@50ms wall, twiliorm ÷ raw-aiohttp", "fetch@50ms", "twiliorm", "wall_s"),
        ("fetch@50ms CPU, twiliorm ÷ raw-aiohttp", "fetch@50ms", "twiliorm", "cpu_s"),
        ("fetch@0ms CPU, twiliorm ÷ raw-aiohttp", "fetch@0ms", "twiliorm", "cpu_s"),
        ("iterate CPU per record, twiliorm ÷ raw-aiohttp", "iterate", "twiliorm", "cpu_s"),
    ]
    found = []
    for label, workload, client, key in checks:
        ratio = paired(runs, (workload, client), (workload, REFERENCE), key)
        if ratio:
            found.append((f"{label} ≤ {TARGET}", ratio, ratio["median"] <= TARGET))
    speedup = paired(runs, ("seq@50ms", "twiliorm-sync"), ("fetch@50ms", "twiliorm"), "wall_s")
    if speedup:
        label = f"sequential sync wall ÷ twiliorm async wall ≥ {SPEEDUP}"
        found.append((label, speedup, speedup["median"] >= SPEEDUP))
    return found


def render(runs: list[dict[str, Any]], fetches: int) -> str:
    lines = [table(runs), ""]
    for label, ratio, met in targets(runs):
        lines.append(f"- {label}: {fmt(ratio, 2)} {'met' if met else 'MISSED'}")
    ideal = -(-fetches // WIDTH) * LATENCY * 1e3  # rounds of WIDTH requests, 50 ms each
    lines.append(f"- the floor at 50 ms: {fetches} fetches in rounds of {WIDTH}: {ideal:.0f} ms")
    return "\n".join(lines)


def versions() -> dict[str, str]:
    import importlib.metadata as md

    return {name: md.version(name) for name in ("aiohttp", "twilio", "orjson", "urllib3")}


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m tests.bench.async_fetch", description=__doc__)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--fetches", type=int, default=1_000, help="fetches in (a), (b), (d)")
    p.add_argument("--records", type=int, default=20_000, help="records iterated in (c)")
    p.add_argument("--quick", action="store_true", help="50 fetches, 2,000 records, 1 rep")
    p.add_argument("--only", nargs="*", choices=sorted(PLAN), help="run only these workloads")
    p.add_argument("--out", help="also write the runs as JSON here")
    p.add_argument(
        "--instructions",
        action="store_true",
        help=f"instead: instructions per fetch under valgrind ({BASE_FETCHES} fetches, "
        "then --fetches more, each client)",
    )
    p.add_argument(
        "--child", nargs=3, metavar=("CLIENT", "WORKLOAD", "ENV"), help=argparse.SUPPRESS
    )
    args = p.parse_args(argv)
    if args.quick:
        args.reps, args.fetches, args.records = 1, 50, 2_000
    if args.fetches < 1 or args.records < 1 or args.reps < 1:
        p.error("--reps, --fetches and --records must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.child:
        child(*args.child)
        return 0
    if args.instructions:
        rows = instructions(args)
        print(f"\n| client | instructions per fetch | ÷ {REFERENCE} |\n|---|---|---|\n{rows}")
        return 0
    load0, started = os.getloadavg(), time.perf_counter()
    runs = measure(args)
    load1 = os.getloadavg()
    print(render(runs, args.fetches))
    print(f"\nversions: {versions()}")
    print(
        f"load average before {load0}, after {load1}; {os.cpu_count()} CPUs; "
        f"{time.perf_counter() - started:.0f} s"
    )
    if args.out:
        meta = {"versions": versions(), "load_before": load0, "load_after": load1}
        Path(args.out).write_text(json.dumps({"meta": meta, "runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
