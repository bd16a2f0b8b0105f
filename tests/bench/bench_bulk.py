"""Bulk jobs at full size (``python -m tests.bench.bench_bulk [faults kill export speed cap]``).

The sandbox runs in a process of its own (as Twilio would be remote), so the
job and the server do not share an interpreter lock; the job runs in this
process, or in a child where it must be killed or measured alone. Each
section prints its numbers and checks the issue's targets:

- ``faults``: redact 10,000 messages with 5% 500s, 2% dropped connections
  (1% reset before processing, 1% lost after it), bursts of 429 without
  Retry-After and single 429s with ``Retry-After: 1``: everything redacted,
  each message written once (the sandbox's log), the report equal to the
  sandbox's counts;
- ``kill``: the same job under the same faults in a child process, SIGKILLed
  at 40%, rerun with its checkpoint: done, and no write repeated;
- ``export``: peak RSS of a child exporting 10,000 and 100,000 messages;
- ``speed``: 2,000 updates with 50 ms latency, one at a time and with 8 workers;
- ``cap``: a sandbox admitting K requests in flight (K=4, 16; 50 ms), a job
  with 4K workers: throughput against K/latency and against a job that knows
  K (workers=K), refusals, settled concurrency.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FAULTS = "500=0.05,reset=0.01,lost=0.01,burst429=0.001:10,429=0.005:1"


# --- the sandbox, in a process of its own ------------------------------------------------


def serve(args: argparse.Namespace) -> None:
    """Child: start a sandbox, print where it is, serve until stdin closes, dump the log."""
    from twiliorm.sandbox import Sandbox

    sandbox = Sandbox(
        latency_ms=args.latency,
        faults=args.faults or None,
        fault_seed=3,
        concurrency_limit=args.limit or None,
    )
    if args.messages:
        sandbox.populate(args.messages, 0)
    sandbox.start()
    where = {"base_url": sandbox.base_url, "sid": sandbox.account_sid, "token": sandbox.auth_token}
    print(json.dumps(where), flush=True)
    sys.stdin.read()
    with open(args.log, "w") as out:
        for r in sandbox.requests:
            row = [r.method, r.path, r.status, r.fault, r.at]
            out.write(json.dumps(row) + "\n")
    sandbox.stop()


class Remote:
    """A sandbox process; ``log()`` stops it and returns its request log."""

    def __init__(self, *, latency: float = 0, faults: str = "", limit: int = 0, messages: int = 0):
        self.log_path = tempfile.mktemp(suffix=".log")
        command = [sys.executable, "-m", "tests.bench.bench_bulk", "serve", "--log", self.log_path]
        command += ["--latency", str(latency), "--faults", faults, "--limit", str(limit)]
        command += ["--messages", str(messages)]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        assert self.process.stdout is not None
        self.where = json.loads(self.process.stdout.readline())

    def env(self) -> dict[str, str]:
        return dict(
            os.environ,
            TWILIO_ACCOUNT_SID=self.where["sid"],
            TWILIO_AUTH_TOKEN=self.where["token"],
            TWILIO_API_BASE_URL=self.where["base_url"],
        )

    def client(self) -> Any:
        import twiliorm

        return twiliorm.Client(
            self.where["sid"], self.where["token"], base_url=self.where["base_url"]
        )

    def log(self) -> list[list[Any]]:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=120)
        with open(self.log_path) as handle:
            rows = [json.loads(line) for line in handle]
        os.unlink(self.log_path)
        return rows


def processed_posts(log: list[list[Any]]) -> collections.Counter[str]:
    """Processed writes per path (an injected 5xx, reset, 429 or garbage was not processed)."""
    return collections.Counter(
        path
        for method, path, status, fault, _ in log
        if method == "POST" and 200 <= status < 300 and fault != "garbage"
    )


def check(label: str, ok: bool) -> bool:
    print(f"  [{'ok' if ok else 'FAIL'}] {label}")
    return ok


# --- sections ------------------------------------------------------------------------------


def bench_faults(count: int = 10_000) -> bool:
    from twiliorm import Message

    print(f"faults: redact {count} messages, faults {FAULTS}")
    remote = Remote(faults=FAULTS, messages=count)
    with remote.client() as client:
        report = Message.objects.using(client).update(body="", workers=8, raise_on_failure=False)
        bodies = collections.Counter(m.body == "" for m in Message.objects.using(client).all())
    log = remote.log()
    writes = processed_posts(log)
    faults = collections.Counter(row[3] for row in log if row[3])
    refused = sum(1 for m, p, s, f, _ in log if s == 429 and "/Messages/SM" in p)
    print(f"  {report}".replace("\n", "\n  "))
    print(f"  injected: {dict(faults)}")
    print(
        f"  sandbox: {bodies[True]} redacted, {len(writes)} messages written, "
        f"max writes per message {max(writes.values())}, {refused} refused on instance paths"
    )
    return all(
        [
            check("all redacted", bodies[True] == count and not bodies[False]),
            check("each written once", len(writes) == count and set(writes.values()) == {1}),
            check("report matches", report.succeeded == len(writes) == count and report.ok),
            check("refusals match", report.refused == refused),
        ]
    )


JOB = """
import json, sys, twiliorm
from twiliorm import Message
twiliorm.connect()
report = Message.objects.update(body="", resume=sys.argv[1], workers=8, raise_on_failure=False)
print(json.dumps({"matched": report.matched, "succeeded": report.succeeded,
                  "skipped": report.skipped, "failed": len(report.failed),
                  "reasons": dict(report.reasons), "elapsed": report.elapsed}))
