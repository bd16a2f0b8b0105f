"""The Django view decorator, through Django's RequestFactory and test client."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import django
import pytest
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="webhooks-tests",
        ALLOWED_HOSTS=["testserver", "hooks.example.com", "app.internal"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware"],
        INSTALLED_APPS=[],
        TWILIO_AUTH_TOKEN="django-settings-token-0123456789",
    )
    django.setup()

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path
from twilio.request_validator import RequestValidator as OfficialValidator

from twiliorm import Message
from twiliorm.contrib.django import validate_twilio_request
from twiliorm.webhooks import WebhookValidator, body_sha256, parse_callback

TOKEN = "django-settings-token-0123456789"
FORM = {"MessageSid": "SM" + "1" * 32, "MessageStatus": "delivered", "To": "+15558675310"}
FORM_TYPE = "application/x-www-form-urlencoded"
received: list[Any] = []


@validate_twilio_request
def message_status(request: Any) -> HttpResponse:
    received.append(parse_callback(request.POST))
    return HttpResponse(status=204)


@validate_twilio_request(trust_forwarded=True)
def behind_proxy(request: Any) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [path("status", message_status), path("proxied", behind_proxy)]


def sign(url: str, params: object, token: str = TOKEN) -> str:
    return str(OfficialValidator(token).compute_signature(url, params))


@pytest.fixture(autouse=True)
def _clear() -> None:
    received.clear()


def post(client: Client, url: str, form: dict[str, str], signature: str, **extra: Any) -> Any:
    return client.post(
        url,
        urllib.parse.urlencode(form),
        content_type=FORM_TYPE,
        HTTP_X_TWILIO_SIGNATURE=signature,
        **extra,
    )


def test_a_signed_callback_reaches_the_view_without_a_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    answer = post(client, "/status?x=1", FORM, sign("http://testserver/status?x=1", FORM))
    assert answer.status_code == 204
    (message,) = received
    assert isinstance(message, Message) and message.status == "delivered"


def test_a_bad_signature_gets_403() -> None:
    client = Client()
    signature = sign("http://testserver/status", FORM)
    assert post(client, "/status", {**FORM, "To": "+1"}, signature).status_code == 403
    assert post(client, "/status", FORM, signature[:-2] + "AA").status_code == 403
    assert (
        client.post("/status", urllib.parse.urlencode(FORM), content_type=FORM_TYPE).status_code
        == 403
    )
    assert received == []


def test_https_default_port_form() -> None:
    client = Client()
    signature = sign("https://testserver:443/status", FORM)
    assert post(client, "/status", FORM, signature, secure=True).status_code == 204


def test_djangos_proxy_settings_are_honoured() -> None:
    client = Client()
    signature = sign("https://hooks.example.com/status", FORM)
    proxy = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "hooks.example.com"}
    assert post(client, "/status", FORM, signature, **proxy).status_code == 403
    with override_settings(
        SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"), USE_X_FORWARDED_HOST=True
    ):
        assert post(client, "/status", FORM, signature, **proxy).status_code == 204


def test_trust_forwarded_without_django_settings() -> None:
    client = Client()
    signature = sign("https://hooks.example.com:8443/proxied", FORM)
    proxy = {
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "hooks.example.com",
        "HTTP_X_FORWARDED_PORT": "8443",
    }
    assert post(client, "/proxied", FORM, signature, **proxy).status_code == 200
    assert post(client, "/proxied", FORM, signature).status_code == 403


def test_json_body_with_bodysha256() -> None:
    factory = RequestFactory()
    body = json.dumps({"status": "delivered"})
    url = f"/hook?bodySHA256={body_sha256(body)}"
    view = validate_twilio_request(auth_token="json-token")(lambda request: HttpResponse("ok"))
    good = sign("http://testserver" + url, {}, "json-token")
    request = factory.post(url, body, content_type="application/json", HTTP_X_TWILIO_SIGNATURE=good)
    assert view(request).status_code == 200
    tampered = factory.post(
        url, body + " ", content_type="application/json", HTTP_X_TWILIO_SIGNATURE=good
    )
    assert view(tampered).status_code == 403
    unhashed = factory.post(
        "/hook",
        body,
        content_type="application/json",
        HTTP_X_TWILIO_SIGNATURE=sign("http://testserver/hook", {}, "json-token"),
    )
    assert view(unhashed).status_code == 403


def test_get_webhooks_and_repeated_keys_with_request_factory() -> None:
    factory = RequestFactory()
    view = validate_twilio_request(lambda request: HttpResponse("ok"))
    query = urllib.parse.urlencode(FORM)
    request = factory.get(
        "/voice?" + query, HTTP_X_TWILIO_SIGNATURE=sign(f"http://testserver/voice?{query}", {})
    )
    assert view(request).status_code == 200
    pairs = [("MediaUrl", "https://b/2"), ("MediaUrl", "https://a/1"), ("To", "+1")]
    signature = OfficialValidator(TOKEN).compute_signature(
        "http://testserver/mms", factory.post("/", urllib.parse.urlencode(pairs), FORM_TYPE).POST
    )
    repeated = factory.post(
        "/mms", urllib.parse.urlencode(pairs), FORM_TYPE, HTTP_X_TWILIO_SIGNATURE=signature
    )
    assert view(repeated).status_code == 200


def test_sub_account_tokens_and_a_ready_validator() -> None:
    factory = RequestFactory()
    sub, sub_token = "AC" + "b" * 32, "s" * 32
    form = {**FORM, "AccountSid": sub}
    body = urllib.parse.urlencode(form)
    signature = sign("http://testserver/status", form, sub_token)
    for decorator in (
        validate_twilio_request(accounts={sub: sub_token}),
        validate_twilio_request(validator=WebhookValidator(accounts={sub: sub_token})),
    ):
        view = decorator(lambda request: HttpResponse("ok"))
        request = factory.post("/status", body, FORM_TYPE, HTTP_X_TWILIO_SIGNATURE=signature)
        assert view(request).status_code == 200
    main_signed = factory.post(
        "/status", body, FORM_TYPE, HTTP_X_TWILIO_SIGNATURE=sign("http://testserver/status", form)
    )
    assert view(main_signed).status_code == 403


def test_no_token_anywhere_is_improperly_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    view = validate_twilio_request(lambda request: HttpResponse("ok"))
    request = RequestFactory().post("/status", "", FORM_TYPE)
    with (
        override_settings(TWILIO_AUTH_TOKEN=None),
        pytest.raises(ImproperlyConfigured, match="TWILIO_AUTH_TOKEN"),
    ):
        view(request)


def test_the_decorated_view_keeps_its_name_and_is_csrf_exempt() -> None:
    assert message_status.__name__ == "message_status"
    assert getattr(message_status, "csrf_exempt", False) is True


def test_a_query_that_only_mentions_body_sha256_is_still_a_form() -> None:
    url = "http://testserver/status?notbodySHA256=1"
    answer = post(Client(), "/status?notbodySHA256=1", FORM, sign(url, FORM))
    assert answer.status_code == 204


def test_a_chain_of_proxies_with_trust_forwarded_as_a_count() -> None:
    factory = RequestFactory()
    view = validate_twilio_request(trust_forwarded=2)(lambda request: HttpResponse("ok"))
    proxy = {
        "HTTP_X_FORWARDED_PROTO": "https, https",
        "HTTP_X_FORWARDED_HOST": "forged.example, hooks.example.com, lb.internal",
    }
    body = urllib.parse.urlencode(FORM)
    for url, status in (
        ("https://hooks.example.com/status", 200),
        ("https://forged.example/status", 403),
        ("https://lb.internal/status", 403),
    ):
        request = factory.post(
            "/status", body, FORM_TYPE, HTTP_X_TWILIO_SIGNATURE=sign(url, FORM), **proxy
        )
        assert view(request).status_code == status, url


@pytest.mark.parametrize("length", ["\u0663", "\u00b2", "abc", "-1", "1e3"])
def test_a_malformed_content_length_is_400_not_500(length: str) -> None:
    body = urllib.parse.urlencode(FORM)
    signature = sign("http://testserver/status", FORM)
    request = RequestFactory().post(
        "/status", body, FORM_TYPE, HTTP_X_TWILIO_SIGNATURE=signature, CONTENT_LENGTH=length
    )
    assert message_status(request).status_code == 400
    assert received == []
    good = RequestFactory().post("/status", body, FORM_TYPE, HTTP_X_TWILIO_SIGNATURE=signature)
    assert message_status(good).status_code == 204
