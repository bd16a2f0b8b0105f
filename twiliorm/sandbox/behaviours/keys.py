"""API keys as credentials: a deleted key stops authenticating at once.

Creating a key (``NewKey``) answers its secret once and makes it a
credential of the account (:mod:`.accounts`); deleting the ``Key`` revokes
that credential, so a request signed with it answers 401 (20003) from then
on. Signing keys are not credentials of the REST API and need nothing more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..generic import Behaviour, behaviour
from ..store import Record

if TYPE_CHECKING:
    from ..app import Context

__all__ = ["Keys"]


@behaviour("Key")
class Keys(Behaviour):
    def before_delete(self, ctx: Context, record: Record) -> None:
        self.store.remove_credential(record.pk)
