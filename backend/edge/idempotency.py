"""The `Idempotency-Key` header at the edge (IETF httpapi draft); the records are `apps.idempotency`'s.

`@requires(idempotency=...)` declares the header on the operation (so the OpenAPI documents it and
the docs page can send it), claims the key before the view runs and answers a replay with the
stored outcome; `IdempotencyMiddleware` stores the final response (errors rendered by the
exception handlers included), or frees the key when the request failed on our side.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Schema
from ninja.operation import Operation
from ninja.params.functions import Header
from ninja.utils import contribute_operation_args, contribute_operation_callback
from pydantic import ConfigDict, WithJsonSchema

from apps.idempotency.exceptions import IdempotencyKeyRequired
from apps.idempotency.services import (
    StoredOutcome,
    idempotency_abandon,
    idempotency_begin,
    idempotency_complete,
    request_fingerprint,
)
from apps.identity.principal import Principal
from hubkit.fields import Text
from hubkit.openapi import Problem

Idempotency = Literal["optional", "required"] | None

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
CLAIM_ATTRIBUTE = "_hub_idempotency_claim"
# The keyword the declared header reaches the endpoint wrapper under (popped before the view).
ARGUMENT = "idempotency_header"
# What the header can answer: 400 malformed or missing, 409 still in flight, 422 another body.
ANSWERS = (400, 409, 422)

_DESCRIPTION = (
    "Makes the request safe to retry: the same key with the same body replays the first answer "
    "(header `Idempotent-Replayed: true`); the same key with another body is 422 "
    "`idempotency_key_reused`; a key whose first request is still running is 409 "
    "`idempotency_key_in_use`. 1 to 255 visible ASCII characters, per organization and caller, "
    "kept at least 24 hours."
)
# Documented as a string; checked by the idempotency service (400 `idempotency_key_invalid`),
# not by the schema, so a malformed key gets that code rather than a generic 422.
_Key = Annotated[Text | None, WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 255})]


class OptionalIdempotencyKey(Schema):
    """The `Idempotency-Key` header of an endpoint that honours it when sent."""

    key: _Key = Field(None, alias="Idempotency-Key", description=f"Optional. {_DESCRIPTION}")


def _required(schema: dict[str, Any]) -> None:
    schema["required"] = [HEADER]


class RequiredIdempotencyKey(Schema):
    """The `Idempotency-Key` header of an endpoint that refuses requests without it."""

    # Required in the OpenAPI; at run time a missing key is 400 `idempotency_key_required`.
    model_config = ConfigDict(json_schema_extra=_required)

    key: _Key = Field(None, alias="Idempotency-Key", description=f"Required. {_DESCRIPTION}")


def declare_idempotency_key(view: Callable[..., Any], mode: Literal["optional", "required"]) -> None:
    """Adds the header parameter and its error answers to the operation `view` becomes."""
    schema = RequiredIdempotencyKey if mode == "required" else OptionalIdempotencyKey
    # functools.wraps shared the wrapped view's lists (e.g. pagination's): extend copies of them.
    for attribute in ("_ninja_contribute_args", "_ninja_contribute_to_operation"):
        if hasattr(view, attribute):
            setattr(view, attribute, list(getattr(view, attribute)))
    contribute_operation_args(view, ARGUMENT, schema, Header())
    contribute_operation_callback(view, _document_answers)


def _document_answers(operation: Operation) -> None:
    for status in ANSWERS:
        if status not in operation.response_models:
            operation.response_models[status] = operation._create_response_model(Problem)


def claim_idempotency_key(
    request: HttpRequest, principal: Principal, mode: str, header: object
) -> HttpResponse | None:
    """Claim the request's key; the stored answer (a replay) when the key was used before."""
    key = header.key if isinstance(header, OptionalIdempotencyKey | RequiredIdempotencyKey) else None
    if key is None:
        if mode == "required":
            raise IdempotencyKeyRequired(f"This request needs an {HEADER} header.")
        return None
    organization_id = principal.organization.id if principal.organization else uuid.UUID(int=0)
    outcome = idempotency_begin(
        organization_id=organization_id,
        caller=principal.user.subject,
        key=key,
        fingerprint=request_fingerprint(
            method=request.method or "POST", path=request.get_full_path(), body=request.body
        ),
    )
    if isinstance(outcome, StoredOutcome):
        return replay(outcome)
    setattr(request, CLAIM_ATTRIBUTE, outcome.record_id)  # the middleware stores the response
    return None


def replay(outcome: StoredOutcome) -> HttpResponse:
    response = HttpResponse(outcome.body, status=outcome.status, content_type=outcome.content_type)
    response[REPLAYED_HEADER] = "true"
    return response


class IdempotencyMiddleware:
    """Stores the final response of a request that claimed a key; a 5xx frees the key instead."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            response = self.get_response(request)
        except BaseException:
            claim = getattr(request, CLAIM_ATTRIBUTE, None)
            if claim is not None:
                idempotency_abandon(record_id=claim)
            raise
        claim = getattr(request, CLAIM_ATTRIBUTE, None)
        if claim is not None:
            if response.status_code >= 500:
                idempotency_abandon(record_id=claim)  # our failure: the client may retry with the key
            else:
                idempotency_complete(
                    record_id=claim,
                    outcome=StoredOutcome(
                        status=response.status_code,
                        content_type=response.get("Content-Type", ""),
                        body=bytes(response.content),
                    ),
                )
        return response
