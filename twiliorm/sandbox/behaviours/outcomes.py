"""How a test picks what happens to a message or call: sandbox-reserved numbers.

Sent to any other number, a message is delivered and a call is answered and
completed. Sent to one of these ``To`` numbers (with the sandbox's own
credentials; Twilio's test credentials use the magic numbers of
:mod:`~twiliorm.sandbox.behaviours.magic` instead), it ends as the table says,
on the sandbox clock, with the status callbacks and the Notification Twilio
would give:

==============  =========================================================
To              outcome
==============  =========================================================
+15550030003    message: sending, sent, then ``undelivered``, error 30003
+15550030005    message: sending, sent, then ``undelivered``, error 30005
+15550030006    message: sending, sent, then ``undelivered``, error 30006
+15550030007    message: sending, sent, then ``undelivered``, error 30007
+15550030008    message: ``failed`` without being sent, error 30008
+15550030000    message: stays ``sent`` (no delivery receipt ever arrives)
+15550001001    call: rings, then ``busy``
+15550001002    call: rings for its ``Timeout`` (default 60 s), then ``no-answer``
+15550001003    call: ``failed`` before ringing (a Notification, error 13224)
==============  =========================================================

A call is ``canceled`` by updating it with ``Status=canceled`` while it is
queued or ringing; ``Status=completed`` hangs up a call in progress.

The pace is the sandbox's :class:`~twiliorm.sandbox.app.Settings` (delays
in seconds of sandbox clock time, zero by default); to watch each step, start
the sandbox with ``clock=Clock(frozen=True)`` and move time with
``sandbox.advance(seconds)``.
"""

from __future__ import annotations

import attrs

__all__ = ["CALL_OUTCOMES", "MESSAGE_OUTCOMES", "MessageOutcome", "call_outcome", "message_outcome"]


@attrs.frozen
class MessageOutcome:
    status: str  # the final status: delivered, undelivered, failed or sent
    error_code: int | None = None
    error_message: str | None = None


DELIVERED = MessageOutcome("delivered")

MESSAGE_OUTCOMES: dict[str, MessageOutcome] = {
    "+15550030003": MessageOutcome("undelivered", 30003, "Unreachable destination handset"),
    "+15550030005": MessageOutcome("undelivered", 30005, "Unknown destination handset"),
    "+15550030006": MessageOutcome("undelivered", 30006, "Landline or unreachable carrier"),
    "+15550030007": MessageOutcome("undelivered", 30007, "Message filtered"),
    "+15550030008": MessageOutcome("failed", 30008, "Unknown error"),
    "+15550030000": MessageOutcome("sent"),
}

CALL_OUTCOMES: dict[str, str] = {
    "+15550001001": "busy",
    "+15550001002": "no-answer",
    "+15550001003": "failed",
}


def message_outcome(to: str | None) -> MessageOutcome:
    return MESSAGE_OUTCOMES.get(to or "", DELIVERED)


def call_outcome(to: str | None) -> str:
    """``completed`` (answered, talks, hangs up) unless ``to`` is reserved for another end."""
    return CALL_OUTCOMES.get(to or "", "completed")
