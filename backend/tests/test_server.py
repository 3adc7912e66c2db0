"""The backend as it runs in production: served by Granian (WSGI) in its own process."""

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.conf import settings

from hubkit.testing import ServiceProcess

BACKEND = Path(__file__).resolve().parent.parent
CLOSED_DB = "postgres://postgres@127.0.0.1:1/hub_backend"


@pytest.fixture(scope="module")
def server_without_database() -> Iterator[ServiceProcess]:
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": CLOSED_DB,
        "READINESS_TIMEOUT_SECONDS": "3",
    }
    with ServiceProcess(cwd=BACKEND, wsgi="config.wsgi:application", env=env) as server:
        yield server


def test_readiness_is_503_naming_the_database_and_the_process_survives(
    server_without_database: ServiceProcess,
) -> None:
    url = server_without_database.url
    for _ in range(2):  # twice: a failed check must not wedge the next one
        response = httpx.get(url + "/api/health/ready", timeout=10)
        body = response.json()
        assert response.status_code == 503
        assert "database" in body["failing"]
        assert body["checks"]["database"]["status"] == "error"
        assert body["checks"]["redis"]["status"] == "ok"
    assert httpx.get(url + "/api/health/", timeout=5).status_code == 200
    assert server_without_database.process is not None
    assert server_without_database.process.poll() is None


def test_served_errors_are_problem_json_with_request_id(server_without_database: ServiceProcess) -> None:
    response = httpx.get(
        server_without_database.url + "/api/v1/nowhere", headers={"X-Request-ID": "served-check-1"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "served-check-1"
    assert json.loads(response.content)["request_id"] == "served-check-1"


PRODUCTION_KEYS = "2026-01:" + base64.b64encode(b"k" * 32).decode()


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "ALLOWED_HOSTS": "hub.example.org,127.0.0.1",
    "IDENTITY_CLIENT_SECRET": "c" * 40,
    "COMMUNICATION_SERVICE_URL": "https://communication.example.org",
    "WORKFLOW_SERVICE_URL": "https://workflow.example.org",
    "COMMUNICATION_WEBHOOK_SECRETS": "m" * 40,
    "WORKFLOW_WEBHOOK_SECRETS": "w" * 40 + ",v" + "x" * 40,
    "IDENTITY_SERVICE_URL": "https://identity.example.org",
    "FIELD_ENCRYPTION_KEYS": PRODUCTION_KEYS,
    "BLIND_INDEX_KEY": "b" * 40,
}


def _start_production(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    unset = {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"}
    env = {k: v for k, v in os.environ.items() if k not in unset} | PRODUCTION | extra_env
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=BACKEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_the_dev_secret() -> None:
    result = _start_production({"SECRET_KEY": "dev-insecure-backend-secret-key-change-me"})
    assert result.returncode != 0
    assert "SECRET_KEY is a development secret" in result.stderr


def test_production_starts_with_real_keys_only() -> None:
    assert _start_production({"SECRET_KEY": "p" * 50}).stdout.strip() == "started"


def test_production_refuses_to_start_without_encryption_keys() -> None:
    result = _start_production({"SECRET_KEY": "p" * 50, "FIELD_ENCRYPTION_KEYS": ""})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_production_refuses_the_dev_encryption_keys() -> None:
    result = _start_production(
        {"SECRET_KEY": "p" * 50, "FIELD_ENCRYPTION_KEYS": settings.DEV_FIELD_ENCRYPTION_KEYS}
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS is a development secret" in result.stderr


def test_production_refuses_a_malformed_key_and_the_dev_blind_index_key() -> None:
    malformed = _start_production({"SECRET_KEY": "p" * 50, "FIELD_ENCRYPTION_KEYS": "2026-01:" + "a" * 40})
    assert malformed.returncode != 0
    assert "not 16, 24 or 32 bytes" in malformed.stderr
    dev_index = _start_production({"SECRET_KEY": "p" * 50, "BLIND_INDEX_KEY": settings.DEV_BLIND_INDEX_KEY})
    assert dev_index.returncode != 0
    assert "BLIND_INDEX_KEY is a development secret" in dev_index.stderr


def test_production_refuses_debug() -> None:
    result = _start_production({"SECRET_KEY": "p" * 50, "DEBUG": "true"})
    assert result.returncode != 0
    assert "DEBUG must be off" in result.stderr


def test_production_refuses_the_dev_identity_client_secret() -> None:
    result = _start_production(
        {"SECRET_KEY": "p" * 50, "IDENTITY_CLIENT_SECRET": "dev-insecure-hub-backend-client-secret"}
    )
    assert result.returncode != 0
    assert "IDENTITY_CLIENT_SECRET is a development secret" in result.stderr


def test_production_refuses_a_dev_webhook_secret_even_beside_a_real_one() -> None:
    result = _start_production(
        {
            "SECRET_KEY": "p" * 50,
            "WORKFLOW_WEBHOOK_SECRETS": "w" * 40 + ",dev-insecure-workflow-webhook-secret",
        }
    )
    assert result.returncode != 0
    assert "WORKFLOW_WEBHOOK_SECRETS[1] is a development secret" in result.stderr


def test_production_starts_with_real_values() -> None:
    result = _start_production({"SECRET_KEY": "p" * 50})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


@pytest.fixture(scope="module")
def production() -> Iterator[ServiceProcess]:
    env = PRODUCTION | {"SECRET_KEY": "p" * 50, "DEBUG": "false", "DATABASE_URL": CLOSED_DB}
    with ServiceProcess(cwd=BACKEND, wsgi="config.wsgi:application", env=env) as server:
        yield server


def test_production_redirects_plain_http_to_https(production: ServiceProcess) -> None:
    response = httpx.get(production.url + "/api/v1/contacts")
    assert response.status_code == 301
    assert response.headers["location"] == f"https://127.0.0.1:{production.port}/api/v1/contacts"
    # Behind the TLS proxy (it says so in X-Forwarded-Proto) the request reaches the API.
    proxied = httpx.get(production.url + "/api/v1/contacts", headers={"X-Forwarded-Proto": "https"})
    assert proxied.status_code == 401


def test_probes_and_the_scraper_are_served_plain_http(production: ServiceProcess) -> None:
    # Called inside the network over plain HTTP; neither follows a redirect.
    assert httpx.get(production.url + "/api/health/").status_code == 200
    ready = httpx.get(production.url + "/api/health/ready", timeout=60)
    assert ready.status_code == 503  # the readiness view answered
    assert "database" in ready.json()["failing"]
    metrics = httpx.get(production.url + "/metrics", timeout=60)
    assert not metrics.is_redirect, metrics.headers.get("location")
    # This server has no database: the outbox figures, read from it when scraped, are left out
    # (and logged), every other figure is still served.
    assert metrics.status_code == 200
    assert "hub_http_requests_total" in metrics.text
    assert "hub_event_outbox_backlog" not in metrics.text
