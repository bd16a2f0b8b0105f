"""Where the migration examples run: your account, or a rehearsal sandbox with sample data.

With TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN (and TWILIO_API_BASE_URL, for
instance a ``twiliorm sandbox`` you started) in the environment, the
examples run against that account and this module adds nothing to it.
Otherwise it starts an embedded sandbox whose clock began 90 days ago, stores
the sample records the example asks for, and brings the clock back to today,
so "older than 30 days" means something.
"""

from __future__ import annotations

import datetime as dt
import os

import twiliorm
from twiliorm.sandbox import Sandbox
from twiliorm.sandbox.clock import Clock

DAYS_OF_HISTORY = 90


def connect(*, messages: int = 0, calls: int = 0) -> Sandbox | None:
    """Connect the default client; return the rehearsal sandbox, or None for a real account."""
    if os.environ.get("TWILIO_ACCOUNT_SID"):
        twiliorm.connect()
        return None
    history = dt.timedelta(days=DAYS_OF_HISTORY)
    sandbox = Sandbox(clock=Clock(start=dt.datetime.now(dt.timezone.utc) - history)).start()
    sandbox.seed(messages, calls)  # records spread over the few hours before the clock's start
    sandbox.advance(history.total_seconds())
    twiliorm.connect(sandbox.account_sid, sandbox.auth_token, base_url=sandbox.base_url)
    return sandbox
