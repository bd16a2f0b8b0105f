"""WSGI: checking a request's X-Twilio-Signature, as a function and as middleware.

:func:`validate_request` rebuilds the URL Twilio requested from the environ
(and from X-Forwarded-* when the validator trusts a proxy), reads the body
once (bounded, and put back so the application can read it again), and
checks the signature over the form, or over the URL and the body's hash for
a JSON webhook. :class:`SignatureMiddleware` wraps an application and answers
403 to every request that fails, 413 to a body over the limit, 400 to a
Content-Length that is not a number.

    app = SignatureMiddleware(app, auth_token=os.environ["TWILIO_AUTH_TOKEN"],
                              trust_forwarded=True, paths=["/twilio"])
"""

from __future__ import annotations

import io
import posixpath
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from .signature import Params, has_body_hash, is_form
from .tokens import TokenLookup, WebhookValidator
from .urls import Trust, wsgi_url

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "MAX_BODY",
    "PARAMS_KEY",
    "SignatureMiddleware",
    "content_length",
    "covered",
    "validate_request",
]

#: Twilio's webhook forms are a few kilobytes; a larger body is refused unread.
MAX_BODY = 1 << 20
#: The environ key where a validated request's params are left for the application.
PARAMS_KEY = "twiliorm.webhooks.params"
# RFC 9110: Content-Length = 1*DIGIT, ASCII. str.isdigit() also takes "٣" (int() reads 3)
# and "²" (int() raises): neither may decide how much of the body is read.
_LENGTH = re.compile(r"[0-9]+\Z")


def content_length(environ: Mapping[str, Any]) -> int | None:
    """``CONTENT_LENGTH`` (of a WSGI environ or Django's ``request.META``) as a number.

    None when absent or empty; ValueError when it is anything but ASCII digits.
    """
    text = str(environ.get("CONTENT_LENGTH") or "").strip(" \t")
    if not text:
        return None
    if not _LENGTH.match(text):
        raise ValueError(f"malformed Content-Length {text[:20]!r}")
    return int(text)


def read_body(environ: WSGIEnvironment, max_bytes: int = MAX_BODY) -> bytes | None:
    """The request body, put back for the application.

    None when it is over ``max_bytes`` or its Content-Length is malformed.
    """
    try:
        length = content_length(environ)
    except ValueError:
        return None
    stream = environ["wsgi.input"]
    if length is None:
        # Without a length only a server that marks the input terminated may be read to its end.
        body = stream.read(max_bytes + 1) if environ.get("wsgi.input_terminated") else b""
    elif length > max_bytes:
        return None
    else:
        body = stream.read(length)
    if len(body) > max_bytes:
        return None
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return bytes(body)


