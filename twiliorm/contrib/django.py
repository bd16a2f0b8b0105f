"""Django: a view decorator that answers 403 unless X-Twilio-Signature is Twilio's.

    from twiliorm.contrib.django import validate_twilio_request
    from twiliorm.webhooks import parse_callback

    @validate_twilio_request
    def message_status(request):
        message = parse_callback(request.POST)     # -> twiliorm.Message
        ...
        return HttpResponse(status=204)

The URL Twilio requested is rebuilt with ``request.build_absolute_uri()``,
so Django's own proxy settings apply (``SECURE_PROXY_SSL_HEADER`` for the
scheme, ``USE_X_FORWARDED_HOST``, ``USE_X_FORWARDED_PORT``); with
``trust_forwarded`` the X-Forwarded-Proto/Host/Port headers are applied to it
as well, by the function the WSGI middleware uses
(:func:`twiliorm.webhooks.urls.forwarded_url`): ``True`` trusts the value
one proxy appended, ``trust_forwarded=2`` the second from the right, and
:class:`~twiliorm.webhooks.urls.TrustedProxies` counts per header. Behind
a chain of proxies prefer it to ``USE_X_FORWARDED_HOST``, which takes the
whole comma-separated header as the host. The token is
``auth_token=``, else ``settings.TWILIO_AUTH_TOKEN``, else the
``TWILIO_AUTH_TOKEN`` environment variable, read at the first request;
``accounts=`` finds a sub-account's own token by the form's ``AccountSid``
(a mapping, a function, or ``twiliorm.webhooks.AccountTokens(client)``).

Twilio sends no CSRF token, so the decorated view is CSRF-exempt: the
signature is the stronger check. A Content-Length that is not ASCII digits
answers 400 before the body is read (Django's ``request.body`` would raise
on it, a 500). Only synchronous views are supported.
"""

# Django ships no type hints and its stubs are no dependency of twiliorm:
# mypy: disable-error-code="import-untyped, import-not-found"

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseBadRequest, HttpResponseForbidden

from ..exceptions import ConfigurationError
from ..webhooks.signature import Params, has_body_hash, is_form
from ..webhooks.tokens import TokenLookup, WebhookValidator
from ..webhooks.urls import Trust
from ..webhooks.wsgi import content_length

__all__ = ["request_params", "validate_request", "validate_twilio_request"]

V = TypeVar("V", bound=Callable[..., Any])


def request_params(request: Any, url: str) -> Params | bytes | None:
    """What the signature covers besides the URL: the JSON body, the form, or nothing.

    Returns None for a body that no signature covers (neither a form nor
    hashed into the URL as ``bodySHA256``), and ``{}`` for no body.
    """
    if has_body_hash(url):
        return bytes(request.body)
    if is_form(request.content_type):
        return request.POST  # type: ignore[no-any-return]
    return None if request.body else {}


def validate_request(request: Any, validator: WebhookValidator) -> bool:
    """True when a Django request carries Twilio's signature for it."""
    url = validator.request_url(request.build_absolute_uri(), request.headers)
    params = request_params(request, url)
    if params is None:
        return False
    return validator.validate(url, params, request.headers.get("X-Twilio-Signature"))


def _length_ok(request: Any) -> bool:
    try:
        content_length(request.META)
    except ValueError:
        return False
    return True


def _validator_from_settings(
    auth_token: str | None,
    accounts: Mapping[str, str] | TokenLookup | None,
    trust_forwarded: Trust,
) -> WebhookValidator:
    token = (
        auth_token
        or getattr(settings, "TWILIO_AUTH_TOKEN", None)
        or os.environ.get("TWILIO_AUTH_TOKEN")
    )
    try:
        return WebhookValidator(token, accounts=accounts, trust_forwarded=trust_forwarded)
    except ConfigurationError as exc:
        raise ImproperlyConfigured(
            f"{exc}: set settings.TWILIO_AUTH_TOKEN, or pass auth_token= or accounts= "
            "to validate_twilio_request"
        ) from exc


@overload
def validate_twilio_request(view: V) -> V: ...
@overload
def validate_twilio_request(
    view: None = None,
    *,
    auth_token: str | None = None,
    accounts: Mapping[str, str] | TokenLookup | None = None,
    trust_forwarded: Trust = False,
    validator: WebhookValidator | None = None,
) -> Callable[[V], V]: ...
def validate_twilio_request(
    view: V | None = None,
    *,
    auth_token: str | None = None,
    accounts: Mapping[str, str] | TokenLookup | None = None,
    trust_forwarded: Trust = False,
    validator: WebhookValidator | None = None,
) -> V | Callable[[V], V]:
    """Decorate a view so requests without Twilio's signature get 403 (see the module doc).

    Use it bare (``@validate_twilio_request``) or with options
    (``@validate_twilio_request(accounts=..., trust_forwarded=True)``), or
    give a ready :class:`~twiliorm.webhooks.WebhookValidator`.
    """

    def decorate(view: V) -> V:
        chosen: list[WebhookValidator] = [validator] if validator else []

        @functools.wraps(view)
        def checked(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not chosen:
                chosen.append(_validator_from_settings(auth_token, accounts, trust_forwarded))
            if not _length_ok(request):
                return HttpResponseBadRequest("Malformed Content-Length")
            if not validate_request(request, chosen[0]):
                return HttpResponseForbidden("Invalid X-Twilio-Signature")
            return view(request, *args, **kwargs)

        checked.csrf_exempt = True  # type: ignore[attr-defined]
        return checked  # type: ignore[return-value]

    return decorate(view) if view is not None else decorate
