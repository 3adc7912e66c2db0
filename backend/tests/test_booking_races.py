"""Bookings racing each other over real HTTP: many clients at once against the Granian-served backend.

The guarantee is the database's exclusion constraint, so these tests count what was committed in
the served backend's own database, with SQL that does not use the code under test.
"""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from conftest import LiveBackend
from hubkit.testing import all_at_once
from tests.test_concurrent_writes import event_count, one_original

pytestmark = pytest.mark.xdist_group("live")

CLIENTS = 50
EVERY_DAY = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]


def _day_after_tomorrow(hour: int, minute: int = 0) -> datetime:
    today = datetime.now(UTC).date()
    return datetime(today.year, today.month, today.day, hour, minute, tzinfo=UTC) + timedelta(days=2)


def _setup(live: LiveBackend, *, capacity: int = 1) -> tuple[httpx.Client, str, str, list[str]]:
    manager = live.api("manager@acme.test")
    marker = uuid.uuid4().hex[:8]
    resource = manager.post(
        "/resources",
        json={"name": f"Race room {marker}", "kind": "room", "timezone": "UTC", "working_hours": EVERY_DAY},
    )
    assert resource.status_code == 201, resource.text
    service = manager.post(
        "/services",
        json={
            "name": f"Race service {marker}",
            "duration_minutes": 60,
            "price": {"amount": "10.00", "currency": "EUR"},
            "capacity": capacity,
        },
    )
    assert service.status_code == 201, service.text
    contacts = []
    for n in range(CLIENTS):
        contact = manager.post("/contacts", json={"first_name": f"Racer{n}", "last_name": marker})
        assert contact.status_code == 201, contact.text
        contacts.append(contact.json()["id"])
    return live.api("staff@acme.test"), resource.json()["id"], service.json()["id"], contacts


def _statuses(answers: list[httpx.Response]) -> Counter[int]:
    return Counter(a.status_code for a in answers)


def _active_rows(live: LiveBackend, resource_id: str) -> int:
    return int(
        live.query(
            "SELECT count(*) FROM scheduling_booking WHERE resource_id = %s"
            " AND status IN ('held', 'pending', 'confirmed')",
            resource_id,
        )[0][0]
    )


def _overlapping_pairs(live: LiveBackend, resource_id: str) -> int:
    return int(
        live.query(
            "SELECT count(*) FROM scheduling_booking a JOIN scheduling_booking b"
            " ON a.resource_id = b.resource_id AND a.id < b.id AND a.session <> b.session"
            " AND tstzrange(a.blocked_start, a.blocked_end) && tstzrange(b.blocked_start, b.blocked_end)"
            " WHERE a.resource_id = %s AND a.status IN ('held', 'pending', 'confirmed')"
            " AND b.status IN ('held', 'pending', 'confirmed')",
            resource_id,
        )[0][0]
    )


def _post(staff: httpx.Client, body: dict[str, Any]) -> Any:
    return lambda: staff.post("/bookings", json=body)


def test_fifty_clients_booking_the_same_slot_get_one_booking(live_backend: LiveBackend) -> None:
    staff, resource, service, contacts = _setup(live_backend)
    start = _day_after_tomorrow(10).isoformat()
    answers = all_at_once(
        [
            _post(staff, {"resource_id": resource, "contact_id": c, "service_id": service, "start": start})
            for c in contacts
        ]
    )
    assert _statuses(answers) == {201: 1, 409: CLIENTS - 1}
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"booking_conflict"}
    winner = next(a.json()["id"] for a in answers if a.status_code == 201)
    assert all([c["id"] for c in a.json()["conflicts"]] == [winner] for a in answers if a.status_code == 409)
    assert _active_rows(live_backend, resource) == 1


def test_fifty_clients_booking_overlapping_periods_leave_no_overlap(live_backend: LiveBackend) -> None:
    staff, resource, _, contacts = _setup(live_backend)
    base = _day_after_tomorrow(10)
    # Periods an hour long, starting a minute apart: each overlaps every other one.
    calls = [
        _post(
            staff,
            {
                "resource_id": resource,
                "contact_id": c,
                "start": (base + timedelta(minutes=n)).isoformat(),
                "end": (base + timedelta(minutes=60 + n)).isoformat(),
            },
        )
        for n, c in enumerate(contacts)
    ]
    answers = all_at_once(calls)
    assert _statuses(answers) == {201: 1, 409: CLIENTS - 1}
    assert _active_rows(live_backend, resource) == 1
    assert _overlapping_pairs(live_backend, resource) == 0


