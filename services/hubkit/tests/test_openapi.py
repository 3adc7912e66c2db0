from typing import Any

from django.http import HttpRequest
from ninja import Schema
from ninja.security import HttpBearer

from hubkit.errors import PROBLEM_CONTENT_TYPE
from hubkit.openapi import HubNinjaAPI, problem_responses, undocumented_errors


class Bearer(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> str:
        return token


class ThingIn(Schema):
    name: str


def build_api() -> HubNinjaAPI:
    api = HubNinjaAPI(urls_namespace="hubkit-openapi-tests", auth=Bearer())

    @api.get("/things/{thing_id}", operation_id="get_thing")
    def get_thing(request: HttpRequest, thing_id: int) -> dict[str, Any]:
        return {}

    @api.post(
        "/things", response={201: dict[str, str], **problem_responses(409)}, operation_id="create_thing"
    )
    def create_thing(request: HttpRequest, payload: ThingIn) -> dict[str, Any]:
        return {}

    @api.get("/public", auth=None, operation_id="public")
    def public(request: HttpRequest) -> dict[str, Any]:
        return {}

    return api


def responses(schema: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    return {str(code): value for code, value in schema["paths"][path][method]["responses"].items()}


def test_error_answers_follow_from_the_operation_shape() -> None:
    schema = build_api().get_openapi_schema(path_prefix="")
    assert set(responses(schema, "/things/{thing_id}", "get")) == {"200", "401", "403", "404", "422", "503"}
    assert set(responses(schema, "/things", "post")) == {"201", "401", "403", "409", "413", "422", "503"}
    assert set(responses(schema, "/public", "get")) == {"200"}
    assert undocumented_errors(schema) == []


def test_every_error_answer_is_the_shared_problem_as_problem_json() -> None:
    schema = build_api().get_openapi_schema(path_prefix="")
    conflict = responses(schema, "/things", "post")["409"]
    assert conflict["content"] == {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    problem = schema["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "code", "errors", "request_id"} <= set(problem["properties"])
    assert schema["components"]["securitySchemes"]["Bearer"]["bearerFormat"] == "JWT"


def test_the_check_names_what_a_plain_ninja_schema_lacks() -> None:
    api = build_api()
    plain = super(HubNinjaAPI, api).get_openapi_schema(path_prefix="")  # what Ninja alone documents
    missing = undocumented_errors(plain)
    assert "GET /things/{thing_id}: no 404 response" in missing
    assert "GET /things/{thing_id}: no 401 response" in missing
    assert "POST /things: no 413 response" in missing
    assert "POST /things: 409 is not a problem+json Problem" in missing
    assert not any(line.startswith("GET /public") for line in missing)
