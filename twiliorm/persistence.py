"""Writing one instance: ``save()`` (create or update), ``delete()``, ``refresh()``.

A create POSTs the fields the user set to the list path; an update POSTs
only the fields that changed to the instance path; both then read the answer
back into the same instance. Every value is checked before anything is sent,
so bad input raises and changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from .client import Client, default_client
from .exceptions import FieldError, NotFoundError, NotSupportedError, ValidationError
from .fields import FieldSpec
from .resource import Binding

if TYPE_CHECKING:
    from .resource import Resource

__all__ = ["client_of", "delete", "form_for", "instance_path", "refresh", "save"]

R = TypeVar("R", bound="Resource")


def client_of(obj: Resource) -> Client:
    ctx = obj._ctx
    return ctx.client if ctx is not None and ctx.client is not None else default_client()


def _filled(obj: Resource, client: Client | None) -> dict[str, str]:
    values = obj.path_values()
    if "account_sid" not in values:
        values["account_sid"] = (client or client_of(obj)).account_sid
    return values


def instance_path(obj: Resource, client: Client | None = None) -> str:
    """The path of this instance, from validated values."""
    meta = obj._meta
    template = meta.instance_path
    if template is None:
        raise NotSupportedError(f"{meta.name} has no instance path in the API")
    values = _filled(obj, client)
    missing = template.missing(values)
    if missing:
        raise FieldError(f"{meta.name} instance has no {missing[0]}: it was never saved or fetched")
    checked = {name: meta.check_path(name, values[name]) for name in template.names}
    return template.fill(checked)


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
    meta = obj._meta
    missing = [
        s.name
        for s in meta.writable(operation)
        if operation in s.required and getattr(obj, s.name) is None
    ]
    if missing:
        raise ValidationError(f"{meta.name} {operation} needs {', '.join(missing)}")


def save(obj: R, update_fields: Iterable[str] | None) -> R:
    if obj._orig is None:
        return _create(obj)
    names = list(update_fields) if update_fields is not None else obj.changed_fields()
    if not names:
        return obj
    obj._meta.require("update")
    form = form_for(obj, names, "update")
    client = client_of(obj)
    data = client.post_json(instance_path(obj, client), form)
    _load(obj, data)
    return obj


def _create(obj: R) -> R:
    meta = obj._meta
    meta.require("create")
    _check_required(obj, "create")
    form = form_for(obj, obj.changed_fields(), "create")
    client = client_of(obj)
    values = _filled(obj, client)
    template = meta.list_template(values, for_create=True)
    checked = {name: meta.check_path(name, values[name]) for name in template.names}
    data = client.post_json(template.fill(checked), form)
    path = {n: v for n, v in checked.items() if n in meta.path_names}
    _load(obj, data, Binding(client, path))
    return obj


def delete(obj: Resource) -> None:
    meta = obj._meta
    meta.require("delete")
    client = client_of(obj)
    try:
        client.delete(instance_path(obj, client))
    except NotFoundError as exc:
        if not exc.retried:
            raise meta.model.NotFound(
                exc.status, exc.code, exc.message, exc.more_info, exc.method, exc.uri
            ) from exc
        # A retried DELETE answered 404: the first attempt reached the server and deleted it.


def refresh(obj: R) -> R:
    meta = obj._meta
    meta.require("fetch")
    client = client_of(obj)
    data = fetch_payload(obj._meta.model, client, instance_path(obj, client))
    _load(obj, data)
    return obj


def fetch_payload(model: type[Resource], client: Client, path: str) -> Any:
    """GET one instance; a 404 raises ``model.NotFound`` (DoesNotExist and NotFoundError)."""
    try:
        return client.get_json(path)
    except NotFoundError as exc:
        raise model.NotFound(
            exc.status, exc.code, exc.message, exc.more_info, exc.method, exc.uri
        ) from exc


def _load(obj: Resource, data: Any, binding: Binding | None = None) -> None:
    """Read an answer into ``obj`` in place (the same object the caller holds)."""
    fresh = type(obj).from_api(data, binding=binding or obj._ctx)
    for attribute in attrs.fields(type(obj)):
        setattr(obj, attribute.name, getattr(fresh, attribute.name))
