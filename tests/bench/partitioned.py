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

``--index`` first adds to the database an index of the messages' ``date_sent``
day (the filter's value, in list order): the sandbox has none, so each
narrowed page there is a scan of the whole list, under one lock (an unnarrowed
page reads from its token on). It stands in for the index the real API
evidently has; the figures say which was used.

Prints the medians (wall seconds) and the paired ratios. Nothing is asserted
about time: the machine is shared; the rows are checked.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import io
import json
import os
import shutil
import sqlite3
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


def add_index(db: str) -> str:
    """A copy of ``db`` with an index of the ``date_sent`` day (see the module docstring)."""
    indexed = db.removesuffix(".db") + "-indexed.db"
    if not Path(indexed).exists():
        shutil.copyfile(db, indexed)
        with contextlib.closing(sqlite3.connect(indexed)) as connection:
            connection.execute(_INDEX)
            connection.commit()
    return indexed


_INDEX = (
    "CREATE INDEX IF NOT EXISTS bench_date_sent ON records "
    "(resource, account, parent, substr(json_extract(idx, '$.date_sent'), 1, 10), seq)"
)


def serve(db: str, latency: float) -> None:
    """The child: serve ``db`` until stdin closes; first line of stdout: where and who."""
    from twiliorm.sandbox import Sandbox

    with Sandbox(db=db, latency_ms=latency) as sandbox:
        who = {"base": sandbox.base_url, "sid": sandbox.account_sid, "token": sandbox.auth_token}
        print(json.dumps(who), flush=True)
        sys.stdin.read()
        print(json.dumps({"requests": len(sandbox.requests)}), flush=True)


def twiliorm_rows(who: dict[str, str], sequential: bool) -> list[Row]:
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
    return [tuple(row) for row in csv.reader(io.StringIO(out.getvalue()))][1:]


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


def measure(run: Callable[[], list[Row]]) -> tuple[float, list[Row]]:
    started = time.perf_counter()
    rows = run()
    return time.perf_counter() - started, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--days", type=float, default=42.0)
    parser.add_argument("--latency", type=float, default=100.0, help="ms added per request")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--db", default=None, help="the database (made once; default: temp)")
    parser.add_argument("--index", action="store_true", help="index the date_sent day first")
    parser.add_argument("--serve", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.latency)
        return 0
    db = args.db or os.path.join(tempfile.gettempdir(), f"bench-partitioned-{args.messages}.db")
    prepare(db, args.messages, args.days)
    if args.index:
        db = add_index(db)
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
    who = json.loads(child.stdout.readline())
    runs: dict[str, Callable[[], list[Row]]] = {
        "partitioned": lambda: twiliorm_rows(who, sequential=False),
        "sequential": lambda: twiliorm_rows(who, sequential=True),
        "official": lambda: official_rows(who),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    reference: list[Row] | None = None
    try:
        for rep in range(args.reps):
            for name, run in runs.items():
                seconds, rows = measure(run)
                times[name].append(seconds)
                reference = reference or rows
                same = rows == reference
                print(f"rep {rep + 1} {name:12s} {seconds:7.2f}s {len(rows)} rows identical={same}")
                if not same:
                    raise SystemExit(f"{name}: the rows differ from the first run's")
    finally:
        child.stdin.close()
        child.wait(timeout=60)
    report(times, args)
    return 0


def report(times: dict[str, list[float]], args: argparse.Namespace) -> None:
    index = "an index of the date_sent day added" if args.index else "the sandbox as it is"
    print(
        f"\n{args.messages} messages over {args.days:g} days, {args.latency:g} ms a request, "
        f"{index}, {args.reps} runs (medians; ratios paired by run)"
    )
    for name, values in times.items():
        print(
            f"  {name:12s} {statistics.median(values):7.2f}s  [{min(values):.2f}-{max(values):.2f}]"
        )
    for other in ("sequential", "official"):
        ratios = [p / o for p, o in zip(times["partitioned"], times[other], strict=True)]
        ratio = statistics.median(ratios)
        print(f"  partitioned / {other:10s} {ratio:.3f} (1/{1 / ratio:.1f})")


if __name__ == "__main__":
    raise SystemExit(main())
