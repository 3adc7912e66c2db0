"""Reads of signing keys: the published set (JWKS) and lookups by kid."""

from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from apps.signing.models import PUBLISHED_STATES, KeyState, SigningKey


def signing_key_published_list() -> QuerySet[SigningKey]:
    return SigningKey.objects.filter(state__in=PUBLISHED_STATES).order_by("created_at", "id")


def signing_key_published_get(*, kid: str) -> SigningKey | None:
    """A key that may verify tokens; retired and unknown kids verify nothing."""
    return SigningKey.objects.filter(kid=kid, state__in=PUBLISHED_STATES).first()


def signing_key_jwk(*, key: SigningKey) -> dict[str, Any]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": key.public_key,
        "kid": key.kid,
        "alg": key.algorithm,
        "use": "sig",
    }


def jwks() -> dict[str, Any]:
    return {"keys": [signing_key_jwk(key=key) for key in signing_key_published_list()]}


def signing_key_active_get() -> SigningKey | None:
    return SigningKey.objects.filter(state=KeyState.ACTIVE).first()


def server_metadata() -> dict[str, Any]:
    issuer = settings.IDENTITY_ISSUER
    auth_methods = ["client_secret_basic", "client_secret_post"]
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "token_endpoint": f"{issuer}/oauth/token",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": [*auth_methods, "none"],
        "access_token_signing_alg_values_supported": ["EdDSA"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "claims_supported": [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "nbf",
            "jti",
            "client_id",
            "scope",
            "org_id",
            "roles",
            "email",
            "name",
            "amr",
            "sid",
        ],
        "login_endpoint": f"{issuer}/api/v1/auth/login",
        "refresh_endpoint": f"{issuer}/api/v1/auth/refresh",
    }
