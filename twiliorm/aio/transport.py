"""The async transport seam: ``await transport.send(request) -> Response``, one attempt.

An :class:`AsyncTransport` sends one :class:`~twiliorm.transport.Request`
(complete: absolute URL checked to stay on the base URL, credentials in its
headers) and returns the :class:`~twiliorm.transport.Response`, whatever its
status. It does not retry: the :class:`~twiliorm.aio.AsyncClient` does, with
the client's :class:`~twiliorm.transport.TwilioRetry` applied by
:class:`~twiliorm.protocol.Attempts`, for every transport alike (a test
double included). It does not follow redirects either.

An attempt that gets no answer raises one of urllib3's exceptions, the
vocabulary the ``Retry`` policy classifies (so no second copy of that rule):

- ``ConnectTimeoutError`` (:class:`NotSentError`, made by :func:`unsent`):
  nothing was sent (refused, no route, connecting took too long): any method
  may be sent again, a POST included;
- :class:`~urllib3.exceptions.ProtocolError` or ``ReadTimeoutError``: the
  request may have reached the server (reset, cut answer, no answer in time):
  GET and DELETE may be sent again, a POST never.

:class:`AsyncFunctionTransport` plugs a function in (tests inject behaviour
instead of monkeypatching); :mod:`twiliorm.aio.aiohttp` is the real one.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Protocol

from urllib3.exceptions import ConnectTimeoutError, ProtocolError, ReadTimeoutError

from ..transport import AnswerTimeoutError, Request, Response

__all__ = [
    "AsyncFunctionTransport",
    "AsyncTransport",
    "NotSentError",
    "answer_timed_out",
    "broken",
    "unsent",
]


class AsyncTransport(Protocol):
    """What the :class:`~twiliorm.aio.AsyncClient` needs from HTTP: one attempt a call."""

    async def send(self, request: Request) -> Response: ...

    async def aclose(self) -> None: ...


Handler = Callable[[Request], "Response | Awaitable[Response]"]


class AsyncFunctionTransport:
    """A transport backed by a function, for tests: ``AsyncFunctionTransport(handler)``.

    ``handler(request)`` returns a :class:`Response` (or an awaitable of one), or
    raises what a failed attempt raises (:func:`unsent`, :func:`broken`), so the
    client's retries, error mapping and logging run as they do over a socket.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    async def send(self, request: Request) -> Response:
        answer = self.handler(request)
        if inspect.isawaitable(answer):
            answer = await answer
        assert isinstance(answer, Response), f"the handler returned {answer!r}"
        return answer

    async def aclose(self) -> None:
        pass


# --- what a failed attempt raises (urllib3's classes: the Retry policy reads them) --------


class NotSentError(ConnectTimeoutError):
    """No byte of the request was sent (a urllib3 connect error: the policy may resend
    any method)."""


def unsent(why: str) -> NotSentError:
    """The error of an attempt that sent nothing (refused, no route): safe to send again."""
    return NotSentError(why)


def broken(why: str) -> ProtocolError:
    """The error of an attempt that may have reached the server (reset, cut answer)."""
    return ProtocolError(why)


def answer_timed_out(request: Request, seconds: float) -> ReadTimeoutError:
    """No complete answer within ``seconds``: the sync transport's error, same message."""
    error = ReadTimeoutError(None, request.path, "")  # type: ignore[arg-type]
    error.__cause__ = AnswerTimeoutError(seconds)
    return error