"""


def bench_kill(count: int = 10_000) -> bool:
    print(f"kill: redact {count} messages under faults, SIGKILL at 40%, resume")
    remote = Remote(faults=FAULTS, messages=count)
    checkpoint = Path(tempfile.mkdtemp()) / "redact.ckpt"
    job = subprocess.Popen(
        [sys.executable, "-c", JOB, str(checkpoint)], env=remote.env(), stdout=subprocess.PIPE
    )
    while not checkpoint.exists() or checkpoint.read_text().count("\ndone ") < 0.4 * count:
        time.sleep(0.01)
    job.send_signal(signal.SIGKILL)
    job.wait()
    recorded = checkpoint.read_text().count("\ndone ")
    done = subprocess.run(
        [sys.executable, "-c", JOB, str(checkpoint)],
        env=remote.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    second = json.loads(done.stdout)
    log = remote.log()
    writes = processed_posts(log)
    print(f"  killed with {recorded} records in the checkpoint; rerun: {second}")
    print(
        f"  sandbox: {len(writes)} messages written, max writes per message {max(writes.values())}"
    )
    return all(
        [
            check("killed in the middle", 0 < recorded < count),
            check("rerun completes", second["matched"] == count and second["failed"] == 0),
            check("no write repeated", len(writes) == count and set(writes.values()) == {1}),
        ]
    )


EXPORT = """
import resource, sys, time, psutil, twiliorm
from twiliorm import Message
twiliorm.connect()
Message.objects.first()  # connection and per-class state before the clock starts
base = psutil.Process().memory_info().rss // 1024
started = time.perf_counter()
report = Message.objects.export(sys.argv[1], sys.argv[2])
elapsed = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(report.matched, base, peak, elapsed)
"""


def page_bytes(remote: Remote) -> int:
    """The size of one PageSize=1000 page of messages, as the API sends it."""
    with remote.client() as client:
        path = f"/2010-04-01/Accounts/{remote.where['sid']}/Messages.json"
        return len(client.request("GET", path, params=[("PageSize", "1000")]).body)


def bench_export() -> bool:
    print("export: peak RSS of a process exporting N messages (PageSize=1000)")
    results = {}
    for count in (10_000, 100_000):
        remote = Remote(messages=count)
        for fmt in ("csv", "jsonl"):
            target = Path(tempfile.mkdtemp()) / f"messages.{fmt}"
            out = subprocess.run(
                [sys.executable, "-c", EXPORT, str(target), fmt],
                env=remote.env(),
                capture_output=True,
                text=True,
                check=True,
            )
            rows, base, peak, elapsed = out.stdout.split()
            size = target.stat().st_size
            results[(count, fmt)] = int(peak)
            print(
                f"  {count:>7} {fmt:5}: {rows} rows, {size / 1e6:.1f} MB written in "
                f"{float(elapsed):.1f} s; RSS before {int(base) / 1024:.1f} MiB, "
                f"peak {int(peak) / 1024:.1f} MiB (+{(int(peak) - int(base)) / 1024:.1f})"
            )
        page = page_bytes(remote)
        remote.log()
    growth = max(results[(100_000, f)] - results[(10_000, f)] for f in ("csv", "jsonl"))
    return check(
        f"peak RSS grows {growth / 1024:.1f} MiB from 10k to 100k "
        f"(a page of 1000 is {page / 1e6:.2f} MB of JSON)",
        growth < page * 2 / 1024,
    )


def bench_speed(count: int = 2_000) -> bool:
    from twiliorm import Message

    print(f"speed: update {count} messages, 50 ms latency")
    times = {}
    for label, workers in (("sequential loop", 0), ("bulk, 1 worker", 1), ("bulk, 8 workers", 8)):
        remote = Remote(latency=50, messages=count)
        with remote.client() as client:
            started = time.perf_counter()
            if workers:
                Message.objects.using(client).update(body="", workers=workers)
            else:
                for message in Message.objects.using(client).all():
                    message.body = ""
                    message.save()
            times[label] = time.perf_counter() - started
        remote.log()
        print(f"  {label:16}: {times[label]:.1f} s")
    ratio = times["bulk, 8 workers"] / times["sequential loop"]
    return check(f"8 workers take {ratio:.3f} of the sequential time (target <= 0.2)", ratio <= 0.2)


def bench_cap(count: int = 2_000) -> bool:
    from twiliorm import Message

    print(f"cap: update {count} messages, 50 ms latency, the sandbox admits K in flight")
    ok = True
    for cap in (4, 16):
        rows = {}
        for workers in (cap, 4 * cap):
            remote = Remote(latency=50, limit=cap, messages=count)
            with remote.client() as client:
                report = Message.objects.using(client).update(body="", workers=workers)
            log = remote.log()
            posts = [row for row in log if row[0] == "POST"]
            refused = sum(1 for row in posts if row[2] == 429)
            rows[workers] = (count / report.elapsed, refused, len(posts), report.concurrency)
            print(
                f"  K={cap:2} workers={workers:2}: {count / report.elapsed:6.1f} updates/s, "
                f"{refused}/{len(posts)} refused ({refused / len(posts):.1%}), "
                f"settled at {report.concurrency:g} in flight"
            )
        adaptive, known = rows[4 * cap], rows[cap]
        ideal = cap / 0.050
        print(
            f"  K={cap}: {adaptive[0] / ideal:.0%} of K/latency ({ideal:.0f}/s), "
            f"{adaptive[0] / known[0]:.0%} of a job that knows K"
        )
        ok &= check(f"K={cap}: >= 90% of what the cap allows", adaptive[0] >= 0.9 * known[0])
        ok &= check(f"K={cap}: <= 5% refused", adaptive[1] <= 0.05 * adaptive[2])
    return ok


SECTIONS = {
    "faults": bench_faults,
    "kill": bench_kill,
    "export": bench_export,
    "speed": bench_speed,
    "cap": bench_cap,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.bench_bulk")
    parser.add_argument("sections", nargs="*", default=[], help=", ".join(SECTIONS))
    parser.add_argument("--log", help=argparse.SUPPRESS)
    parser.add_argument("--latency", type=float, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--faults", default="", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--messages", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.sections == ["serve"]:
        serve(args)
        return 0
    unknown = set(args.sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    results = [SECTIONS[name]() for name in args.sections or SECTIONS]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"max RSS of this process: {peak / 1024:.0f} MiB")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
