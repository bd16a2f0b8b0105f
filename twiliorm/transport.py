"""HTTP: one seam (``Transport.send(request) -> response``) and its urllib3 implementation.

:class:`Urllib3Transport` owns one ``urllib3.PoolManager`` (keep-alive,
thread-safe: one per client, shared by every thread), sends form-encoded
POSTs with repeated keys for list parameters, verifies TLS certificates
always, bounds answers in size and time, and retries with
:class:`TwilioRetry`, a urllib3 ``Retry``:

- GET, HEAD and DELETE retry on connection errors, dropped or cut answers,
  429 and 500/502/503/504, with exponential backoff and jitter, honouring
  Retry-After (seconds, fractions included, or an HTTP-date; capped; an
  unreadable one falls back to the backoff);
- POST retries only when nothing can have been processed: the connection
  was refused (or timed out) before the request was sent, or Twilio
  answered 429. After anything else the request may have created
  something, so it is not resent: a create is never sent twice.

Redirects are never followed: the API does not redirect, and a redirect
would carry the credentials and the form elsewhere. A 3xx is an error
(:class:`TransportError`), except Twilio's own 307 for add-on payload data,
an answer whose JSON body names where the data is (``redirect_to``).

The read timeout bounds each attempt's whole answer, headers and body, not
each read: the connection's socket reads are given only the time left (see
:class:`Urllib3Transport`), so a server trickling bytes cannot hold a call.

Through a proxy (``Urllib3Transport(proxy="http://user:pass@proxy:3128")``, a
urllib3 ``ProxyManager``) all of this holds: https goes through a CONNECT
tunnel, so certificates are verified end to end and the credentials travel
inside TLS; the proxy's own user and password become a Proxy-Authorization
header that only the proxy sees, and are kept out of the proxy URL urllib3
holds, so no repr, log or error can show them (:func:`redacted_proxy`). The
transport reads no environment: the client decides which proxy, if any.

:class:`FunctionTransport` plugs a function in instead, for tests that
inject behaviour; the sandbox plugs in either way. :func:`raise_for_status`
maps every error answer onto the exception tree, whatever the transport.
"""

from __future__ import annotations

import email.utils
import functools
import http.client
import io
import json
import logging
import math
import random
import re
import socket
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from itertools import takewhile
from typing import Any, Protocol

import attrs
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    LocationParseError,
    ProtocolError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.util.retry import Retry

from . import logs
from .exceptions import ConfigurationError, DecodeError, TransportError, error_class_for

_fast_loads: Callable[[bytes], Any] | None
try:  # optional speed-up; the result is identical either way (see _loads)
    import orjson

    _fast_loads = orjson.loads
except ImportError:  # pragma: no cover - exercised when orjson is absent
    _fast_loads = None


def _loads(body: bytes) -> Any:
    """Parse a body, with orjson when it is installed.

    What orjson refuses and json accepts (NaN, a BOM, a lone surrogate escape)
    is left to json, so the result does not depend on whether orjson is there.
    """
    if _fast_loads is not None:
        try:
            return _fast_loads(body)
        except ValueError:
            pass
    return json.loads(body)


__all__ = [
    "DEFAULT_RETRY",
    "DEFAULT_TIMEOUT",
    "MAX_BODY_BYTES",
    "AnswerTimeoutError",
    "BodyTimeoutError",
    "FunctionTransport",
    "Request",
    "Response",
    "Transport",
    "TwilioRetry",
    "Urllib3Transport",
    "check_retry",
    "raise_for_status",
    "redacted_proxy",
    "retry_after_seconds",
]

MAX_BODY_BYTES = 64 * 1024 * 1024
_CHUNK = 256 * 1024


def _form_repr(fields: Sequence[tuple[str, str]]) -> str:
    return repr([(k, logs.REDACTED if logs.is_sensitive(k) else v) for k, v in fields])


def _headers_repr(headers: Mapping[str, str] | None) -> str:
    if headers is None:
        return "None"
    hidden = {"authorization", "proxy-authorization", "cookie"}
    return repr({k: logs.REDACTED if k.lower() in hidden else v for k, v in headers.items()})


@attrs.frozen(slots=True)
class Request:
    """One request: ``fields`` are the form of a POST (pairs; a key may repeat).

    Its ``repr()`` (which tracebacks and test reports show) hides credential
    headers and credential-like form values.
    """

    method: str
    url: str
    fields: Sequence[tuple[str, str]] = attrs.field(default=(), repr=_form_repr)
    headers: Mapping[str, str] | None = attrs.field(default=None, repr=_headers_repr)

    @property
    def path(self) -> str:
        """The URL without scheme, host and query (safe to log)."""
        rest = self.url.split("://", 1)[-1]
        return "/" + rest.split("/", 1)[-1].split("?", 1)[0] if "/" in rest else "/"


