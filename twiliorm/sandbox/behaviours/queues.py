"""Queues and their members.

A call enters a queue by name with TwiML ``<Enqueue>`` (the queue is made if
there is none); it waits as a member, at a position, until it is dequeued
(``POST .../Members/{CallSid}.json`` with a new ``Url``), hangs up, or is
redirected. Queue sizes and average waits follow their members.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from ..errors import ApiError
from ..generic import Behaviour, Page, behaviour
from ..store import Record

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["Members", "Queues"]


@behaviour("Queue")
class Queues(Behaviour):
    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        body.update(current_size=0, average_wait_time=0, max_size=body.get("max_size") or 100)

    def by_name(self, account: str, name: str) -> Record:
        rows = self.store.page(
            self.name,
            account,
            "",
            [("json_extract(body, '$.friendly_name') = ?", (name,))],
            before=None,
            limit=1,
        )
        if rows:
            found = self.store.get(self.name, account, "", json.loads(rows[0][1])["sid"])
            assert found is not None
            return found
        return self.make(
            account, friendly_name=name, current_size=0, average_wait_time=0, max_size=100
        )

    def resize(self, account: str, queue_sid: str) -> None:
        queue = self.store.get(self.name, account, "", queue_sid)
        if queue is None:
            return
        members = [
            m for m in self.store.all("Member", account) if m.parent == f"queue_sid={queue_sid}"
        ]
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
    newest_first = False

    def enqueue(self, call: Record, name: str) -> Record:
        queues = cast("Queues", self.app.behaviours["Queue"])
        queue = queues.by_name(call.account, name)
        parent = f"queue_sid={queue.pk}"
        position = 1 + len(
            [m for m in self.store.all(self.name, call.account) if m.parent == parent]
        )
        if position > int(queue.body.get("max_size") or 100):
            raise ApiError(400, 30001, f"Queue {name} is full")
        now = self.app.now_rfc2822()
        body = {
            "call_sid": call.pk,
            "date_enqueued": now,
            "position": position,
            "wait_time": 0,
            "queue_sid": queue.pk,
            "uri": f"/2010-04-01/Accounts/{call.account}/Queues/{queue.pk}/Members/{call.pk}.json",
        }
        seq = self.store.insert(self.name, call.account, parent, call.pk, body, self.index(body))
        queues.resize(call.account, queue.pk)
        return Record(seq, self.name, call.account, parent, call.pk, body)

    def waited(self, body: dict[str, Any]) -> dict[str, Any]:
        """A member's payload with its wait so far (Twilio counts it up while it waits)."""
        return dict(body, wait_time=self.app.seconds_since(body["date_enqueued"]))

    def page(self, ctx: Context, fetch: Any) -> Page:
        found = super().page(ctx, fetch)
        items = [json.dumps(self.waited(json.loads(item))) for item in found.items]
        return Page(found.key, items, found.meta)

    def fetch(self, ctx: Context) -> dict[str, Any]:
        return self.waited(self.load(ctx).body)

    def load(self, ctx: Context) -> Record:
        """A member by its call SID, or ``Front``: the call waiting longest."""
        if ctx.params.get("call_sid") != "Front":
            return super().load(ctx)
        rows = self.store.page(
            self.name, ctx.account, self.parent_of(ctx.params), [], before=None, after=0, limit=1
        )
        if not rows:
            raise ApiError.not_found(ctx.path)
        record = self.store.get(
            self.name, ctx.account, self.parent_of(ctx.params), _call_sid(rows[0][1])
        )
        if record is None:
            raise ApiError.not_found(ctx.path)
        return record

    def update(self, ctx: Context) -> dict[str, Any]:
        """Dequeue: the call leaves the queue and follows the new Url (it talks, then ends)."""
        record = self.load(ctx)
        self.check_required(ctx, "update")
        self.leave(record.pk)
        call = self.store.find("Call", record.pk)
        if call is not None:
            calls = self.app.behaviours["Call"]
            calls.schedule(call, self.app.settings.call_delays[2], "finish")
        return dict(record.body)

    def leave(self, call_sid: str) -> bool:
        record = self.store.find(self.name, call_sid)
        if record is None:
            return False
        self.store.delete(record)
        queues = cast("Queues", self.app.behaviours["Queue"])
        queue_sid = record.parent.partition("=")[2]
        for position, member in enumerate(
            sorted(
                (m for m in self.store.all(self.name, record.account) if m.parent == record.parent),
                key=lambda m: m.seq,
            ),
            start=1,
        ):
            self.save(member, dict(member.body, position=position))
        queues.resize(record.account, queue_sid)
        return True


def _call_sid(body_text: str) -> str:
    return str(json.loads(body_text)["call_sid"])
