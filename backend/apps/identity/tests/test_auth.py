"""Bearer auth against the real identity-service: happy path and the attacks it must refuse."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from apps.identity.models import Organization, User
from conftest import bearer
from hubkit.identity import get_verifier
from hubkit.testing import IdentityService

pytestmark = pytest.mark.django_db
ACME = "0a0e0000-0000-4000-8000-000000000001"
GLOBEX = "0a0e0000-0000-4000-8000-000000000002"

SIGN_SCRIPT = """
import json, os, jwt
from apps.signing.services import signing_key_active, signing_key_private
key = signing_key_active()
out = []
for item in json.loads(os.environ["TOKENS_TO_SIGN"]):
    headers = {"kid": key.kid, "typ": "at+jwt", **item["headers"]}
    out.append(jwt.encode(item["claims"], signing_key_private(key=key), algorithm="EdDSA", headers=headers))
print(json.dumps(out))
"""


def sign_with_issuer_key(identity: IdentityService, items: list[dict[str, Any]]) -> list[str]:
    """Tokens signed by the issuer's real active key, with claims chosen by the test."""
    identity.env["TOKENS_TO_SIGN"] = json.dumps(items)
    try:
        result = identity.manage("shell", "-c", SIGN_SCRIPT)
    finally:
        identity.env.pop("TOKENS_TO_SIGN")
    tokens: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return tokens


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def _assert_401(response: Any, code: str = "invalid_token") -> None:
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == code


def test_me_describes_the_logged_in_user(identity_service: IdentityService) -> None:
    response = bearer(identity_service.token("staff@acme.test")).get("/api/v1/me")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["user"]["email"] == "staff@acme.test"
    assert body["organization"]["id"] == ACME
    assert body["roles"] == ["staff"]
    # The mirror rows were provisioned on first sight, keyed by the token's claims.
    assert User.objects.get(subject=body["user"]["subject"]).email == "staff@acme.test"
    assert Organization.objects.filter(id=ACME).exists()


def test_switching_organization_changes_the_tenant(identity_service: IdentityService) -> None:
    acme = bearer(identity_service.token("both@hub.test", ACME)).get("/api/v1/me").json()
    globex = bearer(identity_service.token("both@hub.test", GLOBEX)).get("/api/v1/me").json()
    assert (acme["organization"]["id"], acme["roles"]) == (ACME, ["staff"])
    assert (globex["organization"]["id"], globex["roles"]) == (GLOBEX, ["manager"])
    assert acme["user"]["id"] == globex["user"]["id"]


def test_service_token_is_a_distinct_principal(identity_service: IdentityService) -> None:
    token = identity_service.service_token(
        "workflow-intelligence-service", "dev-insecure-workflow-client-secret", organization_id=ACME
    )
    body = bearer(token).get("/api/v1/me").json()
    assert body["user"]["kind"] == "service"
    assert body["user"]["subject"] == "workflow-intelligence-service"
    assert body["roles"] == []
    assert "notifications:write" in body["scopes"]


@pytest.mark.parametrize(
    "authorization", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-jwt", "Bearer a.b.c"]
)
def test_missing_or_malformed_token_is_401(identity_service: IdentityService, authorization: str) -> None:
    response = Client(HTTP_AUTHORIZATION=authorization).get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_wrong_method_on_a_real_route_is_405(identity_service: IdentityService) -> None:
    response = bearer(identity_service.token("staff@acme.test")).post("/api/v1/me")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_alg_none_is_refused(identity_service: IdentityService) -> None:
    claims = _claims(identity_service.token("owner@acme.test"))
    header = {"alg": "none", "typ": "at+jwt", "kid": "whatever"}
    token = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}."
    _assert_401(bearer(token).get("/api/v1/me"))


def test_hs256_signed_with_the_public_key_is_refused(identity_service: IdentityService) -> None:
    real = identity_service.token("owner@acme.test")
    kid = jwt.get_unverified_header(real)["kid"]
    jwks = httpx.get(identity_service.url + "/.well-known/jwks.json").json()
    public = next(k for k in jwks["keys"] if k["kid"] == kid)
    secret = json.dumps(public).encode()  # what a confused verifier would use as the HMAC key
    signing_input = (
        f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'at+jwt', 'kid': kid}).encode())}."
        f"{_b64(json.dumps(_claims(real)).encode())}"
    )
    signature = _b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())
    _assert_401(bearer(f"{signing_input}.{signature}").get("/api/v1/me"))


def test_forged_token_right_after_a_valid_one_is_refused(identity_service: IdentityService) -> None:
    real = identity_service.token("viewer@acme.test")
    assert bearer(real).get("/api/v1/me").status_code == 200
    # Same header and a payload promoted to owner, signed by an attacker's key.
    header = jwt.get_unverified_header(real)
    claims = _claims(real) | {"roles": ["owner"]}
    forged = jwt.encode(claims, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers=header)
    assert forged[:40] == real[:40]
    _assert_401(bearer(forged).get("/api/v1/me"))
    # And a token whose signature part was swapped from the valid one.
    tampered = forged.rsplit(".", 1)[0] + "." + real.rsplit(".", 1)[1]
    _assert_401(bearer(tampered).get("/api/v1/me"))


def test_tokens_signed_by_the_real_key_with_bad_claims_are_refused(identity_service: IdentityService) -> None:
    base = _claims(identity_service.token("manager@acme.test"))
    now = int(time.time())
    cases = {
        "expired": ({**base, "iat": now - 3600, "nbf": now - 3600, "exp": now - 600}, {}),
        "wrong_issuer": ({**base, "iss": "https://evil.example"}, {}),
        "wrong_audience": ({**base, "aud": ["some-other-api"]}, {}),
        "not_an_access_token": (base, {"typ": "JWT"}),
        "issued_in_the_future": ({**base, "iat": now + 3600, "nbf": now + 3600}, {}),
        "no_jti": ({k: v for k, v in base.items() if k != "jti"}, {}),
    }
    control = {**base, "jti": uuid.uuid4().hex}
    items = [{"claims": claims, "headers": headers} for claims, headers in cases.values()]
    *tokens, good = sign_with_issuer_key(identity_service, [*items, {"claims": control, "headers": {}}])
    assert bearer(good).get("/api/v1/me").status_code == 200  # the signing path itself is sound
    for name, token in zip(cases, tokens, strict=True):
        response = bearer(token).get("/api/v1/me")
        assert response.status_code == 401, name


def test_small_clock_skew_is_tolerated(identity_service: IdentityService) -> None:
    base = _claims(identity_service.token("manager@acme.test"))
    now = int(time.time())
    [token] = sign_with_issuer_key(
        identity_service, [{"claims": {**base, "iat": now + 5, "nbf": now + 5}, "headers": {}}]
    )
    assert bearer(token).get("/api/v1/me").status_code == 200


def test_random_kids_cause_a_bounded_number_of_jwks_fetches(identity_service: IdentityService) -> None:
    claims = _claims(identity_service.token("staff@acme.test"))
    keys = get_verifier().keys
    assert bearer(identity_service.token("staff@acme.test")).get("/api/v1/me").status_code == 200
    before = keys.fetches
    attacker = Ed25519PrivateKey.generate()
    for _ in range(1000):
        token = jwt.encode(
            claims, attacker, algorithm="EdDSA", headers={"kid": uuid.uuid4().hex, "typ": "at+jwt"}
        )
        response = bearer(token).get("/api/v1/me")
        assert response.status_code == 401
    # At most one refresh per cooldown window (30 s) — the whole flood fits in one or two.
    assert keys.fetches - before <= 2
