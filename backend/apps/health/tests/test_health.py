from typing import ClassVar

import pytest
from django.test import Client

from hubkit.contract import ServiceEndpointsContract
from hubkit.openapi import undocumented_errors
from hubkit.testing import IdentityService
from tests.test_openapi import undescribed_in_paths


class TestHealth(ServiceEndpointsContract):
    """The standard operational endpoints; readiness also needs identity-service's keys."""

    expected_checks: ClassVar[frozenset[str]] = frozenset({"database", "redis", "identity", "outbox"})

    @pytest.fixture(autouse=True)
    def _identity_running(self, identity_service: IdentityService) -> None:
        """Readiness checks the real identity-service (its outage is tested in test_resilience)."""

    def test_openapi_documents_errors_parameters_tags_and_schemas(self) -> None:
        """As every service's, except the event catalogue's webhook schemas (see tests/test_openapi.py)."""
        schema = Client().get(self.api_root + "openapi.json").json()
        assert undocumented_errors(schema) == []
        assert undescribed_in_paths(schema) == []
