"""The ``twiliorm`` command: one subcommand per module of this package.

Each module defines ``add_parser(subparsers)``, which registers its command
and sets ``handler``. :func:`main` runs it and owns what every command does
when something goes wrong: an error prints one line (Twilio's code and
message, or the file and what the system said) and exits 1, never a
traceback; a reader that went away (``| head``) ends it quietly with 141, as
for any command killed by SIGPIPE; Ctrl-C exits 130. Warnings (a query that
scans the whole list) are notes on stderr, one line each.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from ..exceptions import AuthenticationError, TwilioRestError, TwiliormError
from . import browse, bulk, demo, sandbox
from .common import notes

__all__ = ["build_parser", "main"]

COMMANDS = (sandbox, demo, browse, bulk)
CLOSED_PIPE = 141  # 128 + SIGPIPE, what a shell reports for `ls | head -1`


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="twiliorm",
        description="Twilio's REST API 2010-04-01 as Django-style models, with a local sandbox.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with notes():
            status = int(args.handler(args) or 0)
        sys.stdout.flush()  # a full disk or a closed pipe shows here, not at exit
        return status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return CLOSED_PIPE
    except (TwiliormError, OSError) as exc:
        print(f"twiliorm: {_one_line(exc)}", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, AuthenticationError):
        return (
            f"error {exc.code}: {exc.message} (check TWILIO_ACCOUNT_SID and "
            "TWILIO_AUTH_TOKEN, or --base-url for a sandbox)"
        )
    if isinstance(exc, TwilioRestError):
        return f"error {exc.code}: {exc.message}"
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}"
    return str(exc)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush finds no closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is no file (captured): nothing to flush
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
