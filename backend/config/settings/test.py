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
        env.str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub_backend"), pool=False
    ),
}
# Per run and xdist worker (each worker talks to its own identity-service; runs at once or one
# after another never share a key), emptied at the run's start and end (`hubkit.pytest_plugin`).
CACHES["default"] = redis_namespace("backend").cache()
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ROOT_URLCONF = env.str("ROOT_URLCONF", "config.urls")
