"""The sandbox's routes, built from the resource declarations.

Every declared resource contributes its list, create and instance paths with
the operations it has; a request path is matched to one (route, path
parameters, format). Placeholders only match values of their shape (a
message SID matches ``(SM|MM)`` + 32 hex digits), so ``IncomingPhoneNumbers/
Local.json`` and ``IncomingPhoneNumbers/PN....json`` never collide.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

from ..paths import PathTemplate
from ..resource import Meta, Resource

__all__ = ["Match", "Route", "Router"]

_METHODS = {"list": "GET", "create": "POST", "fetch": "GET", "update": "POST", "delete": "DELETE"}
_ACCOUNT = "AC[0-9a-fA-F]{32}"
_ANY_SID = "[A-Z]{2}[0-9a-fA-F]{32}"


@attrs.frozen
class Route:
    meta: Meta
    operation: str
    method: str
    template: PathTemplate
    regex: re.Pattern[str]


@attrs.frozen
class Match:
    route: Route | None
    params: dict[str, str]
    format: str  # "json", "csv" or "xml"
    allowed: tuple[str, ...] = ()


class Router:
    """Matches request paths to (resource, operation)."""

    def __init__(self, models: Iterable[type[Resource]]) -> None:
        self.routes: list[Route] = []
        for model in models:
            self.routes.extend(_routes(model._meta))

    def match(self, method: str, path: str) -> Match:
        allowed: list[str] = []
        for route in self.routes:
            found = route.regex.match(path)
            if found is None:
                continue
            if route.method != method:
                allowed.append(route.method)
                continue
            params = {
                k: v for k, v in found.groupdict().items() if k != "_format" and v is not None
            }
            return Match(route, params, _format(found.group("_format")))
        return Match(None, {}, "json", tuple(dict.fromkeys(allowed)))


def _format(extension: str | None) -> str:
    if extension == ".json":
        return "json"
    if extension == ".csv":
        return "csv"
    return "xml"


def _routes(meta: Meta) -> list[Route]:
    patterns = _patterns(meta)
    out = []
    for operation in ("list", "create", "fetch", "update", "delete"):
        if operation not in meta.operations:
            continue
        if operation == "list":
            templates = meta.list_paths
        elif operation == "create":
            templates = meta.create_paths
        else:
            templates = (meta.instance_path,) if meta.instance_path else ()
        for template in templates:
            regex = template.regex(patterns)
            out.append(Route(meta, operation, _METHODS[operation], template, regex))
    return out


def _patterns(meta: Meta) -> dict[str, str]:
    out = {}
    for name in meta.path_names:
        if name in meta.choices:
            out[name] = "|".join(re.escape(c) for c in meta.choices[name])
            continue
        spec = meta.fields.get(meta.path_attrs.get(name, name))
        pattern = getattr(spec.kind, "pattern", None) if spec else None
        if pattern is not None:
            out[name] = pattern.pattern.removesuffix(r"\Z")
        elif name == "account_sid":
            out[name] = _ACCOUNT
        elif name.endswith("_sid") or name == "sid":
            out[name] = _ANY_SID
        else:
            out[name] = "[A-Za-z0-9_-]+"
    return out
