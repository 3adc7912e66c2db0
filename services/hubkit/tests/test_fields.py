from datetime import date, datetime
from typing import Annotated, Any

import pytest
from django.http import HttpRequest
from ninja import NinjaAPI, Query, Schema
from pydantic import AwareDatetime, StringConstraints

from hubkit.fields import (
    MAX_JSON_DEPTH,
    JsonObject,
    Text,
    UtcDatetime,
    check_storable_json,
    input_fields_outside_edge_types,
)


class Line(Schema):
    label: Text
    note: str


class Order(Schema):
    title: Annotated[Text, StringConstraints(max_length=10)]
    lines: list[Line]
    placed: UtcDatetime | None = None
    shipped: AwareDatetime | None = None
    tags: list[Annotated[Text, StringConstraints(max_length=5)]] = []
    extra: JsonObject = {}
    loose: dict[str, Any] = {}
    day: date | None = None


class Filters(Schema):
    q: Text | None = None
    since: datetime | None = None


def _api() -> NinjaAPI:
    api = NinjaAPI(urls_namespace=f"fields-{id(object())}")

    @api.post("/orders/{code}")
    def place(request: HttpRequest, code: str, order: Order, filters: Query[Filters]) -> None:
        return None

    return api


def test_every_field_outside_the_edge_types_is_named_with_its_operation() -> None:
    assert input_fields_outside_edge_types(_api()) == [
        "POST /orders/{code}: code (use Text)",
        "POST /orders/{code}: filters.since (use UtcDatetime)",
        "POST /orders/{code}: order.lines.note (use Text)",
        "POST /orders/{code}: order.loose (a JSON object: use JsonObject)",
        "POST /orders/{code}: order.shipped (use UtcDatetime)",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"a": ["ok", "b\x00"]}, "value.a.1 must not contain NUL characters"),
        ({"\ud800": 1}, "value (a key) must not contain unpaired surrogates"),
    ],
)
def test_json_postgresql_cannot_store_is_refused_at_its_path(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        check_storable_json(value)


def test_json_nesting_is_bounded() -> None:
    value: Any = "leaf"
    for _ in range(MAX_JSON_DEPTH + 1):
        value = [value]
    with pytest.raises(ValueError, match="nests deeper"):
        check_storable_json(value)
    check_storable_json(value[0])
