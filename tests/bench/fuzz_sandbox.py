"""Hostile requests to every route of the sandbox: a client's mistake never answers 5xx.

Run it from the repository root with ``python -m tests.bench.fuzz_sandbox``
(``--requests 40000 --seed 1``: the sweep below, about 38,000 requests, then
random ones); it prints the requests sent, the 5xx count (which must be 0) by
route, and exits 1 if there was any problem.
``tests/test_sandbox_hostile.py`` runs a sample of them (about 3,600).

Routes come from the resource declarations, as the sandbox's router builds
them: every list and create path (GET with the resource's filter and paging
params, POST with its writable params), every instance path (GET, POST with
the update params, DELETE). Placeholders are filled with the identities of
records the sandbox holds (populated first, from the same declarations), or with
random values of the right shape, or now and then with something hostile.

Values: years of 20 digits in dates, 5,000-digit numbers, floats where
integers go, negative numbers, bytes that are not UTF-8 (percent-encoded),
NUL, empty values, repeated keys, very long strings, unicode. Every answer
must be below 500, and every error answer Twilio's JSON error body
(``code``, ``message``, ``more_info``, ``status``).
"""

from __future__ import annotations

import argparse
import base64
import collections
import functools
import http.client
import json
import random
import re
import sys
import time
import urllib.parse
from collections.abc import Iterator, Sequence

import attrs

from twiliorm.fields import INTEGER, FieldSpec, Kind
from twiliorm.paths import PathTemplate
from twiliorm.resource import Meta, resources
from twiliorm.sandbox import Sandbox

__all__ = ["Case", "Fuzzer", "Route", "main", "problem", "routes"]

PAGING = ("PageSize", "Page", "PageToken")
ERROR_KEYS = {"code", "message", "more_info", "status"}
_PLACEHOLDER = re.compile(r"\{[a-z_]+\}")

#: days no calendar has: years of 20 digits, year 0, the 30th of February...
DATES: tuple[bytes, ...] = (
    b"99999999999999999999-01-01",
    b"99999999999999999999-01-01T00:00:00Z",
    b"0000-00-00",
    b"-0001-01-01",
    b"2026-02-30",
    b"10000-01-01",
    b"2026-01-01T99:99:99Z",
    b"Thu, 30 Jul 99999999999999999999 20:12:31 +0000",
    b"12/31/99999999999999999999",
)
#: numbers too long, too large, negative, fractional, or not numbers in ASCII
NUMBERS: tuple[bytes, ...] = (
    b"9" * 5000,
    b"-" + b"9" * 5000,
    b"9" * 20,
    b"-9223372036854775809",
    b"1.5",
    b"-1",
    b"0",
    b"1e309",
    b"-1e309",
    b"NaN",
    b"inf",
    b"0x10",
    b"1_000",
    "\u0663\u00b2\uff11".encode(),  # Arabic-Indic 3, superscript 2, fullwidth 1
    b"5\x1f",  # str.strip() takes \x1f for a space, int() does not
)
#: the rest (bytes: sent percent-encoded, so not UTF-8 either)
OTHERS: tuple[bytes, ...] = (
    b"",
    b" ",
    b"+",
    b"-",
    b"\xff\xfe",
    b"%FF",
    b"\x00",
    b"a\x00b",
    "\u00e9\u4e2d\U0001d4b3\u202e\ufeff".encode(),
    "\ud800".encode("utf-8", "surrogatepass"),
    b"x" * 20000,
    b"\r\n\r\n",
    b"true",
    b"null",
    b"[]",
    b"{}",
    b'{"a": [[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]}',
    b"1,x",
    b"1e309,nan",
    b"../../etc/passwd",
    b"<Response><Dial><Conference>x",
    b"' OR 1=1 --",
    b"$.body') --",
    b"whatsapp:",
    b"+1" + b"5" * 40,
    b"PA99999999999999999999",
    b"PB-1",
    b"SM" + b"0" * 32,
    b"AC" + b"f" * 32,
)
HOSTILE = DATES + NUMBERS + OTHERS

