"""Wires hubkit's problem details into a NinjaAPI: one place maps every error to HTTP."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, Throttled, ValidationError
from ninja.parser import Parser
from ninja.renderers import BaseRenderer
from ninja.security import HttpBearer
from pydantic_core import to_json

from hubkit.access import Caller, note_caller
from hubkit.errors import (
    ApplicationError,
    problem_response,
    render_application_error,
    render_django_refusal,
    render_suspicious,
    render_unhandled,
    require_json_body,
    status_code_and_title,
)
from hubkit.identity import TokenClaims

_LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file"}


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Ninja/pydantic error dicts as `[{field, message}]` with dotted field paths."""
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ())]
        if loc and loc[0] in _LOCATIONS:
            where = loc.pop(0)
            # A single body schema is nested under its parameter name; drop it.
            if where == "body" and len(loc) > 1:
                loc.pop(0)
        field = ".".join(loc) or "body"
        out.append({"field": field, "message": str(err.get("msg", "Invalid value"))})
    return out


class JsonParser(Parser):
    """Ninja's JSON body parser, refusing (415) a body that does not say it is JSON."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        require_json_body(request)
        return super().parse_body(request)


class JsonRenderer(BaseRenderer):
    """Renders answers with pydantic-core's serializer instead of Ninja's `json.dumps` encoder.

    About ten times faster on a page of rows (UUIDs, datetimes and decimals are encoded in Rust,
    not by a Python `default` call per value), and exact: Django's encoder, which Ninja's extends,
    cuts datetimes to milliseconds, so a time a client sent back (a filter, a version) would name
    another instant. Datetimes are ISO 8601 (`Z` for UTC), decimals strings, text UTF-8.
    """

    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return to_json(data)


class HubBearer(HttpBearer):
    """Ninja's bearer authentication, quiet about bad headers, noting the caller for the access log.

    Ninja's own `HttpBearer` logs a header of another scheme at ERROR, with the header's value
    (the credential), whenever DEBUG is on; here it is a plain 401 and nothing is logged.
    Subclasses implement `authenticate`; `caller_of` names who the principal it returned is
    (TokenClaims, or anything with `claims: TokenClaims`, are understood already).
    """

    def __call__(self, request: HttpRequest) -> Any | None:
        value = request.headers.get(self.header)
        if not value:
            return None
        scheme, _, token = value.partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None  # answered 401 by the API's handler
        principal = self.authenticate(request, token)
        if principal is not None:
            caller = self.caller_of(principal)
            if caller is not None:
                note_caller(request, caller)
        return principal

    def caller_of(self, principal: Any) -> Caller | None:
        claims = principal if isinstance(principal, TokenClaims) else getattr(principal, "claims", None)
        if isinstance(claims, TokenClaims):
            return claims_caller(claims)
        return None


def claims_caller(claims: TokenClaims) -> Caller:
    """A verified token's caller: its client for service tokens, its subject for users."""
    if claims.is_service:
        return Caller.client(claims.client_id or claims.subject, claims.organization_id)
    return Caller.user(claims.subject, claims.organization_id)


def _validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return problem_response(
        status=422,
        code="validation_error",
        title="Validation failed",
        detail="The request has invalid fields.",
        errors=field_errors(exc.errors),
    )


def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    code, title = status_code_and_title(status)
    detail = str(exc)
    headers: dict[str, str] = {}
    if isinstance(exc.__cause__, ApplicationError):  # raised by the parser, wrapped by Ninja
        return render_application_error(exc.__cause__)
    if isinstance(exc.__cause__, ValueError):  # json.JSONDecodeError and UnicodeDecodeError
        code, title, detail = "malformed_json", "Malformed request body", "The body is not valid JSON."
    elif isinstance(exc, AuthenticationError):
        headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        detail = "A valid bearer token is required."
    elif isinstance(exc, AuthorizationError):
        detail = "You are not allowed to do this."
    elif isinstance(exc, Throttled) and exc.wait:
        headers["Retry-After"] = str(int(exc.wait))
    return problem_response(status=status, code=code, title=title, detail=detail, headers=headers)


def _malformed_form(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    """A form body Django cannot split (multipart without its boundary): the client's fault."""
    return problem_response(
        status=400,
        code="malformed_body",
        title="Malformed request body",
        detail="The body is not a valid form (multipart/form-data needs its boundary).",
    )


def _django_refusal(request: HttpRequest, exc: Http404 | DjangoPermissionDenied) -> HttpResponse:
    return render_django_refusal(exc)


def _application(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return render_application_error(exc)


def _suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return render_suspicious(exc)


def _unhandled(request: HttpRequest, exc: Exception) -> HttpResponse:
    return render_unhandled(exc)


_HANDLERS: tuple[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]], ...] = (
    (ApplicationError, _application),
    (ValidationError, _validation),
    (HttpError, _http_error),
    (Http404, _django_refusal),
    (DjangoPermissionDenied, _django_refusal),
    (SuspiciousOperation, _suspicious),
    (MultiPartParserError, _malformed_form),
    (Exception, _unhandled),
)


def install_problem_handlers(api: NinjaAPI) -> None:
    """Replace Ninja's default handlers so everything the API answers is problem+json."""
    for exc_class, handler in _HANDLERS:
        api.add_exception_handler(exc_class, handler)


__all__ = [
    "HubBearer",
    "JsonParser",
    "JsonRenderer",
    "claims_caller",
    "field_errors",
    "install_problem_handlers",
]