def headers_of(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request headers of a WSGI environ, by their usual names (``X-Forwarded-Host``)."""
    return {
        key[5:].replace("_", "-").title(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }


def _form_type(environ: Mapping[str, Any]) -> bool:
    return is_form(str(environ.get("CONTENT_TYPE", "")))


def signed_params(environ: Mapping[str, Any], url: str, body: bytes) -> Params | bytes:
    """What the signature covers besides the URL: the JSON body, the form, or nothing."""
    if has_body_hash(url):
        return body
    if body and _form_type(environ):
        return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return None


def _unsigned_body(environ: Mapping[str, Any], url: str, body: bytes) -> bool:
    # A body that is neither a form nor hashed into the URL is covered by no signature.
    return bool(body) and not _form_type(environ) and not has_body_hash(url)


def validate_request(
    environ: WSGIEnvironment, validator: WebhookValidator, *, max_body: int = MAX_BODY
) -> bool:
    """True when the WSGI request carries Twilio's signature for it.

    On success the params the signature covered are left in
    ``environ[PARAMS_KEY]`` (pairs for a form, bytes for a JSON body).
    """
    body = read_body(environ, max_body)
    if body is None:
        return False
    url = validator.request_url(wsgi_url(environ), headers_of(environ))
    if _unsigned_body(environ, url, body):
        return False
    params = signed_params(environ, url, body)
    if not validator.validate(url, params, environ.get("HTTP_X_TWILIO_SIGNATURE")):
        return False
    environ[PARAMS_KEY] = params
    return True


def _normal(path: str) -> str:
    """``path`` with repeated slashes and dot segments resolved (``/a//b/../c`` -> ``/a/c``)."""
    return posixpath.normpath(re.sub("/{2,}", "/", path)) if path else path


def _prefix(entry: str) -> str:
    if not entry.startswith("/") or "*" in entry:
        raise ValueError(
            f"paths entries are paths starting with '/', covering what is below them "
            f"('/twilio' covers '/twilio/sms'); no wildcards: {entry!r}"
        )
    return entry.rstrip("/")


def covered(path: str, prefixes: Iterable[str]) -> bool:
    """Whether ``path`` is one of ``prefixes`` or below one of them, at a ``/`` boundary.

    ``prefixes`` have no trailing ``/`` (``""`` is the root, covering every
    path). The path counts both as given and with its dot segments and
    repeated slashes resolved, so neither ``/x/../sms`` nor ``//sms`` escapes.
    """
    forms = {path, _normal(path)}
    return any(form == p or form.startswith(p + "/") for form in forms for p in prefixes)


class SignatureMiddleware:
    """WSGI middleware: requests without a valid X-Twilio-Signature get 403.

    Give a :class:`WebhookValidator`, or the arguments to make one
    (``auth_token``, ``accounts``, ``trust_forwarded``: see
    :class:`~twiliorm.webhooks.urls.TrustedProxies`).

    ``paths`` limits the check; without it every request is checked. Each
    entry covers that path and every path below it, at a ``/`` boundary, on
    ``SCRIPT_NAME + PATH_INFO`` (the decoded path the application routes on):
    ``"/sms"`` covers ``/sms``, ``/sms/`` and ``/sms/status``, never
    ``/smsx``; a trailing ``/`` changes nothing (``"/sms/"`` is ``"/sms"``)
    and ``"/"`` covers everything. Matching is case-sensitive; a path is also
    matched with its ``.``/``..`` segments and repeated slashes resolved, so
    ``/public/../sms`` and ``//sms/x`` are checked too. Requests outside every
    entry reach the application unchecked. An entry must start with ``/``
    and has no wildcards (``*`` is refused): ValueError.
    """

    def __init__(
        self,
        app: WSGIApplication,
        validator: WebhookValidator | None = None,
        *,
        auth_token: str | None = None,
        accounts: Mapping[str, str] | TokenLookup | None = None,
        trust_forwarded: Trust = False,
        paths: Iterable[str] | None = None,
        max_body: int = MAX_BODY,
    ) -> None:
        self.app = app
        self.validator = validator or WebhookValidator(
            auth_token, accounts=accounts, trust_forwarded=trust_forwarded
        )
        self.paths = tuple(_prefix(p) for p in paths) if paths is not None else None
        self.max_body = max_body

    def __repr__(self) -> str:
        return f"<SignatureMiddleware {self.validator!r} paths={self.paths}>"

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
        if self.paths is not None and not covered(path, self.paths):
            return self.app(environ, start_response)
        try:
            length = content_length(environ)
        except ValueError:
            return _refuse(start_response, "400 Bad Request", "Malformed Content-Length")
        if length is not None and length > self.max_body:
            return _refuse(start_response, "413 Content Too Large", "Webhook body too large")
        if validate_request(environ, self.validator, max_body=self.max_body):
            return self.app(environ, start_response)
        return _refuse(start_response, "403 Forbidden", "Invalid X-Twilio-Signature")


def _refuse(start_response: StartResponse, status: str, reason: str) -> list[bytes]:
    body = f"{reason}\n".encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))]
    )
    return [body]