#: a plausible value by kind, to make records and to keep the other params of a request sane
_PLAUSIBLE = {
    "phone": "+15005550006",
    "uri": "http://127.0.0.1:9/fuzz",
    "boolean": "true",
    "integer": "5",
    "integer_text": "5",
    "decimal": "1.5",
    "date": "2026-01-01",
    "datetime": "2026-01-01T00:00:00Z",
    "rfc2822": "2026-01-01",
    "list": "http://127.0.0.1:9/a.png",
    "json": "{}",
    "uri_map": "{}",
}
#: params whose plausible value the kind does not tell
_PLAUSIBLE_PARAMS = {
    "Twiml": "<Response><Dial><Conference>fuzz</Conference></Dial></Response>",
    "To": "+15558675310",
    "From": "+15005550006",
    "Body": "fuzz",
    "AreaCode": "206",
    "IpAddress": "10.0.0.1",
    "Url": "http://127.0.0.1:9/twiml",
    "IsoCountry": "US",
    "ApiVersion": "2010-04-01",
    "DomainName": "fuzz.sip.twilio.com",
    "UsageCategory": "sms",
    "Password": "Fuzz-password-1234",
}
#: a param no route reads: where a route has none, the hostile value goes here
_JUNK = "Unknown"
#: params left out of plausible writes (a number is bought by its area code)
_LEFT_OUT = {"PhoneNumber"}


@attrs.frozen
class Route:
    """One method on one path template, with the params its operation reads."""

    meta: Meta
    operation: str
    method: str
    template: PathTemplate
    params: tuple[tuple[str, Kind], ...]

    def __str__(self) -> str:
        return f"{self.method} {self.template}"


@attrs.frozen
class Case:
    """One request: method, path with query, form body (already encoded)."""

    route: Route
    method: str
    target: str
    body: bytes


def routes() -> list[Route]:
    """Every route of every declared resource, with the params it takes."""
    out: list[Route] = []
    for model in resources():
        meta = model._meta
        for operation, method, templates in _operations(meta):
            params = _params(meta, operation)
            out.extend(Route(meta, operation, method, t, params) for t in templates)
    return out


def _operations(meta: Meta) -> Iterator[tuple[str, str, tuple[PathTemplate, ...]]]:
    instance = (meta.instance_path,) if meta.instance_path else ()
    table = {
        "list": ("GET", meta.list_paths),
        "create": ("POST", meta.create_paths),
        "fetch": ("GET", instance),
        "update": ("POST", instance),
        "delete": ("DELETE", instance),
    }
    for operation, (method, templates) in table.items():
        if operation in meta.operations:
            yield operation, method, templates


def _params(meta: Meta, operation: str) -> tuple[tuple[str, Kind], ...]:
    if operation in ("create", "update"):
        return tuple((s.param, s.kind) for s in meta.writable(operation) if s.param)
    if operation != "list":
        return ()
    out = [(p, s.kind) for s in meta.fields.values() if s.filter for p in _filter_params(s)]
    out += [(q.param, q.kind) for q in meta.query_params.values() if q.param]
    out += [(name, INTEGER) for name in PAGING]
    return tuple(out)


def _filter_params(spec: FieldSpec) -> list[str]:
    return list(spec.filter.params().values()) if spec.filter else []


def problem(status: int, body: bytes) -> str | None:
    """What is wrong with an answer (a 5xx, an error without Twilio's body), or None."""
    if status >= 500:
        return f"{status} {body[:200]!r}"
    if status < 400:
        return None
    try:
        found = json.loads(body)
    except ValueError:
        return f"{status} error body is not JSON: {body[:200]!r}"
    if not isinstance(found, dict) or set(found) != ERROR_KEYS or found["status"] != status:
        return f"{status} error body is not Twilio's: {body[:200]!r}"
    return None


