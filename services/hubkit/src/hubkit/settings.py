"""Settings helpers shared by every service: database config with pooling, production guards,
the identity settings every service verifies tokens with."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from environs import Env

DEV_SECRET_MARKER = "dev-insecure"  # noqa: S105 - a marker to refuse, not a secret
"""Every development secret contains this marker; production refuses to start with one."""


def database_config(
    url: str,
    *,
    pool_min: int = 1,
    pool_max: int = 8,
    pool_timeout: float = 5.0,
    connect_timeout: int = 3,
    pool: bool = True,
) -> dict[str, Any]:
    """A Django DATABASES entry from a postgres:// URL, using Django's psycopg 3 pool."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(f"DATABASE_URL must be a postgres:// URL, not {parts.scheme!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    options: dict[str, Any] = {"connect_timeout": connect_timeout, **query}
    if pool:
        # Django's pool refuses CONN_MAX_AGE != 0; the pool is per process.
        options["pool"] = {"min_size": pool_min, "max_size": pool_max, "timeout": pool_timeout}
    return {
        "ENGINE": "hubkit.postgresql",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 0,
        "OPTIONS": options,
    }


def assert_production_ready(*, debug: bool, secrets: Mapping[str, str]) -> None:
    """Refuse to start production with DEBUG on, or with a missing, short or development secret."""
    problems = []
    if debug:
        problems.append("DEBUG must be off")
    for name, value in secrets.items():
        if not value:
            problems.append(f"{name} is not set")
        elif DEV_SECRET_MARKER in value:
            problems.append(f"{name} is a development secret")
        elif len(value) < 32:
            problems.append(f"{name} is shorter than 32 characters")
    if problems:
        raise ImproperlyConfigured("refusing to start in production: " + "; ".join(problems))


PLAIN_HTTP_PATHS = (r"^api/health/", r"^metrics$")
"""Called inside the network over plain HTTP (probes, the metrics scraper): never redirected to HTTPS."""

EVENT_RECEIVER_PATH = r"^api/v1/events$"
"""Where a service receiving the hub's events (`hubkit.events`) takes the signed deliveries."""


def secure_redirect_exempt(*, receives_events: bool) -> list[str]:
    """`SECURE_REDIRECT_EXEMPT` of a production service (patterns on the path without its `/`).

    A service receiving events exempts its receiver too: senders post to it over the internal
    network and never follow a redirect (a redirect would turn every delivery into a failure).
    """
    return [*PLAIN_HTTP_PATHS, *([EVENT_RECEIVER_PATH] if receives_events else [])]


BASE_MIDDLEWARE = [
    "hubkit.request_id.RequestIdMiddleware",
    "hubkit.access.AccessLogMiddleware",
    "hubkit.metrics.MetricsMiddleware",
    "hubkit.errors.ProblemDetailsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
]
"""The middleware every hub service starts with, in this order; services append their own."""

DJANGO_TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    },
]


REDIS_KEY_PREFIX_ENV = "REDIS_KEY_PREFIX"
"""When set, replaces every service's own cache key prefix: two deployments (or test runs) on one
Redis database keep their keys apart."""


def redis_cache(url: str, *, prefix: str) -> dict[str, Any]:
    """A CACHES entry on Redis with short socket timeouts: a Redis outage never hangs a request.

    Keys start with `prefix`, or with `REDIS_KEY_PREFIX` from the environment when that is set.
    """
    return {
        "BACKEND": "hubkit.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": os.environ.get(REDIS_KEY_PREFIX_ENV) or prefix,
        "TIMEOUT": 300,
        "OPTIONS": {"socket_timeout": 1.0, "socket_connect_timeout": 1.0},
    }


