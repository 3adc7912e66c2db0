"""The outbox: written only inside a transaction with its job, drained in order, every attempt kept."""

import json
import logging
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from apps.outbox.delivery import encode_body, envelope, outbox_drain
from apps.outbox.exceptions import NotOurEventType, OutboxOutsideTransaction
from apps.outbox.models import OutboxAttempt, OutboxEvent
from apps.outbox.services import DELIVER_TASK, outbox_add
from apps.outbox.tasks import deliver_events
from hubkit.events import EventEnvelope
from hubkit.testing import free_port

pytestmark = pytest.mark.django_db

ORG = uuid.uuid4()


def notice_data(kind: str = "mfa_enabled") -> dict[str, Any]:
    return {
        "notice_id": uuid.uuid4(),
        "kind": kind,
        "recipient": {"name": "Mia", "email": "mia@example.org"},
        "created_at": timezone.now(),
    }


def add(kind: str = "mfa_enabled", **extra: Any) -> OutboxEvent:
    with transaction.atomic():
        return outbox_add(
            type="security.notice_requested",
            organization_id=ORG,
            subject_type="user",
            subject_id=uuid.uuid4(),
            data=notice_data(kind),
            **extra,
        )


def jobs() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT task_name FROM procrastinate_jobs WHERE status = 'todo' ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)  # outside the test's own transaction
def test_an_event_is_written_only_inside_a_transaction() -> None:
    with pytest.raises(OutboxOutsideTransaction):
        outbox_add(
            type="security.notice_requested",
            organization_id=ORG,
            subject_type="user",
            subject_id="u",
            data=notice_data(),
        )
    assert OutboxEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("event_type", "data"),
    [
        ("contact.created", {"contact": {}}),
        ("no.such_type", {}),
        ("security.notice_requested", {"kind": "mfa_enabled"}),
    ],
)
def test_only_identitys_registered_types_with_their_fields_are_written(
    event_type: str, data: dict[str, Any]
) -> None:
    with pytest.raises(NotOurEventType), transaction.atomic():
        outbox_add(type=event_type, organization_id=ORG, subject_type="user", subject_id="u", data=data)
    assert OutboxEvent.objects.count() == 0


@transaction.atomic
def add_then_fail() -> None:
    add()
    raise RuntimeError("rolled back")


def test_the_delivery_job_joins_the_events_transaction() -> None:
    add()
    assert jobs() == [DELIVER_TASK]
    with pytest.raises(RuntimeError, match="rolled back"):
        add_then_fail()
    assert OutboxEvent.objects.count() == 1
    assert jobs() == [DELIVER_TASK]


def test_the_body_is_the_hubs_envelope_with_the_secret_values_put_back() -> None:
    event = add(secret_data={"extra_secret": "s3cret-value"})
    assert "s3cret-value" not in json.dumps(event.data) + event.secret_data_encrypted
    body = envelope(event)
    parsed = EventEnvelope.model_validate_json(encode_body(body))
    assert parsed.id == event.event_id
    assert parsed.type == "security.notice_requested"
    assert parsed.organization_id == ORG
    assert parsed.data["extra_secret"] == "s3cret-value"
    assert parsed.data["kind"] == "mfa_enabled"


def test_unreachable_receiver_retries_in_order_then_the_event_dies(settings: Any) -> None:
    settings.EVENT_WEBHOOK_URL = f"http://127.0.0.1:{free_port()}/api/v1/events"  # nothing listens
    settings.EVENT_DELIVERY_MAX_ATTEMPTS = 2
    settings.EVENT_DELIVERY_TIMEOUT_SECONDS = 2
    first = add(secret_data={"extra_secret": "wiped-once-dead"})
    second = add("mfa_setup_started")

    report = outbox_drain()
    first.refresh_from_db()
    assert report.by_status == {"pending": 1}
    assert first.status == OutboxEvent.Status.PENDING
    assert first.attempts == 1
    assert first.last_status_code is None
    assert "Connect" in first.last_error
    assert first.next_attempt_at is not None
    assert first.next_attempt_at > timezone.now()
    assert report.next_attempt_at == first.next_attempt_at
    # The head waits for its retry, and the event behind it waits too: order is kept.
    assert outbox_drain().attempts == 0
    assert OutboxAttempt.objects.filter(event=second).count() == 0
    # Drains finding it waiting schedule one wake-up for the retry, not one each.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")
    deliver_events()
    deliver_events()
    with connection.cursor() as cursor:
        cursor.execute("SELECT scheduled_at FROM procrastinate_jobs WHERE status = 'todo'")
        assert [row[0] for row in cursor.fetchall()] == [first.next_attempt_at]

    OutboxEvent.objects.filter(id=first.id).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    outbox_drain()
    first.refresh_from_db()
    assert first.status == OutboxEvent.Status.DEAD
    assert first.attempts == 2
    assert first.secret_data_encrypted == ""
    assert OutboxAttempt.objects.filter(event=first).count() == 2
    # A dead event no longer holds the line back.
    assert OutboxAttempt.objects.filter(event=second).count() == 1


def test_a_refusal_other_than_408_409_429_is_final(settings: Any, live_server: Any) -> None:
    settings.EVENT_WEBHOOK_URL = live_server.url + "/api/v1/no-such-receiver"
    event = add()
    report = outbox_drain()
    event.refresh_from_db()
    assert report.by_status == {"failed": 1}
    assert event.status == OutboxEvent.Status.FAILED
    assert event.last_status_code == 404
    assert event.next_attempt_at is None
    assert list(OutboxAttempt.objects.filter(event=event).values_list("status_code", flat=True)) == [404]


class _Accepting(BaseHTTPRequestHandler):
    """A receiver answering every POST with 204."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the name overridden
        pass


@pytest.fixture
def accepting_receiver(settings: Any) -> Iterator[None]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Accepting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EVENT_WEBHOOK_URL = f"http://127.0.0.1:{server.server_port}/api/v1/events"
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def _outbox_lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name.startswith("apps.outbox")]


def test_a_drain_of_delivered_events_is_logged_at_debug_with_plain_statuses(
    accepting_receiver: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="apps.outbox")
    add()
    add("mfa_setup_started")
    deliver_events()

    lines = _outbox_lines(caplog)
    assert OutboxEvent.objects.filter(status=OutboxEvent.Status.DELIVERED).count() == 2
    assert {level for level, _ in lines} == {logging.DEBUG}  # routine: nothing at INFO or above
    assert (logging.DEBUG, "outbox: 2 attempt(s) delivered=2") in lines
    assert not any("Status" in message for _, message in lines)


def test_a_drain_with_a_refusal_is_logged_at_info_with_plain_statuses(
    settings: Any, live_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.EVENT_WEBHOOK_URL = live_server.url + "/api/v1/no-such-receiver"
    caplog.set_level(logging.DEBUG, logger="apps.outbox")
    event = add()
    deliver_events()

    lines = _outbox_lines(caplog)
    assert (logging.INFO, "outbox: 1 attempt(s) failed=1") in lines
    assert (logging.WARNING, f"event {event.type} {event.event_id}: attempt 1 failed (404)") in lines
    assert not any("Status" in message for _, message in lines)
