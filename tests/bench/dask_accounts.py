"""Sub-accounts read through Dask worker processes against one process reading them in turn.

``python -m tests.bench.dask_accounts [--accounts 20] [--messages 5000] [--latency 100]
[--workers 4] [--reps 3]``

1. Makes a sandbox database (``--db``, made once, reused) whose main account has
   ``accounts`` sub-accounts (made over the API) of ``messages`` messages each
   (:func:`twiliorm.sandbox.populate.populate_messages`, a different random seed
   per account, spread over the last 30 days).
2. Serves it from a child process (``Sandbox(db=..., latency_ms=...)``), so the
   server and the readers measured do not share a process.
3. Exports every message of every sub-account, one CSV file per account,
   ``reps`` times, interleaved and paired:

   - ``sequential``: this process, the accounts one after another, each by the
     sequential walk (``Message.objects.using(client, account=sid).export(path)``:
     every message of an account cannot be read in partitions, a queued one has no
     ``date_sent``): what a user writes first;
   - ``dask``: the same queries as tasks on a ``dask.distributed`` LocalCluster of
     ``workers`` worker processes (one thread each), through
     :func:`twiliorm.contrib.dask.export_each`; the workers make the client of the
     alias ``bench`` from their environment (``TWILIO_BENCH_*``), the tasks hold
     no credential. The cluster is started once, before the runs; its start is
     reported apart;
   - ``threads``: for context, this process reading ``workers`` accounts at once
     in a thread pool (one machine, one process, no Dask).

   Every run's files must hold the same rows, in the same order, as the first.

Prints the medians (wall seconds; CPU seconds of the readers: this process, and
for ``dask`` its worker processes too, and of the sandbox's process), the paired
ratios and the load average. Nothing is asserted about time: the machine is shared; the rows are
checked.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from distributed import Client as DaskClient

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ["sid", "account_sid", "date_created", "date_sent", "status", "to", "from", "body"]
DAYS = 30.0
Files = list[Path]


def prepare(db: str, accounts: int, messages: int) -> list[str]:
    """The database and the SIDs of its sub-accounts (kept beside it, in a JSON file)."""
    from twiliorm import Account
    from twiliorm.sandbox import Clock, Sandbox
    from twiliorm.sandbox.populate import populate_messages

    listing = Path(db + ".accounts.json")
    if Path(db).exists() and listing.exists():
        subs: list[str] = json.loads(listing.read_text())
        return subs
    age = dt.timedelta(days=DAYS + 7)
    started = time.perf_counter()
    with Sandbox(db=db, clock=Clock(start=dt.datetime.now(dt.timezone.utc) - age)) as sandbox:
        sandbox.advance(age.total_seconds())
        with sandbox.client() as client:
            made = Account.objects.using(client)
            subs = [made.create(friendly_name=f"isv-{n:03d}").sid for n in range(accounts)]
        for seed, sid in enumerate(subs, start=100):
            populate_messages(
                sandbox.app, messages, account=sid, seed=seed, step=DAYS * 86400 / messages
            )
    listing.write_text(json.dumps(subs))
    took = time.perf_counter() - started
    print(f"populated {accounts} sub-accounts x {messages} messages in {took:.1f}s")
    return subs


def serve(db: str, latency: float) -> None:
    """The child: serve ``db`` until stdin closes; first line of stdout: where and who."""
    from twiliorm.sandbox import Sandbox

    with Sandbox(db=db, latency_ms=latency) as sandbox:
        who = {"base": sandbox.base_url, "sid": sandbox.account_sid, "token": sandbox.auth_token}
        print(json.dumps(who), flush=True)
        sys.stdin.read()


def export_account(sid: str, folder: Path, number: int) -> Path:
    """One account's messages by the sequential walk, to ``folder`` (the client ``bench``)."""
    from twiliorm import Message

    path = folder / f"account-{number:05d}.csv"
    Message.objects.using("bench", account=sid).export(path, fields=FIELDS, raw_formulas=True)
    return path


def sequential(subs: list[str], folder: Path) -> Files:
    return [export_account(sid, folder, n) for n, sid in enumerate(subs)]


def threads(subs: list[str], folder: Path, workers: int) -> Files:
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        return list(pool.map(export_account, subs, [folder] * len(subs), range(len(subs))))


def through_dask(subs: list[str], folder: Path, dask_client: DaskClient) -> Files:
    from twiliorm import Message
    from twiliorm.contrib.dask import export_each

    queries = [Message.objects.using("bench", account=sid) for sid in subs]
    return export_each(
        queries,
        dask_client,
        folder,
        prefix="account",
        fields=FIELDS,
        raw_formulas=True,
    )


def contents(files: Files) -> list[bytes]:
    return [path.read_bytes() for path in files]


