"""The sandbox application: one request in, one Twilio-shaped answer out.

``App.handle(method, target, headers, body)`` authenticates (HTTP basic, as
Twilio), routes the path to a resource and operation (from the
declarations), checks the account may be reached with those credentials,
runs the resource's :class:`~twiliorm.sandbox.generic.Behaviour`, and renders
the answer as JSON, CSV or XML. Every failure is a Twilio error body; a bug
in the sandbox answers 500 with code 20500 and never a traceback.

Credentials are an account's auth token or one of its API keys (a standard
key reaches everything but the accounts and the keys, signing keys included,
as on Twilio); a
suspended account's are refused until it is active again. An account the
credentials cannot reach answers 401 (20003) whether it exists or not, so no
answer tells which accounts exist.

Writes (POST, DELETE) and the events of the sandbox clock run one at a
time under one lock, so a lifecycle step never interleaves with an update of
the same record; reads run concurrently (the few reads that write, add-on
results and usage triggers, take the lock for it). Each write, and each
event with what it changes and schedules, is one store transaction, and a
write is committed before its answer is made: what was answered 200 or 201
survives a kill -9, and nothing is left half done (a message without the
events of its lifecycle, an account without its credentials). The request log
(``App.requests``) is bounded and keeps the names of query parameters, not
their values. The HTTP server (:mod:`twiliorm.sandbox.server`) and the
in-process transport both call ``handle``.
"""

from __future__ import annotations

import base64
import binascii
import collections
import datetime as dt
import email.message
import json
import logging
import secrets
import threading
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from .. import dates
from ..resource import Resource, resources
from . import behaviours as _behaviours  # noqa: F401 - registers the resource behaviours
from . import render
from .callbacks import Callbacks
from .clock import Clock, Scheduler, at_second
from .errors import ApiError
from .generic import behaviour_for
from .pages import Page
from .registry import Behaviours
from .render import Reply
from .routes import MEDIA_FORMATS, Match, Router
from .store import Credential, Event, Store

__all__ = ["App", "Context", "LoggedRequest", "Reply", "Settings"]

logger = logging.getLogger("twiliorm.sandbox")

#: entries kept in the request log by default (the oldest go first)
LOG_SIZE = 100_000
_FORM = "application/x-www-form-urlencoded"

_TEST_ALLOWED = {("Message", "create"), ("Call", "create"), ("IncomingPhoneNumber", "create")}
#: what a standard API key cannot reach: the accounts and the keys, signing keys too
#: (Twilio answers 401, 20003)
_NOT_FOR_KEYS = frozenset({"Account", "NewKey", "Key", "NewSigningKey", "SigningKey"})


@attrs.define
class Settings:
    """How fast simulated things happen, in seconds of sandbox clock time.

    ``message_delays``: queued -> sending, -> sent, -> delivered.
    ``call_delays``: queued -> ringing, -> in-progress, then talking time.
    ``callback_timeout``: how long a status callback may take to answer.
    With ``--db`` the settings are stored, and used again when a later start
    gives none.
    """

    message_delays: tuple[float, float, float] = attrs.field(
        default=(0.0, 0.0, 0.0), converter=tuple
    )
    call_delays: tuple[float, float, float] = attrs.field(default=(0.0, 0.0, 0.0), converter=tuple)
    callback_timeout: float = 5.0

    def dumps(self) -> str:
        return json.dumps(attrs.asdict(self))

    @classmethod
    def loads(cls, text: str) -> Settings:
        return cls(**json.loads(text))


@attrs.frozen
class LoggedRequest:
    """One entry of the request log: no credentials, no bodies, no query values.

    ``params`` names the query parameters the request had (their values may be
    personal data: phone numbers, bodies searched for, and are not kept);
    ``fault`` names the fault injected into this request (``--faults``), if any.
    """

    at: float
    method: str
    path: str
    status: int
    account: str
    request_id: str
    created: str | None = None
    params: tuple[str, ...] = ()
    fault: str | None = None


@attrs.define
class Context:
    """One request as a behaviour sees it."""

    app: App
    method: str
    path: str
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]
    params: dict[str, str]
    account: str
    principal: Credential
    format: str
    operation: str
    request_id: str
    resource: str

    @property
    def test(self) -> bool:
        """True for Twilio's test credentials: magic numbers apply, nothing is stored."""
        return self.principal.kind == "test"

    def query_values(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]

    def query_value(self, name: str) -> str | None:
        values = self.query_values(name)
        return values[-1] if values else None

    def form_values(self, name: str) -> list[str]:
        return [v for k, v in self.form if k == name]

    def form_value(self, name: str) -> str | None:
        values = self.form_values(name)
        return values[-1] if values else None


