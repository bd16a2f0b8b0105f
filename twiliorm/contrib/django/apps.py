"""The Django app: ``INSTALLED_APPS = [..., "twiliorm.contrib.django"]``.

When Django is ready it registers a client per alias of the Twilio settings
(:mod:`.conf`) and the system checks of those settings (:mod:`.checks`,
``manage.py check --tag twiliorm``). The app has no models and no URLs; its
label is ``twiliorm``.
"""

# mypy: disable-error-code="import-untyped, import-not-found, misc"

from __future__ import annotations

from django.apps import AppConfig
from django.core import checks

from .checks import TAG, check_settings
from .conf import APP_NAME, clients

__all__ = ["TwiliormConfig"]


class TwiliormConfig(AppConfig):
    """Registers the settings' clients and checks when Django is ready."""

    name = APP_NAME
    label = "twiliorm"
    verbose_name = "Twilio (twiliorm)"

    def ready(self) -> None:
        checks.register(check_settings, TAG)
        clients.register()
