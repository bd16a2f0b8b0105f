"""The sandbox's routes, built from the resource declarations.

Every declared resource contributes its list, create and instance paths with
the operations it has; a request path is matched to one (route, path
parameters, format). Placeholders only match values of their shape (a
message SID matches ``(SM|MM)`` + 32 hex digits), so ``IncomingPhoneNumbers/
Local.json`` and ``IncomingPhoneNumbers/PN....json`` never collide.

The format comes from the extension: ``.json``, ``.csv``, or none (XML, and
``.xml`` too). A resource with media (a recording) is also served as
``.wav`` and ``.mp3``, and without an extension it answers its media, as
Twilio answers a recording's ``media_url``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import attrs

from ..paths import PathTemplate
from ..resource import Meta, Resource

__all__ = ["MEDIA_FORMATS", "Match", "Route", "Router"]

_METHODS = {"list": "GET", "create": "POST", "fetch": "GET", "update": "POST", "delete": "DELETE"}
_ACCOUNT = "AC[0-9a-fA-F]{32}"
_ANY_SID = "[A-Z]{2}[0-9a-fA-F]{32}"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_FORMATS = (".json", ".csv", ".xml")
#: resources whose instance is also media, and the format without an extension
_MEDIA = {"Recording": ("wav", (".wav", ".mp3"))}
#: the formats that answer media ("wav", "mp3")
MEDIA_FORMATS = frozenset(e[1:] for _, extensions in _MEDIA.values() for e in extensions)
#: placeholder values Twilio takes beside a SID (``Members/Front.json``)
_EXTRA_VALUES = {("Member", "call_sid"): "Front"}


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
    format: str  # "json", "csv", "xml", or a media format ("wav", "mp3")
    allowed: tuple[str, ...] = ()


class Router:
    """Matches request paths to (resource, operation)."""

    def __init__(self, models: Iterable[type[Resource]]) -> None:
        self.routes: list[Route] = []
        for model in models:
            self.routes.extend(_routes(model._meta))

    def match(self, method: str, path: str) -> Match:
        allowed: list[str] = []
        lookup = "GET" if method == "HEAD" else method
        for route in self.routes:
            found = route.regex.match(path)
            if found is None:
                continue
            if route.method != lookup:
                allowed.append(route.method)
                continue
            params = {
                k: v for k, v in found.groupdict().items() if k != "_format" and v is not None
            }
            return Match(route, params, _format(route, found.group("_format")))
        return Match(None, {}, "json", tuple(dict.fromkeys(allowed)))


def _format(route: Route, extension: str | None) -> str:
    if extension in (".json", ".csv", ".wav", ".mp3"):
        return extension[1:]
    media = _MEDIA.get(route.meta.name)
    if extension is None and media is not None and route.operation == "fetch":
        return media[0]
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
        formats: tuple[str, ...] = _FORMATS
        if operation == "fetch" and meta.name in _MEDIA:
            formats += _MEDIA[meta.name][1]
        for template in templates:
            regex = _regex(template, patterns, formats)
            out.append(Route(meta, operation, _METHODS[operation], template, regex))
    return out


def _regex(
    template: PathTemplate, patterns: dict[str, str], formats: tuple[str, ...]
) -> re.Pattern[str]:
    """A regex for concrete paths: each placeholder by its pattern, any of ``formats`` or none."""
    parts = _PLACEHOLDER.split(template.without_extension())
    out = []
    for i, part in enumerate(parts):
        out.append(f"(?P<{part}>{patterns.get(part, '[^/]+?')})" if i % 2 else re.escape(part))
    extensions = "|".join(re.escape(f) for f in formats)
    return re.compile("".join(out) + f"(?P<_format>{extensions})?" + r"\Z")


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
        extra = _EXTRA_VALUES.get((meta.name, name))
        if extra is not None:
            out[name] = f"{out[name]}|{re.escape(extra)}"
    return out
