"""twiliorm's Django app, in the small project of tests/django_project.

Django's settings belong to the process, and other modules configure them too
(test_webhooks_django at import, test_api in a test). So this module never
configures them for good: around each test it applies the whole project's
settings with ``override_settings`` over whatever is configured, or over
Django's defaults when nothing is (and leaves Django unconfigured again).
Once, the project also runs on its own, in a fresh process with
``DJANGO_SETTINGS_MODULE``, as a deployment would.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import pytest
from django.apps import apps
from django.conf import UserSettingsHolder, global_settings, settings
from django.core.checks import run_checks
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import AsyncClient, Client, override_settings
from django.utils.functional import empty
from twilio.request_validator import RequestValidator as OfficialValidator

import twiliorm
from twiliorm import Message
from twiliorm.client import get_client
from twiliorm.contrib import django as contrib
from twiliorm.contrib.django.conf import FLAT_SETTINGS
from twiliorm.sandbox import Sandbox
from twiliorm.twiml import Message as Reply
from twiliorm.twiml import MessagingResponse, Say, VoiceResponse
from twiliorm.webhooks import TrustedProxies, body_sha256

from .django_project import settings as project
from .django_project import views

ROOT = Path(__file__).resolve().parent.parent
FORM_TYPE = "application/x-www-form-urlencoded"
DEFAULT, MARKETING = project.TWILIO["default"], project.TWILIO["marketing"]
TOKEN = DEFAULT["AUTH_TOKEN"]
SMS = {
    "MessageSid": "SM" + "1" * 32,
    "SmsSid": "SM" + "1" * 32,
    "AccountSid": DEFAULT["ACCOUNT_SID"],
    "From": "+15017122661",
    "To": "+15558675310",
    "Body": "hi",
    "NumMedia": "0",
    "SmsStatus": "received",
    "ApiVersion": "2010-04-01",
}
CALL = {
    "CallSid": "CA" + "2" * 32,
    "AccountSid": DEFAULT["ACCOUNT_SID"],
    "From": "+15017122661",
    "To": "+15558675310",
    "CallStatus": "ringing",
    "Direction": "inbound",
}
STATUS = {"MessageSid": "SM" + "3" * 32, "MessageStatus": "delivered", "To": "+15558675310"}
# Not SECRET_KEY: override_settings reads every overridden name back when it ends, and one
# configured elsewhere without a key would then raise. Nothing here signs with it.
PROJECT = {name: getattr(project, name) for name in dir(project) if name.isupper()}
del PROJECT["SECRET_KEY"]
# Whatever another module set, the flat names are not the project's.
UNSET_FLAT = dict.fromkeys(FLAT_SETTINGS.values())


@pytest.fixture(autouse=True)
def django_project(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("TWILIO_AUTH_TOKEN", "TWILIO_ACCOUNT_SID", "TWILIO_MARKETING_ACCOUNT_SID"):
        monkeypatch.delenv(name, raising=False)
    before = vars(settings)["_wrapped"]  # read without making the lazy object set itself up
    if before is empty:  # nobody configured Django: configure it for this test only
        settings._wrapped = UserSettingsHolder(global_settings)
    try:
        if not apps.ready:
            django.setup()
        with override_settings(**UNSET_FLAT, **PROJECT):
            yield
    finally:
        settings._wrapped = before


def sign(url: str, params: object, token: str = TOKEN) -> str:
    return str(OfficialValidator(token).compute_signature(url, params))


def post(path: str, form: dict[str, str], signature: str, **extra: Any) -> Any:
    """A urlencoded POST, as Twilio sends it."""
    client = Client(enforce_csrf_checks=True)
    body = urllib.parse.urlencode(form)
    return client.post(path, body, FORM_TYPE, HTTP_X_TWILIO_SIGNATURE=signature, **extra)


def twiml(reply: VoiceResponse | MessagingResponse) -> bytes:
    return bytes(reply)


# --- webhooks: signatures, encodings, replies ----------------------------------------------------


def test_a_signed_urlencoded_sms_gets_the_views_twiml() -> None:
    answer = post("/sms", SMS, sign("http://testserver/sms", SMS))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "text/xml; charset=utf-8"
    assert answer.content == twiml(MessagingResponse(Reply("+15017122661 said hi (default)")))


def test_a_signed_multipart_post_is_accepted() -> None:
    # Django's test client sends multipart/form-data unless told otherwise; the signature
    # covers the form's parameters, whatever encoding carried them.
    client = Client(enforce_csrf_checks=True)
    signature = sign("http://testserver/sms", SMS)
    answer = client.post("/sms", SMS, HTTP_X_TWILIO_SIGNATURE=signature)
    assert answer.status_code == 200, answer.content
    assert b"said hi" in answer.content
    plain = client.post("/signed-only", SMS, HTTP_X_TWILIO_SIGNATURE=signature)
    assert plain.status_code == 403  # signed for /sms, not /signed-only
    signed = client.post("/signed-only", SMS, HTTP_X_TWILIO_SIGNATURE=sign(
        "http://testserver/signed-only", SMS))  # fmt: skip
    assert (signed.status_code, signed.content) == (202, b"hi")  # an HttpResponse passes through


def test_a_multipart_post_with_a_file_is_refused() -> None:
    signature = sign("http://testserver/sms", SMS)
    upload = {**SMS, "Extra": SimpleUploadedFile("x.txt", b"not signed")}
    assert Client().post("/sms", upload, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 403


@pytest.mark.parametrize("path", ["/sms", "/voice", "/callbacks", "/callbacks/async"])
def test_a_wrong_signature_is_403(path: str) -> None:
    url = "http://testserver" + path
    for form, signature in [
        (SMS, sign(url, SMS, "not-the-token")),
        ({**SMS, "Body": "changed"}, sign(url, SMS)),
        (SMS, sign(url + "?x=1", SMS)),
        (SMS, ""),
    ]:
        assert post(path, form, signature).status_code == 403
        assert Client().post(path, form, HTTP_X_TWILIO_SIGNATURE=signature).status_code == 403
    assert Client().post(path, SMS).status_code == 403  # no signature at all


def test_none_is_an_empty_response_and_other_webhooks_have_no_callback() -> None:
    for form in (STATUS, CALL, {"RecordingSid": "RE" + "4" * 32, "RecordingStatus": "completed"}):
        answer = post("/status", form, sign("http://testserver/status", form))
        assert (answer.status_code, answer.content) == (200, twiml(MessagingResponse()))


def test_a_json_webhook_is_checked_by_its_body_hash() -> None:
    body = '{"event": "x"}'
    path = f"/status?bodySHA256={body_sha256(body)}"
    signature = sign("http://testserver" + path, {})
    client = Client()
    ok = client.post(path, body, "application/json", HTTP_X_TWILIO_SIGNATURE=signature)
    assert ok.status_code == 200
    changed = client.post(path, body + " ", "application/json", HTTP_X_TWILIO_SIGNATURE=signature)
    assert changed.status_code == 403


def test_a_reply_of_another_type_is_an_error() -> None:
    with pytest.raises(TypeError, match="not str"):
        contrib.twiml_response("<Response/>")


# --- proxies ---------------------------------------------------------------------------------


def test_a_forwarded_host_counts_only_when_the_proxy_is_trusted() -> None:
    public = "https://hooks.example.com/sms"
    forwarded = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "hooks.example.com"}
    with override_settings(TWILIO_TRUSTED_PROXIES=0):
        assert post("/sms", SMS, sign(public, SMS), **forwarded).status_code == 403
        assert post("/sms", SMS, sign("http://testserver/sms", SMS), **forwarded).status_code == 200
    assert post("/sms", SMS, sign(public, SMS), **forwarded).status_code == 200  # the project: 1


def test_a_forged_host_left_of_the_trusted_proxys_is_refused() -> None:
    chain = {
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "forged.example, hooks.example.com",
    }
    assert post("/sms", SMS, sign("https://forged.example/sms", SMS), **chain).status_code == 403
    assert post("/sms", SMS, sign("https://hooks.example.com/sms", SMS), **chain).status_code == 200
    with override_settings(TWILIO_TRUSTED_PROXIES={"proto": 1, "host": 2}):
        forged = sign("https://forged.example/sms", SMS)
        assert post("/sms", SMS, forged, **chain).status_code == 200  # you said two proxies
    assert contrib.trusted_proxies() == TrustedProxies(1, 1, 1)


# --- the class-based view --------------------------------------------------------------------


def test_the_class_based_view_routes_by_callback() -> None:
    url = "http://testserver/callbacks"
    status = post("/callbacks", STATUS, sign(url, STATUS))
    assert status.content == twiml(MessagingResponse(Reply("main: delivered")))
    call = post("/callbacks", CALL, sign(url, CALL))
    assert call.content == twiml(VoiceResponse(Say("call ringing")))
    other = {"RecordingSid": "RE" + "4" * 32}
    assert post("/callbacks", other, sign(url, other)).content == twiml(MessagingResponse())
    get = Client().get("/callbacks", STATUS, HTTP_X_TWILIO_SIGNATURE=sign(
        url + "?" + urllib.parse.urlencode(STATUS), {}))  # fmt: skip
    assert get.status_code == 200 and b"main: delivered" in get.content


def test_as_view_takes_the_alias_whose_token_signs() -> None:
    url = "http://testserver/callbacks/spring"
    form = {**STATUS, "AccountSid": MARKETING["ACCOUNT_SID"]}
    answer = post("/callbacks/spring", form, sign(url, form, MARKETING["AUTH_TOKEN"]))
    assert answer.content == twiml(MessagingResponse(Reply("spring: delivered")))
    assert post("/callbacks/spring", STATUS, sign(url, STATUS)).status_code == 403


# --- async views -----------------------------------------------------------------------------


def test_async_views_through_the_async_client() -> None:
    assert asyncio.iscoroutinefunction(views.voice)
    assert views.AsyncCallbacks.view_is_async and not views.Callbacks.view_is_async

    async def requests() -> list[Any]:
        # The async client takes headers as headers= (extra keywords become the ASGI scope).
        client = AsyncClient(enforce_csrf_checks=True)
        body = urllib.parse.urlencode(CALL)
        sent = [
            ("/voice", body, FORM_TYPE, sign("http://testserver/voice", CALL)),
            ("/voice", body, FORM_TYPE, "bad"),
            ("/callbacks/async", SMS, None, sign("http://testserver/callbacks/async", SMS)),
            ("/callbacks/async", CALL, None, sign("http://testserver/callbacks/async", CALL)),
        ]
        answers = []
        for path, data, content_type, signature in sent:
            kwargs = {"content_type": content_type} if content_type else {}
            headers = {"X-Twilio-Signature": signature}
            answers.append(await client.post(path, data, headers=headers, **kwargs))
        return answers

    voice, refused, message, call = asyncio.run(requests())
    assert voice.status_code == 200
    assert voice.content == twiml(VoiceResponse(Say("ringing call from +15017122661")))
    assert refused.status_code == 403
    assert message.content == twiml(MessagingResponse(Reply("async: hi")))
    assert call.status_code == 204  # the sync handle() of an async view, in a thread


def test_an_async_view_also_answers_the_sync_client() -> None:
    answer = post("/voice", CALL, sign("http://testserver/voice", CALL))
    assert answer.content == twiml(VoiceResponse(Say("ringing call from +15017122661")))


# --- settings: client aliases ----------------------------------------------------------------


def test_two_aliases_give_two_clients() -> None:
    with Sandbox() as main, Sandbox() as marketing:
        aliases = {
            "default": {"ACCOUNT_SID": main.account_sid, "AUTH_TOKEN": main.auth_token,
                        "BASE_URL": main.base_url},
            "marketing": {"ACCOUNT_SID": marketing.account_sid,
                          "AUTH_TOKEN": marketing.auth_token, "BASE_URL": marketing.base_url},
        }  # fmt: skip
        with override_settings(TWILIO=aliases):
            assert get_client() is not get_client("marketing")
            assert get_client("marketing").account_sid == marketing.account_sid
            Message.objects.using("marketing").create(to="+15558675310", from_="+15017122661",
                                                      body="sale")  # fmt: skip
            Message.objects.create(to="+15558675310", from_="+15017122661", body="hello")
        for sandbox, bodies in ((marketing, ["sale"]), (main, ["hello"])):
            with sandbox.client() as own:
                assert [m.body for m in Message.objects.using(own).all()] == bodies
    assert get_client("marketing").account_sid == MARKETING["ACCOUNT_SID"]  # the project's again
    with override_settings(INSTALLED_APPS=[]), pytest.raises(twiliorm.ConfigurationError):
        get_client("marketing")  # the app's clients go with the app


def test_the_projects_aliases_and_the_flat_settings() -> None:
    assert get_client("marketing").base_url == "https://api.dublin.ie1.twilio.com"
    assert get_client().account_sid == DEFAULT["ACCOUNT_SID"]
    flat = {"TWILIO": None, "TWILIO_ACCOUNT_SID": "AC" + "c" * 32, "TWILIO_AUTH_TOKEN": "t" * 32}
    with override_settings(**flat):
        assert get_client().account_sid == "AC" + "c" * 32
        with pytest.raises(twiliorm.ConfigurationError):
            get_client("marketing")


def test_a_view_takes_the_webhooks_of_its_alias_or_of_every_alias() -> None:
    theirs = {**SMS, "AccountSid": MARKETING["ACCOUNT_SID"]}
    for path, form, token, status in [
        ("/sms", SMS, TOKEN, 200),
        ("/sms", theirs, MARKETING["AUTH_TOKEN"], 403),  # the default alias's view
        ("/sms/marketing", theirs, MARKETING["AUTH_TOKEN"], 200),
        ("/sms/marketing", SMS, TOKEN, 403),
        ("/inbox", theirs, MARKETING["AUTH_TOKEN"], 200),
        ("/inbox", SMS, TOKEN, 200),
        ("/inbox", theirs, TOKEN, 403),  # signed with another account's token
    ]:
        assert post(path, form, sign("http://testserver" + path, form, token)).status_code == status
    answer = post(
        "/inbox", theirs, sign("http://testserver/inbox", theirs, MARKETING["AUTH_TOKEN"])
    )
    assert answer.content == twiml(MessagingResponse(Reply("hi for marketing")))  # its client


# --- system checks ---------------------------------------------------------------------------


def ids(**overrides: Any) -> list[str]:
    with override_settings(**overrides):
        return [message.id for message in run_checks(tags=["twiliorm"])]


def with_default(**changes: Any) -> dict[str, Any]:
    default = {k: v for k, v in {**DEFAULT, **changes}.items() if v is not None}
    return {"TWILIO": {**project.TWILIO, "default": default}}


def test_the_check_passes_for_the_projects_settings() -> None:
    assert run_checks(tags=["twiliorm"]) == []
    assert ids(**with_default(API_KEY="SK" + "0" * 32, API_SECRET="s", AUTH_TOKEN=None)) == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (with_default(ACCOUNT_SID="AC123"), ["twiliorm.E004"]),
        (with_default(ACCOUNT_SID="ACzz" + "0" * 30), ["twiliorm.E004"]),
        (with_default(ACCOUNT_SID=None), ["twiliorm.E003"]),
        (with_default(AUTH_TOKEN=None), ["twiliorm.E005"]),
        (with_default(AUTH_TOKEN=""), ["twiliorm.E005"]),
        (with_default(API_KEY="SK" + "0" * 32, AUTH_TOKEN=None), ["twiliorm.E005"]),
        (with_default(AUTH_TOKN="typo"), ["twiliorm.E002"]),
        (with_default(BASE_URL="ftp://api.example.com"), ["twiliorm.E006"]),
        (with_default(BASE_URL="https://user:pw@api.example.com"), ["twiliorm.E006"]),
        (with_default(BASE_URL="http://api.example.com"), ["twiliorm.E009"]),  # plain http
        (with_default(OPTIONS={"timeot": 3}), ["twiliorm.E007"]),
        ({"TWILIO": [DEFAULT]}, ["twiliorm.E001"]),
        ({"TWILIO": {"default": "AC..."}}, ["twiliorm.E001"]),
        ({"TWILIO_TRUSTED_PROXIES": "yes"}, ["twiliorm.E008"]),
        ({"TWILIO_AUTH_TOKEN": TOKEN}, ["twiliorm.W002"]),
        ({"TWILIO": None}, ["twiliorm.W001"]),
        ({"TWILIO": None, "TWILIO_AUTH_TOKEN": TOKEN}, ["twiliorm.E003"]),
    ],
)
def test_the_check_reports_each_problem(overrides: dict[str, Any], expected: list[str]) -> None:
    assert ids(**overrides) == expected


def test_a_secret_is_never_in_a_check_message() -> None:
    with override_settings(**with_default(ACCOUNT_SID="x", BASE_URL="https://u:hunter2@h")):
        assert "hunter2" not in str(run_checks(tags=["twiliorm"]))


# --- the project on its own ------------------------------------------------------------------


def test_the_project_runs_in_a_fresh_process() -> None:
    """With DJANGO_SETTINGS_MODULE, as a deployment runs: the app's ready() registers the
    clients, ``check`` passes, and a signed webhook gets its TwiML."""
    script = textwrap.dedent(
        f"""
        import django, urllib.parse
        django.setup()
        from django.core.management import call_command
        from django.test import Client
        from twilio.request_validator import RequestValidator
        from twiliorm.client import get_client
        call_command("check", fail_level="WARNING")
        print(get_client().account_sid, get_client("marketing").base_url)
        form = {SMS!r}
        signature = RequestValidator({TOKEN!r}).compute_signature("http://testserver/sms", form)
        answer = Client().post("/sms", form, HTTP_X_TWILIO_SIGNATURE=signature)
        print(answer.status_code, answer.content.decode())
        """
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.django_project.settings"}
    env.pop("TWILIO_AUTH_TOKEN", None)
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert f"{DEFAULT['ACCOUNT_SID']} https://api.dublin.ie1.twilio.com" in lines
    assert (
        lines[-1]
        == "200 " + twiml(MessagingResponse(Reply("+15017122661 said hi (default)"))).decode()
    )


def test_the_public_names() -> None:
    assert set(contrib.__all__) >= {
        "validate_twilio_request",
        "validate_request",
        "request_params",
        "twilio_view",
        "TwilioWebhookView",
    }
    assert getattr(views.sms, "csrf_exempt", False) and getattr(
        views.Callbacks.as_view(), "csrf_exempt", False
    )
