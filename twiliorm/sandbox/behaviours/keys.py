"""API keys and signing keys: made with their secret, then credentials until deleted.

Creating a key (``POST Keys.json``, a ``NewKey``) answers its secret once and
stores the key as Twilio lists it (``Key``, without the secret); an API key
is then a credential of the account, until the key is deleted: from then on
a request signed with it answers 401 (20003). A standard API key reaches
everything but the account resources and the keys themselves, signing keys
included, as on Twilio (:mod:`twiliorm.sandbox.app` refuses those with 401,
20003). Signing keys (``NewSigningKey``, ``SigningKey``) are not credentials
of the REST API and need nothing more.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from ..generic import Behaviour, behaviour, new_sid
from ..store import Credential, Record

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["Keys", "NewKeys"]

#: what a new key's answer is stored as
_LISTED = {"NewKey": "Key", "NewSigningKey": "SigningKey"}


@behaviour(*_LISTED)
class NewKeys(Behaviour):
    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        body.update(friendly_name=body.get("friendly_name") or "", secret=secrets.token_urlsafe(24))
        body["sid"] = body.get("sid") or new_sid(self.default_prefix())  # no pk: blank() has none

    def save_new(self, ctx: Context, body: dict[str, Any]) -> Record:
        """Store the key as it is listed (no secret); answer it with its secret, once."""
        listed = {k: v for k, v in body.items() if k != "secret"}
        with self.store.transaction():  # a key listed is a key that works
            kept = self.app.behaviours[_LISTED[self.name]].make(ctx.account, **listed)
            if kept.resource == "Key":
                secret = body["secret"]
                self.store.add_credential(Credential(kept.pk, secret, ctx.account, "api_key"))
        return Record(kept.seq, self.name, ctx.account, "", kept.pk, body)


@behaviour("Key")
class Keys(Behaviour):
    def before_delete(self, ctx: Context, record: Record) -> None:
        self.store.remove_credential(record.pk)
