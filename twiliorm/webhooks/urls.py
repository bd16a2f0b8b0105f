"""The URL Twilio signed: its forms with and without the default port, behind a proxy, in WSGI.

Twilio signs the webhook URL exactly as it requested it, so a validator has
to rebuild that URL from what the application sees. Three things get in the
way, and this module owns the answers:

- the default port: Twilio has signed ``https://example.com/sms`` and
  ``https://example.com:443/sms`` in different places, so both forms of a
  URL on its scheme's default port (443 for https, 80 for http) are tried
  (:func:`url_forms`); a non-default port is part of the URL and stays;
- a proxy in front of the application: the app sees ``http://app:8000/sms``
  while Twilio requested ``https://example.com/sms``. :func:`forwarded_url`
  (the one place the WSGI middleware and the Django decorator rebuild the
  public URL) takes the scheme, host and port from ``X-Forwarded-Proto``,
  ``X-Forwarded-Host`` and ``X-Forwarded-Port`` as far as
  :class:`TrustedProxies` says, and as Werkzeug's ``ProxyFix`` does;
- WSGI: :func:`wsgi_url` rebuilds the requested URL from a WSGI environ
  (PEP 3333), preferring the raw request target when the server passes it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, TypeAlias
from urllib.parse import quote, urlsplit, urlunsplit

import attrs

__all__ = ["DEFAULT_PORTS", "Trust", "TrustedProxies", "forwarded_url", "url_forms", "wsgi_url"]

DEFAULT_PORTS = {"http": "80", "https": "443"}
# RFC 3986 pchar minus "%": what a decoded PATH_INFO may hold that needs no escaping.
_PATH_SAFE = "/:@!$&'()*+,;=~"
# A port is ASCII digits: str.isdigit() also accepts "٣" and "²", which are no port.
_PORT = re.compile(r"[0-9]{1,5}\Z")


def split_netloc(netloc: str) -> tuple[str, str, str | None]:
    """``user:pw@host:port`` -> (``user:pw@``, ``host``, ``port`` or None); IPv6 aware."""
    userinfo, at, hostport = netloc.rpartition("@")
    if hostport.startswith("["):
        end = hostport.find("]") + 1
        host, rest = hostport[:end], hostport[end:]
        return userinfo + at, host, rest[1:] if rest.startswith(":") else None
    host, colon, port = hostport.partition(":")
    return userinfo + at, host, port if colon else None


def _with_port(url: str, port: str | None) -> str:
    parts = urlsplit(url)
    prefix, host, _ = split_netloc(parts.netloc)
    netloc = prefix + host + (f":{port}" if port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def url_forms(url: str) -> list[str]:
    """``url`` as given, then (on its scheme's default port) the form with the port toggled."""
    parts = urlsplit(url)
    default = DEFAULT_PORTS.get(parts.scheme.lower())
    _, host, port = split_netloc(parts.netloc)
    if default is None or not host:
        return [url]
    if port is None:
        return [url, _with_port(url, default)]
    if port == default:
        return [url, _with_port(url, None)]
    return [url]


_counts = attrs.validators.and_(attrs.validators.instance_of(int), attrs.validators.ge(0))


@attrs.frozen
class TrustedProxies:
    """How many proxies you run in front of the application set each X-Forwarded-* header.

    Each proxy appends the value it saw to the header, so the value that proxy
    ``n`` (counting from the application) vouches for is the ``n``-th from the
    right; whatever stands left of it came from the client and proves
    nothing. With ``host=2`` and ``X-Forwarded-Host: evil.example, example.com,
    lb.internal``, the host is ``example.com``. A header with fewer values than
    its count was not set by as many proxies as expected: it is ignored, and
    the request's own value stays. 0 (the default) trusts no value. This is
    Werkzeug's ``ProxyFix(x_proto=, x_host=, x_port=)``.

    Where an option takes ``trust_forwarded``, ``True`` means one proxy for
    every header (``TrustedProxies(1, 1, 1)``), an int ``n`` means ``n`` for
    every header, and ``False`` none.
    """

    proto: int = attrs.field(default=0, validator=_counts)
    host: int = attrs.field(default=0, validator=_counts)
    port: int = attrs.field(default=0, validator=_counts)

    @classmethod
    def of(cls, trust: Trust) -> TrustedProxies:
        """``trust`` as a TrustedProxies: itself, or a bool or int for every header."""
        if isinstance(trust, TrustedProxies):
            return trust
        if not isinstance(trust, int):  # bool is an int: True is 1
            raise TypeError(f"trust_forwarded takes a bool, int or TrustedProxies, not {trust!r}")
        return cls(int(trust), int(trust), int(trust))

    def __bool__(self) -> bool:
        return bool(self.proto or self.host or self.port)


#: What ``trust_forwarded=`` accepts (see :class:`TrustedProxies`).
Trust: TypeAlias = bool | int | TrustedProxies


def _trusted(headers: Mapping[str, str], name: str, proxies: int) -> str:
    """The value of X-Forwarded-``name`` that the ``proxies`` nearest proxies vouch for, or ""."""
    value = _header(headers, name) if proxies else ""
    values = [part.strip() for part in value.split(",")] if value else []
    return values[-proxies] if len(values) >= proxies > 0 else ""


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value or ""


def forwarded_url(url: str, headers: Mapping[str, str], trust: Trust = True) -> str:
    """``url`` with the scheme, host and port your proxies report in ``X-Forwarded-*``.

    ``trust`` says how many proxies set each header (:class:`TrustedProxies`;
    the default, ``True``, is one each). Only count proxies you run: a value
    none of them appended came from the client. A header that is absent, or
    has fewer values than its proxies, leaves that part of ``url``
    as it is; a port that is not ASCII digits is ignored, as is a scheme
    other than http and https. X-Forwarded-Port wins over a port in
    X-Forwarded-Host; a port equal to the scheme's default is dropped (both
    forms are tried by :func:`url_forms` anyway).
    """
    proxies = TrustedProxies.of(trust)
    parts = urlsplit(url)
    scheme = _trusted(headers, "X-Forwarded-Proto", proxies.proto).lower() or parts.scheme
    if scheme not in DEFAULT_PORTS:
        scheme = parts.scheme
    prefix, host, port = split_netloc(parts.netloc)
    forwarded_host = _trusted(headers, "X-Forwarded-Host", proxies.host)
    if forwarded_host:
        _, host, port = split_netloc(forwarded_host)
    forwarded_port = _trusted(headers, "X-Forwarded-Port", proxies.port)
    if _PORT.match(forwarded_port):
        port = forwarded_port
    if port == DEFAULT_PORTS.get(scheme):
        port = None
    netloc = prefix + host + (f":{port}" if port else "")
    return urlunsplit(parts._replace(scheme=scheme, netloc=netloc))


def wsgi_url(environ: Mapping[str, Any]) -> str:
    """The URL of a WSGI request as the server received it (scheme, host, path, query)."""
    scheme = str(environ.get("wsgi.url_scheme", "http"))
    host = environ.get("HTTP_HOST")
    if not host:
        host = str(environ.get("SERVER_NAME", ""))
        port = str(environ.get("SERVER_PORT", ""))
        if port and port != DEFAULT_PORTS.get(scheme):
            host += f":{port}"
    return f"{scheme}://{host}{_request_target(environ)}"


def _request_target(environ: Mapping[str, Any]) -> str:
    # Servers that pass the raw target (gunicorn RAW_URI, uWSGI REQUEST_URI) keep the
    # path's own escaping; rebuilding it from the decoded PATH_INFO can only guess.
    for name in ("RAW_URI", "REQUEST_URI"):
        raw = environ.get(name)
        if isinstance(raw, str) and raw.startswith("/"):
            return raw
    path = _wsgi_text(environ.get("SCRIPT_NAME", "")) + _wsgi_text(environ.get("PATH_INFO", ""))
    query = str(environ.get("QUERY_STRING", ""))
    return quote(path, safe=_PATH_SAFE) + (f"?{query}" if query else "")


def _wsgi_text(value: Any) -> str:
    # PEP 3333 native strings carry the request's bytes as latin-1; Twilio sends UTF-8.
    text = str(value)
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
