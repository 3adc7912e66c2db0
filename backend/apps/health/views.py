"""Readiness of the backend: every dependency it cannot serve without, each named."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from hubkit.health import Check, readiness_response, standard_checks
from hubkit.identity import identity_keys_check


def readiness_checks() -> dict[str, Check]:
    return {**standard_checks(), "identity": identity_keys_check}


def readiness(request: HttpRequest) -> HttpResponse:
    return readiness_response(readiness_checks(), timeout=settings.READINESS_TIMEOUT_SECONDS)
