"""Call queues and their members."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from .. import fields
from ..resource import Resource, related, resource
from .common import HttpMethod

__all__ = [
    "Member",
    "Queue",
]


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Queues.json",
    operations="list fetch create update delete",
)
class Queue(Resource):
    """A queue of calls waiting (TwiML ``<Enqueue>``); ``queue.members`` are the calls."""

    members: ClassVar[related[Member]] = related("Member")

    date_updated: datetime | None = fields.rfc2822()
    current_size: int | None = fields.integer()
    friendly_name: str | None = fields.string(writable=True, required="create")
    uri: str | None = fields.string()
    account_sid: str | None = fields.sid("AC")
    average_wait_time: int | None = fields.integer()
    sid: str | None = fields.sid("QU")
    date_created: datetime | None = fields.rfc2822()
    max_size: int | None = fields.integer(writable=True)


@resource(
    path="/2010-04-01/Accounts/{account_sid}/Queues/{queue_sid}/Members.json",
    operations="list fetch update",
    key="queue_members",
    instance_path="/2010-04-01/Accounts/{account_sid}/Queues/{queue_sid}/Members/{call_sid}.json",
    ordering="position",  # the call at the front of the queue first
)
class Member(Resource):
    """A call waiting in a queue: ``queue.members``; ``dequeue(url)`` takes it out."""

    call_sid: str | None = fields.sid("CA")
    date_enqueued: datetime | None = fields.rfc2822()
    position: int | None = fields.integer()
    uri: str | None = fields.string()
    wait_time: int | None = fields.integer()
    queue_sid: str | None = fields.sid("QU")

    # write-only parameters
    url: str | None = fields.param(fields.URI, writable="update", required="update")
    method: HttpMethod | str | None = fields.param(fields.enum_kind(HttpMethod), writable="update")

    def dequeue(self, url: str, method: HttpMethod | str | None = None) -> Member:
        """Take this call out of the queue to the TwiML at ``url`` (fetched with ``method``)."""
        if method is None:
            return self.update(url=url)
        return self.update(url=url, method=method)
