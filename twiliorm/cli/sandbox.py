"""``twiliorm sandbox``: serve the local Twilio-compatible API on 127.0.0.1.

It prints where it listens and the credentials to use (as ``export`` lines
for a shell), then logs one line per request until Ctrl-C (or SIGTERM)
stops it. ``--db FILE`` keeps everything across restarts; ``--records N``
stores N messages and N calls (once per database; ``--seed N`` is its former,
deprecated name); ``--latency``, ``--faults`` / ``--fault-seed`` and
``--concurrency-limit`` make it behave like a slow, flaky or busy Twilio (see
:mod:`twiliorm.sandbox.faults`); ``--request-timeout``, ``--idle-timeout`` and
``--max-connections`` bound what slow clients hold.

What keeps it from starting (a port in use or out of range, a database
file it cannot use or that another sandbox is serving, a bad option value)
is one line on stderr and exit status 2, without a traceback. One sandbox
at a time serves a ``--db`` file: it holds ``FILE.lock`` until it stops.
"""

from __future__ import annotations

import argparse
import logging
import signal
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
        "--port", type=_count, default=8008, help="port (default 8008; 0 picks a free one)"
    )
    parser.add_argument(
        "--db", metavar="FILE", help="keep every record and credential in this SQLite file"
    )
    parser.add_argument(
        "--records",
        type=_count,
        default=0,
        metavar="N",
        help="store N made-up messages and N calls (once per database)",
    )
    parser.add_argument("--seed", type=_count, dest="seed", help=argparse.SUPPRESS)
    parser.add_argument(
        "--latency", type=float, default=0.0, metavar="MS", help="add MS milliseconds to answers"
    )
    parser.add_argument(
        "--faults",
        metavar="SPEC",
        help="inject faults: comma-separated KIND[@METHOD]=RATE[:ARG], e.g. 429=0.1:2,reset=0.01",
    )
    parser.add_argument(
        "--fault-seed", type=int, default=0, metavar="N", help="random seed of the faults drawn"
    )
    parser.add_argument(
        "--concurrency-limit",
        type=int,
        metavar="K",
        help="answer 429 (code 20429) above K requests in flight per account (K >= 1)",
    )
    _add_limits(parser)
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    parser.set_defaults(handler=run)


def _add_limits(parser: argparse.ArgumentParser) -> None:
    """What slow clients may hold (the defaults are the sandbox's own, in its docstring)."""
    parser.add_argument(
        "--request-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="a request's head must arrive within SECONDS of its first byte, and its body "
        "within as many again (default 30)",
    )
    parser.add_argument(
        "--idle-timeout",
        type=_seconds,
        metavar="SECONDS",
        help="close a keep-alive connection idle for SECONDS (default 60)",
    )
    parser.add_argument(
        "--max-connections",
        type=_count,
        metavar="N",
        help="serve at most N connections at once, one more is answered 503 (default 256)",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:  # NaN too
        raise argparse.ArgumentTypeError(f"expected more than 0 seconds, got {text}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, got {value}")
    return value


def run(args: argparse.Namespace) -> int:
    # Imported here: other commands need none of the sandbox (a quarter second to import).
    from ..sandbox import Sandbox

    if not args.quiet:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    try:
        sandbox = Sandbox(**_options(args))
    except (ValueError, OSError, RuntimeError) as exc:
        return _cannot_start(exc)
    try:
        sandbox.start()
    except (OSError, RuntimeError) as exc:
        sandbox.stop()
        return _cannot_start(exc)
    signal.signal(signal.SIGTERM, _interrupt)
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


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The Sandbox's keywords; a limit not given is left to the sandbox's own default."""
    limits = ("request_timeout", "idle_timeout", "max_connections")
    return {
        "host": args.host,
        "port": args.port,
        "db": args.db,
        "latency_ms": args.latency,
        "faults": args.faults,
        "fault_seed": args.fault_seed,
        "concurrency_limit": args.concurrency_limit,
        "records": _records(args),
        **{name: getattr(args, name) for name in limits if getattr(args, name) is not None},
    }


def _records(args: argparse.Namespace) -> int:
    if args.seed is None:
        return int(args.records)
    print("twiliorm sandbox: --seed N is deprecated: use --records N", file=sys.stderr)
    return int(args.records or args.seed)


def _cannot_start(exc: BaseException) -> int:
    print(f"twiliorm sandbox: {exc}", file=sys.stderr)
    return 2


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # stop as Ctrl-C does: close the database cleanly
