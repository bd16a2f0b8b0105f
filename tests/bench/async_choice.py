"""aiohttp or httpx for ``twiliorm[async]`` (issue 14), measured on twiliorm's workload.

``python -m tests.bench.async_choice [--reps 5] [--quick] [--width 64] [--calls] [--out F]``

Against the bench suite's loopback page server (``server.PageServer``: pre-rendered
Message JSON, keep-alive, TCP_NODELAY, one thread per connection), each client runs
in a fresh process per repetition, in an order rotated every repetition:

(a) ``fetch@50ms``: 1,000 fetches of one Message (~1 KB of JSON), 64 in flight,
    the server adding 50 ms to each request: wall time and process CPU time;
(b) ``fetch@0ms``: the same without the 50 ms: CPU per fetch;
(c) ``iterate``: 20 pages of 1,000 records, one page after another: CPU per record;
(d) the official ``twilio`` client's async mode (``AsyncTwilioHttpClient``,
    ``fetch_async()``) in (a) and (b), as the peer figure;
(e) ``seq@50ms``: urllib3 (sync), 1,000 fetches one after another at 50 ms: the
    reference for "at least 5x faster than sequential sync".

Clients: ``aiohttp`` (one ClientSession, TCPConnector(limit=64)); ``httpx``
(AsyncClient, HTTP/1.1, Limits(max_connections=64, max_keepalive_connections=64))
as installed: without sniffio, which anyio >= 4.11 no longer brings, httpcore
1.0.9 pays a failed ``import sniffio`` for each lock and event it makes;
``httpx-fixed``: the same with that import failing once, fast (httpcore's pending
fix; the same as having sniffio installed); ``httpx2``: pydantic's maintained fork
of httpx (same API and settings, Python >= 3.11), and in (a) and (b)
``httpx2-deadline``: each request under ``asyncio.timeout`` (the whole-request
deadline that aiohttp's ``ClientTimeout(total=)`` has built in). All send the same
Basic auth header and decode with orjson; 64 worker tasks share one iterator of
URLs, so every async client has exactly 64 requests in flight.

The orchestrator's own CPU time during a run is the server's (it only waits on
the child otherwise); it is reported with the connections the server accepted.
``--calls`` counts instead the Python function calls per fetch of (a) under
cProfile: a figure that the machine's load does not move.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

from .data import API, PAGE_SIZE_MAX, Listing
from .report import fmt, stat
from .server import PageServer, basic_auth

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "b3nch" + "0" * 27  # as run.py's (not imported: it imports twiliorm, not measured here)
ACCOUNT = "AC" + "20" * 16
WIDTH = int(os.environ.get("ASYNC_CHOICE_WIDTH", "64"))  # requests in flight (--width)
LATENCY = 0.05
ASYNC = ("aiohttp", "httpx", "httpx-fixed", "httpx2", "httpx2-deadline")
PLAN = {  # workload: clients
    "fetch@50ms": (*ASYNC, "official-async"),
    "fetch@0ms": (*ASYNC, "official-async", "urllib3"),
    "iterate": ("aiohttp", "httpx", "httpx-fixed", "httpx2", "urllib3"),
    "seq@50ms": ("urllib3",),
}


def rotated(items: tuple[str, ...], by: int) -> list[str]:
    by %= len(items)
    return [*items[by:], *items[:by]]


def cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


# --- the clients (in the child process) ----------------------------------------------


class Aiohttp:
    async def open(self, headers: dict[str, str]) -> None:
        import aiohttp

        timeout = aiohttp.ClientTimeout(total=30, connect=10)
        connector = aiohttp.TCPConnector(limit=WIDTH)
        self.s = aiohttp.ClientSession(connector=connector, headers=headers, timeout=timeout)

    async def get(self, url: str) -> Any:
        async with self.s.get(url, allow_redirects=False) as r:
            if r.status != 200:
                raise RuntimeError(f"{r.status} for {url}")
            return orjson.loads(await r.read())

    async def close(self) -> None:
        await self.s.close()


class Httpx:
    """httpx as ``pip install httpx`` sets it up today: anyio >= 4.11 no longer pulls
    in sniffio, and httpcore 1.0.9 then re-tries ``import sniffio`` (a failed import,
    never cached: a search of sys.path) for every lock and event it creates."""

    module = "httpx"
    fixed = False  # True: that import fails once, fast (httpcore PR #1103; = sniffio installed)
    deadline = False  # True: each request under asyncio.timeout (a whole-request deadline)

    async def open(self, headers: dict[str, str]) -> None:
        if self.fixed:
            sys.modules["sniffio"] = None  # type: ignore[assignment]
        httpx = importlib.import_module(self.module)
        limits = httpx.Limits(max_connections=WIDTH, max_keepalive_connections=WIDTH)
        timeout = httpx.Timeout(30, connect=10)
        self.c = httpx.AsyncClient(
            http1=True, http2=False, limits=limits, headers=headers, timeout=timeout
        )

    async def get(self, url: str) -> Any:
        if self.deadline:
            async with asyncio.timeout(30):  # Python 3.11+; 3.10 needs wait_for or anyio
                r = await self.c.get(url)
        else:
            r = await self.c.get(url)
        if r.status_code != 200:
            raise RuntimeError(f"{r.status_code} for {url}")
        return orjson.loads(r.content)

    async def close(self) -> None:
        await self.c.aclose()


class HttpxFixed(Httpx):
    fixed = True


class Httpx2(Httpx):
    """pydantic's fork (``import httpx2``, Python >= 3.11): a linear-time pool."""

    module = "httpx2"


