"""Reading the Twilio settings, and the client aliases they configure.

``settings.TWILIO`` maps each alias to its configuration, as ``DATABASES``
does; without it, the flat ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``...
settings configure the ``"default"`` alias::

    TWILIO = {
        "default": {"ACCOUNT_SID": "AC...", "AUTH_TOKEN": "..."},
        "marketing": {"ACCOUNT_SID": "AC...", "API_KEY": "SK...", "API_SECRET": "...",
                      "AUTH_TOKEN": "...", "REGION": "ie1", "EDGE": "dublin"},
    }
    TWILIO_TRUSTED_PROXIES = 1      # or {"proto": 1, "host": 1}, or TrustedProxies(...)

The settings are the whole configuration of their clients: nothing missing is
filled in from the environment (a value read from it belongs in the settings
file, ``os.environ["..."]``), except that webhooks of the ``"default"`` alias
fall back to ``TWILIO_AUTH_TOKEN`` in the environment, as they always did.
With ``API_KEY``/``API_SECRET`` the client authenticates with the key, and
``AUTH_TOKEN`` (Twilio signs webhooks with it, never with a key) serves
webhooks only.

:class:`SettingsClients` registers one :class:`twiliorm.Client` per alias
with :func:`twiliorm.client.set_client` when the app is ready, and again
whenever a ``TWILIO*`` setting changes (``override_settings`` in tests). A
configuration that cannot make a client is skipped here and reported by the
system checks (:mod:`.checks`).
"""

# mypy: disable-error-code="import-untyped, import-not-found, untyped-decorator"

from __future__ import annotations

import inspect
import logging
import os
import threading
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

from ...client import DEFAULT_ALIAS, Client, set_client
from ...exceptions import ConfigurationError
from ...webhooks.urls import Trust, TrustedProxies

__all__ = [
    "APP_NAME",
    "CLIENT_OPTIONS",
    "FLAT_SETTINGS",
    "KEYS",
    "SettingsClients",
    "account_tokens",
    "alias_of_account",
    "alias_settings",
    "client_kwargs",
    "clients",
    "flat_settings_in_use",
    "trusted_proxies",
    "webhook_token",
]

logger = logging.getLogger("twiliorm.contrib.django")

APP_NAME = "twiliorm.contrib.django"

#: An alias's keys, and the Client argument each one gives (OPTIONS holds the others).
KEYS: dict[str, str] = {
    "ACCOUNT_SID": "account_sid",
    "AUTH_TOKEN": "auth_token",
    "API_KEY": "api_key",
    "API_SECRET": "api_secret",
    "BASE_URL": "base_url",
    "REGION": "region",
    "EDGE": "edge",
    "PROXY": "proxy",
    "OPTIONS": "",
}
#: The flat setting that configures each key of the default alias when TWILIO is not set.
FLAT_SETTINGS: dict[str, str] = {
    "ACCOUNT_SID": "TWILIO_ACCOUNT_SID",
    "AUTH_TOKEN": "TWILIO_AUTH_TOKEN",
    "API_KEY": "TWILIO_API_KEY",
    "API_SECRET": "TWILIO_API_SECRET",
    "BASE_URL": "TWILIO_API_BASE_URL",
    "REGION": "TWILIO_REGION",
    "EDGE": "TWILIO_EDGE",
    "PROXY": "TWILIO_PROXY",
    "OPTIONS": "TWILIO_OPTIONS",
}
#: What OPTIONS may hold: Client's other keyword arguments (timeout, retry, strict...).
CLIENT_OPTIONS = frozenset(inspect.signature(Client).parameters) - set(KEYS.values()) - {"environ"}
# INSTALLED_APPS too: the clients go when the app is uninstalled (override_settings).
_WATCHED = {"TWILIO", "INSTALLED_APPS", *FLAT_SETTINGS.values()}


def flat_settings_in_use() -> list[str]:
    """The flat TWILIO_* settings given a value (None counts as not given)."""
    return [name for name in FLAT_SETTINGS.values() if getattr(settings, name, None) is not None]


