"""One record's work in a bulk call: update, delete, fetch or create it, safely repeatable.

Each job sends one request (plus a look before it writes again) and turns the
answer into an :class:`~twiliorm.bulk.engine.Outcome`. The rules that keep a
write from happening twice live here:

- an update whose values can be read back that may have been applied (a 5xx,
  a dropped connection, an unreadable answer) is retried only after a GET
  shows the record still differs from the target; a record already in the
  target state is skipped without a write;
- an update whose values cannot be read back (a call's ``url`` or ``twiml``:
  nothing shows that a redirect happened) is a write like a create: retried
  only after a 429, any other doubt makes its outcome *unknown*;
- a delete that may have been applied is retried; a 404 then means it was;
- a create is retried only after a 429 (the API did not process it); any other
  doubt makes its outcome *unknown*, never a second create.

:func:`bulk_client` gives the jobs a client of their own whose transport
leaves 429s to the engine's limiter (the default transport would wait them out
where the limiter cannot see them), never resends a POST, and counts the
requests it resends (each job counts the ones it sends in ``Job.sent``).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Generator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import urllib3
from urllib3.util.retry import Retry

from .. import persistence
from ..client import Client, _json
from ..exceptions import (
    DecodeError,
    FieldError,
    NotFoundError,
    RateLimitError,
    ServerError,
    TransportError,
)
from ..logs import is_sensitive
from ..resource import Binding
from ..transport import Response
from .checkpoint import fingerprint
from .engine import Job, Outcome, Status, Step, Steps

if TYPE_CHECKING:
    from typing_extensions import Self

    from ..resource import Resource

__all__ = [
    "CreateJob",
    "CreatedJob",
    "DeleteJob",
    "FetchJob",
    "RequestCount",
    "Targets",
    "UpdateJob",
    "bulk_client",
]

_MISSING = object()


# --- the client the jobs send through ------------------------------------------------


class RequestCount:
    """A thread-safe count of the requests a transport sent again."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.value += 1


class BulkRetry(Retry):
    """GET and DELETE retried in the transport on 5xx and connection errors; never 429.

    A 429 goes back to the engine, whose limiter must see it to slow down. A
    POST is never retried here: the jobs decide, knowing what it writes.
    ``resent`` (carried through urllib3's copies of the policy) counts each
    request sent again.
    """

    def __init__(self, *args: Any, resent: RequestCount | None = None, **options: Any) -> None:
        super().__init__(*args, **options)
        self.resent = resent

    def new(self, **options: Any) -> Self:
        options.setdefault("resent", self.resent)
        return super().new(**options)

    def increment(self, *args: Any, **options: Any) -> Self:
        again = super().increment(*args, **options)  # raises when no attempt is left
        if self.resent is not None:
            self.resent.add()
        return again

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == 429:
            return False
        return bool(super().is_retry(method, status_code, has_retry_after))


BULK_RETRY = BulkRetry(
    total=6,
    connect=3,
    read=2,
    status=4,
    other=0,
    redirect=0,
    backoff_factor=0.1,
    backoff_max=5.0,
    backoff_jitter=0.1,
    status_forcelist=(500, 502, 503, 504),
    allowed_methods=frozenset({"GET", "DELETE"}),
    respect_retry_after_header=True,
    raise_on_status=False,
    raise_on_redirect=False,
)


def bulk_client(client: Client, workers: int, resent: RequestCount | None = None) -> Client:
    """A client like ``client`` with a pool for ``workers`` threads and :data:`BULK_RETRY`.

    ``resent`` counts the requests its transport sends again. A client with a
    transport of its own (a test double, a recorder) is used as it is. The copy
    shares the credentials and nothing else; close it after use.
    """
    return client.derive(retry=BULK_RETRY.new(resent=resent), pool_size=workers + 2)


# --- what an update writes --------------------------------------------------------------


