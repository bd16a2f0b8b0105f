"""The Client: credentials, base URL and transport, and the default client.

``twiliorm.Client(account_sid, auth_token, base_url=...)`` holds everything
needed to talk to one Twilio account; managers and querysets use the client
given to ``using()`` or else the default one, set by ``twiliorm.connect()``
or built from the environment on first use:

- ``TWILIO_ACCOUNT_SID`` and ``TWILIO_AUTH_TOKEN``, or
- ``TWILIO_API_KEY`` and ``TWILIO_API_SECRET`` with ``TWILIO_ACCOUNT_SID``;
- ``TWILIO_API_BASE_URL`` (default ``https://api.twilio.com``).

The client is the sync driver of :mod:`twiliorm.protocol`: it turns an
:class:`~twiliorm.protocol.ApiRequest` into a :class:`~twiliorm.transport.Request`
that carries everything needed to send it (the absolute URL, checked to stay on
the base URL, and the credentials: auth is the sender's, as in httpx), so a
transport of your own receives requests it can send as they are. Per-request
work that can be done once is done here, once: the headers, the base URL.
"""

from __future__ import annotations

import copy
import ipaddress
import os
import re
import threading
import urllib.parse
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import urllib3
from urllib3.exceptions import LocationParseError
from urllib3.util.retry import Retry

from ._version import __version__
from .exceptions import ConfigurationError, DecodeError
from .protocol import ApiRequest
from .transport import (
    DEFAULT_RETRY,
    DEFAULT_TIMEOUT,
    Request,
    Response,
    Transport,
    Urllib3Transport,
    raise_for_status,
)

__all__ = ["Client", "connect", "default_client", "set_default_client"]

DEFAULT_BASE_URL = "https://api.twilio.com"
USER_AGENT = f"twiliorm/{__version__} (urllib3/{getattr(urllib3, '__version__', '?')})"
_ENV_HELP = (
    "set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (or TWILIO_API_KEY and TWILIO_API_SECRET "
    "with TWILIO_ACCOUNT_SID), or pass account_sid and auth_token to twiliorm.Client()"
)


