"""Settings shared by every environment; environment files change values, not structure."""

from apps.events.subscriptions import event_subscriptions
from config.env import BASE_DIR, env
from hubkit.logging import logging_from_env
from hubkit.settings import BASE_MIDDLEWARE, DJANGO_TEMPLATES, database_config, identity_settings, redis_cache

REPO_ROOT = BASE_DIR.parent

# Development-only secret, clearly labelled; production.py refuses it.
DEV_SECRET_KEY = "dev-insecure-backend-secret-key-change-me"  # noqa: S105

SECRET_KEY = env.str("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", ["http://127.0.0.1:5173", "http://localhost:5173"])
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Idempotent-Replayed"]

# Identity: tokens are verified locally against identity-service's published keys. Every other
# key has hubkit's default (hubkit.settings.IdentityConfig); IDENTITY_<KEY> in the environment
# overrides any of them.
# Development-only client secret (matches infrastructure/demo/identities.json); production refuses it.
DEV_IDENTITY_CLIENT_SECRET = "dev-insecure-hub-backend-client-secret"  # noqa: S105
IDENTITY = identity_settings(env, client_id="hub-backend", client_secret=DEV_IDENTITY_CLIENT_SECRET)

AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS: list[str] = []

# Audit trail: the actor is set after bearer auth (edge.permissions), cid = request id.
AUDITLOG_CID_GETTER = "hubkit.request_id.get_request_id"
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False
# The address an entry records (hubkit.client_address): REMOTE_ADDR unless a proxy header is named
# (e.g. "X-Forwarded-For"); then the hop appended by the outermost of TRUSTED_PROXY_COUNT proxies.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", "")
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", 1)
# Typed diffs ({field: [old, new]} with lists and numbers kept), rendered as-is by GET /audit.
AUDITLOG_STORE_JSON_CHANGES = True

# Field encryption (hubkit.encryption): `kid:base64key,...`, the first key encrypts, every listed one
# decrypts (a rotation lists the new key first, then the old). Development-only keys, labelled in
# their ids and bytes; production.py requires real ones. The older dev key lets a rotation be tried.
DEV_FIELD_ENCRYPTION_KEYS = (
    "dev-insecure-2:ZGV2LWluc2VjdXJlLWZpZWxkLWtleS0zMi1ieXRlcyE=,"
    "dev-insecure-1:ZGV2LWluc2VjdXJlLW9sZGVyLWZpZWxkLWtleS0zMiE="
)
FIELD_ENCRYPTION_KEYS = env.str("FIELD_ENCRYPTION_KEYS", DEV_FIELD_ENCRYPTION_KEYS)
# Keys the HMAC of the blind indexes (exact lookup of encrypted emails and phones); never an
# encryption key. Changing it would need every index recomputed, and no command does that yet:
# keep it for the database's lifetime.
DEV_BLIND_INDEX_KEY = "dev-insecure-backend-blind-index-key"
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY", DEV_BLIND_INDEX_KEY)

# Contacts: numbers without a country prefix are read as numbers of this region.
CONTACT_PHONE_DEFAULT_REGION = env.str("CONTACT_PHONE_DEFAULT_REGION", "DE")
# Contact imports (POST /contacts/import): the largest file accepted, its most rows, and how many
# rejected rows keep their reason (every rejection is counted).
CONTACT_IMPORT_MAX_BYTES = env.int("CONTACT_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
CONTACT_IMPORT_MAX_ROWS = env.int("CONTACT_IMPORT_MAX_ROWS", 50_000)
CONTACT_IMPORT_MAX_ROW_ERRORS = env.int("CONTACT_IMPORT_MAX_ROW_ERRORS", 1000)

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "ninja",
    "auditlog",
    "procrastinate.contrib.django",
    "hubkit.encryption",
    "apps.identity",
    "apps.idempotency",
    "apps.events",
    "apps.core",
    "apps.audit",
    "apps.scheduling",
    "apps.transactions",
    "apps.analytics",
    "apps.notifications",
    "apps.retention",
    "apps.health",
    "apps.demo",
]

