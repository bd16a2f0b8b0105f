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

__all__ = ["Keys", "NewKeys", "NewSigningKeys"]


class _NewKeys(Behaviour):
    """A new key, answered with its secret once and stored as it is listed, without."""

    def prepare(self, ctx: Context, body: dict[str, Any]) -> None:
        body.update(friendly_name=body.get("friendly_name") or "", secret=secrets.token_urlsafe(24))
        body["sid"] = body.get("sid") or new_sid(self.payloads.default_prefix())  # no pk here

    @property
    def listed(self) -> Behaviour:
        """Where the key is stored, as it is listed."""
        raise NotImplementedError

    def save_new(self, ctx: Context, body: dict[str, Any]) -> Record:
        """Store the key as it is listed (no secret); answer it with its secret, once."""
        listed = {k: v for k, v in body.items() if k != "secret"}
        with self.store.transaction():  # a key listed is a key that works
            kept = self.listed.make(ctx.account, **listed)
            self.keep_secret(ctx, kept, body["secret"])
        return Record(kept.seq, self.name, ctx.account, "", kept.pk, body)

    def keep_secret(self, ctx: Context, kept: Record, secret: str) -> None:
        """What the secret is kept for, beside the answer (nothing, but for API keys)."""


@behaviour("NewKey")
class NewKeys(_NewKeys):
    """A new API key: a credential of the account until the key is deleted."""

    @property
    def listed(self) -> Keys:
        return self.app.behaviours.api_keys

    def keep_secret(self, ctx: Context, kept: Record, secret: str) -> None:
        self.store.add_credential(Credential(kept.pk, secret, ctx.account, "api_key"))


@behaviour("NewSigningKey")
class NewSigningKeys(_NewKeys):
    """A new signing key: no credential of the REST API, it needs nothing more."""

    @property
    def listed(self) -> Behaviour:
        return self.app.behaviours.signing_keys


@behaviour("Key")
class Keys(Behaviour):
    def before_delete(self, ctx: Context, record: Record) -> None:
        self.store.remove_credential(record.pk)
