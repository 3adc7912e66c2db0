"""The access line of every request, and what bearer authentication never logs."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client
from pythonjsonlogger.json import JsonFormatter

from hubkit.logging import RequestIdFilter, format_from_env, logging_config
from tests.urls import ORGANIZATION_ID, SERVICE_TOKEN, USER_TOKEN


def _access_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "hubkit.access"]


def _everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record's message and attributes, as text: what any formatter could print."""
    return "\n".join(r.getMessage() + " " + repr(vars(r)) for r in caplog.records)


def test_an_authenticated_request_logs_one_line_with_its_fields(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {USER_TOKEN}", HTTP_X_REQUEST_ID="req-access-0001")
    response = client.get("/api/v1/whoami/alice-123?access_token=query-secret-dev-insecure")
    assert response.status_code == 200

    [line] = _access_records(caplog)
    assert line.levelno == logging.INFO
    fields: dict[str, Any] = vars(line)
    assert fields["method"] == "GET"
    assert fields["route"] == "api/v1/whoami/<name>"  # the template, not the path
    assert fields["status"] == 200
    assert isinstance(fields["duration_ms"], float)
    assert fields["duration_ms"] >= 0
    assert fields["request_id"] == "req-access-0001"
    assert fields["organization_id"] == str(ORGANIZATION_ID)
    assert fields["caller"] == "user:5d6c1f0e-8a3b-4c2d-9e1f-0a1b2c3d4e5f"

    logged = _everything_logged(caplog)
    assert USER_TOKEN not in logged
    assert "query-secret" not in logged
    assert "alice-123" not in logged


def test_a_service_token_is_logged_as_its_client() -> None:
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign,assignment]
    access = logging.getLogger("hubkit.access")
    access.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        Client(HTTP_AUTHORIZATION=f"Bearer {SERVICE_TOKEN}").get("/api/v1/whoami/x")
    finally:
        access.removeHandler(handler)
        access.setLevel(logging.NOTSET)
    [line] = records
    assert vars(line)["caller"] == "client:hub-backend"


def test_the_json_format_carries_every_field(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    Client(HTTP_AUTHORIZATION=f"Bearer {USER_TOKEN}").get("/api/v1/whoami/bob")
    [record] = _access_records(caplog)
    config = logging_config(log_format="json", service="hubkit-tests")["formatters"]["default"]
    formatter = JsonFormatter(
        config["fmt"], rename_fields=config["rename_fields"], static_fields=config["static_fields"]
    )
    RequestIdFilter().filter(record)
    line = json.loads(formatter.format(record))
    assert line["level"] == "INFO"
    assert line["logger"] == "hubkit.access"
    assert line["service"] == "hubkit-tests"
    assert {"method", "route", "status", "duration_ms", "request_id", "organization_id", "caller"} <= set(
        line
    )
    assert line["route"] == "api/v1/whoami/<name>"
    assert USER_TOKEN not in json.dumps(line)


def test_an_unauthenticated_request_has_no_caller(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert Client().get("/api/v1/whoami/x").status_code == 401
    [line] = _access_records(caplog)
    assert vars(line)["caller"] == "-"
    assert vars(line)["status"] == 401


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpkZXYtaW5zZWN1cmUtcGFzc3dvcmQ=", "Token dev-insecure-raw-token", "dev-insecure-bare"],
)
def test_a_malformed_authorization_header_is_401_without_error_or_its_value(
    header: str, caplog: pytest.LogCaptureFixture, settings: Any
) -> None:
    settings.DEBUG = True  # Ninja's own bearer logged the header at ERROR exactly then
    caplog.set_level(logging.DEBUG)
    response = Client(HTTP_AUTHORIZATION=header).get("/api/v1/whoami/x")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert header.rsplit(maxsplit=1)[-1] not in _everything_logged(caplog)


def test_health_and_metrics_are_not_logged_at_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    Client().get("/api/health/")
    Client().get("/metrics")
    assert _access_records(caplog) == []


def test_log_format_defaults_to_text_in_development_and_json_elsewhere() -> None:
    assert format_from_env("", debug=True) == "text"
    assert format_from_env("", debug=False) == "json"
    assert format_from_env("JSON", debug=True) == "json"
    assert format_from_env("text", debug=False) == "text"
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        format_from_env("xml", debug=False)


def test_chatty_libraries_are_quiet_unless_log_level_says_otherwise() -> None:
    quiet = logging_config(service="s")
    assert quiet["root"]["level"] == "INFO"
    assert quiet["loggers"]["procrastinate"]["level"] == "WARNING"
    assert quiet["loggers"]["django"]["handlers"] == []  # printed once, by the root handler
    loud = logging_config(service="s", level="debug")
    assert loud["root"]["level"] == "DEBUG"
    assert loud["loggers"]["procrastinate"]["level"] == "DEBUG"
