"""The clients under measurement, each doing every workload the way its users would.

- ``twiliorm``: ``Message.objects.using(client)``: ``.iterator()``, ``list(qs)``,
  ``.create(...)``, ``.get(sid=...)``, ``qs[:50]``.
- ``official-p1000`` / ``official``: the ``twilio`` package (9.x) pointed at the
  local server through ``client.api.base_url``; ``stream(page_size=1000)`` /
  ``list(page_size=1000)``, and as users call it by default, ``stream()`` /
  ``list()`` (it sends no PageSize, so the server answers 50 a page);
  ``messages.create(...)``, ``messages(sid).fetch()``, ``list(limit=50)``.
- ``raw-json`` / ``raw-orjson``: the floor. A urllib3 PoolManager and
  ``json.loads`` (or ``orjson.loads``), following ``next_page_uri`` with
  PageSize=1000; it builds no objects at all, it only walks the dicts.

Each client reads the account holding exactly N messages, so every unbounded
iteration ends by itself after N records.
"""

from __future__ import annotations

import abc
import json
import time
from collections.abc import Callable
from typing import Any

from .data import API

IO_WAIT = 0.05  # one write per page to a service as far away as the source (+50 ms)
FORM = {"To": "+15558675310", "From": "+15017122661", "Body": "Benchmark says hi 👋"}


def consume_cpu(obj: Any) -> None:
    """Per-record work of an export: the record back to its JSON text."""
    json.dumps(obj.to_api() if hasattr(obj, "to_api") else obj)


class Client(abc.ABC):
    """What every measured client can do; ``n`` picks the account of N messages."""

    def __init__(self, env: dict[str, Any], n: int) -> None:
        self.base = env["base_url"]
        self.token = env["token"]
        self.account = env["accounts"].get(str(n)) or env["accounts"]["default"]
        self.list_path = f"{API}/Accounts/{self.account}/Messages.json"

    def warm_up(self, sid: str) -> None:
        self.fetch([sid])

    @abc.abstractmethod
    def iterate(self) -> int: ...

    @abc.abstractmethod
    def list_all(self) -> list[Any]: ...

    @abc.abstractmethod
    def create(self, count: int) -> int: ...

    @abc.abstractmethod
    def fetch(self, sids: list[str]) -> int: ...

    @abc.abstractmethod
    def first_page(self, times: int) -> int: ...

    def pages(self, prefetch: bool, consumer: str) -> tuple[int, float]:
        raise SystemExit(f"{type(self).__name__} has no page experiment")


class Raw(Client):
    """urllib3 + a JSON parser, nothing else."""

    loads: Callable[[bytes], Any] = staticmethod(json.loads)

    def __init__(self, env: dict[str, Any], n: int) -> None:
        super().__init__(env, n)
        import urllib3

        headers = urllib3.make_headers(basic_auth=f"{self.account}:{self.token}", keep_alive=True)
        headers["Accept"] = "application/json"
        self.pool = urllib3.PoolManager(headers=headers)

    def get(self, path: str) -> Any:
        return self.loads(self.pool.request("GET", self.base + path).data)

    def _pages(self) -> Any:
        path: str | None = self.list_path + "?PageSize=1000"
        while path:
            page = self.get(path)
            yield page["messages"]
            path = page.get("next_page_uri")

    def iterate(self) -> int:
        seen = 0
        for items in self._pages():
            for _ in items:
                seen += 1
        return seen

    def list_all(self) -> list[Any]:
        out: list[Any] = []
        for items in self._pages():
            out.extend(items)
        return out

    def create(self, count: int) -> int:
        url = self.base + self.list_path
        for _ in range(count):
            answer = self.pool.request("POST", url, fields=FORM, encode_multipart=False)
            self.loads(answer.data)
        return count

    def fetch(self, sids: list[str]) -> int:
        for sid in sids:
            self.get(f"{API}/Accounts/{self.account}/Messages/{sid}.json")
        return len(sids)

    def first_page(self, times: int) -> int:
        for _ in range(times):
            self.get(self.list_path + "?PageSize=50")["messages"]
        return times


class RawOrjson(Raw):
    def __init__(self, env: dict[str, Any], n: int) -> None:
        import orjson

        self.loads = orjson.loads
        super().__init__(env, n)


class Twiliorm(Client):
    def __init__(self, env: dict[str, Any], n: int) -> None:
        super().__init__(env, n)
        import twiliorm

        self.client = twiliorm.Client(self.account, self.token, base_url=self.base)
        self.qs = twiliorm.Message.objects.using(self.client)

    def iterate(self) -> int:
        seen = 0
        for _ in self.qs.iterator():
            seen += 1
        return seen

    def list_all(self) -> list[Any]:
        return list(self.qs.all())

    def create(self, count: int) -> int:
        for _ in range(count):
            self.qs.create(to=FORM["To"], from_=FORM["From"], body=FORM["Body"])
        return count

    def fetch(self, sids: list[str]) -> int:
        for sid in sids:
            self.qs.get(sid=sid)
        return len(sids)

    def first_page(self, times: int) -> int:
        for _ in range(times):
            list(self.qs[:50])
        return times

    def pages(self, prefetch: bool, consumer: str) -> tuple[int, float]:
        """Every record of the list, with the next page prefetched or not."""
        if prefetch:
            stream: Any = self.qs.iterator()
        else:  # the same pager and builder as iterator(), one page after another
            stream = (o for page in self.qs.pages(prefetch=False) for o in page.records)
        return _consume(stream, consumer)


def _consume(stream: Any, consumer: str) -> tuple[int, float]:
    """Count the records, doing the consumer's work; return (records, seconds of work).

    ``none``: nothing; ``cpu``: each record back to JSON text (an export);
    ``io``: one 50 ms wait per page of 1000 (writing the page elsewhere).
    """
    seen, busy, clock = 0, 0.0, time.perf_counter
    for obj in stream:
        seen += 1
        if consumer == "cpu":
            started = clock()
            consume_cpu(obj)
            busy += clock() - started
        elif consumer == "io" and seen % 1000 == 0:
            started = clock()
            time.sleep(IO_WAIT)  # writing the page elsewhere: waiting, not computing
            busy += clock() - started
    return seen, busy


class Official(Client):
    """The official ``twilio`` package; ``page_size=None`` is how users call it."""

    page_size: int | None = None

    def __init__(self, env: dict[str, Any], n: int) -> None:
        super().__init__(env, n)
        from twilio.rest import Client as TwilioClient

        self.client = TwilioClient(self.account, self.token)
        self.client.api.base_url = self.base  # where every URL it builds starts

    def iterate(self) -> int:
        seen = 0
        for _ in self.client.messages.stream(page_size=self.page_size):
            seen += 1
        return seen

    def list_all(self) -> list[Any]:
        return list(self.client.messages.list(page_size=self.page_size))

    def create(self, count: int) -> int:
        for _ in range(count):
            self.client.messages.create(to=FORM["To"], from_=FORM["From"], body=FORM["Body"])
        return count

    def fetch(self, sids: list[str]) -> int:
        for sid in sids:
            self.client.messages(sid).fetch()
        return len(sids)

    def first_page(self, times: int) -> int:
        for _ in range(times):
            self.client.messages.list(limit=50)
        return times


class OfficialP1000(Official):
    page_size = 1000


CLIENTS: dict[str, type[Client]] = {
    "twiliorm": Twiliorm,
    "official-p1000": OfficialP1000,
    "official": Official,
    "raw-json": Raw,
    "raw-orjson": RawOrjson,
}
