"""Minimal Django settings for hubkit's own tests (PostgreSQL only for the paginator's tests)."""

import os

from hubkit.settings import database_config

SECRET_KEY = "dev-insecure-hubkit-tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.urls"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth"]
MIDDLEWARE = [
    "hubkit.request_id.RequestIdMiddleware",
    "hubkit.metrics.MetricsMiddleware",
    "hubkit.errors.ProblemDetailsMiddleware",
]
DATABASES = {
    "default": database_config(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub_hubkit"), pool=False
    ),
}
USE_TZ = True

IDENTITY_SERVICE_URL = "http://127.0.0.1:1"
IDENTITY_ISSUER = IDENTITY_SERVICE_URL
IDENTITY_AUDIENCE = "hub-backend"
IDENTITY_ALGORITHMS = ["EdDSA"]
IDENTITY_LEEWAY_SECONDS = 30
IDENTITY_HTTP_TIMEOUT_SECONDS = 1.0
IDENTITY_JWKS_TTL_SECONDS = 300.0
IDENTITY_JWKS_REFRESH_COOLDOWN_SECONDS = 30.0
IDENTITY_JWKS_MAX_STALE_SECONDS = 3600.0
IDENTITY_INTROSPECTION_CACHE_SECONDS = 15
IDENTITY_CLIENT_ID = "hubkit-tests"
IDENTITY_CLIENT_SECRET = "dev-insecure-hubkit-tests"
