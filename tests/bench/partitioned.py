"""A scan in date partitions against the sequential walk and the official client's ``stream()``.

``python -m tests.bench.partitioned [--messages 100000] [--days 42] [--latency 100] [--reps 3]``

1. Makes a sandbox database whose account was created a week before its first
   message, with N messages spread over the last D days
   (:func:`twiliorm.sandbox.populate.populate_messages`, ``step`` = D days / N),
   kept in ``--db`` (made once, reused).
2. Serves it from a child process (``Sandbox(db=..., latency_ms=...)``), so
   the server and the client measured run on different cores.
3. Exports every sent message, ``reps`` times, interleaved and paired:
   ``partitioned`` is ``Message.objects.filter(date_sent__isnull=False).export()``
   (in partitions by default: the lower bound from the account, 16 requests
   at once), ``sequential`` the same with ``concurrently(None)``, ``official``
   is twilio 9.x's ``client.messages.stream(page_size=1000)`` pointed at the
   sandbox (as ``tests/test_official_client.py`` does). The rows of all three
   (SID, created, sent, status, to, from, body) must be identical.
   ``pages`` reads the same partitions' pages and nothing more (no models, no
   CSV): what the read costs without the export; its SIDs must be the same.

Both clients are imported before the first run, each client runs ``--warmup``
times unmeasured first (lazy imports and caches in both, SQLite's page cache
in the server), and a run's CSV is read back into rows after its clock stops.
Each run's wall time, the client's CPU (this process, every thread) and the
server's (the child's, asked before and after) are printed. The sandbox
answers a ``DateSent`` filter from its index of days
(:mod:`twiliorm.sandbox.store`); a database made before it gets the index
when the child opens it.

Prints the medians (wall seconds) and the paired ratios. Nothing is asserted
about time: the machine is shared; the rows are checked.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIELDS = ["sid", "date_created", "date_sent", "status", "to", "from", "body"]
Row = tuple[str, ...]


def prepare(db: str, messages: int, days: float) -> None:
    """The database: an account made ``days`` + 7 days ago, then its messages."""
    from twiliorm.sandbox import Clock, Sandbox
    from twiliorm.sandbox.populate import populate_messages

    if Path(db).exists():
        return
    age = dt.timedelta(days=days + 7)
    started = time.perf_counter()
    with Sandbox(db=db, clock=Clock(start=dt.datetime.now(dt.timezone.utc) - age)) as sandbox:
        sandbox.advance(age.total_seconds())
        populate_messages(sandbox.app, messages, step=days * 86400 / messages)
    print(f"populated {messages} messages over {days} days in {time.perf_counter() - started:.1f}s")


def serve(db: str, latency: float) -> None:
    """The child: serve ``db`` until stdin closes; first line of stdout: where and who."""
    from twiliorm.sandbox import Sandbox

    with Sandbox(db=db, latency_ms=latency) as sandbox:
        who = {"base": sandbox.base_url, "sid": sandbox.account_sid, "token": sandbox.auth_token}
        print(json.dumps(who), flush=True)
        for _ in sys.stdin:  # a line: the CPU this process used so far
            print(json.dumps({"cpu": time.process_time()}), flush=True)


def twiliorm_rows(who: dict[str, str], sequential: bool) -> str:
    """The export's CSV text (read back into rows after the clock stops: the check is
    not the export)."""
    import twiliorm
    from twiliorm import Message

    with twiliorm.Client(who["sid"], who["token"], base_url=who["base"]) as client:
        qs = Message.objects.using(client).filter(date_sent__isnull=False)
        if sequential:
            qs = qs.concurrently(None)
        out = io.StringIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the sequential walk of it is a scan, as said
            qs.export(out, fields=FIELDS, raw_formulas=True)
    return out.getvalue()


def rows_of(result: list[Row] | str) -> list[Row]:
    """Rows, from a run's rows or its CSV text."""
    if isinstance(result, str):
        return [tuple(row) for row in csv.reader(io.StringIO(result))][1:]
    return result


def page_sids(who: dict[str, str]) -> list[Row]:
    """The SIDs of the partitions' pages, as they are read for the export (no models)."""
    import twiliorm
    from twiliorm import Message

    with twiliorm.Client(who["sid"], who["token"], base_url=who["base"]) as client:
        qs = Message.objects.using(client).filter(date_sent__isnull=False).concurrently(16)
        return [(record["sid"],) for page in qs.pages() for record in page.raw]


