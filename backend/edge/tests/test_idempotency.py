"""The Idempotency-Key as `@requires(idempotency=...)` declares it, on an API of its own.

The behaviour on the real endpoints (replays, 409, 422, per-caller keys, races) is tested in
`apps/idempotency/tests/test_api.py`; this covers what no real endpoint uses yet ("required").
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client
from django.urls import path
from ninja import Router, Status

from apps.identity.auth import BearerAuth
from apps.identity.principal import Role
from edge.idempotency import HEADER
from edge.permissions import requires
from hubkit.ninja import install_problem_handlers
from hubkit.openapi import HubNinjaAPI, undocumented_errors
from hubkit.testing import IdentityService
from tests.factories import ROLE_EMAILS, client_as

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

router = Router()
_numbers = itertools.count(1)


@router.post("/charges", response={201: dict[str, int]}, operation_id="create_charge")
@requires(Role.STAFF, idempotency="required")
def create_charge(request: HttpRequest) -> Status[dict[str, int]]:
    """Stands in for a money-moving POST: every call that runs gets a new number."""
    return Status(201, {"number": next(_numbers)})


@router.post("/notes", response={201: dict[str, int]}, operation_id="create_note")
@requires(Role.STAFF, idempotency="optional")
def create_note(request: HttpRequest) -> Status[dict[str, int]]:
    return Status(201, {"number": next(_numbers)})


api = HubNinjaAPI(urls_namespace="edge-idempotency-test", auth=BearerAuth())
install_problem_handlers(api)
api.add_router("/", router)
urlpatterns = [path("t/", api.urls)]


def _header(operation_id: str) -> dict[str, Any]:
    schema = api.get_openapi_schema()
    operation = next(
        op for item in schema["paths"].values() for op in item.values() if op["operationId"] == operation_id
    )
    assert undocumented_errors(schema) == []
    assert {"400", "409", "422"} <= {str(code) for code in operation["responses"]}
    [header] = [p for p in operation["parameters"] if p["name"] == HEADER]
    assert header["in"] == "header"
    assert header["description"]
    return dict(header)


def test_the_header_is_declared_required_or_optional_as_the_endpoint_says() -> None:
    assert _header("create_charge")["required"] is True
    assert _header("create_note")["required"] is False


def test_a_required_key_missing_is_400_and_nothing_runs(identity_service: IdentityService) -> None:
    staff = client_as(identity_service, ROLE_EMAILS["staff"])
    before = next(_numbers)
    response = staff.post("/t/charges", content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency_key_required"
    assert next(_numbers) == before + 1  # the view never ran


def test_the_declared_header_is_claimed_and_the_answer_replayed(identity_service: IdentityService) -> None:
    staff: Client = client_as(identity_service, ROLE_EMAILS["staff"])
    first = staff.post("/t/charges", content_type="application/json", headers={HEADER: "charge-1"})
    again = staff.post("/t/charges", content_type="application/json", headers={HEADER: "charge-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    other = staff.post("/t/charges", content_type="application/json", headers={HEADER: "charge-2"})
    assert other.json()["number"] != first.json()["number"]
    assert "Idempotent-Replayed" not in other


def test_an_optional_key_may_be_left_out(identity_service: IdentityService) -> None:
    staff = client_as(identity_service, ROLE_EMAILS["staff"])
    first = staff.post("/t/notes", content_type="application/json")
    second = staff.post("/t/notes", content_type="application/json")
    assert first.status_code == second.status_code == 201
    assert first.json() != second.json()
