"""Checkpoints: what a bulk job has finished, so a job killed at any moment can resume.

A checkpoint is an append-only text file. Its first line names the job (the
operation, the resource and what it writes); each further line is one event
for one record, keyed by SID (``#n`` for the n-th object of a create)::

    # twiliorm checkpoint 1 {"job": {"operation": "update", "resource": "Message", ...}, ...}
    done SM0123...
    skip SM4567...
    begin #12
    done #12 SM89ab...

Every line goes to the operating system as soon as its record is settled, so
killing the process loses nothing that was recorded; fsync follows at most
``sync_every`` seconds later (and at once for the intent of a create, which is
written *before* the request), so a machine crash loses at most that much, and
the jobs re-derive it by looking at the records before writing. A torn last
line (a crash in the middle of a write) is dropped when the file is reopened.

Resuming reads the file back: ``done`` and ``skip`` records are not touched
again; a create whose last event is ``begin`` or ``unknown`` may have reached
the API and is never resent; ``fail`` and ``clear`` (a create that was refused,
so certainly not processed) are tried again.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from typing import Any

from ..exceptions import ConfigurationError

__all__ = ["Checkpoint"]

MAGIC = "# twiliorm checkpoint 1 "
STATES = frozenset({"done", "skip", "fail", "begin", "clear", "unknown"})


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
        self.states: dict[str, str] = {}
        self.resumed = 0
        self._fd = self._open() if write else self._peek()
        self._synced = time.monotonic()

    # --- opening --------------------------------------------------------------------

    def _open(self) -> int:
        existing = _read(self.path)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if existing is None or b"\n" not in existing:  # new, or killed writing its header
                header = {"job": self.job, "info": self.info}
                os.ftruncate(fd, 0)
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
        existing = _read(self.path)
        if existing is not None and b"\n" in existing:
            self._load(existing, -1)
        return -1

    def _load(self, text: bytes, fd: int) -> None:
        complete = text[: text.rfind(b"\n") + 1]
        if len(complete) != len(text) and fd >= 0:
            os.ftruncate(fd, len(complete))  # a torn last line: the write never finished
        lines = complete.decode("utf-8").splitlines()
        self._check_header(lines[0] if lines else "")
        for number, line in enumerate(lines[1:], start=2):
            state, _, rest = line.partition(" ")
            key = rest.split(" ", 1)[0]
            if state not in STATES or not key:
                raise ConfigurationError(
                    f"checkpoint {self.path} line {number} is not a checkpoint event: {line[:80]!r}"
                )
            self.states[key] = state
        self.resumed = len(self.states)

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
        self.states[key] = state
        if self._fd < 0:
            return
        line = f"{state} {key} {extra}".rstrip() + "\n"
        os.write(self._fd, line.encode())
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


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    return text or None


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
