"""Reads on a Dask cluster: partitions and per-sub-account queries exported by worker processes.

A ``dask.distributed`` LocalCluster of two worker processes reads a sandbox that this process
serves on 127.0.0.1, over HTTP. The tasks hold no credential: the workers make the client of
the alias from their own environment (``TWILIO_DASKTEST_*``, inherited when they start), or
from settings given once to :class:`twiliorm.contrib.dask.Connect`. The union of the files the
workers write equals an export made here. ``docs/scale.rst`` ("Beyond one machine: Dask") is
the recipe this mirrors.
"""

from __future__ import annotations

import collections
import csv
import datetime as dt
import json
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from distributed import Client as DaskClient
from distributed import LocalCluster
from distributed.protocol.pickle import dumps as dask_dumps

import twiliorm
from twiliorm import Account, ConfigurationError, Message
from twiliorm.client import set_client
from twiliorm.contrib.dask import Connect, export_each
from twiliorm.sandbox import Clock, Sandbox
from twiliorm.sandbox.populate import populate_messages

UTC = dt.timezone.utc
DAYS = 40


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """A sandbox whose account was made 40 days ago, with 3,000 messages over 35 days."""
    start = dt.datetime.now(UTC).replace(microsecond=0) - dt.timedelta(days=DAYS)
    with Sandbox(clock=Clock(frozen=True, start=start)) as sandbox:
        sandbox.advance(DAYS * 86400)
        populate_messages(sandbox.app, 3000, step=1000)
        yield sandbox