class Fuzzer:
    """Makes hostile requests for a sandbox's routes and sends them over one connection."""

    def __init__(self, sandbox: Sandbox, rng: random.Random) -> None:
        self.sandbox = sandbox
        self.rng = rng
        self.routes = routes()
        self.known: dict[str, list[dict[str, str]]] = {}
        self._auth = _basic(sandbox.account_sid, sandbox.auth_token)
        self._connection: http.client.HTTPConnection | None = None

    # --- records to aim at ---------------------------------------------------------

    def populate(self, rounds: int = 2) -> int:
        """Create records of every resource that can be created with plausible values
        (children need their parents: a few rounds), then learn every stored identity."""
        self.sandbox.populate(5)
        for _ in range(rounds):
            self.learn()
            for route in self.routes:
                if route.operation == "create":
                    self.send(self._plausible(route))
        return self.learn()

    def learn(self) -> int:
        """The path values of every stored record, by resource."""
        self.known.clear()
        rows = self.sandbox.store.select("SELECT resource, account, parent, pk FROM records")
        for resource, account, parent, pk in rows:
            values = dict(urllib.parse.parse_qsl(parent))
            values.update(account_sid=account, _pk=pk)
            self.known.setdefault(resource, []).append(values)
        return len(rows)

    # --- requests --------------------------------------------------------------------

    def sweep(self) -> Iterator[Case]:
        """Each hostile value in each param of each route (value by value, so a shorter run
        still reaches every route), then random cases without end."""
        for value in HOSTILE:
            for route, param in self.params():
                yield self.case(route, [(param, value)])
        while True:
            yield self.random_case()

    def params(self) -> list[tuple[Route, str]]:
        """(route, param) of every param of every route; an unknown one if a route has none."""
        return [(r, p) for r in self.routes for p, _ in r.params or ((_JUNK, INTEGER),)]

    def sample(self, count: int) -> list[Case]:
        """At least ``count`` cases: each route once with every param hostile, each date or
        number param with every value aimed at its kind, each other param with one hostile
        value, the rest at random."""
        cases = [self.case(r, self._every_param_twice(r)) for r in self.routes]
        for route in self.routes:
            for param, kind in route.params:
                cases.extend(self.case(route, [(param, v)]) for v in self._aimed(kind))
        while len(cases) < count:
            cases.append(self.random_case())
        return cases

    def _every_param_twice(self, route: Route) -> list[tuple[str, bytes]]:
        """Two hostile values for each param (a repeated key); an unknown one if none."""
        names = [p for p, _ in route.params] or [_JUNK]
        return [(name, self._value()) for name in names for _ in (1, 2)]

    def random_case(self) -> Case:
        route = self.rng.choice(self.routes)
        chosen = [p for p, _ in route.params if self.rng.random() < 0.3]
        pairs = [(p, self._value()) for p in chosen]
        if pairs and self.rng.random() < 0.3:
            pairs.append((pairs[0][0], self._value()))  # a repeated key
        return self.case(route, pairs)

    def case(self, route: Route, hostile: Sequence[tuple[str, bytes]]) -> Case:
        """A request for ``route`` with the ``hostile`` params (and sane values for the others
        a write requires, so the hostile one is what gets read)."""
        path = route.template.fill(self._path_values(route))
        pairs = list(hostile)
        if route.method == "POST":
            named = {p for p, _ in hostile}
            pairs += [(p, self._sane(p, k)) for p, k in route.params if p not in named]
            return Case(route, "POST", path, _encode(pairs))
        query = _encode(pairs).decode()
        return Case(route, route.method, f"{path}?{query}" if query else path, b"")

    def _plausible(self, route: Route) -> Case:
        pairs = [(p, self._sane(p, k)) for p, k in route.params]
        if route.meta.name == "IncomingPhoneNumber":
            pairs = [(p, v) for p, v in pairs if p not in _LEFT_OUT]
        return Case(route, "POST", route.template.fill(self._path_values(route)), _encode(pairs))

    def _sane(self, param: str, kind: Kind) -> bytes:
        """A plausible value: a stored record's SID for a SID param, else by name or kind."""
        prefixes = getattr(kind, "prefixes", ())
        stored = [v["_pk"] for vs in self.known.values() for v in vs if v["_pk"][:2] in prefixes]
        return (self.rng.choice(stored) if stored else _plausible(param, kind)).encode()

    def _value(self) -> bytes:
        return self.rng.choice(HOSTILE)

    def _aimed(self, kind: Kind) -> tuple[bytes, ...]:
        """Every value made to break a param of this kind (a date, a number), or one at random."""
        if kind.name in ("date", "datetime", "rfc2822"):
            return DATES
        if kind.name in ("integer", "integer_text", "decimal"):
            return NUMBERS
        return (self._value(),)

    def _path_values(self, route: Route) -> dict[str, str]:
        """Values for the route's placeholders: mostly a stored record's (this resource's
        own, or its parents'), else random ones of the right shape, now and then hostile."""
        meta = route.meta
        records = self.known.get(meta.name, [])
        roll = self.rng.random()
        values: dict[str, str] = {}
        if records and roll < 0.6:
            record = self.rng.choice(records)
            values = {**record, **({meta.pk: record["_pk"]} if meta.pk else {})}
        out: dict[str, str] = {}
        for name in route.template.names:
            found = values.get(name) or self._stored(route.template, name, roll)
            out[name] = found or self._placeholder(meta, name, roll)
        return out

    def _stored(self, template: PathTemplate, name: str, roll: float) -> str | None:
        """A stored record of the resource the path names at ``name`` (a call's SID for
        ``Calls/{call_sid}/...``), found by the path up to the placeholder."""
        if roll > 0.9 or name == "account_sid":
            return None
        head = _PLACEHOLDER.sub("{}", template.split("{" + name + "}")[0])
        records = self.known.get(self._instances.get(head, ""), [])
        return self.rng.choice(records)["_pk"] if records else None

    @functools.cached_property
    def _instances(self) -> dict[str, str]:
        """Instance path up to its identity, placeholders blanked -> resource name."""
        out: dict[str, str] = {}
        for model in resources():
            path, pk = model._meta.instance_path, model._meta.pk
            if path is not None and pk is not None:
                head = _PLACEHOLDER.sub("{}", path.split("{" + pk + "}")[0])
                out.setdefault(head, model.__name__)
        return out

    def _placeholder(self, meta: Meta, name: str, roll: float) -> str:
        if name in meta.choices:
            return self.rng.choice(meta.choices[name])
        if name == "account_sid" and roll < 0.95:
            return self.sandbox.account_sid
        if roll > 0.97:
            return self.rng.choice(["%FF%FE", "%00", "x" * 300, "..", "\u4e2d"])
        spec = meta.fields.get(meta.path_attrs.get(name, name))
        prefixes = getattr(spec.kind, "prefixes", ()) if spec else ()
        prefix = self.rng.choice(prefixes) if prefixes else ("AC" if name == "account_sid" else "")
        return f"{prefix or 'XX'}{self.rng.getrandbits(128):032x}"

    def send(self, case: Case) -> tuple[int, bytes]:
        """Send one case; a dropped connection is opened again (and retried once)."""
        headers = {"Authorization": self._auth}
        if case.method == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            connection = self._connect()
            try:
                connection.request(case.method, case.target, case.body, headers)
                answer = connection.getresponse()
                body = answer.read()
            except (OSError, http.client.HTTPException):
                self.close()
                if attempt == 2:
                    raise
                continue
            if answer.getheader("Connection", "").lower() == "close":
                self.close()
            return answer.status, body
        raise AssertionError("unreachable")

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            host, port = self.sandbox.base_url.removeprefix("http://").rsplit(":", 1)
            self._connection = http.client.HTTPConnection(host, int(port), timeout=60)
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _plausible(param: str, kind: Kind) -> str:
    if param in _PLAUSIBLE_PARAMS:
        return _PLAUSIBLE_PARAMS[param]
    values = getattr(kind, "values", ())
    if values:
        return str(values[0])
    return _PLAUSIBLE.get(kind.name, "fuzz")


