"""Injected faults (``faults=`` / ``--faults``): each kind as a client meets it, and the
reproducibility of a run: the same SPEC and seed give the same sequence of faults.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator

import pytest
import urllib3

from twiliorm.sandbox import Faults, Sandbox
from twiliorm.sandbox.faults import parse

from .test_sandbox_operation import Served
from .test_sandbox_support import Raw

FORM = {"To": "+15558675310", "From": "+15017122661", "Body": "Hello"}


def run(spec: str, seed: int, requests: int = 60) -> list[str | None]:
    """The faults a fixed sequence of requests gets from a fresh sandbox."""
    with Sandbox(faults=spec, fault_seed=seed) as sandbox:
        raw = Raw(sandbox)
        for n in range(requests):
            try:
                if n % 3 == 2:
                    raw("POST", f"{raw.a}/Messages.json", FORM)
                else:
                    raw("GET", f"{raw.a}/Messages.json?PageSize=5")
            except urllib3.exceptions.HTTPError:
                raw.close()
                raw = Raw(sandbox)
        raw.close()
        return [r.fault for r in sandbox.requests]


SPEC = "429=0.1:0,500@GET=0.05,503=0.05,reset=0.05,lost@POST=0.1,garbage=0.05,truncate=0.05"


def test_the_same_spec_and_seed_give_the_same_faults() -> None:
    first, second = run(SPEC, 7), run(SPEC, 7)
    assert first == second
    assert len(set(first) - {None}) >= 4  # a real mix, not an empty run
    assert run(SPEC, 8) != first


def test_the_command_draws_the_same_sequence_as_the_class() -> None:
    served = Served("--faults", SPEC, "--fault-seed", "7")
    try:
        http = urllib3.PoolManager(
            retries=False,
            headers=urllib3.make_headers(basic_auth="x:y"),  # the fault comes first
        )
        faults = []
        for _ in range(40):
            try:
                answer = http.request("GET", served.base_url + "/2010-04-01/Accounts.json")
                faults.append(answer.status)
            except urllib3.exceptions.HTTPError:
                faults.append(0)
    finally:
        served.stop()
    expected = Faults(SPEC, 7)
    for status in faults:
        fault = expected.draw("GET")
        kind = fault.kind if fault else None
        if kind in ("429", "500", "503"):
            assert status == int(kind)
        elif kind == "garbage":
            assert status == 200
        elif kind in ("reset", "truncate"):
            assert status == 0
        else:
            assert status == 401  # not a fault: the wrong credentials are answered


Make = Callable[[str], tuple[Sandbox, Raw]]


@pytest.fixture
def raw_for() -> Iterator[Make]:
    opened: list[tuple[Sandbox, Raw]] = []

    def make(spec: str) -> tuple[Sandbox, Raw]:
        sandbox = Sandbox(faults=spec).start()
        pair = (sandbox, Raw(sandbox))
        opened.append(pair)
        return pair

    yield make
    for sandbox, raw in opened:
        raw.close()
        sandbox.stop()


def test_429_carries_retry_after_and_nothing_is_processed(raw_for: Make) -> None:
    _, raw = raw_for("429@POST=1:3")
    answer = raw("POST", f"{raw.a}/Messages.json", FORM)
    assert (answer.status, answer.json()["code"]) == (429, 20429)
    assert answer.headers["Retry-After"] == "3"
    assert raw("GET", f"{raw.a}/Messages.json").json()["messages"] == []
    _, bare = raw_for("429=1:none")
    assert "Retry-After" not in bare("GET", f"{bare.a}/Messages.json").headers


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_twilio_bodies(raw_for: Make, status: int) -> None:
    _, raw = raw_for(f"{status}=1")
    answer = raw("POST", f"{raw.a}/Messages.json", FORM)
    body = answer.json()
    assert (answer.status, body["status"], body["code"]) == (status, status, 20000 + status)
    assert set(body) == {"code", "message", "more_info", "status"}


def test_a_reset_connection_processes_nothing(raw_for: Make) -> None:
    sandbox, raw = raw_for("reset@POST=1")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        raw("POST", f"{raw.a}/Messages.json", FORM)
    assert Raw(sandbox)("GET", f"{raw.a}/Messages.json").json()["messages"] == []
    assert sandbox.requests[0].fault == "reset"


def test_a_lost_answer_was_processed(raw_for: Make) -> None:
    sandbox, raw = raw_for("lost@POST=1")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        raw("POST", f"{raw.a}/Messages.json", FORM)
    (kept,) = Raw(sandbox)("GET", f"{raw.a}/Messages.json").json()["messages"]
    assert kept["body"] == "Hello"
    assert (sandbox.requests[0].status, sandbox.requests[0].fault) == (201, "lost")


def test_a_truncated_answer_ends_early(raw_for: Make) -> None:
    _, raw = raw_for("truncate=1")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        raw("GET", f"{raw.a}/Messages.json")


def test_a_slow_answer_arrives_whole(raw_for: Make) -> None:
    sandbox, raw = raw_for("slow=1:0.3")
    answer = raw("GET", f"{raw.a}/Messages.json")
    assert answer.status == 200 and answer.json()["messages"] == []
    assert sandbox.requests[0].fault == "slow"


def test_garbage_is_200_but_not_json_and_not_processed(raw_for: Make) -> None:
    _, raw = raw_for("garbage@POST=1")
    answer = raw("POST", f"{raw.a}/Messages.json", FORM)
    assert answer.status == 200
    with pytest.raises(ValueError):
        answer.json()
    assert raw("GET", f"{raw.a}/Messages.json").json()["messages"] == []


def test_a_rule_for_one_method_spares_the_others(raw_for: Make) -> None:
    _, raw = raw_for("503@DELETE=1")
    assert raw("GET", f"{raw.a}/Messages.json").status == 200
    sid = raw("POST", f"{raw.a}/Messages.json", FORM).json()["sid"]
    assert raw("DELETE", f"{raw.a}/Messages/{sid}.json").status == 503


def test_bursts_of_429_come_in_runs_of_their_length() -> None:
    faults = Faults("burst429=0.2:4", seed=3)
    labels = [getattr(faults.draw("GET"), "label", None) for _ in range(400)]
    runs = [len(list(group)) for label, group in itertools.groupby(labels) if label]
    assert runs and all(length % 4 == 0 for length in runs)
    assert sum(runs) > 40  # bursts did start, several times


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("teapot=0.1", "unknown fault 'teapot'"),
        ("500", "needs a rate"),
        ("500=often", "not a number"),
        ("500=1.5", "between 0 and 1"),
        ("500@PATCH=0.1", "unknown method"),
        ("reset=0.1:5", "takes no argument"),
        ("burst429=0.1:2.5", "whole number"),
        ("slow=0.1:-1", "number of seconds"),
        ("500=0.6,503=0.6", "at most 1"),
    ],
)
def test_a_bad_spec_says_what_is_wrong(spec: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        parse(spec)


def test_a_burst_for_one_method_takes_only_that_method() -> None:
    faults = Faults("burst429@POST=1:5", seed=1)
    methods = ["POST", "GET", "DELETE", "GET", "POST", "POST", "GET", "POST", "POST", "POST"]
    labels = [getattr(faults.draw(method), "label", None) for method in methods]
    by_method = list(zip(methods, labels, strict=True))
    assert [label for method, label in by_method if method != "POST"] == [None] * 4
    posts = [label for method, label in by_method if method == "POST"]
    assert posts[:5] == ["burst429"] * 5  # the burst runs across the GETs and DELETEs


def test_bursts_draw_one_number_per_request_whatever_the_method() -> None:
    faults = Faults("burst429@POST=0.3:3,500@GET=0.2", seed=5)
    points = random.Random(5)
    methods = ["GET", "POST", "DELETE"] * 100
    seen = []
    for method in methods:
        point = points.random()  # the number this request draws, burst or not
        label = getattr(faults.draw(method), "label", None)
        if method == "GET":
            assert label == ("500" if point < 0.2 else None)
        seen.append(label)
    assert "burst429" in seen and seen.count("500") > 5


def test_a_burst_spares_the_other_methods_on_the_wire(raw_for: Make) -> None:
    _, raw = raw_for("burst429@POST=1:5")
    assert raw("POST", f"{raw.a}/Messages.json", FORM).status == 429
    assert raw("GET", f"{raw.a}/Messages.json").status == 200
    assert raw("DELETE", f"{raw.a}/Messages/SM{'0' * 32}.json").status == 404
    assert raw("POST", f"{raw.a}/Messages.json", FORM).status == 429
