"""Writing one instance: ``save()`` (create or update), ``delete()``, ``refresh()``,
and ``full_clean()``, the check a save makes, without sending.

A create POSTs the fields the user set to the list path; an update POSTs
only the fields that changed (or those named by ``update_fields``) to the
instance path; both then read the answer back into the same instance. A
field that was not sent keeps its unsaved value and stays changed, as in
Django, so ``save(update_fields=["friendly_name"])`` loses no other edit.
``refresh()`` reads every field again, dropping unsaved edits (Django's
``refresh_from_db()``). Every value is checked before anything is sent, so
bad input raises and changes nothing.

Twilio is eventually consistent: a fetch right after a create can answer 404.
So this process remembers, for a few seconds, the paths of the instances it
created, and a fetch of one of those retries a 404 a few times with short
pauses before it believes it.
"""

from __future__ import annotations

import collections
import contextlib
import threading
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from .client import Client, default_client
from .exceptions import FieldError, NotFoundError, NotSupportedError, ValidationError
from .fields import FieldSpec
from .protocol import ApiRequest
from .resource import Binding

if TYPE_CHECKING:
    from .resource import Resource

__all__ = [
    "clean_fields",
    "client_of",
    "delete",
    "form_for",
    "full_clean",
    "instance_path",
    "refresh",
    "save",
]

R = TypeVar("R", bound="Resource")

FRESH_SECONDS = 10.0  # how long after a create a 404 may still be the service catching up
NOT_FOUND_PAUSES = (0.1, 0.2, 0.4, 0.8)  # seconds slept before each retry of such a 404


class RecentCreates:
    """Paths of instances created in the last ``FRESH_SECONDS`` (bounded, thread-safe)."""

    def __init__(self, size: int = 4096) -> None:
        self._at: collections.OrderedDict[str, float] = collections.OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def add(self, path: str) -> None:
        with self._lock:
            self._at[path] = time.monotonic()
            self._at.move_to_end(path)
            while len(self._at) > self._size:
                self._at.popitem(last=False)

    def discard(self, path: str) -> None:
        with self._lock:
            self._at.pop(path, None)

    def __contains__(self, path: object) -> bool:
        with self._lock:
            at = self._at.get(path) if isinstance(path, str) else None
        return at is not None and time.monotonic() - at < FRESH_SECONDS


recent_creates = RecentCreates()


def client_of(obj: Resource) -> Client:
    ctx = obj._ctx
    return ctx.client if ctx is not None and ctx.client is not None else default_client()


def _filled(obj: Resource, account: str) -> dict[str, str]:
    values = obj.path_values()
    if "account_sid" not in values:
        values["account_sid"] = account
    return values


def instance_path(obj: Resource, client: Client | None = None) -> str:
    """The path of this instance, from validated values."""
    return _instance_path(obj, (client or client_of(obj)).account_sid)


def _instance_path(obj: Resource, account: str) -> str:
    meta = obj._meta
    template = meta.instance_path
    if template is None:
        raise NotSupportedError(f"{meta.name} has no instance path in the API")
    values = _filled(obj, account)
    missing = template.missing(values)
    if missing:
        raise FieldError(f"{meta.name} instance has no {missing[0]}: it was never saved or fetched")
    return template.fill(meta.checked(template, values))


def form_for(obj: Resource, names: Iterable[str], operation: str) -> list[tuple[str, str]]:
    """The form parameters for ``operation`` ("create"/"update") of attributes ``names``."""
    meta = obj._meta
    form: list[tuple[str, str]] = []
    for name in names:
        spec = meta.fields.get(name)
        if spec is None:
            raise FieldError(f"{meta.name} has no field {name!r}")
        if operation not in spec.writable:
            raise FieldError(_not_writable(meta.name, spec, operation))
        value = spec.clean(getattr(obj, name), meta.name)
        form.extend(_encode(spec, value))
    return form


def _encode(spec: FieldSpec, value: Any) -> list[tuple[str, str]]:
    param = spec.param or ""
    if value is None:
        return [(param, "")]  # an empty value clears the field in Twilio's API
    return spec.kind.pairs(param, value)