MIDDLEWARE = [
    *BASE_MIDDLEWARE,
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "edge.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = False

TEMPLATES = DJANGO_TEMPLATES

DATABASES = {
    "default": database_config(
        env.str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub_backend"),
        pool_max=env.int("DATABASE_POOL_MAX", 8),
    ),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {"default": redis_cache(REDIS_URL, prefix="hub-backend")}

READINESS_TIMEOUT_SECONDS = env.float("READINESS_TIMEOUT_SECONDS", 3.0)
# Readiness says `degraded` (still 200) while an undelivered event is older than this.
EVENT_OUTBOX_DEGRADED_SECONDS = env.float("EVENT_OUTBOX_DEGRADED_SECONDS", 300.0)

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
USE_I18N = False

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024

LOGGING = logging_from_env(env, service="backend", debug=DEBUG)

# Events: the outbox is delivered by procrastinate jobs (worker: manage.py procrastinate worker).
COMMUNICATION_SERVICE_URL = env.str("COMMUNICATION_SERVICE_URL", "http://127.0.0.1:8003")
WORKFLOW_SERVICE_URL = env.str("WORKFLOW_SERVICE_URL", "http://127.0.0.1:8004")
# Development-only signing secrets (each receiver has the same default); production refuses them.
# Comma-separated: during a rotation list the new and the old secret; both sign every delivery.
COMMUNICATION_WEBHOOK_SECRETS = env.list(
    "COMMUNICATION_WEBHOOK_SECRETS", ["dev-insecure-communication-webhook-secret"]
)
WORKFLOW_WEBHOOK_SECRETS = env.list("WORKFLOW_WEBHOOK_SECRETS", ["dev-insecure-workflow-webhook-secret"])
EVENT_SUBSCRIPTIONS = event_subscriptions(
    communication_url=COMMUNICATION_SERVICE_URL,
    communication_secrets=COMMUNICATION_WEBHOOK_SECRETS,
    workflow_url=WORKFLOW_SERVICE_URL,
    workflow_secrets=WORKFLOW_WEBHOOK_SECRETS,
)
EVENT_DELIVERY_MAX_ATTEMPTS = env.int("EVENT_DELIVERY_MAX_ATTEMPTS", 10)
EVENT_DELIVERY_TIMEOUT_SECONDS = env.float("EVENT_DELIVERY_TIMEOUT_SECONDS", 5.0)
EVENT_DELIVERY_BACKOFF_BASE_SECONDS = env.float("EVENT_DELIVERY_BACKOFF_BASE_SECONDS", 2.0)
EVENT_DELIVERY_BACKOFF_MAX_SECONDS = env.float("EVENT_DELIVERY_BACKOFF_MAX_SECONDS", 600.0)
# A drain job (one per destination and shard at a time) reads this many ready deliveries at once,
# keeps this many POSTs in flight, and hands over to a follow-up job after this many seconds.
EVENT_DRAIN_BATCH = env.int("EVENT_DRAIN_BATCH", 500)
EVENT_DRAIN_CONCURRENCY = env.int("EVENT_DRAIN_CONCURRENCY", 16)
EVENT_DRAIN_SECONDS = env.float("EVENT_DRAIN_SECONDS", 5.0)
# The sweep wakes the drain of ready deliveries left waiting this long (a safety net).
EVENT_SWEEP_WAITING_SECONDS = env.float("EVENT_SWEEP_WAITING_SECONDS", 30.0)
# A worker silent for this long is presumed dead; its jobs are retried by the stalled-job sweep.
EVENT_STALLED_WORKER_SECONDS = env.float("EVENT_STALLED_WORKER_SECONDS", 30.0)
# How often the sweep looks for such jobs (cron with a trailing seconds field).
EVENT_STALLED_SWEEP_CRON = env.str("EVENT_STALLED_SWEEP_CRON", "* * * * * */15")
# Idempotency-Key: outcomes kept at least 24 h (clients may retry a day later); a claim older than
# this is presumed dead.
IDEMPOTENCY_RETENTION_SECONDS = env.int("IDEMPOTENCY_RETENTION_SECONDS", 25 * 3600)
IDEMPOTENCY_IN_PROGRESS_SECONDS = env.int("IDEMPOTENCY_IN_PROGRESS_SECONDS", 60)
# Analytics: the most cells (buckets x keys) a JSON series holds (more: 422; CSV is unbounded); an
# answer is not cached while a write is younger than the settle time (a transaction stamped earlier
# may commit later); the rollups count as exact up to the oldest open transaction minus the margin
# (clocks of the application hosts and the database differ).
ANALYTICS_MAX_JSON_CELLS = env.int("ANALYTICS_MAX_JSON_CELLS", 20_000)
ANALYTICS_SETTLE_SECONDS = env.float("ANALYTICS_SETTLE_SECONDS", 5.0)
ANALYTICS_ROLLUP_MARGIN_SECONDS = env.float("ANALYTICS_ROLLUP_MARGIN_SECONDS", 60.0)
# The worker (manage.py procrastinate worker) serves its Prometheus metrics on this port
# (METRICS_PORT, empty: not served), next to the web processes' /metrics.
PROCRASTINATE_ON_APP_READY = "hubkit.metrics.worker_app_ready"
WORKER_METRICS_PORT = env.int("METRICS_PORT", 9108) if env.str("METRICS_PORT", "9108") else None
WORKER_METRICS_HOST = env.str("METRICS_HOST", "127.0.0.1")
PROCRASTINATE_WORKER_DEFAULTS = {
    "queues": ["events", "maintenance", "imports"],
    # Jobs at once: one drain per destination and shard (apps.events.lines.SHARDS) plus the others.
    "concurrency": env.int("EVENT_WORKER_CONCURRENCY", 12),
    # Jobs scheduled for later (delivery retries) are noticed within this many seconds.
    "fetch_job_polling_interval": env.float("WORKER_POLLING_SECONDS", 1.0),
    "update_heartbeat_interval": env.float("WORKER_HEARTBEAT_SECONDS", 5.0),
    "stalled_worker_timeout": EVENT_STALLED_WORKER_SECONDS,
    "delete_jobs": "successful",
}
