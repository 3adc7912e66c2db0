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
