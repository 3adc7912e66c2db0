"""Liveness and readiness: readiness runs named dependency checks, each bounded by a short timeout.

A check returns None (ok), a `Degraded` (still serving, but an operator should look: 200 with
`status: degraded`), or raises (not ready: 503). Each check's entry carries its `status`, its
`duration_ms` and whatever figures it returned (`keys_age_seconds`, ...).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field

import redis
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path

from hubkit.metrics import metrics_view

logger = logging.getLogger("hubkit.health")


@dataclass(frozen=True)
class Healthy:
    """A check's figures when all is well (`details` are added to its entry)."""

    details: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Degraded:
    """The service still serves, but not as it should; `reason` and `details` say why."""

    reason: str
    details: Mapping[str, object] = field(default_factory=dict)


Check = Callable[[], Healthy | Degraded | None]
"""A check returns (None, Healthy or Degraded) when the dependency is usable and raises otherwise."""

_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readiness")


def identity_check() -> Healthy | Degraded:
    """The identity-service's signing keys: verified tokens need them.

    Asks the issuer for its key set now (a short GET). Reachable: ok, and stale keys are
    refreshed. Unreachable while keys are cached and within IDENTITY's JWKS_MAX_STALE_SECONDS:
    degraded (tokens are still verified; no new key can be learnt), with `keys_age_seconds`.
    Unreachable without usable keys: raises (nothing can be verified).
    """
    from hubkit.identity import get_verifier  # noqa: PLC0415 - health is imported by services without tokens

    keys = get_verifier().keys
    try:
        keys.probe()
    except Exception as exc:
        age = keys.age_seconds()
        if age is None or not keys.is_fresh():
            raise
        logger.warning("identity-service unreachable, verifying with keys cached %.0fs ago", age)
        return Degraded(
            f"identity-service unreachable ({type(exc).__name__}); verifying with cached keys",
            {"keys_age_seconds": round(age, 1)},
        )
    if not keys.is_fresh():
        keys.refresh()
    age = keys.age_seconds()
    return Healthy({"keys_age_seconds": round(age, 1)} if age is not None else {})


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


def outbox_check(backlog: Callable[[], Mapping[str, tuple[int, float]]]) -> Check:
    """A service's outbox: degraded while its oldest undelivered event is older than
    settings.EVENT_OUTBOX_DEGRADED_SECONDS (read at each check), never failing: a receiver's outage
    is not this process's, and taking every instance out of rotation would only add a second outage.

    `backlog` answers, per destination, how many events are undelivered and the oldest one's age
    in seconds (one indexed query).
    """

    def check() -> Healthy | Degraded:
        try:
            rows = backlog()
        finally:
            # Runs in a readiness thread: never keep a thread-bound connection around.
            connections["default"].close()
        pending = sum(count for count, _ in rows.values())
        oldest = max((age for _, age in rows.values()), default=0.0)
        threshold = float(getattr(settings, "EVENT_OUTBOX_DEGRADED_SECONDS"))  # noqa: B009 - not in the stubs
        details = {
            "pending": pending,
            "oldest_pending_age_seconds": round(oldest, 1),
            "threshold_seconds": threshold,
        }
        if oldest > threshold:
            return Degraded("undelivered events older than the threshold", details)
        return Healthy(details)

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
            outcome, elapsed = future.result(timeout=timeout)
            entry: dict[str, object] = {"status": "ok", "duration_ms": round(elapsed * 1000, 1)}
            if isinstance(outcome, Degraded):
                entry.update(status="degraded", reason=outcome.reason)
            if outcome is not None:
                entry.update(outcome.details)
            results[name] = entry
        except FutureTimeout:
            results[name] = {"status": "error", "error": f"timed out after {timeout:g}s"}
        except Exception as exc:  # noqa: BLE001 - any failure makes the dependency not ready
            logger.warning("readiness check %s failed: %s", name, exc)
            results[name] = {"status": "error", "error": type(exc).__name__}
    return results


def _timed(check: Check) -> tuple[Healthy | Degraded | None, float]:
    started = time.perf_counter()
    outcome = check()
    return outcome, time.perf_counter() - started


def liveness_view(request: HttpRequest) -> HttpResponse:
    """No I/O: answers as long as the process serves requests."""
    return HttpResponse(json.dumps({"status": "ok"}), content_type="application/json")


def readiness_response(checks: Mapping[str, Check], timeout: float = 3.0) -> HttpResponse:
    """200 `ok`, 200 `degraded` (some check degraded, none failing) or 503 `unavailable`."""
    results = run_checks(checks, timeout=timeout)
    failing = sorted(name for name, r in results.items() if r["status"] == "error")
    degraded = sorted(name for name, r in results.items() if r["status"] == "degraded")
    status = "unavailable" if failing else "degraded" if degraded else "ok"
    body = {"status": status, "checks": results, "failing": failing, "degraded": degraded}
    return HttpResponse(json.dumps(body), status=503 if failing else 200, content_type="application/json")


def standard_checks() -> dict[str, Check]:
    """What every hub service needs to serve: its database and its Redis (settings.REDIS_URL)."""
    return {
        "database": database_check("default"),
        "redis": redis_check(str(getattr(settings, "REDIS_URL")), timeout=1.0),  # noqa: B009
    }


def token_verifier_checks() -> dict[str, Check]:
    """What a service verifying identity-service tokens needs: the standard checks and `identity`."""
    return {**standard_checks(), "identity": identity_check}


def readiness_view(request: HttpRequest) -> HttpResponse:
    """Readiness with the standard checks; a service with more dependencies passes its own view."""
    return readiness_response(standard_checks(), timeout=_readiness_timeout())


def token_verifier_readiness_view(request: HttpRequest) -> HttpResponse:
    """Readiness of a service whose API takes identity-service tokens (`token_verifier_checks`)."""
    return readiness_response(token_verifier_checks(), timeout=_readiness_timeout())


def _readiness_timeout() -> float:
    return float(getattr(settings, "READINESS_TIMEOUT_SECONDS", 3.0))


def operational_urls(readiness: Callable[[HttpRequest], HttpResponse] = readiness_view) -> list[URLPattern]:
    """The URLs every hub service serves besides its API: liveness, readiness, Prometheus metrics."""
    return [
        path("api/health/", liveness_view, name="health-live"),
        path("api/health/ready", readiness, name="health-ready"),
        path("metrics", metrics_view, name="metrics"),
    ]
