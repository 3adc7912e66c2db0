"""Least privilege for the demo service clients (infrastructure/demo/identities.json).

Each client holds exactly the scopes its service's code asks identity-service for, read from
that service's own code and settings (the sibling services' through their own `manage.py`), and
a service that is no identity client has no client at all. The workflow client's real token is
refused every backend read it does not need.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from apps.notifications.clients import identity_members
from edge.permissions import requirement_of
from hubkit.identity import INTROSPECT_SCOPE
from hubkit.testing import IdentityService, manage
from tests.factories import ACME_ID
from tests.test_api_routes import operations

ROOT = Path(__file__).resolve().parent.parent.parent
DEMO = json.loads((ROOT / "infrastructure" / "demo" / "identities.json").read_text())
WORKFLOW = ROOT / "services" / "workflow-intelligence-service"
COMMUNICATION = ROOT / "services" / "communication-service"

# Prints the service's identity client id and, where it has one, the scope it requests.
READ_CLIENT = (
    "import json; from django.conf import settings; "
    "print(json.dumps([settings.IDENTITY['CLIENT_ID'], getattr(settings, 'WORKFLOW_TOKEN_SCOPE', '')]))"
)


def _client_of(directory: Path) -> tuple[str, set[str]]:
    """(client id, scopes requested) from a sibling service's own settings."""
    output = manage(directory, {"DJANGO_SETTINGS_MODULE": "config.settings.test"}, "shell", "-c", READ_CLIENT)
    client_id, scope = json.loads(output.stdout.strip().splitlines()[-1])
    return str(client_id), set(str(scope).split())


def _demo_clients() -> dict[str, dict[str, object]]:
    return {str(client["client_id"]): client for client in DEMO["clients"]}


def test_each_demo_client_holds_exactly_what_its_service_asks_for() -> None:
    backend_needs = {identity_members.SCOPE}
    if any((r := requirement_of(view)) is not None and r.introspect for _, _, view in operations()):
        backend_needs.add(INTROSPECT_SCOPE)
    workflow_id, workflow_needs = _client_of(WORKFLOW)
    communication_id, _ = _client_of(COMMUNICATION)
    assert communication_id == ""  # it calls no one: no client, no scope
    needed = {settings.IDENTITY["CLIENT_ID"]: backend_needs, workflow_id: workflow_needs}
    held = {client_id: set(client["scopes"]) for client_id, client in _demo_clients().items()}  # type: ignore[call-overload]
    assert held == needed


def test_the_workflow_scope_is_one_the_backend_checks() -> None:
    _, workflow_needs = _client_of(WORKFLOW)
    checked = {r.scope for _, _, view in operations() if (r := requirement_of(view)) is not None and r.scope}
    assert workflow_needs <= checked


# Lists whose query parameters are required: valid ones, so the answer is about the token.
REQUIRED_QUERIES = {
    "/availability": f"?resource_id={uuid.uuid4()}&service_id={uuid.uuid4()}"
    "&from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z",
    **{
        f"/analytics/{report}": "?from=2030-01-01&to=2030-01-31"
        for report in ("summary", "revenue", "utilization", "bookings")
    },
}


@pytest.mark.django_db
def test_the_workflow_token_reads_no_tenants_data(identity_service: IdentityService) -> None:
    """Before, it held `contacts:read` and `bookings:read` for every organization."""
    client_id = _client_of(WORKFLOW)[0]
    secret = "dev-insecure-workflow-client-secret"  # the demo file's, for this client
    assert _demo_clients()[client_id]["secret"] == secret
    token = identity_service.service_token(client_id, secret, organization_id=str(ACME_ID))
    api = Client(headers={"Authorization": f"Bearer {token}"})
    reads = sorted(
        path
        for method, path, view in operations()
        if method == "GET" and "{" not in path and (r := requirement_of(view)) is not None and r.scope
    )
    assert "/contacts" in reads
    for path in reads:
        response = api.get("/api/v1" + path + REQUIRED_QUERIES.get(path, ""))
        assert response.status_code == 403, (path, response.content)
