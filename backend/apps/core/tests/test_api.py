import functools
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import connections
from django.test import Client

from apps.core.models import Contact
from apps.events.models import Event
from hubkit.encryption.keys import blind_index
from hubkit.testing import IdentityService, all_at_once
from tests.factories import (
    ROLE_EMAILS,
    acme,
    client_as,
    globex,
    make_contact,
    make_override,
    make_resource,
    make_service,
    make_time_off,
    row_counts,
    send,
)

PROBLEM = "application/problem+json"
ROLES = ["viewer", "staff", "manager", "admin", "owner"]


@pytest.mark.django_db
def test_contact_lifecycle(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    created = send(
        staff, "POST", "/contacts", {"first_name": "Ada", "email": "ADA@Example.com", "tags": ["vip"]}
    )
    assert created.status_code == 201, created.content
    contact = created.json()
    assert contact["email"] == "ADA@example.com"
    assert contact["phone"] is None
    path = f"/contacts/{contact['id']}"
    assert send(staff, "GET", path).json()["first_name"] == "Ada"
    patched = send(staff, "PATCH", path, {"phone": "030 1234567", "email": None})
    assert patched.status_code == 200
    assert (patched.json()["phone"], patched.json()["email"]) == ("+49301234567", None)
    listed = send(as_role("viewer"), "GET", "/contacts?q=ada&tags=VIP").json()
    assert [c["id"] for c in listed["items"]] == [contact["id"]]
    assert listed["next_cursor"] is None
    assert send(staff, "DELETE", path).status_code == 204
    assert send(staff, "GET", "/contacts").json()["items"] == []
    assert len(send(staff, "GET", "/contacts?include_archived=true").json()["items"]) == 1
    assert send(staff, "GET", path).json()["archived_at"] is not None
    assert send(staff, "GET", f"/contacts/{uuid.uuid4()}").status_code == 404


@pytest.mark.django_db
def test_list_pages_with_limit_and_cursor(as_role: Callable[[str], Client]) -> None:
    for _ in range(5):
        make_contact()
    viewer = as_role("viewer")
    first = send(viewer, "GET", "/contacts?limit=2").json()
    second = send(viewer, "GET", f"/contacts?limit=2&cursor={first['next_cursor']}").json()
    third = send(viewer, "GET", f"/contacts?limit=2&cursor={second['next_cursor']}").json()
    ids = [c["id"] for page in (first, second, third) for c in page["items"]]
    assert len(ids) == len(set(ids)) == 5
    assert third["next_cursor"] is None
    assert send(viewer, "GET", "/contacts?limit=201").status_code == 422
    assert send(viewer, "GET", "/contacts?cursor=nonsense").json()["errors"][0]["field"] == "cursor"


SERVICE = {"name": "Cut", "duration_minutes": 30, "price": {"amount": "20.00", "currency": "EUR"}}
EUR = {"amount": "1.00", "currency": "EUR"}
ROOM = {"name": "R", "kind": "room", "timezone": "UTC"}


def _hours(*intervals: tuple[int, str, str]) -> dict[str, Any]:
    return {**ROOM, "working_hours": [{"weekday": d, "start": s, "end": e} for d, s, e in intervals]}


def _time_off_target() -> tuple[str, Any]:
    time_off = make_time_off()
    return f"/resources/{time_off.resource_id}/time-off/{time_off.id}", None


def _override_target() -> tuple[str, Any]:
    override = make_override()
    return f"/resources/{override.resource_id}/overrides/{override.date}", None


def _write_calls() -> list[tuple[str, str, Callable[[], tuple[str, Any]], str]]:
    """(name, method, fresh target -> (path, body), least role allowed).

    Viewers read, staff manage contacts, managers also resources and services.
    """
    future = "2031-01-01T09:00:00+00:00"
    return [
        ("create_contact", "POST", lambda: ("/contacts", {"first_name": "New"}), "staff"),
        ("update_contact", "PATCH", lambda: (f"/contacts/{make_contact().id}", {"notes": "x"}), "staff"),
        ("archive_contact", "DELETE", lambda: (f"/contacts/{make_contact().id}", None), "staff"),
        ("erase_contact", "POST", lambda: (f"/contacts/{make_contact().id}/erase", None), "manager"),
        (
            "create_resource",
            "POST",
            lambda: ("/resources", {"name": "Room", "kind": "room", "timezone": "Europe/Berlin"}),
            "manager",
        ),
        ("update_resource", "PATCH", lambda: (f"/resources/{make_resource().id}", {"name": "R2"}), "manager"),
        ("deactivate_resource", "DELETE", lambda: (f"/resources/{make_resource().id}", None), "manager"),
        (
            "create_time_off",
            "POST",
            lambda: (
                f"/resources/{make_resource().id}/time-off",
                {"start": future, "end": "2031-01-01T12:00:00+00:00"},
            ),
            "manager",
        ),
        ("delete_time_off", "DELETE", _time_off_target, "manager"),
        (
            "put_working_hours_override",
            "PUT",
            lambda: (f"/resources/{make_resource().id}/overrides/2031-01-04", {"intervals": []}),
            "manager",
        ),
        ("delete_working_hours_override", "DELETE", _override_target, "manager"),
        ("create_service", "POST", lambda: ("/services", SERVICE), "manager"),
        ("update_service", "PATCH", lambda: (f"/services/{make_service().id}", {"name": "Cut 2"}), "manager"),
        ("deactivate_service", "DELETE", lambda: (f"/services/{make_service().id}", None), "manager"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "method", "target", "least"), _write_calls(), ids=[c[0] for c in _write_calls()]
)
def test_role_matrix_for_writes(
    as_role: Callable[[str], Client],
    name: str,
    method: str,
    target: Callable[[], tuple[str, Any]],
    least: str,
) -> None:
    for role in ROLES:
        path, body = target()
        before = row_counts()
        status = send(as_role(role), method, path, body).status_code
        allowed = ROLES.index(role) >= ROLES.index(least)
        assert (200 <= status < 300) if allowed else status == 403, (name, role, status)
        if not allowed:
            assert row_counts() == before, (name, role)


@pytest.mark.django_db
def test_reads_need_a_role_or_the_scope(
    identity_service: IdentityService, as_role: Callable[[str], Client]
) -> None:
    contact = make_contact()
    assert send(as_role("viewer"), "GET", f"/contacts/{contact.id}").status_code == 200
    assert send(as_role("staff"), "GET", "/audit").status_code == 403
    assert send(as_role("admin"), "GET", "/audit").status_code == 200


BAD_INPUT = [
    ("POST", "/contacts", {"first_name": "A", "email": "nope"}, "email"),
    ("POST", "/contacts", {"first_name": "A", "phone": "0000"}, "phone"),
    ("POST", "/contacts", {"first_name": "A", "nickname": "x"}, "nickname"),
    ("POST", "/contacts", {"first_name": "A" * 100_000}, "first_name"),
    ("POST", "/contacts", {"first_name": "A", "notes": "n" * 5001}, "notes"),
    ("POST", "/contacts", {"first_name": "A", "tags": "vip"}, "tags"),
    ("POST", "/contacts", {"first_name": 7}, "first_name"),
    ("POST", "/contacts", {"last_name": "only"}, "first_name"),
    ("POST", "/resources", {"name": "R", "kind": "room", "timezone": "Mars/Base"}, "timezone"),
    ("POST", "/resources", {"name": "R", "kind": "castle", "timezone": "UTC"}, "kind"),
    ("POST", "/resources", _hours((1, "09:00", "12:00"), (1, "10:00", "13:00")), "working_hours.1"),
    ("POST", "/resources", _hours((1, "12:00", "09:00")), "working_hours.0"),
    ("POST", "/resources", _hours((7, "09:00", "12:00")), "working_hours.0.weekday"),
    ("POST", "/resources", _hours((1, "9am", "12:00")), "working_hours.0.start"),
    ("POST", "/services", {**SERVICE, "duration_minutes": 0}, "duration_minutes"),
    ("POST", "/services", {**SERVICE, "price": {"amount": 12.5, "currency": "EUR"}}, "price.amount"),
    ("POST", "/services", {**SERVICE, "price": {"amount": "1.001", "currency": "EUR"}}, "price.amount"),
    ("POST", "/services", {**SERVICE, "price": {"amount": "1.00", "currency": "eur"}}, "price.currency"),
    ("POST", "/services", {**SERVICE, "buffer_before_minutes": -5, "price": EUR}, "buffer_before_minutes"),
    ("POST", "/services", {**SERVICE, "name": "x" * 201}, "name"),
    ("POST", "/services", {**SERVICE, "capacity": 0}, "capacity"),
    ("POST", "/services", {**SERVICE, "capacity": 1001}, "capacity"),
    ("POST", "/services", {**SERVICE, "capacity": "six"}, "capacity"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("method", "path", "body", "field"), BAD_INPUT)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    as_role: Callable[[str], Client], method: str, path: str, body: Any, field: str
) -> None:
    before = row_counts()
    response = send(as_role("owner"), method, path, body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM
    assert field in [e["field"] for e in response.json()["errors"]]
    assert row_counts() == before


@pytest.mark.django_db
def test_bad_input_on_updates(as_role: Callable[[str], Client]) -> None:
    contact, resource = make_contact(), make_resource()
    owner = as_role("owner")
    before = row_counts()
    cases = [
        (f"/contacts/{contact.id}", {"first_name": None}, "first_name"),
        (f"/contacts/{contact.id}", {"id": str(uuid.uuid4())}, "id"),
        (f"/contacts/{contact.id}", {"email": "x@"}, "email"),
        (f"/resources/{resource.id}", {"timezone": "Europe/Nowhere"}, "timezone"),
        (
            f"/resources/{resource.id}/time-off",
            {"start": "2031-01-01T09:00", "end": "2031-01-01T10:00Z"},
            "start",
        ),
        (
            f"/resources/{resource.id}/time-off",
            {"start": "2031-01-01T10:00:00+00:00", "end": "2031-01-01T09:00:00+00:00"},
            "end",
        ),
    ]
    for path, body, field in cases:
        method = "POST" if path.endswith("time-off") else "PATCH"
        response = send(owner, method, path, body)
        assert response.status_code == 422, (path, body, response.content)
        assert field in [e["field"] for e in response.json()["errors"]], response.json()
    assert send(owner, "POST", "/contacts", "not json", HTTP_X_REQUEST_ID="bad-json-1").status_code in {
        400,
        422,
    }
    assert row_counts() == before


@pytest.mark.django_db
def test_a_service_takes_one_attendee_unless_given_a_capacity(as_role: Callable[[str], Client]) -> None:
    manager = as_role("manager")
    single = send(manager, "POST", "/services", SERVICE)
    assert single.status_code == 201, single.content
    assert single.json()["capacity"] == 1
    group = send(manager, "POST", "/services", {**SERVICE, "name": "Group class", "capacity": 6})
    assert group.status_code == 201, group.content
    assert group.json()["capacity"] == 6
    path = f"/services/{group.json()['id']}"
    assert send(manager, "PATCH", path, {"capacity": 8}).json()["capacity"] == 8
    before = row_counts()
    for capacity in (0, 1001, None):
        response = send(manager, "PATCH", path, {"capacity": capacity})
        assert response.status_code == 422, (capacity, response.content)
        assert [e["field"] for e in response.json()["errors"]] == ["capacity"]
    assert row_counts() == before
    assert send(as_role("viewer"), "GET", path).json()["capacity"] == 8


@pytest.mark.django_db
def test_writes_are_audited_with_actor_request_id_and_diff(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    created = send(
        staff, "POST", "/contacts", {"first_name": "Ada"}, HTTP_X_REQUEST_ID="req-create-0001"
    ).json()
    send(
        staff, "PATCH", f"/contacts/{created['id']}", {"last_name": "L"}, HTTP_X_REQUEST_ID="req-update-0001"
    )
    send(staff, "DELETE", f"/contacts/{created['id']}", HTTP_X_REQUEST_ID="req-archive-001")
    entries = send(as_role("admin"), "GET", f"/audit?object_type=contact&object_id={created['id']}").json()[
        "items"
    ]
    assert [(e["action"], e["request_id"]) for e in entries] == [
        ("update", "req-archive-001"),
        ("update", "req-update-0001"),
        ("create", "req-create-0001"),
    ]
    assert {e["actor"]["email"] for e in entries} == {"staff@acme.test"}
    assert entries[1]["changes"] == {"last_name": ["", "L"]}
    assert entries[0]["changes"]["archived_at"][0] is None
    assert all(e["remote_addr"] == "127.0.0.1" for e in entries)
    events = Event.objects.for_organization(acme()).filter(subject_id=created["id"]).order_by("occurred_at")
    assert [(e.type, e.correlation_id) for e in events] == [
        ("contact.created", "req-create-0001"),
        ("contact.updated", "req-update-0001"),
        ("contact.updated", "req-archive-001"),
    ]


@pytest.mark.django_db
def test_erase_through_the_api_leaves_nothing_personal(as_role: Callable[[str], Client]) -> None:
    body = {
        "first_name": "Quintessa",
        "last_name": "Verity",
        "email": "quintessa@example.com",
        "phone": "+49 30 9876543",
        "notes": "Quintessa's note",
        "tags": ["quintag"],
    }
    contact_id = send(as_role("staff"), "POST", "/contacts", body).json()["id"]
    assert send(as_role("staff"), "POST", f"/contacts/{contact_id}/erase").status_code == 403
    erased = send(as_role("manager"), "POST", f"/contacts/{contact_id}/erase")
    assert erased.status_code == 200
    assert erased.json()["erased_at"] is not None
    dump = json.dumps(
        [
            list(Contact.all_tenants.filter(pk=contact_id).values()),
            list(LogEntry.objects.filter(object_pk=contact_id).values()),
            list(Event.all_tenants.filter(subject_id=contact_id).values("data")),
            send(as_role("admin"), "GET", f"/contacts/{contact_id}/export").json(),
            send(as_role("admin"), "GET", f"/audit?object_id={contact_id}").json(),
        ],
        default=str,
    ).lower()
    for value in ("quintessa", "verity", "9876543", "quintag"):
        assert value not in dump


@pytest.mark.django_db
def test_export_holds_the_contact_and_its_audit_trail(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    contact_id = send(staff, "POST", "/contacts", {"first_name": "Ada", "email": "ada@example.com"}).json()[
        "id"
    ]
    export = send(staff, "GET", f"/contacts/{contact_id}/export").json()
    assert export["sections"]["contact"]["email"] == "ada@example.com"
    assert [e["action"] for e in export["sections"]["audit"]] == ["create"]


@pytest.mark.django_db
def test_a_failed_write_leaves_no_event(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    assert (
        send(staff, "POST", "/contacts", {"first_name": "A", "email": "dup@example.com"}).status_code == 201
    )
    before = row_counts()
    response = send(staff, "POST", "/contacts", {"first_name": "B", "email": "DUP@example.com"})
    assert response.status_code == 409
    assert response.json()["code"] == "contact_email_taken"
    assert row_counts() == before


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_with_one_email_give_one_201_and_one_409(
    identity_service: IdentityService,
) -> None:
    token = identity_service.token(ROLE_EMAILS["staff"])
    assert send(client_as(identity_service, ROLE_EMAILS["staff"]), "GET", "/contacts").status_code == 200

    def create(first_name: str, email: str) -> int:
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", raise_request_exception=False)
        return int(send(client, "POST", "/contacts", {"first_name": first_name, "email": email}).status_code)

    for round_ in range(1, 6):  # an address of its own each round
        email = f"race-{round_}@example.com"
        calls = [functools.partial(create, name, email) for name in ("One", "Two")]
        assert sorted(all_at_once(calls, finally_each=connections.close_all)) == [201, 409]
        assert Contact.all_tenants.filter(email_index=blind_index(email)).count() == 1
        assert Event.all_tenants.filter(type="contact.created").count() == round_


SATURDAY = "2031-01-04"
OPENING = {
    "intervals": [{"start": "14:00", "end": "24:00"}, {"start": "10:00", "end": "12:00"}],
    "reason": "  Saturday opening ",
}


@pytest.mark.django_db
def test_working_hours_override_lifecycle(as_role: Callable[[str], Client]) -> None:
    manager, viewer = as_role("manager"), as_role("viewer")
    resource = make_resource()
    path = f"/resources/{resource.id}/overrides/{SATURDAY}"
    assert send(viewer, "GET", path).json()["code"] == "not_found"
    created = send(manager, "PUT", path, OPENING)
    assert created.status_code == 200, created.content
    override = created.json()
    assert (override["resource_id"], override["date"], override["reason"]) == (
        str(resource.id),
        SATURDAY,
        "Saturday opening",
    )
    assert override["intervals"] == [{"start": "10:00", "end": "12:00"}, {"start": "14:00", "end": "24:00"}]
    assert send(viewer, "GET", path).json() == override

    closed = send(manager, "PUT", path, {"intervals": []})
    assert closed.status_code == 200, closed.content
    assert closed.json()["id"] == override["id"]
    assert (closed.json()["intervals"], closed.json()["reason"]) == ([], "")
    assert closed.json()["updated_at"] > override["updated_at"]
    assert closed.json()["created_at"] == override["created_at"]

    assert send(manager, "DELETE", path).status_code == 204
    for method in ("GET", "DELETE"):
        response = send(manager, method, path)
        assert response.status_code == 404, (method, response.content)
        assert response["Content-Type"] == PROBLEM
    entries = LogEntry.objects.filter(object_pk=override["id"]).order_by("timestamp", "id")
    assert [e.action for e in entries] == [
        LogEntry.Action.CREATE,
        LogEntry.Action.UPDATE,
        LogEntry.Action.DELETE,
    ]


@pytest.mark.django_db
def test_an_override_put_again_unchanged_writes_nothing(as_role: Callable[[str], Client]) -> None:
    manager = as_role("manager")
    path = f"/resources/{make_resource().id}/overrides/{SATURDAY}"
    first = send(manager, "PUT", path, OPENING).json()
    before = row_counts()
    # The same hours in another order and the reason with other spaces are what is stored.
    again = send(manager, "PUT", path, {**OPENING, "intervals": OPENING["intervals"][::-1]})
    assert again.status_code == 200
    assert again.json() == first
    assert row_counts() == before


@pytest.mark.django_db
def test_overrides_list_by_date_within_the_inclusive_range(as_role: Callable[[str], Client]) -> None:
    resource, other = make_resource(), make_resource()
    for day in ("2031-01-10", "2031-01-04", "2031-01-20", "2031-01-05"):
        make_override(resource=resource, date=day)
    make_override(resource=other, date="2031-01-04")
    viewer = as_role("viewer")
    base = f"/resources/{resource.id}/overrides"

    def dates(query: str) -> list[str]:
        response = send(viewer, "GET", base + query)
        assert response.status_code == 200, response.content
        return [item["date"] for item in response.json()["items"]]

    assert dates("") == ["2031-01-04", "2031-01-05", "2031-01-10", "2031-01-20"]
    assert dates("?from=2031-01-05&to=2031-01-10") == ["2031-01-05", "2031-01-10"]
    assert dates("?from=2031-01-06") == ["2031-01-10", "2031-01-20"]
    assert dates("?to=2031-01-04") == ["2031-01-04"]
    first = send(viewer, "GET", base + "?limit=3").json()
    second = send(viewer, "GET", f"{base}?limit=3&cursor={first['next_cursor']}").json()
    assert [i["date"] for i in first["items"] + second["items"]] == dates("")
    assert second["next_cursor"] is None
    for query in ("?from=2031-13-01", "?to=1999-12-31", "?from=yesterday"):
        response = send(viewer, "GET", base + query)
        assert response.status_code == 422, (query, response.content)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("intervals", "field"),
    [
        ([{"start": "12:00", "end": "09:00"}], "intervals.0"),
        ([{"start": "09:00", "end": "09:00"}], "intervals.0"),
        ([{"start": "13:00", "end": "17:00"}, {"start": "09:00", "end": "13:30"}], "intervals.0"),
        ([{"start": "09:00", "end": "12:00"}, {"start": "11:00", "end": "14:00"}], "intervals.1"),
        ([{"start": "24:00", "end": "24:00"}], "intervals.0"),
        ([{"start": "9:00", "end": "12:00"}], "intervals.0.start"),
        ([{"start": "09:00", "end": "24:30"}], "intervals.0.end"),
        ([{"start": "09:00"}], "intervals.0.end"),
        ([{"start": "09:00", "end": "10:00", "weekday": 1}], "intervals.0.weekday"),
        ([{"start": f"{h:02}:00", "end": f"{h:02}:30"} for h in range(21)], "intervals"),
        ("closed", "intervals"),
    ],
)
def test_invalid_override_intervals_are_422_naming_the_interval(
    as_role: Callable[[str], Client], intervals: Any, field: str
) -> None:
    path = f"/resources/{make_resource().id}/overrides/{SATURDAY}"
    before = row_counts()
    response = send(as_role("manager"), "PUT", path, {"intervals": intervals})
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "validation_error"
    assert field in [e["field"] for e in response.json()["errors"]], response.json()["errors"]
    assert row_counts() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "day",
    [
        "2031-02-30",
        "2031-13-01",
        "1999-12-31",
        "2101-01-01",
        "0000-01-01",
        "99999-01-01",
        "1924905600",
        "04-01-2031",
    ],
)
def test_absurd_override_dates_are_422(as_role: Callable[[str], Client], day: str) -> None:
    manager = as_role("manager")
    path = f"/resources/{make_resource().id}/overrides/{day}"
    for method, body in (("GET", None), ("PUT", {"intervals": []}), ("DELETE", None)):
        response = send(manager, method, path, body)
        assert response.status_code == 422, (method, day, response.content)
        assert response.json()["code"] == "validation_error"
    assert send(manager, "GET", f"/resources/{make_resource().id}/overrides/2100-12-31").status_code == 404


@pytest.mark.django_db
def test_overrides_of_an_unknown_or_another_tenants_resource_are_404(
    as_role: Callable[[str], Client],
) -> None:
    manager = as_role("manager")
    theirs = make_override(resource=make_resource(organization=globex()), reason="globex secret")
    before = row_counts()
    for resource_id in (uuid.uuid4(), theirs.resource_id):
        base = f"/resources/{resource_id}/overrides"
        for method, path, body in (
            ("GET", base, None),
            ("GET", f"{base}/{SATURDAY}", None),
            ("PUT", f"{base}/{SATURDAY}", {"intervals": []}),
            ("DELETE", f"{base}/{SATURDAY}", None),
        ):
            response = send(manager, method, path, body)
            assert response.status_code == 404, (method, path, response.content)
            assert "globex secret" not in response.content.decode()
    assert row_counts() == before


@pytest.mark.django_db
def test_behind_a_trusted_proxy_a_write_is_audited_with_the_forwarded_client(
    as_role: Callable[[str], Client], settings: Any
) -> None:
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.TRUSTED_PROXY_COUNT = 1
    # The left entry is the caller's own say; the proxy (the peer) appended the real client.
    created = send(
        as_role("staff"),
        "POST",
        "/contacts",
        {"first_name": "Grace"},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7",
    ).json()
    [entry] = send(as_role("admin"), "GET", f"/audit?object_type=contact&object_id={created['id']}").json()[
        "items"
    ]
    assert entry["remote_addr"] == "198.51.100.7"
