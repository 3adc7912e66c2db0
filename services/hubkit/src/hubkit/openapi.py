"""What every service's OpenAPI says about errors: one problem+json schema, documented everywhere.

Ninja documents only the responses an operation declares, so error answers would be missing
from every spec unless each operation listed them. `HubNinjaAPI` fills in the answers that
follow from an operation's shape, once:

- authenticated operation: 401 (no or bad token), 403 (role or scope refused), 503 (the identity
  service is needed and down);
- a path parameter: 404 (unknown, or another tenant's: never 403);
- any parameter or body: 422 (validation);
- a request body: 400 (a body that does not parse: not JSON, a form without its boundary),
  413 (too large) and 415 (not sent as JSON).

An operation secured only by HTTP Basic (OAuth client authentication) implies 401 alone.

Answers only the code knows (409 for a conflict, 429, ...) are declared on the route with
`problem_responses(409)`. Every 4xx/5xx response is rewritten to `application/problem+json`
with the shared `Problem` schema, unless the route declared that status with a schema of its
own on purpose (the identity-service's OAuth endpoints answer RFC 6749 `{"error": ...}`
bodies); the bearer scheme says `bearerFormat: JWT`. `undocumented_errors(schema)` lists what an
operation still lacks and `undescribed(schema)` the parameters, tags and schemas without a
description; each service's tests assert both are empty (`hubkit.testing`).

`HubNinjaAPI` also serves the API root (`GET /api/v1/`): a small index naming the service and
where its OpenAPI and docs are, instead of Ninja's bare 404.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any, get_args

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from ninja import Field, NinjaAPI, Schema
from ninja.openapi.schema import OpenAPISchema
from pydantic import BaseModel

from hubkit.errors import PROBLEM_CONTENT_TYPE
from hubkit.ninja import JsonParser, JsonRenderer

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_PROBLEM_REF = "#/components/schemas/Problem"


class FieldProblem(Schema):
    """One invalid field of a request."""

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


def _basic_only(operation: dict[str, Any], schemes: Mapping[str, Any]) -> bool:
    names = {name for requirement in operation.get("security", []) for name in requirement}
    return bool(names) and all(
        schemes.get(name, {}).get("type") == "http" and schemes[name].get("scheme", "").lower() == "basic"
        for name in names
    )


_WEBHOOK_HEADERS = {
    "webhook-id": "The delivery's id (the event id): the receiver's deduplication key.",
    "webhook-timestamp": "Unix time the delivery was signed at; refused if more than 5 minutes off.",
    "webhook-signature": "Space-separated `v1,<base64 HMAC-SHA256 of id.timestamp.body>` signatures.",
}


def webhook_receiver(*, body_description: str) -> dict[str, Any]:
    """`openapi_extra` of a Standard Webhooks receiver: its signature headers and its JSON body.

    A receiver reads the raw body (the signature covers the exact bytes), so Ninja sees no
    parameters to document. With these the operation implies 413 and 422; declare its 401
    `invalid_signature` and any other answer with `problem_responses`.
    """
    return {
        "parameters": [
            {
                "in": "header",
                "name": name,
                "required": True,
                "description": text,
                "schema": {"type": "string"},
            }
            for name, text in _WEBHOOK_HEADERS.items()
        ],
        "requestBody": {
            "required": True,
            "description": body_description,
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
    }


def expected_errors(operation: dict[str, Any], schemes: Mapping[str, Any] | None = None) -> set[int]:
    """The error answers an operation gives because of its shape (see the module docstring).

    `schemes` are the document's security schemes; without them every scheme counts as bearer.
    """
    expected: set[int] = set()
    parameters = operation.get("parameters", [])
    if operation.get("security"):
        expected |= {401} if _basic_only(operation, schemes or {}) else {401, 403, 503}
    if any(p.get("in") == "path" for p in parameters):
        expected.add(404)
    if parameters or "requestBody" in operation:
        expected.add(422)
    if "requestBody" in operation:
        expected |= {400, 413, 415}
    return expected


def _problem(status: int) -> dict[str, Any]:
    try:
        description = HTTPStatus(status).phrase
    except ValueError:
        description = "Error"
    return {"description": description, "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": _PROBLEM_REF}}}}


def _own_schema(response: Mapping[str, Any]) -> bool:
    """A response documenting a body schema other than `Problem` (declared so on purpose)."""
    refs = [media.get("schema", {}).get("$ref") for media in response.get("content", {}).values()]
    return any(ref not in (None, _PROBLEM_REF) for ref in refs)


def _is_problem(response: Mapping[str, Any]) -> bool:
    content = response.get("content", {})
    return bool(content.get(PROBLEM_CONTENT_TYPE, {}).get("schema", {}).get("$ref") == _PROBLEM_REF)


def _schemes(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    schemes: Mapping[str, Any] = schema.get("components", {}).get("securitySchemes", {})
    return schemes


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
        for status in sorted(wanted | expected_errors(operation, _schemes(schema))):
            # Ninja keys responses by int; a schema read back from JSON has strings.
            declared = responses.pop(str(status), None) or responses.pop(status, None) or {}
            if _own_schema(declared):
                responses[status] = declared
                continue
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
            for status in sorted(expected_errors(operation, _schemes(schema)))
            if str(status) not in responses
        ]
        for code, response in responses.items():
            if code.isdigit() and int(code) >= 400 and not (_is_problem(response) or _own_schema(response)):
                missing.append(f"{method.upper()} {path}: {code} is not a problem+json Problem")
        if not operation.get("operationId"):
            missing.append(f"{method.upper()} {path}: no operationId")
    return missing


def undescribed(schema: dict[str, Any]) -> list[str]:
    """Every parameter, tag and component schema that carries no description."""
    missing = []
    for path, method, operation in _operations(schema):
        missing += [
            f"{method.upper()} {path}: parameter {parameter.get('name')!r} has no description"
            for parameter in operation.get("parameters", [])
            if not parameter.get("description")
        ]
    described = {tag["name"] for tag in schema.get("tags", []) if tag.get("description")}
    used = {tag for _, _, operation in _operations(schema) for tag in operation.get("tags", [])}
    missing += [f"tag {tag!r} has no description" for tag in sorted(used - described)]
    missing += [
        f"schema {name!r} has no description"
        for name, definition in sorted(schema.get("components", {}).get("schemas", {}).items())
        if not definition.get("description")
    ]
    return missing


def _models_in(annotation: Any, seen: set[type[BaseModel]]) -> None:
    """Every pydantic model an annotation names, however deeply (lists, unions, nested fields)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return
        seen.add(annotation)
        for field in annotation.model_fields.values():
            _models_in(field.annotation, seen)
        return
    for argument in get_args(annotation):
        _models_in(argument, seen)


