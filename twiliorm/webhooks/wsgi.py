"""WSGI: checking a request's X-Twilio-Signature, as a function and as middleware.

:func:`validate_request` rebuilds the URL Twilio requested from the environ
(and from X-Forwarded-* when the validator trusts a proxy), reads the body
once (bounded, and put back so the application can read it again), and
checks the signature over the form, or over the URL and the body's hash for
a JSON webhook. :class:`SignatureMiddleware` wraps an application and answers
403 to every request that fails, 413 to a body over the limit.

    app = SignatureMiddleware(app, auth_token=os.environ["TWILIO_AUTH_TOKEN"],
                              trust_forwarded=True, paths=["/twilio/"])
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from .signature import Params, has_body_hash, is_form
from .tokens import TokenLookup, WebhookValidator
from .urls import wsgi_url

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["MAX_BODY", "PARAMS_KEY", "SignatureMiddleware", "validate_request"]

#: Twilio's webhook forms are a few kilobytes; a larger body is refused unread.
MAX_BODY = 1 << 20
#: The environ key where a validated request's params are left for the application.
PARAMS_KEY = "twiliorm.webhooks.params"


def _content_length(environ: Mapping[str, Any]) -> int | None:
    text = str(environ.get("CONTENT_LENGTH") or "").strip()
    return int(text) if text.isdigit() else None


def read_body(environ: WSGIEnvironment, max_bytes: int = MAX_BODY) -> bytes | None:
    """The request body (None when over ``max_bytes``), put back for the application."""
    length = _content_length(environ)
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


class SignatureMiddleware:
    """WSGI middleware: requests without a valid X-Twilio-Signature get 403.

    Give a :class:`WebhookValidator`, or the arguments to make one
    (``auth_token``, ``accounts``, ``trust_forwarded``). ``paths`` limits the
    check to requests whose path starts with one of them; the rest pass.
    """

    def __init__(
        self,
        app: WSGIApplication,
        validator: WebhookValidator | None = None,
        *,
        auth_token: str | None = None,
        accounts: Mapping[str, str] | TokenLookup | None = None,
        trust_forwarded: bool = False,
        paths: Iterable[str] | None = None,
        max_body: int = MAX_BODY,
    ) -> None:
        self.app = app
        self.validator = validator or WebhookValidator(
            auth_token, accounts=accounts, trust_forwarded=trust_forwarded
        )
        self.paths = tuple(paths) if paths is not None else None
        self.max_body = max_body

    def __repr__(self) -> str:
        return f"<SignatureMiddleware {self.validator!r} paths={self.paths}>"

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", ""))
        if self.paths is not None and not path.startswith(self.paths):
            return self.app(environ, start_response)
        length = _content_length(environ)
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
