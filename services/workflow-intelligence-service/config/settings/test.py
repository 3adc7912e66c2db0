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
        env.str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub_workflow"), pool=False
    ),
}
# Per run and xdist worker, so runs at once or one after another never share a key (lockout
# counters, cached keys); emptied at the run's start and end (`hubkit.pytest_plugin`).
CACHES["default"] = redis_namespace("workflow").cache()
# Short, so the timeout case of the backend client does not slow the suite down.
BACKEND_TIMEOUT_SECONDS = 1.0
