import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.http import HttpRequest
from django.test import Client
from django.urls import path
from ninja import NinjaAPI, Schema

from hubkit.ninja import install_problem_handlers
from hubkit.pagination import (
    InvalidCursor,
    KeysetPagination,
    decode_cursor,
    encode_cursor,
    keyset_page,
    paginate,
)

pytestmark = pytest.mark.django_db


def raw_cursor(values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_pages_cover_every_row_once_in_key_order() -> None:
    names = [f"group-{i:02d}" for i in range(7)]
    for name in reversed(names):
        Group.objects.create(name=name)
    seen, cursor = [], None
    while True:
        page = keyset_page(Group.objects.all(), keys=("name", "id"), cursor=cursor, limit=3)
        seen += [g.name for g in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == names


def test_descending_pages_and_rows_added_meanwhile_do_not_shift_a_page() -> None:
    groups = [Group.objects.create(name=f"g{i}") for i in range(4)]
    first = keyset_page(Group.objects.all(), keys=("id",), descending=True, limit=2)
    assert [g.id for g in first.items] == [groups[3].id, groups[2].id]
    Group.objects.create(name="newer")  # sorts before the first page: must not appear later
    second = keyset_page(
        Group.objects.all(), keys=("id",), descending=True, limit=2, cursor=first.next_cursor
    )
    assert [g.id for g in second.items] == [groups[1].id, groups[0].id]
    assert second.next_cursor is None


def test_values_querysets_paginate_too() -> None:
    for i in range(3):
        Group.objects.create(name=f"v{i}")
    first = keyset_page(Group.objects.values("id", "name"), keys=("name", "id"), limit=2)
    assert [row["name"] for row in first.items] == ["v0", "v1"]
    second = keyset_page(Group.objects.values("id", "name"), keys=("name", "id"), cursor=first.next_cursor)
    assert [row["name"] for row in second.items] == ["v2"]


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        raw_cursor([123, 456]),  # right length, wrong JSON types
        raw_cursor([None, None]),
        raw_cursor(["2024-01-01T00:00:00+00:00"]),  # wrong length
        raw_cursor({"at": "x"}),
        raw_cursor(["not a date", "1"]),
        raw_cursor(["2024-01-01T00:00:00+20:00", "1"]),  # an offset PostgreSQL refuses
        raw_cursor(["0001-01-01T00:00:00+05:00", "1"]),  # before year 1 in UTC
        raw_cursor(["2024-01-01T00:00:00", "1"]),  # naive
        raw_cursor(["2024-01-01T00:00:00+00:00", "x\u0000"]),
        "A" * 600,
    ],
)
def test_a_cursor_this_module_did_not_write_is_invalid(cursor: str) -> None:
    with pytest.raises(InvalidCursor) as caught:
        decode_cursor(User, ("date_joined", "id"), cursor)
    assert caught.value.errors == [{"field": "cursor", "message": "Invalid cursor."}]
    assert caught.value.status == 422


def test_datetimes_round_trip_in_utc() -> None:
    moment = datetime(2024, 5, 1, 12, 30, tzinfo=UTC) + timedelta(microseconds=5)
    cursor = encode_cursor([moment, 7])
    assert decode_cursor(User, ("date_joined", "id"), cursor) == [moment, 7]


class GroupOut(Schema):
    id: int
    name: str


api = NinjaAPI(urls_namespace="hubkit-pagination-tests")
install_problem_handlers(api)


@api.get("/groups", response=list[GroupOut], operation_id="list_groups")
@paginate(KeysetPagination, keys=("name", "id"))
def list_groups(request: HttpRequest) -> Any:
    return Group.objects.all()


class GroupNameOut(Schema):
    name: str


@api.get("/group-names", response=list[GroupNameOut], operation_id="list_group_names")
@paginate(KeysetPagination, keys=("id",), columns_of=GroupNameOut)
def list_group_names(request: HttpRequest) -> Any:
    return Group.objects.all()


urlpatterns = [path("api/", api.urls)]


@pytest.mark.urls(__name__)
def test_the_ninja_class_serves_items_and_next_cursor_and_documents_its_parameters() -> None:
    for i in range(3):
        Group.objects.create(name=f"n{i}")
    client = Client()
    first = client.get("/api/groups?limit=2").json()
    assert [g["name"] for g in first["items"]] == ["n0", "n1"]
    second = client.get("/api/groups", {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert second == {"items": [{"id": second["items"][0]["id"], "name": "n2"}], "next_cursor": None}

    bad = client.get("/api/groups", {"cursor": raw_cursor([1, 2])})
    assert bad.status_code == 422
    assert bad.json()["code"] == "invalid_cursor"
    assert client.get("/api/groups?limit=201").status_code == 422

    operation = api.get_openapi_schema()["paths"]["/api/groups"]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    assert set(parameters) == {"limit", "cursor"}
    assert parameters["limit"]["schema"]["maximum"] == 200
    assert all(p.get("description") for p in parameters.values())


@pytest.mark.urls(__name__)
def test_rows_can_be_read_as_the_item_schemas_columns(django_assert_num_queries: Any) -> None:
    for i in range(3):
        Group.objects.create(name=f"c{i}")
    client = Client()
    with django_assert_num_queries(1) as captured:
        first = client.get("/api/group-names?limit=2").json()
    # Only the schema's fields and the ordering key are selected.
    select = captured.captured_queries[0]["sql"].split(" FROM ")[0]
    assert select == 'SELECT "auth_group"."name" AS "name", "auth_group"."id" AS "id"'
    assert first["items"] == [{"name": "c0"}, {"name": "c1"}]
    second = client.get("/api/group-names", {"cursor": first["next_cursor"]}).json()
    assert second == {"items": [{"name": "c2"}], "next_cursor": None}
