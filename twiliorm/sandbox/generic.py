"""Generic list, fetch, create, update and delete, driven by the declarations.

A :class:`Behaviour` answers one resource's operations from its ``_meta`` and
keeps its records in the store. It is composed of parts with one job each:

- ``payloads`` (:class:`~.payloads.PayloadBuilder`): which keys a payload
  has, its identity and its URIs;
- ``form`` (:class:`~.forms.FormReader`): which form params write which
  keys, as what, and which are required;
- ``filters`` (:class:`~.filters.ListFilter`): which query params filter
  which keys, as SQL, and what each record keeps for them;
- paging (:mod:`.pages`): Twilio's page tokens over the stored rows;
- ``events`` (:class:`~.lifecycle.Events`): the steps of a record's
  lifecycle on the sandbox clock, registered with ``@on_event``.

Resources with behaviour of their own (messages, calls, numbers, accounts...)
subclass it in :mod:`twiliorm.sandbox.behaviours` with ``@behaviour("Name")``
and override only what differs: the hooks around a write (``prepare``,
``after_create``, ``before_update``, ``after_update``, ``before_delete``), an
operation, or a part (``filter_class``). They reach the behaviours they work
with through ``self.app.behaviours`` (:class:`~.registry.Behaviours`), typed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from ..resource import Meta
from .errors import ApiError
from .filters import ListFilter
from .forms import FormReader
from .lifecycle import Events
from .pages import Fetch, Page, keyset_page, stored
from .payloads import PayloadBuilder, new_sid
from .render import Reply
from .store import Clause, Clauses, Record

if TYPE_CHECKING:
    from .app import App, Context

__all__ = ["Answered", "Behaviour", "Clauses", "behaviour", "behaviour_for", "new_sid"]

_STATUS = {"list": 200, "fetch": 200, "create": 201, "update": 200, "delete": 204}
#: resource name -> the Behaviour class that answers it (``@behaviour``)
_CLASSES: dict[str, type[Behaviour]] = {}


def behaviour(*names: str) -> Callable[[type[Behaviour]], type[Behaviour]]:
    """Register a Behaviour subclass for the resources ``names``."""

    def register(cls: type[Behaviour]) -> type[Behaviour]:
        for name in names:
            _CLASSES[name] = cls
        return cls

    return register


def behaviour_for(meta: Meta, app: App) -> Behaviour:
    return _CLASSES.get(meta.name, Behaviour)(meta, app)


class Behaviour:
    """How the sandbox answers one resource's operations (generic: from ``_meta``)."""

    #: list order: newest first, as Twilio lists messages and calls (False: oldest first)
    newest_first: ClassVar[bool] = True
    #: Twilio's own answer to a missing required param: param -> (code, message)
    missing_codes: ClassVar[dict[str, tuple[int, str]]] = {}
    #: HTTP statuses where Twilio differs from 201 on create, 200 on update: operation -> status
    statuses: ClassVar[dict[str, int]] = {}
    #: the lists' filters (a resource that filters in its own way gives a subclass)
    filter_class: ClassVar[type[ListFilter]] = ListFilter

    def __init__(self, meta: Meta, app: App) -> None:
        self.meta = meta
        self.app = app
        self.store = app.store
        self.name = meta.name
        self.payloads = PayloadBuilder(meta, app.now_rfc2822, app.models)
        self.form = FormReader(meta, self.missing_codes)
        self.filters = self.filter_class(meta)
        self.events = Events.of(self, self.name, app.scheduler, app.store)

    # --- where records live -----------------------------------------------------------

    def parent_of(self, params: Mapping[str, str]) -> str:
        """The parent key: the list path's parameters other than the account and choices."""
        names = [n for n in self.meta.path_names if n not in ("account_sid", self.meta.pk)]
        names = [n for n in names if n not in self.meta.choices]
        return "&".join(f"{n}={params[n]}" for n in names if n in params)

    def load(self, ctx: Context) -> Record:
        """The record an instance path names, or Twilio's 404."""
        pk = ctx.params.get(self.meta.pk or "", "")
        record = self.store.get(self.name, ctx.account, self.parent_of(ctx.params), pk)
        if record is None:
            raise ApiError.not_found(ctx.path)
        return record

    def parent_record(self, ctx: Context, resource: str, param: str) -> Record:
        """The record a path parameter names in the same account, or Twilio's 404."""
        record = self.store.get(resource, ctx.account, "", ctx.params.get(param, ""))
        if record is None:
            raise ApiError.not_found(ctx.path)
        return record

    def by_name(self, account: str, name: str, *where: Clause, **values: Any) -> Record:
        """The newest record of the account called ``name`` (and matching ``where``), or a
        new one made with ``values`` (a conference or a queue that TwiML names)."""
        named = ("json_extract(body, '$.friendly_name') = ?", (name,))
        found = self.store.children(
            self.name, account, "", [named, *where], limit=1, newest_first=True
        )
        return found[0] if found else self.make(account, friendly_name=name, **values)

    def make(self, account: str, params: Mapping[str, str] | None = None, **values: Any) -> Record:
        """Store a record the sandbox makes itself, under the parent the path ``params`` name."""
        return self.insert(account, params, self.payloads.build(account, params, **values))

    def insert(
        self, account: str, params: Mapping[str, str] | None, body: dict[str, Any]
    ) -> Record:
        """Store a finished payload under the parent the path ``params`` name."""
        parent = self.parent_of(params or {})
        pk = str(body.get(self.meta.pk or "sid") or new_sid("XX"))
        seq = self.store.insert(self.name, account, parent, pk, body, self.index(body))
        return Record(seq, self.name, account, parent, pk, body)

    def save(self, record: Record, body: dict[str, Any]) -> Record:
        return self.store.update(record, body, self.index(body))

    def save_new(self, ctx: Context, body: dict[str, Any]) -> Record:
        """Store the payload of a create, its URIs filled."""
        self.payloads.finish(ctx.account, body, ctx.params)
        return self.insert(ctx.account, ctx.params, body)

    def index(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """What a record keeps for list filters, beside its payload."""
        return self.filters.index(body)

    def state(self, record: Record) -> dict[str, Any]:
        """What this behaviour keeps about ``record`` beside its payload."""
        return self.store.state(self.name, record.pk) or {}

    def set_state(self, record: Record, value: dict[str, Any]) -> None:
        self.store.set_state(self.name, record.pk, value)

    # --- operations -------------------------------------------------------------------

    def list(self, ctx: Context) -> Page:
        where = self.filters.where(ctx)
        parent = self.parent_of(ctx.params)
        rows = stored(
            self.store, self.name, ctx.account, parent, where, newest_first=self.newest_first
        )
        return self.page(ctx, rows)

    def page(self, ctx: Context, fetch: Fetch) -> Page:
        """One page of a list (a subclass may reshape its items)."""
        return keyset_page(ctx, self.meta.key, fetch)

    def fetch(self, ctx: Context) -> dict[str, Any] | Reply:
        """A record's payload (or a whole answer of its own: a recording's audio)."""
        if self.meta.pk is None:
            return self.singleton(ctx)
        return self.load(ctx).body

    def singleton(self, ctx: Context) -> dict[str, Any] | Reply:
        """The answer of a resource with one instance per parent (a balance)."""
        raise ApiError.not_found(ctx.path)

    def create(self, ctx: Context) -> dict[str, Any]:
        body = self.payloads.blank(ctx.account, ctx.params, prefix=self.sid_prefix(ctx))
        self.form.apply(ctx, body, "create")
        self.form.check_required(ctx, "create")
        self.prepare(ctx, body)
        if ctx.test:
            self.payloads.finish(ctx.account, body, ctx.params)
            return body  # test credentials create nothing that can be read back
        record = self.save_new(ctx, body)
        self.after_create(ctx, record)
        return record.body

    def sid_prefix(self, ctx: Context) -> str:
        """The prefix of a new record's SID (a message with media is ``MM``)."""
        return self.payloads.default_prefix()

    def update(self, ctx: Context) -> dict[str, Any]:
        record = self.load(ctx)
        body = dict(record.body)
        self.form.apply(ctx, body, "update")
        self.before_update(ctx, record, body)
        if "date_updated" in body:
            body["date_updated"] = self.app.now_rfc2822()
        record = self.save(record, body)
        self.after_update(ctx, record)
        return record.body

    def delete(self, ctx: Context) -> None:
        record = self.load(ctx)
        self.before_delete(ctx, record)
        self.store.delete(record)

    def status_of(self, operation: str) -> int:
        return self.statuses.get(operation, _STATUS[operation])

    # --- hooks for subclasses, around a write -------------------------------------------

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        """Adjust a new payload before it is stored (validate, fill derived values)."""

    def after_create(self, ctx: Context, record: Record) -> None:
        """Schedule what follows a create (lifecycles, callbacks)."""

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        """Validate or adjust an update before it is stored."""

    def after_update(self, ctx: Context, record: Record) -> None:
        """React to an update (a call redirected, a participant muted)."""

    def before_delete(self, ctx: Context, record: Record) -> None:
        """Refuse or prepare a delete."""


class Answered(Behaviour):
    """A create that is answered, not kept: nothing can read it back later."""

    def save_new(self, ctx: Context, body: dict[str, Any]) -> Record:
        if "sid" in body and body["sid"] is None:
            body["sid"] = new_sid(self.sid_prefix(ctx))
        self.payloads.finish(ctx.account, body, ctx.params)
        return Record(0, self.name, ctx.account, "", "", body)
