"""preflight: creates a missing database once, and stops with a hint when a store is down."""

import os
import socket
import sys
import uuid
from collections.abc import Iterator

import preflight
import psycopg
import pytest
from psycopg import sql

SERVER = os.environ.get("PG_URL", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def closed_port() -> int:
    """A local port nothing listens on (bound once, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@pytest.fixture
def database_name() -> Iterator[str]:
    name = f"preflight_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    yield name
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def database_exists(name: str) -> bool:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def test_a_missing_database_is_created_and_then_left_alone(database_name: str) -> None:
    assert not database_exists(database_name)
    assert preflight.ensure_database(f"{SERVER}/{database_name}") == f"created database {database_name}"
    assert database_exists(database_name)
    assert preflight.ensure_database(f"{SERVER}/{database_name}") == f"database {database_name} exists"


def test_main_checks_redis_and_ensures_every_database(
    database_name: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["preflight", "--redis", REDIS, "--database", f"{SERVER}/{database_name}"]
    monkeypatch.setattr(sys, "argv", argv)
    preflight.main()
    assert capsys.readouterr().out.split() == ["created", "database", database_name]
    assert database_exists(database_name)


def test_an_unreachable_postgresql_stops_with_the_hint(capsys: pytest.CaptureFixture[str]) -> None:
    port = closed_port()
    with pytest.raises(SystemExit) as stopped:
        preflight.ensure_database(f"postgres://postgres@127.0.0.1:{port}/hub_backend")
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"PostgreSQL is not reachable at 127.0.0.1:{port}.")
    assert "pg_ctlcluster 15 main start" in err
    # Each command the hint gives stands alone on its line.
    lines = [line.strip() for line in err.splitlines()]
    assert "export PG_URL=postgres://postgres:dev-insecure-postgres-password@127.0.0.1:5437" in lines
    assert "export REDIS_URL=redis://127.0.0.1:6384/0" in lines
    assert "docker compose -f docker-compose.local.yml up -d postgres redis" in lines


def test_an_unreachable_redis_stops_with_the_hint(capsys: pytest.CaptureFixture[str]) -> None:
    port = closed_port()
    with pytest.raises(SystemExit) as stopped:
        preflight.check_redis(f"redis://127.0.0.1:{port}/0")
    assert stopped.value.code == 2
    assert capsys.readouterr().err.startswith(f"Redis is not reachable at 127.0.0.1:{port}.")
