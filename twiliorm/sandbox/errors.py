"""Twilio's error answers, as the sandbox raises and renders them."""

from __future__ import annotations

from typing import Any

__all__ = ["ApiError", "bad_param", "missing_param"]

MORE_INFO = "https://www.twilio.com/docs/errors/{code}"
#: characters of a bad value an error message repeats (a client may send megabytes)
_SHOWN = 64


class ApiError(Exception):
    """An error answer: HTTP status, Twilio code, message (and optional headers)."""

    def __init__(
        self, status: int, code: int, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "more_info": MORE_INFO.format(code=self.code),
            "status": self.status,
        }

    @classmethod
    def not_found(cls, path: str) -> ApiError:
        return cls(404, 20404, f"The requested resource {path} was not found")


def missing_param(param: str, code: int = 20001) -> ApiError:
    return ApiError(400, code, f"Missing required parameter {param} in the post body")


def bad_param(param: str, value: str, code: int = 20001, *, hint: str = "") -> ApiError:
    """Twilio's 400 for a value it cannot take; a long value is cut short in the message."""
    shown = repr(value) if len(value) <= _SHOWN else f"{value[:_SHOWN]!r}... ({len(value)} chars)"
    message = f"Invalid value {shown} for parameter {param}"
    return ApiError(400, code, f"{message}: {hint}" if hint else message)