class Client:
    """One Twilio account, reached through one connection pool.

    Thread-safe: share one client between threads. Secrets are kept out of
    ``repr()``, errors and logs, and requests (which carry them) go to
    ``base_url`` only: a link elsewhere is refused, a redirect never followed.

    ``retry``: None or True for :data:`~twiliorm.transport.DEFAULT_RETRY`
    (GET/DELETE retry connection errors, 429 and 5xx with backoff; POST only
    429 and refused connections), an int for that many retries at most, a
    urllib3 ``Retry`` (ideally a ``TwilioRetry``) for your own policy, False
    or 0 for none. ``timeout``: seconds, or a ``urllib3.Timeout(connect=,
    read=)``; the default is 10 s to connect and 30 s to read. The read
    time bounds each attempt's whole answer, headers and body, not each
    read, so a server trickling bytes cannot stretch it; ``timeout=5`` gives
    an attempt 5 s to connect and then 5 s for its answer. Retries (and the
    pauses before them) are new attempts, bounded by ``retry``.
    ``log_bodies=True`` shows parameter values and answer bodies in the
    DEBUG log of ``twiliorm.http`` (credentials stay redacted). ``ca_certs``
    names a CA bundle to trust instead of the system's (a TLS-inspecting
    proxy); certificates are always verified.
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
        transport: Transport | None = None,
        strict: bool = False,
        allow_insecure_http: bool = False,
        pool_size: int = 10,
        log_bodies: bool = False,
        ca_certs: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self.account_sid = account_sid or env.get("TWILIO_ACCOUNT_SID") or ""
        username, secret = _credentials(self.account_sid, auth_token, api_key, api_secret, env)
        self._insecure_ok = allow_insecure_http
        self.base_url = base_url or env.get("TWILIO_API_BASE_URL") or DEFAULT_BASE_URL
        self.strict = strict
        self._username = username
        self._secret = secret
        self._options: dict[str, Any] = {
            "timeout": timeout,
            "retry": retry,
            "pool_size": pool_size,
            "log_bodies": log_bodies,
            "ca_certs": ca_certs,
        }
        self._sent_headers: Mapping[str, str] = _headers(username, secret)
        self.transport = transport or self._transport()
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """Where every request goes (scheme, host, port and any path prefix)."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        # Checked here, set or changed: the origin every URL is held to comes with it.
        self._base_url = _base_url(value, self._insecure_ok)
        self._origins = _origins(self._base_url)

    def _transport(self) -> Urllib3Transport:
        options = self._options
        return Urllib3Transport(
            timeout=_timeout(options["timeout"]),
            retry=_retry(options["retry"]),
            pool_size=options["pool_size"],
            log_bodies=options["log_bodies"],
            ca_certs=options["ca_certs"],
        )

    def derive(self, **options: Any) -> Client:
        """A client for the same account and base URL, with transport ``options`` changed
        (``retry=``, ``timeout=``, ``pool_size=``, ``log_bodies=``) and a pool of its own.

        A client built around a transport of your own (a test double) has no pool
        to copy: ``derive()`` returns that client itself.
        """
        unknown = set(options) - set(self._options)
        if unknown:
            raise TypeError(f"derive() takes {sorted(self._options)}, not {sorted(unknown)}")
        if not isinstance(self.transport, Urllib3Transport):
            return self
        twin = copy.copy(self)
        twin._options = {**self._options, **options}
        twin.transport = twin._transport()
        twin._executor = None
        twin._lock = threading.Lock()
        return twin

    def __repr__(self) -> str:
        via = f", api_key={self._username!r}" if self._username != self.account_sid else ""
        return f"<twiliorm.Client account_sid={self.account_sid!r}{via} base_url={self.base_url!r}>"

    # --- requests -------------------------------------------------------------

    def url(self, path_or_url: str) -> str:
        """An absolute URL for an API path or a link from an answer (``next_page_uri``).

        Every request carries the credentials, so a URL that would reach anything
        but the base URL's scheme, host and port is refused before a byte is sent
        (:class:`DecodeError`: such links come from answers). A link is a path
        (``/...``, not ``//...``), appended to the base URL, or an absolute URL
        of the base's origin without a user name; printable ASCII only, no
        backslash. The result is checked again as urllib3 will parse it.
        """
        return self._checked(_joined(self.base_url, path_or_url))

    def _checked(self, url: str) -> str:
        if _origins(url) != self._origins:
            raise _refused(url, f"it leads away from {self.base_url}")
        return url

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        form: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send one request; raise the mapped exception for an error answer."""
        url = self.url(path)
        if params:
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
            url = self._checked(url)  # defence in depth: what is sent is what was checked
        sent = {**self._sent_headers, **headers} if headers else self._sent_headers
        request = Request(method, url, tuple(form), sent)
        response = self.transport.send(request)
        raise_for_status(request, response)
        return response

    def send(self, request: ApiRequest) -> Response:
        """Send a request of the sans-I/O core; raise the mapped exception for an error."""
        return self.request(request.method, request.path, params=request.params, form=request.form)

    def get_json(self, path: str, params: Sequence[tuple[str, str]] = ()) -> Any:
        return _json(self.request("GET", path, params=params), "GET", path)

    def post_json(self, path: str, form: Sequence[tuple[str, str]]) -> Any:
        return _json(self.request("POST", path, form=form), "POST", path)

    def delete(self, path: str) -> Response:
        return self.request("DELETE", path)

    def executor(self) -> ThreadPoolExecutor:
        """A small thread pool for work done ahead of the caller (prefetching pages)."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(4, thread_name_prefix="twiliorm-prefetch")
            return self._executor

    def close(self) -> None:
        """Close idle connections and stop helper threads."""
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
        self.transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _headers(username: str, secret: str) -> dict[str, str]:
    """What every request carries: the credentials, who sends it, and what it accepts."""
    made = urllib3.make_headers(
        basic_auth=f"{username}:{secret}", user_agent=USER_AGENT, keep_alive=True
    )
    return {**{name.title(): value for name, value in made.items()}, "Accept": "application/json"}


def _json(response: Response, method: str, path: str) -> Any:
    try:
        return response.json()
    except DecodeError as exc:
        where = path.split("?", 1)[0]  # the query may hold phone numbers: keep it out of errors
        raise DecodeError(f"{method} {where}: {exc}") from exc


# --- where requests may go ----------------------------------------------------

_DEFAULT_PORTS = {"http": 80, "https": 443}
_PLAIN_LINK = re.compile(r"[!-\[\]-~]+")  # printable ASCII: no space, control, backslash
Origin = tuple[str, str, int]