def official_rows(who: dict[str, str]) -> list[Row]:
    from twilio.rest import Client

    client = Client(who["sid"], who["token"])
    client.api.base_url = who["base"]

    def iso(value: Any) -> str:
        return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else ""

    return [
        (m.sid, iso(m.date_created), iso(m.date_sent), str(m.status), m.to, m.from_, m.body)
        for m in client.messages.stream(page_size=1000)
    ]


def measure(
    run: Callable[[], list[Row] | str], server: Callable[[], float]
) -> tuple[tuple[float, float, float], list[Row]]:
    """(wall, client CPU, server CPU) seconds of ``run``, and its rows."""
    served, cpu, started = server(), time.process_time(), time.perf_counter()
    result = run()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return (wall, cpu, server() - served), rows_of(result)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--days", type=float, default=42.0)
    parser.add_argument("--latency", type=float, default=100.0, help="ms added per request")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--warmup", type=int, default=1, help="unmeasured runs of each client first"
    )
    parser.add_argument("--db", default=None, help="the database (made once; default: temp)")
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.latency)
        return 0
    db = args.db or os.path.join(tempfile.gettempdir(), f"bench-partitioned-{args.messages}.db")
    prepare(db, args.messages, args.days)
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.bench.partitioned",
            "--serve",
            db,
            "--latency",
            str(args.latency),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    stdin, stdout = child.stdin, child.stdout
    who = json.loads(stdout.readline())

    def server_cpu() -> float:
        stdin.write("cpu\n")
        stdin.flush()
        return float(json.loads(stdout.readline())["cpu"])

    import twilio.rest  # noqa: F401  # imported before the clocks: the runs measure reads

    import twiliorm  # noqa: F401

    runs: dict[str, Callable[[], list[Row] | str]] = {
        "partitioned": lambda: twiliorm_rows(who, sequential=False),
        "sequential": lambda: twiliorm_rows(who, sequential=True),
        "official": lambda: official_rows(who),
        "pages": lambda: page_sids(who),
    }
    times: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
    reference: list[Row] | None = None
    try:
        for _ in range(args.warmup):  # first calls: lazy imports, caches, the server's pages
            for run in runs.values():
                run()
        for rep in range(args.reps):
            for name, run in runs.items():
                seconds, rows = measure(run, server_cpu)
                times[name].append(seconds)
                reference = reference or rows
                expected = [row[:1] for row in reference] if name == "pages" else reference
                same = rows == expected
                wall, client, server = seconds
                print(
                    f"rep {rep + 1} {name:12s} {wall:7.2f}s client CPU {client:6.2f}s "
                    f"server CPU {server:6.2f}s {len(rows)} rows identical={same} "
                    f"load {os.getloadavg()[0]:.2f}",
                    flush=True,
                )
                if not same:
                    raise SystemExit(f"{name}: the rows differ from the first run's")
    finally:
        stdin.close()
        child.wait(timeout=60)
    report(times, args)
    return 0


def report(times: dict[str, list[tuple[float, float, float]]], args: argparse.Namespace) -> None:
    print(
        f"\n{args.messages} messages over {args.days:g} days, {args.latency:g} ms a request, "
        f"{args.reps} runs (medians [min-max]; ratios paired by run); load {os.getloadavg()}"
    )
    for name, values in times.items():
        walls = [v[0] for v in values]
        print(
            f"  {name:12s} {statistics.median(walls):7.2f}s  [{min(walls):.2f}-{max(walls):.2f}]"
            f"  client CPU {statistics.median(v[1] for v in values):6.2f}s"
            f"  server CPU {statistics.median(v[2] for v in values):6.2f}s"
        )
    for other in ("sequential", "official"):
        pairs = zip(times["partitioned"], times[other], strict=True)
        ratio = statistics.median(p[0] / o[0] for p, o in pairs)
        print(f"  partitioned / {other:10s} {ratio:.3f} (1/{1 / ratio:.1f})")
    pairs = zip(times["pages"], times["sequential"], strict=True)
    ratio = statistics.median(p[0] / o[0] for p, o in pairs)
    print(f"  pages / sequential export {ratio:.3f} (1/{1 / ratio:.1f})")


if __name__ == "__main__":
    raise SystemExit(main())