def _encode(pairs: Sequence[tuple[str, bytes]]) -> bytes:
    return "&".join(
        f"{urllib.parse.quote(name, safe='')}={urllib.parse.quote_from_bytes(value, safe='')}"
        for name, value in pairs
    ).encode()


def _basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


# --- the script ---------------------------------------------------------------------------


def run(count: int, seed: int) -> tuple[int, collections.Counter[str], list[str], float]:
    """(requests sent, 5xx by route, problems, seconds) of ``count`` hostile requests."""
    by_route: collections.Counter[str] = collections.Counter()
    problems: list[str] = []
    with Sandbox() as sandbox:
        fuzzer = Fuzzer(sandbox, random.Random(seed))
        populated = fuzzer.populate()
        swept = len(fuzzer.params()) * len(HOSTILE)
        print(f"{len(fuzzer.routes)} routes, a sweep of {swept} requests", flush=True)
        print(f"{populated} records to aim at", flush=True)
        started = time.perf_counter()
        sent = 0
        for case in fuzzer.sweep():
            if sent >= count:
                break
            status, body = fuzzer.send(case)
            sent += 1
            found = problem(status, body)
            if found is not None:
                by_route[str(case.route)] += status >= 500
                problems.append(f"{case.method} {case.target[:160]}: {found}")
            if sent % 5000 == 0:
                print(f"  {sent} sent, {sum(by_route.values())} 5xx", flush=True)
        fuzzer.close()
    return sent, by_route, problems, time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40_000, help="the sweep, then random")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random choices")
    options = parser.parse_args(argv)
    sent, by_route, problems, seconds = run(options.requests, options.seed)
    print(f"requests sent: {sent} in {seconds:.1f} s ({sent / seconds:.0f}/s)")
    print(f"5xx answers: {sum(by_route.values())}")
    for route, count in by_route.most_common():
        if count:
            print(f"  {count:6d}  {route}")
    for line in problems[:30]:
        print(f"  {line}")
    if len(problems) > 30:
        print(f"  ... and {len(problems) - 30} more problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