def _joined(base_url: str, link: object) -> str:
    """``link`` made absolute: a path joins the base URL, an absolute URL stays as it is."""
    if not isinstance(link, str):
        raise _refused(link, "it is not a string")
    if not _PLAIN_LINK.fullmatch(link):
        raise _refused(link, "only printable ASCII without spaces or backslashes is followed")
    if link.startswith("/") and not link.startswith("//"):
        return base_url + link
    if urllib.parse.urlsplit(link).scheme in _DEFAULT_PORTS and link.find("://") > 0:
        return link
    raise _refused(link, "it is neither a path nor an absolute http(s) URL")


def _origins(url: str) -> tuple[Origin | None, Origin | None]:
    """(scheme, host, port) as the standard library and as urllib3 read ``url``
    (None for either when it has a user name or cannot be read)."""
    return _split_origin(url), _urllib3_origin(url)


def _split_origin(url: str) -> Origin | None:
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return None
    if "@" in parts.netloc or not parts.hostname or parts.scheme not in _DEFAULT_PORTS:
        return None
    return parts.scheme, parts.hostname, port or _DEFAULT_PORTS[parts.scheme]


def _urllib3_origin(url: str) -> Origin | None:
    """Where urllib3 connects for ``url`` (it decodes percent-escapes in the host)."""
    try:
        parsed = urllib3.util.parse_url(url)
    except LocationParseError:
        return None
    scheme, host = parsed.scheme or "", parsed.host
    if parsed.auth is not None or scheme not in _DEFAULT_PORTS or not host:
        return None
    return scheme, host.lower(), parsed.port or _DEFAULT_PORTS[scheme]


def _refused(link: object, why: str) -> DecodeError:
    # The query may hold phone numbers: only what comes before it is named.
    shown = repr(link.split("?", 1)[0] if isinstance(link, str) else link)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return DecodeError(
        f"refusing to follow the link {shown}: {why}; requests carry credentials, "
        "so they go to the base URL only"
    )


def _credentials(
    account_sid: str,
    auth_token: str | None,
    api_key: str | None,
    api_secret: str | None,
    env: Mapping[str, str],
) -> tuple[str, str]:
    if not account_sid:
        raise ConfigurationError(f"no Twilio account SID: {_ENV_HELP}")
    token = auth_token or (None if api_key else env.get("TWILIO_AUTH_TOKEN"))
    if token:
        return account_sid, token
    key = api_key or env.get("TWILIO_API_KEY")
    secret = api_secret or env.get("TWILIO_API_SECRET")
    if key and secret:
        return key, secret
    raise ConfigurationError(f"no Twilio credentials for {account_sid}: {_ENV_HELP}")


def _base_url(value: str, allow_insecure_http: bool) -> str:
    url = value.rstrip("/")
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an http(s) URL, got {url!r}")
    if None in _origins(url):
        raise ConfigurationError(
            f"base_url must be an http(s) URL with a plain host and no user name, got {url!r} "
            "(credentials go in account_sid and auth_token, or api_key and api_secret)"
        )
    if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"refusing plain http to {parts.hostname}: credentials would travel unencrypted; "
            "use https, or pass allow_insecure_http=True if you mean it"
        )
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _timeout(value: float | urllib3.Timeout | None) -> urllib3.Timeout:
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, urllib3.Timeout):
        return value
    return urllib3.Timeout(connect=min(float(value), 10.0), read=float(value))


def _retry(value: Retry | int | bool | None) -> Retry | None:
    if value is None or value is True:
        return DEFAULT_RETRY
    if value is False or value == 0:
        return None
    if isinstance(value, Retry):
        return value
    return DEFAULT_RETRY.new(total=int(value))


# --- the default client -------------------------------------------------------

_default: dict[str, Client] = {}
_default_lock = threading.Lock()


def connect(
    account_sid: str | None = None, auth_token: str | None = None, **options: Any
) -> Client:
    """Create a client and make it the default for every manager; return it."""
    client = Client(account_sid, auth_token, **options)
    set_default_client(client)
    return client


def set_default_client(client: Client | None) -> None:
    """Make ``client`` the default (None forgets it; the next use reads the environment)."""
    with _default_lock:
        if client is None:
            _default.pop("client", None)
        else:
            _default["client"] = client


def default_client() -> Client:
    """The default client: the one ``connect()`` made, or one from the environment."""
    client = _default.get("client")
    if client is not None:
        return client
    with _default_lock:
        if "client" not in _default:
            _default["client"] = Client()
        return _default["client"]
