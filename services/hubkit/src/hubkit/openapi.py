"""What every service's OpenAPI says about errors: one problem+json schema, documented everywhere.

Ninja documents only the responses an operation declares, so error answers would be missing
from every spec unless each operation listed them. `HubNinjaAPI` fills in the answers that
follow from an operation's shape, once:

- authenticated operation: 401 (no or bad token), 403 (role or scope refused), 503 (the identity
  service is needed and down);
- a path parameter: 404 (unknown, or another tenant's: never 403);
- any parameter or body: 422 (validation);
- a request body: 413 (too large).

Answers only the code knows (409 for a conflict, 429, ...) are declared on the route with
`problem_responses(409)`. Every 4xx/5xx response is rewritten to `application/problem+json`
with the shared `Problem` schema, and the bearer scheme says `bearerFormat: JWT`.
`undocumented_errors(schema)` lists what an operation still lacks; each service's tests assert
it is empty.
"""

from __future__ import annotations

from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from ninja import Field, NinjaAPI, Schema
from ninja.openapi.schema import OpenAPISchema

from hubkit.errors import PROBLEM_CONTENT_TYPE

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_PROBLEM_REF = "#/components/schemas/Problem"


class FieldProblem(Schema):
    field: str = Field(description="Dotted path of the offending field, e.g. `body.lines.0.quantity`.")
    message: str


class Problem(Schema):
    """RFC 9457 problem details, the body of every error answer of the hub."""

    type: str = Field(description="A URI naming the problem type; ends with `code`.")
    title: str
    status: int
    detail: str
    code: str = Field(description="Stable snake_case error code, e.g. `not_found`, `validation_error`.")
    errors: list[FieldProblem] = Field(description="One entry per invalid field; empty otherwise.")
    request_id: str | None = Field(description="The X-Request-ID of the request, for support.")


def problem_responses(*statuses: int) -> dict[int, type[Problem]]:
    """`response={201: ThingOut, **problem_responses(409)}`: error answers a route may give."""
    return dict.fromkeys(statuses, Problem)


def expected_errors(operation: dict[str, Any]) -> set[int]:
    """The error answers an operation gives because of its shape (see the module docstring)."""
    expected: set[int] = set()
    parameters = operation.get("parameters", [])
    if operation.get("security"):
        expected |= {401, 403, 503}
    if any(p.get("in") == "path" for p in parameters):
        expected.add(404)
    if parameters or "requestBody" in operation:
        expected.add(422)
    if "requestBody" in operation:
        expected.add(413)
    return expected


def _problem(status: int) -> dict[str, Any]:
    try:
        description = HTTPStatus(status).phrase
    except ValueError:
        description = "Error"
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": _PROBLEM_REF}}}}


def _operations(schema: dict[str, Any]) -> Iterable[tuple[str, str, dict[str, Any]]]:
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                yield path, method, item[method]


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Adds the shape-implied error answers and renders every error answer as problem+json."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for nested, definition in schemas["Problem"].pop("$defs", {}).items():
        schemas.setdefault(nested, definition)
    for _, _, operation in _operations(schema):
        responses = operation.setdefault("responses", {})
        wanted = {int(code) for code in responses if str(code).isdigit() and int(code) >= 400}
        for status in sorted(wanted | expected_errors(operation)):
            # Ninja keys responses by int; a schema read back from JSON has strings.
            declared = responses.pop(str(status), None) or responses.pop(status, None) or {}
            responses[status] = _problem(status)
            if declared.get("description") not in {None, "OK", "Error"}:
                responses[status]["description"] = declared["description"]
    for scheme in components.get("securitySchemes", {}).values():
        if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer":
            scheme.setdefault("bearerFormat", "JWT")
    return schema


def undocumented_errors(schema: dict[str, Any]) -> list[str]:
    """`METHOD path: what is missing` for every operation whose error answers are incomplete."""
    missing = []
    for path, method, operation in _operations(schema):
        responses = {str(code): value for code, value in operation.get("responses", {}).items()}
        missing += [
            f"{method.upper()} {path}: no {status} response"
            for status in sorted(expected_errors(operation))
            if str(status) not in responses
        ]
        for code, response in responses.items():
            if code.isdigit() and int(code) >= 400:
                content = response.get("content", {})
                if content.get(PROBLEM_CONTENT_TYPE, {}).get("schema", {}).get("$ref") != _PROBLEM_REF:
                    missing.append(f"{method.upper()} {path}: {code} is not a problem+json Problem")
        if not operation.get("operationId"):
            missing.append(f"{method.upper()} {path}: no operationId")
    return missing


class HubNinjaAPI(NinjaAPI):
    """The NinjaAPI every hub service serves: its OpenAPI documents the error answers."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_problems(schema)
        return schema


__all__ = [
    "HubNinjaAPI",
    "Problem",
    "document_problems",
    "expected_errors",
    "problem_responses",
    "undocumented_errors",
]
