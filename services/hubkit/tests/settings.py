"""Minimal Django settings for hubkit's own tests (no database needed)."""

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
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
