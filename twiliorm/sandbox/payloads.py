"""Payloads as the API makes them: every key of the declaration, the identity, and the URIs.

A :class:`PayloadBuilder` makes one resource's payloads: :meth:`~PayloadBuilder.blank`
is a new record before its form is applied (every key null, then the SID, the
account, the dates, the API version and the path parameters that are fields);
:meth:`~PayloadBuilder.build` is a whole record the sandbox makes itself (a
participant, a recording, a populated message); :meth:`~PayloadBuilder.finish`
fills ``uri`` and ``subresource_uris`` once the identity is known. The
children a payload links to are its model's ``related`` views; their paths
are worked out once per set of path names.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from ..paths import PathTemplate
from ..resource import Meta, Resource, related

__all__ = ["PayloadBuilder", "new_sid"]

#: (attribute, fixed path values, parent placeholder, list paths) of a parent's children
Children = list[tuple[str, dict[str, str], str, list[PathTemplate]]]
#: (attribute, fixed path values, parent placeholder, the path to fill) of a parent's children
ChildPaths = list[tuple[str, dict[str, str], str, str]]
_FIXED = ("account_sid", "date_created", "date_updated", "api_version")


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class PayloadBuilder:
    """One resource's payloads (see the module docstring).

    ``now`` gives the sandbox clock's time as Twilio writes dates; ``models`` are the
    declared resources by name, where the children a payload links to are found.
    """

    def __init__(
        self, meta: Meta, now: Callable[[], str], models: Mapping[str, type[Resource]]
    ) -> None:
        self.meta = meta
        self._now = now
        self._models = models
        self._child_path_cache: dict[frozenset[str], ChildPaths] = {}

    def blank(
        self,
        account: str,
        params: Mapping[str, str] | None = None,
        *,
        prefix: str | None = None,
        made: tuple[str | None, str | None] = (None, None),
    ) -> dict[str, Any]:
        """A new payload: every key null, then the identity, the account, the dates, the
        API version and the path parameters that are fields of the resource.

        ``made``: the SID and creation date when the caller has them already (populating
        makes its own), so neither is made for nothing.
        """
        meta = self.meta
        body: dict[str, Any] = dict.fromkeys(self._payload_keys)
        sid, now = made[0], made[1] or self._now()
        if meta.pk == "sid" and "sid" in body:
            body["sid"] = sid or new_sid(prefix or self.default_prefix())
        for name, value in (params or {}).items():
            spec = meta.fields.get(meta.path_attrs.get(name, name))
            if spec is not None and spec.key in body:
                body[spec.key] = value
        fixed = {"account_sid": account, "date_created": now, "date_updated": now}
        fixed["api_version"] = "2010-04-01"
        body.update({key: fixed[key] for key in self._fixed_keys})
        return body

    def build(
        self, account: str, params: Mapping[str, str] | None = None, **values: Any
    ) -> dict[str, Any]:
        """The payload of a record the sandbox makes itself (no request): :meth:`blank`,
        then ``values``, then ``uri`` and ``subresource_uris``."""
        body = self.blank(account, params, made=(values.get("sid"), values.get("date_created")))
        body.update(values)
        self.finish(account, body, params)
        return body

    def default_prefix(self) -> str:
        """The SID prefix of the resource's first SID type (``XX`` when it declares none)."""
        spec = self.meta.fields.get("sid")
        prefixes = getattr(spec.kind, "prefixes", ()) if spec else ()
        return prefixes[0] if prefixes else "XX"

    def finish(
        self, account: str, body: dict[str, Any], params: Mapping[str, str] | None = None
    ) -> None:
        """``uri`` and ``subresource_uris`` from the account, the path and the identity."""
        values = {**(params or {}), "account_sid": account}
        if self.meta.pk and self.meta.pk in body:
            values[self.meta.pk] = body[self.meta.pk]
        path = self.meta.instance_path
        if "uri" in body and path is not None and not path.missing(values):
            body["uri"] = path.fill(values)
        if "subresource_uris" in body:
            body["subresource_uris"] = self.subresource_uris(values, body)

    def subresource_uris(
        self, values: dict[str, str], body: dict[str, Any]
    ) -> dict[str, str] | None:
        """The list paths of this record's children, from the parent's ``related`` views."""
        pk = str(body.get(self.meta.pk or "sid"))
        out = {
            attr: template.format_map({**values, **fixed, parent: pk})  # values are path-safe
            for attr, fixed, parent, template in self._child_paths(frozenset(values))
        }
        return out or body.get("subresource_uris")

    @functools.cached_property
    def _payload_keys(self) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.meta.payload_fields if spec.key)

    @functools.cached_property
    def _fixed_keys(self) -> tuple[str, ...]:
        """The keys every new payload fills the same way, of those this payload has."""
        return tuple(key for key in _FIXED if key in self._payload_keys)

    def _child_paths(self, known: frozenset[str]) -> ChildPaths:
        """(attribute, fixed values, parent placeholder, path) of each child: the longest of
        its list paths that the ``known`` values fill. The same for every record made with
        the same values, so it is worked out once per set of names (populating makes many)."""
        found = self._child_path_cache.get(known)
        if found is None:
            found = []
            for attr, fixed, parent, templates in self._children:
                names = known | set(fixed) | {parent}
                usable = [t for t in templates if set(t.names) <= names]
                if usable:
                    found.append((attr, fixed, parent, usable[0].template))
            self._child_path_cache[known] = found
        return found

    @functools.cached_property
    def _children(self) -> Children:
        """(attribute, fixed path values, parent placeholder, list paths, longest first)."""
        out = []
        for attr, value in vars(self.meta.model).items():
            child = self._models.get(value.model_name) if isinstance(value, related) else None
            if child is None:
                continue
            templates = child._meta.list_paths or child._meta.create_paths
            parent = child._meta.parent_param
            if templates and parent is not None:
                ordered = sorted(templates, key=lambda t: -len(t.names))
                out.append((attr, dict(value.path), parent, ordered))
        return out
