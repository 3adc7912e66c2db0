"""One error hierarchy, rendered once as RFC 9457 problem details (`application/problem+json`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse

from hubkit.request_id import get_request_id

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:hub:problem:"
# Error responses already in JSON were shaped on purpose (problem details, readiness reports).
_JSON_TYPES = (PROBLEM_CONTENT_TYPE, "application/json")

logger = logging.getLogger("hubkit.errors")


class ApplicationError(Exception):
    """Base of every error a service raises on purpose; each subclass fixes status, code and title."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        errors: Sequence[Mapping[str, str]] | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or self.title
        self.error_code = code or self.code
        self.errors = list(errors or [])
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        super().__init__(self.message)


class ValidationFailed(ApplicationError):
    status = 422
    code = "validation_error"
    title = "Validation failed"


class NotAuthenticated(ApplicationError):
    status = 401
    code = "not_authenticated"
    title = "Authentication required"


class PermissionDenied(ApplicationError):
    status = 403
    code = "permission_denied"
    title = "Permission denied"


class NotFound(ApplicationError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(ApplicationError):
    status = 409
    code = "conflict"
    title = "Conflict"


class UnsupportedMediaType(ApplicationError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


def is_json_media_type(content_type: str) -> bool:
    """`application/json` or a `+json` type (parameters such as `charset` already split off)."""
    media_type = content_type.strip().lower()
    if media_type == "application/json":
        return True
    return media_type.startswith("application/") and media_type.endswith("+json")


def require_json_body(request: HttpRequest) -> None:
    """UnsupportedMediaType unless a request with a body says it is JSON.

    Django's test client and many HTTP libraries send form types or nothing by default; a body
    of another type is refused instead of being read as JSON by accident.
    """
    if request.body and not is_json_media_type(request.content_type or ""):
        raise UnsupportedMediaType(
            f"The body must be sent as application/json (got {request.content_type or 'no Content-Type'})."
        )


class RateLimited(ApplicationError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"


class ServiceUnavailable(ApplicationError):
    status = 503
    code = "service_unavailable"
    title = "Service unavailable"


_TITLES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "Bad request"),
    401: ("not_authenticated", "Authentication required"),
    403: ("permission_denied", "Permission denied"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    406: ("not_acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload_too_large", "Payload too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
    422: ("validation_error", "Validation failed"),
    429: ("rate_limited", "Too many requests"),
    500: ("internal_error", "Internal server error"),
    503: ("service_unavailable", "Service unavailable"),
}


def status_code_and_title(status: int) -> tuple[str, str]:
    """The stable default `code` and `title` for a bare HTTP status."""
    return _TITLES.get(status, ("client_error" if status < 500 else "server_error", "Error"))


def problem_response(
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: Sequence[Mapping[str, str]] = (),
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "errors": [dict(e) for e in errors],
        "request_id": get_request_id(),
    }
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    response = HttpResponse(json.dumps(body, default=str), status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def render_application_error(exc: ApplicationError) -> HttpResponse:
    if exc.status >= 500:
        logger.error("%s: %s", exc.error_code, exc.message)
    return problem_response(
        status=exc.status,
        code=exc.error_code,
        title=exc.title,
        detail=exc.message,
        errors=exc.errors,
        extra=exc.extra,
        headers=exc.headers,
    )


def render_unhandled(exc: BaseException) -> HttpResponse:
    """500 with nothing of the exception in the body; the traceback goes to the log."""
    logger.error("unhandled %s", type(exc).__name__, exc_info=exc, extra={"request_id": get_request_id()})
    code, title = status_code_and_title(500)
    return problem_response(
        status=500,
        code=code,
        title=title,
        detail="An unexpected error occurred. Quote the request id when reporting it.",
    )


def render_suspicious(exc: SuspiciousOperation) -> HttpResponse:
    if isinstance(exc, RequestDataTooBig):
        return problem_response(
            status=413,
            code="payload_too_large",
            title="Payload too large",
            detail="The request body is larger than this service accepts.",
        )
    logger.warning("suspicious request: %s", type(exc).__name__)
    return problem_response(
        status=400, code="bad_request", title="Bad request", detail="The request was rejected."
    )


def render_django_refusal(exc: Http404 | DjangoPermissionDenied) -> HttpResponse:
    """Django's own 404 and 403 (`get_object_or_404`, a view's `raise Http404`) as what they mean.

    Their messages are for developers, so the detail stays generic.
    """
    status = 404 if isinstance(exc, Http404) else 403
    code, title = status_code_and_title(status)
    detail = "The resource does not exist." if status == 404 else "You are not allowed to do this."
    return problem_response(status=status, code=code, title=title, detail=detail)


def render_exception(exc: BaseException) -> HttpResponse:
    """Any exception that reached the edge, as problem+json."""
    if isinstance(exc, ApplicationError):
        return render_application_error(exc)
    if isinstance(exc, Http404 | DjangoPermissionDenied):
        return render_django_refusal(exc)
    if isinstance(exc, SuspiciousOperation):
        return render_suspicious(exc)
    return render_unhandled(exc)


class ProblemDetailsMiddleware:
    """Makes every error under the given path prefixes problem+json, whoever produced it.

    Errors raised inside the NinjaAPI are rendered by its handlers; this catches the rest:
    URL-resolver 404s, 405s from method dispatch, and exceptions in plain Django views.
    """

    prefixes: ClassVar[tuple[str, ...]] = ("/api/",)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 400
            and request.path.startswith(self.prefixes)
            and not response.get("Content-Type", "").startswith(_JSON_TYPES)
        ):
            code, title = status_code_and_title(response.status_code)
            headers = {k: response[k] for k in ("Allow", "Retry-After", "WWW-Authenticate") if k in response}
            return problem_response(
                status=response.status_code,
                code=code,
                title=title,
                detail=_bare_detail(request, response.status_code),
                headers=headers,
            )
        return response

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if not request.path.startswith(self.prefixes):
            return None
        return render_exception(exc)


def _bare_detail(request: HttpRequest, status: int) -> str:
    if status == 404:
        return f"No resource at {request.path}."
    if status == 405:
        return f"{request.method} is not allowed on {request.path}."
    return status_code_and_title(status)[1] + "."
