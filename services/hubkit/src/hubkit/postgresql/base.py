"""Django's PostgreSQL backend, reading `timestamptz` columns with psycopg's C loader.

The trap: for time-zone-aware Django, the postgresql backend registers its own `timestamptz`
loader on every connection, a Python subclass of psycopg's pure-Python loader, so each datetime
read runs Python code (about 5 µs; 50 rows with two timestamps spend half a millisecond there)
even when psycopg's C implementation is installed. When the connection's time zone is UTC (the
hub's setting), psycopg's C loader already answers what Django's does: an aware datetime in
`datetime.timezone.utc`. This engine registers that one instead. Django checks the registered
loader's `timezone` attribute before each cursor (and registers its own if it differs), so the
class below carries it and hands psycopg a C loader instance.
"""

from __future__ import annotations

import time
from datetime import UTC
from typing import Any

import psycopg
from django.db.backends.postgresql import base
from psycopg.abc import AdaptContext
from psycopg.types.datetime import TimestamptzLoader

from hubkit.metrics import DB_POOL_IN_USE, DB_POOL_WAIT


def _c_timestamptz_loader() -> type[Any] | None:
    if psycopg.pq.__impl__ not in {"c", "binary"}:
        return None
    if psycopg.pq.__impl__ == "binary":
        from psycopg_binary import _psycopg  # noqa: PLC0415 - only importable with that implementation
    else:  # pragma: no cover - a local C build
        from psycopg_c import _psycopg  # type: ignore[import-not-found,no-redef]  # noqa: PLC0415
    loader: type[Any] = _psycopg.TimestamptzLoader  # type: ignore[attr-defined]  # not in its stubs
    return loader


_C_LOADER = _c_timestamptz_loader()


class UtcTimestamptzLoader(TimestamptzLoader):
    """Registered like Django's loader for UTC; its instances are psycopg's C loader."""

    timezone = UTC

    def __new__(cls, oid: int, context: AdaptContext | None = None) -> Any:
        assert _C_LOADER is not None  # noqa: S101 - registered only when it exists
        return _C_LOADER(oid, context)


class DatabaseWrapper(base.DatabaseWrapper):
    """Also counts pooled connections lent out and times the wait for one (`hubkit.metrics`).

    With a pool, Django's `get_new_connection` is the checkout (`pool.getconn()`, which waits while
    the pool is exhausted) and `_close` the return (`putconn`).
    """

    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        pooled = bool(self.pool)  # type: ignore[attr-defined]  # Django 5.1+, not in its stubs
        started = time.perf_counter()
        connection = super().get_new_connection(conn_params)
        if pooled:
            DB_POOL_WAIT.labels(self.alias).observe(time.perf_counter() - started)
            DB_POOL_IN_USE.labels(self.alias).inc()
        if _C_LOADER is not None and self.timezone is UTC:
            connection.adapters.register_loader("timestamptz", UtcTimestamptzLoader)
        return connection

    def _close(self) -> None:
        lent = self.connection is not None and bool(self.pool)  # type: ignore[attr-defined]
        try:
            super()._close()  # type: ignore[misc]  # Django's, not in its stubs
        finally:
            if lent:
                # Decremented even when `putconn` fails: the connection is no longer this one's.
                DB_POOL_IN_USE.labels(self.alias).dec()
