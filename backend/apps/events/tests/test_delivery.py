"""Delivery of outbox events: signing, recording, retry classification, backoff, redelivery.

The receiver here is a small scripted HTTP server on 127.0.0.1 so each status-code path is
exercised deterministically; the end-to-end tests in backend/tests/ use the real services.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from auditlog.models import LogEntry
from django.db import connection, transaction

from apps.core.tests.factories import ROLE_EMAILS, client_as
from apps.events.clients.webhook import encode_body
from apps.events.delivery import backoff_seconds, delivery_attempt
from apps.events.envelope import event_envelope
from apps.events.models import Delivery, DeliveryAttempt, Event
from apps.events.services import delivery_lock, publish
from apps.events.tasks import DeliveryRetry, RetryDelivery, deliver_event
from apps.identity.models import Organization
from hubkit.request_id import set_request_id
from hubkit.testing import IdentityService, free_port
from hubkit.webhooks import verify_webhook

SECRET = "dev-insecure-test-receiver-secret"
ACME = "0a0e0000-0000-4000-8000-000000000001"
pytestmark = pytest.mark.django_db


@dataclass
class Receiver:
    url: str
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status, headers = state.script.pop(0) if state.script else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/api/v1/events"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def subscribed(settings: Any, receiver: Receiver) -> Receiver:
    settings.EVENT_SUBSCRIPTIONS = [
        {"name": "probe", "url": receiver.url, "types": ["contact.*"], "secrets": [SECRET]},
        {"name": "other", "url": receiver.url, "types": ["booking.*"], "secrets": [SECRET]},
    ]
    settings.EVENT_DELIVERY_BACKOFF_BASE_SECONDS = 2.0
    settings.EVENT_DELIVERY_MAX_ATTEMPTS = 4
    return receiver


def _org() -> Organization:
    return Organization.objects.get_or_create(id=ACME)[0]


def _publish(subject_id: str = "c-1", type_: str = "contact.created") -> Event:
    set_request_id("corr-test-0001")
    try:
        with transaction.atomic():
            return publish(
                organization=_org(), type=type_, subject_type="contact", subject_id=subject_id,
                data={"first_name": "Ada"}, actor=None,
            )  # fmt: skip
    finally:
        set_request_id(None)


def _jobs() -> list[tuple[str, str, dict[str, Any]]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT task_name, lock, args FROM procrastinate_jobs ORDER BY id")
        return [
            (name, lock, json.loads(args) if isinstance(args, str) else args)
            for name, lock, args in cursor.fetchall()
        ]


def test_publish_queues_one_job_per_matching_subscriber(subscribed: Receiver) -> None:
    event = _publish()
    [delivery] = Delivery.objects.for_organization(_org()).filter(event=event)
    assert (delivery.destination, delivery.status, delivery.attempts) == ("probe", "pending", 0)
    assert _jobs() == [("events.deliver", "events:probe:contact:c-1", {"delivery_id": str(delivery.id)})]


def test_a_rolled_back_change_leaves_no_event_delivery_or_job(subscribed: Receiver) -> None:
    def failing_change() -> None:
        with transaction.atomic():
            publish(organization=_org(), type="contact.created", subject_type="contact", subject_id="x",
                    data={}, actor=None)  # fmt: skip
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert not Event.all_tenants.exists()
    assert not Delivery.all_tenants.exists()
    assert _jobs() == []


def test_locks_are_per_subscriber_and_subject(subscribed: Receiver) -> None:
    a1, a2, b = _publish("a"), _publish("a", "contact.updated"), _publish("b")
    locks = [delivery_lock(Delivery.all_tenants.get(event=e)) for e in (a1, a2, b)]
    assert locks[0] == locks[1] != locks[2]


def test_an_attempt_posts_the_signed_envelope_and_records_it(subscribed: Receiver) -> None:
    event = _publish()
    delivery = Delivery.all_tenants.get(event=event)
    outcome = delivery_attempt(delivery_id=str(delivery.id))
    assert (outcome.status, outcome.retry_in_seconds) == ("delivered", None)
    [(headers, body)] = subscribed.received
    assert body == encode_body(event_envelope(event))
    assert verify_webhook(body=body, headers=headers, secrets=[SECRET]) == str(event.id)
    assert headers["x-request-id"] == "corr-test-0001"
    assert json.loads(body)["type"] == "contact.created"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None
    [attempt] = DeliveryAttempt.all_tenants.filter(delivery=delivery)
    assert (attempt.number, attempt.status_code, attempt.outcome) == (1, 200, "delivered")
    assert attempt.duration_ms > 0
    # The attempt is on the audit trail with the event's correlation id; queuing was not.
    entry = LogEntry.objects.get(object_pk=str(attempt.pk))
    assert entry.cid == "corr-test-0001"
    assert not LogEntry.objects.filter(object_pk=str(delivery.pk)).exists()
    # A finished delivery is not sent twice, whoever runs the job again.
    assert delivery_attempt(delivery_id=str(delivery.id)).status == "delivered"
    assert len(subscribed.received) == 1


def test_retryable_failures_back_off_then_succeed(subscribed: Receiver) -> None:
    subscribed.script = [(500, {}), (429, {"Retry-After": "7"}), (200, {})]
    delivery = Delivery.all_tenants.get(event=_publish())
    first = delivery_attempt(delivery_id=str(delivery.id))
    assert first.status == "pending"
    assert first.retry_in_seconds is not None
    assert 1.0 <= first.retry_in_seconds <= 2.0
    second = delivery_attempt(delivery_id=str(delivery.id))
    assert second.retry_in_seconds is not None
    assert second.retry_in_seconds >= 7
    assert delivery_attempt(delivery_id=str(delivery.id)).status == "delivered"
    attempts = DeliveryAttempt.all_tenants.filter(delivery=delivery).order_by("number")
    assert [(a.status_code, a.outcome) for a in attempts] == [
        (500, "retry"),
        (429, "retry"),
        (200, "delivered"),
    ]
    # Every attempt carried the same webhook-id: the receiver can deduplicate.
    assert len({h["webhook-id"] for h, _ in subscribed.received}) == 1


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_other_client_errors_are_final(subscribed: Receiver, status: int) -> None:
    subscribed.script = [(status, {})]
    delivery = Delivery.all_tenants.get(event=_publish())
    outcome = delivery_attempt(delivery_id=str(delivery.id))
    assert (outcome.status, outcome.retry_in_seconds) == ("failed", None)
    delivery.refresh_from_db()
    assert (delivery.last_status_code, delivery.attempts) == (status, 1)


@pytest.mark.parametrize("status", [408, 409, 503])
def test_timeouts_conflicts_and_unavailability_retry(subscribed: Receiver, status: int) -> None:
    subscribed.script = [(status, {})]
    delivery = Delivery.all_tenants.get(event=_publish())
    assert delivery_attempt(delivery_id=str(delivery.id)).status == "pending"


def test_an_unreachable_receiver_ends_dead_after_the_last_attempt(
    subscribed: Receiver, settings: Any
) -> None:
    settings.EVENT_SUBSCRIPTIONS[0]["url"] = f"http://127.0.0.1:{free_port()}/api/v1/events"
    delivery = Delivery.all_tenants.get(event=_publish())
    statuses = [delivery_attempt(delivery_id=str(delivery.id)).status for _ in range(4)]
    assert statuses == ["pending", "pending", "pending", "dead"]
    delivery.refresh_from_db()
    assert delivery.last_status_code is None
    assert "ConnectError" in delivery.last_error
    assert delivery.next_attempt_at is None


def test_the_task_asks_the_queue_to_retry_after_the_computed_delay(subscribed: Receiver) -> None:
    subscribed.script = [(503, {"Retry-After": "30"})]
    delivery = Delivery.all_tenants.get(event=_publish())
    with pytest.raises(RetryDelivery) as raised:
        deliver_event(delivery_id=str(delivery.id))
    assert raised.value.seconds >= 30
    decision = DeliveryRetry().get_retry_decision(exception=raised.value, job=None)  # type: ignore[arg-type]
    assert decision is not None
    assert decision.retry_at is not None
    # Anything else (a bug) is not retried blindly: the job fails visibly.
    assert DeliveryRetry().get_retry_decision(exception=ValueError(), job=None) is None  # type: ignore[arg-type]


def test_backoff_grows_exponentially_with_jitter_and_a_cap(settings: Any) -> None:
    settings.EVENT_DELIVERY_BACKOFF_BASE_SECONDS = 2.0
    settings.EVENT_DELIVERY_BACKOFF_MAX_SECONDS = 60.0
    for attempt, ceiling in [(1, 2), (2, 4), (3, 8), (5, 32), (9, 60)]:
        delays = [backoff_seconds(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), attempt
        assert len(set(delays)) > 100  # jittered, not lock-step
    assert backoff_seconds(1, retry_after=45) >= 45
    assert backoff_seconds(1, retry_after=10_000) <= 60


def test_admins_see_deliveries_filter_by_status_and_redeliver(
    subscribed: Receiver, settings: Any, identity_service: IdentityService
) -> None:
    settings.EVENT_SUBSCRIPTIONS[0]["url"] = f"http://127.0.0.1:{free_port()}/api/v1/events"
    settings.EVENT_DELIVERY_MAX_ATTEMPTS = 1
    event = _publish()
    delivery = Delivery.all_tenants.get(event=event)
    assert delivery_attempt(delivery_id=str(delivery.id)).status == "dead"

    admin = client_as(identity_service, ROLE_EMAILS["admin"])
    detail = admin.get(f"/api/v1/events/{event.id}").json()
    assert [(d["destination"], d["status"], d["attempts"]) for d in detail["deliveries"]] == [
        ("probe", "dead", 1)
    ]
    assert [e["id"] for e in admin.get("/api/v1/events?status=dead").json()["items"]] == [str(event.id)]
    assert admin.get("/api/v1/events?status=delivered").json()["items"] == []
    assert admin.get("/api/v1/events?status=lost").status_code == 422

    assert (
        client_as(identity_service, ROLE_EMAILS["staff"])
        .post(f"/api/v1/events/{event.id}/redeliver")
        .status_code
        == 403
    )
    globex = client_as(identity_service, "owner@globex.test")
    assert globex.post(f"/api/v1/events/{event.id}/redeliver").status_code == 404

    settings.EVENT_SUBSCRIPTIONS[0]["url"] = subscribed.url
    jobs_before = len(_jobs())
    response = admin.post(f"/api/v1/events/{event.id}/redeliver")
    assert response.status_code == 200, response.content
    assert [(d["status"], d["attempts"]) for d in response.json()["redelivered"]] == [("pending", 0)]
    assert len(_jobs()) == jobs_before + 1
    # The admin's redelivery is on the audit trail, with the admin as actor.
    [entry] = LogEntry.objects.filter(object_pk=str(delivery.pk), actor__email=ROLE_EMAILS["admin"])
    assert entry.changes_dict["status"] == ["dead", "pending"]
    # While it is pending again, another redelivery would only duplicate work.
    assert admin.post(f"/api/v1/events/{event.id}/redeliver").status_code == 409
    assert delivery_attempt(delivery_id=str(delivery.id)).status == "delivered"
    assert admin.get("/api/v1/events?status=delivered").json()["items"][0]["id"] == str(event.id)
