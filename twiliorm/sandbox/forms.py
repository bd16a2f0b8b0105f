"""Reading a write's form: which params write which payload keys, as what, and which are required.

A :class:`FormReader` answers for one resource from its declaration: the
fields writable on ``create`` or ``update`` take their param's values, each
turned into what the payload holds by the field's kind
(``spec.kind.from_form(texts)``: a boolean, a JSON number, a list for a
repeated key, text otherwise). A value the kind cannot read is Twilio's 400
(20001) naming the param; a required param missing or empty is Twilio's own
answer for it where the resource has one (``missing_codes``), else 400
(20001).

Twilio reads a number as ASCII digits, at most 18 of them (so it fits
SQLite's integers), with an optional sign: stricter than a kind's reading
(Python's ``int()`` takes Arabic-Indic digits and 5,000-digit numbers), so
the params of number kinds are checked as :mod:`.params` checks numbers first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .. import fields
from ..fields import FieldSpec, Kind
from ..resource import Meta
from .errors import ApiError, bad_param, missing_param
from .params import check_number

if TYPE_CHECKING:
    from .app import Context

__all__ = ["FormReader", "read"]

#: the kinds Twilio reads as numbers on the wire -> whether only whole numbers
_NUMBERS: Mapping[Kind, bool] = {
    fields.INTEGER: True,
    fields.INTEGER_TEXT: True,
    fields.DECIMAL: False,
    fields.DECIMAL_OFFSET: False,
}


def read(kind: Kind, param: str, texts: Sequence[str]) -> Any:
    """The payload value of ``param`` sent as ``texts`` (a query filter's too), or Twilio's
    400 naming the param."""
    whole = _NUMBERS.get(kind)
    if whole is not None:
        check_number(param, texts[-1], whole=whole)
    try:
        return kind.from_form(texts)
    except ValueError:
        raise bad_param(param, texts[-1]) from None


class FormReader:
    """The form of a create or an update, read into a payload as the declaration says."""

    def __init__(self, meta: Meta, missing_codes: Mapping[str, tuple[int, str]]) -> None:
        self.meta = meta
        self.missing_codes = missing_codes

    def apply(self, ctx: Context, body: dict[str, Any], operation: str) -> None:
        """Write the form values the declaration makes writable on ``operation``."""
        for spec in self.meta.writable(operation):
            texts = ctx.form_values(spec.param) if spec.param else []
            if not texts:
                continue
            value = self.value(spec, texts)  # write-only params are checked too
            if spec.key is not None:
                body[spec.key] = value

    def value(self, spec: FieldSpec, texts: Sequence[str]) -> Any:
        """A param's form values as the JSON payload holds them."""
        return read(spec.kind, spec.param or "", texts)

    def check_required(self, ctx: Context, operation: str) -> None:
        """Refuse a write without a required param (an empty value is missing, as for Twilio)."""
        for spec in self.meta.writable(operation):
            if operation not in spec.required or not spec.param:
                continue
            if not any(ctx.form_values(spec.param)):
                if spec.param in self.missing_codes:
                    raise ApiError(400, *self.missing_codes[spec.param])
                raise missing_param(spec.param)
