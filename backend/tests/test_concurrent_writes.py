"""Writes racing each other over real HTTP: the backend served by Granian, many requests at once.

Every state-changing service locks and re-reads its row inside its transaction (or updates
conditionally), so concurrent requests serialise on the row: these tests fire them together
and check what was committed, in the served backend's own database.
"""

from __future__ import annotations

import functools
import json
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest

from conftest import LiveBackend
from hubkit.encryption.keys import keyring
from hubkit.testing import all_at_once, wait_until

pytestmark = pytest.mark.xdist_group("live")

ROUNDS = 5
PATCHES = 20


def one_original(answers: list[httpx.Response], *, status: int = 201) -> httpx.Response:
    """The one original among answers to one `Idempotency-Key` sent at once, all checked.

    Every other answer is its replay (same status, `Idempotent-Replayed: true`, the same bytes)
    or 409 `idempotency_key_in_use` while the original was still running.
    """
    originals = [a for a in answers if a.status_code == status and "Idempotent-Replayed" not in a.headers]
    assert len(originals) == 1, [(a.status_code, a.text) for a in answers]
    [original] = originals
    for answer in answers:
        if answer is original:
            continue
        if answer.status_code == 409:
            assert answer.json()["code"] == "idempotency_key_in_use", answer.text
            assert answer.headers["Retry-After"] == "1"
        else:
            replay = (answer.status_code, answer.headers.get("Idempotent-Replayed"), answer.content)
            assert replay == (status, "true", original.content)
    return original


def event_count(live: LiveBackend, type_: str, subject_id: str) -> int:
    """Outbox events of one type about one subject (the served backend's own rows)."""
    [(count,)] = live.query(
        "SELECT count(*) FROM events_event WHERE type = %s AND subject_id = %s", type_, subject_id
    )
    return int(count)


def _events(live: LiveBackend, subject_id: str) -> list[tuple[str, Any]]:
    """The subject's events in publishing order (the outbox position of their first delivery)."""
    rows = live.query(
        "SELECT e.type, e.data FROM events_event e"
        " JOIN events_delivery d ON d.event_id = e.id"
        " WHERE e.subject_id = %s GROUP BY e.id, e.type, e.data ORDER BY min(d.position)",
        subject_id,
    )
    # The outbox's data is encrypted at rest (hubkit.encryption): opened with the same dev keys.
    return [(type_, json.loads(keyring().decrypt(data))) for type_, data in rows]


def _update_entries(live: LiveBackend, model: str, object_pk: str) -> list[dict[str, Any]]:
    rows = live.query(
        "SELECT l.changes FROM auditlog_logentry l JOIN django_content_type c ON c.id = l.content_type_id"
        " WHERE c.model = %s AND l.object_pk = %s AND l.action = 1 ORDER BY l.id",
        model,
        object_pk,
    )
    return [changes if isinstance(changes, dict) else json.loads(changes) for (changes,) in rows]


def test_an_erasure_racing_patches_leaves_no_personal_data_behind(live_backend: LiveBackend) -> None:
    staff = live_backend.api("staff@acme.test")
    manager = live_backend.api("manager@acme.test")
    for _ in range(ROUNDS):
        _erasure_round(live_backend, staff=staff, manager=manager)


