"""Settings shared by every environment; environment files change values, not structure."""

from config.env import BASE_DIR, env
from hubkit.logging import logging_from_env
from hubkit.settings import BASE_MIDDLEWARE, DJANGO_TEMPLATES, database_config, redis_cache

# Development-only secrets, clearly labelled; production.py refuses them.
DEV_SECRET_KEY = "dev-insecure-identity-secret-key-change-me"  # noqa: S105
DEV_FIELD_ENCRYPTION_KEY = "dev-insecure-identity-field-encryption-key"

SECRET_KEY = env.str("SECRET_KEY", DEV_SECRET_KEY)
DEBUG = env.bool("DEBUG", False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "ninja",
    "procrastinate.contrib.django",
    "apps.accounts",
    "apps.signing",
    "apps.tokens",
    "apps.authn",
    "apps.clients",
    "apps.outbox",
    "apps.invitations",
    "apps.demo",
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
        env.str("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hub_identity"),
        pool_max=env.int("DATABASE_POOL_MAX", 4),
    ),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {"default": redis_cache(REDIS_URL, prefix="hub-identity")}

READINESS_TIMEOUT_SECONDS = env.float("READINESS_TIMEOUT_SECONDS", 3.0)

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
PASSWORD_MIN_LENGTH = env.int("PASSWORD_MIN_LENGTH", 12)
# Every password a user chooses also passes Django's validators (apps.accounts.services.password_validate).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Secrets at rest (TOTP secrets, signing keys). A comma-separated list: the first encrypts,
# every one decrypts, so the key can be rotated without losing data.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEY", [DEV_FIELD_ENCRYPTION_KEY])

# Tokens. The issuer is the public base URL of this service; discovery URLs derive from it.
IDENTITY_ISSUER = env.str("IDENTITY_ISSUER", "http://127.0.0.1:8001").rstrip("/")
TOKEN_AUDIENCE = env.list("TOKEN_AUDIENCE", ["hub-backend"])
USER_TOKEN_CLIENT_ID = "hub-frontend"  # noqa: S105 - a public client id
USER_TOKEN_SCOPE = "hub"  # noqa: S105 - a scope name
# RFC 9068 access tokens stay short: never longer than 15 minutes, whatever the environment says.
ACCESS_TOKEN_TTL_SECONDS = min(env.int("ACCESS_TOKEN_TTL_SECONDS", 900), 900)
TOKEN_LEEWAY_SECONDS = env.int("TOKEN_LEEWAY_SECONDS", 30)
REFRESH_TOKEN_TTL_SECONDS = env.int("REFRESH_TOKEN_TTL_SECONDS", 14 * 24 * 3600)
# Presenting the just-rotated refresh token again within this many seconds (two tabs refreshing
# at once) answers its successor again instead of revoking the session as reuse.
REFRESH_REUSE_GRACE_SECONDS = env.int("REFRESH_REUSE_GRACE_SECONDS", 10)
JWKS_MAX_AGE_SECONDS = env.int("JWKS_MAX_AGE_SECONDS", 300)

# Login throttling, kept in Redis (apps/authn/lockout.py). Per (client address, account):
# LOGIN_MAX_FAILURES free failures, then a delay of LOGIN_DELAY_SECONDS doubling per failure up to
# LOGIN_LOCKOUT_SECONDS; the count slides over LOGIN_FAILURE_WINDOW_SECONDS.
LOGIN_MAX_FAILURES = env.int("LOGIN_MAX_FAILURES", 5)
LOGIN_DELAY_SECONDS = env.int("LOGIN_DELAY_SECONDS", 30)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", 900)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", 3600)
# Backstops: per account from every address (slow, high), per address across accounts (spraying).
LOGIN_ACCOUNT_MAX_FAILURES = env.int("LOGIN_ACCOUNT_MAX_FAILURES", 100)
LOGIN_ACCOUNT_WINDOW_SECONDS = env.int("LOGIN_ACCOUNT_WINDOW_SECONDS", 3600)
LOGIN_IP_MAX_FAILURES = env.int("LOGIN_IP_MAX_FAILURES", 50)
# Known devices (a signed token returned by a completed login) are throttled apart.
LOGIN_DEVICE_TTL_SECONDS = env.int("LOGIN_DEVICE_TTL_SECONDS", 90 * 24 * 3600)
# The client address: REMOTE_ADDR unless a proxy header is named (e.g. "X-Forwarded-For"); then
# the hop appended by the outermost of TRUSTED_PROXY_COUNT proxies in front of the service.
CLIENT_IP_HEADER = env.str("CLIENT_IP_HEADER", "")
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", 1)

