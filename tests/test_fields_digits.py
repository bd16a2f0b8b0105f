"""Numbers in forms, cells and cleaned values are ASCII digits only.

``int()`` and ``str.isdigit()`` accept far more than Twilio sends ("١٢",
"1_000", " 12 ", "²"): a form parameter, a webhook field or a value to write
in such a spelling is refused with a ValueError/ValidationError (never an
unexpected crash), and an export cell keeps it as the text it came as.
"""

from __future__ import annotations

import pytest

from twiliorm import fields
from twiliorm.exceptions import ValidationError

NOT_ASCII_WHOLE = ["١٢", "1_000", "²", "\uff11\uff12", "12\n", " 12", "0x10", "", "+", "-"]


@pytest.mark.parametrize("text", NOT_ASCII_WHOLE)
def test_an_integer_form_value_is_ascii_digits(text: str) -> None:
    kind = fields.INTEGER
    with pytest.raises(ValueError, match="whole number"):
        kind.from_form([text])


@pytest.mark.parametrize("text", ["12", "-3", "+4", "007"])
def test_an_integer_form_value_in_ascii_is_read(text: str) -> None:
    assert fields.INTEGER.from_form([text]) == int(text)


@pytest.mark.parametrize("text", ["١٢.5", "1_0", "²", "\uff11\uff12"])
def test_a_decimal_form_value_is_ascii_digits(text: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        fields.DECIMAL.from_form([text])


@pytest.mark.parametrize("text", ["²", "١٢", "+5"])
def test_an_integer_text_cell_keeps_other_spellings_as_text(text: str) -> None:
    kind = fields.INTEGER_TEXT
    assert kind.cell(text) == text
    assert kind.cell("-12") == -12


@pytest.mark.parametrize("text", ["²", "١٢", "1_0"])
def test_an_integer_text_value_to_write_is_ascii_digits(text: str) -> None:
    with pytest.raises(ValidationError, match="whole number"):
        fields.INTEGER_TEXT.clean(text, "Message.num_segments")