def _erasure_round(live: LiveBackend, *, staff: httpx.Client, manager: httpx.Client) -> None:
    """One contact, PATCHes by staff around one erasure by a manager, all released together."""
    marker = uuid.uuid4().hex[:8]
    created = staff.post(
        "/contacts",
        json={
            "first_name": f"Race{marker}",
            "last_name": "Original",
            "email": f"race-{marker}@example.com",
            "phone": "+4930123456",
            "notes": f"original notes {marker}",
        },
    )
    assert created.status_code == 201, created.text
    contact_id = created.json()["id"]
    path = f"/contacts/{contact_id}"
    sent = [f"patch{i}-{marker}" for i in range(PATCHES)]
    patches: list[Callable[[], httpx.Response]] = [
        functools.partial(staff.patch, path, json={"last_name": value, "notes": f"notes {value}"})
        for value in sent
    ]
    middle = PATCHES // 2
    erase_call: Callable[[], httpx.Response] = functools.partial(manager.post, path + "/erase")
    answers = all_at_once([*patches[:middle], erase_call, *patches[middle:]])
    erase = answers.pop(middle)
    assert erase.status_code == 200, erase.text
    assert erase.json()["erased_at"] is not None
    for answer in answers:
        if answer.status_code == 200:
            assert answer.json()["erased_at"] is None  # it committed before the erasure
        else:
            assert answer.status_code == 409, answer.text
            assert answer.json()["code"] == "contact_erased"

    after = staff.get(path).json()
    personal_fields = ("first_name", "last_name", "email", "phone", "notes")
    assert [after[name] for name in personal_fields] == ["Erased", "", None, None, ""]

    events = _events(live, contact_id)
    types = [type_ for type_, _ in events]
    assert types.count("contact.erased") == 1
    erased_at = types.index("contact.erased")
    personal = [f"Race{marker}", f"race-{marker}@example.com", "+4930123456", marker, *sent]
    for type_, data in events[erased_at:]:
        text = json.dumps(data)
        assert not [value for value in personal if value in text], (type_, data)
    # Everything published before the erasure was redacted by it.
    assert all(data == {"redacted": True} for _, data in events[:erased_at])


@pytest.mark.parametrize(
    ("resource", "body"),
    [
        ("contacts", None),
        ("resources", {"name": "Room", "kind": "room", "timezone": "Europe/Berlin"}),
        ("services", {"name": "Cut", "duration_minutes": 30, "price": {"amount": "9.50", "currency": "EUR"}}),
    ],
)
def test_concurrent_archives_change_the_row_once(
    live_backend: LiveBackend, resource: str, body: dict[str, Any] | None
) -> None:
    manager = live_backend.api("manager@acme.test")
    marker = uuid.uuid4().hex[:8]
    payload = body or {"first_name": f"Archive{marker}", "email": f"archive-{marker}@example.com"}
    created = manager.post(f"/{resource}", json={**payload, **({"name": f"Thing {marker}"} if body else {})})
    assert created.status_code == 201, created.text
    object_id = created.json()["id"]
    answers = all_at_once([lambda: manager.delete(f"/{resource}/{object_id}") for _ in range(10)])
    assert [a.status_code for a in answers] == [204] * 10
    model = {"contacts": "contact", "resources": "resource", "services": "service"}[resource]
    changed = "archived_at" if resource == "contacts" else "is_active"
    entries = [e for e in _update_entries(live_backend, model, object_id) if changed in e]
    assert len(entries) == 1, entries
    if resource == "contacts":
        events = [data for type_, data in _events(live_backend, object_id) if type_ == "contact.updated"]
        assert [data["changed"] for data in events] == [["archived_at"]]


def test_concurrent_reads_of_a_notification_keep_one_read_time(live_backend: LiveBackend) -> None:
    admin = live_backend.api("admin@acme.test")
    staff = live_backend.api("staff@acme.test")
    me = staff.get("/me").json()
    sent = admin.post(
        "/notifications",
        json={"recipient_ids": [me["user"]["subject"]], "category": "system", "title": "Read me"},
    )
    assert sent.status_code == 201, sent.text
    [item] = sent.json()["items"]
    answers = all_at_once([lambda: staff.post(f"/notifications/{item['id']}/read") for _ in range(10)])
    assert [a.status_code for a in answers] == [200] * 10
    read_at = {a.json()["read_at"] for a in answers}
    assert len(read_at) == 1, read_at
    [(stored,)] = live_backend.query(
        "SELECT read_at FROM notifications_notification WHERE id = %s", item["id"]
    )
    assert stored is not None
    assert staff.get("/notifications?unread=true").json()["items"] == []


