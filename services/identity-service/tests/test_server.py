"""The service as other parts of the hub run it: a fresh database, migrate, seed_demo, Granian."""

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import jwt
import psycopg
import pytest
from psycopg import sql

from hubkit.testing import ServiceProcess, free_port

SERVICE = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"
DEMO_PASSWORD = "dev-insecure-demo-password"


@pytest.fixture(scope="module")
def served() -> Iterator[ServiceProcess]:
    name = f"test_hub_identity_served_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG + "/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    port = free_port()
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"{PG}/{name}",
        "IDENTITY_ISSUER": f"http://127.0.0.1:{port}",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    for command in (["migrate", "--no-input", "-v", "0"], ["seed_demo"]):
        subprocess.run(  # noqa: S603 - fixed argv
            [sys.executable, "manage.py", *command],
            cwd=SERVICE,
            env={**os.environ, **env},
            check=True,
            capture_output=True,
            timeout=120,
        )
    try:
        # Several threads, so two requests really run at once (the refresh race below).
        with ServiceProcess(
            cwd=SERVICE,
            wsgi="config.wsgi:application",
            env=env,
            port=port,
            extra_args=["--blocking-threads", "4"],
        ) as server:
            yield server
    finally:
        with psycopg.connect(PG + "/postgres", autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_a_consumer_verifies_tokens_via_discovery_and_introspection(served: ServiceProcess) -> None:
    discovery = httpx.get(served.url + "/.well-known/openid-configuration").json()
    assert discovery["issuer"] == served.url
    assert discovery["jwks_uri"] == served.url + "/.well-known/jwks.json"

    login = httpx.post(
        served.url + "/api/v1/auth/login", json={"email": "both@hub.test", "password": DEMO_PASSWORD}
    )
    assert login.status_code == 200
    token = login.json()["access_token"]
    signing_key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token)
    claims = jwt.decode(token, signing_key, algorithms=["EdDSA"], audience="hub-backend", issuer=served.url)
    assert claims["org_id"] == "0a0e0000-0000-4000-8000-000000000001"
    assert claims["roles"] == ["staff"]

    facts = httpx.post(
        discovery["introspection_endpoint"],
        data={"token": token},
        auth=("hub-backend", "dev-insecure-hub-backend-client-secret"),
    ).json()
    assert facts["active"] is True
    assert facts["sub"] == "0b0e0000-0000-4000-8000-000000000006"

    service = httpx.post(
        discovery["token_endpoint"],
        data={"grant_type": "client_credentials", "organization_id": "0a0e0000-0000-4000-8000-000000000002"},
        auth=("workflow-intelligence-service", "dev-insecure-workflow-client-secret"),
    )
    assert service.status_code == 200
    assert "notifications:write" in service.json()["scope"].split()


