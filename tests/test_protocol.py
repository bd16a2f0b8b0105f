"""The sans-I/O core driven with no socket at all, against the urllib3 driver over HTTP.

The core (:mod:`twiliorm.protocol`) is fed answers that the sandbox's
application computes in-process (``App.handle``: no server, no socket); the
same queries then run through ``Client`` (urllib3) against the same sandbox
over loopback. Both must send the same requests, in the same order, and end
with the same records.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import random
import urllib.parse
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import pytest
import urllib3

import twiliorm
from twiliorm import Message
from twiliorm.exceptions import DecodeError
from twiliorm.persistence import save_request, saved
from twiliorm.protocol import ApiRequest, Attempts, ListReader, RawPage
from twiliorm.queryset import QuerySet
from twiliorm.sandbox import Sandbox
from twiliorm.transport import DEFAULT_RETRY, FunctionTransport, Request, Response, Transport

Answer = tuple[int, dict[str, str], bytes]
Wire = tuple[str, str, tuple[tuple[str, str], ...]]


class Recording:
    """The urllib3 transport, noting each request it sends as (method, target, form)."""

    def __init__(self, inner: Transport, base_url: str) -> None:
        self.inner, self.base_url, self.sent = inner, base_url, list[Wire]()

    def send(self, request: Request) -> Response:
        self.sent.append((request.method, request.url.removeprefix(self.base_url), request.fields))
        return self.inner.send(request)

    def close(self) -> None:
        self.inner.close()


def in_process(sb: Sandbox) -> Callable[[ApiRequest], Answer]:
    """Answers computed by the sandbox's application itself, with no socket."""
    auth = base64.b64encode(f"{sb.account_sid}:{sb.auth_token}".encode()).decode()
    headers = {
        "Authorization": f"Basic {auth}",
        "Content-Type": "application/x-www-form-urlencoded",
    }

    def answer(request: ApiRequest) -> Answer:
        body = urllib.parse.urlencode(request.form).encode()
        reply = sb.app.handle(request.method, request.target, headers, body)
        return reply.status, reply.headers, reply.body

    return answer


def send(request: ApiRequest, answer: Callable[[ApiRequest], Answer], sent: list[Wire]) -> Any:
    """The plainest driver: send, and send again while the policy says so; decode the rest."""
    attempts = Attempts(request, DEFAULT_RETRY)
    while True:
        sent.append((request.method, request.target, request.form))
        status, headers, body = answer(request)
        if attempts.after(status, headers) is None:
            break
    if status == 404 and request.method == "GET":
        return None
    assert status < 400, body
    return json.loads(body)


def read(
    reader: ListReader, answer: Callable[[ApiRequest], Answer]
) -> tuple[list[Wire], list[str]]:
    sent: list[Wire] = []
    sids: list[str] = []
    while reader.request is not None:
        page: RawPage = reader.feed(send(reader.request, answer, sent))
        sids.extend(record["sid"] for record in page.records)
    return sent, sids


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        sandbox.populate(2_150, calls=0)
        yield sandbox


@pytest.fixture
def recorded(sb: Sandbox) -> Iterator[tuple[twiliorm.Client, Recording]]:
    client = sb.client()
    recording = Recording(client.transport, sb.base_url)
    client.transport = recording
    yield client, recording
    client.close()


def reader_for(qs: QuerySet[Any], sb: Sandbox) -> ListReader:
    return ListReader(qs.query.compile(sb.account_sid), "messages", "sid", sb.base_url)


QUERIES: dict[str, Callable[[QuerySet[Message]], QuerySet[Message]]] = {
    "a slice": lambda qs: qs[5:25],
    "an unbounded iteration": lambda qs: qs.all(),
    "a client-refined date filter": lambda qs: qs.filter(
        date_sent__gt=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=6)
    ),
}


@pytest.mark.parametrize("name", QUERIES)
def test_a_read_sends_the_same_requests_and_gives_the_same_records(
    name: str, sb: Sandbox, recorded: tuple[twiliorm.Client, Recording]
) -> None:
    client, recording = recorded
    qs = QUERIES[name](Message.objects.using(client))
    over_http = [m.sid for m in qs]
    sent, sids = read(reader_for(qs, sb), in_process(sb))
    assert sent == recording.sent
    assert sids == over_http
    assert over_http, "the query matched nothing: the comparison would prove nothing"


def test_the_unbounded_read_follows_next_page_uri_to_the_end(
    sb: Sandbox, recorded: tuple[twiliorm.Client, Recording]
) -> None:
    sent, sids = read(reader_for(Message.objects.all(), sb), in_process(sb))
    assert len(sent) == 3 and len(sids) == len(set(sids)) == 2_150
    assert all("PageSize=1000" in target for _, target, _ in sent)


def test_a_get_by_sid(sb: Sandbox, recorded: tuple[twiliorm.Client, Recording]) -> None:
    client, recording = recorded
    sid = Message.objects.using(client)[7].sid
    recording.sent.clear()
    fetched = Message.objects.using(client).get(sid=sid)
    reader = reader_for(Message.objects.filter(sid=sid), sb)
    sent, sids = read(reader, in_process(sb))
    assert (
        sent
        == recording.sent
        == [("GET", f"/2010-04-01/Accounts/{sb.account_sid}/Messages/{sid}.json", ())]
    )
    assert sids == [fetched.sid]


