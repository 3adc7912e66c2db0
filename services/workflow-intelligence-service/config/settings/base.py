"""Settings shared by every environment; environment files change values, not structure."""

from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured

from config.env import BASE_DIR, env
from hubkit.logging import logging_from_env
from hubkit.retention import EVENT_REDELIVERY_MAX_DAYS
from hubkit.settings import BASE_MIDDLEWARE, DJANGO_TEMPLATES, database_config, identity_settings, redis_cache

# Development-only secrets, clearly labelled; production.py refuses them.
DEV_SECRET_KEY = "dev-insecure-workflow-secret-key-change-me"  # noqa: S105
DEV_WEBHOOK_SECRET = "dev-insecure-workflow-webhook-secret"  # noqa: S105
DEV_WORKFLOW_CLIENT_SECRET = "dev-insecure-workflow-client-secret"  # noqa: S105

SECRET_KEY = env.str("SECRET_KEY", DEV_SECRET_KEY)

# Field encryption (hubkit.encryption) of the received events' envelopes (contacts' names, emails,
# phones) and the runs' details:
# `kid:base64key,...`, the first key encrypts, every listed one decrypts (a rotation lists the new
# key first, then the old; `manage.py rotate_encryption_keys`). Development-only keys, labelled in
# their ids and bytes and not the backend's; production.py requires real ones.
DEV_FIELD_ENCRYPTION_KEYS = (
    "dev-insecure-workflow-2:ZGV2LWluc2VjdXJlLXdvcmtmbG93LWZpZWxka2V5LTE=,"
    "dev-insecure-workflow-1:ZGV2LWluc2VjdXJlLXdvcmtmbG93LW9sZC1rZXktMSE="
)
FIELD_ENCRYPTION_KEYS = env.str("FIELD_ENCRYPTION_KEYS", DEV_FIELD_ENCRYPTION_KEYS)
DEBUG = env.bool("DEBUG", False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "ninja",
    "hubkit.encryption",
    "apps.workflows",
]

MIDDLEWARE = [
    *BASE_MIDDLEWARE,
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False

TEMPLATES = DJANGO_TEMPLATES

DATABASES = {
    "default": database_config(
        env.str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub_workflow"),
        pool_max=env.int("DATABASE_POOL_MAX", 4),
    ),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {"default": redis_cache(REDIS_URL, prefix="hub-workflow")}

READINESS_TIMEOUT_SECONDS = env.float("READINESS_TIMEOUT_SECONDS", 3.0)

# Incoming events (Standard Webhooks). Comma-separated: during a rotation every listed secret
# verifies; the sender signs with the ones it knows.
WEBHOOK_SECRETS = env.list("WEBHOOK_SECRETS", [DEV_WEBHOOK_SECRET])

# Identity: bearer tokens are verified locally (hubkit), and this service's own client
# credentials get it service tokens for calling the backend. Every other key has hubkit's default
# (hubkit.settings.IdentityConfig); IDENTITY_<KEY> in the environment overrides any of them.
IDENTITY = identity_settings(
    env,
    client_id=env.str("WORKFLOW_CLIENT_ID", "workflow-intelligence-service"),
    client_secret=env.str("WORKFLOW_CLIENT_SECRET", DEV_WORKFLOW_CLIENT_SECRET),
)
# Only what the actions need (least privilege); the client may hold more.
WORKFLOW_TOKEN_SCOPE = env.str("WORKFLOW_TOKEN_SCOPE", "notifications:write")

# The backend's REST API (actions). Timeouts stay well under the event sender's own timeout.
BACKEND_URL = env.str("BACKEND_URL", "http://127.0.0.1:8000").rstrip("/")
BACKEND_CONNECT_TIMEOUT_SECONDS = env.float("BACKEND_CONNECT_TIMEOUT_SECONDS", 2.0)
BACKEND_TIMEOUT_SECONDS = env.float("BACKEND_TIMEOUT_SECONDS", 5.0)

# Default rules: a refund of at least this amount (any currency) alerts the admins.
REFUND_ALERT_THRESHOLD = env.decimal("REFUND_ALERT_THRESHOLD", Decimal("100.00"))

# Retention (apps/workflows/retention.py). A received event's envelope holds the contact's data
# the rules read: blanked after 30 days, the row staying as the dedupe key. The backend may
# redeliver an event until it purges it, at most 365 days after it happened, so the keys are
# kept longer than that; runs (the rules' history) 180 days.
EVENT_PAYLOAD_RETENTION_DAYS = env.int("EVENT_PAYLOAD_RETENTION_DAYS", 30)
RECEIVED_EVENT_RETENTION_DAYS = env.int("RECEIVED_EVENT_RETENTION_DAYS", 400)
RUN_RETENTION_DAYS = env.int("RUN_RETENTION_DAYS", 180)
# One purge round (a batch per table) at most this often, started by an event receipt.
RETENTION_PURGE_INTERVAL_SECONDS = env.int("RETENTION_PURGE_INTERVAL_SECONDS", 300)
if min(EVENT_PAYLOAD_RETENTION_DAYS, RUN_RETENTION_DAYS) < 1:
    raise ImproperlyConfigured("EVENT_PAYLOAD_RETENTION_DAYS and RUN_RETENTION_DAYS must be at least 1")
if RECEIVED_EVENT_RETENTION_DAYS <= EVENT_REDELIVERY_MAX_DAYS:
    raise ImproperlyConfigured(
        f"RECEIVED_EVENT_RETENTION_DAYS must exceed {EVENT_REDELIVERY_MAX_DAYS}: the backend may "
        "redeliver an event that long, and a purged dedupe key would run its rules twice"
    )

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
USE_I18N = False

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

LOGGING = logging_from_env(env, service="workflow-intelligence-service", debug=DEBUG)
