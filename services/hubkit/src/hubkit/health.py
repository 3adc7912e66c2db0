"""Liveness and readiness: readiness runs named dependency checks, each bounded by a short timeout."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

import redis
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from hubkit.metrics import metrics_view

logger = logging.getLogger("hubkit.health")

Check = Callable[[], None]
"""A check returns when the dependency is usable and raises otherwise."""

_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readiness")


def database_check(alias: str = "default") -> Check:
    def check() -> None:
        connection = connections[alias]
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
        finally:
            # Runs in a pool thread: never keep a thread-bound connection around.
            connection.close()

    return check


def redis_check(url: str, timeout: float = 1.0) -> Check:
    def check() -> None:
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()

    return check


def run_checks(checks: Mapping[str, Check], timeout: float = 3.0) -> dict[str, dict[str, object]]:
    """Run every check concurrently; each gets `timeout` seconds."""
    futures = {name: _executor.submit(_timed, check) for name, check in checks.items()}
    results: dict[str, dict[str, object]] = {}
    for name, future in futures.items():
        try:
            elapsed = future.result(timeout=timeout)
            results[name] = {"status": "ok", "duration_ms": round(elapsed * 1000, 1)}
        except FutureTimeout:
            results[name] = {"status": "error", "error": f"timed out after {timeout:g}s"}
        except Exception as exc:  # noqa: BLE001 - any failure makes the dependency not ready
            logger.warning("readiness check %s failed: %s", name, exc)
            results[name] = {"status": "error", "error": type(exc).__name__}
    return results


def _timed(check: Check) -> float:
    started = time.perf_counter()
    check()
    return time.perf_counter() - started


def liveness_view(request: HttpRequest) -> HttpResponse:
    """No I/O: answers as long as the process serves requests."""
    return HttpResponse(json.dumps({"status": "ok"}), content_type="application/json")


def readiness_response(checks: Mapping[str, Check], timeout: float = 3.0) -> HttpResponse:
    results = run_checks(checks, timeout=timeout)
    ok = all(r["status"] == "ok" for r in results.values())
    failing = sorted(name for name, r in results.items() if r["status"] != "ok")
    body = {"status": "ok" if ok else "unavailable", "checks": results, "failing": failing}
    return HttpResponse(json.dumps(body), status=200 if ok else 503, content_type="application/json")


def standard_checks() -> dict[str, Check]:
    """What every hub service needs to serve: its database and its Redis (settings.REDIS_URL)."""
    return {
        "database": database_check("default"),
        "redis": redis_check(str(getattr(settings, "REDIS_URL")), timeout=1.0),  # noqa: B009
    }


def readiness_view(request: HttpRequest) -> HttpResponse:
    """Readiness with the standard checks; a service with more dependencies passes its own view."""
    return readiness_response(standard_checks(), timeout=_readiness_timeout())


def _readiness_timeout() -> float:
    return float(getattr(settings, "READINESS_TIMEOUT_SECONDS", 3.0))


def operational_urls(readiness: Callable[[HttpRequest], HttpResponse] = readiness_view) -> list[URLPattern]:
    """The URLs every hub service serves besides its API: liveness, readiness, Prometheus metrics."""
    return [
        path("api/health/", liveness_view, name="health-live"),
        path("api/health/ready", readiness, name="health-ready"),
        path("metrics", metrics_view, name="metrics"),
    ]
