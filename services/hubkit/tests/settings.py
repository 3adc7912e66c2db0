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

IDENTITY = {
    "SERVICE_URL": "http://127.0.0.1:1",
    "HTTP_TIMEOUT_SECONDS": 1.0,
    "CLIENT_ID": "hubkit-tests",
    "CLIENT_SECRET": "dev-insecure-hubkit-tests",
}
