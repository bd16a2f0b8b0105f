"""What a client sent, kept for a test to assert on, as ``responses`` and ``respx`` do.

:class:`RequestRecorder` is a transport that wraps a client's own
(:mod:`twiliorm.transport`'s one seam): every request goes on as it would,
and is kept as a :class:`SentRequest` (method, path, query params, form
values, the answer's status). A test then asks::

    sent = twilio_requests.assert_one("POST", "Messages", To="+15558675310")
    twilio_requests.assert_none("DELETE")
    assert [r.method for r in twilio_requests.calls] == ["GET", "POST"]

Where a request is named, ``target`` is a resource's collection name as the
URL spells it (``"Messages"``, ``"IncomingPhoneNumbers"``; an instance's
path counts as its collection's: ``.../Messages/SM....json`` is
``"Messages"``), or a path (anything with a ``/``), matched at the end of the
request's path with or without ``.json``. Values are params, as the API names
them (``To``, ``From``, ``MediaUrl``), looked up in the form and the query;
see :meth:`SentRequest.has` for what a value may be.

An async client's requests are kept the same way (:class:`AsyncRecordingTransport`).

Nothing secret is kept or shown: the credentials travel in a header, and no
header is kept; values of credential-like params (``AuthToken``, a
``Password``) are shown as ``<redacted>``; an answer is kept (its status and
body, for :attr:`SentRequest.response`) but never printed.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from .. import logs
from ..aio.client import AsyncClient
from ..aio.transport import AsyncTransport
from ..transport import Request, Response, Transport

__all__ = ["AsyncRecordingTransport", "RequestRecorder", "SentRequest"]

#: how many requests a failure message lists (the most recent ones)
SHOWN = 20
_SID = re.compile(r"[A-Z]{2}[0-9a-f]{32}")
_FORMATS = (".json", ".csv", ".xml")


def _pairs_repr(pairs: Sequence[tuple[str, str]]) -> str:
    return repr([(k, logs.REDACTED if logs.is_sensitive(k) else v) for k, v in pairs])


@attrs.frozen
class SentRequest:
    """One request a client sent, and the status it was answered with (None: no answer)."""

    method: str
    path: str
    params: tuple[tuple[str, str], ...] = attrs.field(default=(), repr=_pairs_repr)
    form: tuple[tuple[str, str], ...] = attrs.field(default=(), repr=_pairs_repr)
    status: int | None = None
    response: Response | None = attrs.field(default=None, eq=False, repr=False)

    @classmethod
    def of(cls, request: Request, response: Response | None) -> SentRequest:
        query = urllib.parse.urlsplit(request.url).query
        params = urllib.parse.parse_qsl(query, keep_blank_values=True)
        status = None if response is None else response.status
        form = tuple(request.fields)
        return cls(request.method, request.path, tuple(params), form, status, response)

    @property
    def resource(self) -> str:
        """The collection the path names: ``Messages`` for ``.../Messages/SM....json``."""
        segments = _without_format(self.path).strip("/").split("/")
        if len(segments) > 1 and _SID.fullmatch(segments[-1]):
            return segments[-2]
        return segments[-1]

    def values(self, param: str) -> list[str]:
        """Every value of ``param``, in the form then in the query (a key may repeat)."""
        return [v for k, v in (*self.form, *self.params) if k == param]

    def value(self, param: str) -> str | None:
        """The last value of ``param``, or None when it was not sent."""
        found = self.values(param)
        return found[-1] if found else None

    def is_to(self, method: str | None = None, target: str | None = None) -> bool:
        """Whether this request is a ``method`` (any when None) to ``target`` (any when None)."""
        if method is not None and method.upper() not in ("*", self.method.upper()):
            return False
        return target is None or _names(self.path, self.resource, target)

    def has(self, **expected: Any) -> bool:
        """Whether the params have the values given.

        A value is a string (the one value sent), a list (every value, in order:
        ``MediaUrl=[a, b]``), None (the param was not sent), a compiled regular
        expression (matching the one value in full), or a function given the
        value (the last one sent, None when none was) that returns true; other
        values are compared as text (``True`` as ``"true"``, as twiliorm sends it).
        """
        return all(_matches(self.values(name), want) for name, want in expected.items())

    def __str__(self) -> str:
        text = f"{self.method} {self.path}"
        shown = [*self.params, *self.form]
        if shown:
            text += " " + ", ".join(f"{k}={_shown(k, v)}" for k, v in shown)
        answer = "no answer" if self.status is None else str(self.status)
        return f"{text} -> {answer}"


class RequestRecorder:
    """A transport that keeps what it sends through ``transport``, for assertions.

    ``RequestRecorder.install(client)`` wraps a client's transport,
    ``install_async(async_client)`` an async client's (both kept here, in one
    list), and ``uninstall()`` puts them back; ``calls`` is what was sent,
    oldest first. Thread-safe: requests sent from the client's threads
    (prefetching, bulk writes) are all kept, each once, in the order they were
    answered.
    """

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._calls: list[SentRequest] = []
        self._lock = threading.Lock()
        self._client: Any = None
        self._async: AsyncClient | None = None

    @classmethod
    def install(cls, client: Any) -> RequestRecorder:
        """Wrap ``client``'s transport (a ``twiliorm.Client``'s, or any object with one)."""
        recorder = cls(client.transport)
        recorder._client = client
        client.transport = recorder
        return recorder

    def install_async(self, client: AsyncClient) -> None:
        """Keep what an async client sends here too (each attempt: it retries above its
        transport, where the sync transport retries below)."""
        client.transport = AsyncRecordingTransport(client.transport, self)
        self._async = client

    def uninstall(self) -> None:
        """Give the clients their own transports back (what was kept stays)."""
        if self._client is not None and self._client.transport is self:
            self._client.transport = self.transport
        wrapped = self._async.transport if self._async is not None else None
        if self._async is not None and isinstance(wrapped, AsyncRecordingTransport):
            self._async.transport = wrapped.transport
        self._client = self._async = None

    # --- the transport -------------------------------------------------------------

    def send(self, request: Request) -> Response:
        response: Response | None = None
        try:
            response = self.transport.send(request)
            return response
        finally:
            self.keep(SentRequest.of(request, response))

    def close(self) -> None:
        self.transport.close()

    def keep(self, sent: SentRequest) -> None:
        """Add a request to what was sent (the transports call it)."""
        with self._lock:
            self._calls.append(sent)

    # --- what was sent ---------------------------------------------------------------

    @property
    def calls(self) -> list[SentRequest]:
        """Every request sent so far, oldest first (a copy)."""
        with self._lock:
            return list(self._calls)

    def __len__(self) -> int:
        return len(self.calls)

    def __iter__(self) -> Iterator[SentRequest]:
        return iter(self.calls)

    def clear(self) -> None:
        """Forget what was sent so far (to assert on what comes next only)."""
        with self._lock:
            self._calls.clear()

    def matching(
        self, method: str | None = None, target: str | None = None, **values: Any
    ) -> list[SentRequest]:
        """The requests that are a ``method`` to ``target`` with ``values`` (see the module)."""
        return [r for r in self.calls if r.is_to(method, target) and r.has(**values)]

    # --- assertions ------------------------------------------------------------------

    def assert_one(
        self, method: str | None = None, target: str | None = None, **values: Any
    ) -> SentRequest:
        """Exactly one such request was sent: return it (AssertionError otherwise)."""
        __tracebackhide__ = True
        found = self.assert_count(1, method, target, **values)
        return found[0]

    def assert_none(
        self, method: str | None = None, target: str | None = None, **values: Any
    ) -> None:
        """No such request was sent (AssertionError otherwise)."""
        __tracebackhide__ = True
        self.assert_count(0, method, target, **values)

    def assert_count(
        self, count: int, method: str | None = None, target: str | None = None, **values: Any
    ) -> list[SentRequest]:
        """Exactly ``count`` such requests were sent: return them (AssertionError otherwise)."""
        __tracebackhide__ = True
        calls = self.calls
        found = [r for r in calls if r.is_to(method, target) and r.has(**values)]
        if len(found) != count:
            raise AssertionError(_failure(count, found, calls, method, target, values))
        return found


class AsyncRecordingTransport:
    """An async transport that keeps what it sends through ``transport`` in ``recorder``."""

    def __init__(self, transport: AsyncTransport, recorder: RequestRecorder) -> None:
        self.transport = transport
        self.recorder = recorder

    async def send(self, request: Request) -> Response:
        response: Response | None = None
        try:
            response = await self.transport.send(request)
            return response
        finally:
            self.recorder.keep(SentRequest.of(request, response))

    async def aclose(self) -> None:
        await self.transport.aclose()


def _failure(
    count: int,
    found: Sequence[SentRequest],
    calls: Sequence[SentRequest],
    method: str | None,
    target: str | None,
    values: dict[str, Any],
) -> str:
    """Which requests were expected, how many matched, and every request that was sent."""
    wanted = _describe(method, target, values)
    head = f"expected {_times(count)} {wanted}, found {len(found)}"
    if not calls:
        return f"{head}; nothing was sent"
    lines = [f"{head}; sent ({len(calls)}):"]
    if len(calls) > SHOWN:
        lines.append(f"  ... {len(calls) - SHOWN} earlier requests")
    matched = {id(r) for r in found}
    lines += [f"  {'*' if id(r) in matched else ' '} {r}" for r in calls[-SHOWN:]]
    if found:
        lines.append("  (* matched)")
    return "\n".join(lines)


def _times(count: int) -> str:
    return {0: "no", 1: "exactly one"}.get(count, f"exactly {count}")


def _describe(method: str | None, target: str | None, values: dict[str, Any]) -> str:
    what = " ".join(part for part in (method, target) if part and part != "*") or "request"
    if values:
        what += " with " + ", ".join(f"{k}={_shown(k, v)}" for k, v in values.items())
    return what


def _shown(name: str, value: Any) -> str:
    if logs.is_sensitive(name):
        return logs.REDACTED
    if isinstance(value, re.Pattern):
        return f"re({value.pattern!r})"
    if callable(value):
        return getattr(value, "__name__", "<function>")
    return repr(value)


def _names(path: str, resource: str, target: str) -> bool:
    if "/" not in target:
        return resource == target
    bare, wanted = _without_format(path), _without_format(target).rstrip("/")
    if not wanted.startswith("/"):
        wanted = "/" + wanted
    return bare.endswith(wanted) or path.endswith(wanted)


def _without_format(path: str) -> str:
    for suffix in _FORMATS:
        if path.endswith(suffix):
            return path[: -len(suffix)]
    return path


def _matches(sent: list[str], want: Any) -> bool:
    if want is None:
        return not sent
    if isinstance(want, re.Pattern):
        return len(sent) == 1 and want.fullmatch(sent[0]) is not None
    if isinstance(want, (list, tuple)):
        return sent == [_text(v) for v in want]
    if callable(want):
        return bool(want(sent[-1] if sent else None))
    return sent == [_text(want)]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
