"""Test runs: real PostgreSQL and Redis, no pool (pytest-django owns connections)."""

from config.env import env
from config.settings.base import *  # noqa: F403
from hubkit.settings import database_config

DEBUG = False
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
DATABASES = {
    "default": database_config(
        env.str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub_communication"), pool=False
    ),
}
# Each pytest-xdist worker talks to its own identity-service: keep their cached keys apart.
CACHES["default"]["KEY_PREFIX"] = "-".join(
    ["hub-communication-test", DATABASES["default"]["NAME"], env.str("PYTEST_XDIST_WORKER", "main")]
)
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
WEBHOOK_SECRETS = ["dev-insecure-communication-webhook-secret-test"]
IDENTITY_WEBHOOK_SECRETS = ["dev-insecure-identity-webhook-secret-test"]
SMS_PROVIDER = "log"
