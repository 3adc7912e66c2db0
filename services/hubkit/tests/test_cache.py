"""The Redis cache backend: Django's, sharing one client per pool across calls and threads."""

from __future__ import annotations

import threading
import uuid

from django.core.cache.backends.redis import RedisCacheClient

from hubkit.cache import RedisCache
from hubkit.settings import redis_cache

URL = "redis://127.0.0.1:6379/0"


def _cache() -> RedisCache:
    config = redis_cache(URL, prefix=f"hubkit-cache-{uuid.uuid4().hex[:8]}")
    assert config["BACKEND"] == "hubkit.cache.RedisCache"
    return RedisCache(config["LOCATION"], {k: v for k, v in config.items() if k != "LOCATION"})


def test_values_round_trip_as_with_djangos_backend() -> None:
    cache = _cache()
    cache.set("body", b"\x00bytes", 30)
    assert cache.get("body") == b"\x00bytes"
    assert cache.get_many(["body", "absent"]) == {"body": b"\x00bytes"}
    assert cache.add("body", b"other") is False
    assert cache.add("n", 1) is True
    assert cache.incr("n", 2) == 3
    cache.delete_many(["body", "n"])
    assert cache.get("body", "gone") == "gone"


def test_every_call_and_thread_uses_one_client_where_djangos_builds_one_per_call() -> None:
    cache = _cache()
    client = cache.redis()
    assert cache.redis(write=True) is client
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(cache.redis())) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(other is client for other in seen)
    django_client = RedisCacheClient([URL])
    assert django_client.get_client() is not django_client.get_client()  # what this backend avoids