def schema_name_collisions(api: NinjaAPI) -> list[str]:
    """Distinct models of one API's operations that share a component name.

    Ninja names a component after its model's class and keeps the last definition it meets, so
    two `TokenOut` classes in two apps would both be documented as one of them.
    """
    models: set[type[BaseModel]] = set()
    for _, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                # Ninja's own per-operation wrappers (parameters, `response`) are no components.
                wrappers = [*operation.models, *(getattr(operation, "response_models", None) or {}).values()]
                for wrapper in wrappers:
                    for field in getattr(wrapper, "model_fields", {}).values():
                        _models_in(field.annotation, models)
    by_name: dict[str, list[str]] = {}
    for model in models:
        by_name.setdefault(model.__name__, []).append(f"{model.__module__}.{model.__qualname__}")
    return sorted(f"{name}: {', '.join(sorted(where))}" for name, where in by_name.items() if len(where) > 1)


INDEX_TAG = "api"


class ApiIndex(Schema):
    """The API root: which service this is and where its API is described."""

    service: str = Field(description="The API's title.")
    version: str = Field(description="The API's version.")
    openapi_url: str = Field(description="Path of this API's OpenAPI document.")
    docs_url: str | None = Field(description="Path of the interactive documentation, if served.")


class HubNinjaAPI(NinjaAPI):
    """The NinjaAPI every hub service serves: its OpenAPI documents the error answers.

    `tag_descriptions` describe the routers' tags in the OpenAPI. `index_path` is where the API
    root's index is served, relative to where the API is mounted (None: not served).
    """

    def __init__(
        self,
        *args: Any,
        tag_descriptions: Mapping[str, str] | None = None,
        index_path: str | None = "/",
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("parser", JsonParser())
        kwargs.setdefault("renderer", JsonRenderer())
        super().__init__(*args, **kwargs)
        self.tag_descriptions = dict(tag_descriptions or {})
        if index_path is not None:
            self.tag_descriptions.setdefault(
                INDEX_TAG, "The API root: what this service is and where its documentation lives."
            )
            self._add_index(index_path)

    def _add_index(self, index_path: str) -> None:
        api = self

        @self.get(
            index_path,
            auth=None,
            response=ApiIndex,
            operation_id="get_api_index",
            tags=[INDEX_TAG],
            summary="The API root",
        )
        def get_api_index(request: HttpRequest) -> ApiIndex:
            return api.index()

    def index(self) -> ApiIndex:
        """What the API root answers."""
        try:
            docs_url: str | None = reverse(f"{self.urls_namespace}:openapi-view")
        except NoReverseMatch:  # docs_url=None
            docs_url = None
        return ApiIndex(
            service=self.title,
            version=self.version,
            openapi_url=reverse(f"{self.urls_namespace}:openapi-json"),
            docs_url=docs_url,
        )

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_problems(schema)
        used = sorted({tag for _, _, operation in _operations(schema) for tag in operation.get("tags", [])})
        declared = {tag["name"] for tag in schema.get("tags", [])}
        schema["tags"] = [
            *schema.get("tags", []),
            *(
                {"name": tag, "description": self.tag_descriptions[tag]}
                for tag in used
                if tag in self.tag_descriptions and tag not in declared
            ),
        ]
        return schema


__all__ = [
    "ApiIndex",
    "HubNinjaAPI",
    "Problem",
    "document_problems",
    "expected_errors",
    "problem_responses",
    "schema_name_collisions",
    "undescribed",
    "undocumented_errors",
    "webhook_receiver",
]
