"""One access log line per request: who asked what (by route template), how it went, how long it took.

The line is logged by `hubkit.access` with these fields (JSON keys; the text format prints them
in the message): `method`, `route` (the URL pattern that matched, e.g.
`api/v1/contacts/<uuid:contact_id>`, never the raw path, so neither ids nor query strings are
logged), `status`, `duration_ms`, `request_id`, `organization_id` and `caller` (`user:<id>`,
`client:<client_id>` or `sender:<service>`; `-` when nobody authenticated). Tokens, secrets and
headers are never logged.

The caller is noted by the service's bearer authentication (`hubkit.ninja.HubBearer` calls
`note_caller`), by an event receiver once a delivery's signature names its sender
(`hubkit.events.note_sender`), and by endpoints that authenticate otherwise (identity-service's
token endpoint and login). Liveness, readiness and metrics are logged at DEBUG unless they fail: an
orchestrator polls them every few seconds.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse

from hubkit.request_id import get_request_id

logger = logging.getLogger("hubkit.access")

UNMATCHED = "<unmatched>"
_QUIET_ROUTES = frozenset({"api/health/", "api/health/ready", "metrics"})
_CALLER_ATTRIBUTE = "hub_caller"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made a request, as the access log names them."""

    id: str  # "user:<user id>", "client:<client id>" or "sender:<service>"
    organization_id: uuid.UUID | None = None

    @classmethod
    def user(cls, user_id: object, organization_id: uuid.UUID | None = None) -> Caller:
        return cls(f"user:{user_id}", organization_id)

    @classmethod
    def client(cls, client_id: object, organization_id: uuid.UUID | None = None) -> Caller:
        return cls(f"client:{client_id}", organization_id)

    @classmethod
    def sender(cls, service: str, organization_id: uuid.UUID | None = None) -> Caller:
        """The service whose webhook secret signed an event delivery."""
        return cls(f"sender:{service}", organization_id)


def note_caller(request: HttpRequest, caller: Caller) -> None:
    """Record the authenticated caller of this request for its access line."""
    setattr(request, _CALLER_ATTRIBUTE, caller)


def caller_of(request: HttpRequest) -> Caller | None:
    caller = getattr(request, _CALLER_ATTRIBUTE, None)
    return caller if isinstance(caller, Caller) else None


def route_of(request: HttpRequest) -> str:
    """The URL pattern that served the request (`<unmatched>` when none did), never the raw path."""
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else UNMATCHED


class AccessLogMiddleware:
    """Logs the access line of every request once its response is ready."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        route = route_of(request)
        status = response.status_code
        if status >= 500:
            level = logging.WARNING  # the error itself is logged by hubkit.errors
        elif route in _QUIET_ROUTES and status < 400:
            level = logging.DEBUG
        else:
            level = logging.INFO
        if logger.isEnabledFor(level):
            caller = caller_of(request)
            organization_id = str(caller.organization_id) if caller and caller.organization_id else "-"
            caller_id = caller.id if caller else "-"
            method = request.method or "-"
            logger.log(
                level,
                "%s %s %d %.1fms org=%s caller=%s",
                method,
                route,
                status,
                duration_ms,
                organization_id,
                caller_id,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": duration_ms,
                    "request_id": get_request_id() or "-",
                    "organization_id": organization_id,
                    "caller": caller_id,
                },
            )
        return response
