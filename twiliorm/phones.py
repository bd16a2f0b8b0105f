"""Phone numbers and the other addresses Twilio's ``To`` and ``From`` take.

Twilio stores, lists and matches numbers in E.164 (``+15558675310``) and
refuses a ``To`` or ``From`` that is not an address it knows (21211, 21212).
So twiliorm normalises what people write before anything is sent, the same
way in a filter, a write and the tutorial's facade:

- E.164, with or without separators: ``+1 555 867 5310`` -> ``+15558675310``;
- a national number of the default region (``5558675310``, ``(555) 867-5310``,
  ``555-867-5310``, the int ``5558675310``) -> E.164;
- a channel address, kept (``whatsapp:`` with its number normalised,
  ``messenger:``, ``sip:``, ``client:``);
- a short code (5 or 6 digits, as text), kept;
- for a sender (a ``From``) only: an alphanumeric sender ID, kept (up to 11
  letters, digits and spaces, at least one letter).

Anything else is a ValidationError saying what would do. The default region
is ``US``, or the ISO code in the environment variable ``TWILIORM_PHONE_REGION``
(read when a number is normalised). With the optional ``phonenumbers``
package (``pip install twiliorm[phones]``) numbers of every region are read
and checked for a possible length; without it, national numbers are read
for North America (+1) only and E.164 is checked by its shape.
"""

from __future__ import annotations

import functools
import importlib
import os
import re
from types import ModuleType
from typing import Any

from .exceptions import ConfigurationError, ValidationError

__all__ = ["DEFAULT_REGION", "REGION_VARIABLE", "default_region", "is_address", "normalise"]

DEFAULT_REGION = "US"
REGION_VARIABLE = "TWILIORM_PHONE_REGION"


def _optional_parser() -> ModuleType | None:
    try:
        return importlib.import_module("phonenumbers")
    except ImportError:
        return None


#: ``phonenumbers`` when the ``phones`` extra is installed, else None (the fallback)
parser: ModuleType | None = _optional_parser()