# MFA: the challenge handed out after a correct password, and how many codes it may try.
MFA_TOKEN_TTL_SECONDS = env.int("MFA_TOKEN_TTL_SECONDS", 300)
MFA_MAX_ATTEMPTS = env.int("MFA_MAX_ATTEMPTS", 5)
# Per user, whatever the challenge: MFA_USER_MAX_FAILURES wrong codes within the window lock code
# verification for MFA_LOCKOUT_SECONDS, doubling per lock up to MFA_LOCKOUT_MAX_SECONDS.
MFA_USER_MAX_FAILURES = env.int("MFA_USER_MAX_FAILURES", 5)
MFA_FAILURE_WINDOW_SECONDS = env.int("MFA_FAILURE_WINDOW_SECONDS", 900)
MFA_LOCKOUT_SECONDS = env.int("MFA_LOCKOUT_SECONDS", 300)
MFA_LOCKOUT_MAX_SECONDS = env.int("MFA_LOCKOUT_MAX_SECONDS", 24 * 3600)
# MFA setup/enable need the password, or a login (auth_time) at most this old.
REAUTHENTICATION_MAX_AGE_SECONDS = env.int("REAUTHENTICATION_MAX_AGE_SECONDS", 300)
MFA_ISSUER_NAME = env.str("MFA_ISSUER_NAME", "Hub")

# Invitations: the accept link points at the web app; it works once, for this long.
FRONTEND_URL = env.str("FRONTEND_URL", "http://127.0.0.1:5173").rstrip("/")
INVITATION_TTL_SECONDS = env.int("INVITATION_TTL_SECONDS", 72 * 3600)
# Invitations sent (created or resent) per organization within the window, kept in Redis.
INVITATION_RATE_LIMIT = env.int("INVITATION_RATE_LIMIT", 50)
INVITATION_RATE_WINDOW_SECONDS = env.int("INVITATION_RATE_WINDOW_SECONDS", 3600)

# Events (invitation mails, security notices): written to the outbox (apps/outbox) in the
# transaction of the change, delivered by the procrastinate worker (manage.py procrastinate
# worker), signed per Standard Webhooks, to the communication-service.
DEV_EVENT_SIGNING_SECRET = "dev-insecure-identity-webhook-secret"  # noqa: S105
EVENT_WEBHOOK_URL = env.str("EVENT_WEBHOOK_URL", "http://127.0.0.1:8003/api/v1/events")
# Comma-separated: during a rotation list the new and the old secret; both sign every delivery.
EVENT_SIGNING_SECRETS = env.list("EVENT_SIGNING_SECRET", [DEV_EVENT_SIGNING_SECRET])
EVENT_DELIVERY_MAX_ATTEMPTS = env.int("EVENT_DELIVERY_MAX_ATTEMPTS", 10)
EVENT_DELIVERY_TIMEOUT_SECONDS = env.float("EVENT_DELIVERY_TIMEOUT_SECONDS", 5.0)
EVENT_DELIVERY_BACKOFF_BASE_SECONDS = env.float("EVENT_DELIVERY_BACKOFF_BASE_SECONDS", 2.0)
EVENT_DELIVERY_BACKOFF_MAX_SECONDS = env.float("EVENT_DELIVERY_BACKOFF_MAX_SECONDS", 600.0)
# The safety net: how often the worker looks for events left waiting (cron with a seconds field).
EVENT_SWEEP_CRON = env.str("EVENT_SWEEP_CRON", "* * * * * */30")
# Readiness is degraded (still 200) while the oldest undelivered event is older than this.
EVENT_OUTBOX_DEGRADED_SECONDS = env.float("EVENT_OUTBOX_DEGRADED_SECONDS", 300.0)
# How often the worker drops revoked access-token ids past their token's expiry (apps/tokens/tasks.py).
TOKEN_PURGE_CRON = env.str("TOKEN_PURGE_CRON", "17 * * * *")
# The worker (manage.py procrastinate worker) serves its Prometheus metrics on this port
# (METRICS_PORT, empty: not served; 9109, next to the backend worker's 9108).
PROCRASTINATE_ON_APP_READY = "hubkit.metrics.worker_app_ready"
WORKER_METRICS_PORT = env.int("METRICS_PORT", 9109) if env.str("METRICS_PORT", "9109") else None
WORKER_METRICS_HOST = env.str("METRICS_HOST", "127.0.0.1")
PROCRASTINATE_WORKER_DEFAULTS = {
    "queues": ["outbox", "maintenance"],
    "concurrency": env.int("EVENT_WORKER_CONCURRENCY", 2),
    "fetch_job_polling_interval": env.float("WORKER_POLLING_SECONDS", 1.0),
    "delete_jobs": "successful",
}

DEMO_IDENTITIES_FILE = env.path(
    "DEMO_IDENTITIES_FILE", BASE_DIR.parent.parent / "infrastructure" / "demo" / "identities.json"
)
DEMO_DATA_ALLOWED = True

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en"
USE_I18N = False

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024

LOGGING = logging_from_env(env, service="identity-service", debug=DEBUG)