@dataclass(frozen=True)
class IdentityConfig:
    """How a service reaches identity-service and checks its tokens: the `IDENTITY` setting.

    Every field has the default written here; a service's `IDENTITY` dict (built by
    `identity_settings`) names only what differs. Keys are the field names in upper case.
    """

    # Where identity-service answers: discovery, JWKS, /oauth/token, /oauth/introspect.
    service_url: str = "http://127.0.0.1:8001"
    # The `iss` a token must carry (and the discovery document announce); None: service_url.
    issuer: str | None = None
    # The `aud` a token must include.
    audience: str = "hub-backend"
    # Accepted signature algorithms; pinned here, never taken from a token's header.
    algorithms: tuple[str, ...] = ("EdDSA",)
    # Clock skew tolerated on exp/iat/nbf (PyJWT refuses an `iat` a second in the future without it).
    leeway_seconds: int = 30
    # Per call to identity-service (the connect timeout is at most 2 s of it).
    http_timeout_seconds: float = 3.0
    # Age after which the key set is refreshed in the background (verifying goes on meanwhile).
    jwks_ttl_seconds: float = 300.0
    # At most one JWKS fetch per window across all processes, however many unknown `kid`s arrive.
    jwks_refresh_cooldown_seconds: float = 30.0
    # How long the last good key set stays usable while identity-service is unreachable.
    jwks_max_stale_seconds: float = 3600.0
    # How long an introspection answer (revocation check) is reused.
    introspection_cache_seconds: int = 15
    # How long a verified token's claims are reused without checking its signature again.
    # Also how long a token stays accepted after its key was withdrawn from the JWKS.
    claims_cache_seconds: float = 60.0
    # Verified tokens remembered per process (oldest dropped first).
    claims_cache_size: int = 10_000
    # This service's own client credentials (service tokens, introspection); "": it has none.
    client_id: str = ""
    client_secret: str = dataclasses.field(default="", repr=False)
    # The client_credentials endpoint; None: service_url + "/oauth/token".
    token_url: str | None = None

    @property
    def expected_issuer(self) -> str:
        return self.issuer or self.service_url

    @property
    def token_endpoint(self) -> str:
        return self.token_url or self.service_url.rstrip("/") + "/oauth/token"

    @classmethod
    def from_setting(cls, value: Mapping[str, Any]) -> IdentityConfig:
        """The config an `IDENTITY` setting describes; an unknown key is a typo, refused."""
        names = {field.name.upper(): field.name for field in dataclasses.fields(cls)}
        unknown = set(value) - set(names)
        if unknown:
            raise ImproperlyConfigured(f"IDENTITY has unknown keys: {', '.join(sorted(unknown))}")
        values = {names[key]: item for key, item in value.items()}
        if "algorithms" in values:
            values["algorithms"] = tuple(values["algorithms"])
        return cls(**values)


def identity_settings(env: Env, **defaults: Any) -> dict[str, Any]:
    """The `IDENTITY` setting: each key from the environment (`IDENTITY_<KEY>`), else `defaults`
    (what this service's settings file passes, by field name), else `IdentityConfig`'s default.

    `issuer` and `token_url` stay None unless set, so they follow `service_url` wherever it is
    pointed later (a test's identity-service on an ephemeral port, say).
    """
    base = IdentityConfig()
    unknown = set(defaults) - {field.name for field in dataclasses.fields(IdentityConfig)}
    if unknown:
        raise ImproperlyConfigured(f"identity_settings() got unknown keys: {', '.join(sorted(unknown))}")

    def default(name: str) -> Any:
        return defaults.get(name, getattr(base, name))

    service_url = env.str("IDENTITY_SERVICE_URL", default("service_url")).rstrip("/")
    values: dict[str, Any] = {
        "service_url": service_url,
        "issuer": env.str("IDENTITY_ISSUER", default("issuer")),
        "audience": env.str("IDENTITY_AUDIENCE", default("audience")),
        "algorithms": env.list("IDENTITY_ALGORITHMS", list(default("algorithms"))),
        "leeway_seconds": env.int("IDENTITY_LEEWAY_SECONDS", default("leeway_seconds")),
        "http_timeout_seconds": env.float("IDENTITY_HTTP_TIMEOUT_SECONDS", default("http_timeout_seconds")),
        "jwks_ttl_seconds": env.float("IDENTITY_JWKS_TTL_SECONDS", default("jwks_ttl_seconds")),
        "jwks_refresh_cooldown_seconds": env.float(
            "IDENTITY_JWKS_REFRESH_COOLDOWN_SECONDS", default("jwks_refresh_cooldown_seconds")
        ),
        "jwks_max_stale_seconds": env.float(
            "IDENTITY_JWKS_MAX_STALE_SECONDS", default("jwks_max_stale_seconds")
        ),
        "introspection_cache_seconds": env.int(
            "IDENTITY_INTROSPECTION_CACHE_SECONDS", default("introspection_cache_seconds")
        ),
        "claims_cache_seconds": env.float("IDENTITY_CLAIMS_CACHE_SECONDS", default("claims_cache_seconds")),
        "claims_cache_size": env.int("IDENTITY_CLAIMS_CACHE_SIZE", default("claims_cache_size")),
        "client_id": env.str("IDENTITY_CLIENT_ID", default("client_id")),
        "client_secret": env.str("IDENTITY_CLIENT_SECRET", default("client_secret")),
        "token_url": env.str("IDENTITY_TOKEN_URL", default("token_url")),
    }
    return {name.upper(): value for name, value in values.items()}
