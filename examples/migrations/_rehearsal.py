"""Where the migration examples run: a rehearsal sandbox by default, your account with --live.

A migration changes records for good, so an exported TWILIO_ACCOUNT_SID does
not decide where it runs: without ``--live`` every script rehearses on an
embedded sandbox whose clock began 90 days ago, filled with the sample
records it asks for (the clock is then brought back to today, so "older than
30 days" means something), and the account in the environment is not
touched. ``--live`` works on that account (TWILIO_ACCOUNT_SID /
TWILIO_AUTH_TOKEN, and TWILIO_API_BASE_URL for a ``twiliorm sandbox`` you
started); a live run must name its targets (no defaults stand in for them),
shows what it would change, and asks before changing it; ``--yes`` answers
for a scheduled job.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

import twiliorm
from twiliorm.sandbox import Sandbox
from twiliorm.sandbox.clock import Clock

DAYS_OF_HISTORY = 90


def parser(doc: str) -> argparse.ArgumentParser:
    """The options every script has (``--live``, ``--yes``); it adds its targets."""
    found = argparse.ArgumentParser(
        description=doc.strip().splitlines()[0],
        epilog="Without --live it rehearses on an embedded sandbox with sample data.",
    )
    found.add_argument(
        "--live",
        action="store_true",
        help="work on the account in TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN "
        "(and TWILIO_API_BASE_URL); the targets must then be given",
    )
    found.add_argument(
        "--yes", "-y", action="store_true", help="with --live: do not ask before changing it"
    )
    return found


def parse(
    found: argparse.ArgumentParser, live_needs: list[str], **rehearsal: object
) -> argparse.Namespace:
    """The command line; a live run must give each option of ``live_needs``.

    ``rehearsal`` gives the values a rehearsal uses for the targets not given.
    """
    args = found.parse_args()
    missing = [f"--{name.replace('_', '-')}" for name in live_needs if getattr(args, name) is None]
    if args.live and missing:
        found.error(f"--live needs {' and '.join(missing)}: a live run names its targets")
    for name, value in rehearsal.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def connect(live: bool, *, messages: int = 0, calls: int = 0) -> Sandbox | None:
    """Connect the default client; return the rehearsal sandbox, or None for a live run."""
    if live:
        twiliorm.connect()
        print(f"live run on account {twiliorm.default_client().account_sid}")
        return None
    history = dt.timedelta(days=DAYS_OF_HISTORY)
    sandbox = Sandbox(clock=Clock(start=dt.datetime.now(dt.timezone.utc) - history)).start()
    sandbox.populate(messages, calls)  # records spread over the few hours before the clock's start
    sandbox.advance(history.total_seconds())
    twiliorm.connect(sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url)
    print("rehearsal on an embedded sandbox with sample data (--live works on your account)")
    return sandbox


def confirmed(live: bool, yes: bool, what: str) -> bool:
    """Whether to go ahead: always in a rehearsal; live, on --yes or a "y" at the question."""
    if not live or yes:
        return True
    if not sys.stdin.isatty():
        sys.exit(f"refusing to {what} without confirmation: pass --yes")
    try:
        answer = input(f"About to {what}. Continue? [y/N] ")
    except EOFError:
        answer = ""
    return answer.strip().lower() in ("y", "yes")
