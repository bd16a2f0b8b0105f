"""A minimal Django project served over ASGI: one app, no database.

twiliorm needs no settings of its own here: the clients come from the
environment (TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_API_BASE_URL),
the sync one and its async twin alike. ``twiliorm.contrib.django`` can
configure them from ``settings.TWILIO`` instead (see docs/django_app.rst).
"""

SECRET_KEY = "example-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
INSTALLED_APPS = ["clinic"]
MIDDLEWARE: list[str] = []  # an API for the clinic's own systems: put your auth here
ROOT_URLCONF = "project.urls"
ASGI_APPLICATION = "project.asgi.application"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True

CLINIC_NUMBER = "+15017122661"
