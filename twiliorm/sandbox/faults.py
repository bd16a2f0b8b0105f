"""Injected faults (``--faults SPEC --fault-seed N``): how the sandbox misbehaves on purpose.

SPEC is comma-separated rules ``KIND[@METHOD]=RATE[:ARG]``:

=========  ================================================================
KIND       what the request gets
=========  ================================================================
429        429 with code 20429 and ``Retry-After: ARG`` seconds (default 1;
           ``none`` omits the header); not processed
500, 502,  that status with Twilio's error body; not processed
503, 504
reset      the connection is closed (reset) without processing the request
lost       the request is processed, then the connection is closed unanswered
slow       the answer body is trickled over ARG seconds (default 5)
truncate   half the answer body is sent, then the connection is closed
garbage    200 with a body that is not JSON; not processed
burst429   with probability RATE, ARG consecutive 429s start (default 10)
=========  ================================================================

``@METHOD`` (GET, POST, DELETE) limits a rule to that method; a burst
started by ``burst429@POST`` takes only POSTs, the other requests in
between get what they would have got. For every request, in arrival order,
one number is drawn from ``random.Random(fault_seed)`` (a request inside a
burst too); the first rule (in SPEC order) whose cumulative rate exceeds it
applies, so the same SPEC and seed give the same sequence of faults. The
request log records the fault each request got.
"""

from __future__ import annotations

import random
import threading

import attrs

__all__ = ["Fault", "Faults", "Rule", "parse"]

KINDS = ("429", "500", "502", "503", "504", "reset", "lost", "slow", "truncate", "garbage")
BURST = "burst429"
METHODS = ("GET", "POST", "DELETE")
_DEFAULT_ARGS = {"429": "1", "slow": "5", BURST: "10"}


@attrs.frozen
class Rule:
    kind: str
    method: str | None
    rate: float
    arg: str | None = None


@attrs.frozen
class Fault:
    """The fault one request gets: its kind, its argument, and the label the log shows."""

    kind: str
    arg: str | None = None
    label: str = ""

    @property
    def retry_after(self) -> str | None:
        """The Retry-After header of a 429, or None to omit it."""
        if self.kind != "429" or self.arg is None or self.arg == "none":
            return None
        return self.arg

    @property
    def seconds(self) -> float:
        return float(self.arg or _DEFAULT_ARGS["slow"])


def parse(spec: str) -> tuple[Rule, ...]:
    """Read a SPEC; a mistake raises ValueError saying what is wrong and what would be right."""
    rules = tuple(_rule(part.strip()) for part in spec.split(",") if part.strip())
    for method in METHODS:
        total = sum(r.rate for r in rules if r.method in (None, method))
        if total > 1 + 1e-9:
            raise ValueError(
                f"fault rates for {method} requests add up to {total:g}; they must total at most 1"
            )
    return rules


def _rule(text: str) -> Rule:
    head, equals, value = text.partition("=")
    if not equals:
        raise ValueError(f"fault rule {text!r} needs a rate: KIND[@METHOD]=RATE[:ARG]")
    kind, _, method = head.partition("@")
    if kind not in (*KINDS, BURST):
        raise ValueError(
            f"unknown fault {kind!r} in {text!r}; use one of {', '.join((*KINDS, BURST))}"
        )
    if method and method.upper() not in METHODS:
        raise ValueError(f"unknown method {method!r} in {text!r}; use one of {', '.join(METHODS)}")
    rate_text, _, arg = value.partition(":")
    try:
        rate = float(rate_text)
    except ValueError:
        raise ValueError(f"fault rate {rate_text!r} in {text!r} is not a number") from None
    if not 0 <= rate <= 1:
        raise ValueError(f"fault rate {rate_text!r} in {text!r} must be between 0 and 1")
    return Rule(kind, method.upper() or None, rate, _arg(kind, arg or None, text))


def _arg(kind: str, arg: str | None, text: str) -> str | None:
    if arg is None:
        return _DEFAULT_ARGS.get(kind)
    if kind == "429" and arg == "none":
        return arg
    if kind in ("429", "slow", BURST):
        try:
            number = float(arg)
        except ValueError:
            number = -1
        if number < 0 or (kind == BURST and (number < 1 or not number.is_integer())):
            what = "a whole number of 429s" if kind == BURST else "a number of seconds"
            raise ValueError(f"fault {kind} in {text!r} takes {what}, not {arg!r}")
        return arg
    raise ValueError(f"fault {kind} in {text!r} takes no argument (got {arg!r})")


class Faults:
    """Draws the fault of each request from the rules and a seeded generator (thread-safe)."""

    def __init__(self, rules: tuple[Rule, ...] | str, seed: int | None = 0) -> None:
        self.rules = parse(rules) if isinstance(rules, str) else rules
        self.seed = seed
        self._random = random.Random(seed)
        #: 429s left in the bursts under way, by the method their rule is for (None: any)
        self._bursts: dict[str | None, int] = {}
        self._lock = threading.Lock()

    def draw(self, method: str) -> Fault | None:
        """The fault for the next request (one draw per request, in arrival order)."""
        with self._lock:
            point = self._random.random()
            method = method.upper()
            for key in (method, None):
                if self._bursts.get(key, 0) > 0:
                    self._bursts[key] -= 1
                    return Fault("429", "none", BURST)
            return self._pick(method, point)

    def _pick(self, method: str, point: float) -> Fault | None:
        reached = 0.0
        for rule in self.rules:
            if rule.method not in (None, method):
                continue
            reached += rule.rate
            if point < reached:
                if rule.kind == BURST:
                    self._bursts[rule.method] = int(float(rule.arg or 10)) - 1
                    return Fault("429", "none", BURST)
                return Fault(rule.kind, rule.arg, rule.kind)
        return None
