"""Test runs: real PostgreSQL and Redis, no pool (pytest-django owns connections)."""

from config.env import env
from config.settings.base import *  # noqa: F403
from hubkit.settings import database_config
from hubkit.testing import redis_namespace

DEBUG = False
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
DATABASES = {
    "default": database_config(
        env.str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub_identity"), pool=False
    ),
}
# Per run and xdist worker, so runs at once or one after another never share a key (lockout
# counters, cached keys); emptied at the run's start and end (`hubkit.pytest_plugin`).
CACHES["default"] = redis_namespace("identity").cache()
# Still argon2 (a test proves it), with cheap parameters so the suite stays fast.
PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]
LOGIN_MAX_FAILURES = 3
LOGIN_LOCKOUT_SECONDS = 60
EVENT_SIGNING_SECRETS = ["dev-insecure-identity-webhook-secret-test"]
