"""Objects that travel: instances and QuerySets pickle and deep-copy, naming their client by alias.

A pickle never holds a credential; loaded in another process, it binds to the client of that
alias there (from its environment), and a missing alias is a ConfigurationError. The
cross-process tests run a fresh interpreter against a sandbox over HTTP.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import twiliorm
from twiliorm import Message, Queue
from twiliorm.client import set_client
from twiliorm.sandbox import Sandbox

ROOT = Path(twiliorm.__file__).resolve().parent.parent

WORKER = """
import json, pickle, sys
from twiliorm import ConfigurationError, Queue

blobs = pickle.loads(sys.stdin.buffer.read())
out = {}
qs = pickle.loads(blobs["qs"])
out["alias"] = qs.client.alias
out["names"] = sorted(q.friendly_name for q in qs)
cached = pickle.loads(blobs["cached"])
out["cached"] = [q.friendly_name for q in cached]
queue = pickle.loads(blobs["queue"])
queue.friendly_name = "renamed in a worker"
queue.save()
out["fetched"] = Queue.objects.get(sid=queue.sid).friendly_name
try:
    there = pickle.loads(blobs["marketing"])
    out["marketing"] = [q.friendly_name for q in there.all()]
except ConfigurationError as exc:
    out["marketing_error"] = str(exc)
print(json.dumps(out))
"""


@pytest.fixture
def marketing() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:
        yield sandbox


@pytest.fixture(autouse=True)
def _forget_marketing() -> Iterator[None]:
    yield
    set_client("marketing", None)


def secrets_of(sandbox: Sandbox) -> list[bytes]:
    token = sandbox.auth_token.encode()
    pair = f"{sandbox.account_sid}:{sandbox.auth_token}".encode()
    return [token, base64.b64encode(token), base64.b64encode(pair)]


def run_worker(sandbox: Sandbox, blobs: dict[str, bytes], **env: str) -> dict[str, Any]:
    """Load ``blobs`` in a fresh interpreter whose environment points at ``sandbox``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TWILIO_")}
    environ.update(
        TWILIO_ACCOUNT_SID=sandbox.account_sid,
        TWILIO_AUTH_TOKEN=sandbox.auth_token,
        TWILIO_API_BASE_URL=sandbox.base_url,
        PYTHONPATH=str(ROOT),
        **env,
    )
    done = subprocess.run(
        [sys.executable, "-c", WORKER],
        input=pickle.dumps(blobs),
        env=environ,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    return dict(json.loads(done.stdout))


def test_a_pickle_names_the_alias_and_holds_no_credential(
    sandbox: Sandbox, client: twiliorm.Client
) -> None:
    queue = Queue.objects.create(friendly_name="support")
    qs = Queue.objects.using("default").all()
    list(qs)
    for blob in (pickle.dumps(queue), pickle.dumps(qs)):
        assert b"get_client" in blob and b"default" in blob
        for secret in secrets_of(sandbox):
            assert secret not in blob


def test_an_instance_round_trips_in_process(client: twiliorm.Client) -> None:
    queue = Queue.objects.create(friendly_name="support")
    queue.friendly_name = "edited"
    loaded = pickle.loads(pickle.dumps(queue))
    assert loaded == queue and loaded is not queue
    assert loaded._ctx is not None and loaded._ctx.client is client
    assert loaded.changed_fields() == ["friendly_name"]  # what changed travels too
    loaded.save()
    assert Queue.objects.get(sid=queue.sid).friendly_name == "edited"


def test_a_queryset_round_trips_without_sending_a_request(
    sandbox: Sandbox, client: twiliorm.Client
) -> None:
    Message.objects.create(to="+15558675310", from_="+14155550100", body="hi")
    qs = Message.objects.filter(to="+15558675310").using("default")
    before = len(sandbox.requests)
    loaded = pickle.loads(pickle.dumps(qs))
    assert len(sandbox.requests) == before  # unlike Django's, pickling does not evaluate
    assert loaded._result_cache is None and loaded.explain() == qs.explain()
    assert [m.body for m in loaded] == ["hi"] and loaded.client is client
    cached = pickle.loads(pickle.dumps(loaded))
    before = len(sandbox.requests)
    assert [m.body for m in cached] == ["hi"] and len(sandbox.requests) == before


def test_deep_copies_share_the_client_and_not_the_values(client: twiliorm.Client) -> None:
    queue = Queue.objects.create(friendly_name="support")
    twin = copy.deepcopy(queue)
    twin.friendly_name = "other"
    assert queue.friendly_name == "support" and twin.changed_fields() == ["friendly_name"]
    assert twin._ctx is not None and twin._ctx.client is client
    qs = Queue.objects.using(client).all()
    list(qs)
    copied = copy.deepcopy(qs)
    assert copied._result_cache is None and qs._result_cache  # as Django's: results not copied
    assert copied.client is client and [q.sid for q in copied] == [queue.sid]


def test_an_unregistered_client_deep_copies_but_does_not_pickle(sandbox: Sandbox) -> None:
    with sandbox.client() as plain:
        queue = Queue.objects.using(plain).create(friendly_name="support")
        assert copy.deepcopy(queue)._ctx.client is plain  # type: ignore[union-attr]
        for unpicklable in (queue, Queue.objects.using(plain).all()):
            with pytest.raises(pickle.PicklingError, match=r"has no alias.*alias="):
                pickle.dumps(unpicklable)


def test_values_querysets_refuse_to_pickle_clearly(client: twiliorm.Client) -> None:
    with pytest.raises(pickle.PicklingError, match=r"values\(\)/values_list\(\)"):
        pickle.dumps(Queue.objects.values("sid"))
    assert pickle.loads(pickle.dumps(Queue.objects.all())).model is Queue


def test_a_fresh_process_loads_and_uses_what_was_pickled(
    sandbox: Sandbox, marketing: Sandbox, client: twiliorm.Client
) -> None:
    queue = Queue.objects.create(friendly_name="support")
    Queue.objects.create(friendly_name="billing")
    twiliorm.connect(
        marketing.account_sid, marketing.auth_token, base_url=marketing.base_url, alias="marketing"
    )
    Queue.objects.using("marketing").create(friendly_name="campaigns")
    cached = Queue.objects.all()
    list(cached)
    blobs = {
        "qs": pickle.dumps(Queue.objects.all()),
        "cached": pickle.dumps(cached),
        "queue": pickle.dumps(queue),
        "marketing": pickle.dumps(Queue.objects.using("marketing").all()),
    }
    for blob in blobs.values():
        for secret in [*secrets_of(sandbox), *secrets_of(marketing)]:
            assert secret not in blob

    out = run_worker(sandbox, blobs)
    assert out["alias"] == "default" and out["names"] == ["billing", "support"]
    assert out["cached"] == [q.friendly_name for q in cached]
    assert out["fetched"] == "renamed in a worker"
    assert queue.refresh().friendly_name == "renamed in a worker"  # saved there, seen here
    error = out["marketing_error"]
    assert "'marketing'" in error and "TWILIO_MARKETING_ACCOUNT_SID" in error

    configured = {
        "TWILIO_MARKETING_ACCOUNT_SID": marketing.account_sid,
        "TWILIO_MARKETING_AUTH_TOKEN": marketing.auth_token,
        "TWILIO_MARKETING_API_BASE_URL": marketing.base_url,
    }
    assert run_worker(sandbox, blobs, **configured)["marketing"] == ["campaigns"]
