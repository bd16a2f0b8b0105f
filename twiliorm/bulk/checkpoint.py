"""Checkpoints: what a bulk job has finished, so a job killed at any moment can resume.

A checkpoint is an append-only text file. Its first line names the job (the
operation, the resource, the query and what it writes); each further line is
one event for one record, keyed by SID (``#n`` for the n-th object of a
create), and a run that reaches the end of its records appends ``finished``::

    # twiliorm checkpoint 1 {"job": {"operation": "update", "query": {...}, ...}, ...}
    done SM0123...
    skip SM4567...
    begin #12
    done #12 SM89ab...
    finished

Every line goes to the operating system as soon as its record is settled, so
killing the process loses nothing that was recorded. ``fsync`` is called at
once for an intent (``begin``, written *before* a request that must not be
sent twice), with the first event recorded ``sync_every`` seconds or more
after the last one, and on close; so a machine crash can lose the events of
the last moments before it, which a resumed job re-derives by looking at the
records before writing. A torn last line (a crash in the middle of a write) is
dropped when the file is reopened.

One process at a time: the file is locked while a job has it open (``flock``
on POSIX), and a second job asking for it gets a ConfigurationError.

Resuming reads the file back. :attr:`Checkpoint.states` holds the events since
the last ``finished`` (those of the run that was interrupted), and
:attr:`Checkpoint.history` every event of every run, which only creates use:
an object created stays created. What the bulk calls make of a state is in
:mod:`twiliorm.bulk`.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

from ..exceptions import ConfigurationError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no advisory lock
    fcntl = None  # type: ignore[assignment]

__all__ = ["Checkpoint"]

MAGIC = "# twiliorm checkpoint 1 "
STATES = frozenset({"done", "skip", "fail", "begin", "clear", "unknown"})
FINISHED = "finished"


class Checkpoint:
    """An open checkpoint file for one job (see the module docstring)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        job: Mapping[str, Any],
        *,
        info: Mapping[str, Any] | None = None,
        sync_every: float = 0.05,
        write: bool = True,
    ) -> None:
        self.path = os.fspath(path)
        self.job = json.loads(json.dumps(job, sort_keys=True))
        self.info = dict(info or {})
        self.sync_every = sync_every
        self.states: dict[str, str] = {}  # the events since the last finished run
        self.history: dict[str, str] = {}  # the last event of each record, over every run
        self.sids: dict[str, str] = {}  # "#n" -> the SID a create got
        self.finished = False  # the last run reached the end of its records
        self._fd = self._open() if write else self._peek()
        self._synced = time.monotonic()

    # --- opening --------------------------------------------------------------------

    def _open(self) -> int:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(fd, self.path)
            existing = _read(fd)
            if b"\n" not in existing:  # new, or killed writing its header
                header = {"job": self.job, "info": self.info}
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
                os.write(fd, (MAGIC + json.dumps(header, sort_keys=True) + "\n").encode())
                os.fsync(fd)
                _sync_directory(self.path)
            else:
                self._load(existing, fd)
            os.lseek(fd, 0, os.SEEK_END)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _peek(self) -> int:
        """Read an existing checkpoint without writing to it (a dry run): no descriptor."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return -1
        try:
            existing = _read(fd)
        finally:
            os.close(fd)
        if b"\n" in existing:
            self._load(existing, -1)
        return -1

    def _load(self, text: bytes, fd: int) -> None:
        complete = text[: text.rfind(b"\n") + 1]
        if len(complete) != len(text) and fd >= 0:
            os.ftruncate(fd, len(complete))  # a torn last line: the write never finished
        lines = complete.decode("utf-8").splitlines()
        self._check_header(lines[0] if lines else "")
        for number, line in enumerate(lines[1:], start=2):
            if line == FINISHED:
                self._mark_finished()
                continue
            state, _, rest = line.partition(" ")
            key, _, extra = rest.partition(" ")
            if state not in STATES or not key:
                raise ConfigurationError(
                    f"checkpoint {self.path} line {number} is not a checkpoint event: {line[:80]!r}"
                )
            self._note(state, key, extra)

    def _note(self, state: str, key: str, extra: str) -> None:
        self.states[key] = self.history[key] = state
        if extra:
            self.sids[key] = extra
        self.finished = False

    def _mark_finished(self) -> None:
        self.states.clear()
        self.finished = True

    def _check_header(self, line: str) -> None:
        if not line.startswith(MAGIC):
            raise ConfigurationError(
                f"{self.path} is not a twiliorm checkpoint; give a new file name or that job's file"
            )
        try:
            recorded = json.loads(line[len(MAGIC) :])["job"]
        except (ValueError, KeyError, TypeError):
            raise ConfigurationError(f"checkpoint {self.path} has a damaged header") from None
        if recorded != self.job:
            raise ConfigurationError(
                f"checkpoint {self.path} belongs to another job ({_describe(recorded)}), not "
                f"this one ({_describe(self.job)}): resume that job, or use another file"
            )

    # --- recording ------------------------------------------------------------------

    def state(self, key: str) -> str | None:
        """The last event recorded for ``key`` (None when there is none)."""
        return self.states.get(key)

    def record(self, state: str, key: str, extra: str = "", *, sync: bool = False) -> None:
        """Append one event; ``sync`` makes it durable before returning (an intent)."""
        if state not in STATES:
            raise ValueError(f"unknown checkpoint event {state!r}")
        self._note(state, key, extra)
        self._append(f"{state} {key} {extra}".rstrip(), sync)

    def finish(self) -> None:
        """Mark the run finished: a later run trusts none of its entries but its creates."""
        self._mark_finished()
        self._append(FINISHED, True)

    def _append(self, line: str, sync: bool) -> None:
        if self._fd < 0:
            return
        os.write(self._fd, (line + "\n").encode())
        now = time.monotonic()
        if sync or now - self._synced >= self.sync_every:
            os.fsync(self._fd)
            self._synced = now

    def close(self) -> None:
        if self._fd >= 0:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> Checkpoint:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _lock(fd: int, path: str) -> None:
    """Hold an exclusive lock on the open file, or say which file another job holds."""
    if fcntl is None:  # pragma: no cover - not POSIX
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise ConfigurationError(
            f"checkpoint {path} in use: another job (or another process) has it open; "
            "wait for it to end, or give this job another file"
        ) from None


def _read(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _sync_directory(path: str) -> None:
    """Make the new file's name durable too (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _describe(job: Mapping[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(job.items()))
