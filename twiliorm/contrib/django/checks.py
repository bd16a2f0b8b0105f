"""System checks of the Twilio settings (``manage.py check``), registered by the app.

Each alias of ``settings.TWILIO`` (or the flat ``TWILIO_*`` settings) is read
as :mod:`.conf` reads it, and what would make its client fail, or make every
webhook answer 403, is reported before the first request:

=================  ==================================================================
``twiliorm.E001``  TWILIO is not a dict of aliases, or an alias's value is not a dict
``twiliorm.E002``  an unknown key in an alias (a misspelt ``AUTH_TOKN`` would be lost)
``twiliorm.E003``  no ACCOUNT_SID
``twiliorm.E004``  an ACCOUNT_SID that is not ``AC`` and 32 hex digits
``twiliorm.E005``  no credentials: an empty AUTH_TOKEN and no API_KEY with API_SECRET
``twiliorm.E006``  a BASE_URL that is not an http(s) URL
``twiliorm.E007``  OPTIONS that are not a dict of Client arguments
``twiliorm.E008``  TWILIO_TRUSTED_PROXIES that is no bool, int, dict or TrustedProxies
``twiliorm.E009``  any other reason :class:`twiliorm.Client` refuses the configuration
``twiliorm.W001``  no Twilio settings, and no TWILIO_ACCOUNT_SID in the environment
``twiliorm.W002``  flat TWILIO_* settings beside TWILIO, which wins
=================  ==================================================================

Messages name the alias and the key, never a secret's value.
"""

# mypy: disable-error-code="import-untyped, import-not-found"

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ImproperlyConfigured

from ...client import Client
from ...exceptions import ConfigurationError
from . import conf

__all__ = ["TAG", "check_settings"]

TAG = "twiliorm"
_ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}\Z")
_HINT = 'TWILIO = {"default": {"ACCOUNT_SID": "AC...", "AUTH_TOKEN": "..."}}'


def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every problem of the Twilio settings (see the module doc for the ids)."""
    if not apps.is_installed(conf.APP_NAME):
        return []
    configured = getattr(settings, "TWILIO", None)
    if configured is not None and not isinstance(configured, Mapping):
        kind = type(configured).__name__
        return [_error("E001", f"TWILIO must be a dict of aliases, not {kind}")]
    found = [*_unset(), *_shadowed(configured), *trusted_proxies()]
    for alias, config in conf.alias_settings().items():
        found += check_alias(alias, config)
    return found


def check_alias(alias: object, config: object) -> list[CheckMessage]:
    """The problems of one alias's configuration."""
    where = f"TWILIO[{alias!r}]"
    if not isinstance(alias, str) or not alias:
        return [_error("E001", f"{where}: an alias is a non-empty string")]
    if not isinstance(config, Mapping):
        return [_error("E001", f"{where} must be a dict, not {type(config).__name__}")]
    found = [
        *_unknown_keys(where, config),
        *_account_sid(where, config.get("ACCOUNT_SID")),
        *_credentials(where, config),
        *_base_url(where, config.get("BASE_URL")),
        *_options(where, config.get("OPTIONS")),
    ]
    return found or _buildable(where, config)


def _error(code: str, message: str, hint: str | None = None) -> Error:
    return Error(message, hint=hint, id=f"{TAG}.{code}")


def _unset() -> list[CheckMessage]:
    if conf.alias_settings() or os.environ.get("TWILIO_ACCOUNT_SID"):
        return []
    return [
        checks.Warning(
            "no Twilio settings: the default client will be read from the environment, "
            "which has no TWILIO_ACCOUNT_SID",
            hint=_HINT,
            id=f"{TAG}.W001",
        )
    ]


def _shadowed(configured: object) -> list[CheckMessage]:
    flat = conf.flat_settings_in_use() if configured is not None else []
    if not flat:
        return []
    return [
        checks.Warning(f"{', '.join(flat)} ignored: TWILIO is set and configures every alias",
                hint="move them into TWILIO['default']", id=f"{TAG}.W002")
    ]  # fmt: skip


def trusted_proxies() -> list[CheckMessage]:
    """E008 when TWILIO_TRUSTED_PROXIES cannot be read."""
    try:
        conf.trusted_proxies()
    except ImproperlyConfigured as exc:
        return [_error("E008", str(exc), 'e.g. TWILIO_TRUSTED_PROXIES = {"proto": 1, "host": 1}')]
    return []


def _unknown_keys(where: str, config: Mapping[Any, Any]) -> list[CheckMessage]:
    unknown = sorted(str(key) for key in config if key not in conf.KEYS)
    if not unknown:
        return []
    return [_error("E002", f"{where}: unknown keys {unknown}", f"the keys are {sorted(conf.KEYS)}")]


def _account_sid(where: str, sid: object) -> list[CheckMessage]:
    if not sid:
        return [_error("E003", f"{where} has no ACCOUNT_SID", _HINT)]
    if not isinstance(sid, str) or not _ACCOUNT_SID.match(sid):
        shown = sid if isinstance(sid, str) and len(sid) < 40 else type(sid).__name__
        return [_error("E004", f"{where}['ACCOUNT_SID'] = {shown!r} is not AC and 32 hex digits")]
    return []


def _credentials(where: str, config: Mapping[str, Any]) -> list[CheckMessage]:
    key, secret, token = (config.get(k) for k in ("API_KEY", "API_SECRET", "AUTH_TOKEN"))
    if key or secret:
        if not (_text(key) and _text(secret)):
            return [_error("E005", f"{where}: API_KEY and API_SECRET go together, both non-empty")]
        return []
    if not _text(token):
        return [
            _error(
                "E005",
                f"{where}: AUTH_TOKEN is missing or empty (and there is no API_KEY)",
                "set AUTH_TOKEN, or API_KEY and API_SECRET (then AUTH_TOKEN checks webhooks)",
            )
        ]
    return []


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _base_url(where: str, url: object) -> list[CheckMessage]:
    if url is None:
        return []
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return [_error("E006", f"{where}['BASE_URL'] is not an http(s) URL with a host")]
    if parts.username is not None:
        return [_error("E006", f"{where}['BASE_URL'] holds credentials", "they go in AUTH_TOKEN")]
    return []


def _options(where: str, options: object) -> list[CheckMessage]:
    if options is None:
        return []
    if not isinstance(options, Mapping):
        return [_error("E007", f"{where}['OPTIONS'] must be a dict of Client arguments")]
    unknown = sorted(str(name) for name in options if name not in conf.CLIENT_OPTIONS)
    if unknown:
        known = sorted(conf.CLIENT_OPTIONS)
        return [_error("E007", f"{where}['OPTIONS']: unknown {unknown}", f"one of {known}")]
    return []


def _buildable(where: str, config: Mapping[str, Any]) -> list[CheckMessage]:
    try:
        Client(**conf.client_kwargs(config)).close()
    except (ConfigurationError, TypeError, ValueError) as exc:
        return [_error("E009", f"{where} makes no client: {exc}")]
    return []
