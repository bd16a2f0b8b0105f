"""Seeding: N realistic messages and calls, for demos, tests and benchmarks.

Records are rendered once and inserted in one transaction (100,000 messages
and as many calls take a few seconds). The data is deterministic for a given
random seed: timestamps spread back from the sandbox's now, a handful of
numbers talking to each other, mostly delivered or completed with some
failures carrying Twilio's error codes. Payloads and their filter index are
made by the resources' own behaviours (``index``, ``subresource_uris``), so
a seeded record is the same as one made over the API.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .app import App

try:  # optional speed-up; the text is equivalent JSON either way
    import orjson

    def _dump(body: dict[str, Any]) -> str:
        return orjson.dumps(body).decode()

except ImportError:  # pragma: no cover - exercised when orjson is absent

    def _dump(body: dict[str, Any]) -> str:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


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
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _rfc2822(timestamp: float) -> str:
    """A UTC timestamp as Twilio writes it (what ``dates.format_rfc2822`` gives, faster)."""
    t = time.gmtime(timestamp)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


def _hex(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


Row = tuple[str, str, str, str, str, str]


def _insert(app: App, resource: str, account: str, count: int, make: Callable[[int], Any]) -> None:
    behaviour = app.behaviours[resource]
    rows: list[Row] = []
    for i in range(count):
        body = make(i)
        index = _dump(behaviour.index(body))
        rows.append((resource, account, "", body["sid"], _dump(body), index))
    app.store.insert_many(rows)


def seed_messages(
    app: App, count: int, *, account: str | None = None, seed: int = 1, step: float = 37.0
) -> None:
    """Store ``count`` messages, newest first in list order, ``step`` seconds apart."""
    owner = account or app.account_sid
    rng = random.Random(seed)
    now = int(app.clock.timestamp())
    base = f"/2010-04-01/Accounts/{owner}/Messages"

    def make(i: int) -> dict[str, Any]:
        sent = now - int(step * (count - i))
        sid = "SM" + _hex(rng)
        frm, to = rng.sample(_NUMBERS, 2)
        status, code = rng.choice(_MESSAGE_OUTCOMES)
        text = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 12)))
        return {
            "account_sid": owner,
            "api_version": "2010-04-01",
            "body": text,
            "date_created": _rfc2822(sent - 1),
            "date_sent": _rfc2822(sent),
            "date_updated": _rfc2822(sent + 2),
            "direction": "outbound-api",
            "error_code": code,
            "error_message": None if code is None else "Unreachable destination handset",
            "from": frm,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": "1",
            "price": None if status == "failed" else "-0.00750",
            "price_unit": "USD",
            "sid": sid,
            "status": status,
            "subresource_uris": {
                "media": f"{base}/{sid}/Media.json",
                "feedback": f"{base}/{sid}/Feedback.json",
            },
            "to": to,
            "uri": f"{base}/{sid}.json",
        }

    _insert(app, "Message", owner, count, make)


def seed_calls(
    app: App, count: int, *, account: str | None = None, seed: int = 2, step: float = 97.0
) -> None:
    """Store ``count`` finished calls, ``step`` seconds apart."""
    owner = account or app.account_sid
    behaviour = app.behaviours["Call"]
    rng = random.Random(seed)
    now = int(app.clock.timestamp())
    keys = [s.key for s in behaviour.meta.payload_fields if s.key]

    def make(i: int) -> dict[str, Any]:
        start = now - int(step * (count - i))
        sid = "CA" + _hex(rng)
        frm, to = rng.sample(_NUMBERS, 2)
        status, _ = rng.choice(_CALL_OUTCOMES)
        seconds = rng.randint(5, 600) if status == "completed" else 0
        body: dict[str, Any] = dict.fromkeys(keys)
        body.update(
            {
                "account_sid": owner,
                "api_version": "2010-04-01",
                "date_created": _rfc2822(start - 2),
                "date_updated": _rfc2822(start + seconds),
                "direction": "outbound-api",
                "duration": str(seconds),
                "end_time": _rfc2822(start + seconds),
                "from": frm,
                "from_formatted": frm,
                "price": f"-{0.014 * max(1, -(-seconds // 60)):.5f}" if seconds else None,
                "price_unit": "USD",
                "queue_time": "0",
                "sid": sid,
                "start_time": _rfc2822(start) if seconds else None,
                "status": status,
                "to": to,
                "to_formatted": to,
            }
        )
        behaviour.finish_payload_for(owner, body)
        return body

    _insert(app, "Call", owner, count, make)
