"""Profile one twiliorm workload: ``python -m tests.bench.profile iterate|list|fetch|create``.

Serves pre-rendered pages from a server thread in this process and runs the
workload under cProfile, which sees the calling thread only: the server's
threads stay out of the profile, and so does the prefetch thread (pass
``--no-prefetch`` to see page fetching and JSON parsing in the profile).
Prints the functions that cost the most time of their own.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys

import twiliorm
from twiliorm import Message

from .clients import FORM
from .data import PAGE_SIZE_MAX, Listing
from .run import ACCOUNTS, TOKEN
from .server import PageServer


def workload(name: str, qs: twiliorm.QuerySet[Message], sids: list[str], prefetch: bool) -> None:
    if name == "iterate" and prefetch:
        for _ in qs.iterator():
            pass
    elif name == "iterate":  # what iterator() does, one page after another
        for page in qs.pages(prefetch=False):
            for _ in page.each():
                pass
    elif name == "list":
        list(qs.all())
    elif name == "fetch":
        for sid in sids:
            qs.get(sid=sid)
    elif name == "create":
        for _ in sids:
            qs.create(to=FORM["To"], from_=FORM["From"], body=FORM["Body"])


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="python -m tests.bench.profile")
    p.add_argument("workload", choices=("iterate", "list", "fetch", "create"))
    p.add_argument("--n", type=int, default=20_000, help="records in the list")
    p.add_argument("--calls", type=int, default=500, help="fetches or creates")
    p.add_argument("--no-prefetch", action="store_true")
    p.add_argument("--top", type=int, default=25)
    args = p.parse_args(argv)
    listing = Listing.build(ACCOUNTS[20_000], args.n, seed=1)
    listing.prerender(PAGE_SIZE_MAX)
    server = PageServer([listing], TOKEN).start()
    try:
        client = twiliorm.Client(listing.account, TOKEN, base_url=server.base_url)
        qs = Message.objects.using(client)
        qs.get(sid=listing.sids[0])  # warm-up: connection, generated structure function
        profiler = cProfile.Profile()
        sids = listing.sids[: args.calls]
        profiler.runcall(workload, args.workload, qs, sids, not args.no_prefetch)
    finally:
        server.stop()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
