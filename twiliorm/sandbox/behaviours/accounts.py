"""Accounts and sub-accounts, with credentials of their own; API keys; the balance.

The main account lists itself and its sub-accounts, oldest first; a
sub-account sees only itself (and cannot reach its parent's data: the app
refuses that). Only a sub-account's status can change, as on Twilio (21477
for the main account): a suspended account's credentials are refused until
it is made active again, a closed one's for good (21479 on reopening).
API keys are in :mod:`.keys`.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..generic import Behaviour, behaviour
from ..pages import Page, stored
from ..store import Credential, Record

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["Accounts", "Balances"]


_STATUSES = ("active", "suspended", "closed")


@behaviour("Account")
class Accounts(Behaviour):
    newest_first = False

    def create_account(
        self, sid: str, token: str, *, owner: str | None, name: str
    ) -> dict[str, Any]:
        """Store a new account and its auth token (used at start-up and by POST /Accounts),
        all three or none: an account nobody can sign in to is no use."""
        with self.store.transaction():
            record = self.make(
                sid,
                {"sid": sid},
                sid=sid,
                auth_token=token,
                friendly_name=name,
                owner_account_sid=owner or sid,
                status="active",
                type="Full",
            )
            self.store.add_account(sid, owner)
            self.store.add_credential(Credential(sid, token, sid, "auth_token"))
        return record.body

    def list(self, ctx: Context) -> Page:
        mine = [ctx.principal.account, *self.store.subaccounts(ctx.principal.account)]
        where = self.filters.where(ctx)
        rows = stored(self.store, self.name, mine, "", where, newest_first=self.newest_first)
        return self.page(ctx, rows)

    def load(self, ctx: Context) -> Record:
        record = self.store.get("Account", ctx.account, "", ctx.account)
        if record is None:
            raise ApiError.not_found(ctx.path)
        return record

    def create(self, ctx: Context) -> dict[str, Any]:
        owner = ctx.principal.account
        if self.store.account_parent(owner):
            raise ApiError(403, 20005, "A subaccount cannot create subaccounts")
        name = ctx.form_value("FriendlyName") or f"SubAccount Created at {self.app.now_rfc2822()}"
        return self.create_account(
            "AC" + secrets.token_hex(16), secrets.token_hex(16), owner=owner, name=name
        )

    def before_update(self, ctx: Context, record: Record, body: dict[str, Any]) -> None:
        status = ctx.form_value("Status")
        if status is None:
            return
        if status not in _STATUSES:
            raise ApiError(400, 21475, f"Invalid Status {status!r}: active, suspended or closed")
        if self.store.account_parent(record.pk) is None:
            raise ApiError(
                400,
                21477,
                "Unable to update Status for parent accounts: only a subaccount's status "
                "can change",
            )
        if record.body.get("status") == "closed":
            raise ApiError(400, 21479, "Unable to update Status: the subaccount is closed")
        if status == "closed":
            self.store.remove_credentials_of(record.pk)


@behaviour("Balance")
class Balances(Behaviour):
    def singleton(self, ctx: Context) -> dict[str, Any]:
        return {"account_sid": ctx.account, "balance": "20.00", "currency": "USD"}
