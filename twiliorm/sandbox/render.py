"""Rendering answers as Twilio does: JSON (``.json``), CSV (``.csv``) and XML (no extension).

JSON pages are assembled from the stored payload texts without parsing them.
XML wraps everything in ``<TwilioResponse>``, with CamelCase element names
(``<DateCreated>``) and errors as ``<RestException>``; it is well-formed
whatever the values hold: characters XML 1.0 cannot carry (control
characters in a message body) are dropped, and a key that is no XML name
(one a user chose, inside a JSON parameter) has its other characters
replaced by ``_``. CSV has one row per record and the payload keys as its
header.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import attrs

from ..fields import camel
from ..resource import Meta
from .errors import ApiError
from .pages import Page

__all__ = ["Reply", "answer", "created_sid", "error"]

_JSON = "application/json; charset=utf-8"
_XML = "application/xml; charset=utf-8"
_CSV = "text/csv; charset=utf-8"
#: what XML 1.0 cannot hold, even escaped: most control characters, lone surrogates
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_NAME = re.compile(r"[^A-Za-z0-9_.-]")


@attrs.frozen
class Reply:
    """An answer to send: status, headers, body."""

    status: int
    headers: dict[str, str]
    body: bytes


def _headers(content_type: str, request_id: str) -> dict[str, str]:
    return {"Content-Type": content_type, "Twilio-Request-Id": request_id}


def answer(
    result: Page | dict[str, Any] | None, status: int, fmt: str, rid: str, meta: Meta
) -> Reply:
    if result is None:
        return Reply(status, {"Twilio-Request-Id": rid}, b"")
    if fmt == "csv":
        rows = [json.loads(i) for i in result.items] if isinstance(result, Page) else [result]
        return Reply(status, _headers(_CSV, rid), _csv(rows, meta))
    if fmt == "xml":
        return Reply(status, _headers(_XML, rid), _xml_answer(result, meta))
    body = result.json() if isinstance(result, Page) else json.dumps(result).encode()
    return Reply(status, _headers(_JSON, rid), body)


def error(exc: ApiError, fmt: str, rid: str) -> Reply:
    headers = {**_headers(_XML if fmt == "xml" else _JSON, rid), **exc.headers}
    if fmt == "xml":
        inner = "".join(_element(camel(k), v) for k, v in exc.body().items())
        body = f"<TwilioResponse><RestException>{inner}</RestException></TwilioResponse>"
        return Reply(exc.status, headers, body.encode())
    return Reply(exc.status, headers, json.dumps(exc.body()).encode())


def created_sid(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    sid = data.get("sid") if isinstance(data, dict) else None
    return sid if isinstance(sid, str) else None


def _csv(rows: list[dict[str, Any]], meta: Meta) -> bytes:
    keys = [s.key for s in meta.payload_fields if s.key]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(keys)
    for row in rows:
        writer.writerow([_csv_value(row.get(k)) for k in keys])
    return out.getvalue().encode()


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _xml_answer(result: Page | dict[str, Any], meta: Meta) -> bytes:
    if isinstance(result, Page):
        attributes = "".join(
            f" {k.replace('_', '')}={quoteattr(_text('' if v is None else str(v)))}"
            for k, v in result.meta.items()
        )
        items = "".join(_element(meta.name, json.loads(i)) for i in result.items)
        inner = f"<{camel(result.key)}{attributes}>{items}</{camel(result.key)}>"
    else:
        inner = _element(meta.name, result)
    return f"<TwilioResponse>{inner}</TwilioResponse>".encode()


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _name(key: str) -> str:
    """A key as an XML element name (the API's own keys are names already)."""
    name = _NOT_NAME.sub("_", key)
    return name if name[:1].isalpha() or name[:1] == "_" else f"_{name}"


def _element(name: str, value: Any) -> str:
    name = _name(name)
    if value is None:
        return f"<{name}/>"
    if isinstance(value, dict):
        inner = "".join(_element(camel(str(k)), v) for k, v in value.items())
        return f"<{name}>{inner}</{name}>"
    if isinstance(value, list):
        return f"<{name}>{''.join(_element(name.rstrip('s') or name, v) for v in value)}</{name}>"
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"<{name}>{escape(_text(str(value)))}</{name}>"
