"""What twiliorm writes to its logs, and how secrets and personal data stay out of them.

Every request is logged once, at DEBUG, on the ``twiliorm.http`` logger (the
``twiliorm`` logger has a ``NullHandler``, so nothing shows unless the
application configures logging)::

    POST /2010-04-01/Accounts/AC.../Messages.json [To, From, Body] -> 201 (12.3 ms, 845 bytes)
    GET /2010-04-01/Accounts/AC.../Messages.json?To=...&PageSize=50 -> 200 (3.1 ms, 20411 bytes)

Credentials never appear: they travel in a header that is never logged. By
default the values of query and form parameters (phone numbers, message
bodies) are shown as ``...``; only paging values are kept. A client made
with ``Client(log_bodies=True)`` logs the values and the answer's body too,
still with every credential-like value (auth tokens, API secrets,
passwords) replaced by ``<redacted>``.

urllib3's own loggers are urllib3's: they never see credentials either, but
``urllib3.connectionpool`` names the URL, query string included, when it
retries (WARNING) and for every request (DEBUG); keep it at ERROR where
query values such as phone numbers must not be logged.
"""

from __future__ import annotations

import logging
import re
import urllib.parse
from collections.abc import Sequence

__all__ = ["HIDDEN", "REDACTED", "describe_answer", "describe_request", "http_logger", "redact"]

http_logger = logging.getLogger("twiliorm.http")

HIDDEN = "..."
REDACTED = "<redacted>"
BODY_LOG_LIMIT = 4000

# Paging values carry no personal data and help when reading a log.
_PAGING = frozenset({"PageSize", "Page", "PageToken"})
# Names (of params or JSON keys) whose values are credentials, whatever the caller asked.
_SENSITIVE = re.compile(r"(?i)auth_?token|secret|password|^credential$|^token$")
_SECRET_NAME = r"[\w-]*(?:auth_?token|secret|password)[\w-]*|credential|token"
# A value runs to its closing quote or, in an excerpt cut short, to the end of the text:
# a cut inside a credential must not show its first characters.
_JSON_SECRET = re.compile(
    rf'("(?:{_SECRET_NAME})"\s*:\s*)"(?:[^"\\]|\\.)*(?:"|\\?\Z)', re.IGNORECASE
)
_XML_SECRET = re.compile(rf"(<(?:{_SECRET_NAME})>)[^<]*", re.IGNORECASE)


def is_sensitive(name: str) -> bool:
    """Whether a parameter or key named ``name`` holds a credential."""
    return bool(_SENSITIVE.search(name))


def _shown(name: str, value: str, values: bool) -> str:
    if is_sensitive(name):
        return REDACTED
    if values or name in _PAGING:
        return value
    return HIDDEN


def describe_request(
    method: str, url: str, form: Sequence[tuple[str, str]], *, values: bool = False
) -> str:
    """``METHOD /path?Name=...`` plus the form's names (and values when ``values``)."""
    parts = urllib.parse.urlsplit(url)
    text = f"{method} {parts.path or '/'}"
    if parts.query:
        pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        text += "?" + "&".join(f"{k}={_shown(k, v, values)}" for k, v in pairs)
    if form:
        if values:
            text += " {" + ", ".join(f"{k}={_shown(k, v, True)!s}" for k, v in form) + "}"
        else:
            text += " [" + ", ".join(dict.fromkeys(k for k, _ in form)) + "]"
    return text


def describe_answer(status: int, elapsed_ms: float, body: bytes, retries: Sequence[str]) -> str:
    """``-> 201 (12.3 ms, 845 bytes)``, with the retries that came before, if any."""
    text = f"-> {status} ({elapsed_ms:.1f} ms, {len(body)} bytes)"
    if retries:
        text += f" after {len(retries)} retr{'y' if len(retries) == 1 else 'ies'} ("
        text += ", ".join(retries) + ")"
    return text


def redact(body: bytes, limit: int = BODY_LOG_LIMIT) -> str:
    """An answer's body for a log or an error: credential values replaced (also when
    the body ends inside one, cut short), then cut to ``limit`` characters."""
    text = body.decode("utf-8", "replace")
    text = _JSON_SECRET.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)
    text = _XML_SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"
