"""Django's Redis cache, with one client object per connection pool instead of one per call.

The trap: Django's `RedisCacheClient.get_client` builds a new `redis.Redis` for every cache
operation, and that constructor fills a dict of some 170 response callbacks each time: a few
hundred microseconds per call on a small host, twice for a miss that is then set. A `redis.Redis`
may be shared by threads (each command takes a connection from the pool), so one per pool is
kept and reused. `hubkit.settings.redis_cache` names this backend.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis import Redis


class SharedRedisCacheClient(RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Redis] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Redis:
        index: int = self._get_connection_pool_index(write)  # type: ignore[attr-defined]  # Django's, not in its stubs
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]  # Django's, not in its stubs
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server: str | list[str], params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedRedisCacheClient

    def redis(self, *, write: bool = False) -> Redis:
        """The shared client itself (keys unprefixed), for commands the cache API lacks."""
        client: Redis = self._cache.get_client(write=write)  # type: ignore[attr-defined]  # Django's, not in its stubs
        return client
