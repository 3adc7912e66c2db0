"""Shared test fixtures: the real identity-service, started once per test process, and the backend
served by Granian (`live_backend`) for tests that need real HTTP and real concurrency."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from apps.identity.services import clear_principal_caches
from hubkit.identity import identity_config, reset_verifier, shared_cache_keys
from hubkit.testing import IdentityService, ServiceProcess, manage, recreate_database, start_identity_service

ROOT = Path(__file__).resolve().parent.parent
# This run's Redis keys (the settings' cache, every identity-service started) emptied at its start and end.
pytest_plugins = ["hubkit.pytest_plugin"]


def use_identity(url: str) -> None:
    """Point the backend at an identity-service and forget every key learnt from another."""
    settings.IDENTITY = {**settings.IDENTITY, "SERVICE_URL": url, "ISSUER": url}
    reset_verifier()
    cache.delete_many(list(shared_cache_keys()))


def start_identity(name: str, worker: str) -> IdentityService:
    """A real identity-service on an ephemeral port with its own fresh database and demo data."""
    # Named after this run's backend database too, so parallel runs never share one.
    backend_db = settings.DATABASES["default"]["NAME"]
    return start_identity_service(
        repo_root=ROOT,
        database_name=f"test_{backend_db}_identity_{name}_{worker}",
    )


@contextmanager
def own_identity_service(name: str, worker: str, shared: IdentityService) -> Iterator[IdentityService]:
    """An identity-service a test module may stop, restart, rotate or demote in; then the shared one again."""
    service = start_identity(name, worker)
    use_identity(service.url)
    try:
        yield service
    finally:
        service.stop()
        use_identity(shared.url)


@pytest.fixture(scope="session")
def identity_service(worker: str) -> Iterator[IdentityService]:
    """The identity-service every backend test shares (started once per test process)."""
    service = start_identity("shared", worker)
    original = identity_config().service_url
    use_identity(service.url)
    try:
        yield service
    finally:
        use_identity(original)
        service.stop()


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


@pytest.fixture
def as_role(identity_service: IdentityService) -> Callable[[str], Client]:
    """A test client for the Acme demo member of a role (`as_role("staff")`)."""
    from tests.factories import ROLE_EMAILS, client_as  # noqa: PLC0415 - tests.factories imports this module

    return lambda role: client_as(identity_service, ROLE_EMAILS[role])


def bearer(token: str) -> Client:
    """A Django test client that sends this bearer token on every request."""
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)


@dataclass
class LiveBackend:
    """The backend served by Granian (sixteen request threads) on its own database."""

    process: ServiceProcess
    database_url: str
    identity: IdentityService

    @property
    def url(self) -> str:
        return self.process.url

    def api(self, email: str, **headers: str) -> httpx.Client:
        """An HTTP client calling the API as this demo user."""
        token = self.identity.token(email)
        return httpx.Client(
            base_url=self.url + "/api/v1",
            headers={"Authorization": f"Bearer {token}", **headers},
            timeout=30,
        )

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of the served backend's database (it is not the test database)."""
        with psycopg.connect(self.database_url, autocommit=True) as conn:
            return conn.execute(sql, params).fetchall()


def migrated_backend_database(name: str, identity_service: IdentityService) -> tuple[str, dict[str, str]]:
    """A fresh, migrated database of this run for a served backend, and that backend's environment."""
    database_url = recreate_database(f"{settings.DATABASES['default']['NAME']}_{name}")
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url,
        "IDENTITY_SERVICE_URL": identity_service.url,
        "IDENTITY_ISSUER": identity_service.url,
        "LOG_LEVEL": "WARNING",
    }
    manage(ROOT / "backend", env, "migrate", "--no-input", "-v", "0")
    return database_url, env


@pytest.fixture(scope="session")
def live_backend(identity_service: IdentityService, worker: str) -> Iterator[LiveBackend]:
    """The backend as it runs in production, against the shared identity-service.

    Its database is its own (migrated once per test process) and never rolled back between tests:
    tests make their own rows and read them back over HTTP or with `query`.
    """
    database_url, env = migrated_backend_database(f"live_{worker}", identity_service)
    process = ServiceProcess(
        cwd=ROOT / "backend",
        wsgi="config.wsgi:application",
        env=env,
        # One process: a multi-process Granian stopped mid-request can leave a worker behind.
        extra_args=["--blocking-threads", "16"],
    )
    with process:
        yield LiveBackend(process=process, database_url=database_url, identity=identity_service)
