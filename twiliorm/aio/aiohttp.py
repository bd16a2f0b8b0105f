"""The default async transport: aiohttp (``pip install 'twiliorm[async]'``).

One attempt per :meth:`AiohttpTransport.send` (the client retries), no
redirect followed, TLS always verified (``ca_certs`` names a bundle to trust
instead of the system's), answers bounded in size, and one deadline per
attempt: aiohttp's ``ClientTimeout(total=read, connect=connect)``, from the
start of the attempt to the last byte of its body, so a server trickling
bytes cannot stretch it. Failures are raised as the urllib3 errors the retry
policy reads (see :mod:`twiliorm.aio.transport`): nothing sent (refused,
connect timeout) or maybe sent (reset, cut answer, deadline passed).

Connections belong to an event loop, so there is one aiohttp session per
loop that uses the transport, closed when that loop shuts its async
generators down (``asyncio.run`` does, as does Django's ``async_to_sync``)
or by :meth:`AiohttpTransport.aclose`. A client made at import time thus
serves every ``asyncio.run()`` of the process.

URLs are sent as they were checked (``yarl.URL(url, encoded=True)``: not
re-quoted), and the form of a POST is encoded as the sync transport encodes
it (``urlencode`` of the pairs, a key repeated for a list).
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import urllib3
from urllib3.exceptions import HTTPError, ProxyError, SSLError

from ..exceptions import ConfigurationError, DecodeError
from ..transport import (
    DEFAULT_TIMEOUT,
    MAX_BODY_BYTES,
    Request,
    Response,
    _proxy_parts,
    _too_big,
    redacted_proxy,
)
from .transport import answer_timed_out, broken, unsent

try:
    import aiohttp
    import yarl
except ImportError:  # pragma: no cover - exercised without the extra
    aiohttp = None  # type: ignore[assignment]

__all__ = ["AiohttpTransport"]

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_CHUNK = 256 * 1024


def _require_aiohttp() -> None:
    if aiohttp is None:
        raise ConfigurationError(
            "twiliorm's async client sends with aiohttp, which is not installed: "
            "pip install 'twiliorm[async]'"
        )


class AiohttpTransport:
    """Requests over aiohttp, one session per event loop (see the module docstring)."""

    def __init__(
        self,
        *,
        timeout: urllib3.Timeout = DEFAULT_TIMEOUT,
        pool_size: int = 100,
        max_body: int = MAX_BODY_BYTES,
        ca_certs: str | None = None,
        proxy: str | None = None,
    ) -> None:
        _require_aiohttp()
        self.timeout = timeout
        self.max_body = max_body
        self.pool_size = pool_size
        self.ca_certs = ca_certs
        self.deadline = _deadline(timeout)
        connect = timeout.connect_timeout
        self._limits = aiohttp.ClientTimeout(
            total=self.deadline, connect=connect if isinstance(connect, (int, float)) else None
        )
        self.proxy = None if proxy is None else redacted_proxy(proxy)
        self._proxy: yarl.URL | None = None
        self._proxy_headers: dict[str, str] = {}
        if proxy is not None:
            where, self._proxy_headers = _proxy_parts(proxy)
            self._proxy = yarl.URL(where)
        self._sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}
        self._closers: dict[asyncio.AbstractEventLoop, AsyncIterator[None]] = {}

    def __repr__(self) -> str:
        via = "" if self.proxy is None else f" proxy={self.proxy!r}"
        return f"<AiohttpTransport deadline={self.deadline:g}s pool_size={self.pool_size}{via}>"

    async def send(self, request: Request) -> Response:
        session = self._sessions.get(asyncio.get_running_loop())
        if session is None or session.closed:  # the loop's first request
            session = await self._session()
        body = urllib.parse.urlencode(request.fields).encode() if request.fields else None
        headers = {**(request.headers or {}), **_FORM} if body else request.headers
        try:
            async with session.request(
                request.method,
                yarl.URL(request.url, encoded=True),
                data=body,
                headers=headers,
                allow_redirects=False,
                proxy=self._proxy,
                proxy_headers=self._proxy_headers or None,
            ) as answer:
                data = await self._read(answer, request)
                return Response(answer.status, answer.headers, data)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            failure = self._failed(request, exc)
            raise failure from failure.__cause__ or exc  # a deadline's cause says which

    async def _read(self, answer: aiohttp.ClientResponse, request: Request) -> bytes:
        announced = answer.content_length
        if announced is not None and announced > self.max_body:
            raise DecodeError(_too_big(request, self.max_body, f"{announced} bytes announced"))
        if announced is not None:
            return await answer.read()
        chunks: list[bytes] = []
        size = 0
        while chunk := await answer.content.read(_CHUNK):
            size += len(chunk)
            if size > self.max_body:
                raise DecodeError(_too_big(request, self.max_body, "more sent"))
            chunks.append(chunk)
        return b"".join(chunks)

    def _failed(self, request: Request, exc: BaseException) -> HTTPError:
        """The urllib3 error the retry policy reads for an attempt that got no answer."""
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            return unsent(f"connecting took more than {self.timeout.connect_timeout} s")
        if isinstance(exc, asyncio.TimeoutError):  # the attempt's deadline (or a socket read)
            return answer_timed_out(request, self.deadline)
        if isinstance(exc, aiohttp.ClientConnectorCertificateError | aiohttp.ClientSSLError):
            return SSLError(str(exc))
        if isinstance(exc, aiohttp.ClientProxyConnectionError):
            return ProxyError("cannot connect to the proxy", unsent(str(exc.os_error)))
        if isinstance(exc, aiohttp.ClientConnectorError):
            why = exc.os_error.strerror or exc.os_error
            return unsent(f"cannot connect to {exc.host}:{exc.port}: {why}")
        return broken(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)

    # --- sessions: one per event loop ----------------------------------------------------

    async def _session(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            self._forget_closed_loops()
            session = self._sessions[loop] = self._open()
            closer = self._closers[loop] = _close_at_shutdown(session)
            await closer.__anext__()  # parked: the loop closes it when it shuts down
        return session

    def _open(self) -> aiohttp.ClientSession:
        tls: ssl.SSLContext | bool = True
        if self.ca_certs is not None:
            tls = ssl.create_default_context(cafile=self.ca_certs)
        connector = aiohttp.TCPConnector(limit=self.pool_size, ssl=tls)
        session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._limits,
            cookie_jar=aiohttp.DummyCookieJar(),  # the API sets none; keep none
            trust_env=False,  # the client chose the proxy, if any
            auto_decompress=True,
        )
        # aiohttp resends a GET or DELETE once by itself when a kept-alive connection
        # breaks; the client's policy must see every attempt (a DELETE answered 404 after
        # a resend already worked), so the only resends are the policy's.
        session._retry_connection = False
        return session

    def _forget_closed_loops(self) -> None:
        for loop in [loop for loop in self._sessions if loop.is_closed()]:
            session = self._sessions.pop(loop)
            self._closers.pop(loop, None)
            if not session.closed:
                session.detach()  # its loop is gone: nothing can be awaited there

    async def aclose(self) -> None:
        """Close the running loop's session (its connections)."""
        loop = asyncio.get_running_loop()
        session = self._sessions.pop(loop, None)
        closer = self._closers.pop(loop, None)
        if session is not None:
            await session.close()
        if closer is not None:
            await closer.aclose()  # type: ignore[attr-defined]


async def _close_at_shutdown(session: Any) -> AsyncIterator[None]:
    """Parked at its yield; the loop's ``shutdown_asyncgens()`` (``asyncio.run`` calls it)
    closes it, and with it the session, in that loop, before the loop closes."""
    try:
        yield
    finally:
        if not session.closed:
            await session.close()


def _deadline(timeout: urllib3.Timeout) -> float:
    read = timeout.read_timeout
    seconds = read if isinstance(read, (int, float)) else DEFAULT_TIMEOUT.read_timeout
    total = timeout.total
    if isinstance(total, (int, float)):
        seconds = min(float(seconds or total), float(total))
    return float(seconds or 30.0)
