"""The tutorial's constants: phone number types, call statuses and HTTP verbs.

``LOCAL`` and ``TOLL_FREE`` (and the other number types) are the path
segments Twilio uses for them, so ``AvailablePhoneNumber.objects.filter(
type=LOCAL)`` reads ``.../AvailablePhoneNumbers/US/Local.json``.
"""

from __future__ import annotations

__all__ = [
    "BUSY",
    "CANCELED",
    "COMPLETED",
    "DELETE",
    "FAILED",
    "GET",
    "IN_PROGRESS",
    "LOCAL",
    "MACHINE_TO_MACHINE",
    "MOBILE",
    "NATIONAL",
    "NO_ANSWER",
    "POST",
    "PUT",
    "QUEUED",
    "RINGING",
    "SHARED_COST",
    "TOLL_FREE",
    "VOIP",
]

# Phone number types (the tutorial has LOCAL and TOLL_FREE; Twilio has grown more).
LOCAL = "Local"
TOLL_FREE = "TollFree"
MOBILE = "Mobile"
NATIONAL = "National"
VOIP = "Voip"
SHARED_COST = "SharedCost"
MACHINE_TO_MACHINE = "MachineToMachine"

# Call statuses.
QUEUED = "queued"
RINGING = "ringing"
IN_PROGRESS = "in-progress"
COMPLETED = "completed"
CANCELED = "canceled"
FAILED = "failed"
BUSY = "busy"
NO_ANSWER = "no-answer"

# HTTP verbs.
GET = "GET"
POST = "POST"
PUT = "PUT"
DELETE = "DELETE"
