"""``twiliorm sandbox``: serve the local Twilio-compatible API on 127.0.0.1."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

__all__ = ["add_parser"]


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "sandbox",
        help="serve the local Twilio-compatible API",
        description="Serve the Twilio API 2010-04-01 sandbox on 127.0.0.1 until interrupted.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=8008, help="port (default 8008; 0 picks a free one)"
    )
    parser.add_argument(
        "--db", metavar="FILE", help="keep state in this SQLite file across restarts"
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        metavar="MS",
        help="add MS milliseconds to every answer",
    )
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from ..sandbox import Sandbox

    if not args.quiet:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    sandbox = Sandbox(host=args.host, port=args.port, db=args.db, latency_ms=args.latency)
    sandbox.start()
    print(f"twiliorm sandbox on {sandbox.base_url}", flush=True)
    print(f"  export TWILIO_API_BASE_URL={sandbox.base_url}")
    print(f"  export TWILIO_ACCOUNT_SID={sandbox.account_sid}")
    print(f"  export TWILIO_AUTH_TOKEN={sandbox.auth_token}", flush=True)
    try:
        sandbox.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0
