from typing import ClassVar

import pytest
from django.conf import settings
from django.test import Client

from hubkit.contract import ServiceEndpointsContract
from hubkit.testing import IdentityService, start_identity_service
from tests.fixtures import ROOT, use_identity


class TestHealth(ServiceEndpointsContract):
    """Liveness, readiness (database, redis and, as its API takes tokens, identity-service's keys)
    and metrics as every hub service serves them."""

    expected_checks: ClassVar[frozenset[str]] = frozenset({"database", "redis", "identity"})

    @pytest.fixture(autouse=True)
    def _identity_running(self, identity_service: IdentityService) -> None:
        """Readiness asks the real identity-service for its key set."""


@pytest.mark.django_db
def test_readiness_is_degraded_with_the_keys_age_while_identity_is_down(
    identity_service: IdentityService, worker: str
) -> None:
    # An identity-service of this test's own, which it may stop (the shared one stays up).
    own = start_identity_service(
        repo_root=ROOT,
        database_name=f"{settings.DATABASES['default']['NAME']}_identity_outage_{worker}",
    )
    use_identity(own.url)
    try:
        learnt = Client().get("/api/health/ready").json()
        assert learnt["checks"]["identity"]["status"] == "ok"
        own.process.stop()
        # Keys learnt before the outage still verify tokens: degraded, not unavailable.
        response = Client().get("/api/health/ready")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "degraded"
        assert body["degraded"] == ["identity"]
        assert body["failing"] == []
        assert "unreachable" in body["checks"]["identity"]["reason"]
        assert body["checks"]["identity"]["keys_age_seconds"] >= 0
    finally:
        own.process.stop()
        use_identity(identity_service.url)
