"""The access line of a request made with a real identity-service token, and what is never logged."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import jwt
import pytest
from django.test import Client

from conftest import bearer
from hubkit.testing import IdentityService
from tests.factories import ACME_ID, acme

pytestmark = pytest.mark.django_db


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() + " " + repr(vars(r)) for r in caplog.records)


def test_an_authenticated_request_is_one_access_line_naming_route_org_and_caller(
    identity_service: IdentityService, caplog: pytest.LogCaptureFixture
) -> None:
    acme()
    token = identity_service.token("staff@acme.test")
    user_id = jwt.decode(token, options={"verify_signature": False})["sub"]
    contact_id = uuid.uuid4()
    caplog.set_level(logging.INFO)
    response = bearer(token).get(
        f"/api/v1/contacts/{contact_id}?api_key=dev-insecure-query-secret",
        HTTP_X_REQUEST_ID="req-backend-access-1",
    )
    assert response.status_code == 404

    [line] = [r for r in caplog.records if r.name == "hubkit.access"]
    fields: dict[str, Any] = vars(line)
    assert fields["method"] == "GET"
    assert fields["route"] == "api/v1/contacts/<contact_id>"
    assert fields["status"] == 404
    assert fields["duration_ms"] > 0
    assert fields["request_id"] == "req-backend-access-1"
    assert fields["organization_id"] == str(ACME_ID)
    assert fields["caller"] == f"user:{user_id}"
    logged = _logged(caplog)
    assert token not in logged
    assert token.split(".")[2] not in logged  # not even the signature
    assert "dev-insecure-query-secret" not in logged
    assert str(contact_id) not in logged


@pytest.mark.parametrize("header", ["Basic c3RhZmY6ZGV2LWluc2VjdXJlLXNlY3JldA==", "Token dev-insecure-raw"])
def test_a_malformed_authorization_header_is_401_with_no_error_and_no_value_logged(
    header: str, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    settings.DEBUG = True  # Ninja's bearer logged such a header at ERROR, with its value, then
    caplog.set_level(logging.DEBUG)
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert header.split()[1] not in _logged(caplog)
