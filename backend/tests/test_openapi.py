"""The backend's OpenAPI tells clients what every operation takes and what can go wrong."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from config.api import api
from edge.idempotency import HEADER
from edge.permissions import Requirement, requirement_of
from hubkit.openapi import undescribed, undocumented_errors

_METHODS = ("get", "put", "post", "delete", "patch")
# hubkit's API root index: public by design, like the health endpoints.
PUBLIC_OPERATIONS = {"get_api_index"}


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return dict(api.get_openapi_schema())


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method in _METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def _requirements() -> dict[str, Requirement]:
    """operationId → the endpoint's requirement, over every router mounted on the API."""
    found = {}
    for _, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                if operation.operation_id in PUBLIC_OPERATIONS:
                    continue
                requirement = requirement_of(operation.view_func)
                assert requirement is not None, operation.operation_id
                found[str(operation.operation_id)] = requirement
    return found


def test_every_error_answer_is_documented(schema: dict[str, Any]) -> None:
    assert undocumented_errors(schema) == []


def test_every_operation_that_takes_an_idempotency_key_declares_it(schema: dict[str, Any]) -> None:
    requirements = _requirements()
    taking = 0
    for name, operation in _operations(schema):
        if operation["operationId"] in PUBLIC_OPERATIONS:
            continue
        requirement = requirements[operation["operationId"]]
        headers = [p for p in operation.get("parameters", []) if p["name"] == HEADER]
        if requirement.idempotency is None:
            assert headers == [], f"{name} documents a key it ignores"
            continue
        taking += 1
        assert len(headers) == 1, f"{name} takes an {HEADER} but does not declare it"
        assert headers[0]["in"] == "header"
        assert headers[0]["required"] is (requirement.idempotency == "required"), name
        documented = {str(code) for code in operation["responses"]}
        assert {"400", "409", "422"} <= documented, f"{name}: idempotency answers missing"
    assert taking >= 5


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"].rsplit("/", 1)[-1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def served_schemas(schema: dict[str, Any]) -> set[str]:
    """Component schemas the API's paths use, directly or through other schemas."""
    components = schema["components"]["schemas"]
    found: set[str] = set()
    pending = list(_refs(schema["paths"]))
    while pending:
        name = pending.pop()
        if name not in found and name in components:
            found.add(name)
            pending.extend(_refs(components[name]))
    return found


def undescribed_in_paths(schema: dict[str, Any]) -> list[str]:
    """hubkit's `undescribed`, over the served API only: not the event catalogue's `webhooks`.

    The webhooks' data schemas come from the event type registry (apps/events/types.py), whose
    models carry no docstrings yet; everything the backend serves must be described.
    """
    served = served_schemas(schema)
    return [
        problem
        for problem in undescribed(schema)
        if not problem.startswith("schema ") or problem.split("'")[1] in served
    ]


def test_every_parameter_tag_and_served_schema_has_a_description(schema: dict[str, Any]) -> None:
    assert "ContactOut" in served_schemas(schema)
    assert undescribed_in_paths(schema) == []
