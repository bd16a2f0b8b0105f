"""Checkpoints: what a bulk job has finished, so a job killed at any moment can resume.

A checkpoint is an append-only text file. Its first line identifies the job;
each further line is one event for one record, keyed by SID (``#n`` for the
n-th object of a create), and a run that reaches the end of its records
appends ``finished``::

    # twiliorm checkpoint 2 {"digest": "9f2c...", "info": {}, "job": {"fields": ["Body"], ...}, ...}
    done SM0123...
    skip SM4567...
    begin #12
    done #12 SM89ab...
    finished

The header holds no value of the job: only what it does (operation,
resource, list path, the names of the fields it writes, for messages) and a
salted digest of the whole job (the query's params, the values written, the
create forms), which is what a later run compares. So neither a credential
it writes (a SIP password: any name :func:`twiliorm.logs.is_sensitive`
flags) nor a phone number it filters on is in the file. The digest is
PBKDF2-HMAC-SHA256 with a random salt per file, of :data:`SECRET_ROUNDS`
rounds when the job holds a credential (one round otherwise), so each guess
at a weak password costs as much as against a stored password hash. A
version 1 file (which held the job in clear) is still resumed, as it is.

What ``resume=`` may name: a missing file (created, mode 0600), an empty
file or one holding only the start of a header (a run killed while writing
it: no event can follow) which is adopted, or a checkpoint of this very job.
Anything else raises ConfigurationError and is left exactly as it was, never
truncated or written: a checkpoint of another job, any other text (a CSV, a
JSON file), bytes that are not UTF-8, a symbolic link (whatever it points
to: give the file's own path), a directory, a device or a pipe.

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

import errno
import hashlib
import json
import os
import stat
import time
from collections.abc import Mapping
from typing import Any

from ..exceptions import ConfigurationError
from ..logs import is_sensitive

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no advisory lock
    fcntl = None  # type: ignore[assignment]

__all__ = ["SECRET_ROUNDS", "Checkpoint", "describe", "fingerprint", "job_digest"]

MAGIC = "# twiliorm checkpoint 2 "
LEGACY = "# twiliorm checkpoint 1 "  # the job in clear; still resumed, never rewritten
_HEADER_START = b"# twiliorm checkpoint "
STATES = frozenset({"done", "skip", "fail", "begin", "clear", "unknown"})
FINISHED = "finished"
#: PBKDF2 rounds of the digest of a job that holds a credential: each guess at a password
#: costs that many HMACs (about 0.1 s), the price of a stored password hash.
SECRET_ROUNDS = 200_000
_OPEN_FLAGS = os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


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
        self.job = json.loads(json.dumps(job, sort_keys=True))  # in memory only, never written
        self.info = dict(info or {})
        self.sync_every = sync_every
        self.states: dict[str, str] = {}  # the events since the last finished run
        self.history: dict[str, str] = {}  # the last event of each record, over every run
        self.sids: dict[str, str] = {}  # "#n" -> the SID a create got
        self.finished = False  # the last run reached the end of its records
        self._fd = self._open() if write else self._peek()
        self._synced = time.monotonic()

    def __repr__(self) -> str:
        return f"<Checkpoint {self.path} {_describe(describe(self.job))}>"

    # --- opening --------------------------------------------------------------------

    def _open(self) -> int:
        fd = _open_file(self.path, os.O_RDWR | os.O_CREAT)
        try:
            _lock(fd, self.path)
            existing = _read(fd)
            if _adoptable(existing):
                self._write_header(fd)
            else:
                self._load(existing, fd)
            os.lseek(fd, 0, os.SEEK_END)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _write_header(self, fd: int) -> None:
        salt = os.urandom(16)
        header = {
            "job": describe(self.job),
            "salt": salt.hex(),
            "digest": job_digest(self.job, salt),
            "info": self.info,
        }
        os.ftruncate(fd, 0)  # an empty file, or a header cut short: nothing is lost
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, (MAGIC + json.dumps(header, sort_keys=True) + "\n").encode())
        os.fsync(fd)
        _sync_directory(self.path)

    def _peek(self) -> int:
        """Read an existing checkpoint without writing to it (a dry run): no descriptor."""
        try:
            fd = _open_file(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return -1
        try:
            existing = _read(fd)
        finally:
            os.close(fd)
        if not _adoptable(existing):
            self._load(existing, -1)
        return -1

    def _load(self, data: bytes, fd: int) -> None:
        """Check the header is this job's, then read the events (dropping a torn last one)."""
        complete = data[: data.rfind(b"\n") + 1]
        text = _text(complete or data, self.path)  # all of it: a binary file says so
        lines = text.split("\n")[:-1] if complete else []
        self._check_header(lines[0] if lines else "")
        if len(complete) != len(data) and fd >= 0:
            os.ftruncate(fd, len(complete))  # a torn last line: the write never finished
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
        magic = next((m for m in (MAGIC, LEGACY) if line.startswith(m)), None)
        if magic is None:
            raise ConfigurationError(
                f"{self.path} is not a twiliorm checkpoint; give a new file name or that "
                "job's file (nothing was written to it)"
            )
        try:
            header = json.loads(line[len(magic) :])
            ours = self._matches(header, legacy=magic == LEGACY)
            shown = dict(describe(header["job"]) if magic == LEGACY else header["job"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ConfigurationError(f"checkpoint {self.path} has a damaged header") from None
        if not ours:
            raise ConfigurationError(
                f"checkpoint {self.path} belongs to another job "
                f"{_other(shown, describe(self.job))}: resume that job, or use another file"
            )

    def _matches(self, header: Mapping[str, Any], *, legacy: bool) -> bool:
        if legacy:
            return bool(header["job"] == self.job)
        digest = job_digest(self.job, bytes.fromhex(header["salt"]))
        return bool(header["digest"] == digest)

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


# --- what the header says ---------------------------------------------------------------


def describe(job: Mapping[str, Any]) -> dict[str, Any]:
    """What a checkpoint shows of ``job``: what it does, none of its values."""
    query = job.get("query")
    shown = {
        "operation": job.get("operation"),
        "resource": job.get("resource"),
        "path": query.get("path") if isinstance(query, Mapping) else None,
        "fields": [pair[0] for pair in job.get("values") or () if pair],
    }
    return {key: value for key, value in shown.items() if value}


def job_digest(job: Mapping[str, Any], salt: bytes) -> str:
    """The salted digest a checkpoint identifies ``job`` by (slow when it holds a credential)."""
    return fingerprint(_canonical(job), secret=_holds_secret(job), salt=salt)


def fingerprint(data: bytes, *, secret: bool, salt: bytes = b"") -> str:
    """PBKDF2-HMAC-SHA256 of ``data``: :data:`SECRET_ROUNDS` rounds when it holds a secret."""
    return hashlib.pbkdf2_hmac("sha256", data, salt, SECRET_ROUNDS if secret else 1).hex()


def _canonical(job: Mapping[str, Any]) -> bytes:
    return json.dumps(job, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _holds_secret(value: Any) -> bool:
    """True when a [name, value] pair or a key anywhere in ``value`` names a credential."""
    if isinstance(value, Mapping):
        return any((is_sensitive(str(k)) and bool(v)) or _holds_secret(v) for k, v in value.items())
    if isinstance(value, list):
        if len(value) == 2 and isinstance(value[0], str) and is_sensitive(value[0]):
            return bool(value[1])
        return any(_holds_secret(item) for item in value)
    return False


def _describe(shown: Mapping[str, Any]) -> str:
    fields = f" ({', '.join(map(str, shown['fields']))})" if shown.get("fields") else ""
    where = f" on {shown['path']}" if shown.get("path") else ""
    return f"{shown.get('operation', '?')} {shown.get('resource', '')}{fields}{where}".strip()


def _other(recorded: Mapping[str, Any], ours: Mapping[str, Any]) -> str:
    if recorded == ours:
        return f"({_describe(ours)} too, with other values, filters or objects)"
    return f"({_describe(recorded)}), not this one ({_describe(ours)})"


# --- the file --------------------------------------------------------------------------


def _open_file(path: str, flags: int) -> int:
    """Open ``path`` itself (never through a symbolic link), refusing what is not a file."""
    if os.path.islink(path):
        raise _not_a_file(path, "a symbolic link; give the path of the file itself")
    try:
        fd = os.open(path, flags | _OPEN_FLAGS, 0o600)
    except IsADirectoryError:
        raise _not_a_file(path, "a directory") from None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):  # O_NOFOLLOW met a link made meanwhile
            raise _not_a_file(path, "a symbolic link; give the path of the file itself") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _not_a_file(path, "not a regular file")
    return fd


def _not_a_file(path: str, what: str) -> ConfigurationError:
    return ConfigurationError(f"checkpoint {path} is {what}")


def _adoptable(data: bytes) -> bool:
    """Empty, or the start of a header and nothing more: a file that holds no event."""
    if b"\n" in data:
        return False
    return _HEADER_START.startswith(data) or data.startswith(_HEADER_START)


def _text(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(
            f"{path} is not a twiliorm checkpoint: it is not UTF-8 text (byte "
            f"0x{data[exc.start]:02x} at offset {exc.start}); give a new file name or that "
            "job's file (nothing was written to it)"
        ) from None
