"""Which auth token signed a webhook, and the validator that web frameworks use.

Twilio signs a webhook with the auth token of the account that owns the
resource: a sub-account's message is signed with the sub-account's token,
not the main account's. The form carries that account as ``AccountSid``, so
:class:`WebhookValidator` looks the token up by it (a mapping, any function,
or :class:`AccountTokens`, which asks the API once per account) and falls
back to the default token. It also carries the application's proxy setting,
so the WSGI middleware and the Django decorator share one configuration.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeAlias

from ..exceptions import ConfigurationError, NotFoundError
from .signature import Params, form_pairs, validate_signature
from .urls import forwarded_url

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["AccountTokens", "TokenLookup", "WebhookValidator", "account_sid_of"]

#: AccountSid -> that account's auth token (None when unknown).
TokenLookup: TypeAlias = Callable[[str], "str | None"]
_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}\Z")


def account_sid_of(params: Params | str | bytes) -> str | None:
    """The ``AccountSid`` of a webhook form, when it has a well-formed one."""
    if params is None or isinstance(params, (str, bytes)):
        return None
    sid = next((v for k, v in form_pairs(params) if k == "AccountSid"), None)
    return sid if sid is not None and _ACCOUNT_SID.match(sid) else None


class AccountTokens:
    """A :data:`TokenLookup` that reads an account's auth token through the API.

    ``client`` sees its own account and its sub-accounts, which are exactly
    the accounts whose webhooks an application can check. Tokens (and
    unknown SIDs, so a flood of made-up ones costs one request each at most)
    are remembered for the most recent ``max_accounts`` accounts.
    """

    def __init__(self, client: Client, *, max_accounts: int = 1024) -> None:
        self._client = client
        self._max = max_accounts
        self._known: OrderedDict[str, str | None] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<AccountTokens for {self._client.account_sid or 'the default account'}>"

    def __call__(self, account_sid: str) -> str | None:
        if not _ACCOUNT_SID.match(account_sid):
            return None
        with self._lock:
            if account_sid in self._known:
                self._known.move_to_end(account_sid)
                return self._known[account_sid]
        token = self._fetch(account_sid)
        with self._lock:
            self._known[account_sid] = token
            while len(self._known) > self._max:
                self._known.popitem(last=False)
        return token

    def _fetch(self, account_sid: str) -> str | None:
        from ..resources import Account

        try:
            account = Account.objects.using(self._client).get(sid=account_sid)
        except (Account.DoesNotExist, NotFoundError):
            return None
        return account.auth_token or None


class WebhookValidator:
    """Validates webhooks for one application: its tokens and its proxy setting.

    ``auth_token`` is the default token (the main account's). ``accounts``
    gives the token of the account named by a form's ``AccountSid``: a
    mapping, a function, or ``AccountTokens(client)``; when it knows none,
    the default is used. ``trust_forwarded=True`` says the application sits
    behind a proxy that sets X-Forwarded-Proto/Host/Port, so the URL Twilio
    requested is rebuilt from them (never set it without such a proxy: the
    headers would then come from the client).
    """

    def __init__(
        self,
        auth_token: str | None = None,
        *,
        accounts: Mapping[str, str] | TokenLookup | None = None,
        trust_forwarded: bool = False,
    ) -> None:
        if not auth_token and accounts is None:
            raise ConfigurationError(
                "WebhookValidator needs the auth token webhooks are signed with "
                "(auth_token=...), or accounts=... to find it by AccountSid"
            )
        self._token = auth_token or None
        self._accounts = accounts
        self.trust_forwarded = trust_forwarded

    def __repr__(self) -> str:
        return f"<WebhookValidator trust_forwarded={self.trust_forwarded}>"

    def token_for(self, params: Params | str | bytes) -> str | None:
        """The token that signed a webhook with these params (its account's, else the default)."""
        sid = account_sid_of(params)
        if sid is not None and self._accounts is not None:
            found = self._lookup(sid)
            if found:
                return found
        return self._token

    def _lookup(self, sid: str) -> str | None:
        if isinstance(self._accounts, Mapping):
            return self._accounts.get(sid)
        assert self._accounts is not None
        return self._accounts(sid)

    def request_url(self, seen_url: str, headers: Mapping[str, str]) -> str:
        """The URL Twilio requested, from the one the application saw (and its proxy's headers)."""
        return forwarded_url(seen_url, headers) if self.trust_forwarded else seen_url

    def validate(self, url: str, params: Params | str | bytes, signature: str | None) -> bool:
        """True when ``signature`` is Twilio's for this request, signed by its account's token."""
        token = self.token_for(params)
        return token is not None and validate_signature(url, params, signature, token)
