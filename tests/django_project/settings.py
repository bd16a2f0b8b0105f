"""The project's settings: two Twilio accounts, one trusted proxy, no database."""

SECRET_KEY = "twiliorm-django-project"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "hooks.example.com", "forged.example"]
ROOT_URLCONF = "tests.django_project.urls"
INSTALLED_APPS = ["twiliorm.contrib.django"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
USE_TZ = True

TWILIO = {
    "default": {
        "ACCOUNT_SID": "AC" + "a" * 32,
        "AUTH_TOKEN": "default-token-0123456789abcdef",
    },
    "marketing": {
        "ACCOUNT_SID": "AC" + "b" * 32,
        "AUTH_TOKEN": "marketing-token-0123456789abcde",
        "REGION": "ie1",
        "EDGE": "dublin",
    },
}
TWILIO_TRUSTED_PROXIES = 1
