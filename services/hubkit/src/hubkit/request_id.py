"""X-Request-ID: accept a safe caller-supplied id or generate one, expose it to logs and responses."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
_META_KEY = "HTTP_X_REQUEST_ID"
_SAFE = re.compile(r"^[A-Za-z0-9._:\-]{8,128}$")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def get_request_id() -> str | None:
    """The id of the request being served in this context, if any."""
    return _current.get()


def set_request_id(value: str | None) -> None:
    """Bind an id to the current context (used by workers that act on behalf of a request)."""
    _current.set(value)


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(candidate: str | None) -> str:
    """The caller's id if it is safe to log and echo, else a fresh one."""
    if candidate and _SAFE.fullmatch(candidate):
        return candidate
    return new_request_id()


class RequestIdMiddleware:
    """Binds the request id for the whole request and echoes it on the response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = accept_request_id(request.META.get(_META_KEY))
        request.request_id = request_id  # type: ignore[attr-defined]
        # Downstream readers (auditlog's cid getter, outgoing clients) read the header.
        request.META[_META_KEY] = request_id
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response
