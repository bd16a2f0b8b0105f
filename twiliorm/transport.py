"""HTTP: one seam (``Transport.send(request) -> response``) and its urllib3 implementation.

:class:`Urllib3Transport` owns one ``urllib3.PoolManager`` (keep-alive,
thread-safe), sends form-encoded POSTs with repeated keys for list
parameters, bounds response bodies, and retries with urllib3's ``Retry``:
GET and DELETE on connection errors, 429 and 5xx with exponential backoff
and jitter, honouring Retry-After; POST only when the answer proves the
request was not processed (429) or the connection was refused before
anything was sent. A create is never sent twice otherwise.

:class:`FunctionTransport` plugs a function in instead, for tests that
inject behaviour; the sandbox plugs in either way. :func:`raise_for_status`
maps every error answer onto the exception tree, whatever the transport.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import attrs
import urllib3
from urllib3.util.retry import Retry

from .exceptions import DecodeError, TransportError, error_class_for

try:  # optional speed-up; the result is identical either way
    import orjson

    _loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover - exercised when orjson is absent
    _loads = json.loads

__all__ = [
    "DEFAULT_RETRY",
    "DEFAULT_TIMEOUT",
    "FunctionTransport",
    "Request",
    "Response",
    "Transport",
    "TwilioRetry",
    "Urllib3Transport",
    "raise_for_status",
]

logger = logging.getLogger("twiliorm.http")
MAX_BODY_BYTES = 64 * 1024 * 1024


@attrs.frozen(slots=True)
class Request:
    """One request: ``fields`` are the form of a POST (pairs; a key may repeat)."""

    method: str
    url: str
    fields: Sequence[tuple[str, str]] = ()
    headers: Mapping[str, str] | None = None

    @property
    def path(self) -> str:
        """The URL without scheme, host and query (safe to log)."""
        rest = self.url.split("://", 1)[-1]
        return "/" + rest.split("/", 1)[-1].split("?", 1)[0] if "/" in rest else "/"


@attrs.frozen(slots=True)
class Response:
    """An answer: status, headers, body; ``retried`` when it came after a retry."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    retried: bool = False

    def json(self) -> Any:
        try:
            return _loads(self.body)
        except ValueError as exc:
            start = self.body[:60].decode("utf-8", "replace")
            raise DecodeError(f"answer is not JSON (HTTP {self.status}): {start!r}") from exc


class Transport(Protocol):
    """What the client needs from HTTP."""

    def send(self, request: Request) -> Response: ...

    def close(self) -> None: ...


class FunctionTransport:
    """A transport backed by a function, for tests: ``FunctionTransport(handler)``."""

    def __init__(self, handler: Callable[[Request], Response]) -> None:
        self.handler = handler

    def send(self, request: Request) -> Response:
        return self.handler(request)

    def close(self) -> None:
        pass


class TwilioRetry(Retry):
    """urllib3's Retry, plus POST on 429: Twilio did not process a refused request."""

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST":
            return status_code == 429 and bool(self.total) and bool(self.status)
        return bool(super().is_retry(method, status_code, has_retry_after))


DEFAULT_RETRY = TwilioRetry(
    total=6,
    connect=3,
    read=2,
    status=5,
    other=0,
    redirect=3,
    backoff_factor=0.25,
    backoff_max=20.0,
    backoff_jitter=0.25,
    status_forcelist=(429, 500, 502, 503, 504),
    allowed_methods=frozenset({"GET", "HEAD", "DELETE"}),
    respect_retry_after_header=True,
    raise_on_status=False,
    raise_on_redirect=False,
)
DEFAULT_TIMEOUT = urllib3.Timeout(connect=10.0, read=30.0)


class Urllib3Transport:
    """The default transport: a urllib3 PoolManager shared by every thread of a client."""

    def __init__(
        self,
        *,
        headers: Mapping[str, str],
        timeout: urllib3.Timeout = DEFAULT_TIMEOUT,
        retry: Retry | None = DEFAULT_RETRY,
        pool_size: int = 10,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.max_body = max_body
        self._pool = urllib3.PoolManager(
            num_pools=4,
            maxsize=pool_size,
            headers=dict(headers),
            timeout=timeout,
            retries=retry if retry is not None else Retry(0, read=False, redirect=0),
        )

    def send(self, request: Request) -> Response:
        started = time.perf_counter()
        form: dict[str, Any] = {}
        if request.fields:
            form = {"fields": list(request.fields), "encode_multipart": False}
        try:
            raw = self._pool.request(
                request.method,
                request.url,
                headers=request.headers,
                preload_content=False,
                **form,
            )
        except urllib3.exceptions.HTTPError as exc:
            raise _transport_error(request, exc) from exc
        try:
            body = self._read(raw, request)
        finally:
            raw.release_conn()
        retried = bool(raw.retries and raw.retries.history)
        if logger.isEnabledFor(logging.DEBUG):
            elapsed = (time.perf_counter() - started) * 1000
            logger.debug("%s %s -> %d (%.1f ms)", request.method, request.path, raw.status, elapsed)
        return Response(raw.status, raw.headers, body, retried)

    def _read(self, raw: urllib3.BaseHTTPResponse, request: Request) -> bytes:
        try:
            body = raw.read(self.max_body + 1)
        except urllib3.exceptions.HTTPError as exc:
            raise _transport_error(request, exc) from exc
        if len(body) > self.max_body:
            raw.close()
            raise DecodeError(f"{request.method} {request.path}: answer over {self.max_body} bytes")
        return body

    def close(self) -> None:
        self._pool.clear()


def _transport_error(request: Request, exc: Exception) -> TransportError:
    reason = getattr(exc, "reason", None) or exc
    note = ""
    if request.method == "POST" and not isinstance(reason, urllib3.exceptions.NewConnectionError):
        note = " (the request may have reached Twilio; it was not resent, so nothing is sent twice)"
    return TransportError(f"{request.method} {request.path} failed: {reason}{note}")


def raise_for_status(request: Request, response: Response) -> None:
    """Raise the exception for an error answer (status >= 400); do nothing otherwise."""
    if response.status < 400:
        return
    try:
        data = response.json()
    except DecodeError:
        data = None
    if not isinstance(data, dict):
        text = response.body[:200].decode("utf-8", "replace").strip()
        data = {"message": text or f"HTTP {response.status}"}
    code = data.get("code")
    raise error_class_for(response.status)(
        status=response.status,
        code=code if isinstance(code, int) else None,
        message=str(data.get("message") or data.get("detail") or ""),
        more_info=data.get("more_info"),
        method=request.method,
        uri=request.path,
        retry_after=_retry_after(response.headers),
        details=data.get("details"),
        retried=response.retried,
    )


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
