"""X-Twilio-Signature: computing it, checking it, and ``RequestValidator``.

Twilio's documented algorithm: take the full URL Twilio requested (with its
query string), append each POST parameter, sorted by name, as the name
immediately followed by its value, and sign that text with HMAC-SHA1 keyed
by the account's auth token; the header carries the base64 of the digest.
A repeated form key (``MediaUrl``) contributes one name+value per value,
values sorted. Webhooks with a JSON body are signed differently: Twilio adds
``bodySHA256=<hex SHA-256 of the body>`` to the URL and signs the URL alone,
so a validator checks the body's hash and the URL's signature.

Every comparison of a secret-derived value uses :func:`hmac.compare_digest`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeAlias
from urllib.parse import parse_qs, urlsplit

from ..exceptions import ConfigurationError
from .urls import url_forms

__all__ = [
    "FORM_TYPE",
    "HMAC_SHA1",
    "HMAC_SHA256",
    "SIGNATURE_HEADER",
    "Params",
    "RequestValidator",
    "body_sha256",
    "compute_signature",
    "form_pairs",
    "has_body_hash",
    "is_form",
    "validate_signature",
]

logger = logging.getLogger("twiliorm.webhooks")

SIGNATURE_HEADER = "X-Twilio-Signature"
FORM_TYPE = "application/x-www-form-urlencoded"
HMAC_SHA1 = "HMAC_SHA1"
HMAC_SHA256 = "HMAC_SHA256"
_DIGESTS: dict[str, Callable[..., Any]] = {HMAC_SHA1: hashlib.sha1, HMAC_SHA256: hashlib.sha256}

#: Form parameters: a mapping (values may be lists; Django's QueryDict and other
#: multi-dicts keep their repeated keys), (name, value) pairs, or None for none.
Params: TypeAlias = Mapping[str, Any] | Iterable[tuple[str, Any]] | None


def form_pairs(params: Params) -> list[tuple[str, str]]:
    """Every (name, value) of ``params``, a repeated key giving one pair per value."""
    if params is None:
        return []
    if isinstance(params, (str, bytes)):
        raise TypeError(
            "form parameters must be a mapping or (name, value) pairs; a raw body is "
            "signed only when the URL carries bodySHA256 (pass it to validate())"
        )
    if isinstance(params, Mapping) or _multi(params) is not None:
        names: Iterable[Any] = params
        return [(str(k), _text(v)) for k in dict.fromkeys(names) for v in _values(params, k)]
    return [(str(k), _text(v)) for k, v in params]


def _multi(params: Any) -> Callable[[str], Iterable[Any]] | None:
    """The all-values getter of a multi-dict (Django/Werkzeug ``getlist``, WebOb ``getall``)."""
    for name in ("getlist", "getall"):
        method = getattr(params, name, None)
        if callable(method):
            return method  # type: ignore[no-any-return]
    return None


def _values(params: Any, name: str) -> list[Any]:
    getter = _multi(params)
    if getter is not None:
        return list(getter(name))
    value = params[name]
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _digest(algorithm: str | None) -> Callable[..., Any]:
    name = (algorithm or HMAC_SHA1).upper()
    if name not in _DIGESTS:
        raise ValueError(
            f"unsupported webhook signature algorithm {algorithm!r}; use HMAC_SHA1 or HMAC_SHA256"
        )
    return _DIGESTS[name]


def _sign(url: str, pairs: list[tuple[str, str]], token: str, digest: Callable[..., Any]) -> str:
    text = url + "".join(name + value for name, value in sorted(pairs))
    mac = hmac.new(token.encode("utf-8"), text.encode("utf-8"), digest)
    return base64.b64encode(mac.digest()).decode("ascii")


def compute_signature(
    url: str, params: Params, auth_token: str, *, algorithm: str | None = None
) -> str:
    """The X-Twilio-Signature Twilio sends for a POST of ``params`` to ``url``."""
    return _sign(url, form_pairs(params), auth_token, _digest(algorithm))


def body_sha256(body: str | bytes) -> str:
    """The hex SHA-256 of a webhook body, as Twilio puts it in ``bodySHA256``."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    return hashlib.sha256(data).hexdigest()


