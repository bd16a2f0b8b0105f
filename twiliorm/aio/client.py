"""AsyncClient: the async driver of the sans-I/O core, over the sync client's settings.

An :class:`AsyncClient` takes :class:`~twiliorm.Client`'s arguments and
keeps them in a sync :class:`~twiliorm.Client`, its ``sync`` twin, which owns
everything that is not I/O: the credentials (put on every request), the base
URL and the origin every URL is held to (:meth:`Client.prepare`), the
region, the alias, ``strict``. The AsyncClient only sends: one
:class:`AsyncTransport` attempt at a time, resent by the same
:class:`~twiliorm.transport.TwilioRetry` (applied by
:class:`~twiliorm.protocol.Attempts`: a POST only after a 429 or when nothing
was sent), and every answer goes through the same
:func:`~twiliorm.transport.raise_for_status`.

How the async client of a query is found. QuerySets, managers and instances
hold a sync client (their binding, pickled by alias); an async method sends
through that client's async twin, :func:`async_client_for`:

- the AsyncClient it is the twin of (``qs.using(async_client)`` binds the
  query to ``async_client.sync``), or else
- one made for it on first async use, from the same settings, and kept for it.

So an alias names one configuration with both a sync and an async client:
``connect_async(alias="x")`` (or ``AsyncClient(..., alias="x")``) registers
its sync twin under ``"x"`` (replacing that alias's client, as ``connect()``
does), ``get_async_client("x")`` is the async client of ``get_client("x")``,
and with no client connected both come from the environment (``TWILIO_*``).

Its sending API, for code built on it (bulk jobs)::

    response = await client.send(api_request)        # a protocol.ApiRequest
    response = await client.request("GET", path, params=[...])
    data = await client.get_json(path); data = await client.post_json(path, form)
    await client.delete(path)

Each raises the mapped exception for an error answer, a TransportError when
no answer came. Connections belong to the running event loop: a client made
at import time works in whichever loop uses it, one pool per loop.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import time
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import urllib3
from urllib3.exceptions import HTTPError
from urllib3.util.retry import Retry

from .. import logs
from ..client import (
    DEFAULT_ALIAS,
    Client,
    _json,
    _retry,
    _timeout,
    get_client,
    proxy_for,
    set_client,
)
from ..protocol import ApiRequest, Attempts
from ..transport import (
    Request,
    Response,
    _may_have_landed,
    _transport_error,
    check_retry,
    raise_for_status,
)
from .transport import AsyncTransport

__all__ = [
    "DEFAULT_POOL_SIZE",
    "AsyncClient",
    "async_client_for",
    "connect_async",
    "get_async_client",
]

#: connections an async client keeps at most: many requests are in flight at once
DEFAULT_POOL_SIZE = 100
_TWIN = "_twiliorm_async_client"  # the attribute of a sync Client naming its async twin


class AsyncClient:
    """One Twilio account, reached without blocking the event loop.

    Takes :class:`~twiliorm.Client`'s arguments, with their meanings (credentials
    from the arguments or the environment, ``base_url``, ``timeout``, ``retry``,
    ``strict``, ``log_bodies``, ``ca_certs``, ``proxy``, ``region``, ``edge``...),
    and:

    - ``transport``: an :class:`~twiliorm.aio.AsyncTransport` (default: aiohttp,
      from the ``twiliorm[async]`` extra);
    - ``pool_size``: connections kept at most (default 100);
    - ``alias``: register it (its sync twin) under that alias (see the module
      docstring).

    ``timeout``: each attempt has one deadline, the read timeout, from its start
    to the last byte of its body (connecting, also bounded by the connect
    timeout, included): a server trickling bytes cannot stretch it. Retries are
    new attempts after their pause (``Retry-After`` honoured).
    """

    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str | None = None,
        *,
        api_key: str | None = None,
        api_secret: str | None = None,
        base_url: str | None = None,
        timeout: float | urllib3.Timeout | None = None,
        retry: Retry | int | bool | None = None,
        transport: AsyncTransport | None = None,
        strict: bool = False,
        allow_insecure_http: bool = False,
        pool_size: int = DEFAULT_POOL_SIZE,
        log_bodies: bool = False,
        ca_certs: str | None = None,
        proxy: str | Literal[False] | None = None,
        region: str | None = None,
        edge: str | None = None,
        user_agent_extensions: Sequence[str] = (),
        environ: Mapping[str, str] | None = None,
        alias: str | None = None,
    ) -> None:
        sync = Client(
            account_sid,
            auth_token,
            api_key=api_key,
            api_secret=api_secret,
            base_url=base_url,
            timeout=timeout,
            retry=retry,
            strict=strict,
            allow_insecure_http=allow_insecure_http,
            log_bodies=log_bodies,
            ca_certs=ca_certs,
            proxy=proxy,
            region=region,
            edge=edge,
            user_agent_extensions=user_agent_extensions,
            environ=environ,
        )
        self._attach(sync, transport, pool_size)
        if alias is not None:
            set_client(alias, sync)

    @classmethod
    def for_client(
        cls,
        client: Client,
        transport: AsyncTransport | None = None,
        *,
        pool_size: int = DEFAULT_POOL_SIZE,
        twin: bool = True,
    ) -> AsyncClient:
        """An async client over ``client``'s settings (``client`` becomes its ``sync``);
        see :func:`async_client_for` for the one queries use. ``twin=False``: one for a
        while (a bulk call's, with a pool and retry policy of its own), not the one
        :func:`async_client_for` finds for ``client``."""
        made = cls.__new__(cls)
        made._attach(client, transport, pool_size, twin=twin)
        return made

    def _attach(
        self, sync: Client, transport: AsyncTransport | None, pool_size: int, *, twin: bool = True
    ) -> None:
        options = sync._options  # the settings the sync client was given, as given
        self.sync = sync
        self.timeout: urllib3.Timeout = _timeout(options["timeout"])
        self.retry: Retry = check_retry(_retry(options["retry"]))
        self._standing: tuple[Retry, dict[tuple[str, int, bool], bool]] = (self.retry, {})
        self.log_bodies: bool = options["log_bodies"]
        self.transport = transport or _default_transport(sync, self.timeout, pool_size)
        if twin:
            setattr(sync, _TWIN, self)  # a private slot on the twin: async_client_for finds it

    # --- who and where: the sync twin's ------------------------------------------------

    @property
    def account_sid(self) -> str:
        return self.sync.account_sid

    @property
    def base_url(self) -> str:
        return self.sync.base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        self.sync.base_url = value

    @property
    def alias(self) -> str | None:
        return self.sync.alias

    @property
    def strict(self) -> bool:
        return self.sync.strict

    def url(self, path_or_url: str) -> str:
        """An absolute URL on the base URL's origin (see :meth:`Client.url`)."""
        return self.sync.url(path_or_url)

    def __repr__(self) -> str:
        return repr(self.sync).replace("<twiliorm.Client ", "<twiliorm.AsyncClient ", 1)

    def __deepcopy__(self, memo: dict[int, Any]) -> AsyncClient:
        return self  # a connection pool, shared as the sync client is

    def __reduce__(self) -> tuple[Any, ...]:
        if self.alias is None:
            raise pickle.PicklingError(
                f"{self!r} has no alias, and a client pickles by alias, never by its "
                "credentials: make it with AsyncClient(..., alias=...) or connect_async()"
            )
        return (get_async_client, (self.alias,))

    # --- sending ------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        form: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send one request (resent as the retry policy allows); raise the mapped
        exception for an error answer, TransportError when none came."""
        request = self.sync.prepare(method, path, params=params, form=form, headers=headers)
        response = await self._answer(request)
        raise_for_status(request, response)
        return response

    async def send(self, request: ApiRequest) -> Response:
        """Send a request of the sans-I/O core (:class:`~twiliorm.protocol.ApiRequest`)."""
        return await self.request(
            request.method, request.path, params=request.params, form=request.form
        )

    async def get_json(self, path: str, params: Sequence[tuple[str, str]] = ()) -> Any:
        return _json(await self.request("GET", path, params=params), "GET", path)

    async def post_json(self, path: str, form: Sequence[tuple[str, str]]) -> Any:
        return _json(await self.request("POST", path, form=form), "POST", path)

    async def delete(self, path: str) -> Response:
        return await self.request("DELETE", path)

    async def _answer(self, request: Request) -> Response:
        """The answer that stands, after the attempts the policy allows."""
        started = time.perf_counter()
        attempts: Attempts | None = None  # made at the first answer the policy may not keep
        while True:
            try:
                response = await self.transport.send(request)
            except HTTPError as exc:  # no answer: resend only if nothing can have landed
                attempts = attempts or self._attempts(request)
                await self._pause(_after_error(attempts, request, exc))
                continue
            if attempts is None and self._stands(request.method, response):
                break
            attempts = attempts or self._attempts(request)
            pause = attempts.after(response.status, response.headers)
            if pause is None:
                break
            await self._pause(pause)
        policy = self.retry if attempts is None else attempts.policy
        if logs.http_logger.isEnabledFor(logging.DEBUG):
            self._log(request, response, policy, started)
        landed = attempts is not None and _may_have_landed(policy)  # a DELETE's 404 after it worked
        return _retried(response) if landed else response

    def _attempts(self, request: Request) -> Attempts:
        return Attempts(ApiRequest(request.method, request.path), self.retry)

    def _stands(self, method: str, response: Response) -> bool:
        """Whether a first answer stands: the policy would not retry it. A Retry is a value
        object, so its is_retry() answer for a (method, status, Retry-After) is kept, per
        policy (``retry`` can be replaced): most answers then cost a dict look-up instead
        of the seven calls of Attempts.after(), a tenth of a fetch's own CPU."""
        policy, known = self._standing
        if policy is not self.retry:
            policy, known = self._standing = (self.retry, {})
        key = (method, response.status, "Retry-After" in response.headers)
        stands = known.get(key)
        if stands is None:
            stands = known[key] = not policy.is_retry(*key)
        return stands

    async def _pause(self, seconds: float) -> None:
        """The wait before a retry (Retry-After, or the policy's backoff)."""
        await asyncio.sleep(seconds)

    def _log(self, request: Request, response: Response, policy: Retry, started: float) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        causes = [str(h.status or type(h.error).__name__) for h in policy.history]
        line = logs.describe_request(
            request.method, request.url, request.fields, values=self.log_bodies
        )
        answer = logs.describe_answer(response.status, elapsed, response.body, causes)
        logs.http_logger.debug("%s %s", line, answer)
        if self.log_bodies and response.body:
            logs.http_logger.debug("answer body: %s", logs.redact(response.body))

    async def aclose(self) -> None:
        """Close this event loop's connections (the sync twin's pool too)."""
        await self.transport.aclose()
        self.sync.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _after_error(attempts: Attempts, request: Request, error: HTTPError) -> float:
    """The pause before the next attempt after one that got no answer, or the
    TransportError saying so (urllib3's rule: what may have landed is not resent)."""
    try:
        attempts.policy = attempts.policy.increment(request.method, request.path, error=error)
    except (HTTPError, OSError) as final:
        raise _transport_error(request, final) from error
    return attempts.policy.get_backoff_time()


def _retried(response: Response) -> Response:
    return Response(response.status, response.headers, response.body, retried=True)


def _default_transport(sync: Client, timeout: urllib3.Timeout, pool_size: int) -> AsyncTransport:
    from .aiohttp import AiohttpTransport  # the optional extra, imported when first needed

    options = sync._options
    return AiohttpTransport(
        timeout=timeout,
        pool_size=pool_size,
        ca_certs=options["ca_certs"],
        proxy=proxy_for(sync.base_url, options["proxy"]),
    )


# --- finding the async client of a sync one; aliases --------------------------------------


def async_client_for(client: Client) -> AsyncClient:
    """The async client that sends for ``client``: the AsyncClient it is the twin of,
    or one made for it now from its settings (and kept for it)."""
    twin = getattr(client, _TWIN, None)
    if isinstance(twin, AsyncClient) and twin.sync is client:
        return twin  # a copy of a client (derive()) has its own settings, so its own twin
    return AsyncClient.for_client(client)


def get_async_client(alias: str = DEFAULT_ALIAS) -> AsyncClient:
    """The async client of ``alias``: that of :func:`~twiliorm.client.get_client` (an
    alias unknown to the process comes from its environment, ``TWILIO_<ALIAS>_*``)."""
    return async_client_for(get_client(alias))


def connect_async(
    account_sid: str | None = None,
    auth_token: str | None = None,
    *,
    alias: str = DEFAULT_ALIAS,
    **options: Any,
) -> AsyncClient:
    """Create an async client, register it under ``alias`` (its sync twin takes the
    alias's place, as :func:`~twiliorm.connect` does) and return it."""
    return AsyncClient(account_sid, auth_token, alias=alias, **options)
