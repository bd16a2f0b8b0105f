"""What happens to a record after its write: events on the sandbox clock and their handlers.

A behaviour registers each step of a lifecycle with :func:`on_event`::

    @on_event("ring")
    def ring(self, record: Record) -> None: ...

and schedules it with ``self.events.schedule(record, delay, "ring")``. The
event is stored (:class:`~twiliorm.sandbox.store.Event`) with its action's
name and arguments, and run when due on the record as it is then (a record
deleted meanwhile has nothing left to do). The names are kept in users'
``--db`` files, so a sandbox started on an old file replays its pending
events: a handler's name may change, its action's may not.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from .clock import Scheduler
from .store import Event, Record, Store

__all__ = ["Events", "Handler", "handlers_of", "on_event"]

#: a behaviour's method run on a record by an event: ``(record, **args)``
Handler = Callable[..., None]
_F = TypeVar("_F", bound=Callable[..., None])
_ACTION = "_sandbox_event_action"


def on_event(action: str) -> Callable[[_F], _F]:
    """Make a behaviour's method the handler of the stored event ``action``."""

    def register(method: _F) -> _F:
        setattr(method, _ACTION, action)
        return method

    return register


def handlers_of(cls: type) -> dict[str, Handler]:
    """The handlers ``cls`` has by action, its own over those it inherits."""
    found: dict[str, Handler] = {}
    for klass in reversed(cls.__mro__):
        for value in vars(klass).values():
            action = getattr(value, _ACTION, None)
            if isinstance(action, str):
                found[action] = value
    return found


class Events:
    """The events of one resource's records: scheduled on the clock, run when due.

    ``handlers`` are the behaviour's, bound to it (see :func:`handlers_of`).
    """

    def __init__(
        self, resource: str, scheduler: Scheduler, store: Store, handlers: Mapping[str, Handler]
    ) -> None:
        self.resource = resource
        self._scheduler = scheduler
        self._store = store
        self._handlers = dict(handlers)

    @classmethod
    def of(cls, owner: Any, resource: str, scheduler: Scheduler, store: Store) -> Events:
        """The events of ``owner``, a behaviour, with its handlers bound to it."""
        bound = {
            action: functools.partial(handler, owner)
            for action, handler in handlers_of(type(owner)).items()
        }
        return cls(resource, scheduler, store, bound)

    def schedule(self, record: Record, delay: float, action: str, **args: Any) -> None:
        """Run the handler of ``action`` on ``record`` after ``delay`` seconds of sandbox time."""
        if action not in self._handlers:
            raise LookupError(f"{self.resource} has no handler for the event {action!r}")
        event = Event(self.resource, record.account, record.parent, record.pk, action, args)
        self._scheduler.at(delay, event)

    def run(self, event: Event) -> None:
        """Run a due event on its record (gone records have nothing left to do)."""
        handler = self._handlers.get(event.action)
        if handler is None:
            raise LookupError(f"{self.resource} has no handler for the event {event.action!r}")
        record = self._store.get(self.resource, event.account, event.parent, event.pk)
        if record is not None:
            handler(record, **event.args)
