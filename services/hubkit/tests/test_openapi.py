from typing import Any

import pytest
from django.http import HttpRequest
from django.test import Client
from django.urls import path
from ninja import P, QueryEx, Schema
from ninja.security import HttpBasicAuth, HttpBearer

from hubkit.errors import PROBLEM_CONTENT_TYPE
from hubkit.openapi import (
    HubNinjaAPI,
    problem_responses,
    schema_name_collisions,
    undescribed,
    undocumented_errors,
    webhook_receiver,
)


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
    created = {"201", "400", "401", "403", "409", "413", "415", "422", "503"}
    assert set(responses(schema, "/things", "post")) == created
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
    assert "POST /things: no 400 response" in missing  # a body that does not parse
    assert "POST /things: 409 is not a problem+json Problem" in missing
    assert not any(line.startswith("GET /public") for line in missing)


class Credentials(HttpBasicAuth):
    """OAuth client authentication."""

    def authenticate(self, request: HttpRequest, username: str, password: str) -> str:
        return username


class OAuthErrorOut(Schema):
    """An RFC 6749 error."""

    error: str


def test_a_route_may_document_its_errors_with_its_own_schema_and_basic_implies_only_401() -> None:
    api = HubNinjaAPI(urls_namespace="hubkit-openapi-own-errors", index_path=None)

    @api.post(
        "/token",
        auth=Credentials(),
        response={200: dict[str, str], 400: OAuthErrorOut, 401: OAuthErrorOut},
        operation_id="issue_token",
    )
    def issue_token(request: HttpRequest) -> dict[str, Any]:
        return {}

    schema = api.get_openapi_schema(path_prefix="")
    answers = responses(schema, "/token", "post")
    assert set(answers) == {"200", "400", "401"}  # Basic alone: no 403 or 503 implied
    own = {"application/json": {"schema": {"$ref": "#/components/schemas/OAuthErrorOut"}}}
    assert answers["400"]["content"] == answers["401"]["content"] == own
    assert undocumented_errors(schema) == []


def test_undescribed_names_parameters_tags_and_schemas_without_a_description() -> None:
    api = HubNinjaAPI(
        urls_namespace="hubkit-openapi-descriptions", tag_descriptions={"described": "Things we describe."}
    )

    @api.get("/plain/{thing_id}", tags=["plain"], response=ThingIn, operation_id="get_plain")
    def get_plain(request: HttpRequest, thing_id: int) -> dict[str, Any]:
        return {}

    @api.get("/described", tags=["described"], response=ProblemDescribedOut, operation_id="get_described")
    def get_described(
        request: HttpRequest, q: QueryEx[str, P(description="What to look for.")]
    ) -> dict[str, Any]:
        return {}

    schema = api.get_openapi_schema(path_prefix="")
    assert undescribed(schema) == [
        "GET /plain/{thing_id}: parameter 'thing_id' has no description",
        "tag 'plain' has no description",
        "schema 'ThingIn' has no description",
    ]
    tags = {tag["name"]: tag["description"] for tag in schema["tags"]}
    assert tags == {"described": "Things we describe.", "api": tags["api"]}


class ProblemDescribedOut(Schema):
    """A described answer."""

    name: str


index_api = HubNinjaAPI(title="Index tests", version="2.0.0", urls_namespace="hubkit-openapi-index")
urlpatterns = [path("api/v1/", index_api.urls)]


@pytest.mark.urls(__name__)
def test_the_api_root_is_an_index_documented_in_the_schema() -> None:
    schema = index_api.get_openapi_schema()
    operation = schema["paths"]["/api/v1/"]["get"]
    assert operation["operationId"] == "get_api_index"
    assert "security" not in operation
    response = Client().get("/api/v1/")
    assert response.status_code == 200
    assert response.json() == {
        "service": "Index tests",
        "version": "2.0.0",
        "openapi_url": "/api/v1/openapi.json",
        "docs_url": "/api/v1/docs",
    }


def test_a_webhook_receiver_documents_its_signature_headers_and_body() -> None:
    api = HubNinjaAPI(urls_namespace="hubkit-openapi-webhooks", index_path=None)

    @api.post(
        "/events",
        auth=None,
        response={200: dict[str, str], **problem_responses(401)},
        operation_id="receive_event",
        openapi_extra=webhook_receiver(body_description="An event envelope."),
    )
    def receive_event(request: HttpRequest) -> dict[str, Any]:
        return {}

    schema = api.get_openapi_schema(path_prefix="")
    operation = schema["paths"]["/events"]["post"]
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header" and p["required"]}
    assert headers == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    assert operation["requestBody"]["description"] == "An event envelope."
    assert set(responses(schema, "/events", "post")) == {"200", "400", "401", "413", "415", "422"}
    assert undocumented_errors(schema) == []
    assert undescribed(schema) == []


def test_two_models_of_one_name_are_named_as_a_collision() -> None:
    api = HubNinjaAPI(urls_namespace="hubkit-openapi-collisions", index_path=None)

    class TokenOut(Schema):
        """A user's token."""

        access_token: str

    user_token = TokenOut

    class TokenOut(Schema):  # type: ignore[no-redef]
        """A service's token."""

        scope: str

    class Wrapper(Schema):
        """Nests the second one."""

        tokens: list[TokenOut]

    @api.post("/login", response=user_token, operation_id="log_in", auth=None)
    def log_in(request: HttpRequest) -> Any:
        return {}

    @api.post("/token", response={200: Wrapper}, operation_id="issue_token", auth=None)
    def issue_token(request: HttpRequest) -> Any:
        return {}

    [collision] = schema_name_collisions(api)
    assert collision.startswith("TokenOut: ")
    assert collision.count("TokenOut") == 3
