"""Settings shared by every environment; environment files change values, not structure."""

from django.core.exceptions import ImproperlyConfigured

from config.env import BASE_DIR, env
from hubkit.logging import logging_from_env
from hubkit.retention import EVENT_REDELIVERY_MAX_DAYS
from hubkit.settings import BASE_MIDDLEWARE, database_config, identity_settings, redis_cache

# Development-only secrets, clearly labelled; production.py refuses them.
DEV_SECRET_KEY = "dev-insecure-communication-secret-key-change-me"  # noqa: S105
DEV_WEBHOOK_SECRET = "dev-insecure-communication-webhook-secret"  # noqa: S105
DEV_IDENTITY_WEBHOOK_SECRET = "dev-insecure-identity-webhook-secret"  # noqa: S105

SECRET_KEY = env.str("SECRET_KEY", DEV_SECRET_KEY)

# Field encryption (hubkit.encryption) of messages' recipients (addresses and names), subjects,
# bodies and send errors:
# `kid:base64key,...`, the first key encrypts, every listed one decrypts (a rotation lists the new
# key first, then the old; `manage.py rotate_encryption_keys`). Development-only keys, labelled in
# their ids and bytes and not the backend's; production.py requires real ones.
DEV_FIELD_ENCRYPTION_KEYS = (
    "dev-insecure-communication-2:ZGV2LWluc2VjdXJlLWNvbW11bmljYXRpb24ta2V5LTE=,"
    "dev-insecure-communication-1:ZGV2LWluc2VjdXJlLWNvbW11bmljYXRpb24tb2xkLTE="
)
FIELD_ENCRYPTION_KEYS = env.str("FIELD_ENCRYPTION_KEYS", DEV_FIELD_ENCRYPTION_KEYS)
DEBUG = env.bool("DEBUG", False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "ninja",
    "hubkit.encryption",
    "apps.messaging",
]

MIDDLEWARE = [
    *BASE_MIDDLEWARE,
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False

# "django" renders HTML (autoescaped); "text" renders subjects, plain-text bodies and SMS, where
# HTML escaping would corrupt names like "O'Brien & Co".
TEMPLATES = [
    {
        "NAME": "django",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    },
    {
        "NAME": "text",
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"autoescape": False, "context_processors": []},
    },
]

DATABASES = {
    "default": database_config(
        env.str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub_communication"),
        pool_max=env.int("DATABASE_POOL_MAX", 4),
    ),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {"default": redis_cache(REDIS_URL, prefix="hub-communication")}

READINESS_TIMEOUT_SECONDS = env.float("READINESS_TIMEOUT_SECONDS", 3.0)

# Identity: tokens are verified locally against identity-service's published keys. Every key has
# hubkit's default (hubkit.settings.IdentityConfig); IDENTITY_<KEY> in the environment overrides it.
# No client credentials: this service never calls identity-service as a client.
IDENTITY = identity_settings(env)

# Incoming events (Standard Webhooks): comma-separated; every one is accepted (rotation).
# One list per publishing service: a type is accepted only signed by the service the hub's
# registry names as its publisher (hubkit.event_types.publishing_service).
WEBHOOK_SECRETS = env.list("WEBHOOK_SECRETS", [DEV_WEBHOOK_SECRET])  # the backend's
IDENTITY_WEBHOOK_SECRETS = env.list("IDENTITY_WEBHOOK_SECRETS", [DEV_IDENTITY_WEBHOOK_SECRET])
# How long a sender should wait before retrying a delivery we could not send (503).
SEND_RETRY_AFTER_SECONDS = env.int("SEND_RETRY_AFTER_SECONDS", 30)

# Retention (apps/messaging/retention.py). Messages hold addresses and texts: kept 180 days for
# support questions ("did the reminder go out?"), then purged. Received events hold no personal
# data and are the dedupe keys: the backend can redeliver an event until it purges it, at most
# 365 days after it happened (its largest `events_days`), so they are kept longer than that.
MESSAGE_RETENTION_DAYS = env.int("MESSAGE_RETENTION_DAYS", 180)
RECEIVED_EVENT_RETENTION_DAYS = env.int("RECEIVED_EVENT_RETENTION_DAYS", 400)
# One purge round (a batch per table) at most this often, started by an event receipt.
RETENTION_PURGE_INTERVAL_SECONDS = env.int("RETENTION_PURGE_INTERVAL_SECONDS", 300)
if MESSAGE_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("MESSAGE_RETENTION_DAYS must be at least 1")
if RECEIVED_EVENT_RETENTION_DAYS <= EVENT_REDELIVERY_MAX_DAYS:
    raise ImproperlyConfigured(
        f"RECEIVED_EVENT_RETENTION_DAYS must exceed {EVENT_REDELIVERY_MAX_DAYS}: the backend may "
        "redeliver an event that long, and a purged dedupe key would send its messages twice"
    )

# Email over SMTP; locally the sink (`python -m apps.messaging.smtp_sink`) listens on 1025.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env.int("EMAIL_PORT", 1025)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", 10.0)
MESSAGES_FROM_ADDRESS = env.str("MESSAGES_FROM_ADDRESS", "no-reply@hub.localhost")
DEFAULT_FROM_EMAIL = MESSAGES_FROM_ADDRESS

# Where relative `action_url`s of notifications point (the hub's web app).
FRONTEND_URL = env.str("FRONTEND_URL", "http://127.0.0.1:5173")

# SMS through a provider adapter: "log" (development: logs each message).
SMS_PROVIDER = env.str("SMS_PROVIDER", "log")

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
USE_I18N = False

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

LOGGING = logging_from_env(env, service="communication-service", debug=DEBUG)
