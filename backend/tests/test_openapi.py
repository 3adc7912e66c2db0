"""The backend's OpenAPI tells clients what every operation takes and what can go wrong."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from config.api import api
from edge.idempotency import HEADER
from edge.permissions import Requirement, requirement_of
from hubkit.openapi import undocumented_errors

_METHODS = ("get", "put", "post", "delete", "patch")
# Generated, not written here: ninja's paginator names its page schemas Paged<Item> (the item
# schema carries the description), hubkit's pagination input and problem field are documented
# field by field.
_GENERATED_SCHEMAS = ("Input", "FieldProblem")


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


def test_every_parameter_has_a_description(schema: dict[str, Any]) -> None:
    missing = [
        f"{name}: {parameter['in']} {parameter['name']}"
        for name, operation in _operations(schema)
        for parameter in operation.get("parameters", [])
        if not parameter.get("description")
    ]
    assert missing == []


def test_every_tag_and_schema_has_a_description(schema: dict[str, Any]) -> None:
    declared = {tag["name"]: tag.get("description") for tag in schema.get("tags", [])}
    used = {tag for _, operation in _operations(schema) for tag in operation.get("tags", [])}
    assert {tag for tag in used if not declared.get(tag)} == set()
    undescribed = [
        name
        for name, component in schema["components"]["schemas"].items()
        if not component.get("description")
        and not name.startswith("Paged")
        and name not in _GENERATED_SCHEMAS
    ]
    assert undescribed == []