#: the friendly name of the account a sandbox starts with
MAIN_ACCOUNT_NAME = "Sandbox account"


class App:
    """The sandbox's state and request handling (see the module docstring)."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        clock: Clock | None = None,
        settings: Settings | None = None,
        account_sid: str | None = None,
        auth_token: str | None = None,
        models: Iterable[type[Resource]] | None = None,
        log_size: int = LOG_SIZE,
    ) -> None:
        self.store = store or Store()
        self.clock = clock or Clock()
        self.scheduler = Scheduler(self.clock, self.store)
        self.settings = self._settings(settings)
        self.callbacks = Callbacks(self)
        self.base_url: str | None = None
        self.lock = threading.RLock()
        self.models: dict[str, type[Resource]] = {m.__name__: m for m in (models or resources())}
        self.router = Router(self.models.values())
        self.behaviours = Behaviours(behaviour_for(m._meta, self) for m in self.models.values())
        self.store.index_days({name: b.filters.day_keys for name, b in self.behaviours.items()})
        if log_size < 0:
            raise ValueError(f"log_size cannot be negative, got {log_size}")
        self.requests: collections.deque[LoggedRequest] = collections.deque(maxlen=log_size)
        self.account_sid, self.auth_token = self._bootstrap(account_sid, auth_token)
        self.test_account_sid, self.test_auth_token = self._test_credentials()

    def _settings(self, given: Settings | None) -> Settings:
        if given is not None:
            self.store.set_setting("settings", given.dumps())
            return given
        stored = self.store.setting("settings")
        return Settings.loads(stored) if stored else Settings()

    # --- accounts ---------------------------------------------------------------------

    def _bootstrap(self, account_sid: str | None, auth_token: str | None) -> tuple[str, str]:
        stored = self.store.setting("main_account")
        if stored and (account_sid in (None, stored)):
            return stored, self._stored_secret(stored, "main account")
        sid = account_sid or "AC" + secrets.token_hex(16)
        token = auth_token or secrets.token_hex(16)
        with self.store.transaction():  # with the setting naming it, or a restart makes another
            self.behaviours.accounts.create_account(sid, token, owner=None, name=MAIN_ACCOUNT_NAME)
            self.store.set_setting("main_account", sid)
        return sid, token

    def reset(self, callbacks_timeout: float = 5.0) -> None:
        """Empty the sandbox as a new one is, with the same credentials and settings.

        Every record, subaccount, API key and scheduled event goes, then the request
        and callback logs (after the callbacks already on their way, given up to
        ``callbacks_timeout`` seconds); the main account is made again as at start.
        """
        with self.lock, self.store.transaction():
            self.store.clear()
            self.behaviours.accounts.create_account(
                self.account_sid, self.auth_token, owner=None, name=MAIN_ACCOUNT_NAME
            )
            test = self.test_account_sid
            self.store.add_credential(Credential(test, self.test_auth_token, test, "test"))
        self.callbacks.wait(callbacks_timeout)
        self.requests.clear()
        self.callbacks.deliveries.clear()

    def _test_credentials(self) -> tuple[str, str]:
        stored = self.store.setting("test_account")
        if stored:
            return stored, self._stored_secret(stored, "test account")
        sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
        with self.store.transaction():
            self.store.add_credential(Credential(sid, token, sid, "test"))
            self.store.set_setting("test_account", sid)
        return sid, token

    def _stored_secret(self, sid: str, what: str) -> str:
        credential = self.store.credential(sid)
        if credential is None:
            raise RuntimeError(
                f"the sandbox database {self.store.path} names {sid} as its {what} but keeps "
                "no credentials for it (was the account closed?); start with another --db file"
            )
        return credential.secret

    def can_reach(self, principal: str, account: str) -> bool:
        """An account reaches itself and its subaccounts, never its parent or siblings."""
        current: str | None = account
        for _ in range(8):
            if current == principal:
                return True
            current = self.store.account_parent(current) if current else None
            if current is None:
                return False
        return False

    def now(self) -> dt.datetime:
        """Now on the sandbox clock (while an event runs: the time it was due)."""
        return at_second(self.scheduler.now())

    def now_rfc2822(self) -> str:
        return dates.format_rfc2822(self.now())

    def seconds_since(self, rfc2822: str) -> int:
        return max(0, int((self.now() - dates.parse_rfc2822(rfc2822)).total_seconds()))

    def in_conference_or_queue(self, call_sid: str) -> bool:
        return any(
            self.store.find(name, call_sid) is not None for name in ("Participant", "Member")
        )

    def leave_conference_or_queue(self, call_sid: str) -> None:
        self.behaviours.participants.leave(call_sid)
        self.behaviours.members.leave(call_sid)

    def auth_token_of(self, account: str) -> str | None:
        """The auth token an account's callbacks are signed with (its own, as Twilio signs)."""
        credential = self.store.credential(account)
        return credential.secret if credential and credential.kind == "auth_token" else None

    # --- the clock ----------------------------------------------------------------------

    def tick(self) -> int:
        """Run the events now due on the sandbox clock; return how many ran."""
        if not self.scheduler.due():
            return 0
        with self.lock:
            return self.scheduler.run_due(self._run_event)

    def _run_event(self, event: Event) -> None:
        behaviour = self.behaviours.get(event.resource)
        try:
            if behaviour is None:
                raise LookupError(f"no behaviour for {event.resource}")
            with self.store.transaction():  # a savepoint: a broken event changes nothing
                behaviour.events.run(event)
        except Exception:  # one broken event must not stop the clock
            logger.exception("sandbox event %s on %s failed", event.action, event.pk)

    # --- handling -----------------------------------------------------------------------

    def handle(
        self,
        method: str,
        target: str,
        headers: Mapping[str, str],
        body: bytes = b"",
        *,
        fault: str | None = None,
    ) -> Reply:
        request_id = "RQ" + secrets.token_hex(16)
        path, _, query_string = target.partition("?")
        started = time.time()
        account, created = "", None
        fmt = _format_of(path)
        try:
            self.tick()
            ctx = self._context(method, path, query_string, headers, body, request_id)
            account, fmt = ctx.account, ctx.format
            reply = self._locked_dispatch(ctx)
            if ctx.operation == "create" and reply.status == 201:
                created = render.created_sid(reply.body)
        except ApiError as exc:
            reply = render.error(exc, fmt, request_id)
        except Exception:
            logger.exception("sandbox error on %s %s", method, path)
            reply = render.error(ApiError(500, 20500, "Internal Server Error"), fmt, request_id)
        names = param_names(query_string)
        entry = LoggedRequest(
            started, method, path, reply.status, account, request_id, created, names, fault
        )
        self.requests.append(entry)
        return reply

    def refuse(self, method: str, target: str, error: ApiError, fault: str | None) -> Reply:
        """Answer ``error`` without processing the request (an injected fault, a limit)."""
        request_id = "RQ" + secrets.token_hex(16)
        reply = render.error(error, _format_of(target.partition("?")[0]), request_id)
        self.log_unprocessed(method, target, reply.status, fault, request_id)
        return reply

    def log_unprocessed(
        self, method: str, target: str, status: int, fault: str | None, request_id: str = ""
    ) -> None:
        """Record a request that was answered (or dropped) without being processed."""
        path, _, query_string = target.partition("?")
        rid = request_id or "RQ" + secrets.token_hex(16)
        names = param_names(query_string)
        entry = LoggedRequest(time.time(), method, path, status, "", rid, None, names, fault)
        self.requests.append(entry)

    def _context(
        self,
        method: str,
        path: str,
        query_string: str,
        headers: Mapping[str, str],
        body: bytes,
        rid: str,
    ) -> Context:
        match = self.router.match(method, path)
        principal = self._principal(match, headers)
        if match.route is None:
            if match.allowed:
                allow = {"Allow": allow_header(match.allowed)}
                raise ApiError(405, 20004, f"Method not allowed: {method} {path}", allow)
            raise ApiError.not_found(path)
        route = match.route
        query = _parse_qs(query_string, "query string")
        form = _parse_form(headers, body) if method == "POST" else []
        account = self._account_of(route.meta.name, match.params, principal)
        self._authorize(principal, account, route.meta.name, route.operation)
        return Context(
            self,
            method,
            path,
            query,
            form,
            match.params,
            account,
            principal,
            match.format,
            route.operation,
            rid,
            route.meta.name,
        )

    def _principal(self, match: Match, headers: Mapping[str, str]) -> Credential:
        """Who asks. Recording media is public, as on Twilio: it may come without credentials."""
        public = match.format in MEDIA_FORMATS and _header(headers, "Authorization") is None
        if public and "account_sid" in match.params:
            account = match.params["account_sid"]
            return Credential("", "", account, "public")
        return self._authenticate(headers)

    def _authenticate(self, headers: Mapping[str, str]) -> Credential:
        value = _header(headers, "Authorization")
        failure = ApiError(
            401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'}
        )
        if not value or not value.startswith("Basic "):
            raise failure
        try:
            username, _, secret = base64.b64decode(value[6:], validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise failure from None
        credential = self.store.credential(username)
        if credential is None or not secrets.compare_digest(credential.secret, secret):
            raise failure
        if self.store.account_status(credential.account) == "suspended":
            raise failure  # until the parent makes it active again
        return credential

    def _account_of(self, resource: str, params: Mapping[str, str], principal: Credential) -> str:
        if resource == "Account":
            return params.get("sid", principal.account)
        return params.get("account_sid", principal.account)

    def _authorize(
        self, principal: Credential, account: str, resource: str, operation: str
    ) -> None:
        if principal.kind == "test":
            if (resource, operation) not in _TEST_ALLOWED:
                raise ApiError(403, 20008, "Resource not accessible with Test Account Credentials")
            if account != principal.account:
                raise ApiError(401, 20003, "Authenticate")
            return
        if principal.kind == "api_key" and resource in _NOT_FOR_KEYS:
            raise ApiError(
                401,
                20003,
                "Authenticate: a standard API key cannot manage "
                "accounts or keys (use the account's credentials)",
            )
        # An account out of reach and one that does not exist answer alike: no existence oracle.
        if not self.can_reach(principal.account, account):
            raise ApiError(401, 20003, "Authenticate")

    def _locked_dispatch(self, ctx: Context) -> Reply:
        if ctx.method == "GET" or ctx.method == "HEAD":
            return self._dispatch(ctx)
        # All or nothing, and committed before the answer exists: an acknowledged write is
        # on disk, a refused one (an ApiError half-way) leaves no trace.
        with self.lock, self.store.transaction():
            return self._dispatch(ctx)

    def _dispatch(self, ctx: Context) -> Reply:
        route_behaviour = self.behaviours[ctx.resource]  # the route names its resource
        operation = ctx.operation
        result: Page | dict[str, Any] | Reply | None
        if operation == "list":
            result = route_behaviour.list(ctx)
        elif operation == "fetch":
            result = route_behaviour.fetch(ctx)
        elif operation == "create":
            result = route_behaviour.create(ctx)
        elif operation == "update":
            result = route_behaviour.update(ctx)
        else:
            route_behaviour.delete(ctx)
            result = None
        if isinstance(result, Reply):
            return result
        status = route_behaviour.status_of(operation)
        return render.answer(result, status, ctx.format, ctx.request_id, route_behaviour.meta)


def _format_of(path: str) -> str:
    """The answer format a path asks for, before it is routed (for error answers)."""
    if path.endswith(".csv"):
        return "csv"
    if path.endswith((".json", ".wav", ".mp3")):
        return "json"
    return "xml"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, item in headers.items():
            if key.lower() == lowered:
                return item
    return value


def param_names(query_string: str) -> tuple[str, ...]:
    """The names of a query string's parameters, each once, in order (never their values)."""
    pairs = urllib.parse.parse_qsl(query_string, keep_blank_values=True, errors="replace")
    return tuple(dict.fromkeys(name for name, _ in pairs))


def allow_header(methods: Iterable[str]) -> str:
    """An ``Allow`` header's value: the methods a path takes (HEAD wherever GET is)."""
    allowed = list(dict.fromkeys(methods))
    if "GET" in allowed:
        allowed.insert(allowed.index("GET") + 1, "HEAD")
    return ", ".join(allowed)


def _parse_qs(text: str, what: str, encoding: str = "utf-8") -> list[tuple[str, str]]:
    try:
        return urllib.parse.parse_qsl(
            text, keep_blank_values=True, strict_parsing=False, encoding=encoding, errors="strict"
        )
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, 20001, f"Malformed {what}") from None


def _parse_form(headers: Mapping[str, str], body: bytes) -> list[tuple[str, str]]:
    """A form body, decoded by the charset its Content-Type names (UTF-8 by default)."""
    if not body:
        return []
    header = email.message.Message()
    header["Content-Type"] = _header(headers, "Content-Type") or _FORM
    kind, charset = header.get_content_type(), header.get_param("charset")
    if kind != _FORM:
        raise ApiError(400, 20001, f"Unsupported Content-Type {kind!r}: send a form ({_FORM})")
    encoding = charset if isinstance(charset, str) and charset else "utf-8"
    try:
        text = body.decode(encoding)
    except LookupError:
        raise ApiError(400, 20001, f"Unsupported charset {encoding!r}: send UTF-8") from None
    except UnicodeDecodeError:
        raise ApiError(400, 20001, f"Malformed request body: not {encoding}") from None
    return _parse_qs(text, "request body", encoding)