def test_fifty_reschedules_into_one_free_slot_move_one_booking(live_backend: LiveBackend) -> None:
    staff, resource, _, contacts = _setup(live_backend)
    base = _day_after_tomorrow(0)
    ids = []
    for n, contact in enumerate(contacts):
        start = base + timedelta(minutes=20 * n)
        created = staff.post(
            "/bookings",
            json={
                "resource_id": resource,
                "contact_id": contact,
                "start": start.isoformat(),
                "end": (start + timedelta(minutes=20)).isoformat(),
            },
        )
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    target = base + timedelta(hours=20)
    body = {"start": target.isoformat(), "end": (target + timedelta(minutes=20)).isoformat()}
    answers = all_at_once([functools.partial(staff.patch, f"/bookings/{b}", json=body) for b in ids])
    assert _statuses(answers) == {200: 1, 409: CLIENTS - 1}
    assert _overlapping_pairs(live_backend, resource) == 0
    moved = live_backend.query(
        "SELECT count(*) FROM scheduling_booking WHERE resource_id = %s AND start = %s", resource, target
    )
    assert moved[0][0] == 1


def test_a_group_session_never_takes_more_than_its_capacity(live_backend: LiveBackend) -> None:
    staff, resource, service, contacts = _setup(live_backend, capacity=5)
    start = _day_after_tomorrow(10).isoformat()
    answers = all_at_once(
        [
            _post(staff, {"resource_id": resource, "contact_id": c, "service_id": service, "start": start})
            for c in contacts
        ]
    )
    assert _statuses(answers) == {201: 5, 409: CLIENTS - 5}
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"session_full"}
    assert _active_rows(live_backend, resource) == 5


def test_confirm_and_cancel_racing_end_in_one_of_them(live_backend: LiveBackend) -> None:
    staff, resource, service, contacts = _setup(live_backend)
    created = staff.post(
        "/bookings",
        json={
            "resource_id": resource,
            "contact_id": contacts[0],
            "service_id": service,
            "start": _day_after_tomorrow(10).isoformat(),
        },
    )
    path = f"/bookings/{created.json()['id']}"
    calls = [lambda: staff.post(path + "/confirm") for _ in range(10)]
    calls += [lambda: staff.post(path + "/cancel", json={"reason": "race"}) for _ in range(10)]
    answers = all_at_once(calls)
    assert not [a for a in answers if a.status_code >= 500]
    events = live_backend.query(
        "SELECT type FROM events_event WHERE subject_id = %s ORDER BY occurred_at, id", created.json()["id"]
    )
    kinds = [t for (t,) in events]
    # One confirmation at most (before the cancel) and exactly one cancellation: each a real change.
    assert kinds.count("booking.cancelled") == 1
    assert kinds.count("booking.confirmed") <= 1
    assert sum(1 for a in answers if a.status_code == 200) == len(kinds) - 1


def test_clients_sending_one_booking_with_one_key_book_it_once(live_backend: LiveBackend) -> None:
    staff, resource, service, contacts = _setup(live_backend)
    body = {
        "resource_id": resource,
        "service_id": service,
        "contact_id": contacts[0],
        "start": _day_after_tomorrow(11).isoformat(),
    }
    key = {"Idempotency-Key": uuid.uuid4().hex}
    answers = all_at_once([functools.partial(staff.post, "/bookings", json=body, headers=key)] * CLIENTS)

    # Never a booking_conflict with itself: one original, the rest its replays or "in flight".
    assert len(answers) == CLIENTS
    booking = one_original(answers).json()
    again = staff.post("/bookings", json=body, headers=key)
    replayed = (again.status_code, again.headers.get("Idempotent-Replayed"), again.json())
    assert replayed == (201, "true", booking)
    assert _active_rows(live_backend, resource) == 1
    assert event_count(live_backend, "booking.created", booking["id"]) == 1