@attrs.frozen(slots=True)
class Response:
    """An answer: status, headers, body; ``retried`` when it came after a retry of an
    attempt that may have been processed (a retry after a 429 does not count: a 429
    proves the request was not processed). A DELETE answered 404 after such a retry
    had already worked.

    Its ``repr()`` gives the body's size only: an account's answer holds its
    auth token, a new API key's its secret.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes = attrs.field(repr=lambda body: f"<{len(body)} bytes>")
    retried: bool = False

    def json(self) -> Any:
        try:
            return _loads(self.body)
        except (ValueError, RecursionError) as exc:
            # The excerpt goes through redaction: a cut-short account answer starts
            # with its auth token.
            start = logs.redact(self.body[:80], limit=60)
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
    """urllib3's ``Retry`` with Twilio's rule for POST, and backoff from the first retry.

    Configure it as any ``Retry`` (``TwilioRetry(total=3, backoff_factor=1)``,
    or ``DEFAULT_RETRY.new(status=2)``) and hand it to ``Client(retry=...)``.
    """

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST":
            # 429 is the only answer that proves Twilio did not process the request.
            return status_code == 429 and 429 in self.status_forcelist
        return bool(super().is_retry(method, status_code, has_retry_after))

    def get_retry_after(self, response: urllib3.BaseHTTPResponse) -> float | None:
        # urllib3 raises InvalidHeader for "1.5" or garbage, failing the call; a pause
        # the server asks for is a hint: an unreadable one falls back to the backoff.
        seconds = retry_after_seconds(response.headers.get("Retry-After"))
        return None if seconds is None else min(seconds, self.retry_after_max)

    def get_backoff_time(self) -> float:
        # urllib3 resends at once after the first failure; Twilio asks clients to
        # back off from the first 429, so the exponent starts there.
        failures = len(list(takewhile(_not_redirect, reversed(self.history))))
        if failures == 0:
            return 0.0
        value = self.backoff_factor * 2 ** (failures - 1) + random.random() * self.backoff_jitter
        return float(min(self.backoff_max, value))


def _not_redirect(entry: Any) -> bool:
    return entry.redirect_location is None


def _may_have_landed(retries: Retry) -> bool:
    """Whether an earlier attempt may have been processed: any retry but one after a 429
    or a failed connection (which prove it was not). A DELETE answered 404 after such a
    retry already worked."""
    return not all(_unprocessed(entry.status, entry.error) for entry in retries.history)


def _unprocessed(status: int | None, error: Exception | None) -> bool:
    # NewConnectionError (refused) is a ConnectTimeoutError: nothing was sent either way.
    # urllib3 raises ProxyError only while connecting through the proxy, before the request.
    return status == 429 or isinstance(error, (ConnectTimeoutError, ProxyError))


_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


def retry_after_seconds(value: str | None) -> float | None:
    """The pause a Retry-After value asks for, in seconds: a number (``"2"``, ``"1.5"``)
    or an HTTP-date (RFC 7231, in the past: 0); None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    seconds = float(text) if _SECONDS.fullmatch(text) else _seconds_until(text)
    return seconds if seconds is not None and math.isfinite(seconds) else None


def _seconds_until(date: str) -> float | None:
    parsed = email.utils.parsedate_tz(date)
    if parsed is None:
        return None
    try:
        return max(0.0, email.utils.mktime_tz(parsed) - time.time())
    except (OverflowError, ValueError):
        return None


DEFAULT_RETRY = TwilioRetry(
    total=6,
    connect=3,
    read=2,
    status=5,
    other=0,
    redirect=0,  # never used: redirects are not followed (see the module docstring)
    backoff_factor=0.25,
    backoff_max=20.0,
    backoff_jitter=0.25,
    status_forcelist=(429, 500, 502, 503, 504),
    allowed_methods=frozenset({"GET", "HEAD", "DELETE"}),
    respect_retry_after_header=True,
    retry_after_max=60,
    raise_on_status=False,
    raise_on_redirect=False,
)
NO_RETRY = Retry(0, read=False, redirect=0, raise_on_status=False, raise_on_redirect=False)
DEFAULT_TIMEOUT = urllib3.Timeout(connect=10.0, read=30.0)