@attrs.frozen
class Targets:
    """The values an update writes: its form, and how to tell a record already has them."""

    model: type[Resource]
    values: Mapping[str, Any]
    form: tuple[tuple[str, str], ...]
    checks: tuple[tuple[str, Callable[[Any], Any] | None, Any], ...]
    comparable: bool

    @classmethod
    def make(cls, model: type[Resource], values: Mapping[str, Any]) -> Targets:
        """Check every value (unknown, read-only or malformed raise here, before any request)."""
        meta = model._meta
        meta.require("update")
        if not values:
            raise FieldError(f"update() of {meta.name} needs at least one field=value to write")
        blank = model()
        for name, value in values.items():
            if name not in meta.fields:
                known = ", ".join(s.name for s in meta.writable("update"))
                raise FieldError(f"{meta.name} has no field {name!r}; updatable: {known}")
            setattr(blank, name, value)
        form = tuple(persistence.form_for(blank, list(values), "update"))
        specs = [meta.fields[name] for name in values]
        checks = tuple(
            (s.key, s.kind.parse, s.clean(values[s.name], meta.name)) for s in specs if s.key
        )
        return cls(model, dict(values), form, checks, len(checks) == len(specs))

    def applied(self, record: Mapping[str, Any]) -> bool:
        """True when ``record`` (a payload) already holds every target value."""
        if not self.comparable:
            return False
        for key, parse, target in self.checks:
            value = record.get(key, _MISSING)
            if value is _MISSING:
                return False
            if value is not None and parse is not None:
                value = parse(value)
            if not _same(value, target):
                return False
        return True

    def mismatch(self, answer: Mapping[str, Any]) -> str:
        shown = ", ".join(f"{key}={answer.get(key)!r}" for key, _, _ in self.checks)
        return f"the API accepted the update but the record shows {shown}"


def _same(value: Any, target: Any) -> bool:
    if target is None or target == "":
        return value is None or value == ""  # an empty form value clears a field
    return bool(value == target)


# --- jobs -------------------------------------------------------------------------------
#
# Each job's attempt is a generator (Job.steps, sans-I/O): it yields (method, path, form)
# and gets the Response back, or the client's exception raised at the yield. The sync
# engine drives it on a thread with a Client, the async one as a task with an AsyncClient.


def request(method: str, path: str, form: Sequence[tuple[str, str]] = ()) -> Ask:
    """Send one request from a job's steps: ``response = yield from request(...)``."""
    response = yield (method, path, form)
    assert response is not None
    return response


#: the steps that send one request and return its Response
Ask = Generator[Step, "Response | None", Response]


class UpdateJob(Job):
    """POST the target values to one record, unless it already has them."""

    def __init__(
        self,
        client: Client,
        targets: Targets,
        key: str,
        record: Mapping[str, Any],
        paths: tuple[str, str | None],
        *,
        dry_run: bool = False,
    ) -> None:
        self.key = key
        self.client = client
        self.targets = targets
        self.record: Mapping[str, Any] | None = record
        self.path, self.moved = paths
        self.dry_run = dry_run

    def precheck(self) -> Outcome | None:
        assert self.record is not None
        applied = self.targets.applied(self.record)
        self.record = None  # the page it came from can go
        if applied:
            return Outcome(Status.SKIPPED, note="already applied")
        return Outcome(Status.PLANNED) if self.dry_run else None

    def steps(self) -> Steps:
        if not self.targets.comparable:
            return (yield from self._write_once())
        try:
            if self.tries and self.targets.applied((yield from self._current())):
                return Outcome(Status.DONE, note="applied by an earlier attempt")
            response = yield from self.write()
            answer = _payload(response)
            if not self.targets.applied(answer):
                return Outcome(Status.FAILED, note=self.targets.mismatch(answer))
            return Outcome(Status.DONE, concurrent=concurrent_requests(response))
        except Exception as exc:
            return classify(exc)

    def write(self) -> Ask:
        """The POST of the target values (a subclass may keep its answer)."""
        return (yield from request("POST", self.path, self.targets.form))

    def _write_once(self) -> Steps:
        """An update nothing can read back: sent again only after a 429, as a create."""
        try:
            response = yield from self.write()
            _payload(response)
        except Exception as exc:
            return doubtful(exc, "it may have been applied: not resent")
        return Outcome(Status.DONE, concurrent=concurrent_requests(response))

    def _current(self) -> Generator[Step, Response | None, Mapping[str, Any]]:
        """The record as the API has it now (at its new path, if the update moves it)."""
        try:
            return _payload((yield from request("GET", self.path)))
        except NotFoundError:
            if self.moved is None:
                raise
            return _payload((yield from request("GET", self.moved)))


