"""Introspection of crafted tokens: anything but a live token this service issued is `active: false`.

The crafted tokens are signed with the service's own active key unless the case is about the key,
so each one fails only for the one thing it gets wrong.
"""

import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from apps.accounts.models import Organization, Role, User
from apps.signing.services import signing_key_active, signing_key_private
from apps.tokens.models import Session

pytestmark = pytest.mark.django_db

Introspect = Callable[[str], dict[str, Any]]


@pytest.fixture
def user_claims(make_user: Callable[..., User], org: Organization) -> dict[str, Any]:
    """The claims of a live user token of a real session (what login would sign)."""
    user = make_user((org, Role.STAFF))
    session = Session.objects.create(user=user, organization=org, client_id="hub-frontend", amr=["pwd"])
    now = int(time.time())
    return {
        "iss": settings.IDENTITY_ISSUER,
        "sub": str(user.id),
        "aud": ["hub-backend"],
        "exp": now + 300,
        "iat": now,
        "nbf": now,
        "jti": uuid.uuid4().hex,
        "client_id": "hub-frontend",
        "scope": "hub",
        "org_id": str(org.id),
        "roles": ["staff"],
        "sid": str(session.id),
        "amr": ["pwd"],
    }


def sign(claims: dict[str, Any], *, key: Any = None, **header: Any) -> str:
    active = signing_key_active()
    headers = {"kid": active.kid, "typ": "at+jwt", **header}
    return jwt.encode(
        claims, key or signing_key_private(key=active), algorithm=headers.pop("alg", "EdDSA"), headers=headers
    )


def test_the_crafted_baseline_is_active(user_claims: dict[str, Any], introspect: Introspect) -> None:
    answer = introspect(sign(user_claims))
    assert answer["active"] is True
    assert answer["sid"] == user_claims["sid"]


def test_alg_none_is_inactive(user_claims: dict[str, Any], introspect: Introspect) -> None:
    kid = signing_key_active().kid
    unsigned = jwt.encode(user_claims, "", algorithm="none", headers={"kid": kid, "typ": "at+jwt"})
    assert introspect(unsigned) == {"active": False}


def test_an_hmac_token_keyed_with_the_public_key_is_inactive(
    user_claims: dict[str, Any], introspect: Introspect
) -> None:
    public = signing_key_active().public_key.encode()  # what anyone reads in the JWKS
    forged = jwt.encode(
        user_claims,
        public + b"-padding-to-32-bytes",
        algorithm="HS256",
        headers={"kid": signing_key_active().kid, "typ": "at+jwt"},
    )
    assert introspect(forged) == {"active": False}


def test_a_foreign_key_under_a_published_kid_is_inactive(
    user_claims: dict[str, Any], introspect: Introspect
) -> None:
    assert introspect(sign(user_claims, key=Ed25519PrivateKey.generate())) == {"active": False}


def test_an_unknown_kid_is_inactive(user_claims: dict[str, Any], introspect: Introspect) -> None:
    assert introspect(sign(user_claims, kid="20200101-deadbeef")) == {"active": False}


@pytest.mark.parametrize("typ", ["JWT", "at+JWT ", None])
def test_another_type_is_inactive(
    typ: str | None, user_claims: dict[str, Any], introspect: Introspect
) -> None:
    assert introspect(sign(user_claims, typ=typ)) == {"active": False}


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("iss", "https://identity.example.org"),
        ("iss", settings.IDENTITY_ISSUER + "/"),
        ("aud", ["another-service"]),
        ("aud", "hub-backend-2"),
        # Fixed values, never computed at collection: parallel workers must collect the same ids.
        ("exp", 946_684_800),  # 2000-01-01
        ("nbf", 4_102_444_800),  # 2100-01-01
        ("org_id", "not-a-uuid"),
        ("org_id", ["0a0e0000-0000-4000-8000-000000000001"]),
        ("org_id", "5e1f0000-0000-4000-8000-00000000000a"),  # well formed, no membership there
        ("sid", "5e1f0000-0000-4000-8000-00000000000b"),  # unknown session
        ("sid", "not-a-uuid"),
        ("sid", 42),
        ("sub", "5e1f0000-0000-4000-8000-00000000000c"),  # the session is someone else's
        ("jti", 7),
    ],
)
def test_a_wrong_claim_is_inactive(
    claim: str, value: Any, user_claims: dict[str, Any], introspect: Introspect
) -> None:
    assert introspect(sign(user_claims | {claim: value})) == {"active": False}


# `sid` marks a user token (a service token has none): without it a user's token is no one's.
@pytest.mark.parametrize(
    "claim", ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope", "sid"]
)
def test_a_missing_claim_is_inactive(claim: str, user_claims: dict[str, Any], introspect: Introspect) -> None:
    claims = {name: value for name, value in user_claims.items() if name != claim}
    assert introspect(sign(claims)) == {"active": False}


def test_a_revoked_session_is_inactive(user_claims: dict[str, Any], introspect: Introspect) -> None:
    token = sign(user_claims)
    Session.objects.filter(id=user_claims["sid"]).update(revoked_at="2026-01-01T00:00:00Z")
    assert introspect(token) == {"active": False}


@pytest.mark.parametrize("org_id", ["not-a-uuid", 12, ["x"]])
def test_a_service_token_with_a_malformed_org_id_is_inactive(
    org_id: Any, introspector: Any, introspect: Introspect
) -> None:
    now = int(time.time())
    claims = {
        "iss": settings.IDENTITY_ISSUER,
        "sub": introspector[0].client_id,
        "aud": ["hub-backend"],
        "exp": now + 300,
        "iat": now,
        "nbf": now,
        "jti": uuid.uuid4().hex,
        "client_id": introspector[0].client_id,
        "scope": "introspect",
    }
    assert introspect(sign(claims))["active"] is True  # the same token without org_id
    assert introspect(sign(claims | {"org_id": org_id, "jti": uuid.uuid4().hex})) == {"active": False}


@pytest.mark.parametrize("token", ["a.b.c", "hubrt_", "not a token at all", "e30.e30.", "x" * 5000])
def test_garbage_is_inactive(token: str, introspect: Introspect) -> None:
    assert introspect(token) == {"active": False}