class Httpx2Deadline(Httpx2):
    deadline = True


class OfficialAsync:
    """twilio's AsyncTwilioHttpClient; it decodes with json and builds MessageInstance."""

    async def open(self, headers: dict[str, str]) -> None:
        from twilio.http.async_http_client import AsyncTwilioHttpClient
        from twilio.rest import Client

        self.http = AsyncTwilioHttpClient()
        self.client = Client(ACCOUNT, TOKEN, http_client=self.http)
        self.client.api.base_url = self.base  # where every URL it builds starts
        self.messages = self.client.api.v2010.accounts(ACCOUNT).messages

    async def get(self, url: str) -> Any:
        return await self.messages(url.rsplit("/", 1)[1][: -len(".json")]).fetch_async()

    async def close(self) -> None:
        await self.http.close()


MODULES = {"httpx-fixed": "httpx", "httpx2-deadline": "httpx2", "official-async": "twilio"}
CLASSES = {
    "aiohttp": Aiohttp,
    "httpx": Httpx,
    "httpx-fixed": HttpxFixed,
    "httpx2": Httpx2,
    "httpx2-deadline": Httpx2Deadline,
    "official-async": OfficialAsync,
}


async def fan_out(client: Any, urls: list[str]) -> None:
    pending = iter(urls)

    async def worker() -> None:
        for url in pending:
            await client.get(url)

    await asyncio.gather(*(worker() for _ in range(WIDTH)))


async def iterate(get: Any, first: str, base: str) -> int:
    seen, url = 0, first
    while url:
        page = await get(url)
        for _ in page["messages"]:
            seen += 1
        url = page["next_page_uri"] and base + page["next_page_uri"]
    return seen


async def run_async(name: str, workload: str, env: dict[str, Any]) -> dict[str, float]:
    client = CLASSES[name]()
    client.base = env["base_url"]
    await client.open(env["headers"])
    await client.get(env["warm_url"])  # one connection open, per-class state built
    if workload == "calls@50ms":  # Python function calls per fetch: load does not move it
        import cProfile
        import pstats

        profile = cProfile.Profile()
        profile.enable()
        await fan_out(client, env["fetch_urls"])
        profile.disable()
        await client.close()
        calls = pstats.Stats(profile).total_calls  # type: ignore[attr-defined]
        return {"handled": len(env["fetch_urls"]), "calls": calls, "wall_s": 0, "cpu_s": 0}
    c0, t0 = cpu(), time.perf_counter()
    if workload == "iterate":
        handled = await iterate(client.get, env["first_page"], env["base_url"])
    else:
        await fan_out(client, env["fetch_urls"])
        handled = len(env["fetch_urls"])
    t1, c1 = time.perf_counter(), cpu()
    await client.close()
    return {"handled": handled, "wall_s": t1 - t0, "cpu_s": c1 - c0}