@pytest.fixture(scope="module")
def dask_client(sb: Sandbox) -> Iterator[DaskClient]:
    """Two worker processes, started with the alias ``dasktest`` in their environment."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("TWILIO_DASKTEST_ACCOUNT_SID", sb.account_sid)
        env.setenv("TWILIO_DASKTEST_AUTH_TOKEN", sb.auth_token)
        env.setenv("TWILIO_DASKTEST_API_BASE_URL", sb.base_url)
        cluster = LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        )
        with cluster, DaskClient(cluster) as client:
            yield client


@pytest.fixture(autouse=True)
def here(sb: Sandbox) -> Iterator[twiliorm.Client]:
    """This process's clients of the aliases the tasks name, one each (a client pickles as
    the alias it was first registered under)."""
    clients = {alias: sb.client() for alias in ("dasktest", "dasksubs")}
    for alias, client in clients.items():
        set_client(alias, client)
    try:
        yield clients["dasktest"]
    finally:
        for alias, client in clients.items():
            set_client(alias, None)
            client.close()


def secrets_of(sandbox: Sandbox) -> list[bytes]:
    return [sandbox.auth_token.encode(), sandbox.auth_token.encode("utf-16-le")]


def records_of(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def rows_of(path: Path) -> list[str]:
    """Each record of an exported file as one comparable value: all its columns."""
    return [json.dumps(record, sort_keys=True) for record in records_of(path)]


class Recorder:
    """What is handed to the cluster: the arguments of every ``map()`` call."""

    def __init__(self, client: DaskClient) -> None:
        self.client, self.map, self.calls = client, client.map, []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((args, kwargs))
        return self.map(*args, **kwargs)


def test_every_partition_exported_on_the_workers_is_the_local_export(
    sb: Sandbox, dask_client: DaskClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plugin = Connect("dasktest")  # from each worker's own environment
    assert not any(s in dask_dumps(plugin) for s in secrets_of(sb))
    dask_client.register_plugin(plugin)
    today = dt.datetime.now(UTC).date()
    qs = Message.objects.using("dasktest").filter(
        date_sent__gte=today - dt.timedelta(days=30), date_sent__lt=today - dt.timedelta(days=2)
    )
    parts = qs.partitions(8)
    assert len(parts) == 8
    recorder = Recorder(dask_client)
    monkeypatch.setattr(dask_client, "map", recorder)

    files = export_each(parts, dask_client, tmp_path / "parts", raw_formulas=True)

    # What was sent to the cluster: the task, each partition pickled, the paths; no secret.
    ((args, kwargs),) = recorder.calls
    assert kwargs == {"pure": False} and len(args) == 3
    assert [pickle.loads(blob).query for blob in args[1]] == [part.query for part in parts]
    assert not any(s in dask_dumps(args) for s in secrets_of(sb))
    assert files == [tmp_path / "parts" / f"part-{n:05d}.csv" for n in range(8)]
    qs.export(tmp_path / "local.csv", raw_formulas=True)
    local = rows_of(tmp_path / "local.csv")
    union = [row for path in files for row in rows_of(path)]
    assert 2000 < len(local) < 3000  # the window holds most messages, not all
    assert collections.Counter(union) == collections.Counter(local)
    sids = [record["sid"] for path in files for record in records_of(path)]
    local_sids = {record["sid"] for record in records_of(tmp_path / "local.csv")}
    assert len(set(sids)) == len(sids) and set(sids) == local_sids
    assert sum(1 for path in files if rows_of(path)) >= 6  # the work was spread


def test_one_query_per_sub_account_with_settings_given_once(
    sb: Sandbox, here: twiliorm.Client, dask_client: DaskClient, tmp_path: Path
) -> None:
    subs = [Account.objects.using(here).create(friendly_name=f"isv-{n}").sid for n in range(3)]
    for seed, sid in enumerate(subs, start=10):
        populate_messages(sb.app, 400 + seed, account=sid, seed=seed, step=3000)
    # No TWILIO_DASKSUBS_* on the workers: the settings travel, token and all (as documented).
    plugin = Connect(
        "dasksubs", account_sid=sb.account_sid, auth_token=sb.auth_token, base_url=sb.base_url
    )
    assert sb.auth_token.encode() in dask_dumps(plugin)
    assert sb.auth_token not in repr(plugin)
    dask_client.register_plugin(plugin)
    queries = [Message.objects.using("dasksubs", account=sid) for sid in subs]
    assert {query.client.alias for query in queries} == {"dasksubs"}

    files = export_each(queries, dask_client, tmp_path, format="jsonl", prefix="account")

    for seed, (sid, query, path) in enumerate(zip(subs, queries, files, strict=True), start=10):
        query.export(tmp_path / "local.jsonl", format="jsonl")
        rows = rows_of(path)
        assert rows == rows_of(tmp_path / "local.jsonl")  # each a walk: the same order too
        assert len(rows) == 400 + seed
        assert {record["account_sid"] for record in records_of(path)} == {sid}
    # Removed, the plugin closes its clients and the workers forget the alias.
    dask_client.unregister_worker_plugin(plugin.name)
    with pytest.raises(ConfigurationError, match="TWILIO_DASKSUBS_ACCOUNT_SID"):
        export_each(queries[:1], dask_client, tmp_path / "after")


def test_a_worker_without_the_alias_fails_the_registration_and_says_why(
    dask_client: DaskClient,
) -> None:
    with pytest.raises(ConfigurationError, match="TWILIO_NOWHERE_ACCOUNT_SID"):
        dask_client.register_plugin(Connect("nowhere"))


def test_a_task_whose_alias_the_workers_cannot_make_fails_and_says_why(
    sb: Sandbox, dask_client: DaskClient, tmp_path: Path
) -> None:
    """Only this process knows the alias: the task fails, the worker stays."""
    elsewhere = sb.client()
    set_client("elsewhere", elsewhere)
    try:
        with pytest.raises(ConfigurationError, match="TWILIO_ELSEWHERE_ACCOUNT_SID"):
            export_each([Message.objects.using("elsewhere")], dask_client, tmp_path)
    finally:
        set_client("elsewhere", None)
        elsewhere.close()
    assert len(dask_client.scheduler_info()["workers"]) == 2
    assert dask_client.submit(sum, [1, 2], pure=False).result(timeout=30) == 3


def test_a_query_that_cannot_travel_is_refused_before_anything_is_sent(
    sb: Sandbox, dask_client: DaskClient, tmp_path: Path
) -> None:
    unnamed = sb.client()  # never registered: it has no alias
    with unnamed, pytest.raises(pickle.PicklingError, match="has no alias"):
        export_each([Message.objects.using(unnamed)], dask_client, tmp_path)
    with pytest.raises(ValueError, match="csv, jsonl, json"):
        export_each([Message.objects.using("dasktest")], dask_client, tmp_path, format="xlsx")
    with pytest.raises(TypeError, match="transport"):
        Connect("dasktest", transport=object())
    assert list(tmp_path.iterdir()) == []


def test_importing_twiliorm_does_not_import_dask() -> None:
    code = (
        "import sys, twiliorm, twiliorm.contrib, twiliorm.bulk; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