def cpu_here() -> float:
    """This process's CPU seconds, every thread (the LocalCluster's scheduler runs here)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cpu_workers(dask_client: DaskClient) -> float:
    """The CPU seconds of every Dask worker process so far."""
    return sum(dask_client.run(cpu_here).values())


def cpu_of(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--messages", type=int, default=5000, help="per sub-account")
    parser.add_argument("--latency", type=float, default=100.0, help="ms added per request")
    parser.add_argument("--workers", type=int, default=4, help="Dask worker processes")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--db", default=None, help="the database (made once; default: temp)")
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.latency)
        return 0
    db = args.db or os.path.join(
        tempfile.gettempdir(), f"bench-dask-{args.accounts}x{args.messages}.db"
    )
    subs = prepare(db, args.accounts, args.messages)
    command = [sys.executable, "-m", "tests.bench.dask_accounts", "--serve", db]
    child = subprocess.Popen(
        [*command, "--latency", str(args.latency)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    who = json.loads(child.stdout.readline())
    # The alias "bench" in this process's environment: the workers inherit it when they start.
    os.environ.update(
        TWILIO_BENCH_ACCOUNT_SID=who["sid"],
        TWILIO_BENCH_AUTH_TOKEN=who["token"],
        TWILIO_BENCH_API_BASE_URL=who["base"],
    )
    work = Path(tempfile.mkdtemp(prefix="bench-dask-"))
    try:
        run(args, subs, work, child.pid)
    finally:
        child.stdin.close()
        child.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    return 0


def run(args: argparse.Namespace, subs: list[str], work: Path, server: int) -> None:
    from distributed import Client as DaskClient
    from distributed import LocalCluster

    from twiliorm.contrib.dask import Connect

    print(f"load average before: {load()}")
    started = time.perf_counter()
    cluster = LocalCluster(
        n_workers=args.workers, processes=True, threads_per_worker=1, dashboard_address=None
    )
    with cluster, DaskClient(cluster) as dask_client:
        dask_client.register_plugin(Connect("bench"))
        print(
            f"cluster of {args.workers} worker processes up in {time.perf_counter() - started:.1f}s"
        )
        runs: dict[str, Callable[[Path], Files]] = {
            "sequential": lambda folder: sequential(subs, folder),
            "dask": lambda folder: through_dask(subs, folder, dask_client),
            "threads": lambda folder: threads(subs, folder, args.workers),
        }
        times: dict[str, list[float]] = {name: [] for name in runs}
        cpu: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
        reference: list[bytes] | None = None
        for rep in range(args.reps):
            order = list(runs) if rep % 2 == 0 else list(reversed(runs))
            for name in order:
                folder = work / f"{name}-{rep}"
                folder.mkdir()
                cpu_before = cpu_here() + cpu_workers(dask_client), cpu_of(server)
                began = time.perf_counter()
                files = runs[name](folder)
                seconds = time.perf_counter() - began
                cpu_after = cpu_here() + cpu_workers(dask_client), cpu_of(server)
                times[name].append(seconds)
                cpu[name].append((cpu_after[0] - cpu_before[0], cpu_after[1] - cpu_before[1]))
                got = contents(files)
                reference = reference or got
                rows = sum(blob.count(b"\n") - 1 for blob in got)
                same = got == reference
                used = cpu[name][-1]
                print(
                    f"rep {rep + 1} {name:10s} {seconds:7.2f}s {rows} rows identical={same} "
                    f"(CPU: readers {used[0]:.1f}s, server {used[1]:.1f}s, load {load()})"
                )
                if not same:
                    raise SystemExit(f"{name}: the rows differ from the first run's")
                shutil.rmtree(folder)
    print(f"load average after: {load()}")
    report(times, cpu, args)


def report(
    times: dict[str, list[float]],
    cpu: dict[str, list[tuple[float, float]]],
    args: argparse.Namespace,
) -> None:
    print(
        f"\n{args.accounts} sub-accounts x {args.messages} messages, {args.latency:g} ms a "
        f"request, {args.workers} workers, {args.reps} runs (medians; ratios paired by run)"
    )
    for name, values in times.items():
        low, high = min(values), max(values)
        readers = statistics.median(c[0] for c in cpu[name])
        server = statistics.median(c[1] for c in cpu[name])
        print(
            f"  {name:10s} {statistics.median(values):7.2f}s  [{low:.2f}-{high:.2f}]  "
            f"CPU readers {readers:.1f}s, server {server:.1f}s"
        )
    for name in ("dask", "threads"):
        ratios = [t / s for t, s in zip(times[name], times["sequential"], strict=True)]
        ratio = statistics.median(ratios)
        print(f"  {name} / sequential {ratio:.3f} (1/{1 / ratio:.1f})")


if __name__ == "__main__":
    raise SystemExit(main())