def run_urllib3(workload: str, env: dict[str, Any]) -> dict[str, float]:
    import urllib3

    pool = urllib3.PoolManager(headers=env["headers"], maxsize=1)

    def get(url: str) -> Any:
        r = pool.request("GET", url, redirect=False)
        if r.status != 200:
            raise RuntimeError(f"{r.status} for {url}")
        return orjson.loads(r.data)

    get(env["warm_url"])
    c0, t0 = cpu(), time.perf_counter()
    if workload == "iterate":
        handled, url = 0, env["first_page"]
        while url:
            page = get(url)
            for _ in page["messages"]:
                handled += 1
            url = page["next_page_uri"] and env["base_url"] + page["next_page_uri"]
    else:
        for url in env["fetch_urls"]:
            get(url)
        handled = len(env["fetch_urls"])
    t1, c1 = time.perf_counter(), cpu()
    return {"handled": handled, "wall_s": t1 - t0, "cpu_s": c1 - c0}


def child(client: str, workload: str, env_path: str) -> None:
    with open(env_path) as f:
        env = json.load(f)
    if client == "urllib3":
        figures = run_urllib3(workload, env)
    else:
        figures = asyncio.run(run_async(client, workload, env))
    print(json.dumps(figures))


# --- the orchestrator ----------------------------------------------------------------------


