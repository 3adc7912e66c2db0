"""Readiness of the backend: every dependency it cannot serve without, each named.

`identity` is degraded (still 200) while identity-service is unreachable and tokens are verified
with cached keys (`keys_age_seconds`); 503 once no usable key is left. `outbox` is degraded while
the oldest undelivered delivery is older than EVENT_OUTBOX_DEGRADED_SECONDS, never 503: a
receiver's outage is not this process's, and taking every backend out of rotation would only
add a second outage to it.
"""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse

from apps.events.selectors import outbox_backlog
from hubkit.health import Check, Degraded, Healthy, readiness_response, token_verifier_checks


def outbox_check() -> Healthy | Degraded:
    try:
        backlog = outbox_backlog()
    finally:
        # Runs in a readiness thread: never keep a thread-bound connection around.
        connection.close()
    pending = sum(count for count, _ in backlog.values())
    oldest = max((age for _, age in backlog.values()), default=0.0)
    threshold = settings.EVENT_OUTBOX_DEGRADED_SECONDS
    details = {
        "pending": pending,
        "oldest_pending_age_seconds": round(oldest, 1),
        "threshold_seconds": threshold,
    }
    if oldest > threshold:
        return Degraded("undelivered events older than the threshold", details)
    return Healthy(details)


def readiness_checks() -> dict[str, Check]:
    return {**token_verifier_checks(), "outbox": outbox_check}


def readiness(request: HttpRequest) -> HttpResponse:
    return readiness_response(readiness_checks(), timeout=settings.READINESS_TIMEOUT_SECONDS)