def alias_settings() -> dict[str, Any]:
    """Alias -> its configuration: ``settings.TWILIO``, else the flat settings as "default".

    Returned as written (checking is :mod:`.checks`' job); ``{}`` when nothing is set.
    """
    configured = getattr(settings, "TWILIO", None)
    if configured is not None:
        return dict(configured) if isinstance(configured, Mapping) else {}
    flat = {key: getattr(settings, name, None) for key, name in FLAT_SETTINGS.items()}
    given = {key: value for key, value in flat.items() if value is not None}
    return {DEFAULT_ALIAS: given} if given else {}


def _config(alias: str) -> Mapping[str, Any]:
    config = alias_settings().get(alias)
    return config if isinstance(config, Mapping) else {}


def client_kwargs(config: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`twiliorm.Client` arguments an alias's configuration gives."""
    kwargs = {KEYS[key]: value for key, value in config.items() if KEYS.get(key)}
    kwargs.update(config.get("OPTIONS") or {})
    if kwargs.get("api_key"):
        kwargs.pop("auth_token", None)  # the token is for webhooks; the key authenticates
    return {**kwargs, "environ": {}}


def webhook_token(alias: str = DEFAULT_ALIAS) -> str | None:
    """The auth token that signs the webhooks of ``alias``'s account, if configured."""
    token = _config(alias).get("AUTH_TOKEN")
    if not token and alias == DEFAULT_ALIAS:
        token = os.environ.get("TWILIO_AUTH_TOKEN")
    return token if isinstance(token, str) and token else None


def account_tokens() -> dict[str, str]:
    """ACCOUNT_SID -> AUTH_TOKEN of every alias that has both: one URL serves them all."""
    found = {}
    for config in alias_settings().values():
        if isinstance(config, Mapping):
            sid, token = config.get("ACCOUNT_SID"), config.get("AUTH_TOKEN")
            if isinstance(sid, str) and isinstance(token, str) and sid and token:
                found[sid] = token
    return found


def alias_of_account(account_sid: str | None, fallback: str = DEFAULT_ALIAS) -> str:
    """The alias configured for ``account_sid``, else ``fallback``."""
    for alias, config in alias_settings().items():
        if isinstance(config, Mapping) and account_sid and config.get("ACCOUNT_SID") == account_sid:
            return str(alias)
    return fallback


def trusted_proxies(trust: Trust | None = None) -> TrustedProxies:
    """``trust`` if given, else ``settings.TWILIO_TRUSTED_PROXIES`` (a bool, an int,
    ``{"proto": n, "host": n, "port": n}`` or a TrustedProxies; none by default)."""
    value: Any = trust if trust is not None else getattr(settings, "TWILIO_TRUSTED_PROXIES", False)
    try:
        if isinstance(value, Mapping):
            return TrustedProxies(**value)
        return TrustedProxies.of(value)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"TWILIO_TRUSTED_PROXIES: {exc}") from exc


class SettingsClients:
    """The clients this app registered from the settings, by alias; replaced as a whole."""

    def __init__(self) -> None:
        self._made: dict[str, Client] = {}
        self._lock = threading.Lock()

    def register(self) -> dict[str, Client]:
        """Forget the clients registered before, and register one per configured alias."""
        with self._lock:
            self._forget()
            for alias, config in alias_settings().items():
                client = _client_or_none(alias, config)
                if client is not None:
                    set_client(alias, client)
                    self._made[alias] = client
            return dict(self._made)

    def forget(self) -> None:
        """Unregister and close the clients made from the settings."""
        with self._lock:
            self._forget()

    def _forget(self) -> None:
        for alias, client in self._made.items():
            set_client(alias, None)
            client.close()
        self._made = {}


def _client_or_none(alias: object, config: object) -> Client | None:
    if not isinstance(alias, str) or not alias or not isinstance(config, Mapping):
        return None
    try:
        return Client(**client_kwargs(config))
    except (ConfigurationError, TypeError, ValueError) as exc:
        logger.warning("TWILIO[%r] makes no client (see `manage.py check`): %s", alias, exc)
        return None


#: The process's clients from the settings (registered by the app's ``ready()``).
clients = SettingsClients()


@receiver(setting_changed)
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting not in _WATCHED:
        return
    if apps.apps_ready and apps.is_installed(APP_NAME):
        clients.register()
    else:
        clients.forget()
