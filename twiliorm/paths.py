"""Path templates: the official 2010-04-01 paths with snake_case placeholders.

``/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json`` is filled from
validated values only: a SID must have a SID's shape, other values are
limited to letters, digits and ``._-``, and everything is percent-encoded,
so no input can change which resource a request reaches.
"""

from __future__ import annotations

import operator
import re
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

from .exceptions import ValidationError

__all__ = ["PathTemplate", "check_path_value"]

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_SID = re.compile(r"[A-Z]{2}[0-9a-fA-F]{32}\Z")
_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}\Z")
_SAFE = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}\Z")
_COUNTRY = re.compile(r"[A-Z]{2}\Z")


def check_path_value(name: str, value: Any, pattern: re.Pattern[str] | None = None) -> str:
    """Refuse a value that does not have the shape of path parameter ``name``."""
    sid = getattr(value, "pk", None)
    if sid is not None and not isinstance(value, str):
        value = sid
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be text, got {value!r}")
    if pattern is None:
        if name == "account_sid":
            pattern = _ACCOUNT_SID
        elif name == "sid" or name.endswith("_sid"):
            pattern = _SID
        elif name == "country_code":
            pattern = _COUNTRY
        else:
            pattern = _SAFE
    if not pattern.match(value):
        shape = "AC + 32 hex digits" if pattern is _ACCOUNT_SID else _describe(pattern)
        raise ValidationError(f"{name} has the wrong shape ({shape}): {value!r}")
    return value


def _describe(pattern: re.Pattern[str]) -> str:
    if pattern is _SID:
        return "two capital letters + 32 hex digits"
    if pattern is _SAFE:
        return "letters, digits, '.', '_' or '-'"
    if pattern is _COUNTRY:
        return "an ISO country code such as 'US'"
    return f"matching {pattern.pattern}"


_PLAIN = re.compile(r"[A-Za-z0-9._-]*\Z")


def _quoted(value: str) -> str:
    return value if _PLAIN.match(value) else urllib.parse.quote(value, safe="")


class PathTemplate(str):
    """One path of the API, e.g. ``/2010-04-01/Accounts/{account_sid}/Calls/{sid}.json``.

    It is the template string itself (so it compares equal to the spec's path
    with snake_case placeholders), with the operations a path needs.
    """

    names: tuple[str, ...]
    _printf: str
    _values: Callable[[Mapping[str, str]], tuple[str, ...]]

    def __new__(cls, template: str) -> PathTemplate:
        self = super().__new__(cls, template)
        self.names = tuple(_PLACEHOLDER.findall(template))
        # "{name}" -> "%s", a literal "%" doubled: printf-style formatting takes about a
        # quarter of str.format's time (every fetch fills a path).
        parts = _PLACEHOLDER.split(template)
        self._printf = "".join(
            "%s" if i % 2 else part.replace("%", "%%") for i, part in enumerate(parts)
        )
        if len(self.names) > 1:  # the values' tuple, in the placeholders' order
            self._values = operator.itemgetter(*self.names)
        return self

    @property
    def template(self) -> str:
        return str.__str__(self)

    def fill(self, values: Mapping[str, str]) -> str:
        """The path with each placeholder replaced by its (already checked) value.

        Values are percent-encoded as well, unless they are plain (letters,
        digits, ``._-``), which every checked SID and code is. A KeyError names
        a placeholder that ``values`` does not give.
        """
        names = self.names
        texts = self._values(values) if len(names) > 1 else tuple([values[n] for n in names])
        joined = "".join(texts)
        # Checked SIDs are ASCII letters and digits: then there is nothing to encode (this
        # test is a third of a regular expression's cost).
        if not (joined.isalnum() and joined.isascii()):
            texts = tuple([_quoted(text) for text in texts])
        return self._printf % texts

    def missing(self, values: Mapping[str, Any]) -> list[str]:
        """Placeholders that ``values`` does not give."""
        return [name for name in self.names if values.get(name) is None]

    def regex(self, patterns: Mapping[str, str]) -> re.Pattern[str]:
        """A regex matching concrete paths; each placeholder uses ``patterns`` or a segment.

        The ``.json`` extension may also be ``.csv``, ``.xml`` or absent (the XML form).
        """
        parts = _PLACEHOLDER.split(self)
        out = []
        for i, part in enumerate(parts):
            if i % 2:
                out.append(f"(?P<{part}>{patterns.get(part, '[^/]+?')})")
            else:
                out.append(re.escape(part))
        pattern = "".join(out).replace(r"\.json", r"(?P<_format>\.json|\.csv|\.xml)?")
        return re.compile(pattern + r"\Z")

    def without_extension(self) -> str:
        return self[: -len(".json")] if self.endswith(".json") else str(self)