def check_retry(retry: Retry | None) -> Retry:
    """The policy to use: ``retry``, or no retries for None; refuse one that could resend a POST.

    The last answer is always handed back (``raise_on_status=False``), so an
    exhausted policy ends in the API's error (``RateLimitError``...), not a
    urllib3 one.
    """
    if retry is None:
        return NO_RETRY
    methods = retry.allowed_methods
    if methods is None or "POST" in {m.upper() for m in methods}:
        raise ConfigurationError(
            "this Retry would resend a POST after it may have reached Twilio, so a message "
            "or call could be created twice; keep POST out of allowed_methods (TwilioRetry "
            "already retries POST on 429, the one answer proving nothing was processed)"
        )
    if retry.raise_on_status or retry.raise_on_redirect:
        retry = retry.new(raise_on_status=False, raise_on_redirect=False)
    return retry


class BodyTimeoutError(ReadTimeoutError):
    """The answer's body did not arrive within the read timeout (it trickled)."""

    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(None, url, "")  # type: ignore[arg-type]
        self.seconds = seconds

    def __str__(self) -> str:
        return f"the answer body took too long (more than the {self.seconds:g} s read timeout)"


class AnswerTimeoutError(socket.timeout):
    """No complete answer, headers and body, within the read timeout of its request."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"no complete answer within {seconds:.3g} s")
        self.seconds = seconds


class _DeadlineReader(io.RawIOBase):
    """A connection's socket reads, each allowed only the time left until ``deadline``
    (a socket timeout alone restarts with every byte that arrives)."""

    def __init__(self, raw: Any, sock: socket.socket, deadline: float, seconds: float) -> None:
        super().__init__()
        self._raw, self._sock = raw, sock
        self._deadline, self._seconds = deadline, seconds

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        return int(self._raw.fileno())

    def readinto(self, buffer: Any) -> int | None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise AnswerTimeoutError(self._seconds)
        self._sock.settimeout(left)
        try:
            return self._raw.readinto(buffer)  # type: ignore[no-any-return]
        except TimeoutError as exc:
            raise AnswerTimeoutError(self._seconds) from exc

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineResponse(http.client.HTTPResponse):
    """http.client's answer, read through a :class:`_DeadlineReader`."""

    def __init__(
        self, sock: socket.socket, *args: Any, deadline: float, seconds: float, **kw: Any
    ) -> None:
        super().__init__(sock, *args, **kw)
        raw = self.fp.detach()
        self.fp = io.BufferedReader(_DeadlineReader(raw, sock, deadline, seconds))


def _with_deadline(conn: HTTPConnection) -> None:
    # urllib3 has just set conn.timeout to the read timeout (what is left of a total).
    seconds = conn.timeout
    if not isinstance(seconds, (int, float)):
        vars(conn).pop("response_class", None)  # no read timeout: no deadline either
        return
    conn.response_class = functools.partial(  # type: ignore[assignment]
        _DeadlineResponse, deadline=time.monotonic() + seconds, seconds=seconds
    )


class _DeadlineHTTPConnection(HTTPConnection):
    def getresponse(self) -> Any:
        _with_deadline(self)
        return super().getresponse()


class _DeadlineHTTPSConnection(HTTPSConnection):
    def getresponse(self) -> Any:
        _with_deadline(self)
        return super().getresponse()


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


# --- proxies ----------------------------------------------------------------------------------


def redacted_proxy(url: str) -> str:
    """``url`` with its user and password hidden: ``http://<redacted>@proxy:3128``.

    Everything before the last ``@`` goes (the scheme aside): a password may hold
    characters a URL parser would stop at.
    """
    if "@" not in url:
        return url
    scheme, sep, _ = url.partition("://")
    prefix = scheme + sep if sep and "@" not in scheme else ""
    return f"{prefix}{logs.REDACTED}@{url.rsplit('@', 1)[1]}"


def _manager(proxy: str | None, **options: Any) -> urllib3.PoolManager:
    """A PoolManager, or a ProxyManager for ``proxy``, whose pools bound each answer in time."""
    if proxy is None:
        manager = urllib3.PoolManager(**options)
    else:
        where, auth = _proxy_parts(proxy)
        manager = urllib3.ProxyManager(where, proxy_headers=auth, **options)
    # A ProxyManager makes its pools (for the proxy, or tunnelled to the target) as any
    # PoolManager does, from this table, so the deadline holds through a proxy too.
    manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return manager


