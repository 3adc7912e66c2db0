"""Readiness of the backend: every dependency it cannot serve without, each named.

`identity` is degraded (still 200) while identity-service is unreachable and tokens are verified
with cached keys (`keys_age_seconds`); 503 once no usable key is left. `outbox` is degraded while
the oldest undelivered delivery is older than EVENT_OUTBOX_DEGRADED_SECONDS, never 503
(`hubkit.health.outbox_check`).
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from apps.events.selectors import outbox_backlog
from hubkit.health import Check, outbox_check, readiness_response, token_verifier_checks


def readiness_checks() -> dict[str, Check]:
    return {**token_verifier_checks(), "outbox": outbox_check(outbox_backlog)}


def readiness(request: HttpRequest) -> HttpResponse:
    return readiness_response(readiness_checks(), timeout=settings.READINESS_TIMEOUT_SECONDS)
