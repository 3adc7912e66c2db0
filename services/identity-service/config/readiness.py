"""Readiness of identity-service: its database and Redis, and its outbox.

`outbox` is degraded (still 200) while the oldest undelivered event is older than
EVENT_OUTBOX_DEGRADED_SECONDS, never 503 (`hubkit.health.outbox_check`).
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from apps.outbox.selectors import outbox_backlog
from hubkit.health import Check, outbox_check, readiness_response, standard_checks


def readiness_checks() -> dict[str, Check]:
    return {**standard_checks(), "outbox": outbox_check(outbox_backlog)}


def readiness(request: HttpRequest) -> HttpResponse:
    return readiness_response(readiness_checks(), timeout=settings.READINESS_TIMEOUT_SECONDS)
