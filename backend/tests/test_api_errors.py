"""The backend's API wiring answers every error as problem+json (mechanism tested in hubkit)."""

import json
import logging

import pytest
from django.test import Client

from tests.urls_faults import LEAK

PROBLEM = "application/problem+json"


def test_openapi_and_docs_are_served() -> None:
    client = Client()
    schema = client.get("/api/v1/openapi.json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Hub backend API"
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/v1/no-such-thing", 404, "not_found"),
        ("get", "/api/nothing", 404, "not_found"),
    ],
)
def test_routing_errors_are_problems(method: str, path: str, status: int, code: str) -> None:
    response = getattr(Client(), method)(path, HTTP_X_REQUEST_ID="route-check-1")
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert body["code"] == code
    assert body["request_id"] == "route-check-1"


@pytest.mark.urls("tests.urls_faults")
@pytest.mark.parametrize("path", ["/api/v1/faults/boom", "/api/v1/faults-view/boom"], ids=["ninja", "django"])
def test_exception_in_a_view_is_500_logged_with_request_id(
    caplog: pytest.LogCaptureFixture, path: str
) -> None:
    client = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR):
        response = client.get(path, HTTP_X_REQUEST_ID="boom-check-1")
    assert response.status_code == 500
    assert response["Content-Type"] == PROBLEM
    body = json.loads(response.content)
    assert (body["code"], body["request_id"]) == ("internal_error", "boom-check-1")
    assert LEAK.encode() not in response.content
    assert b"Traceback" not in response.content
    errors = [r for r in caplog.records if r.name == "hubkit.errors"]
    assert errors
    assert errors[0].request_id == "boom-check-1"  # type: ignore[attr-defined]
    assert errors[0].exc_info is not None
