"""Production: every value from the environment; refuses to start with a dev secret or DEBUG."""

from config.env import env
from config.settings.base import *  # noqa: F403
from hubkit.encryption.keys import parse_keys
from hubkit.logging import logging_from_env
from hubkit.settings import assert_production_ready, secure_redirect_exempt

SECRET_KEY = env.str("SECRET_KEY")
DEBUG = env.bool("DEBUG", False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
WEBHOOK_SECRETS = env.list("WEBHOOK_SECRETS")
# Required here: base's development defaults must not stand in. The client secret is read as in
# base (IDENTITY_CLIENT_SECRET wins over WORKFLOW_CLIENT_SECRET), one of them required.
IDENTITY = IDENTITY | {
    "SERVICE_URL": env.str("IDENTITY_SERVICE_URL").rstrip("/"),
    "CLIENT_SECRET": env.str("IDENTITY_CLIENT_SECRET", "") or env.str("WORKFLOW_CLIENT_SECRET"),
}
BACKEND_URL = env.str("BACKEND_URL").rstrip("/")
# Required: without them the encrypted fields could not be read or written (base's dev keys must
# not stand in). Parsed now, so a malformed key list stops the start instead of the first request.
FIELD_ENCRYPTION_KEYS = env.str("FIELD_ENCRYPTION_KEYS")
parse_keys(FIELD_ENCRYPTION_KEYS)

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", True)
# Health, metrics and the event receiver are called inside the network over plain HTTP; the
# senders follow no redirect.
SECURE_REDIRECT_EXEMPT = secure_redirect_exempt(receives_events=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_CONTENT_TYPE_NOSNIFF = True

LOGGING = logging_from_env(env, service="workflow-intelligence-service", debug=DEBUG)

_webhook_secrets = {f"WEBHOOK_SECRETS[{i}]": secret for i, secret in enumerate(WEBHOOK_SECRETS)}
assert_production_ready(
    debug=DEBUG,
    secrets={
        "SECRET_KEY": SECRET_KEY,
        # The dev keys carry the label in their ids: the whole list is refused if one is listed.
        "FIELD_ENCRYPTION_KEYS": FIELD_ENCRYPTION_KEYS,
        "WORKFLOW_CLIENT_SECRET": IDENTITY["CLIENT_SECRET"],
        **(_webhook_secrets or {"WEBHOOK_SECRETS": ""}),
    },
)
