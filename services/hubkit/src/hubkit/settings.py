"""Settings helpers shared by every service: database config with pooling, production guards."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

DEV_SECRET_MARKER = "dev-insecure"  # noqa: S105 - a marker to refuse, not a secret
"""Every development secret contains this marker; production refuses to start with one."""


def database_config(
    url: str,
    *,
    pool_min: int = 1,
    pool_max: int = 8,
    pool_timeout: float = 5.0,
    connect_timeout: int = 3,
    pool: bool = True,
) -> dict[str, Any]:
    """A Django DATABASES entry from a postgres:// URL, using Django's psycopg 3 pool."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgres:// URL, not {parts.scheme!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    options: dict[str, Any] = {"connect_timeout": connect_timeout, **query}
    if pool:
        # Django's pool refuses CONN_MAX_AGE != 0; the pool is per process.
        options["pool"] = {"min_size": pool_min, "max_size": pool_max, "timeout": pool_timeout}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 0,
        "OPTIONS": options,
    }


def assert_production_ready(*, debug: bool, secrets: Mapping[str, str]) -> None:
    """Refuse to start production with DEBUG on, or with a missing, short or development secret."""
    problems = []
    if debug:
        problems.append("DEBUG must be off")
    for name, value in secrets.items():
        if not value:
            problems.append(f"{name} is not set")
        elif DEV_SECRET_MARKER in value:
            problems.append(f"{name} is a development secret")
        elif len(value) < 32:
            problems.append(f"{name} is shorter than 32 characters")
    if problems:
        raise ImproperlyConfigured("refusing to start in production: " + "; ".join(problems))


BASE_MIDDLEWARE = [
    "hubkit.request_id.RequestIdMiddleware",
    "hubkit.metrics.MetricsMiddleware",
    "hubkit.errors.ProblemDetailsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
]
"""The middleware every hub service starts with, in this order; services append their own."""

DJANGO_TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    },
]


def redis_cache(url: str, *, prefix: str) -> dict[str, Any]:
    """A CACHES entry on Redis with short socket timeouts: a Redis outage never hangs a request."""
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": prefix,
        "TIMEOUT": 300,
        "OPTIONS": {"socket_timeout": 1.0, "socket_connect_timeout": 1.0},
    }
