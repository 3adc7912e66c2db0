import json
import logging
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

PROBLEM = "application/problem+json"


@pytest.fixture
def client() -> Client:
    return Client(raise_request_exception=False)


def _problem(response: "_MonkeyPatchedWSGIResponse") -> dict[str, Any]:
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = json.loads(response.content)
    assert body["status"] == response.status_code
    assert body["request_id"] == response["X-Request-ID"]
    assert body["type"] == "urn:hub:problem:" + body["code"]
    return body


def test_unknown_route_is_problem_404(client: Client) -> None:
    body = _problem(client.get("/api/v1/nope"))
    assert body["code"] == "not_found"


def test_unknown_route_outside_ninja_is_problem_404(client: Client) -> None:
    body = _problem(client.get("/api/nothing/here"))
    assert body["code"] == "not_found"


def test_wrong_method_is_problem_405_with_allow(client: Client) -> None:
    response = client.delete("/api/v1/items")
    body = _problem(response)
    assert response.status_code == 405
    assert body["code"] == "method_not_allowed"
    assert "POST" in response["Allow"]


def test_malformed_json_is_400_malformed_json(client: Client) -> None:
    response = client.post("/api/v1/items", data=b"{not json", content_type="application/json")
    assert response.status_code == 400
    assert _problem(response)["code"] == "malformed_json"


def test_a_multipart_form_without_its_boundary_is_400_not_500(client: Client) -> None:
    response = client.post("/api/v1/form", data=b"grant_type=x", content_type="multipart/form-data")
    assert response.status_code == 400
    assert _problem(response)["code"] == "malformed_body"
    # The same form, well formed, is read.
    assert client.post("/api/v1/form", data={"grant_type": "x"}).json() == {"grant_type": "x"}


def test_wrong_types_are_422_naming_each_field(client: Client) -> None:
    response = client.post(
        "/api/v1/items", data={"name": 3, "quantity": "many"}, content_type="application/json"
    )
    body = _problem(response)
    assert response.status_code == 422
    assert body["code"] == "validation_error"
    assert {e["field"] for e in body["errors"]} == {"name", "quantity"}


def test_missing_body_is_422(client: Client) -> None:
    response = client.post("/api/v1/items", content_type="application/json")
    assert response.status_code == 422
    assert _problem(response)["errors"]


def test_application_error_keeps_code_and_extra(client: Client) -> None:
    response = client.get("/api/v1/conflict")
    body = _problem(response)
    assert response.status_code == 409
    assert body["code"] == "slot_taken"
    assert body["detail"] == "Already taken."
    assert body["conflicts"] == [{"id": "x"}]


def test_authentication_error_has_www_authenticate(client: Client) -> None:
    response = client.get("/api/v1/private")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert _problem(response)["code"] == "not_authenticated"


def test_exception_in_view_is_500_without_internals_and_logged(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="hubkit.errors"):
        response = client.get("/api/v1/boom", HTTP_X_REQUEST_ID="trace-abc-12345")
    body = _problem(response)
    assert response.status_code == 500
    assert body["code"] == "internal_error"
    assert body["request_id"] == "trace-abc-12345"
    assert b"hunter2" not in response.content
    assert b"Traceback" not in response.content
    [record] = [r for r in caplog.records if r.name == "hubkit.errors"]
    assert record.exc_info is not None
    assert "hunter2" in str(record.exc_info[1])
    assert record.request_id == "trace-abc-12345"  # type: ignore[attr-defined]


def test_exception_in_plain_view_is_500_problem(client: Client) -> None:
    response = client.get("/api/plain-boom")
    assert response.status_code == 500
    assert b"plain view internals" not in response.content
    assert _problem(response)["code"] == "internal_error"


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/api/plain-missing", 404, "not_found"),
        ("/api/plain-refused", 403, "permission_denied"),
        ("/api/v1/django-refusal", 403, "permission_denied"),
    ],
)
def test_djangos_own_404_and_403_keep_their_status(client: Client, path: str, status: int, code: str) -> None:
    """Raised by a plain view (e.g. Ninja's API root) or inside the API, never a 500."""
    response = client.get(path)
    assert response.status_code == status
    body = _problem(response)
    assert body["code"] == code
    assert b"internal" not in response.content


def test_oversized_body_is_413(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = client.post(
        "/api/v1/items", data={"name": "x" * 500, "quantity": 1}, content_type="application/json"
    )
    assert response.status_code == 413
    assert _problem(response)["code"] == "payload_too_large"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_body_not_sent_as_json_is_415(client: Client, content_type: str) -> None:
    response = client.generic(
        "POST", "/api/v1/items", data=b'{"name": "a", "quantity": 1}', content_type=content_type
    )
    assert response.status_code == 415
    assert _problem(response)["code"] == "unsupported_media_type"


def test_a_json_suffix_type_with_charset_is_read_as_json(client: Client) -> None:
    response = client.post(
        "/api/v1/items",
        data=b'{"name": "a", "quantity": 1}',
        content_type="application/merge-patch+json; charset=utf-8",
    )
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "raw",
    [b'{"name": "a\\u0000b", "quantity": 1}', b'{"name": "\\ud800", "quantity": 1}'],
    ids=["nul", "lone-surrogate"],
)
def test_text_postgresql_cannot_store_is_422_naming_the_field(client: Client, raw: bytes) -> None:
    response = client.post("/api/v1/items", data=raw, content_type="application/json")
    body = _problem(response)
    assert response.status_code == 422
    assert [e["field"] for e in body["errors"]] == ["name"]


def test_a_datetime_is_normalised_to_utc_even_beyond_postgresqls_offsets(client: Client) -> None:
    response = client.post(
        "/api/v1/items",
        data={"name": "a", "quantity": 1, "due": "2026-05-01T23:30:00.123456+20:00"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    # Rendered to the microsecond (Django's JSON encoder would cut it to milliseconds).
    assert response.json()["due"] == "2026-05-01T03:30:00.123456Z"


@pytest.mark.parametrize("due", ["0001-01-01T00:00:00+05:00", "2026-05-01T10:00:00"], ids=["no-utc", "naive"])
def test_a_datetime_without_a_utc_value_is_422(client: Client, due: str) -> None:
    response = client.post(
        "/api/v1/items", data={"name": "a", "quantity": 1, "due": due}, content_type="application/json"
    )
    assert response.status_code == 422
    assert [e["field"] for e in _problem(response)["errors"]] == ["due"]
