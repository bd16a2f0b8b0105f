"""Django: the Twilio settings configure the client aliases; webhook views answer in TwiML.

Install the app, and configure the clients as ``DATABASES`` configures
connections (:mod:`~twiliorm.contrib.django.conf`)::

    INSTALLED_APPS = [..., "twiliorm.contrib.django"]
    TWILIO = {
        "default": {"ACCOUNT_SID": "AC...", "AUTH_TOKEN": "..."},
        "marketing": {"ACCOUNT_SID": "AC...", "AUTH_TOKEN": "...", "REGION": "ie1"},
    }
    TWILIO_TRUSTED_PROXIES = 1          # one proxy of yours sets X-Forwarded-*

    Message.objects.using("marketing").filter(...)

``manage.py check`` reports a malformed configuration
(:mod:`~twiliorm.contrib.django.checks`). Webhook views
(:mod:`~twiliorm.contrib.django.views`) check the X-Twilio-Signature with
the alias's auth token, hand the view the callback as a model instance, and
send its reply back as TwiML::

    from twiliorm.contrib.django import TwilioWebhookView, twilio_view
    from twiliorm.twiml import Message, MessagingResponse

    @twilio_view
    def sms(request, message):                  # an inbound twiliorm.Message
        return MessagingResponse(Message(f"Got {message.body!r}"))

``validate_twilio_request`` checks the signature only and leaves the view's
arguments alone. The views work without the app installed (the settings
are read all the same); only the clients and the checks need it.
"""

# mypy: disable-error-code="import-untyped, import-not-found"

from __future__ import annotations

from .conf import alias_settings, trusted_proxies
from .views import TwilioWebhookView, twilio_view, twiml_response, validate_twilio_request
from .webhook import Webhook, request_params, validate_request

__all__ = [
    "TwilioWebhookView",
    "Webhook",
    "alias_settings",
    "request_params",
    "trusted_proxies",
    "twilio_view",
    "twiml_response",
    "validate_request",
    "validate_twilio_request",
]
