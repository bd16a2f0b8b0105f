"""Twilio webhooks: checking X-Twilio-Signature, and reading status callbacks into models.

Twilio signs every request it makes to an application: the
``X-Twilio-Signature`` header is base64(HMAC-SHA1(auth token, the URL
followed by the POST parameters sorted by name, each name immediately
followed by its value)); a JSON webhook instead carries
``bodySHA256=<hex SHA-256 of the body>`` in its URL and the URL alone is
signed. This package checks that signature (always with a constant-time
compare) and turns a status callback into the model it reports on.

Plain code (``RequestValidator`` takes the arguments of the official
``twilio.request_validator.RequestValidator``, so code can switch)::

    from twiliorm.webhooks import RequestValidator, validate_signature, parse_callback

    ok = validate_signature(url, form, request_headers["X-Twilio-Signature"], auth_token)
    ok = RequestValidator(auth_token).validate(url, form, signature)
    ok = RequestValidator(auth_token).validate(url_with_body_sha256, raw_json_body, signature)
    message = parse_callback(form)          # MessageStatus callback -> twiliorm.Message
    call = parse_callback(other_form)       # CallStatus callback -> twiliorm.Call

Django (the URL is rebuilt with ``request.build_absolute_uri()``, so
``SECURE_PROXY_SSL_HEADER``, ``USE_X_FORWARDED_HOST`` and
``USE_X_FORWARDED_PORT`` apply; the token comes from ``settings.TWILIO_AUTH_TOKEN``
or the environment; a bad signature answers 403)::

    from twiliorm.contrib.django import validate_twilio_request

    @validate_twilio_request
    def message_status(request):
        message = parse_callback(request.POST)
        ...
        return HttpResponse(status=204)

    # sub-accounts, and a proxy that sets X-Forwarded-Proto/Host/Port:
    @validate_twilio_request(accounts=AccountTokens(client), trust_forwarded=True)
    def call_status(request): ...

WSGI (any framework; the body is put back for the application)::

    from twiliorm.webhooks.wsgi import SignatureMiddleware, validate_request

    app = SignatureMiddleware(app, auth_token=token, trust_forwarded=True, paths=["/twilio"])
    # or, inside an application:
    if not validate_request(environ, WebhookValidator(token)): ...

What users trip on, handled here: the URL with or without the default port
(both forms are accepted), the URL behind a proxy (``trust_forwarded``, only
when proxies you control set X-Forwarded-*: ``True`` for one, an int for a
chain, :class:`TrustedProxies` per header), sub-accounts signing with their
own token (``accounts=``: a mapping, a function, or :class:`AccountTokens`,
which reads the account's and its sub-accounts' tokens from the API), and
repeated form keys (every value counts, sorted).
"""

from __future__ import annotations

from . import wsgi
from .callbacks import CALLBACK_PARAMS, callback_model, parse_callback
from .signature import (
    HMAC_SHA1,
    HMAC_SHA256,
    SIGNATURE_HEADER,
    Params,
    RequestValidator,
    body_sha256,
    compute_signature,
    form_pairs,
    validate_signature,
)
from .tokens import AccountTokens, TokenLookup, WebhookValidator, account_sid_of
from .urls import Trust, TrustedProxies, forwarded_url, url_forms, wsgi_url

__all__ = [
    "CALLBACK_PARAMS",
    "HMAC_SHA1",
    "HMAC_SHA256",
    "SIGNATURE_HEADER",
    "AccountTokens",
    "Params",
    "RequestValidator",
    "TokenLookup",
    "Trust",
    "TrustedProxies",
    "WebhookValidator",
    "account_sid_of",
    "body_sha256",
    "callback_model",
    "compute_signature",
    "form_pairs",
    "forwarded_url",
    "parse_callback",
    "url_forms",
    "validate_signature",
    "wsgi",
    "wsgi_url",
]
