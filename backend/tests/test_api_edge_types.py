"""Input PostgreSQL cannot store is a 422 naming the field on every API, never a 500.

NUL characters and unpaired surrogates arrive as JSON escapes (`\\u0000`, `\\ud800`), which Python's
parser turns into text PostgreSQL refuses; a UTC offset beyond ±15:59 or a year-1 time east of
UTC has no value PostgreSQL can store. The request schemas use hubkit's edge types, so each is
refused at the edge, and nothing is written.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from apps.notifications.models import Notification
from apps.notifications.schemas import MAX_DATA_BYTES
from conftest import LiveBackend
from tests.factories import (
    make_contact,
    make_resource,
    make_service,
    row_counts,
    send,
)

PROBLEM = "application/problem+json"
NUL = "a\u0000b"
SURROGATE = "a\ud800b"
NO_UTC_VALUE = "0001-01-01T00:00:00+05:00"
FAR_OFFSET = "2031-01-01T10:00:00+20:00"


def assert_refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in [e["field"] for e in body["errors"]], body["errors"]


CONTACT = {"first_name": "Ada", "email": "ada@example.com"}
RESOURCE = {"name": "Room 1", "kind": "room", "timezone": "Europe/Berlin"}
SERVICE = {"name": "Cut", "duration_minutes": 30, "price": {"amount": "10.00", "currency": "EUR"}}
NOTIFICATION = {"role": "manager", "category": "system", "title": "Hello"}


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
@pytest.mark.parametrize(
    ("role", "path", "body", "field"),
    [
        ("staff", "/contacts", CONTACT, "first_name"),
        ("staff", "/contacts", CONTACT, "notes"),
        ("staff", "/contacts", CONTACT, "email"),
        ("manager", "/resources", RESOURCE, "name"),
        ("manager", "/resources", RESOURCE, "timezone"),
        ("manager", "/services", SERVICE, "name"),
        ("admin", "/notifications", NOTIFICATION, "title"),
        ("admin", "/notifications", NOTIFICATION, "body"),
        ("admin", "/notifications", NOTIFICATION, "dedupe_key"),
        ("admin", "/notifications", NOTIFICATION, "action_url"),
    ],
)
def test_creates_refuse_text_postgres_cannot_store(
    as_role: Callable[[str], Client], *, role: str, path: str, body: dict[str, Any], field: str, bad: str
) -> None:
    before = row_counts()
    assert_refused(send(as_role(role), "POST", path, {**body, field: "/" + bad}), field)
    assert row_counts() == before
    assert Notification.all_tenants.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_nested_text_is_refused_too(as_role: Callable[[str], Client], bad: str) -> None:
    manager, admin = as_role("manager"), as_role("admin")
    week = [{"weekday": 0, "start": bad, "end": "17:00"}]
    resource = send(manager, "POST", "/resources", {**RESOURCE, "working_hours": week})
    assert_refused(resource, "working_hours.0.start")
    price = {"amount": "10.00", "currency": bad}
    assert_refused(send(manager, "POST", "/services", {**SERVICE, "price": price}), "price.currency")
    assert_refused(send(admin, "POST", "/notifications", {**NOTIFICATION, "data": {"k": [bad]}}), "data")
    assert_refused(send(admin, "POST", "/notifications", {**NOTIFICATION, "data": {bad: 1}}), "data")
    assert Notification.all_tenants.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_patches_refuse_text_postgres_cannot_store(as_role: Callable[[str], Client], bad: str) -> None:
    contact, resource, service = make_contact(), make_resource(), make_service()
    staff, manager = as_role("staff"), as_role("manager")
    for field in ("first_name", "last_name", "email", "phone", "notes"):
        assert_refused(send(staff, "PATCH", f"/contacts/{contact.id}", {field: bad}), field)
    assert_refused(send(staff, "PATCH", f"/contacts/{contact.id}", {"tags": ["ok", bad]}), "tags.1")
    assert_refused(send(manager, "PATCH", f"/resources/{resource.id}", {"name": bad}), "name")
    assert_refused(send(manager, "PATCH", f"/services/{service.id}", {"name": bad}), "name")
    contact.refresh_from_db()
    assert "\x00" not in contact.first_name + contact.notes


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [NUL, SURROGATE], ids=["nul", "surrogate"])
def test_working_hours_overrides_refuse_text_postgres_cannot_store(
    as_role: Callable[[str], Client], bad: str
) -> None:
    manager = as_role("manager")
    base = f"/resources/{make_resource().id}/overrides"
    before = row_counts()
    path = f"{base}/2031-01-04"
    assert_refused(send(manager, "PUT", path, {"intervals": [], "reason": bad}), "reason")
    opening = {"intervals": [{"start": bad, "end": "12:00"}]}
    assert_refused(send(manager, "PUT", path, opening), "intervals.0.start")
    escaped = quote(bad.encode("utf-8", "surrogatepass"))  # a surrogate's bytes are not UTF-8
    assert send(manager, "PUT", f"{base}/{escaped}", {"intervals": []}).status_code == 422
    assert send(manager, "GET", f"{base}?from={escaped}").status_code == 422
    assert row_counts() == before


@pytest.mark.django_db
def test_time_off_refuses_times_without_a_utc_value_and_normalises_far_offsets(
    as_role: Callable[[str], Client],
) -> None:
    manager = as_role("manager")
    path = f"/resources/{make_resource().id}/time-off"
    late = "2031-01-02T10:00:00Z"
    assert_refused(send(manager, "POST", path, {"start": NO_UTC_VALUE, "end": late}), "start")
    assert_refused(send(manager, "POST", path, {"start": late, "end": NO_UTC_VALUE}), "end")
    assert_refused(send(manager, "POST", path, {"start": "2031-01-01T10:00:00", "end": late}), "start")
    assert_refused(send(manager, "POST", path, {"start": late, "end": late, "reason": NUL}), "reason")
    # +20:00 is a valid ISO offset PostgreSQL would refuse: stored (and answered) as UTC.
    created = send(manager, "POST", path, {"start": FAR_OFFSET, "end": late})
    assert created.status_code == 201, created.content
    assert created.json()["start"].replace("Z", "+00:00") == "2030-12-31T14:00:00+00:00"
    for name in ("start_after", "start_before"):
        assert_refused(send(manager, "GET", f"{path}?{name}={quote(NO_UTC_VALUE)}"), name)
    listed = send(manager, "GET", f"{path}?start_after={quote(FAR_OFFSET)}")
    assert listed.status_code == 200
    assert [t["id"] for t in listed.json()["items"]] == [created.json()["id"]]


@pytest.mark.django_db
def test_audit_filters_refuse_times_without_a_utc_value(as_role: Callable[[str], Client]) -> None:
    admin = as_role("admin")
    for name in ("from", "to"):
        response = send(admin, "GET", f"/audit?{name}={quote(NO_UTC_VALUE)}")
        assert response.status_code == 422, response.content
        assert response.json()["errors"]
    assert send(admin, "GET", f"/audit?to={quote(FAR_OFFSET)}").status_code == 200
    assert_refused(send(admin, "GET", f"/audit?object_id={quote(NUL)}"), "object_id")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "path", "field"),
    [
        ("viewer", "/contacts?q=", "q"),
        ("viewer", "/contacts?tags=", "tags"),
        ("admin", "/events?type=", "type"),
        ("admin", "/events?subject_id=", "subject_id"),
    ],
)
def test_query_filters_refuse_nul(as_role: Callable[[str], Client], role: str, path: str, field: str) -> None:
    assert_refused(send(as_role(role), "GET", path + quote(NUL)), field)


@pytest.mark.django_db
def test_notification_data_is_capped(as_role: Callable[[str], Client]) -> None:
    admin = as_role("admin")
    too_big = {"blob": "x" * MAX_DATA_BYTES}
    response = send(admin, "POST", "/notifications", {**NOTIFICATION, "data": too_big})
    assert_refused(response, "data")
    assert str(MAX_DATA_BYTES) in response.json()["errors"][0]["message"]
    assert Notification.all_tenants.count() == 0
    # 300 KB, the size that used to be accepted and then refused by both receivers.
    huge = {**NOTIFICATION, "data": {"b": "y" * 300_000}}
    assert_refused(send(admin, "POST", "/notifications", huge), "data")
    fits = {"blob": "x" * (MAX_DATA_BYTES - 20)}
    assert send(admin, "POST", "/notifications", {**NOTIFICATION, "data": fits}).status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "//evil.example/x",
        "/\\evil.example/x",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http://ok.example/x",
        "https:/evil.example",
        "https:///x",
        "/bookings/1\n",
        "/bookings/\t1",
        "/bookings/ 1",
        " /bookings/1",
        "",
        "bookings/1",
        "data:text/html,hi",
    ],
)
def test_action_url_refuses_anything_but_an_app_path_or_https(
    as_role: Callable[[str], Client], url: str
) -> None:
    response = send(as_role("admin"), "POST", "/notifications", {**NOTIFICATION, "action_url": url})
    assert_refused(response, "action_url")
    assert Notification.all_tenants.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/bookings/1", "/", "/bookings/1?tab=notes#top", "https://ok.example/x"])
def test_action_url_accepts_app_paths_and_https(as_role: Callable[[str], Client], url: str) -> None:
    response = send(as_role("admin"), "POST", "/notifications", {**NOTIFICATION, "action_url": url})
    assert response.status_code == 201, response.content
    assert {item["action_url"] for item in response.json()["items"]} == {url}


@pytest.mark.xdist_group("live")
@pytest.mark.parametrize(
    "headers",
    [{"Content-Type": "text/plain"}, {}, {"Content-Type": "application/x-www-form-urlencoded"}],
    ids=["text-plain", "no-content-type", "form"],
)
def test_a_body_not_sent_as_json_is_415_over_http(live_backend: LiveBackend, headers: dict[str, str]) -> None:
    staff = live_backend.api("staff@acme.test")
    name = f"Plain{uuid.uuid4().hex[:8]}"
    body = json.dumps({"first_name": name}).encode()
    request = staff.build_request("POST", "/contacts", content=body)
    request.headers.pop("Content-Type", None)
    request.headers.update(headers)
    response = staff.send(request)
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == "unsupported_media_type"
    listed = staff.get("/contacts", params={"q": name})
    assert listed.json()["items"] == []
    # The same body sent as JSON is accepted.
    as_json = staff.post("/contacts", content=body, headers={"Content-Type": "application/json"})
    assert as_json.status_code == 201, as_json.text