def test_concurrent_preference_changes_leave_one_row_per_cell(live_backend: LiveBackend) -> None:
    admin = live_backend.api("admin@acme.test")
    viewer = live_backend.api("viewer@acme.test")
    cell = {"category": "workflow", "channel": "sms"}
    calls: list[Callable[[], httpx.Response]] = []
    for enabled in [True, False] * 5:
        body = {"items": [{**cell, "enabled": enabled}]}
        calls.append(functools.partial(viewer.put, "/notifications/preferences", json=body))
    for enabled in [True, False] * 3:
        body = {"items": [{**cell, "enabled": enabled}]}
        calls.append(functools.partial(admin.put, "/notifications/preferences/defaults", json=body))
    answers = all_at_once(calls)
    assert [a.status_code for a in answers] == [200] * len(calls), [a.text for a in answers]
    counts = live_backend.query(
        "SELECT user_id IS NULL, count(*) FROM notifications_notificationpreference"
        " WHERE category = 'workflow' AND channel = 'sms' GROUP BY user_id IS NULL, user_id"
    )
    # One row for the viewer's own choice, one for the organization default: never a duplicate.
    assert sorted(counts) == [(False, 1), (True, 1)], counts


def test_concurrent_deletes_of_a_time_off_delete_it_once(live_backend: LiveBackend) -> None:
    manager = live_backend.api("manager@acme.test")
    resource = manager.post(
        "/resources", json={"name": f"Room {uuid.uuid4().hex[:6]}", "kind": "room", "timezone": "UTC"}
    ).json()
    created = manager.post(
        f"/resources/{resource['id']}/time-off",
        json={"start": "2031-03-01T09:00:00Z", "end": "2031-03-01T12:00:00Z"},
    )
    assert created.status_code == 201, created.text
    path = f"/resources/{resource['id']}/time-off/{created.json()['id']}"
    answers = all_at_once([lambda: manager.delete(path) for _ in range(10)])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [204] + [404] * 9, statuses
    deletes = live_backend.query(
        "SELECT count(*) FROM auditlog_logentry l JOIN django_content_type c ON c.id = l.content_type_id"
        " WHERE c.model = 'timeoff' AND l.object_pk = %s AND l.action = 2",
        created.json()["id"],
    )
    assert deletes == [(1,)]


def test_concurrent_puts_of_one_date_leave_one_override(live_backend: LiveBackend) -> None:
    manager = live_backend.api("manager@acme.test")
    resource = manager.post(
        "/resources", json={"name": f"Room {uuid.uuid4().hex[:6]}", "kind": "room", "timezone": "UTC"}
    ).json()
    for day in range(1, ROUNDS + 1):
        # A fresh date each round: every PUT may find no row and try to create it.
        date = f"2031-02-{day:02}"
        path = f"/resources/{resource['id']}/overrides/{date}"
        bodies = [
            {"intervals": [{"start": f"{8 + i:02}:00", "end": "18:00"}], "reason": f"writer {i}"}
            for i in range(10)
        ]
        answers = all_at_once([functools.partial(manager.put, path, json=body) for body in bodies])
        assert [a.status_code for a in answers] == [200] * len(bodies), [a.text for a in answers]
        assert len({a.json()["id"] for a in answers}) == 1
        rows = live_backend.query(
            "SELECT id, intervals, reason FROM core_workinghoursoverride"
            " WHERE resource_id = %s AND date = %s",
            resource["id"],
            date,
        )
        assert len(rows) == 1, rows
        [(override_id, intervals, sealed_reason)] = rows
        reason = keyring().decrypt(sealed_reason).decode()
        # What is stored is one writer's body whole, never a mix of two.
        assert {"intervals": intervals, "reason": reason} in bodies
        assert manager.get(path).json()["reason"] == reason
        creates = live_backend.query(
            "SELECT count(*) FROM auditlog_logentry l JOIN django_content_type c ON c.id = l.content_type_id"
            " WHERE c.model = 'workinghoursoverride' AND l.object_pk = %s AND l.action = 0",
            str(override_id),
        )
        assert creates == [(1,)]


