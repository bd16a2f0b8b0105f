"""Reading only the keys a bulk read needs of each record of a list page.

An export of some columns reads a few keys of each record; parsing every key
of 100,000 records (and the nested objects: ``subresource_uris``) was most of
a partitioned export's CPU, and the many dicts it made kept Python's cyclic
garbage collector busy. With msgspec installed (``twiliorm[fast]``),
:func:`page_decoder` decodes a list page into records of just the keys asked
for: no other value is made, and records of plain values (text, numbers,
null) are dicts the collector never looks at. A key a record does not have
stays absent, as it is in the payload.

Whatever the decoder cannot read as the list page it expects (not JSON, not
an object, no list of objects under the list's key, a number too large) it
leaves to the full parse (:meth:`~twiliorm.transport.Response.json`), which
gives the answer or the error it always gave: the decoder only makes a page
the full parse would have made, with fewer keys. Without msgspec there is no
decoder and pages are parsed whole. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypedDict

_TypedDict: Any = TypedDict  # made at run time, with the keys asked for

__all__ = ["PageDecoder", "page_decoder"]

#: a list page's body to the page (its records with the keys asked for, and its next link)
PageDecoder = Callable[[bytes], dict[str, Any]]

try:  # optional: ``twiliorm[fast]``
    import msgspec
except ImportError:  # pragma: no cover - exercised when msgspec is absent
    _HAVE_MSGSPEC = False
else:
    _HAVE_MSGSPEC = True


def page_decoder(list_key: str, keys: Iterable[str]) -> PageDecoder | None:
    """How to decode a page of the list ``list_key`` keeping ``keys`` of each record and
    the page's ``next_page_uri``; None when msgspec is not installed. The decoder raises
    ValueError for a body it cannot read as such a page (parse it whole then)."""
    if not _HAVE_MSGSPEC:
        return None
    # A record is a dict of the keys asked for that it has (not total: one it lacks stays
    # absent); msgspec skips the others without making their values.
    record = _TypedDict("Record", {key: Any for key in sorted(set(keys))}, total=False)
    page = msgspec.defstruct(
        "Page",
        [("records", list[record]), ("next", Any, msgspec.UNSET)],  # type: ignore[valid-type]
        rename={"records": list_key, "next": "next_page_uri"},
        gc=False,
    )
    decoder = msgspec.json.Decoder(page)
    failure = msgspec.MsgspecError

    def decode(body: bytes) -> dict[str, Any]:
        try:
            read: Any = decoder.decode(body)
        except failure as exc:
            raise ValueError(str(exc)) from None
        data = {list_key: read.records}
        if read.next is not msgspec.UNSET:
            data["next_page_uri"] = read.next
        return data

    return decode
