"""The production settings: they start with a full environment, refuse development secrets, and the
event receiver answers senders over plain HTTP (they follow no redirect) while the rest redirects."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from config.settings.base import DEV_FIELD_ENCRYPTION_KEYS
from hubkit.testing import ServiceProcess, django_start, venv_python

SERVICE = Path(__file__).resolve().parent.parent
CLOSED_DB = "postgres://postgres@127.0.0.1:1/hub_communication"  # no request below needs one
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "p" * 50,
    "ALLOWED_HOSTS": "communication.example.org,127.0.0.1",
    "IDENTITY_SERVICE_URL": "https://identity.example.org",
    "WEBHOOK_SECRETS": "w" * 40,
    "IDENTITY_WEBHOOK_SECRETS": "i" * 40,
    "EMAIL_HOST": "smtp.example.org",
    "FIELD_ENCRYPTION_KEYS": "prod-1:" + "cHJvZHVjdGlvbi1maWVsZC1lbmNyeXB0aW9uLWtleSE=",
    "DATABASE_URL": CLOSED_DB,
}


def test_production_starts_with_a_full_environment() -> None:
    result = django_start(SERVICE, PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SECRET_KEY", "dev-insecure-communication-secret-key"),
        ("FIELD_ENCRYPTION_KEYS", DEV_FIELD_ENCRYPTION_KEYS),
        ("WEBHOOK_SECRETS", "w" * 40 + ",dev-insecure-backend-webhook-secret"),
        ("IDENTITY_WEBHOOK_SECRETS", "dev-insecure-identity-webhook-secret"),
    ],
)
def test_production_refuses_a_development_secret(name: str, value: str) -> None:
    result = django_start(SERVICE, PRODUCTION | {name: value})
    assert result.returncode != 0
    assert "is a development secret" in result.stderr
    assert name in result.stderr


@pytest.mark.parametrize(
    "missing",
    ["SECRET_KEY", "IDENTITY_SERVICE_URL", "EMAIL_HOST", "WEBHOOK_SECRETS", "FIELD_ENCRYPTION_KEYS"],
)
def test_production_refuses_to_start_without_a_required_value(missing: str) -> None:
    result = django_start(SERVICE, {k: v for k, v in PRODUCTION.items() if k != missing})
    assert result.returncode != 0
    assert missing in result.stderr


def test_production_refuses_a_malformed_encryption_key_list() -> None:
    result = django_start(SERVICE, PRODUCTION | {"FIELD_ENCRYPTION_KEYS": "prod-1:" + "a2V5" * 11})
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS: key 'prod-1' is not 16, 24 or 32 bytes" in result.stderr


@pytest.fixture(scope="module")
def production() -> Iterator[ServiceProcess]:
    with ServiceProcess(
        cwd=SERVICE, python=venv_python(SERVICE), wsgi="config.wsgi:application", env=PRODUCTION
    ) as server:
        yield server


def test_the_event_receiver_answers_plain_http_without_a_redirect(production: ServiceProcess) -> None:
    response = httpx.post(
        production.url + "/api/v1/events", content=b"{}", headers={"content-type": "application/json"}
    )
    assert not response.is_redirect, response.headers.get("location")
    assert response.status_code == 401  # reached the receiver: the unsigned delivery is refused
    assert response.headers["content-type"] == "application/problem+json"


def test_the_rest_redirects_plain_http_to_https(production: ServiceProcess) -> None:
    response = httpx.get(production.url + "/api/v1/messages")
    assert response.status_code == 301
    assert response.headers["location"].startswith("https://")
    assert httpx.get(production.url + "/api/health/").status_code == 200  # probes stay plain
    metrics = httpx.get(production.url + "/metrics", timeout=60)  # and so does the scraper
    assert not metrics.is_redirect, metrics.headers.get("location")
