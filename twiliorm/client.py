"""The Client: credentials, base URL and transport, and the default client.

``twiliorm.Client(account_sid, auth_token, base_url=...)`` holds everything
needed to talk to one Twilio account; managers and querysets use the client
given to ``using()`` or else the default one, set by ``twiliorm.connect()``
or built from the environment on first use:

- ``TWILIO_ACCOUNT_SID`` and ``TWILIO_AUTH_TOKEN``, or
- ``TWILIO_API_KEY`` and ``TWILIO_API_SECRET`` with ``TWILIO_ACCOUNT_SID``;
- ``TWILIO_API_BASE_URL`` (default ``https://api.twilio.com``);
- ``TWILIO_REGION`` and ``TWILIO_EDGE``, Twilio's processing region and
  connection edge, put in a twilio.com host as the official client does
  (:func:`regional_url`);
- ``HTTPS_PROXY``/``HTTP_PROXY`` and ``NO_PROXY`` (either case), read as
  Python's ``urllib.request`` reads them, unless ``proxy=`` says otherwise
  (:func:`proxy_for`).

Clients have aliases, as Django's databases do: ``connect()`` registers its
client as ``"default"``, ``connect(..., alias="marketing")`` under its own
name, and ``qs.using("marketing")`` looks the alias up (:func:`get_client`).
An alias unknown to the process is made from its environment
(``TWILIO_MARKETING_*``) or is a :class:`ConfigurationError`. The registry is
guarded by a lock, so threads may register and look up at once. A client
pickles as its alias and deep-copies as itself: instances and QuerySets bound
to it travel (caches, task queues) without a credential, and bind to the
client of that alias in the process that loads them.

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
import pickle
import re
import threading
import urllib.parse
import urllib.request
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal

import urllib3
from urllib3.exceptions import LocationParseError
from urllib3.util.retry import Retry

from ._version import __version__
from .blocking import warn_if_blocking_a_loop
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

__all__ = [
    "DEFAULT_ALIAS",
    "Client",
    "connect",
    "default_client",
    "get_client",
    "proxy_for",
    "regional_url",
    "set_client",
    "set_default_client",
]

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

    ``proxy``: None (the default) for the environment's proxy
    (``HTTPS_PROXY``, ``NO_PROXY``...), a URL (``http://user:pass@proxy:3128``)
    for that proxy whatever the environment says, False for none.
    ``region`` and ``edge`` (or ``TWILIO_REGION``, ``TWILIO_EDGE``) choose
    Twilio's regional host, ``https://api.{edge}.{region}.twilio.com``; they
    change twilio.com hosts only (:func:`regional_url`). They are Twilio's
    data region (``ie1``), not a country for phone numbers.
    ``user_agent_extensions`` (``["my-app/1.2"]``) are appended to the
    User-Agent, as the official client appends them.
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
        proxy: str | Literal[False] | None = None,
        region: str | None = None,
        edge: str | None = None,
        user_agent_extensions: Sequence[str] = (),
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self.account_sid = account_sid or env.get("TWILIO_ACCOUNT_SID") or ""
        username, secret = _credentials(self.account_sid, auth_token, api_key, api_secret, env)
        self._insecure_ok = allow_insecure_http
        self.region = _label("region", region or env.get("TWILIO_REGION"))
        self.edge = _label("edge", edge or env.get("TWILIO_EDGE"))
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
            "proxy": _check_proxy(proxy),
        }
        self.user_agent = _user_agent(user_agent_extensions)
        self._sent_headers: Mapping[str, str] = _headers(username, secret, self.user_agent)
        self.transport = transport or self._transport()
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._alias: str | None = None

    @property
    def alias(self) -> str | None:
        """The alias this client is registered under (``connect(alias=...)``), or None."""
        return self._alias

    @property
    def base_url(self) -> str:
        """Where every request goes (scheme, host, port and any path prefix)."""
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        # Checked here, set or changed: the origin every URL is held to comes with it.
        url = _base_url(value, self._insecure_ok)
        self._base_url = regional_url(url, self.region, self.edge)
        self._origins = _origins(self._base_url)

    def _transport(self) -> Urllib3Transport:
        options = self._options
        return Urllib3Transport(
            timeout=_timeout(options["timeout"]),
            retry=_retry(options["retry"]),
            pool_size=options["pool_size"],
            log_bodies=options["log_bodies"],
            ca_certs=options["ca_certs"],
            proxy=proxy_for(self.base_url, options["proxy"]),
        )

    def derive(self, **options: Any) -> Client:
        """A client for the same account and base URL, with transport ``options`` changed
        (``retry=``, ``timeout=``, ``pool_size=``, ``log_bodies=``, ``proxy=``...) and a
        pool of its own.

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

    # --- copies and pickles: a client travels by its alias, never by its credentials ------

    def __copy__(self) -> Client:
        twin = object.__new__(type(self))
        twin.__dict__.update(self.__dict__)
        return twin

    def __deepcopy__(self, memo: dict[int, Any]) -> Client:
        # A client is a shared connection pool, as Django's connection is: a deep copy of
        # an object bound to it stays bound to it.
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        if self._alias is None:
            raise pickle.PicklingError(
                f"{self!r} has no alias, so an object bound to it cannot be pickled (a pickle "
                "names its client by alias, never by its credentials): register it with "
                "twiliorm.connect(..., alias=...) or twiliorm.client.set_client(alias, client)"
            )
        return (get_client, (self._alias,))

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
        joined = _joined(self.base_url, path_or_url)
        if path_or_url.startswith("/"):
            # A plain path (one "/", checked characters) ends the base URL's authority:
            # the origin cannot change, so the two parses below are not paid per request.
            return joined
        return self._checked(joined)

    def _checked(self, url: str) -> str:
        if _origins(url) != self._origins:
            raise _refused(url, f"it leads away from {self.base_url}")
        return url

    def prepare(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        form: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> Request:
        """The complete request for ``path`` (URL checked, credentials on it), unsent:
        what this client's transport, or an async driver's, sends as it is."""
        url = self.url(path)
        if params:
            # urlencode escapes every character that could reach the authority
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode(params)
        sent = {**self._sent_headers, **headers} if headers else self._sent_headers
        return Request(method, url, tuple(form), sent)

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
        request = self.prepare(method, path, params=params, form=form, headers=headers)
        warn_if_blocking_a_loop()
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


def _headers(username: str, secret: str, user_agent: str) -> dict[str, str]:
    """What every request carries: the credentials, who sends it, and what it accepts."""
    made = urllib3.make_headers(
        basic_auth=f"{username}:{secret}", user_agent=user_agent, keep_alive=True
    )
    return {**{name.title(): value for name, value in made.items()}, "Accept": "application/json"}


_UA_TOKEN = re.compile(r"[!-~]+(?: [!-~]+)*")  # printable ASCII: nothing to split a header


def _user_agent(extensions: Sequence[str]) -> str:
    """twiliorm's User-Agent, then each extension after a space (as twilio-python does)."""
    if isinstance(extensions, str):
        extensions = [extensions]  # a lone "my-app/1.2" is one extension, not ten letters
    for extension in extensions:
        if not isinstance(extension, str) or not _UA_TOKEN.fullmatch(extension):
            raise ConfigurationError(
                f"a user agent extension is printable ASCII such as 'my-app/1.2', got {extension!r}"
            )
    return " ".join([USER_AGENT, *extensions])


def _json(response: Response, method: str, path: str) -> Any:
    try:
        return response.json()
    except DecodeError as exc:
        where = path.split("?", 1)[0]  # the query may hold phone numbers: keep it out of errors
        raise DecodeError(f"{method} {where}: {exc}") from exc


# --- regions, edges and proxies: where requests go -----------------------------

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def _label(what: str, value: str | None) -> str | None:
    """``value``, a region or edge, checked to be one DNS label: it goes into a host name."""
    if not value:
        return None
    if not isinstance(value, str) or not _LABEL.fullmatch(value):
        raise ConfigurationError(
            f"a Twilio {what} is one host name label such as 'ie1' or 'dublin', got {value!r}"
        )
    return value.lower()


def regional_url(url: str, region: str | None, edge: str | None) -> str:
    """``url`` with Twilio's ``region`` and ``edge`` in its host, by twilio-python's rules.

    A twilio.com host reads ``product[.edge][.region].twilio.com``: the region
    and edge given replace those in the host, those not given are kept, and an
    edge without a region gets ``us1``. ``api.twilio.com`` with region ``ie1``
    is ``api.ie1.twilio.com``; with edge ``sydney`` alone,
    ``api.sydney.us1.twilio.com``. A host outside twilio.com (the sandbox,
    a gateway of yours) is left as it is: an explicit base URL wins there.
    """
    parts = urllib.parse.urlsplit(url)
    labels = (parts.hostname or "").split(".")
    if not (region or edge) or labels[-2:] != ["twilio", "com"] or not 3 <= len(labels) <= 5:
        return url
    known = labels[1:-2]  # [], [region] or [edge, region]
    edge = edge or (known[0] if len(known) == 2 else None)
    region = region or (known[-1] if known else None) or ("us1" if edge else None)
    host = ".".join(label for label in (labels[0], edge, region, "twilio", "com") if label)
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def _check_proxy(proxy: str | Literal[False] | None) -> str | Literal[False] | None:
    if proxy is None or proxy is False or (isinstance(proxy, str) and proxy):
        return proxy
    raise ConfigurationError(
        "proxy= takes a proxy URL, None for the environment's (HTTPS_PROXY...) or False "
        f"for none, not {proxy!r}"
    )


def proxy_for(url: str, proxy: str | Literal[False] | None = None) -> str | None:
    """The proxy requests to ``url`` go through, or None to connect directly.

    ``proxy`` given (a URL) is used as it is, and False means none: either way
    the environment is not read. None reads it as ``urllib.request`` does:
    ``https_proxy`` or ``HTTPS_PROXY`` for an https URL (``http_proxy`` for
    http; the lower case wins), unless ``no_proxy``/``NO_PROXY`` names the
    host (``api.twilio.com``, a suffix such as ``.twilio.com``, a host with
    its port, or ``*``).
    """
    if proxy is not None:
        return proxy or None
    proxies = urllib.request.getproxies_environment()
    parts = urllib.parse.urlsplit(url)
    found = proxies.get(parts.scheme)
    hosts = (parts.netloc, parts.hostname or "")  # "host:port" and "host" entries alike
    # proxy_bypass_environment is urllib's own NO_PROXY reading, missing from typeshed.
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if not found or any(bypass(host, proxies) for host in hosts):
        return None
    return found


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


# --- aliases: the registry of named clients ----------------------------------------

DEFAULT_ALIAS = "default"
_clients: dict[str, Client] = {}
_clients_lock = threading.Lock()


def connect(
    account_sid: str | None = None,
    auth_token: str | None = None,
    *,
    alias: str = DEFAULT_ALIAS,
    **options: Any,
) -> Client:
    """Create a client, register it under ``alias`` (the default client unless told
    otherwise, replacing any client of that alias) and return it."""
    client = Client(account_sid, auth_token, **options)
    set_client(alias, client)
    return client


def set_client(alias: str, client: Client | None) -> None:
    """Register ``client`` under ``alias`` (None forgets the alias's client).

    A client takes the alias it is first registered under as its ``alias``:
    objects bound to it pickle by that name. The registry does not close the
    client it forgets; whoever made it does.
    """
    _check_alias(alias)
    with _clients_lock:
        old = _clients.pop(alias, None)
        if old is not None and old._alias == alias:
            old._alias = _first_alias(old)
        if client is not None:
            _clients[alias] = client
            if client._alias is None:
                client._alias = alias


def set_default_client(client: Client | None) -> None:
    """Make ``client`` the default (None forgets it; the next use reads the environment)."""
    set_client(DEFAULT_ALIAS, client)


def get_client(alias: str = DEFAULT_ALIAS) -> Client:
    """The client registered under ``alias``, or else one made from this process's
    environment and registered: ``TWILIO_*`` for ``"default"``, ``TWILIO_<ALIAS>_*``
    for another alias (``TWILIO_MARKETING_ACCOUNT_SID`` for ``"marketing"``).

    A :class:`ConfigurationError` names the alias and how to configure it.
    """
    client = _clients.get(alias)
    if client is not None:
        return client
    _check_alias(alias)
    with _clients_lock:  # one client per alias, however many threads ask at once
        if alias not in _clients:
            made = _from_environment(alias)
            _clients[alias] = made
            made._alias = alias
        return _clients[alias]


def default_client() -> Client:
    """The default client: the one ``connect()`` made, or one from the environment."""
    return get_client(DEFAULT_ALIAS)


def _check_alias(alias: object) -> None:
    if not isinstance(alias, str) or not alias:
        raise TypeError(f"a client alias is a non-empty string, got {alias!r}")


def _first_alias(client: Client) -> str | None:
    return next((name for name, other in _clients.items() if other is client), None)


def _env_prefix(alias: str) -> str:
    """Where the environment configures ``alias``: ``TWILIO_`` or ``TWILIO_<ALIAS>_``."""
    if alias == DEFAULT_ALIAS:
        return "TWILIO_"
    return "TWILIO_" + re.sub(r"[^A-Z0-9]", "_", alias.upper()) + "_"


def _from_environment(alias: str) -> Client:
    if alias == DEFAULT_ALIAS:
        try:
            return Client()
        except ConfigurationError as exc:
            raise ConfigurationError(f"{exc}; or call twiliorm.connect() in this process") from exc
    prefix = _env_prefix(alias)
    environ = {
        f"TWILIO_{k[len(prefix) :]}": v for k, v in os.environ.items() if k.startswith(prefix)
    }
    if not environ.get("TWILIO_ACCOUNT_SID"):
        raise ConfigurationError(f"no twiliorm client has the alias {alias!r}: {_how(alias)}")
    try:
        return Client(environ=environ)
    except ConfigurationError as exc:
        raise ConfigurationError(
            f"the client {alias!r} cannot be made: {exc}; {_how(alias)}"
        ) from exc


def _how(alias: str) -> str:
    prefix = _env_prefix(alias)
    return (
        f"call twiliorm.connect(..., alias={alias!r}) in this process, or set "
        f"{prefix}ACCOUNT_SID and {prefix}AUTH_TOKEN (or {prefix}API_KEY and {prefix}API_SECRET; "
        f"{prefix}API_BASE_URL for another server) in its environment"
    )