CHANNELS = ("whatsapp", "messenger", "sip", "client")
# The regions of the North American Numbering Plan: +1 and 10 national digits.
NANP = frozenset(
    {"US", "CA", "AG", "AI", "AS", "BB", "BM", "BS", "DM", "DO", "GD", "GU", "JM"}
    | {"KN", "KY", "LC", "MP", "MS", "PR", "SX", "TC", "TT", "VC", "VG", "VI"}
)
_E164 = re.compile(r"\+[1-9]\d{6,14}")  # a number long enough to be one
_E164_SHAPE = re.compile(r"\+[1-9]\d{1,14}")  # the syntax alone (the sandbox's check)
_NORTH_AMERICAN = re.compile(r"\+1[2-9]\d{9}")  # +1, then a 10-digit NANP number
_WRITTEN = re.compile(r"\+?[\d\s().\-]+")  # digits and the separators people write
_SEPARATORS = re.compile(r"[\s().\-]")
_SHORT_CODE = re.compile(r"\d{5,6}")
_SENDER_ID = re.compile(r"(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_CHANNEL = re.compile(r"([A-Za-z]+):(.+)")


def default_region() -> str:
    """The region national numbers are read in: ``TWILIORM_PHONE_REGION``, else ``US``."""
    return _region(os.environ.get(REGION_VARIABLE, ""))


@functools.lru_cache(maxsize=16)
def _region(setting: str) -> str:
    region = setting.strip().upper() or DEFAULT_REGION
    if not re.fullmatch(r"[A-Z]{2}", region):
        raise ConfigurationError(
            f"{REGION_VARIABLE}={region!r} is not a region: give an ISO 3166 code such as US or GB"
        )
    return region


def normalise(
    value: Any, *, sender: bool = False, region: str | None = None, where: str = ""
) -> str:
    """``value`` as Twilio stores it (see the module docstring), or a ValidationError.

    ``sender``: the value is a ``From`` (an alphanumeric sender ID is allowed);
    ``region``: the region of a national number (default: :func:`default_region`);
    ``where`` names the field in the error (``Message.to``).
    """
    text = _text_of(value, where)
    channel = _CHANNEL.fullmatch(text)
    if channel is not None and channel.group(1).lower() in CHANNELS:
        return _channel(channel.group(1).lower(), channel.group(2), region, where)
    if isinstance(value, str) and _SHORT_CODE.fullmatch(text):
        return text  # as text only: an int is a number, whose country may need reading
    if sender and _SENDER_ID.fullmatch(text):
        return text
    number = _number(text, region or default_region())
    if number is None:
        raise ValidationError(_refusal(value, where, sender, region or default_region()))
    return number


def is_address(text: str, *, sender: bool = False) -> bool:
    """Is ``text`` already an address as Twilio stores it? (The sandbox's check: no
    normalising, E.164 by its shape.)"""
    channel = _CHANNEL.fullmatch(text)
    if channel is not None and channel.group(1) in CHANNELS:
        scheme, rest = channel.groups()
        if scheme == "whatsapp":
            return bool(_E164_SHAPE.fullmatch(rest))
        return not re.search(r"\s", rest)
    if _E164_SHAPE.fullmatch(text) or _SHORT_CODE.fullmatch(text):
        return True
    return sender and bool(_SENDER_ID.fullmatch(text))


def _text_of(value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValidationError(f"{where or 'a phone number'} takes a phone number, got {value!r}")
    text = str(value).strip()
    if not text:
        raise ValidationError(f"{where or 'a phone number'} needs a phone number, got {value!r}")
    return text


def _channel(scheme: str, rest: str, region: str | None, where: str) -> str:
    if scheme != "whatsapp":
        if re.search(r"\s", rest):
            raise ValidationError(f"{where or 'an address'}: {scheme}:{rest!r} has a space in it")
        return f"{scheme}:{rest}"
    number = _number(rest.strip(), region or default_region())
    if number is None:
        raise ValidationError(
            f"{where or 'a phone number'}: {scheme}:{rest!r} needs a phone number after "
            "'whatsapp:', in E.164 ('whatsapp:+15558675310')"
        )
    return f"whatsapp:{number}"


def _number(text: str, region: str) -> str | None:
    """``text`` as an E.164 number, or None when it is not a phone number of ``region``."""
    if _NORTH_AMERICAN.fullmatch(text):
        return text  # already E.164, and of a length every parser calls possible
    if not _WRITTEN.fullmatch(text):
        return None  # letters (vanity numbers), extensions and the like: not sent as a number
    digits = _SEPARATORS.sub("", text)
    if parser is not None:
        return _parsed(parser, digits, region)
    return _nanp(digits, region)


@functools.lru_cache(maxsize=8192)
def _parsed(numbers: Any, digits: str, region: str) -> str | None:
    # Remembered: a value is cleaned when it is given and again when it is sent, and a
    # job sends to the same numbers again and again; parsing was most of a create's own
    # CPU otherwise (tests/bench: create x500).
    try:
        number = numbers.parse(digits, region)
    except numbers.NumberParseException:
        return None
    # Possible, not valid: test numbers (+15005550006, 555 numbers) are not allocated.
    if numbers.is_possible_number_with_reason(number) != numbers.ValidationResult.IS_POSSIBLE:
        return None
    return str(numbers.format_number(number, numbers.PhoneNumberFormat.E164))


def _nanp(digits: str, region: str) -> str | None:
    """The fallback without ``phonenumbers``: E.164 by its shape (+1 with 10 digits),
    and national numbers of North America only."""
    if digits.startswith("+"):
        shaped = _E164.fullmatch(digits) and (not digits.startswith("+1") or len(digits) == 12)
        return digits if shaped else None
    if region not in NANP:
        return None
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return "+1" + digits if len(digits) == 10 and digits[0] in "23456789" else None


def _refusal(value: Any, where: str, sender: bool, region: str) -> str:
    what = f"{where}: {value!r}" if where else repr(value)
    national = f"a national number of {region}" + (" ('(555) 867-5310')" if region in NANP else "")
    if parser is None and region not in NANP:
        national = f"a national number of {region} (with the twiliorm[phones] extra installed)"
    ways = [
        "E.164 ('+15558675310')",
        national,
        "a short code ('12345')",
        "a channel address ('whatsapp:+15558675310', 'sip:alice@example.com', 'client:alice')",
    ]
    if sender:
        ways.append("an alphanumeric sender ID (up to 11 letters, digits or spaces, one a letter)")
    choices = f"{', '.join(ways[:-1])} or {ways[-1]}"
    return f"{what} is not a phone number or address Twilio takes; give {choices}"
