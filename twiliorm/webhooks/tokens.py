"""Which auth token signed a webhook, and the validator that web frameworks use.

Twilio signs a webhook with the auth token of the account that owns the
resource: a sub-account's message is signed with the sub-account's token,
not the main account's. The form carries that account as ``AccountSid``, so
:class:`WebhookValidator` looks the token up by it (a mapping, any function,
or :class:`AccountTokens`, which reads the tokens of the account and its
sub-accounts from the API) and falls back to the default token. It also
carries the application's proxy setting, so the WSGI middleware and the
Django decorator share one configuration.

The lookup runs *before* the signature is checked, on whatever ``AccountSid``
a request claims, so it must cost an attacker nothing: :class:`AccountTokens`
never sends a request per claimed SID (it reads the whole list, at most once
per ``refresh_every`` seconds), forgets nothing because of made-up SIDs, and
an error while reading counts as "no such account" (the request is then
checked against the default token and fails with 403, not 500).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeAlias

from ..exceptions import ConfigurationError, TwiliormError
from .signature import Params, form_pairs, validate_signature
from .urls import Trust, TrustedProxies, forwarded_url

if TYPE_CHECKING:
    from ..client import Client

__all__ = ["AccountTokens", "TokenLookup", "WebhookValidator", "account_sid_of"]

logger = logging.getLogger("twiliorm.webhooks")

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
    """A :data:`TokenLookup` over the auth tokens of ``client``'s account and its sub-accounts.

    Those are exactly the accounts whose webhooks an application can check. One
    paged GET of the Accounts list reads every token. A SID that is not among
    them (a sub-account created since, or a made-up one) reads the list again
    only once ``refresh_every`` seconds have passed since the last reading, so
    a flood of forged SIDs costs at most one request per ``refresh_every``. A
    reading that fails (TwiliormError) is logged and keeps the tokens read
    before. ``clock`` is the time source (monotonic seconds).
    """

    def __init__(
        self,
        client: Client,
        *,
        refresh_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.refresh_every = refresh_every
        self._clock = clock
        self._tokens: dict[str, str] = {}
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<AccountTokens for {self._client.account_sid or 'the default account'}>"

    def __call__(self, account_sid: str) -> str | None:
        if not _ACCOUNT_SID.match(account_sid):
            return None
        token = self._tokens.get(account_sid)
        if token is None and self._due():
            self._refresh()
            token = self._tokens.get(account_sid)
        return token

    def _due(self) -> bool:
        return self._read_at is None or self._clock() - self._read_at >= self.refresh_every

    def _refresh(self) -> None:
        with self._lock:  # one reading at a time; those who waited use its answer
            if not self._due():
                return
            self._read_at = self._clock()  # a failing API is not asked again at once either
            try:
                self._tokens = self._read()
            except TwiliormError as exc:
                logger.warning("webhooks: the account tokens could not be read: %s", exc)

    def _read(self) -> dict[str, str]:
        from ..models import Account

        accounts = Account.objects.using(self._client).all()
        return {a.sid: a.auth_token for a in accounts.iterator() if a.sid and a.auth_token}


class WebhookValidator:
    """Validates webhooks for one application: its tokens and its proxy setting.

    ``auth_token`` is the default token (the main account's). ``accounts``
    gives the token of the account named by a form's ``AccountSid``: a
    mapping, a function, or ``AccountTokens(client)``; when it knows none,
    the default is used. ``trust_forwarded`` says how many proxies of yours
    sit in front of the application, setting X-Forwarded-Proto/Host/Port: the
    URL Twilio requested is rebuilt from the values they vouch for (``True``
    is one proxy, an int ``n`` is ``n``, a :class:`~twiliorm.webhooks.urls.TrustedProxies`
    gives a count per header; see :func:`~twiliorm.webhooks.urls.forwarded_url`).
    Never count a proxy you do not run: its headers would come from the client.
    """

    def __init__(
        self,
        auth_token: str | None = None,
        *,
        accounts: Mapping[str, str] | TokenLookup | None = None,
        trust_forwarded: Trust = False,
    ) -> None:
        if not auth_token and accounts is None:
            raise ConfigurationError(
                "WebhookValidator needs the auth token webhooks are signed with "
                "(auth_token=...), or accounts=... to find it by AccountSid"
            )
        self._token = auth_token or None
        self._accounts = accounts
        self.proxies = TrustedProxies.of(trust_forwarded)

    def __repr__(self) -> str:
        return f"<WebhookValidator {self.proxies!r}>"

    @property
    def trust_forwarded(self) -> bool:
        """Whether any X-Forwarded-* header is trusted (see :attr:`proxies` for how far)."""
        return bool(self.proxies)

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
        try:
            return self._accounts(sid)
        except TwiliormError as exc:  # fail closed: an unknown account, not a 500
            logger.warning("webhooks: no token for %s: %s", sid, exc)
            return None

    def request_url(self, seen_url: str, headers: Mapping[str, str]) -> str:
        """The URL Twilio requested, from the one the application saw (and its proxy's headers)."""
        return forwarded_url(seen_url, headers, self.proxies) if self.proxies else seen_url

    def validate(self, url: str, params: Params | str | bytes, signature: str | None) -> bool:
        """True when ``signature`` is Twilio's for this request, signed by its account's token."""
        token = self.token_for(params)
        return token is not None and validate_signature(url, params, signature, token)