def test_concurrent_redeliveries_queue_the_event_once(live_backend: LiveBackend) -> None:
    staff, admin = live_backend.api("staff@acme.test"), live_backend.api("admin@acme.test")
    contact = staff.post("/contacts", json={"first_name": f"Redeliver{uuid.uuid4().hex[:8]}"}).json()
    [(event_id,)] = live_backend.query(
        "SELECT id FROM events_event WHERE subject_id = %s AND type = 'contact.created'", contact["id"]
    )
    # As a drain would have left them: every delivery refused for good.
    live_backend.query(
        "UPDATE events_delivery SET status = 'failed', attempts = 1 WHERE event_id = %s RETURNING id",
        event_id,
    )
    answers = all_at_once([lambda: admin.post(f"/events/{event_id}/redeliver") for _ in range(10)])
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [409] * 9, [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"delivery_in_progress"}
    [winner] = [a.json() for a in answers if a.status_code == 200]
    deliveries = live_backend.query("SELECT count(*) FROM events_delivery WHERE event_id = %s", event_id)
    assert [(len(winner["redelivered"]),)] == deliveries
    assert {d["status"] for d in winner["redelivered"]} == {"pending"}
    changes = live_backend.query(
        "SELECT count(*) FROM auditlog_logentry l JOIN django_content_type c ON c.id = l.content_type_id"
        " JOIN events_delivery d ON d.id::text = l.object_pk"
        " WHERE c.model = 'delivery' AND d.event_id = %s AND l.action = 1",
        event_id,
    )
    assert changes == deliveries  # one audited change per delivery, not one per request


def test_concurrent_sends_with_one_dedupe_key_notify_once(live_backend: LiveBackend) -> None:
    admin = live_backend.api("admin@acme.test")
    staff = live_backend.api("staff@acme.test").get("/me").json()["user"]["subject"]
    for _ in range(ROUNDS):
        _dedupe_round(live_backend, admin=admin, recipient=staff)


def _dedupe_round(live: LiveBackend, *, admin: httpx.Client, recipient: str) -> None:
    """Two sends of one dedupe key, both past their look-up for earlier sends before either inserts.

    A table lock held here lets both requests read "not sent yet" and then wait at their insert
    of the dedupe record; released, one commits and the other meets the unique constraint, so
    the loser's answer comes from the service's `IntegrityError` branch (without it: a 500).
    """
    key = f"race-{uuid.uuid4().hex}"
    body = {"recipient_ids": [recipient], "category": "booking", "title": "Once", "dedupe_key": key}
    with psycopg.connect(live.database_url) as locker:
        locker.execute("LOCK TABLE notifications_notificationdispatch IN SHARE MODE")
        with ThreadPoolExecutor(max_workers=2) as pool:
            barrier = threading.Barrier(2)

            def send() -> httpx.Response:
                barrier.wait(timeout=30)
                return admin.post("/notifications", json=body)

            futures = [pool.submit(send) for _ in range(2)]
            wait_until(lambda: _waiting_on(live, "notifications_notificationdispatch") == 2, timeout=30)
            locker.rollback()
            answers = [f.result() for f in futures]
    assert sorted(a.status_code for a in answers) == [200, 201], [a.text for a in answers]
    first, replay = sorted(answers, key=lambda a: a.status_code, reverse=True)
    assert replay.json()["items"] == first.json()["items"]
    [item] = first.json()["items"]
    rows = live.query(
        "SELECT n.id, d.channels FROM notifications_notification n JOIN notifications_notificationdispatch d"
        " ON d.notification_id = n.id WHERE n.dedupe_key = %s",
        key,
    )
    assert [(str(i), c) for i, c in rows] == [(item["id"], ["email", "in_app"])]
    events = _events(live, item["id"])
    assert [(type_, data["channel"]) for type_, data in events] == [("notification.requested", "email")]


def _waiting_on(live: LiveBackend, table: str) -> int:
    """Connections waiting for a lock on `table` (the requests stopped at their insert)."""
    [(count,)] = live.query(
        "SELECT count(*) FROM pg_locks WHERE relation = %s::regclass AND NOT granted", table
    )
    return int(count)
