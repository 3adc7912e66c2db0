"""The scheduling API through Django's test client: bookings, transitions, availability, settings."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from apps.events.models import Event
from apps.scheduling.models import Booking, BookingStatus
from apps.scheduling.tests.factories import make_booking, open_resource, tomorrow_at
from tests.factories import (
    acme,
    globex,
    make_contact,
    make_resource,
    make_service,
    make_time_off,
    row_counts,
    send,
)

PROBLEM = "application/problem+json"


def iso(value: datetime) -> str:
    return value.isoformat()


def slots_path(resource: Any, service: Any, start: datetime | str, end: datetime | str) -> str:
    query = {
        "resource_id": resource.id,
        "service_id": service.id,
        "from": iso(start) if isinstance(start, datetime) else start,
        "to": iso(end) if isinstance(end, datetime) else end,
    }
    return "/availability?" + urlencode(query)


def book(client: Client, **fields: Any) -> Any:
    body = {
        k: (iso(v) if isinstance(v, datetime) else str(v) if isinstance(v, uuid.UUID) else v)
        for k, v in fields.items()
    }
    return send(client, "POST", "/bookings", body)


def event_types(booking_id: str) -> list[str]:
    return list(
        Event.all_tenants.filter(subject_id=booking_id)
        .order_by("occurred_at", "id")
        .values_list("type", flat=True)
    )


@pytest.mark.django_db
def test_booking_lifecycle_publishes_an_event_per_change(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    resource, contact, service = open_resource(), make_contact(), make_service(duration_minutes=45)
    created = book(
        staff, resource_id=resource.id, contact_id=contact.id, service_id=service.id, start=tomorrow_at(10)
    )
    assert created.status_code == 201, created.content
    booking = created.json()
    assert (booking["cancel_reason"], booking["hold_expires_at"]) == (None, None)
    assert (booking["status"], booking["end"]) == ("pending", iso(tomorrow_at(10, 45)).replace("+00:00", "Z"))
    path = f"/bookings/{booking['id']}"
    moved = send(staff, "PATCH", path, {"start": iso(tomorrow_at(11))})
    assert moved.status_code == 200, moved.content
    assert moved.json()["end"].startswith(tomorrow_at(11, 45).strftime("%Y-%m-%dT%H:%M"))
    assert send(staff, "POST", path + "/confirm").status_code == 200
    cancelled = send(staff, "POST", path + "/cancel", {"reason": "Feeling better"})
    assert cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["cancel_reason"] == "Feeling better"
    assert event_types(booking["id"]) == [
        "booking.created",
        "booking.rescheduled",
        "booking.confirmed",
        "booking.cancelled",
    ]
    rescheduled = Event.all_tenants.get(subject_id=booking["id"], type="booking.rescheduled")
    assert rescheduled.data["previous_start"].startswith(tomorrow_at(10).strftime("%Y-%m-%dT%H:%M"))


@pytest.mark.django_db
def test_overlap_is_409_booking_conflict_naming_the_booking_and_back_to_back_is_allowed(
    as_role: Callable[[str], Client],
) -> None:
    staff = as_role("staff")
    resource, contact = open_resource(), make_contact()
    first = book(
        staff, resource_id=resource.id, contact_id=contact.id, start=tomorrow_at(10), end=tomorrow_at(11)
    ).json()
    before = row_counts()
    clash = book(
        staff,
        resource_id=resource.id,
        contact_id=contact.id,
        start=tomorrow_at(10, 30),
        end=tomorrow_at(11, 30),
    )
    assert clash.status_code == 409
    assert clash["Content-Type"] == PROBLEM
    assert clash.json()["code"] == "booking_conflict"
    assert [c["id"] for c in clash.json()["conflicts"]] == [first["id"]]
    assert row_counts() == before
    after = book(
        staff, resource_id=resource.id, contact_id=contact.id, start=tomorrow_at(11), end=tomorrow_at(12)
    )
    assert after.status_code == 201


@pytest.mark.django_db
def test_buffers_count_for_overlap(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    resource, contact = open_resource(), make_contact()
    service = make_service(duration_minutes=30, buffer_after_minutes=15)
    assert (
        book(
            staff,
            resource_id=resource.id,
            contact_id=contact.id,
            service_id=service.id,
            start=tomorrow_at(10),
        ).status_code
        == 201
    )
    clash = book(
        staff, resource_id=resource.id, contact_id=contact.id, start=tomorrow_at(10, 40), end=tomorrow_at(11)
    )
    assert clash.json()["code"] == "booking_conflict"
    assert (
        book(
            staff,
            resource_id=resource.id,
            contact_id=contact.id,
            start=tomorrow_at(10, 45),
            end=tomorrow_at(11),
        ).status_code
        == 201
    )


@pytest.mark.django_db
def test_cancelled_bookings_free_their_slot(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    resource, contact = open_resource(), make_contact()
    first = book(
        staff, resource_id=resource.id, contact_id=contact.id, start=tomorrow_at(10), end=tomorrow_at(11)
    ).json()
    send(staff, "POST", f"/bookings/{first['id']}/cancel", {"reason": "x"})
    assert (
        book(
            staff, resource_id=resource.id, contact_id=contact.id, start=tomorrow_at(10), end=tomorrow_at(11)
        ).status_code
        == 201
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        (tomorrow_at(7), tomorrow_at(8), "working_hours"),
        (tomorrow_at(16, 30), tomorrow_at(17, 30), "working_hours"),
        (tomorrow_at(13), tomorrow_at(14), "time_off"),
        (tomorrow_at(10, days=400), tomorrow_at(11, days=400), "max_horizon"),
    ],
)
def test_outside_availability_is_422_with_its_reason(
    as_role: Callable[[str], Client], start: datetime, end: datetime, reason: str
) -> None:
    resource, contact = open_resource(), make_contact()
    make_time_off(resource=resource, start=tomorrow_at(12), end=tomorrow_at(14))
    before = row_counts()
    answer = book(as_role("staff"), resource_id=resource.id, contact_id=contact.id, start=start, end=end)
    assert answer.status_code == 422, answer.content
    assert (answer.json()["code"], answer.json()["reason"]) == ("outside_availability", reason)
    assert row_counts() == before


@pytest.mark.django_db
def test_minimum_notice_follows_the_organization_setting(as_role: Callable[[str], Client]) -> None:
    resource, contact = (
        open_resource(working_hours=[{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]),
        make_contact(),
    )
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    answer = book(
        as_role("staff"),
        resource_id=resource.id,
        contact_id=contact.id,
        start=soon,
        end=soon + timedelta(minutes=10),
    )
    # Open around the clock (midnight joins the days), so only the notice can refuse it.
    assert (answer.status_code, answer.json()["reason"]) == (422, "min_notice")
    assert (
        send(as_role("admin"), "PATCH", "/scheduling/settings", {"min_notice_minutes": 0}).status_code == 200
    )
    later = soon + timedelta(minutes=5)
    assert (
        book(
            as_role("staff"),
            resource_id=resource.id,
            contact_id=contact.id,
            start=later,
            end=later + timedelta(minutes=10),
        ).status_code
        == 201
    )


@pytest.mark.django_db
def test_bad_input_is_4xx_and_writes_nothing(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    resource, contact = open_resource(), make_contact()
    other_tenant = make_resource(organization=globex())
    before = row_counts()
    cases: list[tuple[dict[str, Any], int]] = [
        ({"start": iso(tomorrow_at(11)), "end": iso(tomorrow_at(10))}, 422),
        ({"start": iso(tomorrow_at(10)), "end": iso(tomorrow_at(10))}, 422),
        ({"start": "2026-12-24T10:00:00", "end": iso(tomorrow_at(11))}, 422),
        ({"start": iso(tomorrow_at(10)), "end": iso(tomorrow_at(10, days=40))}, 422),
        ({"start": iso(tomorrow_at(10))}, 422),
        ({"start": "99999-01-01T00:00:00Z", "end": iso(tomorrow_at(11))}, 422),
        ({"start": iso(tomorrow_at(10)), "end": iso(tomorrow_at(11)), "resource_id": str(uuid.uuid4())}, 404),
        ({"start": iso(tomorrow_at(10)), "end": iso(tomorrow_at(11)), "contact_id": str(uuid.uuid4())}, 404),
        (
            {"start": iso(tomorrow_at(10)), "end": iso(tomorrow_at(11)), "resource_id": str(other_tenant.id)},
            404,
        ),
        ({"start": iso(tomorrow_at(10)), "end": iso(tomorrow_at(11)), "notes": "a\x00b"}, 422),
        ({"start": iso(tomorrow_at(10)), "end": iso(tomorrow_at(11)), "status": "completed"}, 422),
        ({"start": 12, "end": iso(tomorrow_at(11))}, 422),
    ]
    for fields, status in cases:
        body = {"resource_id": str(resource.id), "contact_id": str(contact.id), **fields}
        answer = send(staff, "POST", "/bookings", body)
        assert answer.status_code == status, (fields, answer.content)
        assert answer["Content-Type"] == PROBLEM
    assert row_counts() == before
    assert Booking.objects.for_organization(acme()).count() == 0


@pytest.mark.django_db
def test_illegal_transitions_are_409_invalid_transition(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    past = make_booking(start=tomorrow_at(10, days=-2), status=BookingStatus.CONFIRMED)
    assert send(staff, "POST", f"/bookings/{past.id}/complete").json()["status"] == "completed"
    for action, body in (
        ("confirm", None),
        ("cancel", {"reason": "x"}),
        ("no-show", None),
        ("complete", None),
    ):
        answer = send(staff, "POST", f"/bookings/{past.id}/{action}", body)
        assert (answer.status_code, answer.json()["code"]) == (409, "invalid_transition"), action
    assert (
        send(staff, "PATCH", f"/bookings/{past.id}", {"start": iso(tomorrow_at(10))}).json()["code"]
        == "invalid_transition"
    )
    pending = make_booking(status=BookingStatus.PENDING)
    assert send(staff, "POST", f"/bookings/{pending.id}/complete").json()["code"] == "invalid_transition"
    future = make_booking(status=BookingStatus.CONFIRMED, start=tomorrow_at(12))
    early = send(staff, "POST", f"/bookings/{future.id}/no-show")
    assert early.json()["code"] == "invalid_transition"


@pytest.mark.django_db
def test_viewer_reads_and_cannot_book_other_tenants_bookings_are_404(
    as_role: Callable[[str], Client],
) -> None:
    resource, contact = open_resource(), make_contact()
    denied = book(
        as_role("viewer"),
        resource_id=resource.id,
        contact_id=contact.id,
        start=tomorrow_at(10),
        end=tomorrow_at(11),
    )
    assert denied.status_code == 403
    theirs = make_booking(resource=open_resource(organization=globex()))
    assert send(as_role("owner"), "GET", f"/bookings/{theirs.id}").status_code == 404
    assert send(as_role("owner"), "POST", f"/bookings/{theirs.id}/cancel", {"reason": "x"}).status_code == 404


@pytest.mark.django_db
def test_list_filters_and_orders_by_start(as_role: Callable[[str], Client]) -> None:
    resource, other = open_resource(), open_resource()
    late = make_booking(resource=resource, start=tomorrow_at(15))
    early = make_booking(resource=resource, start=tomorrow_at(9), status=BookingStatus.PENDING)
    make_booking(resource=other, start=tomorrow_at(12))
    viewer = as_role("viewer")
    listed = send(viewer, "GET", f"/bookings?resource_id={resource.id}").json()
    assert [b["id"] for b in listed["items"]] == [str(early.id), str(late.id)]
    pending = send(viewer, "GET", f"/bookings?resource_id={resource.id}&status=pending").json()
    assert [b["id"] for b in pending["items"]] == [str(early.id)]
    after_two = iso(tomorrow_at(14)).replace("+", "%2B")
    window = send(viewer, "GET", f"/bookings?start_after={after_two}&resource_id={resource.id}").json()
    assert [b["id"] for b in window["items"]] == [str(late.id)]
    first_page = send(viewer, "GET", f"/bookings?resource_id={resource.id}&limit=1").json()
    second = send(
        viewer, "GET", f"/bookings?resource_id={resource.id}&limit=1&cursor={first_page['next_cursor']}"
    ).json()
    assert [b["id"] for b in first_page["items"] + second["items"]] == [str(early.id), str(late.id)]


@pytest.mark.django_db
def test_every_returned_slot_can_be_booked_and_a_booked_slot_disappears(
    as_role: Callable[[str], Client],
) -> None:
    staff = as_role("staff")
    resource = open_resource()
    make_time_off(resource=resource, start=tomorrow_at(12), end=tomorrow_at(13))
    service = make_service(duration_minutes=60, buffer_after_minutes=10)
    query = slots_path(resource, service, tomorrow_at(0), tomorrow_at(23, 59))
    slots = send(staff, "GET", query).json()["items"]
    assert slots, "a working day has slots"
    periods = [(datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"])) for s in slots]
    assert all(not (start < tomorrow_at(13) and end > tomorrow_at(12)) for start, end in periods)
    assert all(tomorrow_at(9) <= start and end <= tomorrow_at(17) for start, end in periods)
    for slot in slots:
        contact = make_contact()
        answer = book(
            staff,
            resource_id=resource.id,
            contact_id=contact.id,
            service_id=service.id,
            start=slot["start"],
            status="held",
        )
        assert answer.status_code == 201, (slot, answer.content)
        remaining = send(staff, "GET", query).json()["items"]
        assert slot["start"] not in [s["start"] for s in remaining]
        send(staff, "POST", f"/bookings/{answer.json()['id']}/cancel", {"reason": "probe"})


@pytest.mark.django_db
def test_availability_shows_local_times_across_the_spring_forward_in_paris(
    as_role: Callable[[str], Client],
) -> None:
    resource = make_resource(
        timezone="Europe/Paris",
        working_hours=[{"weekday": d, "start": "09:00", "end": "10:00"} for d in range(7)],
    )
    service = make_service(duration_minutes=60)
    # 2027-03-28: Paris moves from UTC+1 to UTC+2.
    query = slots_path(resource, service, "2027-03-27T00:00:00Z", "2027-03-29T00:00:00Z")
    slots = send(as_role("viewer"), "GET", query).json()["items"]
    assert [(s["start"], s["local_start"]) for s in slots] == [
        ("2027-03-27T08:00:00Z", "2027-03-27T09:00:00+01:00"),
        ("2027-03-28T07:00:00Z", "2027-03-28T09:00:00+02:00"),
    ]
    staff = as_role("staff")
    created = book(
        staff,
        resource_id=resource.id,
        contact_id=make_contact().id,
        service_id=service.id,
        start="2027-03-28T07:00:00Z",
    )
    assert created.status_code == 201
    hour_early = book(
        staff,
        resource_id=resource.id,
        contact_id=make_contact().id,
        service_id=service.id,
        start="2027-03-29T08:00:00Z",
    )
    assert hour_early.json()["code"] == "outside_availability"  # 10:00 CEST: after hours


@pytest.mark.django_db
def test_fall_back_day_in_paris(as_role: Callable[[str], Client]) -> None:
    send(as_role("admin"), "PATCH", "/scheduling/settings", {"max_horizon_days": 730})
    resource = make_resource(
        timezone="Europe/Paris", working_hours=[{"weekday": 6, "start": "01:00", "end": "04:00"}]
    )
    service = make_service(duration_minutes=60)
    # 2027-10-31: 03:00 CEST becomes 02:00 CET, so 01:00-04:00 local lasts four hours.
    query = slots_path(resource, service, "2027-10-30T12:00:00Z", "2027-10-31T12:00:00Z")
    slots = send(as_role("viewer"), "GET", query).json()["items"]
    hourly = [s["start"] for s in slots if s["start"].endswith(":00:00Z")]
    assert hourly == [
        "2027-10-30T23:00:00Z",
        "2027-10-31T00:00:00Z",
        "2027-10-31T01:00:00Z",
        "2027-10-31T02:00:00Z",
    ]
    assert [s["local_start"] for s in slots if s["start"] in hourly[1:3]] == [
        "2027-10-31T02:00:00+02:00",
        "2027-10-31T02:00:00+01:00",
    ]


@pytest.mark.django_db
def test_an_override_opens_a_closed_day_and_closes_an_open_one(as_role: Callable[[str], Client]) -> None:
    from apps.core.models import WorkingHoursOverride  # noqa: PLC0415

    resource = open_resource(
        working_hours=[{"weekday": tomorrow_at(0).weekday(), "start": "09:00", "end": "17:00"}]
    )
    service = make_service(duration_minutes=60)
    org = resource.organization
    WorkingHoursOverride.objects.for_organization(org).create(
        resource=resource, date=tomorrow_at(0).date(), intervals=[]
    )
    WorkingHoursOverride.objects.for_organization(org).create(
        resource=resource, date=tomorrow_at(0, days=2).date(), intervals=[{"start": "10:00", "end": "12:00"}]
    )
    query = slots_path(resource, service, tomorrow_at(0), tomorrow_at(0, days=3))
    slots = send(as_role("viewer"), "GET", query).json()["items"]
    starts = [s["start"] for s in slots]
    assert starts[0] == iso(tomorrow_at(10, days=2)).replace("+00:00", "Z")
    assert starts[-1] == iso(tomorrow_at(11, days=2)).replace("+00:00", "Z")
    closed = book(
        as_role("staff"),
        resource_id=resource.id,
        contact_id=make_contact().id,
        service_id=service.id,
        start=tomorrow_at(10),
    )
    assert closed.json()["reason"] == "working_hours"


@pytest.mark.django_db
def test_availability_refuses_bad_periods(as_role: Callable[[str], Client]) -> None:
    resource, service = open_resource(), make_service()
    viewer = as_role("viewer")
    base = f"/availability?resource_id={resource.id}&service_id={service.id}"
    assert send(viewer, "GET", base + "&from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z").status_code == 422
    assert send(viewer, "GET", base + "&from=2027-01-01T00:00:00Z&to=2027-06-01T00:00:00Z").status_code == 422
    assert send(viewer, "GET", base + "&from=2027-01-01T00:00:00&to=2027-01-02T00:00:00Z").status_code == 422
    assert (
        send(
            viewer,
            "GET",
            f"/availability?resource_id={uuid.uuid4()}&service_id={service.id}&from=2027-01-01T00:00:00Z&to=2027-01-02T00:00:00Z",
        ).status_code
        == 404
    )


@pytest.mark.django_db
def test_group_session_takes_bookings_until_full(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    resource, service = open_resource(), make_service(duration_minutes=60, capacity=3)
    for _ in range(3):
        assert (
            book(
                staff,
                resource_id=resource.id,
                contact_id=make_contact().id,
                service_id=service.id,
                start=tomorrow_at(10),
            ).status_code
            == 201
        )
    full = book(
        staff,
        resource_id=resource.id,
        contact_id=make_contact().id,
        service_id=service.id,
        start=tomorrow_at(10),
    )
    assert (full.status_code, full.json()["code"]) == (409, "session_full")
    other_session = book(
        staff,
        resource_id=resource.id,
        contact_id=make_contact().id,
        service_id=service.id,
        start=tomorrow_at(10, 30),
    )
    assert other_session.json()["code"] == "booking_conflict"
    one_to_one = book(
        staff,
        resource_id=resource.id,
        contact_id=make_contact().id,
        start=tomorrow_at(10, 30),
        end=tomorrow_at(11),
    )
    assert one_to_one.json()["code"] == "booking_conflict"


@pytest.mark.django_db
def test_an_expired_hold_blocks_nothing_and_cannot_be_confirmed(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    resource, service = open_resource(), make_service(duration_minutes=60)
    hold = make_booking(
        resource=resource,
        service=service,
        start=tomorrow_at(10),
        end=tomorrow_at(11),
        status=BookingStatus.HELD,
        hold_expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    query = slots_path(resource, service, tomorrow_at(10), tomorrow_at(10, 1))
    assert [s["start"] for s in send(staff, "GET", query).json()["items"]] == [
        iso(tomorrow_at(10)).replace("+00:00", "Z")
    ]
    expired = send(staff, "POST", f"/bookings/{hold.id}/confirm")
    assert (expired.status_code, expired.json()["code"]) == (409, "hold_expired")
    taken = book(
        staff,
        resource_id=resource.id,
        contact_id=make_contact().id,
        service_id=service.id,
        start=tomorrow_at(10),
    )
    assert taken.status_code == 201, taken.content
    hold.refresh_from_db()
    assert (hold.status, hold.cancel_reason) == (BookingStatus.CANCELLED, "Hold expired")


@pytest.mark.django_db
def test_a_live_hold_blocks_and_confirms(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    resource, service = open_resource(), make_service(duration_minutes=60)
    held = book(
        staff,
        resource_id=resource.id,
        contact_id=make_contact().id,
        service_id=service.id,
        start=tomorrow_at(10),
        status="held",
    ).json()
    assert held["hold_expires_at"] is not None
    clash = book(
        staff,
        resource_id=resource.id,
        contact_id=make_contact().id,
        service_id=service.id,
        start=tomorrow_at(10),
    )
    assert clash.json()["code"] == "booking_conflict"
    confirmed = send(staff, "POST", f"/bookings/{held['id']}/confirm").json()
    assert (confirmed["status"], confirmed["hold_expires_at"]) == ("confirmed", None)


@pytest.mark.django_db
def test_settings_are_admin_only_and_validated(as_role: Callable[[str], Client]) -> None:
    assert send(as_role("viewer"), "GET", "/scheduling/settings").json()["slot_interval_minutes"] == 15
    assert send(as_role("manager"), "PATCH", "/scheduling/settings", {"hold_minutes": 5}).status_code == 403
    assert send(as_role("admin"), "PATCH", "/scheduling/settings", {"hold_minutes": 0}).status_code == 422
    assert send(as_role("admin"), "PATCH", "/scheduling/settings", {"hold_minutes": None}).status_code == 422
    changed = send(as_role("admin"), "PATCH", "/scheduling/settings", {"slot_interval_minutes": 30})
    assert changed.json()["slot_interval_minutes"] == 30
    assert send(as_role("viewer"), "GET", "/scheduling/settings").json()["slot_interval_minutes"] == 30


@pytest.mark.django_db
def test_idempotency_key_replays_a_booking(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    resource, contact = open_resource(), make_contact()
    body = {
        "resource_id": str(resource.id),
        "contact_id": str(contact.id),
        "start": iso(tomorrow_at(10)),
        "end": iso(tomorrow_at(11)),
    }
    first = send(staff, "POST", "/bookings", body, HTTP_IDEMPOTENCY_KEY="k-1")
    again = send(staff, "POST", "/bookings", body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Booking.objects.for_organization(acme()).count() == 1


def ids(answer: Any) -> list[str]:
    return [b["id"] for b in answer.json()["items"]]


def error_fields(answer: Any) -> list[str]:
    return [e["field"] for e in answer.json()["errors"]]


@pytest.mark.django_db
def test_list_filters_by_contact_and_before_a_start(as_role: Callable[[str], Client]) -> None:
    resource, ann, bob = open_resource(), make_contact(), make_contact()
    early = make_booking(resource=resource, contact=ann, start=tomorrow_at(9))
    late = make_booking(resource=resource, contact=ann, start=tomorrow_at(15))
    noon = make_booking(resource=resource, contact=bob, start=tomorrow_at(12))
    viewer = as_role("viewer")
    assert ids(send(viewer, "GET", f"/bookings?contact_id={ann.id}")) == [str(early.id), str(late.id)]
    before_noon = iso(tomorrow_at(12)).replace("+", "%2B")
    # start_before is exclusive: the booking starting at noon is not before noon.
    assert ids(send(viewer, "GET", f"/bookings?start_before={before_noon}")) == [str(early.id)]
    after_ten = iso(tomorrow_at(10)).replace("+", "%2B")
    four = iso(tomorrow_at(16)).replace("+", "%2B")
    window = f"/bookings?start_after={after_ten}&start_before={four}"
    assert ids(send(viewer, "GET", window)) == [str(noon.id), str(late.id)]
    assert ids(send(viewer, "GET", f"{window}&contact_id={ann.id}")) == [str(late.id)]
    assert ids(send(viewer, "GET", f"/bookings?contact_id={uuid.uuid4()}")) == []


@pytest.mark.django_db
def test_a_deactivated_resource_or_service_has_no_slots(as_role: Callable[[str], Client]) -> None:
    resource, service = open_resource(), make_service()
    viewer = as_role("viewer")
    path = slots_path(resource, service, tomorrow_at(9), tomorrow_at(17))
    assert len(send(viewer, "GET", path).json()["items"]) == 31  # 09:00 to 16:30, every 15 minutes
    service.is_active = False
    service.save(update_fields=["is_active"])
    assert send(viewer, "GET", path).json()["items"] == []
    service.is_active, resource.is_active = True, False
    service.save(update_fields=["is_active"])
    resource.save(update_fields=["is_active"])
    answer = send(viewer, "GET", path)
    assert (answer.status_code, answer.json()["items"]) == (200, [])


@pytest.mark.django_db
def test_a_period_wholly_inside_the_notice_or_past_the_horizon_has_no_slots(
    as_role: Callable[[str], Client],
) -> None:
    resource = open_resource(
        working_hours=[{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
    )
    service = make_service()
    viewer = as_role("viewer")
    now = datetime.now(UTC)
    # The default notice is an hour: nothing in the coming 30 minutes can be booked.
    soon = send(
        viewer, "GET", slots_path(resource, service, now - timedelta(hours=2), now + timedelta(minutes=30))
    )
    assert (soon.status_code, soon.json()["items"]) == (200, [])
    assert send(as_role("admin"), "PATCH", "/scheduling/settings", {"max_horizon_days": 2}).status_code == 200
    far = slots_path(resource, service, tomorrow_at(9, days=3), tomorrow_at(17, days=3))
    assert send(viewer, "GET", far).json()["items"] == []
    near = slots_path(resource, service, tomorrow_at(9), tomorrow_at(10))
    assert len(send(viewer, "GET", near).json()["items"]) == 4


@pytest.mark.django_db
def test_what_cannot_be_booked_is_422_naming_each_field_and_writes_nothing(
    as_role: Callable[[str], Client],
) -> None:
    staff = as_role("staff")
    resource, service, contact = open_resource(), make_service(duration_minutes=30), make_contact()
    archived = make_contact(archived_at=datetime.now(UTC))
    retired, off_sale = open_resource(is_active=False), make_service(is_active=False)
    before = row_counts()
    at_ten = {"start": tomorrow_at(10), "end": tomorrow_at(11)}
    to_archived = book(staff, resource_id=resource.id, contact_id=archived.id, **at_ten)
    assert (to_archived.status_code, to_archived.json()["code"]) == (422, "validation_error")
    assert error_fields(to_archived) == ["contact_id"]
    neither = book(
        staff, resource_id=retired.id, contact_id=contact.id, service_id=off_sale.id, start=tomorrow_at(10)
    )
    assert (neither.status_code, error_fields(neither)) == (422, ["resource_id", "service_id"])
    longer = book(
        staff,
        resource_id=resource.id,
        contact_id=contact.id,
        service_id=service.id,
        start=tomorrow_at(10),
        end=tomorrow_at(10, 45),
    )
    assert (longer.status_code, error_fields(longer)) == (422, ["end"])
    assert row_counts() == before
    exact = book(
        staff,
        resource_id=resource.id,
        contact_id=contact.id,
        service_id=service.id,
        start=tomorrow_at(10),
        end=tomorrow_at(10, 30),
    )
    assert exact.status_code == 201, exact.content


@pytest.mark.django_db
def test_changing_only_the_notes_or_nothing_moves_nothing_and_publishes_nothing(
    as_role: Callable[[str], Client],
) -> None:
    staff = as_role("staff")
    booking = make_booking(start=tomorrow_at(10), notes="First visit")
    path = f"/bookings/{booking.id}"
    changed = send(staff, "PATCH", path, {"notes": "  Bring the X-rays  "})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["notes"], changed.json()["start"]) == (
        "Bring the X-rays",
        iso(tomorrow_at(10)).replace("+00:00", "Z"),
    )
    booking.refresh_from_db()
    assert booking.notes == "Bring the X-rays"
    assert event_types(str(booking.id)) == []
    stamp = booking.updated_at
    # The same notes, nothing, or the place it already has: no write, no event.
    same_place = {
        "start": iso(booking.start),
        "end": iso(booking.end),
        "resource_id": str(booking.resource_id),
    }
    for unchanged in ({"notes": "Bring the X-rays "}, {}, same_place):
        assert send(staff, "PATCH", path, unchanged).status_code == 200
        booking.refresh_from_db()
        assert booking.updated_at == stamp, unchanged
    assert event_types(str(booking.id)) == []


@pytest.mark.django_db
def test_a_booking_moves_to_another_resource_that_can_take_it(as_role: Callable[[str], Client]) -> None:
    staff = as_role("staff")
    booking = make_booking(start=tomorrow_at(10), end=tomorrow_at(11))
    path = f"/bookings/{booking.id}"
    retired = open_resource(is_active=False)
    refused = send(staff, "PATCH", path, {"resource_id": str(retired.id)})
    assert (refused.status_code, error_fields(refused)) == (422, ["resource_id"])
    theirs = open_resource(organization=globex())
    assert send(staff, "PATCH", path, {"resource_id": str(theirs.id)}).status_code == 404
    busy = open_resource()
    make_booking(resource=busy, start=tomorrow_at(10, 30), end=tomorrow_at(12))
    clash = send(staff, "PATCH", path, {"resource_id": str(busy.id)})
    assert (clash.status_code, clash.json()["code"]) == (409, "booking_conflict")
    free = open_resource()
    moved = send(staff, "PATCH", path, {"resource_id": str(free.id)})
    assert moved.status_code == 200, moved.content
    assert (moved.json()["resource_id"], moved.json()["end"]) == (
        str(free.id),
        iso(tomorrow_at(11)).replace("+00:00", "Z"),
    )
    assert event_types(str(booking.id)) == ["booking.rescheduled"]


@pytest.mark.django_db
def test_an_expired_hold_cannot_be_rescheduled(as_role: Callable[[str], Client]) -> None:
    hold = make_booking(
        start=tomorrow_at(10),
        status=BookingStatus.HELD,
        hold_expires_at=datetime.now(UTC) - timedelta(seconds=1),
    )
    answer = send(as_role("staff"), "PATCH", f"/bookings/{hold.id}", {"start": iso(tomorrow_at(12))})
    assert (answer.status_code, answer.json()["code"]) == (409, "hold_expired")
    hold.refresh_from_db()
    assert hold.start == tomorrow_at(10)


@pytest.mark.django_db
def test_a_group_booking_keeps_its_place_when_its_service_gets_longer(
    as_role: Callable[[str], Client],
) -> None:
    staff = as_role("staff")
    resource, service = open_resource(), make_service(duration_minutes=60, capacity=2)

    def join(start: datetime) -> Any:
        return book(
            staff, resource_id=resource.id, contact_id=make_contact().id, service_id=service.id, start=start
        )

    first, _ = join(tomorrow_at(10)).json(), join(tomorrow_at(10))
    later = join(tomorrow_at(14)).json()
    service.duration_minutes = 90
    service.save(update_fields=["duration_minutes"])
    # Same start, new length: the booking is already one of the session's two places.
    kept = send(staff, "PATCH", f"/bookings/{first['id']}", {"start": iso(tomorrow_at(10))})
    assert kept.status_code == 200, kept.content
    assert kept.json()["end"] == iso(tomorrow_at(11, 30)).replace("+00:00", "Z")
    full = send(staff, "PATCH", f"/bookings/{later['id']}", {"start": iso(tomorrow_at(10))})
    assert (full.status_code, full.json()["code"]) == (409, "session_full")
    assert Booking.objects.for_organization(acme()).get(pk=later["id"]).start == tomorrow_at(14)
