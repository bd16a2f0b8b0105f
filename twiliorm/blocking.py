"""Making a blocked event loop visible: the sync API used inside a running loop warns.

A sync request (urllib3) made from a thread that is running an asyncio event
loop stops that loop until the answer comes: every other task of the
application waits. Django raises ``SynchronousOnlyOperation`` there; twiliorm
emits a :class:`~twiliorm.exceptions.SyncInAsyncWarning` instead, pointing at
the caller's line and naming the method to await (``await qs.acount()``).
Turn it into an error with the warnings filter
(``warnings.simplefilter("error", twiliorm.SyncInAsyncWarning)``).

Sync calls from a thread without a running loop (``asyncio.to_thread``,
Django's ``sync_to_async``, a thread pool) are what they should be and stay
silent. The check costs one ``asyncio.get_running_loop()`` a request.
"""

from __future__ import annotations

import asyncio
import sys
import warnings
from types import FrameType

from .exceptions import SyncInAsyncWarning

__all__ = ["warn_if_blocking_a_loop"]

#: sync methods whose async counterpart is not their name with an ``a`` before it
_INSTEAD = {
    "__iter__": "async for obj in qs",
    "__len__": "await qs.acount()",
    "__bool__": "await qs.aexists()",
    "__getitem__": "await qs[i:j].afirst(), or async for obj in qs[i:j]",
    "iterator": "async for obj in qs.aiterator()",
    "pages": "async for page in qs.apages()",
    "refresh": "await obj.arefresh_from_db()",
    "refresh_from_api": "await obj.arefresh_from_db()",
}


def warn_if_blocking_a_loop() -> None:
    """Warn when the calling thread runs an event loop (see the module docstring)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return  # the common case: no loop in this thread, nothing is blocked
    owner, method, level = _entry_point(sys._getframe(1))
    called = f"{type(owner).__name__}.{method}()" if owner is not None else "a twiliorm call"
    warnings.warn(
        f"{called} sent a request from inside a running event loop and blocked it until the "
        f"answer came: use {_instead(owner, method)} (twiliorm's async API, docs/async.rst)",
        SyncInAsyncWarning,
        stacklevel=level + 1,
    )


def _entry_point(frame: FrameType) -> tuple[object | None, str, int]:
    """The object and method of the outermost twiliorm method the caller called
    (a QuerySet and ``count``; a manager's proxy is passed through to its QuerySet),
    and the ``stacklevel`` of the caller's own line, counted from ``frame``'s caller."""
    owner: object | None = None
    method, level = "", 1
    while frame.f_back is not None and _in_twiliorm(frame):
        candidate = frame.f_locals.get("self")
        if candidate is not None and not hasattr(candidate, "get_queryset"):  # not a manager
            owner, method = candidate, frame.f_code.co_name
        frame, level = frame.f_back, level + 1
    return owner, method, level


def _in_twiliorm(frame: FrameType) -> bool:
    name = str(frame.f_globals.get("__name__", ""))
    return name == "twiliorm" or name.startswith("twiliorm.")


def _instead(owner: object | None, method: str) -> str:
    """``await qs.acount()`` for ``QuerySet.count``; the async API in general otherwise."""
    if method in _INSTEAD:
        return _INSTEAD[method]
    receiver = "qs" if hasattr(owner, "query") else "obj"
    if hasattr(type(owner), f"a{method}"):
        return f"await {receiver}.a{method}()"
    return "the a-prefixed async method"
