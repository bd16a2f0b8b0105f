"""Test helpers: count and inspect what a client sends, over the real transport."""

from __future__ import annotations

import urllib.parse

from twiliorm.client import Client
from twiliorm.transport import Request, Response, Transport


class Recorder:
    """Wraps a client's transport and records every request it sends (then sends it)."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.requests: list[Request] = []

    def send(self, request: Request) -> Response:
        self.requests.append(request)
        return self.inner.send(request)

    def close(self) -> None:
        self.inner.close()

    def params(self, index: int = -1) -> dict[str, str]:
        """The query parameters of a recorded request."""
        query = urllib.parse.urlsplit(self.requests[index].url).query
        return dict(urllib.parse.parse_qsl(query, keep_blank_values=True))

    def clear(self) -> None:
        self.requests.clear()


def record(client: Client) -> Recorder:
    """Start recording what ``client`` sends."""
    recorder = Recorder(client.transport)
    client.transport = recorder
    return recorder