def _proxy_parts(proxy: str) -> tuple[str, dict[str, str]]:
    """The proxy's URL without user info (what urllib3 keeps and may print) and the
    Proxy-Authorization header made of that user info (percent-escapes decoded)."""
    url = proxy if "://" in proxy else "http://" + proxy  # "proxy:3128", as curl reads it
    try:
        parsed = urllib3.util.parse_url(url)
    except LocationParseError:
        parsed = None  # its message would quote the URL, password included
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(
            f"the proxy {redacted_proxy(proxy)!r} is not an http:// or https:// URL "
            "(such as http://user:password@proxy.example.com:3128)"
        )
    auth: dict[str, str] = {}
    if parsed.auth:
        auth = urllib3.make_headers(proxy_basic_auth=urllib.parse.unquote(parsed.auth))
    bare = parsed._replace(auth=None, path=None, query=None, fragment=None)
    return bare.url, auth


class Urllib3Transport:
    """The default transport: a urllib3 PoolManager shared by every thread of a client.

    ``timeout`` (a ``urllib3.Timeout``): ``connect`` bounds connecting, and
    ``read`` bounds each attempt's whole answer, from the request sent to
    the last byte of the body, headers included; a server sending a byte now
    and then cannot stretch it (``total`` bounds connecting and answering
    together). A retry is a new attempt with its own time, after its pause.
    ``max_body`` bounds an answer's size.
    ``ca_certs`` names a CA bundle to trust instead of the system's (a
    private proxy); certificates are verified whatever it is.
    ``proxy`` is the URL of an HTTP proxy to send everything through
    (``http://user:password@proxy:3128``; None: connect directly); its
    ``repr()`` and errors show it as :func:`redacted_proxy` does.
    """

    def __init__(
        self,
        *,
        headers: Mapping[str, str] | None = None,
        timeout: urllib3.Timeout = DEFAULT_TIMEOUT,
        retry: Retry | None = DEFAULT_RETRY,
        pool_size: int = 10,
        max_body: int = MAX_BODY_BYTES,
        ca_certs: str | None = None,
        log_bodies: bool = False,
        proxy: str | None = None,
    ) -> None:
        self.max_body = max_body
        self.retry = check_retry(retry)
        self.timeout = timeout
        self.log_bodies = log_bodies
        tls: dict[str, Any] = {"cert_reqs": "CERT_REQUIRED"}
        if ca_certs is not None:
            tls["ca_certs"] = ca_certs
        self.proxy = None if proxy is None else redacted_proxy(proxy)
        self._pool = _manager(
            proxy,
            num_pools=4,
            maxsize=pool_size,
            headers=dict(headers or {}),
            timeout=timeout,
            retries=self.retry,
            **tls,
        )

    def __repr__(self) -> str:
        via = "" if self.proxy is None else f" proxy={self.proxy!r}"
        return (
            f"<Urllib3Transport timeout={self.timeout} retry={self.retry!r} "
            f"max_body={self.max_body}{via}>"
        )

    def send(self, request: Request) -> Response:
        started = time.perf_counter()
        retries = self.retry
        while True:  # a new round only after retries.increment() allowed one
            raw = self._open(request, retries)
            retries = raw.retries or retries
            try:
                body = self._read(raw, request)
                break
            except (ProtocolError, ReadTimeoutError) as exc:
                raw.close()
                retries = self._after_broken_body(request, retries, exc)
            finally:
                raw.release_conn()
        if logs.http_logger.isEnabledFor(logging.DEBUG):
            self._log(request, raw.status, body, retries, started)
        return Response(raw.status, raw.headers, body, _may_have_landed(retries))

    def _open(self, request: Request, retries: Retry) -> urllib3.BaseHTTPResponse:
        form: dict[str, Any] = {}
        if request.fields:
            form = {"fields": list(request.fields), "encode_multipart": False}
        try:
            return self._pool.request(
                request.method,
                request.url,
                # The request's headers (the client's credentials among them) complete the
                # pool's own, which urllib3 would otherwise replace (a ProxyManager always).
                headers={**self._pool.headers, **(request.headers or {})},
                preload_content=False,
                retries=retries,
                redirect=False,  # the API does not redirect: see raise_for_status
                **form,
            )
        except HTTPError as exc:
            raise _transport_error(request, exc, self.proxy) from exc

    def _after_broken_body(self, request: Request, retries: Retry, exc: HTTPError) -> Retry:
        """The next policy when an answer broke off mid-body (resend only if allowed)."""
        try:
            retries = retries.increment(request.method, request.path, error=exc)
        except (HTTPError, OSError) as final:
            raise _transport_error(request, exc, self.proxy) from final
        retries.sleep()
        return retries

    def _read(self, raw: urllib3.BaseHTTPResponse, request: Request) -> bytes:
        announced = raw.headers.get("Content-Length", "")
        if announced.isdigit() and int(announced) > self.max_body:
            raw.close()
            raise DecodeError(_too_big(request, self.max_body, f"{announced} bytes announced"))
        allowed = self.timeout.read_timeout or DEFAULT_TIMEOUT.read_timeout or 30.0
        deadline = time.monotonic() + allowed
        chunks: list[bytes] = []
        size = 0
        while chunk := raw.read1(_CHUNK):
            size += len(chunk)
            if size > self.max_body:
                raw.close()
                raise DecodeError(_too_big(request, self.max_body, "more sent"))
            chunks.append(chunk)
            if time.monotonic() > deadline:
                raise BodyTimeoutError(request.path, allowed)
        return b"".join(chunks)

    def _log(
        self, request: Request, status: int, body: bytes, retries: Retry, started: float
    ) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        causes = [str(h.status or type(h.error).__name__) for h in retries.history]
        line = logs.describe_request(
            request.method, request.url, request.fields, values=self.log_bodies
        )
        logs.http_logger.debug("%s %s", line, logs.describe_answer(status, elapsed, body, causes))
        if self.log_bodies and body:
            logs.http_logger.debug("answer body: %s", logs.redact(body))

    def close(self) -> None:
        self._pool.clear()


