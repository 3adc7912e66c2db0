"""Reads of signing keys: the published set (JWKS) and lookups by kid."""

from typing import Any

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