def _not_writable(resource: str, spec: FieldSpec, operation: str) -> str:
    if spec.writable:
        where = " and ".join(sorted(spec.writable))
        return f"{resource}.{spec.name} cannot be sent on {operation}; it is writable on {where}"
    return f"{resource}.{spec.name} is read-only: the API sets it"


def _check_required(obj: Resource, operation: str) -> None:
    missing = _missing_required(obj, operation)
    if missing:
        raise ValidationError(f"{obj._meta.name} {operation} needs {', '.join(missing)}")


def _missing_required(obj: Resource, operation: str) -> list[str]:
    return [
        s.name
        for s in obj._meta.writable(operation)
        if operation in s.required and getattr(obj, s.name) is None
    ]


# --- the requests a write sends (no I/O) ------------------------------------------------


@attrs.frozen
class Write:
    """A save compiled: the request, and for a create the path values it went to."""

    request: ApiRequest
    created_at: Mapping[str, str] | None = None
    sent: frozenset[str] = frozenset()  # the attributes the request carries


def save_request(obj: Resource, update_fields: Iterable[str] | None, account: str) -> Write | None:
    """The POST that saves ``obj`` (None when an update has nothing to send); every value
    is checked first, so bad input raises here and nothing is sent."""
    if obj._orig is None:
        if update_fields is not None:
            # As Django: update_fields names an update, and there is nothing to update yet.
            raise ValueError(
                f"this {obj._meta.name} was never saved: save() creates it; "
                "update_fields is for an instance read from the API"
            )
        return _create_request(obj, account)
    names = list(update_fields) if update_fields is not None else obj.changed_fields()
    if not names:
        return None
    obj._meta.require("update")
    form = form_for(obj, names, "update")
    path = _instance_path(obj, account)
    return Write(ApiRequest("POST", path, form=tuple(form)), sent=frozenset(names))


def _create_request(obj: Resource, account: str) -> Write:
    meta = obj._meta
    meta.require("create")
    _check_required(obj, "create")
    names = obj.changed_fields()
    form = form_for(obj, names, "create")
    values = _filled(obj, account)
    template = meta.list_template(values, for_create=True)
    checked = meta.checked(template, values)
    request = ApiRequest("POST", template.fill(checked), form=tuple(form))
    return Write(request, checked, frozenset(names))


def delete_request(obj: Resource, account: str) -> ApiRequest:
    obj._meta.require("delete")
    return ApiRequest("DELETE", _instance_path(obj, account))


def fetch_request(obj: Resource, account: str) -> ApiRequest:
    obj._meta.require("fetch")
    return ApiRequest("GET", _instance_path(obj, account))


def saved(obj: R, write: Write, data: Any, client: Client | None) -> R:
    """Read the answer to ``write`` into ``obj`` (a create also learns where it lives);
    an edit the request did not carry is kept, still marked changed."""
    unsent = {n: getattr(obj, n) for n in obj.changed_fields() if n not in write.sent}
    if write.created_at is None:
        _load(obj, data, keep=unsent)
        return obj
    meta = obj._meta
    path = {n: v for n, v in write.created_at.items() if n in meta.path_names}
    _load(obj, data, Binding(client, path), keep=unsent)
    if client is not None:
        _remember_created(obj, client, dict(write.created_at))
    return obj


# --- the sync driver ---------------------------------------------------------------------


def save(obj: R, update_fields: Iterable[str] | None) -> R:
    client = client_of(obj)
    write = save_request(obj, update_fields, client.account_sid)
    if write is None:
        return obj
    return saved(obj, write, client.post_json(write.request.path, write.request.form), client)


def _remember_created(obj: Resource, client: Client, checked: dict[str, str]) -> None:
    meta = obj._meta
    template, pk = meta.instance_path, meta.pk
    if template is None or pk is None or "fetch" not in meta.operations:
        return
    # The path the create went to, plus the new SID (checked: it came from the answer).
    with contextlib.suppress(FieldError, ValidationError):
        values = {**checked, pk: meta.check_path(pk, obj.pk)}
        if not template.missing(values):
            recent_creates.add(client.url(template.fill(values)))


