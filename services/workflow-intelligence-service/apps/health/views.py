"""Readiness of the workflow service: every dependency it cannot serve without, each named."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from hubkit.health import Check, database_check, readiness_response, redis_check


def readiness_checks() -> dict[str, Check]:
    return {
        "database": database_check("default"),
        "redis": redis_check(settings.REDIS_URL, timeout=1.0),
    }


def readiness(request: HttpRequest) -> HttpResponse:
    return readiness_response(readiness_checks(), timeout=settings.READINESS_TIMEOUT_SECONDS)
