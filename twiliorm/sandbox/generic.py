"""Generic list, fetch, create, update and delete, driven by the declarations.

A :class:`Behaviour` answers one resource's operations from its ``_meta``:
which fields a payload has, which form params write which fields, which
query params filter which fields, and Twilio's paging. Resources with
behaviour of their own (messages, calls, numbers, accounts...) subclass it
in :mod:`twiliorm.sandbox.behaviours` and override only what differs.
"""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from .. import dates
from ..fields import FieldSpec
from ..paths import PathTemplate
from ..resource import Meta, related
from .errors import ApiError, bad_param, missing_param
from .pages import Fetch, Page, Rows, links, paging, token_seq
from .params import check_number, parse_day, parse_int
from .store import Event, Record

if TYPE_CHECKING:
    from .app import App, Context

__all__ = ["Answered", "Behaviour", "Clauses", "behaviour", "behaviour_for", "new_sid"]

_DAY_KINDS = ("rfc2822", "date", "datetime")
_STATUS = {"list": 200, "fetch": 200, "create": 201, "update": 200, "delete": 204}
_REGISTRY: dict[str, type[Behaviour]] = {}

#: SQL clauses with their arguments. Named here because Behaviour has a ``list``
#: operation, which hides the builtin inside the class.
Clauses = list[tuple[str, Sequence[Any]]]
#: (attribute, fixed path values, parent placeholder, list paths) of a parent's children
Children = list[tuple[str, dict[str, str], str, list[PathTemplate]]]
#: (attribute, fixed path values, parent placeholder, the path to fill) of a parent's children
ChildPaths = list[tuple[str, dict[str, str], str, str]]


def behaviour(*names: str) -> Callable[[type[Behaviour]], type[Behaviour]]:
    """Register a Behaviour subclass for the resources ``names``."""

    def register(cls: type[Behaviour]) -> type[Behaviour]:
        for name in names:
            _REGISTRY[name] = cls
        return cls

    return register


def behaviour_for(meta: Meta, app: App) -> Behaviour:
    return _REGISTRY.get(meta.name, Behaviour)(meta, app)


def new_sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


