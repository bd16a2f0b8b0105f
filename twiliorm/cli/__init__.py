"""The ``twiliorm`` command: one subcommand per module of this package.

Each module defines ``add_parser(subparsers)``, which registers its command
and sets ``handler``; errors print one line (Twilio's code and message) and
exit non-zero, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..exceptions import AuthenticationError, TwilioRestError, TwiliormError
from . import browse, bulk, demo, sandbox

__all__ = ["main"]

COMMANDS = (sandbox, demo, browse, bulk)


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
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except AuthenticationError as exc:
        print(
            f"twiliorm: error {exc.code}: {exc.message} (check TWILIO_ACCOUNT_SID and "
            "TWILIO_AUTH_TOKEN, or --base-url for a sandbox)",
            file=sys.stderr,
        )
    except TwilioRestError as exc:
        print(f"twiliorm: error {exc.code}: {exc.message}", file=sys.stderr)
    except TwiliormError as exc:
        print(f"twiliorm: {exc}", file=sys.stderr)
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
