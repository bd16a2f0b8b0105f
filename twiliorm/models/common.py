"""Values shared by many resources."""

from __future__ import annotations

from ..fields import ApiEnum

__all__ = ["HttpMethod"]


class HttpMethod(ApiEnum):
    """The HTTP method Twilio uses to call a webhook URL."""

    GET = "GET"
    POST = "POST"
