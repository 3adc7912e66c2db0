"""Identity-service outages, key rotation and revocation, against a dedicated real instance."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import jwt
import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from apps.identity.auth import BearerAuth
from conftest import bearer, own_identity_service, use_identity
from edge.permissions import requires
from hubkit.identity import IdentityUnavailable, TokenRevoked
from hubkit.testing import IdentityService, ServiceProcess

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def own_identity(worker: str, identity_service: IdentityService) -> Iterator[IdentityService]:
    """An identity-service these tests may stop, restart and rotate without disturbing others."""
    with own_identity_service("resilience", worker, identity_service) as service:
        yield service


@pytest.fixture
def fast_keys(settings: Any, own_identity: IdentityService) -> Iterator[None]:
    settings.IDENTITY = {**settings.IDENTITY, "JWKS_REFRESH_COOLDOWN_SECONDS": 0}
    use_identity(own_identity.url)
    yield
    use_identity(own_identity.url)


def _restart(service: IdentityService) -> None:
    service.process = ServiceProcess(
        cwd=service.process.cwd,
        wsgi=service.process.wsgi,
        python=service.process.python,
        env=service.env,
        port=service.process.port,
    ).start()


def test_cached_keys_keep_working_while_identity_is_down_and_cold_start_is_503(
    own_identity: IdentityService,
) -> None:
    use_identity(own_identity.url)
    token = str(own_identity.login("staff@acme.test")["access_token"])
    assert bearer(token).get("/api/v1/me").status_code == 200
    own_identity.process.stop()
    try:
        # Keys learnt before the outage: requests carry on, readiness says degraded (still 200)
        # and how old the keys it verifies with are.
        assert bearer(token).get("/api/v1/me").status_code == 200
        degraded = Client().get("/api/health/ready")
        assert degraded.status_code == 200
        ready = degraded.json()
        assert ready["status"] == "degraded"
        assert ready["degraded"] == ["identity"]
        assert ready["failing"] == []
        assert ready["checks"]["identity"]["status"] == "degraded"
        assert 0 <= ready["checks"]["identity"]["keys_age_seconds"] < 300
        assert "unreachable" in ready["checks"]["identity"]["reason"]
        # A process that never saw the keys cannot verify anything: fail closed with 503.
        use_identity(own_identity.url)
        response = bearer(token).get("/api/v1/me")
        assert response.status_code == 503
        assert response.json()["code"] == "identity_unavailable"
        ready_response = Client().get("/api/health/ready")
        assert ready_response.status_code == 503
        assert "identity" in ready_response.json()["failing"]
    finally:
        _restart(own_identity)
    time.sleep(2.1)  # past the negative-cache window after a failed cold fetch
    assert bearer(token).get("/api/v1/me").status_code == 200
    back = Client().get("/api/health/ready").json()
    assert back["checks"]["identity"]["status"] == "ok"
    assert back["checks"]["identity"]["keys_age_seconds"] >= 0


def test_a_token_from_a_rotated_out_key_is_refused(own_identity: IdentityService, settings: Any) -> None:
    # Verified claims are reused for CLAIMS_CACHE_SECONDS: that bounds how long a token of a
    # withdrawn key stays accepted. One second here, so the test can wait it out.
    settings.IDENTITY = {**settings.IDENTITY, "JWKS_REFRESH_COOLDOWN_SECONDS": 0, "CLAIMS_CACHE_SECONDS": 1}
    use_identity(own_identity.url)
    old = str(own_identity.login("manager@acme.test")["access_token"])
    assert bearer(old).get("/api/v1/me").status_code == 200

    own_identity.manage("rotate_signing_keys")
    new = str(own_identity.login("manager@acme.test")["access_token"])
    # The next key was published before it signed: the backend learns it on first sight.
    assert bearer(new).get("/api/v1/me").status_code == 200
    # The old key is retiring but still published: its tokens still verify.
    assert bearer(old).get("/api/v1/me").status_code == 200

    old_kid = jwt.get_unverified_header(old)["kid"]
    own_identity.manage("rotate_signing_keys", "--retire-now")
    published = {key["kid"] for key in httpx.get(own_identity.url + "/.well-known/jwks.json").json()["keys"]}
    assert old_kid not in published
    settings.IDENTITY = {**settings.IDENTITY, "JWKS_TTL_SECONDS": 0}  # the next check refreshes the key set
    time.sleep(1.1)  # past the claims cache's second: the old token's signature is checked again
    response = bearer(old).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


@requires(introspect=True)
def _money_like_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("moved")


def _call_revocation_sensitive(token: str) -> HttpResponse:
    request = RequestFactory().post("/x", HTTP_AUTHORIZATION=f"Bearer {token}")
    request.auth = BearerAuth()(request)  # type: ignore[attr-defined]
    return _money_like_view(request)


def test_introspection_refuses_a_token_revoked_by_logout(
    own_identity: IdentityService, settings: Any
) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "INTROSPECTION_CACHE_SECONDS": 0}
    use_identity(own_identity.url)
    token = str(own_identity.login("manager@acme.test")["access_token"])
    assert _call_revocation_sensitive(token).content == b"moved"

    logout = httpx.post(
        own_identity.url + "/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"}
    )
    assert logout.status_code == 204
    # Local verification still passes (signature and expiry are fine) ...
    assert bearer(token).get("/api/v1/me").status_code == 200
    # ... but an endpoint that opted into introspection refuses it.
    with pytest.raises(TokenRevoked):
        _call_revocation_sensitive(token)


def test_introspection_fails_closed_when_identity_is_down(
    own_identity: IdentityService, settings: Any
) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "INTROSPECTION_CACHE_SECONDS": 0}
    use_identity(own_identity.url)
    token = str(own_identity.login("manager@acme.test")["access_token"])
    assert _call_revocation_sensitive(token).content == b"moved"
    own_identity.process.stop()
    try:
        with pytest.raises(IdentityUnavailable):
            _call_revocation_sensitive(token)
    finally:
        _restart(own_identity)


def test_introspection_answers_are_cached_per_token(own_identity: IdentityService, settings: Any) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "INTROSPECTION_CACHE_SECONDS": 60}
    use_identity(own_identity.url)
    cached = str(own_identity.login("staff@acme.test")["access_token"])
    uncached = str(own_identity.login("viewer@acme.test")["access_token"])
    assert _call_revocation_sensitive(cached).content == b"moved"
    own_identity.process.stop()
    try:
        # The same token is answered from the cache while the issuer is down ...
        assert _call_revocation_sensitive(cached).content == b"moved"
        # ... but the cache is keyed by the whole token: another one must still ask, and fails closed.
        with pytest.raises(IdentityUnavailable):
            _call_revocation_sensitive(uncached)
    finally:
        _restart(own_identity)
