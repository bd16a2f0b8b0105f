"""Reading a status-callback form into the model it reports on (a Message, a Call).

A status callback is a form of Twilio param names (``MessageSid``,
``MessageStatus``, ``To``, ``ErrorCode``...). Most of them are the params of
the model's fields, which the declarations already know (``spec.param``:
``To`` -> ``to``, ``AccountSid`` -> ``account_sid``); callbacks add a few
names of their own, mapped here explicitly (``MessageStatus``/``SmsStatus``
-> ``status``, ``CallDuration`` -> ``duration``). The first param in a
field's list that the form has gives its value; params that fill no field
(``Timestamp``, ``RawDlrDoneDate``, ``SmsSid`` beside ``MessageSid``) are kept,
under their form names, with the instance's other unknown keys, so
``message.to_api()`` shows them.

    message = parse_callback(request.POST)          # -> twiliorm.Message
    if message.status == twiliorm.MessageStatus.UNDELIVERED: ...
    message.to_api().get("RawDlrDoneDate")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, overload
from urllib.parse import parse_qsl

from ..exceptions import DecodeError
from ..models import Call, Message
from ..resource import Binding, Resource
from .signature import Params, form_pairs

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["CALLBACK_PARAMS", "callback_model", "parse_callback"]

R = TypeVar("R", bound=Resource)

#: Callback param names that differ from the model's declared params, by model,
#: each field's names in order of preference.
CALLBACK_PARAMS: dict[type[Resource], dict[str, tuple[str, ...]]] = {
    Message: {"sid": ("MessageSid", "SmsSid"), "status": ("MessageStatus", "SmsStatus")},
    Call: {"sid": ("CallSid",), "status": ("CallStatus",), "duration": ("CallDuration",)},
}
# The params whose presence says which status callback a form is.
_MARKERS: tuple[tuple[type[Resource], tuple[str, ...]], ...] = (
    (Message, ("MessageStatus", "SmsStatus")),
    (Call, ("CallStatus",)),
)


def callback_model(params: Mapping[str, Any]) -> type[Resource]:
    """The model a status callback reports on, from the params it carries."""
    for model, markers in _MARKERS:
        if any(name in params for name in markers):
            return model
    expected = ", ".join(name for _, markers in _MARKERS for name in markers)
    raise DecodeError(
        f"not a message or call status callback: it has none of {expected} "
        f"(params: {', '.join(sorted(params)) or 'none'}); pass the model to parse_callback()"
    )


def _field_params(model: type[Resource]) -> dict[str, tuple[str, ...]]:
    """Attribute -> the callback params that may carry it, preferred first."""
    names: dict[str, tuple[str, ...]] = {
        s.name: (s.param,) for s in model._meta.payload_fields if s.param
    }
    for attribute, aliases in CALLBACK_PARAMS.get(model, {}).items():
        names[attribute] = aliases + names.get(attribute, ())
    return names


def _form(params: Params | str | bytes) -> dict[str, list[str]]:
    if isinstance(params, bytes):
        params = params.decode("utf-8", errors="replace")
    if isinstance(params, str):
        params = parse_qsl(params, keep_blank_values=True)
    form: dict[str, list[str]] = {}
    for name, value in form_pairs(params):
        form.setdefault(name, []).append(value)
    return form


def _value(model: type[Resource], attribute: str, param: str, values: list[str]) -> Any:
    """A form value as the JSON payload would carry it (payload numbers are JSON numbers)."""
    if len(values) != 1:
        raise DecodeError(f"{model.__name__} callback: {param} is repeated ({len(values)} values)")
    try:
        return model._meta.fields[attribute].kind.from_form(values)
    except ValueError as exc:
        raise DecodeError(
            f"{model.__name__} callback: {param}={values[0]!r} cannot be {attribute} ({exc})"
        ) from None


def _payload(model: type[Resource], form: dict[str, list[str]]) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    used: set[str] = set()
    for attribute, candidates in _field_params(model).items():
        param = next((p for p in candidates if p in form), None)
        if param is not None:
            key = model._meta.fields[attribute].key
            payload[str(key)] = _value(model, attribute, param, form[param])
            used.add(param)
    for name, values in form.items():
        if name not in used:
            payload[name] = values[0] if len(values) == 1 else values
    return payload


@overload
def parse_callback(
    params: Params | str | bytes, model: type[R], *, client: Client | None = None
) -> R: ...
@overload
def parse_callback(
    params: Params | str | bytes, model: None = None, *, client: Client | None = None
) -> Resource: ...
def parse_callback(
    params: Params | str | bytes,
    model: type[Resource] | None = None,
    *,
    client: Client | None = None,
) -> Resource:
    """The model instance a status-callback form describes.

    ``params`` is the form: a mapping or multi-dict (``request.POST``),
    (name, value) pairs, or the urlencoded body. ``model`` defaults to the
    one the form reports on (:func:`callback_model`). ``client`` binds the
    instance, so ``refresh()`` reads the full record through it. Raises
    :class:`twiliorm.DecodeError` naming the param that cannot be read.
    """
    form = _form(params)
    chosen = model or callback_model(form)
    payload = _payload(chosen, form)
    binding = None
    if client is not None:
        account = payload.get("account_sid")
        binding = Binding(client, {"account_sid": account} if isinstance(account, str) else {})
    return chosen.from_api(payload, binding=binding)