def delete(obj: Resource) -> None:
    client = client_of(obj)
    path = delete_request(obj, client.account_sid).path
    recent_creates.discard(client.url(path))
    try:
        client.delete(path)
    except NotFoundError as exc:
        if not exc.retried:
            raise _not_found(obj._meta.model, exc) from exc
        # A retried DELETE answered 404: the first attempt reached the server and deleted it.


def refresh(obj: R) -> R:
    client = client_of(obj)
    data = fetch_payload(obj._meta.model, client, fetch_request(obj, client.account_sid).path)
    _load(obj, data)
    return obj


def fetch_payload(model: type[Resource], client: Client, path: str) -> Any:
    """GET one instance; a 404 raises ``model.NotFound`` (DoesNotExist and NotFoundError).

    A 404 for an instance created here in the last few seconds is retried
    after short pauses first (see the module docstring).
    """
    pauses = iter(NOT_FOUND_PAUSES)
    while True:
        try:
            return client.get_json(path)
        except NotFoundError as exc:
            pause = next(pauses, None)
            if pause is None or client.url(path) not in recent_creates:
                raise _not_found(model, exc) from exc
        time.sleep(pause)


def _not_found(model: type[Resource], exc: NotFoundError) -> Exception:
    """The model's NotFound (its DoesNotExist and a NotFoundError) for an API 404."""
    return model.NotFound(exc.status, exc.code, exc.message, exc.more_info, exc.method, exc.uri)


def _load(
    obj: Resource, data: Any, binding: Binding | None = None, keep: Mapping[str, Any] | None = None
) -> None:
    """Read an answer into ``obj`` in place (the same object the caller holds), then put
    back the values in ``keep`` (unsaved edits): against the values just loaded, they
    count as changed."""
    fresh = type(obj).from_api(data, binding=binding or obj._ctx)
    obj._meta.copy()(fresh, obj)
    for name, value in (keep or {}).items():
        setattr(obj, name, value)


# --- checking without sending (Django's full_clean) ---------------------------------------


def clean_fields(obj: Resource, exclude: Iterable[str] | None = None) -> None:
    """Check and clean every value the next ``save()`` would send, and the fields a
    create needs; a ValidationError keyed by field name lists every problem.

    A value that passes is replaced by its cleaned form (a phone number in E.164,
    an enum member, an aware datetime), as Django's ``clean_fields`` does.
    """
    skip = frozenset(exclude or ())
    operation = "update" if obj.is_saved else "create"
    errors: dict[str, list[str]] = {}
    for name in obj.changed_fields():
        if name not in skip:
            _clean_one(obj, name, operation, errors)
    if operation == "create" and "create" in obj._meta.operations:
        for name in _missing_required(obj, "create"):
            if name not in skip:
                errors.setdefault(name, []).append(f"{obj._meta.name}.{name} is required to create")
    if errors:
        raise ValidationError(errors)


def _clean_one(obj: Resource, name: str, operation: str, errors: dict[str, list[str]]) -> None:
    meta = obj._meta
    spec = meta.fields[name]
    if operation not in spec.writable:
        errors[name] = [_not_writable(meta.name, spec, operation)]
        return
    try:
        setattr(obj, name, spec.clean(getattr(obj, name), meta.name))
    except ValidationError as exc:
        errors[name] = exc.messages


def full_clean(obj: Resource, exclude: Iterable[str] | None = None) -> None:
    """``clean_fields()``, then the instance's own ``clean()``; one ValidationError
    with every field's messages (``clean()``'s own under ``"__all__"``)."""
    errors: dict[str, list[ValidationError]] = {}
    try:
        clean_fields(obj, exclude)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    try:
        obj.clean()
    except ValidationError as exc:
        more = getattr(exc, "error_dict", None) or {ValidationError.NON_FIELD_ERRORS: [exc]}
        for name, found in more.items():
            errors.setdefault(name, []).extend(found)
    if errors:
        raise ValidationError(errors)
