"""What serving a full listing costs the sandbox, beside what it costs the client.

``python -m tests.bench.sandbox_listing [--messages 100000] [--reps 3]``

1. Populates a sandbox with N messages (``Sandbox.populate``) and reports the time.
2. Lists all of them with PageSize=1000, ``reps`` times, from a client in a
   subprocess (twiliorm's ``Message.objects.iterator()``; the official
   ``twilio`` client with ``page_size=1000`` for reference), so the client's
   CPU time (its whole process) and the server's are measured apart.
3. The server's CPU is the handler thread's CPU time (``time.thread_time``)
   around each request it handles: parsing, auth, the SQL page, rendering,
   writing. Reported per page, as medians over the pages of all repetitions,
   with the client's CPU per page for the same listing.

Nothing here is asserted: the machine is shared and noisy; this prints
numbers to read (and ``--out`` writes them as JSON).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from twiliorm.sandbox import Sandbox
from twiliorm.sandbox import server as sandbox_server

ROOT = Path(__file__).resolve().parents[2]

CLIENTS = {
    "twiliorm": """
import time, twiliorm
from twiliorm import Message
client = twiliorm.Client(SID, TOKEN, base_url=BASE)
started, cpu = time.perf_counter(), time.process_time()
count = sum(1 for _ in Message.objects.using(client).iterator())
""",
    "official": """
import time
from twilio.rest import Client
client = Client(SID, TOKEN)
client.api.base_url = BASE
started, cpu = time.perf_counter(), time.process_time()
count = sum(1 for _ in client.messages.stream(page_size=1000))
""",
}
_REPORT = """
print(json.dumps({"count": count, "cpu": time.process_time() - cpu,
                  "wall": time.perf_counter() - started}))
"""


class Meter:
    """CPU time of the sandbox's handler thread around each request, by path."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.lock = threading.Lock()
        self._original = sandbox_server._Handler.handle_one_request

    def __enter__(self) -> Meter:
        original, meter = self._original, self

        def measured(handler: Any) -> None:
            cpu = time.thread_time()
            original(handler)
            spent = time.thread_time() - cpu
            # a keep-alive connection ends with one more call that reads nothing: not a page
            if handler.raw_requestline and getattr(handler, "command", None) == "GET":
                with meter.lock:
                    meter.samples.append(spent)

        sandbox_server._Handler.handle_one_request = measured  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        sandbox_server._Handler.handle_one_request = self._original  # type: ignore[method-assign]

    def take(self) -> list[float]:
        with self.lock:
            taken, self.samples = self.samples, []
        return taken


def run_client(name: str, sandbox: Sandbox) -> dict[str, float]:
    head = (
        f"import json\nSID={sandbox.account_sid!r}\nTOKEN={sandbox.auth_token!r}\n"
        f"BASE={sandbox.base_url!r}\n"
    )
    code = head + CLIENTS[name] + _REPORT
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(messages: int, reps: int) -> dict[str, Any]:
    out: dict[str, Any] = {"messages": messages, "reps": reps}
    with Sandbox() as sandbox, Meter() as meter:
        started, cpu = time.perf_counter(), time.process_time()
        sandbox.populate(messages, calls=0)
        out["populate_wall_s"] = time.perf_counter() - started
        out["populate_cpu_s"] = time.process_time() - cpu
        meter.take()
        for name in CLIENTS:
            server, client, walls = [], [], []
            for _ in range(reps):
                result = run_client(name, sandbox)
                assert result["count"] == messages, result
                pages = meter.take()
                server += pages
                client.append(result["cpu"] / len(pages))
                walls.append(result["wall"])
            out[name] = {
                "pages_per_listing": len(server) // reps,
                "server_cpu_ms_per_page": 1000 * statistics.median(server),
                "server_cpu_ms_per_page_p90": 1000 * statistics.quantiles(server, n=10)[-1],
                "client_cpu_ms_per_page": 1000 * statistics.median(client),
                "listing_wall_s": statistics.median(walls),
            }
    return out


def report(out: dict[str, Any]) -> str:
    lines = [
        f"populated {out['messages']:,} messages in {out['populate_wall_s']:.2f} s "
        f"({out['populate_cpu_s']:.2f} s CPU)",
        "client      pages  server CPU/page (p90)  client CPU/page  ratio  listing wall",
    ]
    for name in CLIENTS:
        row = out[name]
        ratio = row["server_cpu_ms_per_page"] / row["client_cpu_ms_per_page"]
        lines.append(
            f"{name:<10} {row['pages_per_listing']:>6}  "
            f"{row['server_cpu_ms_per_page']:>8.2f} ms ({row['server_cpu_ms_per_page_p90']:.2f})"
            f"  {row['client_cpu_ms_per_page']:>12.2f} ms  {ratio:>5.2f}"
            f"  {row['listing_wall_s']:>9.2f} s"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", help="also write the numbers to this JSON file")
    args = parser.parse_args()
    out = measure(args.messages, args.reps)
    print(report(out))
    if args.out:
        Path(args.out).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