def test_served_errors_are_problem_json_and_readiness_is_ok(served: ServiceProcess) -> None:
    response = httpx.post(
        served.url + "/api/v1/auth/login", json={"email": 1}, headers={"X-Request-ID": "id-check-01"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "id-check-01"
    ready = httpx.get(served.url + "/api/health/ready", timeout=10)
    assert ready.status_code == 200
    assert set(ready.json()["checks"]) == {"database", "redis", "outbox"}
    assert ready.json()["status"] == "ok", ready.json()


PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "ALLOWED_HOSTS": "identity.example.org,127.0.0.1",
    "IDENTITY_ISSUER": "https://identity.example.org",
    "EVENT_WEBHOOK_URL": "https://communication.example.org/api/v1/events",
    "EVENT_SIGNING_SECRET": "e" * 40,
    "FRONTEND_URL": "https://hub.example.org",
}


def _start_production(extra_env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    drop = {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "FIELD_ENCRYPTION_KEY"}
    env = {k: v for k, v in os.environ.items() if k not in drop} | PRODUCTION | extra_env
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=SERVICE,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_the_dev_encryption_key() -> None:
    result = _start_production(
        {"SECRET_KEY": "p" * 50, "FIELD_ENCRYPTION_KEY": "dev-insecure-identity-field-encryption-key"}
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEY[0] is a development secret" in result.stderr


def test_production_refuses_the_dev_secret_key() -> None:
    result = _start_production(
        {"SECRET_KEY": "dev-insecure-identity-secret-key-change-me", "FIELD_ENCRYPTION_KEY": "f" * 44}
    )
    assert result.returncode != 0
    assert "SECRET_KEY is a development secret" in result.stderr


def test_production_refuses_the_dev_event_signing_secret() -> None:
    result = _start_production(
        {
            "SECRET_KEY": "p" * 50,
            "FIELD_ENCRYPTION_KEY": "f" * 44,
            "EVENT_SIGNING_SECRET": "dev-insecure-identity-webhook-secret",
        }
    )
    assert result.returncode != 0
    assert "EVENT_SIGNING_SECRET[0] is a development secret" in result.stderr


def test_production_starts_with_real_values() -> None:
    result = _start_production({"SECRET_KEY": "p" * 50, "FIELD_ENCRYPTION_KEY": "f" * 44})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started"


CLOSED_DB = "postgres://postgres@127.0.0.1:1/hub_identity"  # no request below needs one


@pytest.fixture(scope="module")
def production() -> Iterator[ServiceProcess]:
    env = PRODUCTION | {
        "SECRET_KEY": "p" * 50,
        "FIELD_ENCRYPTION_KEY": "f" * 44,
        "DEBUG": "false",
        "DATABASE_URL": CLOSED_DB,
    }
    with ServiceProcess(cwd=SERVICE, wsgi="config.wsgi:application", env=env) as server:
        yield server


def test_production_redirects_plain_http_to_https(production: ServiceProcess) -> None:
    response = httpx.get(production.url + "/api/v1/users/me")
    assert response.status_code == 301
    assert response.headers["location"] == f"https://127.0.0.1:{production.port}/api/v1/users/me"
    # Behind the TLS proxy (it says so in X-Forwarded-Proto) the request reaches the API.
    proxied = httpx.get(production.url + "/api/v1/users/me", headers={"X-Forwarded-Proto": "https"})
    assert proxied.status_code == 401


def test_probes_and_the_scraper_are_served_plain_http(production: ServiceProcess) -> None:
    # Called inside the network over plain HTTP; neither follows a redirect.
    assert httpx.get(production.url + "/api/health/").status_code == 200
    ready = httpx.get(production.url + "/api/health/ready", timeout=60)
    assert ready.status_code == 503  # the readiness view answered
    assert "database" in ready.json()["failing"]
    metrics = httpx.get(production.url + "/metrics", timeout=60)
    assert not metrics.is_redirect, metrics.headers.get("location")
    assert metrics.status_code == 200


def test_two_simultaneous_refreshes_of_one_token_keep_the_session(served: ServiceProcess) -> None:
    login = httpx.post(
        served.url + "/api/v1/auth/login", json={"email": "both@hub.test", "password": DEMO_PASSWORD}
    ).json()
    start = threading.Barrier(2)

    def refresh() -> httpx.Response:
        with httpx.Client(base_url=served.url, timeout=10) as client:
            start.wait()
            return client.post("/api/v1/auth/refresh", json={"refresh_token": login["refresh_token"]})

    with ThreadPoolExecutor(2) as pool:
        answers = [future.result() for future in [pool.submit(refresh), pool.submit(refresh)]]
    assert [answer.status_code for answer in answers] == [200, 200], [a.text for a in answers]
    successors = {answer.json()["refresh_token"] for answer in answers}
    assert len(successors) == 1  # one family, one head
    me = httpx.get(
        served.url + "/api/v1/users/me",
        headers={"Authorization": "Bearer " + answers[1].json()["access_token"]},
    )
    assert me.status_code == 200
    onward = httpx.post(served.url + "/api/v1/auth/refresh", json={"refresh_token": successors.pop()})
    assert onward.status_code == 200
