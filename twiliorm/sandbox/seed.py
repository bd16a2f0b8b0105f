"""Seeding: N realistic messages and calls, for demos, tests and benchmarks.

Records are rendered once and inserted in one transaction (100,000 messages
take a few seconds). The data is deterministic for a given random seed:
timestamps spread back from the sandbox's now, a handful of numbers talking
to each other, mostly delivered or completed with some failures carrying
Twilio's error codes.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import TYPE_CHECKING, Any

from .. import dates

if TYPE_CHECKING:
    from .app import App

__all__ = ["seed_calls", "seed_messages"]

_NUMBERS = [f"+1415555{n:04d}" for n in range(0, 40, 3)]
_WORDS = [
    "hello",
    "monkey",
    "order",
    "shipped",
    "your",
    "code",
    "is",
    "appointment",
    "reminder",
    "see",
    "you",
    "at",
    "thanks",
    "ok",
]
_MESSAGE_OUTCOMES = [("delivered", None)] * 17 + [
    ("sent", None),
    ("undelivered", 30003),
    ("failed", 30008),
]
_CALL_OUTCOMES = [("completed", None)] * 16 + [
    ("busy", None),
    ("no-answer", None),
    ("failed", None),
    ("canceled", None),
]


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def _dump(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(", ", ": "))


def seed_messages(
    app: App, count: int, *, account: str | None = None, seed: int = 1, step: float = 37.0
) -> None:
    """Store ``count`` messages, newest first in list order, ``step`` seconds apart."""
    account = account or app.account_sid
    behaviour = app.behaviours["Message"]
    rng = random.Random(seed)
    now = app.clock.now()
    rows = []
    for i in range(count):
        sent = now - dt.timedelta(seconds=step * (count - i))
        sid = "SM" + _hex(rng)
        frm, to = rng.sample(_NUMBERS, 2)
        status, code = rng.choice(_MESSAGE_OUTCOMES)
        text = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 12)))
        created = dates.format_rfc2822(sent - dt.timedelta(seconds=1))
        body = {
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": text,
            "date_created": created,
            "date_sent": dates.format_rfc2822(sent),
            "date_updated": dates.format_rfc2822(sent + dt.timedelta(seconds=2)),
            "direction": "outbound-api",
            "error_code": code,
            "error_message": None if code is None else "Unreachable destination handset",
            "from": frm,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": "-0.00750",
            "price_unit": "USD",
            "sid": sid,
            "status": status,
            "subresource_uris": {
                "media": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Media.json",
                "feedback": f"/2010-04-01/Accounts/{account}/Messages/{sid}/Feedback.json",
            },
            "to": to,
            "uri": f"/2010-04-01/Accounts/{account}/Messages/{sid}.json",
        }
        rows.append(("Message", account, "", sid, _dump(body), _dump(behaviour.index(body))))
    app.store.insert_many(rows)


def seed_calls(
    app: App, count: int, *, account: str | None = None, seed: int = 2, step: float = 97.0
) -> None:
    """Store ``count`` finished calls, ``step`` seconds apart."""
    account = account or app.account_sid
    behaviour = app.behaviours["Call"]
    rng = random.Random(seed)
    now = app.clock.now()
    fields = [s.key for s in behaviour.meta.payload_fields if s.key]
    rows = []
    for i in range(count):
        start = now - dt.timedelta(seconds=step * (count - i))
        sid = "CA" + _hex(rng)
        frm, to = rng.sample(_NUMBERS, 2)
        status, _ = rng.choice(_CALL_OUTCOMES)
        seconds = rng.randint(5, 600) if status == "completed" else 0
        body: dict[str, Any] = dict.fromkeys(fields)
        body.update(
            {
                "account_sid": account,
                "api_version": "2010-04-01",
                "date_created": dates.format_rfc2822(start - dt.timedelta(seconds=2)),
                "date_updated": dates.format_rfc2822(start + dt.timedelta(seconds=seconds)),
                "direction": "outbound-api",
                "duration": str(seconds),
                "end_time": dates.format_rfc2822(start + dt.timedelta(seconds=seconds)),
                "from": frm,
                "from_formatted": frm,
                "price": f"-{0.014 * max(1, -(-seconds // 60)):.5f}" if seconds else None,
                "price_unit": "USD",
                "queue_time": "0",
                "sid": sid,
                "start_time": dates.format_rfc2822(start) if seconds else None,
                "status": status,
                "to": to,
                "to_formatted": to,
                "uri": f"/2010-04-01/Accounts/{account}/Calls/{sid}.json",
            }
        )
        body["subresource_uris"] = behaviour.subresource_uris(
            {"account_sid": account, "sid": sid}, body
        )
        rows.append(("Call", account, "", sid, _dump(body), _dump(behaviour.index(body))))
    app.store.insert_many(rows)
