"""Minimal Django settings for hubkit's own tests (PostgreSQL for the paginator's and encryption's tests)."""

import os

from hubkit.settings import database_config

SECRET_KEY = "dev-insecure-hubkit-tests"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tests.urls"
# `tests` holds the models the encrypted fields are tried on (no migrations: created as they are).
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "hubkit.encryption", "tests"]
MIDDLEWARE = [
    "hubkit.request_id.RequestIdMiddleware",
    "hubkit.access.AccessLogMiddleware",
    "hubkit.metrics.MetricsMiddleware",
    "hubkit.errors.ProblemDetailsMiddleware",
]
DATABASES = {
    "default": database_config(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub_hubkit"), pool=False
    ),
}
USE_TZ = True

IDENTITY = {
    "SERVICE_URL": "http://127.0.0.1:1",
    "HTTP_TIMEOUT_SECONDS": 1.0,
    "CLIENT_ID": "hubkit-tests",
    "CLIENT_SECRET": "dev-insecure-hubkit-tests",
}

# Labelled test-only keys (hubkit.encryption): the first encrypts, both decrypt.
FIELD_ENCRYPTION_KEYS = (
    "dev-insecure-hubkit-2:" + "ZGV2LWluc2VjdXJlLWh1YmtpdC10ZXN0LWtleS0yISE=,"
    "dev-insecure-hubkit-1:" + "ZGV2LWluc2VjdXJlLWh1YmtpdC10ZXN0LWtleS0xISE="
)
BLIND_INDEX_KEY = "dev-insecure-hubkit-blind-index-key"
