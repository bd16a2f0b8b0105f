"""Admitting a Django request as Twilio's webhook: its signature, then its callback.

:class:`Webhook` is what a decorated view or a :class:`~.views.TwilioWebhookView`
knows about its webhooks (the alias whose account signs them, the proxies in
front of the application); :meth:`Webhook.admit` checks a request and reads
its form into the model it reports on, or raises :class:`Refused` with the
answer to send instead (400, 403).

What the signature covers: Twilio signs the URL and the form's parameters,
not the bytes of the body, so any form encoding Django parses is checked by
its parameters (``request.POST``): ``application/x-www-form-urlencoded``,
which Twilio sends, and ``multipart/form-data``, which Django's test client
sends by default. A multipart request carrying a file is refused: no
signature covers a file. A JSON body is checked by the ``bodySHA256`` its
URL carries; any other body is refused.

The validator is made for each request from the settings as they are then
(an ``override_settings`` in a test applies at once); it costs a few dict
reads.
"""

# mypy: disable-error-code="import-untyped, import-not-found"

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponseBadRequest, HttpResponseBase, HttpResponseForbidden

from ...client import DEFAULT_ALIAS, Client, get_client
from ...exceptions import ConfigurationError, DecodeError
from ...resource import Resource
from ...webhooks.callbacks import callback_model, parse_callback
from ...webhooks.signature import SIGNATURE_HEADER, Params, has_body_hash
from ...webhooks.tokens import TokenLookup, WebhookValidator, account_sid_of
from ...webhooks.urls import Trust
from ...webhooks.wsgi import content_length
from . import conf

__all__ = ["FORM_TYPES", "Refused", "Webhook", "request_params", "validate_request"]

#: The body encodings checked by their parsed parameters.
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class Refused(Exception):
    """A request that is not admitted, with the answer to send (``response``)."""

    def __init__(self, response: HttpResponseBase) -> None:
        super().__init__(response.status_code)
        self.response = response


def request_params(request: Any, url: str) -> Params | bytes | None:
    """What the signature covers besides the URL: the JSON body, the form, or nothing.

    Returns None for a body that no signature covers (neither a form nor
    hashed into the URL as ``bodySHA256``, or a form with a file), and ``{}``
    for no body.
    """
    if has_body_hash(url):
        return bytes(request.body)
    if request.content_type in FORM_TYPES:
        return None if request.FILES else request.POST
    return None if request.body else {}


def validate_request(request: Any, validator: WebhookValidator) -> bool:
    """True when a Django request carries Twilio's signature for it."""
    url = validator.request_url(request.build_absolute_uri(), request.headers)
    params = request_params(request, url)
    if params is None:
        return False
    return validator.validate(url, params, request.headers.get(SIGNATURE_HEADER))


@attrs.frozen
class Webhook:
    """Where a view's webhooks come from; every field left None is read from the settings.

    ``alias``: the client alias whose account's webhooks are accepted (signed
    with its ``AUTH_TOKEN``), and whose client the callback is bound to; None
    accepts the webhooks of every account in the settings, each checked with
    its own token (found by the form's ``AccountSid``) and bound to its own
    alias. ``auth_token`` overrides the alias's token. ``accounts`` finds a
    sub-account's token by ``AccountSid`` (a mapping, a function, or
    :class:`~twiliorm.webhooks.AccountTokens`). ``trust_forwarded``
    overrides ``settings.TWILIO_TRUSTED_PROXIES``. ``validator`` replaces
    all of these.
    """

    alias: str | None = DEFAULT_ALIAS
    auth_token: str | None = None
    accounts: Mapping[str, str] | TokenLookup | None = None
    trust_forwarded: Trust | None = None
    validator: WebhookValidator | None = None

    def current_validator(self) -> WebhookValidator:
        """The validator for a request now, from the settings as they are."""
        if self.validator is not None:
            return self.validator
        token = self.auth_token or (conf.webhook_token(self.alias) if self.alias else None)
        accounts = self.accounts
        if accounts is None and self.alias is None:
            accounts = conf.account_tokens() or None
        proxies = conf.trusted_proxies(self.trust_forwarded)
        try:
            return WebhookValidator(token, accounts=accounts, trust_forwarded=proxies)
        except ConfigurationError as exc:
            where = f"TWILIO[{self.alias!r}]" if self.alias else "an alias of TWILIO"
            raise ImproperlyConfigured(
                f"{exc}: set {where}['AUTH_TOKEN'] (or settings.TWILIO_AUTH_TOKEN), "
                "or pass auth_token= or accounts= to the view"
            ) from exc

    def admit(self, request: Any, *, parse: bool = True) -> Resource | None:
        """The callback of a signed request (None when ``parse`` is false, or when the form
        is no message or call callback); raises :class:`Refused` otherwise."""
        if not _length_ok(request):
            raise Refused(HttpResponseBadRequest("Malformed Content-Length"))
        if not validate_request(request, self.current_validator()):
            raise Refused(HttpResponseForbidden("Invalid X-Twilio-Signature"))
        return self.callback(request) if parse else None

    def callback(self, request: Any) -> Resource | None:
        """The Message or Call a request's form reports on, bound to its account's client."""
        form = request.POST if request.method == "POST" else request.GET
        try:
            model = callback_model(form)
        except DecodeError:
            return None  # another webhook (a recording's, a Gather's action...): read the form
        try:
            return parse_callback(form, model, client=self._client(account_sid_of(form)))
        except DecodeError as exc:
            raise Refused(HttpResponseBadRequest(str(exc))) from exc

    def _client(self, account_sid: str | None) -> Client | None:
        try:
            return get_client(conf.alias_of_account(account_sid, self.alias or DEFAULT_ALIAS))
        except ConfigurationError:
            return None  # no client configured: the callback stays unbound


def _length_ok(request: Any) -> bool:
    # Django's request.body would raise on it: a 500 where 400 is the answer.
    try:
        content_length(request.META)
    except ValueError:
        return False
    return True
