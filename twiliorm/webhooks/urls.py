"""The URL Twilio signed: its forms with and without the default port, behind a proxy, in WSGI.

Twilio signs the webhook URL exactly as it requested it, so a validator has
to rebuild that URL from what the application sees. Three things get in the
way, and this module owns the answers:

- the default port: Twilio has signed ``https://example.com/sms`` and
  ``https://example.com:443/sms`` in different places, so both forms of a
  URL on its scheme's default port (443 for https, 80 for http) are tried
  (:func:`url_forms`); a non-default port is part of the URL and stays;
- a proxy in front of the application: the app sees ``http://app:8000/sms``
  while Twilio requested ``https://example.com/sms``. When the application
  says it trusts its proxy, :func:`forwarded_url` takes the scheme, host and
  port from ``X-Forwarded-Proto``, ``X-Forwarded-Host`` and
  ``X-Forwarded-Port`` (the first, client-facing, value of each);
- WSGI: :func:`wsgi_url` rebuilds the requested URL from a WSGI environ
  (PEP 3333), preferring the raw request target when the server passes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

__all__ = ["DEFAULT_PORTS", "forwarded_url", "url_forms", "wsgi_url"]

DEFAULT_PORTS = {"http": "80", "https": "443"}
# RFC 3986 pchar minus "%": what a decoded PATH_INFO may hold that needs no escaping.
_PATH_SAFE = "/:@!$&'()*+,;=~"


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


def _first(headers: Mapping[str, str], name: str) -> str:
    """The first (client-facing) value of a possibly comma-joined forwarded header."""
    value = _header(headers, name)
    return value.split(",")[0].strip() if value else ""


def _header(headers: Mapping[str, str], name: str) -> str:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value or ""


def forwarded_url(url: str, headers: Mapping[str, str]) -> str:
    """``url`` with the scheme, host and port a trusted proxy reports in X-Forwarded-*.

    Only call this when the application sits behind a proxy that sets these
    headers: otherwise a client chooses them. Headers that are absent leave
    that part of ``url`` as it is; an X-Forwarded-Port wins over a port in
    X-Forwarded-Host; a port equal to the scheme's default is dropped (both
    forms are tried by :func:`url_forms` anyway).
    """
    parts = urlsplit(url)
    scheme = _first(headers, "X-Forwarded-Proto").lower() or parts.scheme
    if scheme not in DEFAULT_PORTS:
        scheme = parts.scheme
    prefix, host, port = split_netloc(parts.netloc)
    forwarded_host = _first(headers, "X-Forwarded-Host")
    if forwarded_host:
        _, host, port = split_netloc(forwarded_host)
    forwarded_port = _first(headers, "X-Forwarded-Port")
    if forwarded_port.isdigit():
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
