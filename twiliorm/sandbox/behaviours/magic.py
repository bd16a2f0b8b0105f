"""Twilio's test-credential magic numbers, and the errors they answer.

With test credentials the whole table applies (a From other than
+15005550006 is refused). With the sandbox's own credentials the numbers
that name an error still answer it, so code can exercise every error path
without switching credentials; any other number is accepted.
"""

from __future__ import annotations

from .. import errors

__all__ = ["check_call", "check_message", "check_number_purchase"]

SUCCESS = "+15005550006"

_MESSAGE_FROM = {
    "+15005550001": (
        21212,
        (
            "The 'From' number +15005550001 is not a valid phone number, shortcode, or "
            "alphanumeric sender ID."
        ),
    ),
    "+15005550008": (
        21611,
        "This 'From' number has exceeded the maximum number of queued messages",
    ),
}
_MESSAGE_TO = {
    "+15005550001": (21211, "The 'To' number +15005550001 is not a valid phone number."),
    "+15005550002": (
        21612,
        (
            "The 'To' phone number: +15005550002, is not currently reachable using the 'From' "
            "phone number: {frm} via SMS."
        ),
    ),
    "+15005550003": (
        21408,
        (
            "Permission to send an SMS has not been enabled for the region indicated by the 'To' "
            "number: +15005550003."
        ),
    ),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}
_CALL_FROM = {
    "+15005550001": (
        21212,
        (
            "The 'From' number +15005550001 is not a valid phone number, shortcode, or "
            "alphanumeric sender ID."
        ),
    ),
}
_CALL_TO = {
    "+15005550001": (21217, "Phone number does not appear to be valid"),
    "+15005550002": (21214, "'To' phone number cannot be reached"),
    "+15005550003": (21215, "Account not authorized to call +15005550003."),
    "+15005550004": (21216, "Call blocked by Twilio blocklist"),
}


def _raise(code: int, message: str) -> None:
    raise errors.ApiError(400, code, message)


def check_message(frm: str | None, to: str, test: bool) -> None:
    """Refuse a message the way Twilio refuses these numbers."""
    if frm in _MESSAGE_FROM:
        _raise(*_MESSAGE_FROM[frm])
    if test and frm is not None and frm != SUCCESS:
        _raise(
            21606,
            (
                f"The From phone number {frm} is not a valid, SMS-capable inbound phone number "
                f"or short code for your account."
            ),
        )
    if to in _MESSAGE_TO:
        code, message = _MESSAGE_TO[to]
        _raise(code, message.format(frm=frm))


def check_call(frm: str, to: str, test: bool) -> None:
    """Refuse a call the way Twilio refuses these numbers."""
    if frm in _CALL_FROM:
        _raise(*_CALL_FROM[frm])
    if test and frm != SUCCESS:
        _raise(
            21210, f"The source phone number provided, {frm}, is not yet verified for your account."
        )
    if to in _CALL_TO:
        _raise(*_CALL_TO[to])


def check_number_purchase(
    phone_number: str | None, area_code: str | None, test: bool
) -> str | None:
    """The number a test-credential purchase buys, or the error it answers (None: not magic)."""
    if phone_number == "+15005550000":
        _raise(21422, "PhoneNumber +15005550000 is not available.")
    if phone_number == "+15005550001":
        _raise(21421, "PhoneNumber is invalid.")
    if area_code == "533":
        _raise(21452, "No phone numbers found in area code 533.")
    if not test:
        return None
    if phone_number == SUCCESS or area_code == "500":
        return SUCCESS
    if phone_number:
        _raise(21422, f"PhoneNumber {phone_number} is not available.")
    _raise(21452, f"No phone numbers found in area code {area_code}.")
    return None
