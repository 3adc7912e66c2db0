"""hubkit.testing's Redis namespaces (per run and worker, emptied key by key, never the database)
and the databases a harness creates and drops."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import redis
from django.core.cache import caches

from hubkit.settings import REDIS_KEY_PREFIX_ENV, redis_cache
from hubkit.testing import (
    PG_ADMIN_URL,
    RUN_ENV,
    RedisNamespace,
    drop_database,
    flush_redis_namespaces,
    recreate_database,
    redis_namespace,
    run_id,
    worker_id,
)


@pytest.fixture
def client() -> Iterator[Any]:
    namespace = redis_namespace("hubkit-tests")
    connection = redis.Redis.from_url(namespace.url)
    yield connection
    connection.close()


def test_a_namespace_holds_the_run_and_the_worker() -> None:
    namespace = redis_namespace("thing")
    assert namespace.prefix == f"test-{run_id()}-{worker_id()}-thing"
    assert os.environ[RUN_ENV] == run_id()  # inherited by every service the run starts
    assert redis_namespace("thing") is namespace
    assert not namespace.url.endswith("/0")  # never the development services' database


def test_flush_deletes_the_namespace_keys_and_nothing_else(client: Any, settings: Any) -> None:
    mine = redis_namespace(f"mine-{uuid.uuid4().hex[:6]}")
    # Another run on the same database, and a prefix that would match as a glob pattern.
    other_run = RedisNamespace(url=mine.url, prefix=mine.prefix.replace(run_id(), "another-run"))
    settings.CACHES = {"default": mine.cache(), "other": other_run.cache()}
    caches["default"].set("counter", 1)
    caches["default"].set("lock", 2)
    caches["other"].set("counter", 3)
    unrelated = f"{mine.prefix}x:1:counter"  # starts like ours, is not under our prefix
    client.set(unrelated, "kept")
    try:
        assert mine.flush() == 2
        assert caches["default"].get("counter") is None
        assert caches["other"].get("counter") == 3
        assert client.get(unrelated) == b"kept"
    finally:
        other_run.flush()
        client.delete(unrelated)


def test_glob_characters_in_a_prefix_match_only_themselves(client: Any) -> None:
    base = redis_namespace("globs")
    star = RedisNamespace(url=base.url, prefix=base.prefix + "-[a]*")
    sibling = f"{base.prefix}-a-anything:1:key"
    client.set(sibling, "kept")
    client.set(f"{star.prefix}:1:key", "gone")
    try:
        assert star.flush() == 1
        assert client.get(sibling) == b"kept"
    finally:
        client.delete(sibling)


def test_every_namespace_handed_out_is_flushed(client: Any) -> None:
    namespace = redis_namespace(f"flushed-{uuid.uuid4().hex[:6]}")
    client.set(f"{namespace.prefix}:1:key", "gone")
    assert flush_redis_namespaces() >= 1
    assert client.get(f"{namespace.prefix}:1:key") is None


def test_the_environment_prefix_replaces_a_services_own(monkeypatch: pytest.MonkeyPatch) -> None:
    assert redis_cache("redis://h/0", prefix="hub-x")["KEY_PREFIX"] == "hub-x"
    monkeypatch.setenv(REDIS_KEY_PREFIX_ENV, "test-run-1")
    assert redis_cache("redis://h/0", prefix="hub-x")["KEY_PREFIX"] == "test-run-1"
    namespace = RedisNamespace(url="redis://h/3", prefix="mine")
    assert namespace.cache()["KEY_PREFIX"] == "mine"  # a test's settings are never redirected
    assert namespace.env() == {"REDIS_URL": "redis://h/3", REDIS_KEY_PREFIX_ENV: "mine"}


def _database_exists(name: str) -> bool:
    with psycopg.connect(PG_ADMIN_URL + "/postgres", autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is not None


def test_a_recreated_database_starts_empty_and_is_dropped_even_while_connected() -> None:
    name = f"test_hubkit_recreated_{uuid.uuid4().hex[:8]}"
    url = recreate_database(name)
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE stale (id int)")  # what a killed run leaves behind
        url = recreate_database(name)
        held = psycopg.connect(url, autocommit=True)  # a process that was never stopped
        assert held.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'stale'").fetchone() == (0,)
        drop_database(name)
        assert not _database_exists(name)
        held.close()
    finally:
        drop_database(name)
