"""Notifications: the account's log of errors and warnings.

The sandbox writes one when something fails as it would on Twilio: a
message that fails or is undelivered, a call that fails, a status callback
that cannot be delivered (11200). A list shows the fields of Twilio's list
payload; fetching one adds the request and response details, as Twilio's
instance payload does (they are kept beside the record).
"""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

from ..errors import MORE_INFO
from ..generic import Behaviour, behaviour
from ..store import Record
from .recordings import View

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["CallNotifications", "Notifications"]

_INSTANCE_ONLY = ("request_variables", "response_body", "response_headers")


@behaviour("Notification")
class Notifications(Behaviour):
    def notify(
        self,
        account: str,
        *,
        code: int,
        text: str,
        log: str = "0",
        call_sid: str | None = None,
        request_url: str = "",
        request_method: str | None = None,
        response_status: int | None = None,
    ) -> Record:
        """Log an error (``log="0"``) or a warning (``"1"``) for ``account``."""
        level = "ERROR" if log == "0" else "WARN"
        message = urllib.parse.urlencode({"LogLevel": level, "Msg": text, "ErrorCode": str(code)})
        body = self.payloads.build(
            account,
            call_sid=call_sid,
            error_code=str(code),
            log=log,
            message_date=self.app.now_rfc2822(),
            message_text=message,
            more_info=MORE_INFO.format(code=code),
            request_method=request_method,
            request_url=request_url,
        )
        for key in _INSTANCE_ONLY:  # the list's shape; a fetch adds them from the state
            body.pop(key, None)
        with self.store.transaction():
            record = self.insert(account, None, body)
            self.set_state(record, _details(request_url, response_status))
        return record

    def fetch(self, ctx: Context) -> dict[str, Any]:
        return self.with_details(self.load(ctx))

    def with_details(self, record: Record) -> dict[str, Any]:
        return {**record.body, **self.state(record)}


def _details(request_url: str, status: int | None) -> dict[str, Any]:
    query = urllib.parse.urlsplit(request_url).query
    return {
        "request_variables": query,
        "response_body": "" if status is None else f"HTTP {status}",
        "response_headers": "",
    }


@behaviour("CallNotification")
class CallNotifications(View):
    key = param = "call_sid"

    @property
    def origin(self) -> Notifications:
        return self.app.behaviours.notifications

    def project(self, body: dict[str, Any]) -> dict[str, Any]:
        listed = super().project(body)
        return {k: v for k, v in listed.items() if k not in _INSTANCE_ONLY}

    def fetch(self, ctx: Context) -> dict[str, Any]:
        return self.origin.with_details(self.load(ctx))