def _too_big(request: Request, limit: int, seen: str) -> str:
    return f"{request.method} {request.path}: the answer is over the {limit} byte limit ({seen})"


def _transport_error(request: Request, exc: Exception, proxy: str | None = None) -> TransportError:
    reason = getattr(exc, "reason", None) or exc
    where = f"{request.method} {request.path}"
    unsent = isinstance(reason, ConnectTimeoutError)
    if isinstance(reason, ProxyError):
        # Raised only while connecting through the proxy, so nothing was sent; the error
        # it wraps says what failed (refused, a 407 to CONNECT...).
        where += f" (through the proxy {proxy})"
        reason, unsent = reason.original_error, True
    if isinstance(reason, SSLError):
        return TransportError(
            f"{where} failed: the server's TLS certificate could not be verified ({reason}); "
            "twiliorm always verifies certificates (Client(ca_certs=...) names a private CA bundle)"
        )
    note = ""
    if request.method == "POST" and not unsent:
        note = (
            " (the request may have reached Twilio; it was not resent, so nothing is sent "
            "twice: check whether it took effect before sending it again)"
        )
    late = _answer_timeout(exc)
    if late is not None:
        return TransportError(
            f"{where} timed out: the answer took too long (none complete within "
            f"{late.seconds:.3g} s: the read timeout bounds the whole answer, headers and "
            f"body){note}"
        )
    return TransportError(f"{where} failed: {reason}{note}")


def _answer_timeout(exc: BaseException) -> AnswerTimeoutError | None:
    """The deadline's error among ``exc``'s causes (urllib3 wraps socket errors twice)."""
    todo: list[BaseException | None] = [exc]
    seen: set[int] = set()
    while todo:
        item = todo.pop()
        if item is None or id(item) in seen:
            continue
        if isinstance(item, AnswerTimeoutError):
            return item
        seen.add(id(item))
        todo += [getattr(item, "reason", None), item.__cause__, item.__context__]
    return None


def raise_for_status(request: Request, response: Response) -> None:
    """Raise the exception for an error answer (status >= 400) or a redirect (3xx);
    do nothing otherwise."""
    if response.status < 300:
        return
    try:
        data = response.json()
    except DecodeError:
        data = None
    if response.status < 400:
        _refuse_redirect(request, response, data)
        return
    if not isinstance(data, dict):
        # Redacted: a cut-short answer can end inside a credential.
        text = logs.redact(response.body[:200]).strip()
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
    return retry_after_seconds(headers.get("Retry-After"))


def _refuse_redirect(request: Request, response: Response, data: Any) -> None:
    """A 3xx is never followed: the credentials and the form would go wherever it points.

    Twilio's one 3xx (307 for add-on payload data) is an answer: its JSON body
    names where the data is (``redirect_to``), for the caller to fetch.
    """
    if isinstance(data, dict) and "redirect_to" in data:
        return
    raise TransportError(
        f"{request.method} {request.path}: the server answered {response.status} redirecting "
        f"to {_location_host(request, response)}; the API does not redirect, so twiliorm "
        "does not follow it (the credentials and the form would go there)"
    )


def _location_host(request: Request, response: Response) -> str:
    location = response.headers.get("Location")
    if not location:
        return "nowhere (no Location)"
    try:
        parts = urllib.parse.urlsplit(urllib.parse.urljoin(request.url, location))
        host = (parts.hostname or "?") + (f":{parts.port}" if parts.port else "")
    except ValueError:
        return "an unreadable Location"
    return repr(host[:100]) if not host.isprintable() else host[:100]
