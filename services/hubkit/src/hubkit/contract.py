"""What every hub service's common endpoints and OpenAPI must do, as tests a service subclasses.

Kept apart from `hubkit.testing`, whose process helpers benchmarks import before Django is set
up: this module needs Django and Ninja loaded.
"""

from __future__ import annotations

import inspect
import json
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import pytest
from django.conf import settings
from django.test import Client
from django.urls import resolve
from ninja import NinjaAPI

from hubkit.errors import PROBLEM_CONTENT_TYPE
from hubkit.fields import input_fields_outside_edge_types
from hubkit.openapi import schema_name_collisions, undescribed, undocumented_errors
from hubkit.openapi_snapshot import snapshot_drift
from hubkit.testing import IdentityService, start_identity_service


@pytest.mark.django_db
class ServiceEndpointsContract:
    """What every service's common endpoints must do; subclass it as `TestHealth` in a service.

    `expected_checks` names the readiness checks the service wires (see hubkit.health).
    `hub_api` says the service's API is a `hubkit.openapi.HubNinjaAPI`: its OpenAPI documents
    every error answer, parameter, tag and schema, and its root answers an index.
    """

    expected_checks: ClassVar[frozenset[str]] = frozenset({"database", "redis"})
    hub_api: ClassVar[bool] = True
    api_root: ClassVar[str] = "/api/v1/"

    def test_liveness_answers_without_io(self, django_assert_num_queries: Any) -> None:
        with django_assert_num_queries(0):
            response = Client().get("/api/health/")
        assert response.status_code == 200
        assert json.loads(response.content) == {"status": "ok"}

    def test_readiness_names_each_check(self) -> None:
        response = Client().get("/api/health/ready")
        body = json.loads(response.content)
        assert response.status_code == 200, body
        assert set(body["checks"]) == self.expected_checks
        assert all(check["status"] == "ok" for check in body["checks"].values())

    def test_readiness_is_503_naming_redis_when_it_is_unreachable(self, settings: Any) -> None:
        settings.REDIS_URL = "redis://127.0.0.1:1/0"
        response = Client().get("/api/health/ready")
        body = json.loads(response.content)
        assert response.status_code == 503
        assert body["failing"] == ["redis"]
        assert body["checks"]["database"]["status"] == "ok"

    def test_api_schema_and_docs_are_served(self) -> None:
        schema = Client().get("/api/v1/openapi.json")
        assert schema.status_code == 200
        assert schema.json()["paths"]
        docs = Client().get("/api/v1/docs")
        assert docs.status_code == 200
        assert b"openapi.json" in docs.content

    def test_metrics_are_exposed(self) -> None:
        Client().get("/api/health/")
        response = Client().get("/metrics")
        assert response.status_code == 200
        assert 'route="api/health/"' in response.content.decode()

    def test_openapi_snapshot_is_current(self) -> None:
        """The committed `openapi.json` is what the service serves (`make openapi` rewrites it)."""
        drift = snapshot_drift(Path(getattr(settings, "BASE_DIR", Path.cwd())))
        assert drift is None, drift

    def test_openapi_documents_errors_parameters_tags_and_schemas(self) -> None:
        if not self.hub_api:
            pytest.skip("this service's API is not a HubNinjaAPI yet")
        schema = Client().get(self.api_root + "openapi.json").json()
        assert undocumented_errors(schema) == []
        assert undescribed(schema) == []

    def test_no_two_schemas_share_a_component_name(self) -> None:
        """Ninja documents same-named models as one component: one of them would be misdocumented."""
        assert schema_name_collisions(served_api(self.api_root)) == []

    def test_api_root_is_an_index(self) -> None:
        if not self.hub_api:
            pytest.skip("this service's API is not a HubNinjaAPI yet")
        response = Client().get(self.api_root)
        assert response.status_code == 200
        index = response.json()
        assert index["openapi_url"] == self.api_root + "openapi.json"
        assert index["docs_url"] == self.api_root + "docs"
        assert index["service"]
        assert index["version"]
        assert Client().get(index["openapi_url"]).status_code == 200

    def test_unknown_api_path_is_problem_404(self) -> None:
        response = Client().get(self.api_root + "no-such-endpoint")
        assert response.status_code == 404
        assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
        assert response.json()["code"] == "not_found"

    def test_every_request_field_is_an_edge_type(self) -> None:
        """Strings, datetimes and JSON objects a client sends are `hubkit.fields` types (422, not 500)."""
        outside = input_fields_outside_edge_types(served_api(self.api_root))
        assert outside == [], "not of an edge type:\n" + "\n".join(outside)


class TokenVerifierEndpointsContract(ServiceEndpointsContract):
    """`ServiceEndpointsContract` for a service whose API takes identity-service's tokens: its
    readiness also checks identity-service's keys, degraded (still 200) on cached keys while the
    issuer is down.

    Needs the service's `identity_service` (session-wide, real) and `worker` fixtures; a subclass
    sets `repo_root` (the hub's checkout) and `use_identity` (points the service's verifier at
    another identity-service, forgetting the keys it learnt).
    """

    expected_checks: ClassVar[frozenset[str]] = frozenset({"database", "redis", "identity"})
    repo_root: ClassVar[Path]

    def use_identity(self, url: str) -> None:
        raise NotImplementedError

    @pytest.fixture(autouse=True)
    def _identity_running(self, identity_service: IdentityService) -> None:
        """Readiness asks the real identity-service for its key set."""

    def test_readiness_is_degraded_with_the_keys_age_while_identity_is_down(
        self, identity_service: IdentityService, worker: str
    ) -> None:
        # An identity-service of this test's own, which it may stop (the shared one stays up).
        own = start_identity_service(
            repo_root=self.repo_root,
            database_name=f"{settings.DATABASES['default']['NAME']}_identity_outage_{worker}",
        )
        self.use_identity(own.url)
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
            own.stop()
            self.use_identity(identity_service.url)


def served_api(api_root: str) -> NinjaAPI:
    """The NinjaAPI serving `api_root` (found through its OpenAPI view)."""
    view = inspect.unwrap(resolve(api_root + "openapi.json").func)
    assert isinstance(view, partial), view
    api = view.keywords["api"]
    assert isinstance(api, NinjaAPI)
    return api
