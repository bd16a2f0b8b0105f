"""Reads on a Dask cluster (``dask.distributed``): the optional extra ``twiliorm[dask]``.

This module owns two things:

- how a worker process gets the client an alias names, without a credential
  in any task: :class:`Connect`, a worker plugin that makes the alias's
  client on every worker, from the worker's own environment (``TWILIO_*``,
  nothing secret sent) or from settings given once when it is registered
  (those are pickled to the workers: a token given so travels with them);
- running picklable QuerySets (a query's :meth:`~twiliorm.QuerySet.partitions`,
  one query per sub-account, or both) as tasks, each exporting its records to
  a file of its own: :func:`export_each` and the task it sends,
  :func:`export_one`.

A QuerySet pickles as its query and its client's alias (:doc:`clients`), so a
task holds no credential; the worker that loads it binds it to the client of
that alias there. ``docs/scale.rst`` has the recipe and says when one machine
is enough.

``import twiliorm`` never imports this module. It imports ``distributed`` at
its top, not in a function: a worker plugin must be a subclass of
distributed's ``WorkerPlugin`` (``register_plugin`` refuses any other
object), so the class cannot exist without it.
"""

from __future__ import annotations

import functools
import os
import pickle
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..bulk.export import FORMATS
from ..client import DEFAULT_ALIAS, Client, get_client, set_client
from ..client import connect as _connect

try:
    from distributed import Client as DaskClient
    from distributed import WorkerPlugin
except ImportError as exc:  # pragma: no cover - the extra is installed wherever tests run
    raise ImportError(
        "twiliorm.contrib.dask needs dask.distributed: pip install 'twiliorm[dask]'"
    ) from exc

if TYPE_CHECKING:
    from distributed import Worker

    from ..queryset import QuerySet

__all__ = ["Connect", "export_each", "export_one"]


class Connect(WorkerPlugin):
    """Make the client of ``alias`` on every worker of a cluster, now and as workers join.

    ``dask_client.register_plugin(Connect("marketing"))``. With no ``settings`` each
    worker makes the client from its own environment, as any process does for an alias
    it was not given (``TWILIO_MARKETING_ACCOUNT_SID``...; ``TWILIO_*`` for
    ``"default"``): nothing secret leaves this process. With ``settings`` (the keyword
    arguments of :func:`twiliorm.connect`: ``account_sid=``, ``auth_token=``,
    ``base_url=``, ``timeout=``...) each worker calls ``connect(alias=alias,
    **settings)``; the plugin is pickled to the workers and to the scheduler, so a token
    given so travels with it (the environment is the credential-free way).

    A worker that cannot make the client fails the registration: ``register_plugin``
    raises the :class:`~twiliorm.ConfigurationError` saying which variables to set.
    When the worker closes, or the plugin is removed, the client is closed and the alias
    forgotten there.
    """

    idempotent = False  # registered again (new settings), it replaces the old one

    def __init__(self, alias: str = DEFAULT_ALIAS, **settings: Any) -> None:
        if not isinstance(alias, str) or not alias:
            raise TypeError(f"a client alias is a non-empty string, got {alias!r}")
        if "transport" in settings:  # an object of this process's: it would not travel
            raise TypeError("Connect() cannot send a transport to workers; give its settings")
        self.alias = alias
        self.settings = dict(settings)
        self.name = f"twiliorm-connect-{alias}"  # one plugin per alias on a cluster
        self._client: Client | None = None  # on a worker: the client it made

    def setup(self, worker: Worker) -> None:
        if self.settings:
            self._client = _connect(alias=self.alias, **self.settings)
        else:  # made from the worker's environment now, so a missing one fails here
            self._client = get_client(self.alias)

    def teardown(self, worker: Worker) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        if client.alias == self.alias:  # still the alias's client: forget it there
            set_client(self.alias, None)
        client.close()

    def __repr__(self) -> str:
        # Settings may hold a token: their names only.
        where = f"settings {sorted(self.settings)}" if self.settings else "the environment"
        return f"<Connect {self.alias!r} from {where}>"


def export_one(query: bytes | QuerySet[Any], path: str, format: str = "csv", **options: Any) -> str:
    """The task: export ``query`` to ``path`` (its folder made if needed) and return the path.

    Runs on a worker. ``query`` is a pickled QuerySet (``pickle.dumps(qs)``, as
    :func:`export_each` sends it) or a QuerySet. Send the pickle: Dask loads a task's
    arguments as its message arrives, outside the task, so a QuerySet whose alias the
    worker cannot make breaks the worker's link to the scheduler there, while loaded
    here it fails this task with the :class:`~twiliorm.ConfigurationError` saying why.
    ``options`` are :meth:`QuerySet.export`'s (``fields=``, ``raw_formulas=``). The file
    is written beside and renamed at the end: a task run again leaves one whole file."""
    qs = pickle.loads(query) if isinstance(query, bytes) else query
    folder = os.path.dirname(path)
    if folder:
        os.makedirs(folder, exist_ok=True)
    qs.export(path, format=format, **options)
    return path


def export_each(
    querysets: Iterable[QuerySet[Any]],
    dask_client: DaskClient,
    directory: str | os.PathLike[str],
    *,
    format: str = "csv",
    prefix: str = "part",
    **options: Any,
) -> list[Path]:
    """Export each QuerySet to a file of its own in ``directory``, one task each on the
    cluster of ``dask_client``; the files, in the order of ``querysets``, once all are
    written (the first failure is raised).

    ``querysets``: ``qs.partitions(n)`` (together, every record of ``qs`` once), one
    query per sub-account (``qs.using(account=sid)``), or both. Each must pickle: bound
    to a client with an alias that the workers know (:class:`Connect`). ``directory``
    must be one the workers write and this process reads (a local cluster's, or a
    shared file system). File ``n`` is ``<prefix>-<n>.<format>``, n from 00000.
    ``options`` go to :meth:`QuerySet.export` on the workers."""
    parts = list(querysets)
    if format not in FORMATS:
        raise ValueError(f"export format must be one of {', '.join(FORMATS)}, got {format!r}")
    # Pickled here: a client without an alias says so before anything is sent, and a
    # worker loads each in its task (see export_one).
    blobs = [pickle.dumps(part) for part in parts]
    folder = os.fspath(directory)
    paths = [os.path.join(folder, f"{prefix}-{n:05d}.{format}") for n in range(len(parts))]
    task = functools.partial(export_one, format=format, **options)
    # pure=False: a read is not a pure function of its query (the list changes).
    futures = dask_client.map(task, blobs, paths, pure=False)
    # distributed's gather() has no annotations; it gives the tasks' results in order.
    written: list[str] = dask_client.gather(futures)  # type: ignore[no-untyped-call]
    return [Path(path) for path in written]
