"""The sandbox application: one request in, one Twilio-shaped answer out.

``App.handle(method, target, headers, body)`` authenticates (HTTP basic, as
Twilio), routes the path to a resource and operation (from the
declarations), checks the account may be reached with those credentials,
runs the resource's :class:`~twiliorm.sandbox.generic.Behaviour`, and renders
the answer as JSON, CSV or XML. Every failure is a Twilio error body; a bug
in the sandbox answers 500 with code 20500 and never a traceback.

The HTTP server (:mod:`twiliorm.sandbox.server`) and the in-process
transport both call ``handle``.
"""

from __future__ import annotations

import base64
import binascii
import collections
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
from .clock import Clock, Scheduler
from .errors import ApiError
from .generic import Behaviour, Page, behaviour_for
from .render import Reply
from .routes import Router
from .store import Credential, Store

__all__ = ["App", "Context", "LoggedRequest", "Reply", "Settings"]

logger = logging.getLogger("twiliorm.sandbox")

_TEST_ALLOWED = {("Message", "create"), ("Call", "create"), ("IncomingPhoneNumber", "create")}
_STATUS = {"list": 200, "fetch": 200, "create": 201, "update": 200, "delete": 204}


@attrs.define
class Settings:
    """How fast simulated things happen, in seconds of sandbox clock time.

    ``message_delays``: queued -> sending, -> sent, -> delivered.
    ``call_delays``: queued -> ringing, -> in-progress, then talking time.
    """

    message_delays: tuple[float, float, float] = (0.0, 0.0, 0.0)
    call_delays: tuple[float, float, float] = (0.0, 0.0, 0.0)


@attrs.frozen
class LoggedRequest:
    """One line of the request log (no credentials, no bodies)."""

    at: float
    method: str
    path: str
    status: int
    account: str
    request_id: str
    created: str | None = None
    query: str = ""


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
        log_size: int = 1_000_000,
    ) -> None:
        self.store = store or Store()
        self.clock = clock or Clock()
        self.scheduler = Scheduler(self.clock)
        self.settings = settings or Settings()
        self.call_settings: dict[str, dict[str, Any]] = {}
        self.models: dict[str, type[Resource]] = {m.__name__: m for m in (models or resources())}
        self.router = Router(self.models.values())
        self.behaviours: dict[str, Behaviour] = {
            name: behaviour_for(model._meta, self) for name, model in self.models.items()
        }
        self.requests: collections.deque[LoggedRequest] = collections.deque(maxlen=log_size)
        self._lock = threading.Lock()
        self.account_sid, self.auth_token = self._bootstrap(account_sid, auth_token)
        self.test_account_sid, self.test_auth_token = self._test_credentials()

    # --- accounts ---------------------------------------------------------------------

    def _bootstrap(self, account_sid: str | None, auth_token: str | None) -> tuple[str, str]:
        stored = self.store.setting("main_account")
        if stored and (account_sid in (None, stored)):
            credential = self.store.credential(stored)
            assert credential is not None
            return stored, credential.secret
        sid = account_sid or "AC" + secrets.token_hex(16)
        token = auth_token or secrets.token_hex(16)
        self.behaviours["Account"].create_account(sid, token, owner=None, name="Sandbox account")  # type: ignore[attr-defined]
        self.store.set_setting("main_account", sid)
        return sid, token

    def _test_credentials(self) -> tuple[str, str]:
        stored = self.store.setting("test_account")
        if stored:
            credential = self.store.credential(stored)
            assert credential is not None
            return stored, credential.secret
        sid, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
        self.store.add_credential(Credential(sid, token, sid, "test"))
        self.store.set_setting("test_account", sid)
        return sid, token

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

    def now_rfc2822(self) -> str:
        return dates.format_rfc2822(self.clock.now())

    def seconds_since(self, rfc2822: str) -> int:
        return max(0, int((self.clock.now() - dates.parse_rfc2822(rfc2822)).total_seconds()))

    def in_conference_or_queue(self, call_sid: str) -> bool:
        return any(
            self.store.find(name, call_sid) is not None for name in ("Participant", "Member")
        )

    def leave_conference_or_queue(self, call_sid: str) -> None:
        for name in ("Participant", "Member"):
            self.behaviours[name].leave(call_sid)  # type: ignore[attr-defined]

    # --- handling -----------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes = b""
    ) -> Reply:
        request_id = "RQ" + secrets.token_hex(16)
        path, _, query_string = target.partition("?")
        started = time.time()
        account, created = "", None
        fmt = "json" if path.endswith(".json") else "csv" if path.endswith(".csv") else "xml"
        try:
            self.scheduler.run_due()
            ctx = self._context(method, path, query_string, headers, body, request_id)
            account, fmt = ctx.account, ctx.format
            reply = self._dispatch(ctx)
            if ctx.operation == "create" and reply.status == 201:
                created = render.created_sid(reply.body)
        except ApiError as exc:
            reply = render.error(exc, fmt, request_id)
        except Exception:
            logger.exception("sandbox error on %s %s", method, path)
            reply = render.error(ApiError(500, 20500, "Internal Server Error"), fmt, request_id)
        self.requests.append(
            LoggedRequest(
                started, method, path, reply.status, account, request_id, created, query_string
            )
        )
        return reply

    def _context(
        self,
        method: str,
        path: str,
        query_string: str,
        headers: Mapping[str, str],
        body: bytes,
        rid: str,
    ) -> Context:
        principal = self._authenticate(headers)
        match = self.router.match(method, path)
        if match.route is None:
            if match.allowed:
                raise ApiError(405, 20004, f"Method not allowed: {method} {path}")
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
        if not self.store.has_account(account):
            raise ApiError.not_found(f"/2010-04-01/Accounts/{account}.json")
        if not self.can_reach(principal.account, account):
            raise ApiError(401, 20003, "Authenticate")

    def _dispatch(self, ctx: Context) -> Reply:
        route_behaviour = self.behaviours[ctx.resource]
        operation = ctx.operation
        result: Page | dict[str, Any] | None
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
        return render.answer(
            result, _STATUS[operation], ctx.format, ctx.request_id, route_behaviour.meta
        )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, item in headers.items():
            if key.lower() == lowered:
                return item
    return value


def _parse_qs(text: str, what: str) -> list[tuple[str, str]]:
    try:
        return urllib.parse.parse_qsl(
            text, keep_blank_values=True, strict_parsing=False, errors="strict"
        )
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, 20001, f"Malformed {what}") from None


def _parse_form(headers: Mapping[str, str], body: bytes) -> list[tuple[str, str]]:
    if not body:
        return []
    kind = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
    if kind and kind != "application/x-www-form-urlencoded":
        raise ApiError(400, 20001, f"Unsupported Content-Type {kind!r}: send a form")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, 20001, "Malformed request body: not UTF-8") from None
    return _parse_qs(text, "request body")
