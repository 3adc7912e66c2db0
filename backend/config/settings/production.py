"""Production: every value from the environment; refuses to start with a dev secret or DEBUG."""

from apps.events.subscriptions import event_subscriptions
from config.env import env
from config.settings.base import *  # noqa: F403
from hubkit.encryption.keys import parse_keys
from hubkit.logging import logging_from_env
from hubkit.settings import assert_production_ready, secure_redirect_exempt

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = env.bool("DEBUG", False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CORS_ALLOWED_ORIGINS = env.list("CORS_ALLOWED_ORIGINS", [])
# Required here: base's development defaults must not stand in.
IDENTITY = IDENTITY | {
    "SERVICE_URL": env.str("IDENTITY_SERVICE_URL").rstrip("/"),
    "CLIENT_SECRET": env.str("IDENTITY_CLIENT_SECRET"),
}

# Required: without them personal fields could not be read or written (base's dev keys must not stand in).
FIELD_ENCRYPTION_KEYS = env.str("FIELD_ENCRYPTION_KEYS")
BLIND_INDEX_KEY = env.str("BLIND_INDEX_KEY")
# Parsed now, so a malformed key list stops the start instead of the first request.
parse_keys(FIELD_ENCRYPTION_KEYS)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = secure_redirect_exempt(receives_events=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = logging_from_env(env, service="backend", debug=DEBUG)

COMMUNICATION_SERVICE_URL = env.str("COMMUNICATION_SERVICE_URL")
WORKFLOW_SERVICE_URL = env.str("WORKFLOW_SERVICE_URL")
COMMUNICATION_WEBHOOK_SECRETS = env.list("COMMUNICATION_WEBHOOK_SECRETS")
WORKFLOW_WEBHOOK_SECRETS = env.list("WORKFLOW_WEBHOOK_SECRETS")
EVENT_SUBSCRIPTIONS = event_subscriptions(
    communication_url=COMMUNICATION_SERVICE_URL,
    communication_secrets=COMMUNICATION_WEBHOOK_SECRETS,
    workflow_url=WORKFLOW_SERVICE_URL,
    workflow_secrets=WORKFLOW_WEBHOOK_SECRETS,
)

assert_production_ready(
    debug=DEBUG,
    secrets={
        "SECRET_KEY": SECRET_KEY,
        "IDENTITY_CLIENT_SECRET": IDENTITY["CLIENT_SECRET"],
        # The dev keys carry the label in their ids: the whole list is refused if one is listed.
        "FIELD_ENCRYPTION_KEYS": FIELD_ENCRYPTION_KEYS,
        "BLIND_INDEX_KEY": BLIND_INDEX_KEY,
        **{f"COMMUNICATION_WEBHOOK_SECRETS[{i}]": s for i, s in enumerate(COMMUNICATION_WEBHOOK_SECRETS)},
        **{f"WORKFLOW_WEBHOOK_SECRETS[{i}]": s for i, s in enumerate(WORKFLOW_WEBHOOK_SECRETS)},
    },
)
