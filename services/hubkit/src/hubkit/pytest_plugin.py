"""The pytest plugin of every hub test suite (`pytest_plugins` in each conftest).

Empties this run's Redis namespaces (`hubkit.testing.redis_namespace`: the settings' cache and
every service a test started) at the start and at the end of the test run, key by key under
their prefixes: the Redis databases are shared with other runs and other developers.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hubkit.testing import flush_redis_namespaces


@pytest.fixture(scope="session", autouse=True)
def _redis_namespaces_flushed() -> Iterator[None]:
    flush_redis_namespaces()
    yield
    flush_redis_namespaces()
