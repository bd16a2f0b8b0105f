"""Populating a sandbox: N realistic messages and calls, for demos, tests and benchmarks.

``Sandbox(records=N)``, ``sandbox.populate(messages, calls)`` and ``twiliorm
sandbox --records N`` use it. The data is deterministic for a given random
seed (``seed=``, the one meaning of "seed" in the sandbox): timestamps spread
back from the sandbox's now, a handful of numbers talking to each other,
mostly delivered or completed, with some failures carrying Twilio's error
codes and messages (:mod:`.behaviours.outcomes`). Each payload is made the
way the API makes one (the behaviour's payload builder,
:meth:`~.payloads.PayloadBuilder.build`, with what the API derives for a
message or call: segments, formatted numbers, prices), so a populated record
is the same as one made over the API; each is rendered once and all are
inserted in one transaction, without a query per record (100,000 messages
and as many calls take a few seconds).

Nothing in an account is older than the account, on Twilio: a scan with no
lower bound starts from the account's creation day. Records made up before
the account's ``date_created`` move that date back to the oldest of them (the
account's history is made up too); the records themselves stay as drawn.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .. import dates
from .behaviours import calls, messages, outcomes

if TYPE_CHECKING:
    from .app import App
    from .generic import Behaviour

try:  # optional speed-up; the text is equivalent JSON either way
    import orjson

    def _dump(body: dict[str, Any]) -> str:
        return orjson.dumps(body).decode()

except ImportError:  # pragma: no cover - exercised when orjson is absent

    def _dump(body: dict[str, Any]) -> str:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


__all__ = ["populate_calls", "populate_messages"]

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
_MESSAGE_OUTCOMES = [outcomes.DELIVERED] * 17 + [
    outcomes.MESSAGE_OUTCOMES["+15550030000"],  # sent, never confirmed
    outcomes.MESSAGE_OUTCOMES["+15550030003"],  # undelivered
    outcomes.MESSAGE_OUTCOMES["+15550030008"],  # failed
]
_CALL_OUTCOMES = ["completed"] * 16 + ["busy", "no-answer", "failed", "canceled"]
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


def _insert(
    behaviour: Behaviour, account: str, count: int, values: Callable[[int], dict[str, Any]]
) -> None:
    """Build ``count`` payloads from ``values(i)`` and insert them at once."""
    rows = []
    for i in range(count):
        body = behaviour.payloads.build(account, **values(i))
        index = _dump(behaviour.index(body))
        rows.append((behaviour.name, account, "", body["sid"], _dump(body), index))
    behaviour.store.insert_many(rows)


def _account_since(app: App, account: str, timestamp: float) -> None:
    """The account was created at ``timestamp`` at the latest (its oldest record's time)."""
    record = app.store.get("Account", account, "", account)
    created = record.body.get("date_created") if record is not None else None
    if record is None or not isinstance(created, str):
        return
    if dates.parse_rfc2822(created).timestamp() > timestamp:
        app.behaviours.accounts.save(record, {**record.body, "date_created": _rfc2822(timestamp)})


def populate_messages(
    app: App, count: int, *, account: str | None = None, seed: int = 1, step: float = 37.0
) -> None:
    """Store ``count`` messages, newest first in list order, ``step`` seconds apart; ``seed``
    is the random seed they are drawn with."""
    owner = account or app.account_sid
    rng = random.Random(seed)
    now = int(app.clock.timestamp())

    def values(i: int) -> dict[str, Any]:
        sent = now - int(step * (count - i))
        sid = "SM" + _hex(rng)
        frm, to = rng.sample(_NUMBERS, 2)
        outcome = rng.choice(_MESSAGE_OUTCOMES)
        text = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 12)))
        parties = {"from": frm, "to": to}  # "from" is no keyword name
        return {
            **messages.outbound(text),
            **parties,
            "sid": sid,
            "body": text,
            "status": outcome.status,
            "error_code": outcome.error_code,
            "error_message": outcome.error_message,
            "price": None if outcome.status == "failed" else messages.PRICE,
            "date_created": _rfc2822(sent - 1),
            "date_sent": _rfc2822(sent),
            "date_updated": _rfc2822(sent + 2),
        }

    _insert(app.behaviours.messages, owner, count, values)
    if count > 0:
        _account_since(app, owner, now - int(step * count) - 1)  # the oldest date_created


def populate_calls(
    app: App, count: int, *, account: str | None = None, seed: int = 2, step: float = 97.0
) -> None:
    """Store ``count`` finished calls, ``step`` seconds apart; ``seed`` is the random seed
    they are drawn with."""
    owner = account or app.account_sid
    rng = random.Random(seed)
    now = int(app.clock.timestamp())

    def values(i: int) -> dict[str, Any]:
        start = now - int(step * (count - i))
        sid = "CA" + _hex(rng)
        frm, to = rng.sample(_NUMBERS, 2)
        status = rng.choice(_CALL_OUTCOMES)
        seconds = rng.randint(5, 600) if status == "completed" else 0
        return {
            **calls.outbound(frm, to),
            "sid": sid,
            "status": status,
            "duration": str(seconds),
            "start_time": _rfc2822(start) if seconds else None,
            "end_time": _rfc2822(start + seconds),
            "price": calls.price(seconds) if seconds else None,
            "date_created": _rfc2822(start - 2),
            "date_updated": _rfc2822(start + seconds),
        }

    _insert(app.behaviours.calls, owner, count, values)
    if count > 0:
        _account_since(app, owner, now - int(step * count) - 2)  # the oldest date_created