def test_a_get_of_a_missing_sid_is_an_empty_read(sb: Sandbox) -> None:
    reader = reader_for(Message.objects.filter(sid="SM" + "0" * 32), sb)
    assert read(reader, in_process(sb))[1] == []


def test_a_save_sends_the_same_post_and_reads_back_the_same_fields(
    sb: Sandbox, recorded: tuple[twiliorm.Client, Recording]
) -> None:
    client, recording = recorded
    over_http = Message.objects.using(client).new(
        to="+15558675310", from_="+15017122661", body="hi"
    )
    over_http.save()
    offline = Message(to="+15558675310", from_="+15017122661", body="hi")
    write = save_request(offline, None, sb.account_sid)
    assert write is not None
    sent: list[Wire] = []
    saved(offline, write, send(write.request, in_process(sb), sent), None)
    assert sent == recording.sent
    assert offline.sid != over_http.sid and offline.sid.startswith("SM")
    ignore = {"sid", "uri", "subresource_uris", "date_created", "date_updated"}
    assert {k: v for k, v in offline.to_api().items() if k not in ignore} == {
        k: v for k, v in over_http.to_api().items() if k not in ignore
    }
    # An update sends only what changed, to the instance path.
    offline.body = ""
    update = save_request(offline, None, sb.account_sid)
    assert update is not None and update.request.form == (("Body", ""),)
    assert update.request.path.endswith(f"/Messages/{offline.sid}.json")


def first_429_then_not(rate: float = 0.5) -> int:
    """A fault seed whose first draw gets the 429 rule and whose second does not."""
    for seed in range(1000):
        draws = random.Random(seed)
        if draws.random() < rate <= draws.random():
            return seed
    raise AssertionError("no such seed")


def test_a_429_then_success(sb: Sandbox) -> None:
    seed = first_429_then_not()
    with Sandbox(faults="429=0.5:0", fault_seed=seed) as faulty:
        faulty.populate(30, calls=0)
        client = faulty.client()
        recording = Recording(client.transport, faulty.base_url)
        client.transport = recording
        over_http = [m.sid for m in Message.objects.using(client)[:10]]
        # urllib3 sends again inside one transport call: the server saw both.
        on_the_wire = [(r.method, r.path, r.status) for r in faulty.requests]
        # The same two answers, offline: a 429, then the page.
        page = in_process(faulty)
        answers = iter([(429, {"Retry-After": "0"}, b'{"code": 20429}')])
        sent, sids = read(
            reader_for(Message.objects.all()[:10], faulty),
            lambda request: next(answers, None) or page(request),
        )
    path = sent[0][1].split("?")[0]
    assert on_the_wire == [("GET", path, 429), ("GET", path, 200)]
    assert len(sent) == 2 and sent[0] == sent[1] == recording.sent[0]
    assert sids == over_http and len(sids) == 10


def test_a_post_is_sent_again_only_after_a_429() -> None:
    post = ApiRequest("POST", "/2010-04-01/Accounts/AC1/Messages.json", form=(("Body", "x"),))
    assert Attempts(post, DEFAULT_RETRY).after(500, {}) is None
    assert Attempts(post, DEFAULT_RETRY).after(429, {"Retry-After": "2"}) == 2
    get = attrs.evolve(post, method="GET", form=())
    assert Attempts(get, DEFAULT_RETRY).after(503, {}) is not None


def test_links_and_pages_that_cannot_be_followed_are_decode_errors(sb: Sandbox) -> None:
    def pages(*links: Any) -> Callable[[ApiRequest], Answer]:
        bodies = iter(links)

        def answer(_: ApiRequest) -> Answer:
            body = {"messages": [], "next_page_uri": next(bodies)}
            return 200, {}, json.dumps(body).encode()

        return answer

    reader = reader_for(Message.objects.all(), sb)
    with pytest.raises(DecodeError, match="must be text"):
        read(reader, pages(7))
    with pytest.raises(DecodeError, match="already read"):
        read(reader_for(Message.objects.all(), sb), pages("/a?PageToken=1", "/a?PageToken=1"))
    with pytest.raises(DecodeError, match="refusing"):
        read(reader_for(Message.objects.all(), sb), pages("//elsewhere.example/a"))


def test_a_transport_of_your_own_gets_requests_it_can_send_as_they_are(sb: Sandbox) -> None:
    """Auth is the client's: each request carries its credentials, so a transport that
    knows nothing of the client (here: plain urllib3, no pool headers) can send it."""
    http = urllib3.PoolManager()

    def forward(request: Request) -> Response:
        body = urllib.parse.urlencode(list(request.fields)) if request.fields else None
        headers = dict(request.headers or {})
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        answer = http.request(request.method, request.url, body=body, headers=headers)
        return Response(answer.status, answer.headers, answer.data)

    client = twiliorm.Client(
        sb.account_sid, sb.auth_token, base_url=sb.base_url, transport=FunctionTransport(forward)
    )
    created = Message.objects.using(client).create(
        to="+15558675310", from_="+15017122661", body="x"
    )
    assert Message.objects.using(client).get(sid=created.sid).body == "x"
    assert [r.status for r in sb.requests[-2:]] == [201, 200]
