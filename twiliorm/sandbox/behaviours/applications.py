"""TwiML applications, Connect apps, and the Connect apps an account has authorized.

Applications are created over the API, with Twilio's defaults (``POST`` for
every callback method, API version 2010-04-01). Connect apps are made in
Twilio's Console, not over the API; in the sandbox a test or a demo makes one
with :meth:`ConnectApps.register` and lets another account authorize it with
:meth:`AuthorizedConnectApps.authorize`. A Connect app's permissions are
``get-all`` and ``post-all``; deleting it removes every authorization of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import ApiError, bad_param
from ..generic import Behaviour, behaviour
from ..store import Record

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["Applications", "AuthorizedConnectApps", "ConnectApps"]

_METHODS = ("GET", "POST")
_API_VERSIONS = ("2010-04-01", "2008-08-01")
_PERMISSIONS = ("get-all", "post-all")


def check_methods(ctx: Context, body: dict[str, Any]) -> None:
    """Refuse a callback method other than GET or POST; default the others to POST."""
    for key in [k for k in body if k.endswith("_method")]:
        value = body[key] or "POST"
        if value not in _METHODS:
            raise bad_param("".join(p.title() for p in key.split("_")), str(value))
        body[key] = value


@behaviour("Application")
class Applications(Behaviour):
    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        self.before_update(ctx, None, body)
        body["voice_caller_id_lookup"] = bool(body.get("voice_caller_id_lookup"))
        flag = "public_application_connect_enabled"
        body[flag] = bool(body.get(flag))

    def before_update(self, ctx: Context, record: Record | None, body: dict[str, Any]) -> None:
        check_methods(ctx, body)
        if body.get("api_version") not in _API_VERSIONS:
            raise bad_param("ApiVersion", str(body.get("api_version")))


@behaviour("ConnectApp")
class ConnectApps(Behaviour):
    def register(self, account: str, friendly_name: str, **values: Any) -> dict[str, Any]:
        """Make a Connect app in ``account``, as Twilio's Console does; return its payload."""
        values.setdefault("deauthorize_callback_method", "POST")
        return self.make(account, friendly_name=friendly_name, permissions=[], **values).body

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        check_methods(ctx, body)
        for permission in body.get("permissions") or ():
            if permission not in _PERMISSIONS:
                raise bad_param("Permissions", permission)

    def before_delete(self, ctx: Context, record: Record) -> None:
        for granted in self.store.all("AuthorizedConnectApp", None, [("pk = ?", (record.pk,))]):
            self.store.delete(granted)


@behaviour("AuthorizedConnectApp")
class AuthorizedConnectApps(Behaviour):
    def authorize(self, account: str, connect_app_sid: str) -> dict[str, Any]:
        """``account`` authorizes a Connect app (made by any account); return the payload."""
        app = self.store.find("ConnectApp", connect_app_sid)
        if app is None:
            raise ApiError(404, 20404, f"No Connect app {connect_app_sid}")
        made = app.body
        return self.make(
            account,
            connect_app_company_name=made.get("company_name"),
            connect_app_description=made.get("description"),
            connect_app_friendly_name=made.get("friendly_name"),
            connect_app_homepage_url=made.get("homepage_url"),
            connect_app_sid=connect_app_sid,
            permissions=list(made.get("permissions") or ()),
        ).body
