"""Production: every value from the environment; refuses to start with a dev secret or DEBUG."""

from config.env import env
from config.settings.base import *  # noqa: F403
from hubkit.logging import logging_from_env
from hubkit.settings import assert_production_ready, secure_redirect_exempt

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = env.bool("DEBUG", False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEY")
IDENTITY_ISSUER = env.str("IDENTITY_ISSUER").rstrip("/")
EVENT_WEBHOOK_URL = env.str("EVENT_WEBHOOK_URL")
EVENT_SIGNING_SECRETS = env.list("EVENT_SIGNING_SECRET")
FRONTEND_URL = env.str("FRONTEND_URL").rstrip("/")
DEMO_DATA_ALLOWED = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = secure_redirect_exempt(receives_events=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = logging_from_env(env, service="identity-service", debug=DEBUG)

_encryption_keys = {f"FIELD_ENCRYPTION_KEY[{i}]": key for i, key in enumerate(FIELD_ENCRYPTION_KEYS)}
_signing_secrets = {f"EVENT_SIGNING_SECRET[{i}]": key for i, key in enumerate(EVENT_SIGNING_SECRETS)}
assert_production_ready(
    debug=DEBUG,
    secrets={
        "SECRET_KEY": SECRET_KEY,
        **(_encryption_keys or {"FIELD_ENCRYPTION_KEY": ""}),
        **(_signing_secrets or {"EVENT_SIGNING_SECRET": ""}),
    },
)