class DeleteJob(Job):
    """DELETE one record; a 404 after an uncertain attempt means that attempt did it."""

    def __init__(self, client: Client, key: str, path: str, *, dry_run: bool = False) -> None:
        self.key = key
        self.client = client
        self.path = path
        self.dry_run = dry_run

    def precheck(self) -> Outcome | None:
        return Outcome(Status.PLANNED) if self.dry_run else None

    #: an attempt may have been applied whatever its last answer said (a 429 or a 5xx to
    #: the client's resend of a DELETE whose first answer was lost): a refusal does not
    #: count in ``tries``, so this remembers it
    landed = False

    def steps(self) -> Steps:
        try:
            response = yield from request("DELETE", self.path)
        except NotFoundError as exc:
            if exc.retried or self.tries or self.landed:
                return Outcome(Status.DONE, note="deleted by an earlier attempt")
            return Outcome(Status.SKIPPED, note="already deleted")
        except Exception as exc:
            self.landed = self.landed or bool(getattr(exc, "retried", False))
            return classify(exc)
        return Outcome(Status.DONE, concurrent=concurrent_requests(response))


class FetchJob(Job):
    """GET one record by its path; a 404 leaves it out."""

    def __init__(self, client: Client, key: str, path: str) -> None:
        self.key = key
        self.client = client
        self.path = path

    def steps(self) -> Steps:
        try:
            response = yield from request("GET", self.path)
            return Outcome(
                Status.DONE, value=_payload(response), concurrent=concurrent_requests(response)
            )
        except NotFoundError:
            return Outcome(Status.SKIPPED, note="not found")
        except Exception as exc:
            return classify(exc)


class CreateJob(Job):
    """POST one new object; resent only after a 429, which proves it was not processed.

    The request and the reading of its answer are :mod:`twiliorm.persistence`'s
    (``save_request``/``saved``), as ``save()`` and ``asave()`` send them.
    """

    def __init__(self, client: Client, index: int, obj: Resource, path: Mapping[str, str]) -> None:
        self.key = f"#{index}"
        self.client = client
        self.obj = obj
        self.path = path

    def steps(self) -> Steps:
        client = self.client
        self.obj._ctx = Binding(client, self.path)
        try:
            write = persistence.save_request(self.obj, None, client.account_sid)
            assert write is not None  # a create always has a request
            path = write.request.path
            response = yield from request("POST", path, write.request.form)
            persistence.saved(self.obj, write, _json(response, "POST", path), client)
        except Exception as exc:
            return doubtful(exc, "it may have been created: not resent")
        return Outcome(Status.DONE, value=self.obj)