class CountingServer(PageServer):
    """The suite's page server, counting the connections it accepts."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.accepted = 0
        self._accept_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._accept_lock:
            self.accepted += 1
        super().process_request(request, client_address)


def write_env(folder: str, server: PageServer, listing: Listing, fetches: int) -> str:
    base = server.base_url
    message = f"{base}{API}/Accounts/{ACCOUNT}/Messages/{{}}.json"
    env = {
        "base_url": base,
        "headers": {"Authorization": basic_auth(ACCOUNT, TOKEN), "Accept": "application/json"},
        "warm_url": message.format(listing.sids[0]),
        "fetch_urls": [message.format(s) for s in listing.sids[1 : 1 + fetches]],
        "first_page": f"{base}{listing.path}?PageSize={PAGE_SIZE_MAX}",
    }
    path = os.path.join(folder, f"env-{server.server_address[1]}.json")
    with open(path, "w") as f:
        json.dump(env, f)
    return path


def run_child(env: str, server: CountingServer, client: str, workload: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "tests.bench.async_choice", "--child", client, workload, env]
    server.take_counts()
    accepted, c0 = server.accepted, cpu()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    server_cpu, accepted = cpu() - c0, server.accepted - accepted
    counts, _ = server.take_counts()
    if done.returncode != 0:
        raise SystemExit(f"{client} {workload} failed:\n{done.stderr}")
    bad = {k: v for k, v in counts.items() if k not in ("GET fetch", "GET list")}
    if bad:
        raise SystemExit(f"{client} {workload}: unexpected requests {bad}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    figures |= {"server_cpu_s": server_cpu, "connections": accepted}
    figures["requests"] = sum(counts.values()) - 1  # the warm-up fetch
    return figures


def measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    records, fetches = (2_000, 100) if args.quick else (20_000, 1_000)
    listing = Listing.build(ACCOUNT, records, seed=1)
    listing.prerender(PAGE_SIZE_MAX)
    servers = {
        "0": CountingServer([listing], TOKEN).start(),
        "50": CountingServer([listing], TOKEN, latency=LATENCY).start(),
    }
    plan = {"calls@50ms": PLAN["fetch@50ms"]} if args.calls else PLAN
    missing = {c for c in CLASSES if importlib.util.find_spec(MODULES.get(c, c)) is None}
    if missing:  # httpx2 is not among the project's dependencies
        print(f"not installed, skipped: {', '.join(sorted(missing))}")
        plan = {w: tuple(c for c in cs if c not in missing) for w, cs in plan.items()}
    runs = []
    try:
        with tempfile.TemporaryDirectory() as folder:
            envs = {k: write_env(folder, s, listing, fetches) for k, s in servers.items()}
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


def paired(runs: list[dict[str, Any]], top: tuple[str, str], bottom: tuple[str, str], key: str):
    """Median [min-max] over repetitions of top's ``key`` / bottom's, run in the same rep."""
    rows: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    for r in runs:
        rows[r["workload"], r["client"]][r["rep"]] = r[key]
    reps = sorted(set(rows[top]) & set(rows[bottom]))
    return stat([rows[top][i] / rows[bottom][i] for i in reps]) if reps else None


def table(runs: list[dict[str, Any]]) -> str:
    lines = [
        "| workload | client | wall ms | CPU ms | CPU µs per fetch/record | "
        "wall ÷ aiohttp | CPU ÷ aiohttp | connections | server CPU ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for workload, clients in PLAN.items():
        for client in clients:
            mine = [r for r in runs if (r["workload"], r["client"]) == (workload, client)]
            if not mine:
                continue
            ref = (workload, "aiohttp")
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
    lines.append("")
    for client in PLAN["fetch@50ms"]:
        seq = paired(runs, ("seq@50ms", "urllib3"), ("fetch@50ms", client), "wall_s")
        if seq:
            lines.append(f"- sequential urllib3 wall ÷ {client} wall at 50 ms: {fmt(seq, 1)}")
    n = max(r["handled"] for r in runs if r["workload"] == "fetch@50ms")
    ideal = -(-n // WIDTH) * LATENCY * 1e3  # rounds of WIDTH requests, 50 ms each
    lines.append(f"- the floor at 50 ms: {n} fetches in rounds of {WIDTH}: {ideal:.0f} ms")
    return "\n".join(lines)


def versions() -> dict[str, str]:
    import importlib.metadata as md

    names = ("aiohttp", "httpx", "httpcore", "httpx2", "httpcore2", "h11", "anyio", "sniffio")
    found = {}
    for name in (*names, "twilio", "urllib3", "orjson"):
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = "absent"
    return found


def main(argv: list[str] | None = None) -> int:
    global WIDTH
    p = argparse.ArgumentParser(prog="python -m tests.bench.async_choice", description=__doc__)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="100 fetches, 2 pages: checks it runs")
    p.add_argument("--out", help="also write the runs as JSON here")
    p.add_argument("--width", type=int, default=WIDTH, help="requests in flight (default 64)")
    p.add_argument("--calls", action="store_true", help="count Python calls per fetch instead")
    p.add_argument(
        "--child", nargs=3, metavar=("CLIENT", "WORKLOAD", "ENV"), help=argparse.SUPPRESS
    )
    args = p.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    WIDTH = args.width
    os.environ["ASYNC_CHOICE_WIDTH"] = str(WIDTH)  # the children read it
    load0, started = os.getloadavg(), time.perf_counter()
    runs = measure(args)
    load1 = os.getloadavg()
    if args.calls:
        for client in PLAN["fetch@50ms"]:
            calls = stat([r["calls"] / r["handled"] for r in runs if r["client"] == client])
            print(f"{client}: {fmt(calls)} Python calls per fetch")
    else:
        print(table(runs))
    print(f"\nversions: {versions()}")
    print(
        f"load average before {load0}, after {load1}; {os.cpu_count()} CPUs; "
        f"{time.perf_counter() - started:.0f} s"
    )
    if args.out:
        meta = {"versions": versions(), "load_before": load0, "load_after": load1}
        with open(args.out, "w") as f:
            json.dump({"meta": meta, "runs": runs}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
