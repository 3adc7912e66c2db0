"""The ceiling app's settings: Django and Ninja alone, with no database, auth or middleware."""

SECRET_KEY = "dev-insecure-bench-ceiling"  # noqa: S105 - a local benchmark, never deployed
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["ninja"]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.ceiling.urls"
DATABASES: dict[str, object] = {}
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False
LOGGING_CONFIG = None