class CreatedJob(CreateJob):
    """An object an earlier run created: it gets its SID, and is read back (one GET; a
    404 for one created by this process a moment ago is asked again after short pauses,
    as :func:`~twiliorm.persistence.fetch_payload` does)."""

    def __init__(
        self, client: Client, index: int, obj: Resource, path: Mapping[str, str], sid: str
    ) -> None:
        super().__init__(client, index, obj, path)
        self.sid = sid

    def steps(self) -> Steps:
        meta = self.obj._meta
        assert meta.pk is not None
        setattr(self.obj, meta.pk, self.sid)
        client = self.client
        self.obj._ctx = Binding(client, self.path)
        try:
            path = persistence.fetch_request(self.obj, client.account_sid).path
            pauses = iter(persistence.NOT_FOUND_PAUSES)
            while True:
                try:
                    response = yield from request("GET", path)
                    break
                except NotFoundError:
                    pause = next(pauses, None)
                    if pause is None or client.url(path) not in persistence.recent_creates:
                        raise
                yield float(pause)
            persistence._load(self.obj, _json(response, "GET", path))
        except RateLimitError as exc:
            return Outcome(Status.REFUSED, exc, wait=exc.retry_after)
        except Exception as exc:
            return Outcome(Status.SKIPPED, exc, "created in an earlier run, not read back")
        return Outcome(Status.SKIPPED, note="created in an earlier run", value=self.obj)


# --- answers ----------------------------------------------------------------------------


def doubtful(exc: Exception, note: str) -> Outcome:
    """The outcome of a write that must not be sent twice (a create) that raised ``exc``.

    Only a 429 proves the API did not process it, and only a refused connection
    that nothing was sent on; any other doubt is final: unknown.
    """
    if isinstance(exc, RateLimitError):
        return Outcome(Status.REFUSED, exc, wait=exc.retry_after)
    if isinstance(exc, TransportError) and _never_sent(exc):
        return Outcome(Status.FAILED, exc, "the connection was refused; nothing was sent")
    if isinstance(exc, (TransportError, ServerError, DecodeError)):
        return Outcome(Status.UNKNOWN, exc, note)
    return Outcome(Status.FAILED, exc)


def classify(exc: Exception) -> Outcome:
    """The outcome of an idempotent request that raised ``exc``."""
    if isinstance(exc, RateLimitError):
        return Outcome(Status.REFUSED, exc, wait=exc.retry_after)
    if isinstance(exc, (ServerError, TransportError, DecodeError)):
        return Outcome(Status.RETRY, exc)
    return Outcome(Status.FAILED, exc)


def concurrent_requests(response: Response) -> int | None:
    """Twilio-Concurrent-Requests: the account's requests in flight, when Twilio says."""
    value = response.headers.get("Twilio-Concurrent-Requests")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _payload(response: Response) -> Mapping[str, Any]:
    data = response.json()
    if not isinstance(data, dict):
        raise DecodeError(f"the answer is not a record: {type(data).__name__}")
    return data


def _never_sent(exc: TransportError) -> bool:
    """True when the connection was never made (refused, or connecting timed out): a
    urllib3 connect error, which the async transports raise too (``aio.transport.unsent``)."""
    cause = exc.__cause__
    reason = getattr(cause, "reason", None) or cause
    return isinstance(reason, urllib3.exceptions.ConnectTimeoutError)


def paths_of(obj: Resource, client: Client, targets: Targets | None) -> tuple[str, str | None]:
    """The record's instance path, and its path once ``targets`` are written if that differs."""
    path = persistence.instance_path(obj, client)
    if targets is None:
        return path, None
    for name, value in targets.values.items():
        setattr(obj, name, value)
    moved = persistence.instance_path(obj, client)
    return path, (moved if moved != path else None)


def sequence_digest(forms: Sequence[Sequence[tuple[str, str]]]) -> str:
    """A short fingerprint of a list of create forms (a checkpoint must match its objects).

    Forms that carry a credential (a SIP ``Password``) are hashed with
    :data:`~twiliorm.bulk.checkpoint.SECRET_ROUNDS` rounds of PBKDF2, so the
    checkpoint's digest of the job cannot be used to guess it quickly.
    """
    data = b"".join(repr(list(form)).encode() + b"\x00" for form in forms)
    if any(is_sensitive(name) and value for form in forms for name, value in form):
        return fingerprint(data, secret=True, salt=b"twiliorm.bulk_create")[:16]
    return hashlib.sha256(data).hexdigest()[:16]  # as before: older checkpoints still match
