"""Queues and their members.

A call enters a queue by name with TwiML ``<Enqueue>`` (the queue is made if
there is none); it waits as a member, at a position, until it is dequeued
(``POST .../Members/{CallSid}.json`` with a new ``Url``), hangs up, or is
redirected. Members are listed by position, the call waiting longest first,
as Twilio lists them. Queue sizes and average waits follow their members.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..generic import Behaviour, behaviour
from ..pages import Fetch, Page
from ..store import Record

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["Members", "Queues"]

#: what a new queue starts with, whether made over the API or by ``<Enqueue>``
_EMPTY = {"current_size": 0, "average_wait_time": 0}
_MAX_SIZE = 100


@behaviour("Queue")
class Queues(Behaviour):
    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        body.update(_EMPTY, max_size=body.get("max_size") or _MAX_SIZE)

    def named(self, account: str, name: str) -> Record:
        """The queue called ``name``, made if there is none (as ``<Enqueue>`` does)."""
        return self.by_name(account, name, **_EMPTY, max_size=_MAX_SIZE)

    def resize(self, account: str, queue_sid: str) -> None:
        queue = self.store.get(self.name, account, "", queue_sid)
        if queue is None:
            return
        members = self.store.children("Member", account, f"queue_sid={queue_sid}")
        waits = [int(m.body.get("wait_time") or 0) for m in members]
        body = dict(
            queue.body,
            current_size=len(members),
            average_wait_time=sum(waits) // len(waits) if waits else 0,
            date_updated=self.app.now_rfc2822(),
        )
        self.save(queue, body)


@behaviour("Member")
class Members(Behaviour):
    newest_first = False  # by position: the call at the front first

    def enqueue(self, call: Record, name: str) -> Record:
        queues = self.app.behaviours.queues
        queue = queues.named(call.account, name)
        where = {"queue_sid": queue.pk}
        position = 1 + len(self.store.children(self.name, call.account, self.parent_of(where)))
        if position > int(queue.body.get("max_size") or _MAX_SIZE):
            raise ApiError(400, 30001, f"Queue {name} is full")
        now = self.app.now_rfc2822()
        member = self.make(
            call.account, where, call_sid=call.pk, date_enqueued=now, position=position, wait_time=0
        )
        queues.resize(call.account, queue.pk)
        return member

    def waited(self, body: dict[str, Any]) -> dict[str, Any]:
        """A member's payload with its wait so far (Twilio counts it up while it waits)."""
        return dict(body, wait_time=self.app.seconds_since(body["date_enqueued"]))

    def page(self, ctx: Context, fetch: Fetch) -> Page:
        found = super().page(ctx, fetch)
        items = [json.dumps(self.waited(json.loads(item))) for item in found.items]
        return Page(found.key, items, found.meta)

    def fetch(self, ctx: Context) -> dict[str, Any]:
        return self.waited(self.load(ctx).body)

    def load(self, ctx: Context) -> Record:
        """A member by its call SID, or ``Front``: the call waiting longest."""
        if ctx.params.get("call_sid") != "Front":
            return super().load(ctx)
        front = self.store.children(self.name, ctx.account, self.parent_of(ctx.params), limit=1)
        if not front:
            raise ApiError.not_found(ctx.path)
        return front[0]

    def update(self, ctx: Context) -> dict[str, Any]:
        """Dequeue: the call leaves the queue and follows the new Url (it talks, then ends)."""
        record = self.load(ctx)
        self.form.check_required(ctx, "update")
        self.leave(record.pk)
        call = self.store.find("Call", record.pk)
        if call is not None:
            self.app.behaviours.calls.talk(call)
        return dict(record.body)

    def leave(self, call_sid: str) -> bool:
        record = self.store.find(self.name, call_sid)
        if record is None:
            return False
        self.store.delete(record)
        for position, member in enumerate(
            self.store.children(self.name, record.account, record.parent), start=1
        ):
            self.save(member, dict(member.body, position=position))
        self.app.behaviours.queues.resize(record.account, record.parent.partition("=")[2])
        return True