def _body_hash_in(url: str) -> list[str]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True).get("bodySHA256", [])


def has_body_hash(url: str) -> bool:
    """True when ``url``'s query has a ``bodySHA256`` parameter: a JSON webhook's URL."""
    return bool(_body_hash_in(url))


def is_form(content_type: str | None) -> bool:
    """True for a form body (``application/x-www-form-urlencoded``, any parameters)."""
    return (content_type or "").split(";")[0].strip().lower() == FORM_TYPE


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


def _pair_sets(pairs: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    # Twilio's helper libraries disagree on whether a value repeated under one key
    # counts once or each time; such a request is accepted in either form.
    unique = list(dict.fromkeys(pairs))
    return [pairs] if len(unique) == len(pairs) else [pairs, unique]


def _signed_pairs(url: str, params: Params | str | bytes) -> list[tuple[str, str]] | None:
    """The pairs the signature covers, or None when the request cannot be valid."""
    hashes = _body_hash_in(url)
    if isinstance(params, (str, bytes)):
        return [] if len(hashes) == 1 and _same(body_sha256(params), hashes[0]) else None
    if hashes:
        # The signature covers the URL only; without the body its hash proves nothing.
        logger.warning("bodySHA256 webhook validated without its body: pass the raw body")
        return None
    return form_pairs(params)


def validate_signature(
    url: str,
    params: Params | str | bytes,
    signature: str | None,
    auth_token: str,
    *,
    algorithm: str | None = None,
) -> bool:
    """True when ``signature`` is the one Twilio sends for this request.

    ``params`` are the POST parameters (a mapping, a multi-dict or pairs), or
    the raw body (str or bytes) of a JSON webhook whose URL carries
    ``bodySHA256``. ``url`` is tried with and without its default port.
    """
    try:
        digest = _digest(algorithm)
    except ValueError as exc:
        logger.warning("webhook rejected: %s", exc)
        return False
    pairs = _signed_pairs(url, params)
    if pairs is None or not isinstance(signature, str) or not auth_token:
        return False
    valid = False
    for form in url_forms(url):
        for signed in _pair_sets(pairs):
            valid |= _same(_sign(form, signed, auth_token, digest), signature)
    return valid


class RequestValidator:
    """Checks webhooks signed with one auth token; shaped like the official helper's.

    ``RequestValidator(token).validate(uri, params, signature)`` takes the same
    arguments as ``twilio.request_validator.RequestValidator``'s, so code can
    switch by changing the import. The token stays out of ``repr()``.
    """

    def __init__(self, token: str) -> None:
        if not isinstance(token, str) or not token:
            raise ConfigurationError(
                "RequestValidator needs the auth token of the account that owns the webhook "
                "(a non-empty str)"
            )
        self._token = token

    def __repr__(self) -> str:
        return "<RequestValidator>"

    def compute_signature(
        self, uri: str, params: Params = None, algorithm: str | None = None
    ) -> str:
        """The signature Twilio computes for ``params`` POSTed to ``uri``."""
        return compute_signature(uri, params, self._token, algorithm=algorithm)

    def compute_hash(self, body: str | bytes) -> str:
        """The hex SHA-256 of a JSON webhook body (the URL's ``bodySHA256``)."""
        return body_sha256(body)

    def validate(
        self,
        uri: str,
        params: Params | str | bytes,
        signature: str | None,
        algorithm: str | None = None,
    ) -> bool:
        """True when ``signature`` is Twilio's for this request (see :func:`validate_signature`)."""
        return validate_signature(uri, params, signature, self._token, algorithm=algorithm)
