"""Readiness of the backend: every dependency it cannot serve without, each named."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from hubkit.health import Check, readiness_response, standard_checks
from hubkit.identity import get_verifier


def identity_check() -> None:
    """Ready when the issuer's keys are cached and fresh, or the issuer answers now."""
    keys = get_verifier().keys
    if not keys.is_fresh():
        keys.refresh()


def readiness_checks() -> dict[str, Check]:
    return {**standard_checks(), "identity": identity_check}


def readiness(request: HttpRequest) -> HttpResponse:
    return readiness_response(readiness_checks(), timeout=settings.READINESS_TIMEOUT_SECONDS)
