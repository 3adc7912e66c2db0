from typing import ClassVar

import pytest

from hubkit.testing import IdentityService, ServiceEndpointsContract


class TestHealth(ServiceEndpointsContract):
    """The standard operational endpoints; readiness also needs identity-service's keys."""

    expected_checks: ClassVar[frozenset[str]] = frozenset({"database", "redis", "identity"})
    # Until config/api.py is a hubkit HubNinjaAPI: then drop this to check its OpenAPI and API root.
    hub_api: ClassVar[bool] = False

    @pytest.fixture(autouse=True)
    def _identity_running(self, identity_service: IdentityService) -> None:
        """Readiness checks the real identity-service (its outage is tested in test_resilience)."""
