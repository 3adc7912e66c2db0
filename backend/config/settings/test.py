"""Test runs: real PostgreSQL and Redis, no pool (pytest-django owns connections)."""

import os

from config.env import env
from config.settings.base import *  # noqa: F403
from hubkit.settings import database_config

DEBUG = False
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
DATABASES = {
    "default": database_config(
        env.str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub_backend"), pool=False
    ),
}
# Each pytest-xdist worker talks to its own identity-service: keep their caches apart.
# Separate runs (another DATABASE_URL, or the same one run twice at once) must not share cache
# keys either: the run id (or the process id without xdist) keeps them apart.
CACHES["default"]["KEY_PREFIX"] = "-".join(
    [
        "hub-backend-test",
        DATABASES["default"]["NAME"],
        env.str("PYTEST_XDIST_WORKER", "main"),
        env.str("PYTEST_XDIST_TESTRUNUID", str(os.getpid())),
    ]
)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ROOT_URLCONF = env.str("ROOT_URLCONF", "config.urls")
