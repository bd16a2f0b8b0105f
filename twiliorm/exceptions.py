"""Every error twiliorm raises, in one tree::

    TwiliormError
    ├── ConfigurationError          no credentials, or settings that cannot work
    ├── FieldError (ValueError)     unknown field or lookup, or a lookup a field cannot do
    │   └── ScanError               a client-side-only query under strict=True
    ├── ValidationError (ValueError) a value of the wrong shape (a SID, an enum, a phone number)
    ├── NotSupportedError           an operation the resource does not have in the API
    ├── DoesNotExist (LookupError)  get() found nothing; each resource has its own subclass
    ├── MultipleObjectsReturned     get() found more than one
    ├── TransportError              the request did not get an answer (connection, timeout)
    ├── DecodeError (ValueError)    an answer that cannot be read as what it should be
    ├── BulkError                   a bulk write left records failed or in doubt (``.report``)
    └── TwilioRestError             the API answered with an error (status, code, message)
        ├── AuthenticationError     401, code 20003
        ├── NotFoundError           404, code 20404
        ├── RateLimitError          429, code 20429 (the request was not processed)
        └── ServerError             5xx

A 404 on a fetch raises an exception that is both the resource's
``DoesNotExist`` and a ``NotFoundError``, so either ``except`` catches it.
``ScanWarning`` is the warning emitted when a query can only be answered by
reading the whole list and filtering it locally; ``NaiveDateTimeWarning``
the one emitted when a datetime without a time zone is given;
``SyncInAsyncWarning`` the one emitted when a sync method sends a request from
inside a running event loop (naming the async method to await instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .bulk.report import BulkReport

__all__ = [
    "AuthenticationError",
    "BulkError",
    "ConfigurationError",
    "DecodeError",
    "DoesNotExist",
    "FieldError",
    "MultipleObjectsReturned",
    "NaiveDateTimeWarning",
    "NotFoundError",
    "NotSupportedError",
    "RateLimitError",
    "ScanError",
    "ScanWarning",
    "ServerError",
    "SyncInAsyncWarning",
    "TransportError",
    "TwilioRestError",
    "TwiliormError",
    "ValidationError",
]


class TwiliormError(Exception):
    """The root of every error twiliorm raises."""


class ConfigurationError(TwiliormError):
    """The client cannot be set up: missing credentials or conflicting settings."""


class FieldError(TwiliormError, ValueError):
    """An unknown field or lookup, or a lookup that a field cannot answer."""


class ScanError(FieldError):
    """Under ``strict=True``: a query whose filters can only run client-side."""


class ValidationError(TwiliormError, ValueError):
    """A value of the wrong shape, refused before any request is sent.

    Raised with one message, or (by ``full_clean()`` and ``clean_fields()``)
    with a dict of field name -> message(s). Then, as Django's, ``error_dict``
    maps each field to its ValidationErrors and ``message_dict`` to its
    messages; errors not about one field are under ``NON_FIELD_ERRORS``
    (``"__all__"``). ``messages`` lists every message either way.
    """

    NON_FIELD_ERRORS = "__all__"
    error_dict: dict[str, list[ValidationError]]  # only on an error about fields, as Django's

    def __init__(self, message: str | Mapping[str, Any]) -> None:
        super().__init__(message)  # the message stays in args, so the error pickles whole
        if isinstance(message, Mapping):
            self.error_dict = {name: _errors(value) for name, value in message.items()}

    @property
    def message_dict(self) -> dict[str, list[str]]:
        """Field name -> its messages (AttributeError when the error is not about fields)."""
        return {name: [str(e) for e in errors] for name, errors in self.error_dict.items()}

    @property
    def messages(self) -> list[str]:
        if hasattr(self, "error_dict"):
            return [m for messages in self.message_dict.values() for m in messages]
        return [str(self)]

    def __str__(self) -> str:
        if not hasattr(self, "error_dict"):
            return str(self.args[0]) if self.args else ""
        return "; ".join(f"{name}: {m}" for name, ms in self.message_dict.items() for m in ms)


def _errors(value: Any) -> list[ValidationError]:
    """One field's errors, from a message, a ValidationError or a list of either."""
    items = value if isinstance(value, (list, tuple)) else [value]
    return [i if isinstance(i, ValidationError) else ValidationError(str(i)) for i in items]


class NotSupportedError(TwiliormError):
    """The API has no such operation for this resource (e.g. deleting a Notification)."""


class DoesNotExist(TwiliormError, LookupError):
    """The object asked for does not exist. Each resource class has a subclass."""


class MultipleObjectsReturned(TwiliormError, LookupError):
    """``get()`` matched more than one object."""


class TransportError(TwiliormError):
    """The request got no usable answer: connection refused or dropped, timeout."""


class DecodeError(TwiliormError, ValueError):
    """An answer that cannot be read: not JSON, or not the shape the resource has."""


class BulkError(TwiliormError):
    """A bulk write finished what it could, and some records failed or are in doubt.

    ``report`` is the whole :class:`~twiliorm.bulk.BulkReport`; the message
    gives its counts and first failures. Pass ``raise_on_failure=False`` to
    the bulk call to get the report back instead.
    """

    def __init__(self, message: str, report: BulkReport) -> None:
        super().__init__(message)
        self.report = report

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.report))


class TwilioRestError(TwiliormError):
    """The API answered with an error.

    Carries Twilio's fields (``code``, ``message``, ``more_info``), the HTTP
    ``status``, and the ``method`` and ``uri`` of the request that failed.
    """

    def __init__(
        self,
        status: int,
        code: int | None = None,
        message: str = "",
        more_info: str | None = None,
        method: str = "",
        uri: str = "",
        *,
        retry_after: float | None = None,
        details: Any = None,
        retried: bool = False,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.more_info = more_info
        self.method = method
        self.uri = uri
        self.retry_after = retry_after
        self.details = details
        self.retried = retried
        super().__init__(str(self))

    def __str__(self) -> str:
        code = f" (code {self.code})" if self.code is not None else ""
        where = f" on {self.method} {self.uri}" if self.method else ""
        return f"HTTP {self.status}{code}: {self.message}{where}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled whole (process pools, distributed executors): the keyword-only fields
        # travel as state, which Exception's default __setstate__ puts back.
        args = (self.status, self.code, self.message, self.more_info, self.method, self.uri)
        state = {"retry_after": self.retry_after, "details": self.details, "retried": self.retried}
        return (type(self), args, state)


class AuthenticationError(TwilioRestError):
    """401: the account SID and token (or API key and secret) were not accepted."""


class NotFoundError(TwilioRestError):
    """404: no such resource."""


class RateLimitError(TwilioRestError):
    """429: over the account's concurrency limit; the request was not processed."""


class ServerError(TwilioRestError):
    """5xx: the service failed to answer the request."""


class ScanWarning(UserWarning):
    """A query that reads the whole list and filters it on the client."""


class NaiveDateTimeWarning(RuntimeWarning):
    """A datetime without a time zone was given: it is read in the current time zone
    (Django's when its settings are configured, else the process's local zone)."""


class SyncInAsyncWarning(RuntimeWarning):
    """A sync method sent a request from a thread running an event loop, blocking the
    loop until the answer came; the message names the async method to use instead."""


def error_class_for(status: int) -> type[TwilioRestError]:
    """The exception class for an HTTP error status."""
    if status == 401:
        return AuthenticationError
    if status == 404:
        return NotFoundError
    if status == 429:
        return RateLimitError
    if status >= 500:
        return ServerError
    return TwilioRestError
