"""Twilio's webhook signatures (``X-Twilio-Signature``).

The signature is base64(HMAC-SHA1(auth token, URL + the POST parameters
sorted by name, each name immediately followed by its value)). The sandbox
signs its status callbacks with :func:`compute_signature`; applications
check what they receive with :func:`validate_signature`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping

__all__ = ["compute_signature", "validate_signature"]

Params = Mapping[str, str] | Iterable[tuple[str, str]]


def _pairs(params: Params) -> list[tuple[str, str]]:
    items = params.items() if isinstance(params, Mapping) else params
    return [(str(k), str(v)) for k, v in items]


def compute_signature(url: str, params: Params, auth_token: str) -> str:
    """The X-Twilio-Signature Twilio sends for a POST of ``params`` to ``url``."""
    payload = url + "".join(k + v for k, v in sorted(_pairs(params)))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def validate_signature(url: str, params: Params, signature: str, auth_token: str) -> bool:
    """True when ``signature`` is the one Twilio computes (constant-time compare)."""
    expected = compute_signature(url, params, auth_token)
    return hmac.compare_digest(expected.encode(), (signature or "").encode())
