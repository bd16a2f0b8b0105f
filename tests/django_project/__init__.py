"""A small Django project that uses twiliorm's Django app: settings, URLs and webhook views.

tests/test_django_app.py runs it through Django's test clients, in this process
(its settings applied with ``override_settings``, so other test modules that
configure Django keep theirs) and in a fresh one (``DJANGO_SETTINGS_MODULE``).
"""
