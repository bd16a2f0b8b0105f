"""Reading a list page by page: follow ``next_page_uri`` until the slice or the data ends.

Twilio's page-number windows shift when records arrive while paging, so the
pager follows the ``next_page_uri`` each page gives (it carries a
``PageToken``) and never counts pages itself. While the caller works through
one page, the next one can already be on its way (``prefetch``); that is
skipped when the records still wanted all fit in the current page.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from .exceptions import DecodeError

if TYPE_CHECKING:
    from .client import Client
    from .plan import Plan

__all__ = ["iter_pages"]


def iter_pages(
    client: Client,
    plan: Plan,
    key: str,
    *,
    wanted: int | None = None,
    prefetch: bool = False,
) -> Iterator[list[Mapping[str, Any]]]:
    """Yield the raw records of each page of ``plan``'s list, in order.

    ``wanted`` is how many raw records the caller may still take (None: all);
    the pager stops asking once that many have been read.
    """
    url: str | None = plan.url
    pending: Future[Any] | None = None
    seen = 0
    try:
        while url is not None:
            data = pending.result() if pending is not None else client.get_json(url)
            pending = None
            items = _items(data, key, url)
            seen += len(items)
            url = data.get("next_page_uri") or None
            if wanted is not None and seen >= wanted:
                url = None
            if url is not None and prefetch:
                pending = client.executor().submit(client.get_json, url)
            yield items
    finally:
        if pending is not None:
            pending.cancel()


def _items(data: Any, key: str, url: str) -> list[Mapping[str, Any]]:
    if not isinstance(data, dict):
        raise DecodeError(f"GET {url.split('?')[0]}: a list page must be a JSON object")
    items = data.get(key)
    if not isinstance(items, list):
        raise DecodeError(f"GET {url.split('?')[0]}: the page has no {key!r} list")
    return items
