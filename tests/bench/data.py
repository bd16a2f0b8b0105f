"""Realistic Message records and the exact bytes a Twilio server would answer with.

Records follow the shape of the spec's Message example (``readFullPage1``)
with varied values: bodies of different lengths (some non-ASCII), several
directions and statuses, prices or null, error codes on failed messages,
media SIDs (``MM``) when there is media, and three different timestamps per
record (created, then sent a few seconds later, then updated later still),
newest first as Twilio lists them. Everything is rendered to bytes before
any timing starts, so the server only writes bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field

API = "/2010-04-01"
PAGE_SIZE_MAX = 1000
DEFAULT_PAGE_SIZE = 50

_WORDS = (
    "hello",
    "your",
    "order",
    "has",
    "shipped",
    "and",
    "will",
    "arrive",
    "tomorrow",
    "reminder",
    "appointment",
    "at",
    "pm",
    "please",
    "reply",
    "stop",
    "to",
    "unsubscribe",
    "code",
    "verification",
    "is",
    "thanks",
    "for",
    "choosing",
    "us",
    "the",
    "driver",
    "arrived",
    "outside",
    "meeting",
    "moved",
    "to",
    "room",
    "call",
    "me",
    "when",
    "you",
    "can",
)
_EXTRAS = ("👍", "café", "naïve", "¿qué?", "😀", "")
_DIRECTIONS = ("outbound-api", "outbound-api", "outbound-api", "inbound", "outbound-reply")
_STATUSES = ("delivered", "delivered", "delivered", "sent", "received", "failed", "undelivered")
_ERRORS = {"failed": (30008, "Unknown error"), "undelivered": (30003, "Unreachable destination")}
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_NEWEST = dt.datetime(2026, 3, 14, 18, 30, 0, tzinfo=dt.timezone.utc)


def rfc2822(value: dt.datetime) -> str:
    """Twilio's timestamp form, written independently of twiliorm's own formatter."""
    return (
        f"{_DAYS[value.weekday()]}, {value.day:02d} {_MONTHS[value.month - 1]} {value.year} "
        f"{value:%H:%M:%S} +0000"
    )


def sid(prefix: str, rng: random.Random) -> str:
    return prefix + f"{rng.getrandbits(128):032x}"


def _body(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(2, 28))
    return " ".join(words).capitalize() + rng.choice(_EXTRAS)


def _phone(rng: random.Random) -> str:
    return f"+1{rng.randint(201, 989)}{rng.randint(2000000, 9999999)}"


def message(account: str, when: dt.datetime, rng: random.Random) -> dict[str, object]:
    """One Message as Twilio lists it; ``when`` is its send time."""
    status = rng.choice(_STATUSES)
    media = rng.choice((0, 0, 0, 0, 1, 3))
    msid = sid("MM" if media else "SM", rng)
    code, error = _ERRORS.get(status, (None, None))
    base = f"{API}/Accounts/{account}/Messages/{msid}"
    segments = rng.choice(("1", "1", "1", "2", "3"))
    return {
        "account_sid": account,
        "api_version": "2010-04-01",
        "body": _body(rng),
        "date_created": rfc2822(when - dt.timedelta(seconds=rng.randint(1, 9))),
        "date_sent": rfc2822(when),
        "date_updated": rfc2822(when + dt.timedelta(seconds=rng.randint(1, 600))),
        "direction": rng.choice(_DIRECTIONS),
        "error_code": code,
        "error_message": error,
        "from": _phone(rng),
        "messaging_service_sid": sid("MG", rng) if rng.random() < 0.6 else None,
        "num_media": str(media),
        "num_segments": segments,
        "price": None if status == "failed" else f"-{0.0079 * int(segments):.5f}",
        "price_unit": "USD",
        "sid": msid,
        "status": status,
        "subresource_uris": {"media": f"{base}/Media.json", "feedback": f"{base}/Feedback.json"},
        "to": _phone(rng),
        "uri": f"{base}.json",
    }


def messages(account: str, count: int, seed: int) -> list[dict[str, object]]:
    """``count`` messages, newest first, spread over about three months."""
    rng = random.Random(seed)
    when = _NEWEST
    out = []
    for _ in range(count):
        when -= dt.timedelta(seconds=rng.randint(1, 150))
        out.append(message(account, when, rng))
    return out


def queued(account: str, rng: random.Random) -> dict[str, object]:
    """What a create answers: the spec's ``create`` example shape, status queued."""
    record = message(account, _NEWEST, rng)
    record.update(status="queued", price=None, price_unit=None, error_code=None)
    record.update(error_message=None, date_sent=None, direction="outbound-api")
    return record


def dumps(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


@dataclass
class Listing:
    """One account's messages as rendered bytes: records, pages by (size, number)."""

    account: str
    records: list[bytes]
    sids: list[str]
    by_sid: dict[str, bytes] = field(default_factory=dict)
    pages: dict[tuple[int, int], bytes] = field(default_factory=dict)

    @classmethod
    def build(cls, account: str, count: int, seed: int) -> Listing:
        records = messages(account, count, seed)
        rendered = [dumps(r) for r in records]
        sids = [str(r["sid"]) for r in records]
        return cls(account, rendered, sids, dict(zip(sids, rendered, strict=True)))

    @property
    def path(self) -> str:
        return f"{API}/Accounts/{self.account}/Messages.json"

    def prerender(self, size: int, *, first_only: bool = False) -> None:
        """Render every page (or only the first) of ``size`` records."""
        last = 0 if first_only else max(0, (len(self.records) - 1) // size)
        for number in range(last + 1):
            self.page(size, number)

    def page(self, size: int, number: int) -> bytes:
        """The bytes of one page, rendered on first use and kept."""
        key = (size, number)
        found = self.pages.get(key)
        if found is None:
            found = self.pages[key] = self._render(size, number)
        return found

    def _render(self, size: int, number: int) -> bytes:
        start = size * number
        chunk = self.records[start : start + size]
        more = start + size < len(self.records)
        head = {
            "end": start + max(len(chunk), 1) - 1,
            "first_page_uri": self._uri(size, 0),
            "next_page_uri": self._next(size, number) if more else None,
            "page": number,
            "page_size": size,
            "previous_page_uri": self._uri(size, number - 1) if number else None,
            "start": start,
            "uri": self._uri(size, number),
        }
        inner = dumps(head)[1:-1]
        return b'{"messages": [' + b", ".join(chunk) + b"], " + inner + b"}"

    def _uri(self, size: int, number: int, token: str | None = None) -> str:
        tail = f"&PageToken={token}" if token else ""
        return f"{self.path}?PageSize={size}&Page={number}{tail}"

    def _next(self, size: int, number: int) -> str:
        return self._uri(size, number + 1, self._token(size * (number + 1)))

    def _token(self, index: int) -> str:
        return "PA" + self.sids[min(index, len(self.sids) - 1)]
