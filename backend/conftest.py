"""Shared test fixtures: the real identity-service, started once per test process."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from psycopg import sql

from apps.identity.demo import demo_identities
from apps.identity.services import clear_principal_caches
from hubkit.identity import reset_verifier
from hubkit.testing import ServiceProcess, free_port

ROOT = Path(__file__).resolve().parent.parent
IDENTITY_DIR = ROOT / "services" / "identity-service"
IDENTITY_PYTHON = str(IDENTITY_DIR / ".venv" / "bin" / "python")
PG = "postgres://postgres@127.0.0.1:5432"


@dataclass
class IdentityService:
    process: ServiceProcess
    database_url: str
    env: dict[str, str]
    password: str
    _tokens: dict[tuple[str, str | None], str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.process.url

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one of identity-service's management commands against its test database."""
        return subprocess.run(  # noqa: S603
            [IDENTITY_PYTHON, "manage.py", *args],
            cwd=IDENTITY_DIR, env={**os.environ, **self.env}, capture_output=True, text=True,
            timeout=120, check=True,
        )  # fmt: skip

    def login(self, email: str, organization_id: str | None = None) -> dict[str, object]:
        body: dict[str, object] = {"email": email, "password": self.password}
        if organization_id:
            body["organization_id"] = organization_id
        response = httpx.post(self.url + "/api/v1/auth/login", json=body, timeout=10)
        response.raise_for_status()
        result: dict[str, object] = response.json()
        return result

    def token(self, email: str, organization_id: str | None = None) -> str:
        """A cached access token for a demo user (fresh enough for one test run)."""
        key = (email, organization_id)
        if key not in self._tokens:
            self._tokens[key] = str(self.login(email, organization_id)["access_token"])
        return self._tokens[key]

    def service_token(self, client_id: str, secret: str, **extra: str) -> str:
        response = httpx.post(
            self.url + "/oauth/token",
            data={"grant_type": "client_credentials", **extra},
            auth=(client_id, secret),
            timeout=10,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


def _recreate_database(name: str) -> str:
    with psycopg.connect(PG + "/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{PG}/{name}"


def use_identity(url: str) -> None:
    """Point the backend at an identity-service and forget every key learnt from another."""
    settings.IDENTITY_SERVICE_URL = settings.IDENTITY_ISSUER = url
    reset_verifier()
    cache.delete_many(["identity:jwks", "identity:jwks:refresh-gate"])


def start_identity(name: str, worker: str) -> IdentityService:
    """A real identity-service on an ephemeral port with its own fresh database and demo data."""
    # Named after this run's backend database too, so parallel runs never share one.
    backend_db = settings.DATABASES["default"]["NAME"]
    database_url = _recreate_database(f"test_{backend_db}_identity_{name}_{worker}")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": database_url,
        "IDENTITY_ISSUER": url,
        "REDIS_URL": f"redis://127.0.0.1:6379/{_redis_db(worker)}",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    service = IdentityService(
        process=ServiceProcess(cwd=IDENTITY_DIR, wsgi="config.wsgi:application", python=IDENTITY_PYTHON,
                               env=env, port=port),
        database_url=database_url,
        env=env,
        password=str(demo_identities()["password"]),
    )  # fmt: skip
    service.manage("migrate", "--no-input", "-v", "0")
    service.manage("seed_demo")
    service.process.start()
    return service


@pytest.fixture(scope="session")
def identity_service(worker: str) -> Iterator[IdentityService]:
    """The identity-service every backend test shares (started once per test process)."""
    service = start_identity("shared", worker)
    original = settings.IDENTITY_SERVICE_URL
    use_identity(service.url)
    try:
        yield service
    finally:
        use_identity(original)
        service.process.stop()


def _redis_db(worker: str) -> int:
    """Each test process's identity-service gets its own Redis db (lockout counters stay apart)."""
    return 8 + (int(worker[2:]) if worker.startswith("gw") else 7)


@pytest.fixture(scope="session")
def worker() -> str:
    """This test process's name: the xdist worker id, or `main` without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(autouse=True)
def _fresh_principal_caches() -> Iterator[None]:
    # Mirror rows are rolled back between tests; the per-process cache must forget them too.
    clear_principal_caches()
    yield
    clear_principal_caches()


def bearer(token: str) -> Client:
    """A Django test client that sends this bearer token on every request."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)
