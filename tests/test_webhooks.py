"""X-Twilio-Signature: twiliorm agrees with Twilio's official helper, and rejects any change.

The official ``twilio`` package's RequestValidator is the oracle: what it
signs, twiliorm accepts; one changed byte of the URL, a param name, a value,
the token or the signature is rejected. Then the cases users trip on:
default ports, proxies, sub-account tokens, repeated keys, JSON bodies.
"""

from __future__ import annotations

import hmac
import json
import string
from collections.abc import Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator as OfficialValidator

import twiliorm
from twiliorm import webhooks
from twiliorm.sandbox import Sandbox
from twiliorm.webhooks import (
    AccountTokens,
    RequestValidator,
    TrustedProxies,
    WebhookValidator,
    body_sha256,
    compute_signature,
    forwarded_url,
    url_forms,
    validate_signature,
)

from .helpers import record

TOKEN = "12345abcdefghijk12345abcdefghijk"
URL = "https://mycompany.example.com/myapp.php?foo=1&bar=2"
FORM = {
    "CallSid": "CA1234567890ABCDE1234567890ABCDE1",
    "Caller": "+12349013030",
    "Digits": "1234",
    "From": "+12349013030",
    "To": "+18005551212",
}
SUB_SID = "AC" + "b" * 32


class MultiDict:
    """A form with repeated keys, read by the official helper through ``getlist``."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.pairs = list(pairs)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(dict.fromkeys(k for k, _ in self.pairs))

    def __len__(self) -> int:
        return len(self.pairs)

    def getlist(self, name: str) -> list[str]:
        return [v for k, v in self.pairs if k == name]


def official(url: str, params: object, token: str = TOKEN) -> str:
    return str(OfficialValidator(token).compute_signature(url, params))


def changed(text: str, index: int) -> str:
    """``text`` with the character at ``index`` replaced by a different one."""
    replacement = "x" if text[index] != "x" else "y"
    return text[:index] + replacement + text[index + 1 :]


# --- agreement with the official helper ---------------------------------------


def test_official_signature_is_accepted() -> None:
    signature = official(URL, FORM)
    assert validate_signature(URL, FORM, signature, TOKEN)
    assert RequestValidator(TOKEN).validate(URL, FORM, signature)
    assert compute_signature(URL, FORM, TOKEN) == signature


def test_twiliorm_signature_is_accepted_by_the_official_helper() -> None:
    signature = RequestValidator(TOKEN).compute_signature(URL, FORM)
    assert OfficialValidator(TOKEN).validate(URL, FORM, signature)


def test_a_list_of_pairs_and_a_multidict_sign_as_the_dict_does() -> None:
    signature = official(URL, FORM)
    assert validate_signature(URL, list(FORM.items()), signature, TOKEN)
    assert validate_signature(URL, MultiDict(FORM.items()), signature, TOKEN)


def test_official_signature_with_the_empty_form() -> None:
    signature = official(URL, {})
    assert validate_signature(URL, {}, signature, TOKEN)
    assert validate_signature(URL, None, signature, TOKEN)
    assert not validate_signature(URL, {"Body": ""}, signature, TOKEN)


def test_empty_values_are_signed_as_values() -> None:
    form = {"Body": "", "To": "+18005551212"}
    assert validate_signature(URL, form, official(URL, form), TOKEN)


def test_unicode_in_url_values_and_token() -> None:
    url = "https://example.com/café?q=ü"
    form = {"Body": "Grüße 👋", "From": "+4930123"}
    token = "tøken"
    assert validate_signature(url, form, official(url, form, token), token)


@pytest.mark.parametrize("position", range(len(URL)))
def test_one_changed_byte_of_the_url_is_rejected(position: int) -> None:
    signature = official(URL, FORM)
    assert not validate_signature(changed(URL, position), FORM, signature, TOKEN)


@pytest.mark.parametrize("name", sorted(FORM))
def test_one_changed_byte_of_a_param_name_or_value_is_rejected(name: str) -> None:
    signature = official(URL, FORM)
    for position in range(len(name)):
        renamed = {changed(name, position) if k == name else k: v for k, v in FORM.items()}
        assert not validate_signature(URL, renamed, signature, TOKEN), renamed
    for position in range(len(FORM[name])):
        altered = {**FORM, name: changed(FORM[name], position)}
        assert not validate_signature(URL, altered, signature, TOKEN), altered


def test_one_changed_byte_of_the_token_or_the_signature_is_rejected() -> None:
    signature = official(URL, FORM)
    for position in range(len(TOKEN)):
        assert not validate_signature(URL, FORM, signature, changed(TOKEN, position))
    for position in range(len(signature)):
        assert not validate_signature(URL, FORM, changed(signature, position), TOKEN)


def test_added_or_missing_params_are_rejected() -> None:
    signature = official(URL, FORM)
    assert not validate_signature(URL, {**FORM, "Extra": "1"}, signature, TOKEN)
    assert not validate_signature(URL, {k: FORM[k] for k in list(FORM)[1:]}, signature, TOKEN)


def test_missing_or_garbage_signatures_are_rejected_not_raised() -> None:
    for signature in (None, "", "é" * 28, " " + official(URL, FORM)):
        assert not validate_signature(URL, FORM, signature, TOKEN)
    assert not validate_signature(URL, FORM, official(URL, FORM), "")


_names = st.text(string.ascii_letters + string.digits + "._", min_size=1, max_size=12)
_values = st.text(max_size=20).filter(lambda v: "\x00" not in v)


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], str]:
    scheme = draw(st.sampled_from(["http", "https"]))
    host = draw(st.text(string.ascii_lowercase, min_size=1, max_size=10)) + ".example"
    port = draw(st.sampled_from(["", ":8080", ":8443"]))
    path = draw(st.text(string.ascii_letters + "/-_", max_size=15))
    query = draw(st.text(string.ascii_letters + "=&", max_size=10))
    url = f"{scheme}://{host}{port}/{path}" + (f"?{query}" if query else "")
    pairs = draw(st.lists(st.tuples(_names, _values), max_size=6, unique=True))
    token = draw(st.text(string.ascii_letters + string.digits, min_size=1, max_size=32))
    return url, pairs, token


@settings(max_examples=200, deadline=None)
@given(requests(), st.data())
def test_any_official_signature_is_accepted_and_any_one_byte_change_rejected(
    request: tuple[str, list[tuple[str, str]], str], data: st.DataObject
) -> None:
    url, pairs, token = request
    signature = official(url, MultiDict(pairs), token)
    assert validate_signature(url, pairs, signature, token)
    assert compute_signature(url, pairs, token) == signature
    where = data.draw(st.sampled_from(["url", "token", "signature"]))
    text = {"url": url, "token": token, "signature": signature}[where]
    bad = changed(text, data.draw(st.integers(0, len(text) - 1)))
    args = {"url": url, "token": token, "signature": signature, where: bad}
    assert not validate_signature(args["url"], pairs, args["signature"], args["token"])


def test_compare_is_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    signature = official(URL, FORM)
    assert validate_signature(URL, FORM, signature, TOKEN)
    assert (signature.encode(), signature.encode()) in calls
    body = '{"a": 1}'
    url = f"https://example.com/hook?bodySHA256={body_sha256(body)}"
    calls.clear()
    assert validate_signature(url, body, official(url, {}), TOKEN)
    assert (body_sha256(body).encode(), body_sha256(body).encode()) in calls


# --- repeated keys ------------------------------------------------------------


def test_repeated_keys_are_signed_value_by_value_sorted() -> None:
    pairs = [("MediaUrl", "https://b.example/2.png"), ("To", "+1"), ("MediaUrl", "https://a/1")]
    signature = official(URL, MultiDict(pairs))
    assert validate_signature(URL, pairs, signature, TOKEN)
    as_dict = {"To": "+1", "MediaUrl": ["https://b.example/2.png", "https://a/1"]}
    assert validate_signature(URL, as_dict, signature, TOKEN)
    assert not validate_signature(URL, pairs[:2], signature, TOKEN)
    assert OfficialValidator(TOKEN).validate(
        URL, MultiDict(pairs), compute_signature(URL, pairs, TOKEN)
    )


def test_a_value_repeated_under_one_key_is_accepted_counted_once_or_each_time() -> None:
    pairs = [("StatusCallbackEvent", "ringing"), ("StatusCallbackEvent", "ringing")]
    deduplicated = official(URL, MultiDict(pairs))  # the official helper counts it once
    each_time = compute_signature(URL, pairs, TOKEN)
    assert deduplicated != each_time
    assert validate_signature(URL, pairs, deduplicated, TOKEN)
    assert validate_signature(URL, pairs, each_time, TOKEN)


# --- default ports ------------------------------------------------------------


@pytest.mark.parametrize(
    ("signed", "seen"),
    [
        ("https://example.com/sms", "https://example.com:443/sms"),
        ("https://example.com:443/sms", "https://example.com/sms"),
        ("http://example.com/sms?x=1", "http://example.com:80/sms?x=1"),
        ("http://example.com:80/sms", "http://example.com/sms"),
        ("https://user:pw@example.com/sms", "https://user:pw@example.com:443/sms"),
        ("https://[2001:db8::1]/sms", "https://[2001:db8::1]:443/sms"),
    ],
)
def test_the_default_port_may_be_present_or_absent(signed: str, seen: str) -> None:
    assert validate_signature(seen, FORM, official(signed, FORM), TOKEN)


@pytest.mark.parametrize(
    ("signed", "seen"),
    [
        ("https://example.com/sms", "https://example.com:8443/sms"),
        ("https://example.com:8443/sms", "https://example.com/sms"),
        ("https://example.com/sms", "https://example.com:80/sms"),
        ("http://example.com/sms", "http://example.com:443/sms"),
        ("https://example.com/sms", "http://example.com/sms"),
    ],
)
def test_another_port_or_scheme_is_another_url(signed: str, seen: str) -> None:
    assert not validate_signature(seen, FORM, official(signed, FORM), TOKEN)


def test_url_forms() -> None:
    assert url_forms("https://e.com/a") == ["https://e.com/a", "https://e.com:443/a"]
    assert url_forms("http://e.com:80/a?b") == ["http://e.com:80/a?b", "http://e.com/a?b"]
    assert url_forms("https://e.com:8443/a") == ["https://e.com:8443/a"]
    assert url_forms("ftp://e.com/a") == ["ftp://e.com/a"]


# --- JSON bodies (bodySHA256) -------------------------------------------------

BODY = json.dumps({"AccountSid": "AC" + "a" * 32, "Payload": {"status": "delivered"}})


def json_url(body: str = BODY) -> str:
    return f"https://example.com/hook?x=1&bodySHA256={body_sha256(body)}"


def test_json_body_signed_by_the_official_helper_is_accepted() -> None:
    url = json_url()
    signature = official(url, {})
    assert validate_signature(url, BODY, signature, TOKEN)
    assert validate_signature(url, BODY.encode(), signature, TOKEN)
    assert RequestValidator(TOKEN).validate(url, BODY, signature)
    assert OfficialValidator(TOKEN).validate(url, BODY, signature)
    assert RequestValidator(TOKEN).compute_hash(BODY) == OfficialValidator(TOKEN).compute_hash(BODY)


def test_one_changed_byte_of_a_json_body_is_rejected() -> None:
    url = json_url()
    signature = official(url, {})
    for position in range(len(BODY)):
        assert not validate_signature(url, changed(BODY, position), signature, TOKEN)


def test_a_json_body_needs_bodysha256_and_a_hashed_url_needs_its_body() -> None:
    plain = "https://example.com/hook"
    assert not validate_signature(plain, BODY, official(plain, {}), TOKEN)
    url = json_url()
    assert not validate_signature(url, {}, official(url, {}), TOKEN)
    assert not validate_signature(
        url + "&bodySHA256=00", BODY, official(url + "&bodySHA256=00", {}), TOKEN
    )


def test_json_url_with_default_port_either_way() -> None:
    url = json_url()
    with_port = url.replace("example.com", "example.com:443")
    assert validate_signature(with_port, BODY, official(url, {}), TOKEN)


# --- algorithms, and the official helper's shape -----------------------------


def test_hmac_sha256_signatures_as_the_official_helper_makes_them() -> None:
    signature = OfficialValidator(TOKEN).compute_signature(URL, FORM, "HMAC_SHA256")
    assert RequestValidator(TOKEN).validate(URL, FORM, signature, "HMAC_SHA256")
    assert not RequestValidator(TOKEN).validate(URL, FORM, signature)
    assert not RequestValidator(TOKEN).validate(URL, FORM, signature, "MD5")
    with pytest.raises(ValueError, match="HMAC_SHA1 or HMAC_SHA256"):
        RequestValidator(TOKEN).compute_signature(URL, FORM, "MD5")


def test_request_validator_has_the_official_public_methods() -> None:
    import inspect

    for name in ("validate", "compute_signature", "compute_hash"):
        ours = list(inspect.signature(getattr(RequestValidator, name)).parameters)
        theirs = list(inspect.signature(getattr(OfficialValidator, name)).parameters)
        assert ours == theirs, name


def test_request_validator_needs_a_token_and_keeps_it_out_of_repr() -> None:
    with pytest.raises(twiliorm.ConfigurationError, match="auth token"):
        RequestValidator("")
    assert TOKEN not in repr(RequestValidator(TOKEN))
    assert TOKEN not in repr(WebhookValidator(TOKEN))


def test_form_pairs_refuses_a_raw_string_with_a_hint() -> None:
    with pytest.raises(TypeError, match="bodySHA256"):
        compute_signature(URL, "a=1", TOKEN)  # type: ignore[arg-type]


# --- proxies ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "http://app:8000/sms?x=1"),
        ({"X-Forwarded-Proto": "https"}, "https://app:8000/sms?x=1"),
        (
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "example.com"},
            "https://example.com/sms?x=1",
        ),
        (
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "example.com:443"},
            "https://example.com/sms?x=1",
        ),
        (
            {"X-Forwarded-Host": "example.com", "X-Forwarded-Port": "8443"},
            "http://example.com:8443/sms?x=1",
        ),
        (  # one trusted proxy: the value it appended, the last; the first came from the client
            {"x-forwarded-proto": "http, HTTPS", "x-forwarded-host": "forged.example, b.com"},
            "https://b.com/sms?x=1",
        ),
        ({"X-Forwarded-Proto": "gopher"}, "http://app:8000/sms?x=1"),
    ],
)
def test_forwarded_url(headers: dict[str, str], expected: str) -> None:
    assert forwarded_url("http://app:8000/sms?x=1", headers) == expected


CHAIN = {
    "X-Forwarded-Proto": "https, http",
    "X-Forwarded-Host": "forged.example, example.com, lb.internal",
    "X-Forwarded-Port": "443, 8443",
}


@pytest.mark.parametrize(
    ("trust", "expected"),
    [
        (False, "http://app:8000/sms?x=1"),
        (True, "http://lb.internal:8443/sms?x=1"),
        (2, "https://example.com/sms?x=1"),  # port 443 is https's default
        (3, "http://forged.example/sms?x=1"),  # proto and port: fewer than 3 values, not trusted
        (TrustedProxies(proto=2, host=2), "https://example.com/sms?x=1"),
        (TrustedProxies(host=4, port=1), "http://app:8443/sms?x=1"),  # 3 hosts < 4: own host
    ],
)
def test_a_chain_of_proxies_takes_the_nth_value_from_the_right(
    trust: bool | int | TrustedProxies, expected: str
) -> None:
    assert forwarded_url("http://app:8000/sms?x=1", CHAIN, trust) == expected
    validator = WebhookValidator(TOKEN, trust_forwarded=trust)
    assert validator.request_url("http://app:8000/sms?x=1", CHAIN) == expected


def test_a_forged_first_value_signs_nothing() -> None:
    seen = "http://10.0.0.5:8000/sms"
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "forged.example, example.com"}
    validator = WebhookValidator(TOKEN, trust_forwarded=True)
    url = validator.request_url(seen, headers)
    assert validator.validate(url, FORM, official("https://example.com/sms", FORM))
    assert not validator.validate(url, FORM, official("https://forged.example/sms", FORM))


@pytest.mark.parametrize("port", ["\u0663\u0664\u0663", "\u00b2", "-1", "80x", "123456", ""])
def test_a_forwarded_port_that_is_not_ascii_digits_is_ignored(port: str) -> None:
    headers = {"X-Forwarded-Host": "example.com", "X-Forwarded-Port": port}
    assert forwarded_url("http://app:8000/sms", headers) == "http://example.com/sms"


def test_trust_forwarded_counts() -> None:
    assert WebhookValidator(TOKEN).proxies == TrustedProxies(0, 0, 0)
    assert not WebhookValidator(TOKEN).trust_forwarded
    assert WebhookValidator(TOKEN, trust_forwarded=True).proxies == TrustedProxies(1, 1, 1)
    assert WebhookValidator(TOKEN, trust_forwarded=2).proxies == TrustedProxies(2, 2, 2)
    assert WebhookValidator(TOKEN, trust_forwarded=TrustedProxies(host=1)).trust_forwarded
    with pytest.raises(ValueError):
        TrustedProxies(host=-1)
    with pytest.raises(TypeError, match="trust_forwarded"):
        WebhookValidator(TOKEN, trust_forwarded="yes")  # type: ignore[arg-type]


def test_proxy_headers_count_only_when_trusted() -> None:
    public = "https://example.com/sms"
    signature = official(public, FORM)
    seen = "http://10.0.0.5:8000/sms"
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "example.com"}
    trusting = WebhookValidator(TOKEN, trust_forwarded=True)
    assert trusting.validate(trusting.request_url(seen, headers), FORM, signature)
    wary = WebhookValidator(TOKEN)
    assert wary.request_url(seen, headers) == seen
    assert not wary.validate(wary.request_url(seen, headers), FORM, signature)


# --- sub-accounts -------------------------------------------------------------

SUB_TOKEN = "f" * 32


def test_a_sub_account_webhook_is_checked_with_its_own_token() -> None:
    form = {**FORM, "AccountSid": SUB_SID}
    validator = WebhookValidator(TOKEN, accounts={SUB_SID: SUB_TOKEN})
    assert validator.validate(URL, form, official(URL, form, SUB_TOKEN))
    assert not validator.validate(URL, form, official(URL, form, TOKEN))
    main = {**FORM, "AccountSid": "AC" + "a" * 32}
    assert validator.validate(URL, main, official(URL, main, TOKEN))


def test_a_lookup_function_and_no_default_token() -> None:
    asked: list[str] = []

    def lookup(sid: str) -> str | None:
        asked.append(sid)
        return SUB_TOKEN if sid == SUB_SID else None

    validator = WebhookValidator(accounts=lookup)
    form = {**FORM, "AccountSid": SUB_SID}
    assert validator.validate(URL, form, official(URL, form, SUB_TOKEN))
    other = {**FORM, "AccountSid": "AC" + "c" * 32}
    assert not validator.validate(URL, other, official(URL, other, TOKEN))
    assert not validator.validate(URL, FORM, official(URL, FORM, TOKEN))  # no AccountSid
    assert asked == [SUB_SID, "AC" + "c" * 32]


def test_a_malformed_account_sid_is_not_looked_up() -> None:
    validator = WebhookValidator(TOKEN, accounts=lambda sid: pytest.fail(f"looked up {sid}"))
    form = {**FORM, "AccountSid": "../../Accounts"}
    assert validator.validate(URL, form, official(URL, form, TOKEN))


def test_a_validator_needs_some_token() -> None:
    with pytest.raises(twiliorm.ConfigurationError, match="auth_token"):
        WebhookValidator()


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_account_tokens_are_read_in_one_listing(sandbox: Sandbox, client: twiliorm.Client) -> None:
    sub = twiliorm.Account.objects.create(friendly_name="webhooks")
    assert sub.sid and sub.auth_token
    tokens = AccountTokens(client)
    recorder = record(client)
    assert tokens(sub.sid) == sub.auth_token
    assert tokens(sub.sid) == sub.auth_token
    assert tokens(sandbox.account_sid) == sandbox.auth_token
    assert [r.path for r in recorder.requests] == ["/2010-04-01/Accounts.json"]
    assert sub.auth_token not in repr(tokens)


def test_made_up_account_sids_cost_no_request_and_evict_nothing(
    sandbox: Sandbox, client: twiliorm.Client
) -> None:
    sub = twiliorm.Account.objects.create(friendly_name="webhooks")
    clock = Clock()
    tokens = AccountTokens(client, refresh_every=60, clock=clock)
    recorder = record(client)
    assert tokens(sub.sid) == sub.auth_token
    for n in range(3000):
        assert tokens(f"AC{n:032x}") is None
    assert tokens("not a sid") is None
    assert tokens(sub.sid) == sub.auth_token
    assert len(recorder.requests) == 1
    clock.now += 61  # a while later, an unknown SID reads the list again, once
    assert tokens("AC" + "0" * 32) is None and tokens("AC" + "1" * 32) is None
    assert len(recorder.requests) == 2


def test_a_sub_account_created_later_is_found_at_the_next_reading(
    client: twiliorm.Client,
) -> None:
    clock = Clock()
    tokens = AccountTokens(client, refresh_every=60, clock=clock)
    assert tokens(client.account_sid)
    late = twiliorm.Account.objects.create(friendly_name="late")
    assert late.sid
    assert tokens(late.sid) is None  # the list was read a moment ago
    clock.now += 61
    assert tokens(late.sid) == late.auth_token


def test_an_api_error_fails_the_webhook_closed(sandbox: Sandbox) -> None:
    dead = twiliorm.Client(sandbox.account_sid, sandbox.auth_token, base_url="http://127.0.0.1:9")
    validator = WebhookValidator(TOKEN, accounts=AccountTokens(dead))
    form = {**FORM, "AccountSid": SUB_SID}
    assert not validator.validate(URL, form, official(URL, form, SUB_TOKEN))
    assert validator.validate(URL, form, official(URL, form, TOKEN))  # the main token still works

    def broken(sid: str) -> str:
        raise twiliorm.TransportError("the API cannot be reached")

    closed = WebhookValidator(TOKEN, accounts=broken)  # a lookup of the user's own, failing
    assert not closed.validate(URL, form, official(URL, form, SUB_TOKEN))
    assert closed.validate(URL, form, official(URL, form, TOKEN))


def test_account_tokens_validate_a_sub_account_webhook(client: twiliorm.Client) -> None:
    sub = twiliorm.Account.objects.create(friendly_name="webhooks")
    assert sub.sid and sub.auth_token
    validator = WebhookValidator(accounts=AccountTokens(client))
    form = {**FORM, "AccountSid": sub.sid}
    assert validator.validate(URL, form, official(URL, form, sub.auth_token))
    assert not validator.validate(URL, form, official(URL, form, TOKEN))


def test_public_names() -> None:
    for name in webhooks.__all__:
        assert hasattr(webhooks, name), name