class Behaviour:
    """How the sandbox answers one resource's operations (generic: from ``_meta``)."""

    #: list order: newest first, as Twilio lists messages and calls (False: oldest first)
    newest_first: ClassVar[bool] = True
    #: Twilio's own answer to a missing required param: param -> (code, message)
    missing_codes: ClassVar[dict[str, tuple[int, str]]] = {}
    #: HTTP statuses where Twilio differs from 201 on create, 200 on update: operation -> status
    statuses: ClassVar[dict[str, int]] = {}

    def __init__(self, meta: Meta, app: App) -> None:
        self.meta = meta
        self.app = app
        self.store = app.store
        self.name = meta.name
        self._child_path_cache: dict[frozenset[str], ChildPaths] = {}

    # --- where records live -----------------------------------------------------

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

    def by_name(
        self, account: str, name: str, *where: tuple[str, Sequence[Any]], **values: Any
    ) -> Record:
        """The newest record of the account called ``name`` (and matching ``where``), or a
        new one made with ``values`` (a conference or a queue that TwiML names)."""
        named = ("json_extract(body, '$.friendly_name') = ?", (name,))
        found = self.store.children(
            self.name, account, "", [named, *where], limit=1, newest_first=True
        )
        return found[0] if found else self.make(account, friendly_name=name, **values)

    def status_of(self, operation: str) -> int:
        return self.statuses.get(operation, _STATUS[operation])

    # --- operations -------------------------------------------------------------------

    def list(self, ctx: Context) -> Page:
        fetch = self.fetcher(self.name, ctx.account, self.parent_of(ctx.params), self.where(ctx))
        return self.page(ctx, fetch)

    def fetcher(
        self, resource: str, accounts: str | Sequence[str], parent: str, where: Clauses
    ) -> Fetch:
        """Pages of stored records, in this behaviour's list order."""

        def fetch(following: int | None, preceding: int | None, limit: int) -> Rows:
            return self.store.page(
                resource,
                accounts,
                parent,
                where,
                following=following,
                preceding=preceding,
                limit=limit,
                newest_first=self.newest_first,
            )

        return fetch

    def fetch(self, ctx: Context) -> dict[str, Any]:
        if self.meta.pk is None:
            return self.singleton(ctx)
        return self.load(ctx).body

    def singleton(self, ctx: Context) -> dict[str, Any]:
        raise ApiError.not_found(ctx.path)

    def create(self, ctx: Context) -> dict[str, Any]:
        body = self.new_payload(ctx)
        self.apply_form(ctx, body, "create")
        self.check_required(ctx, "create")
        self.prepare(ctx, body)
        if ctx.test:
            self.finish_payload(ctx, body)
            return body  # test credentials create nothing that can be read back
        record = self.save_new(ctx, body)
        self.after_create(ctx, record)
        return record.body

    def update(self, ctx: Context) -> dict[str, Any]:
        record = self.load(ctx)
        body = dict(record.body)
        self.apply_form(ctx, body, "update")
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

    # --- hooks for subclasses -------------------------------------------------------

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

    # --- payloads ---------------------------------------------------------------------

    def new_payload(self, ctx: Context) -> dict[str, Any]:
        return self.blank(ctx.account, ctx.params, prefix=self.sid_prefix(ctx))

    def blank(
        self,
        account: str,
        params: Mapping[str, str] | None = None,
        *,
        prefix: str | None = None,
        made: tuple[str | None, str | None] = (None, None),
    ) -> dict[str, Any]:
        """A new payload: every key null, then the identity, the account, the dates, the
        API version and the path parameters that are fields of the resource.

        ``made``: the SID and creation date when the caller has them already (seeding
        makes its own), so neither is made for nothing.
        """
        meta = self.meta
        body: dict[str, Any] = dict.fromkeys(self._payload_keys)
        sid, now = made[0], made[1] or self.app.now_rfc2822()
        if meta.pk == "sid" and "sid" in body:
            body["sid"] = sid or new_sid(prefix or self.default_prefix())
        for name, value in (params or {}).items():
            spec = meta.fields.get(meta.path_attrs.get(name, name))
            if spec is not None and spec.key in body:
                body[spec.key] = value
        fixed = {"account_sid": account, "date_created": now, "date_updated": now}
        fixed["api_version"] = "2010-04-01"
        body.update({key: fixed[key] for key in self._fixed_keys})
        return body

    @functools.cached_property
    def _payload_keys(self) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.meta.payload_fields if spec.key)

    @functools.cached_property
    def _fixed_keys(self) -> tuple[str, ...]:
        """The keys every new payload fills the same way, of those this payload has."""
        fixed = ("account_sid", "date_created", "date_updated", "api_version")
        return tuple(key for key in fixed if key in self._payload_keys)

    def build(
        self, account: str, params: Mapping[str, str] | None = None, **values: Any
    ) -> dict[str, Any]:
        """The payload of a record the sandbox makes itself (no request): :meth:`blank`,
        then ``values``, then ``uri`` and ``subresource_uris``."""
        body = self.blank(account, params, made=(values.get("sid"), values.get("date_created")))
        body.update(values)
        self.finish_payload_for(account, body, params)
        return body

    def make(self, account: str, params: Mapping[str, str] | None = None, **values: Any) -> Record:
        """Store a record the sandbox makes itself: :meth:`build`, under the parent ``params``."""
        return self.insert(account, params, self.build(account, params, **values))

    def insert(
        self, account: str, params: Mapping[str, str] | None, body: dict[str, Any]
    ) -> Record:
        """Store a finished payload under the parent the path ``params`` name."""
        parent = self.parent_of(params or {})
        pk = str(body.get(self.meta.pk or "sid") or new_sid("XX"))
        seq = self.store.insert(self.name, account, parent, pk, body, self.index(body))
        return Record(seq, self.name, account, parent, pk, body)

    def sid_prefix(self, ctx: Context) -> str:
        return self.default_prefix()

    def default_prefix(self) -> str:
        spec = self.meta.fields.get("sid")
        prefixes = getattr(spec.kind, "prefixes", ()) if spec else ()
        return prefixes[0] if prefixes else "XX"

    def finish_payload(self, ctx: Context, body: dict[str, Any]) -> None:
        """Fill ``uri`` and ``subresource_uris`` once the identity is known."""
        self.finish_payload_for(ctx.account, body, ctx.params)

    def finish_payload_for(
        self, account: str, body: dict[str, Any], params: Mapping[str, str] | None = None
    ) -> None:
        """``uri`` and ``subresource_uris`` from the account, the path and the identity."""
        values = {**(params or {}), "account_sid": account}
        if self.meta.pk and self.meta.pk in body:
            values[self.meta.pk] = body[self.meta.pk]
        path = self.meta.instance_path
        if "uri" in body and path is not None and not path.missing(values):
            body["uri"] = path.fill(values)
        if "subresource_uris" in body:
            body["subresource_uris"] = self.subresource_uris(values, body)

    def subresource_uris(
        self, values: dict[str, str], body: dict[str, Any]
    ) -> dict[str, str] | None:
        """The list paths of this record's children, from the parent's ``related`` views."""
        pk = str(body.get(self.meta.pk or "sid"))
        out = {
            attr: template.format_map({**values, **fixed, parent: pk})  # values are path-safe
            for attr, fixed, parent, template in self._child_paths(frozenset(values))
        }
        return out or body.get("subresource_uris")

    def _child_paths(self, known: frozenset[str]) -> ChildPaths:
        """(attribute, fixed values, parent placeholder, path) of each child: the longest of
        its list paths that the ``known`` values fill. The same for every record made with
        the same values, so it is worked out once per set of names (seeding makes many)."""
        found = self._child_path_cache.get(known)
        if found is None:
            found = []
            for attr, fixed, parent, templates in self._children:
                names = known | set(fixed) | {parent}
                usable = [t for t in templates if set(t.names) <= names]
                if usable:
                    found.append((attr, fixed, parent, usable[0].template))
            self._child_path_cache[known] = found
        return found

    @functools.cached_property
    def _children(self) -> Children:
        """(attribute, fixed path values, parent placeholder, list paths, longest first)."""
        out = []
        for attr, value in vars(self.meta.model).items():
            child = self.app.models.get(value.model_name) if isinstance(value, related) else None
            if child is None:
                continue
            templates = child._meta.list_paths or child._meta.create_paths
            parent = child._meta.parent_param
            if templates and parent is not None:
                ordered = sorted(templates, key=lambda t: -len(t.names))
                out.append((attr, dict(value.path), parent, ordered))
        return out

    def apply_form(self, ctx: Context, body: dict[str, Any], operation: str) -> None:
        """Write the form values the declaration makes writable on ``operation``."""
        for spec in self.meta.writable(operation):
            if spec.param is None:
                continue
            texts = ctx.form_values(spec.param)
            if not texts:
                continue
            value = self.form_value(spec, texts)  # checks write-only params too
            if spec.key is not None:
                body[spec.key] = value

    def form_value(self, spec: FieldSpec, texts: Sequence[str]) -> Any:
        """A form value as the JSON payload holds it (booleans and JSON numbers typed)."""
        kind = spec.kind.name
        text = texts[-1]
        if kind == "list":
            return list(texts)
        if kind == "boolean":
            if text.lower() not in ("true", "false"):
                raise bad_param(spec.param or "", text)
            return text.lower() == "true"
        if kind == "integer":
            return parse_int(spec.param or "", text)
        if kind in ("integer_text", "decimal"):
            return check_number(spec.param or "", text, whole=kind == "integer_text")
        return text

    def check_required(self, ctx: Context, operation: str) -> None:
        """Refuse a write without a required param (an empty value is missing, as for Twilio)."""
        for spec in self.meta.writable(operation):
            if operation not in spec.required or not spec.param:
                continue
            if not any(ctx.form_values(spec.param)):
                if spec.param in self.missing_codes:
                    raise ApiError(400, *self.missing_codes[spec.param])
                raise missing_param(spec.param)

    def save_new(self, ctx: Context, body: dict[str, Any]) -> Record:
        self.finish_payload(ctx, body)
        return self.insert(ctx.account, ctx.params, body)

    def save(self, record: Record, body: dict[str, Any]) -> Record:
        return self.store.update(record, body, self.index(body))

    def index(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The normalized values list filters compare (ISO text for dates).

        ``_created`` (the creation time, ISO) is kept for every record that has
        one: usage records count by it.
        """
        out: dict[str, Any] = {}
        created = body.get("date_created")
        if isinstance(created, str):
            out["_created"] = _iso(created)
        for key, is_date in self._indexed:
            value = body.get(key)
            out[key] = _iso(value) if is_date and value is not None else value
        return out

    @functools.cached_property
    def _indexed(self) -> tuple[tuple[str, bool], ...]:
        """(key, is an RFC 2822 date) of each filtered field: what ``index`` keeps."""
        return tuple(
            (spec.key, spec.kind.name == "rfc2822")
            for spec in self.meta.payload_fields
            if spec.filter is not None and spec.key is not None
        )

    # --- events on the sandbox clock, and state kept beside a record -------------------

    def schedule(self, record: Record, delay: float, action: str, **args: Any) -> None:
        """Run ``event_<action>(record, **args)`` after ``delay`` seconds of sandbox time."""
        event = Event(self.name, record.account, record.parent, record.pk, action, args)
        self.app.scheduler.at(delay, event)

    def on_event(self, event: Event) -> None:
        """Run a due event on its record (gone records have nothing left to do)."""
        handler = getattr(self, f"event_{event.action}", None)
        if handler is None:
            raise LookupError(f"{self.name} has no event {event.action!r}")
        record = self.store.get(self.name, event.account, event.parent, event.pk)
        if record is not None:
            handler(record, **event.args)

    def state(self, record: Record) -> dict[str, Any]:
        """What this behaviour keeps about ``record`` beside its payload."""
        return self.store.state(self.name, record.pk) or {}

    def set_state(self, record: Record, value: dict[str, Any]) -> None:
        self.store.set_state(self.name, record.pk, value)

    # --- filters and paging ---------------------------------------------------------------

    def where(self, ctx: Context) -> Clauses:
        """SQL clauses for the query's filter params (unknown params are ignored, as by Twilio)."""
        clauses: Clauses = []
        for spec in self.meta.payload_fields:
            if spec.filter is None or spec.key is None:
                continue
            for lookup, param in spec.filter.params().items():
                for value in ctx.query_values(param):
                    clauses.append(self.clause(spec, lookup, param, value))
        return clauses

    def clause(
        self, spec: FieldSpec, lookup: str, param: str, value: str
    ) -> tuple[str, Sequence[Any]]:
        column = f"json_extract(idx, '$.{spec.key}')"
        op = {"exact": "=", "lte": "<=", "gte": ">="}[lookup]
        if spec.kind.name in _DAY_KINDS:
            return f"substr({column}, 1, 10) {op} ?", (parse_day(param, value).isoformat(),)
        if spec.kind.name == "boolean":
            if value.lower() not in ("true", "false"):
                raise bad_param(param, value)
            return f"{column} {op} ?", (1 if value.lower() == "true" else 0,)
        return f"{column} {op} ?", (value,)

    def page(self, ctx: Context, fetch: Fetch) -> Page:
        """One page of a list: ``PA`` tokens go on from a record, ``PB`` tokens go back."""
        size, number, token = paging(ctx)
        following = token_seq(token) if token.startswith("PA") else None
        preceding = token_seq(token) if token.startswith("PB") else None
        rows = fetch(following, preceding, size + 1 if preceding is None else size)
        more = len(rows) > size if preceding is None else True
        rows = rows[:size]
        ahead = f"PA{rows[-1][0]}" if rows and more else None
        back = bool(rows) and number > 0
        meta = links(
            ctx,
            size,
            number,
            number * size,
            len(rows),
            ahead,
            back,
            f"PB{rows[0][0]}" if back else None,
        )
        return Page(self.meta.key, [body for _, body in rows], meta)


class Answered(Behaviour):
    """A create that is answered, not kept: nothing can read it back later."""

    def save_new(self, ctx: Context, body: dict[str, Any]) -> Record:
        if "sid" in body and body["sid"] is None:
            body["sid"] = new_sid(self.sid_prefix(ctx))
        self.finish_payload(ctx, body)
        return Record(0, self.name, ctx.account, "", "", body)


_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_MONTHS = {name: f"{i:02d}" for i, name in enumerate(_MONTH_NAMES, start=1)}


def _iso(rfc2822: str) -> str:
    """``Thu, 30 Jul 2015 20:12:31 +0000`` -> ``2015-07-30T20:12:31`` (UTC)."""
    month = _MONTHS.get(rfc2822[8:11]) if len(rfc2822) == 31 else None
    if month is not None and rfc2822.endswith(" +0000"):  # the sandbox's own: no parsing
        return f"{rfc2822[12:16]}-{month}-{rfc2822[5:7]}T{rfc2822[17:25]}"
    return dates.parse_rfc2822(rfc2822).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
