"""The event worker (`manage.py procrastinate worker`) serves its own metrics on METRICS_PORT."""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection

from hubkit.testing import free_port, venv_python, wait_until

PROJECT = Path(__file__).resolve().parents[3]

# The worker connects on its own: the test database must be committed and reachable as it is.
pytestmark = pytest.mark.django_db(transaction=True)


def _database_url(settings_dict: dict[str, Any]) -> str:
    user = settings_dict["USER"] or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    port = settings_dict["PORT"] or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture
def worker_port() -> Iterator[int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=_database_url(connection.settings_dict),
        METRICS_PORT=str(port),
    )
    worker = subprocess.Popen(  # noqa: S603 - fixed argv
        [venv_python(PROJECT), "manage.py", "procrastinate", "worker"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield port
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def _scrape(port: int) -> str:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.TransportError:
        return ""  # not listening yet


def test_the_worker_serves_its_metrics_on_its_own_port(worker_port: int) -> None:
    text = wait_until(lambda: _scrape(worker_port))
    # hubkit's exposition (the test settings use no pool, so its gauges have no samples here).
    assert "# TYPE hub_db_pool_connections_in_use gauge" in text
    assert "# TYPE hub_http_requests_total counter" in text
    assert "python_info{" in text
