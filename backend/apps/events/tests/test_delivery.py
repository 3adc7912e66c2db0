"""Delivery of outbox events: drains, signing, recording, order per line, retries, redelivery.

The receiver here is a small scripted HTTP server on 127.0.0.1 so each status-code path is
exercised deterministically; the end-to-end tests in backend/tests/ use the real services.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from auditlog.models import LogEntry
from django.db import connection, connections, transaction
from django.test import Client
from django.utils import timezone
from procrastinate.contrib.django import app
from prometheus_client.parser import text_string_to_metric_families

from apps.events.clients.webhook import SendResult, encode_body
from apps.events.delivery import DrainReport, _ready_batch, _record, delivery_sweep, drain
from apps.events.envelope import event_envelope
from apps.events.lines import SHARDS, line_shard, subject_line
from apps.events.models import Delivery, DeliveryAttempt, Event
from apps.events.sending import attempt_outcome, backoff_seconds
from apps.events.services import publish
from apps.events.tasks import DrainRetry, drain_deliveries, retry_stalled
from apps.events.tests.factories import contact_data, contact_updated_data
from apps.events.wakeups import DRAINING, advisory_key, drain_queueing_lock
from apps.identity.models import Organization
from hubkit.request_id import set_request_id
from hubkit.testing import IdentityService, all_at_once, free_port
from hubkit.webhooks import verify_webhook
from tests.factories import ROLE_EMAILS, client_as

SECRET = "dev-insecure-test-receiver-secret"
ACME = "0a0e0000-0000-4000-8000-000000000001"
pytestmark = pytest.mark.django_db


@dataclass
class Receiver:
    url: str
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)  # webhook-ids answered with 503
    # Runs while a POST is being answered, before its answer is sent (a worker racing this drain).
    while_answering: Callable[[], None] | None = None

    def types_in_order(self) -> list[tuple[str, str]]:
        return [(json.loads(b)["subject"]["id"], json.loads(b)["type"]) for _, b in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            status, headers = state.script.pop(0) if state.script else (200, {})
            if self.headers["webhook-id"] in state.failing:
                status, headers = 503, {}
            if state.while_answering is not None:
                state.while_answering()
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


@pytest.fixture(autouse=True)
def _no_jobs_left_over() -> None:
    """Transactional tests commit: procrastinate's table is not among those Django flushes."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")


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


def _data(type_: str) -> dict[str, Any]:
    """Valid `data` for the contact type published."""
    if type_ == "contact.erased":
        return {"contact_id": str(uuid.uuid4()), "erased_at": timezone.now().isoformat()}
    if type_ == "contact.updated":
        return contact_updated_data(changed=["first_name"])
    return contact_data()


def _publish(subject_id: str = "c-1", type_: str = "contact.created") -> Event:
    set_request_id("corr-test-0001")
    try:
        with transaction.atomic():
            return publish(
                organization=_org(),
                type=type_,
                subject_type="contact",
                subject_id=subject_id,
                data=_data(type_),
                actor=None,
            )
    finally:
        set_request_id(None)


def _jobs() -> list[tuple[str, str | None, dict[str, Any]]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT task_name, queueing_lock, args FROM procrastinate_jobs ORDER BY id")
        return [
            (name, lock, json.loads(args) if isinstance(args, str) else args)
            for name, lock, args in cursor.fetchall()
        ]


def _drain(destination: str = "probe", subject_id: str = "c-1") -> DrainReport:
    return drain(destination=destination, shard=line_shard(subject_line("contact", subject_id)))


def _time_passes() -> None:
    """Every waiting retry is due now."""
    Delivery.all_tenants.filter(next_attempt_at__isnull=False).update(next_attempt_at=timezone.now())


def _drain_all(destination: str = "probe") -> int:
    return sum(drain(destination=destination, shard=shard).attempts for shard in range(SHARDS))


def test_publish_queues_one_drain_job_per_matching_subscriber(subscribed: Receiver) -> None:
    event = _publish()
    [delivery] = Delivery.objects.for_organization(_org()).filter(event=event)
    assert (delivery.destination, delivery.status, delivery.attempts) == ("probe", "pending", 0)
    assert (delivery.line, delivery.shard) == ("contact:c-1", line_shard("contact:c-1"))
    lock = drain_queueing_lock("probe", delivery.shard)
    assert _jobs() == [("events.drain", lock, {"destination": "probe", "shard": delivery.shard})]
    # While that job waits, it serves later events of its shard too: no job per event.
    _publish(type_="contact.updated")
    assert len(_jobs()) == 1


def test_a_rolled_back_change_leaves_no_event_delivery_or_job(subscribed: Receiver) -> None:
    def failing_change() -> None:
        with transaction.atomic():
            publish(
                organization=_org(),
                type="contact.created",
                subject_type="contact",
                subject_id="x",
                data=contact_data(),
                actor=None,
            )
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        failing_change()
    assert not Event.all_tenants.exists()
    assert not Delivery.all_tenants.exists()
    assert _jobs() == []


def test_lines_are_per_subject_and_positions_follow_publishing(subscribed: Receiver) -> None:
    a1, a2, b = _publish("a"), _publish("a", "contact.updated"), _publish("b")
    d1, d2, d3 = (Delivery.all_tenants.get(event=e) for e in (a1, a2, b))
    assert d1.line == d2.line != d3.line
    assert d1.position < d2.position < d3.position


def test_a_drain_posts_the_signed_envelope_and_records_it(subscribed: Receiver) -> None:
    event = _publish()
    delivery = Delivery.all_tenants.get(event=event)
    report = _drain()
    assert (report.attempts, report.by_status, report.busy) == (1, {"delivered": 1}, False)
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
    assert (entry.cid, entry.action) == ("corr-test-0001", LogEntry.Action.CREATE)
    assert entry.changes_dict["outcome"] == [None, "delivered"]
    assert entry.additional_data == {"organization_id": ACME}
    assert not LogEntry.objects.filter(object_pk=str(delivery.pk)).exists()
    # A finished delivery is not sent twice, whoever drains again.
    assert _drain().attempts == 0
    assert len(subscribed.received) == 1


def test_retryable_failures_back_off_then_succeed(subscribed: Receiver) -> None:
    subscribed.script = [(500, {}), (429, {"Retry-After": "7"}), (200, {})]
    delivery = Delivery.all_tenants.get(event=_publish())
    # The delay is drawn when the attempt fails, somewhere between these two instants: bounding
    # it by both keeps the check exact however slowly the drain runs.
    before = timezone.now()
    assert _drain().by_status == {"pending": 1}
    after = timezone.now()
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None
    assert before + timedelta(seconds=1.0) <= delivery.next_attempt_at <= after + timedelta(seconds=2.0)
    # Not due yet: draining now sends nothing.
    assert _drain().attempts == 0
    _time_passes()
    before = timezone.now()
    assert _drain().by_status == {"pending": 1}
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None
    assert delivery.next_attempt_at >= before + timedelta(seconds=7)  # the receiver's Retry-After
    _time_passes()
    assert _drain().by_status == {"delivered": 1}
    attempts = DeliveryAttempt.all_tenants.filter(delivery=delivery).order_by("number")
    assert [(a.status_code, a.outcome) for a in attempts] == [
        (500, "retry"),
        (429, "retry"),
        (200, "delivered"),
    ]
    # Every attempt carried the same webhook-id: the receiver can deduplicate.
    assert len({h["webhook-id"] for h, _ in subscribed.received}) == 1


def test_a_retry_has_a_wake_up_job_due_when_it_is(subscribed: Receiver) -> None:
    subscribed.script = [(503, {"Retry-After": "30"})]
    delivery = Delivery.all_tenants.get(event=_publish())
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")  # the drain below is that job, running
    before = timezone.now()  # the receiver answers after this instant: its 30 s count from later
    report = _drain()
    delivery.refresh_from_db()
    assert report.next_wake_at == delivery.next_attempt_at
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT queueing_lock, scheduled_at FROM procrastinate_jobs"
            " WHERE status = 'todo' AND scheduled_at IS NOT NULL"
        )
        [(lock, scheduled_at)] = cursor.fetchall()
    # Not the queueing lock of immediate drains: new events must not wait for this retry.
    assert lock is None
    assert scheduled_at == delivery.next_attempt_at
    assert scheduled_at >= before + timedelta(seconds=30)  # the receiver's Retry-After, in full


@pytest.mark.parametrize("status", [400, 401, 404, 410, 422])
def test_other_client_errors_are_final(subscribed: Receiver, status: int) -> None:
    subscribed.script = [(status, {})]
    delivery = Delivery.all_tenants.get(event=_publish())
    assert _drain().by_status == {"failed": 1}
    delivery.refresh_from_db()
    assert (delivery.last_status_code, delivery.attempts, delivery.next_attempt_at) == (status, 1, None)


@pytest.mark.parametrize("status", [408, 409, 503])
def test_timeouts_conflicts_and_unavailability_retry(subscribed: Receiver, status: int) -> None:
    subscribed.script = [(status, {})]
    _publish()
    assert _drain().by_status == {"pending": 1}


def test_an_unreachable_receiver_ends_dead_after_the_last_attempt(
    subscribed: Receiver, settings: Any
) -> None:
    settings.EVENT_SUBSCRIPTIONS[0]["url"] = f"http://127.0.0.1:{free_port()}/api/v1/events"
    delivery = Delivery.all_tenants.get(event=_publish())
    statuses: list[str] = []
    for _ in range(4):
        statuses.extend(_drain().by_status)
        _time_passes()
    assert statuses == ["pending", "pending", "pending", "dead"]
    delivery.refresh_from_db()
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("ClientConnectorError: Cannot connect to host 127.0.0.1")
    assert delivery.next_attempt_at is None


def test_a_line_waits_for_its_retry_other_lines_do_not(subscribed: Receiver) -> None:
    a1 = _publish("a")
    a2 = _publish("a", "contact.updated")
    b = _publish("b")
    subscribed.failing = {str(a1.id)}
    assert _drain_all() == 2  # a1 (to be retried) and b; a2 waits behind a1
    statuses = {e.type + ":" + e.subject_id: Delivery.all_tenants.get(event=e) for e in (a1, a2, b)}
    assert [(d.status, d.attempts) for d in statuses.values()] == [
        ("pending", 1),
        ("pending", 0),
        ("delivered", 1),
    ]
    # A later event of the waiting line still waits; a new line does not.
    _publish("a", "contact.erased")
    _publish("c")
    assert _drain_all() == 1
    subscribed.failing = set()
    _time_passes()
    assert _drain_all() == 3
    assert [s for s in subscribed.types_in_order() if s[0] == "a"] == [
        ("a", "contact.created"),  # refused once
        ("a", "contact.created"),
        ("a", "contact.updated"),
        ("a", "contact.erased"),
    ]


def test_a_second_drainer_of_a_shard_leaves_at_once(subscribed: Receiver) -> None:
    _publish()
    shard = line_shard("contact:c-1")
    other = connections.create_connection("default")  # another session holds the shard
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", advisory_key(DRAINING, "probe", shard))
        report = drain(destination="probe", shard=shard)
        assert (report.busy, report.attempts, subscribed.received) == (True, 0, [])
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", advisory_key(DRAINING, "probe", shard))
        assert drain(destination="probe", shard=shard).attempts == 1
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
def test_a_drain_does_not_finish_before_an_in_flight_publisher_commits(subscribed: Receiver) -> None:
    """A publisher that relied on a waiting job: that job's drain sees its event before leaving."""
    _publish("early")
    published = threading.Event()
    release = threading.Event()

    def slow_publisher() -> None:
        try:
            with transaction.atomic():
                publish(
                    organization=_org(),
                    type="contact.updated",
                    subject_type="contact",
                    subject_id="early",
                    data=_data("contact.updated"),
                    actor=None,
                )
                published.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=slow_publisher)
    thread.start()
    assert published.wait(10)
    assert len(_jobs()) == 1  # the publisher found the waiting job and queued none of its own
    threading.Timer(0.5, release.set).start()
    started = time.monotonic()
    report = _drain(subject_id="early")
    thread.join(10)
    assert report.attempts == 2
    assert time.monotonic() - started >= 0.4
    assert [t for _, t in subscribed.types_in_order()] == ["contact.created", "contact.updated"]


def test_the_sweep_wakes_a_shard_left_waiting(subscribed: Receiver) -> None:
    event = _publish()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")  # as if its job had failed for good
    assert delivery_sweep(older_than_seconds=30) == 0  # too recent to call it stuck
    Delivery.all_tenants.filter(event=event).update(created_at=timezone.now() - timedelta(minutes=5))
    assert delivery_sweep(older_than_seconds=30) == 1
    shard = line_shard("contact:c-1")
    assert _jobs() == [
        ("events.drain", drain_queueing_lock("probe", shard), {"destination": "probe", "shard": shard})
    ]


def test_the_sweep_leaves_deliveries_that_wait_behind_a_retry(subscribed: Receiver) -> None:
    first, second = _publish(), _publish(type_="contact.updated")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")
    old = timezone.now() - timedelta(minutes=5)
    retry_at = timezone.now() + timedelta(minutes=5)
    Delivery.all_tenants.filter(event=first).update(created_at=old, attempts=1, next_attempt_at=retry_at)
    Delivery.all_tenants.filter(event=second).update(created_at=old)
    assert delivery_sweep(older_than_seconds=30) == 0  # its line waits for the retry, as it should
    assert _jobs() == []


def test_a_failed_drain_job_is_retried_with_a_capped_backoff() -> None:
    """Each failure waits longer than the one before, up to a minute, and then a minute each time."""

    class FakeJob:
        attempts = 0

    cap = timedelta(minutes=1)
    job = FakeJob()
    # Per failure, the instants around the decision: the delay is drawn between them, so the retry
    # is due between `before + delay` and `after + delay`, however slowly the decision runs.
    shortest, longest, capped = [], [], []
    for attempts in range(25):
        job.attempts = attempts
        before = timezone.now()
        decision = DrainRetry().get_retry_decision(exception=RuntimeError("db down"), job=job)  # type: ignore[arg-type]
        after = timezone.now()
        assert decision is not None
        assert decision.retry_at is not None
        # Never at once, never later than the cap.
        assert before < decision.retry_at <= after + cap, attempts
        shortest.append(decision.retry_at - after)
        longest.append(decision.retry_at - before)
        capped.append(decision.retry_at >= before + cap)
    assert any(capped), "the backoff never reaches its cap"
    capped_from = capped.index(True)
    assert capped_from > 0, "the first retry already waits the full cap"
    # Once at the cap it stays there, however many attempts failed.
    assert all(capped[capped_from:]), capped
    # Until the cap, every failure waits strictly longer than the one before.
    for n in range(capped_from):
        assert shortest[n + 1] > longest[n], n


def _waits(attempts: range, draws: int = 200) -> dict[int, list[float]]:
    return {n: [backoff_seconds(n) for _ in range(draws)] for n in attempts}


def test_backoff_grows_until_its_cap_and_its_jitter_stays_in_bounds(settings: Any) -> None:
    settings.EVENT_DELIVERY_BACKOFF_BASE_SECONDS = 2.0
    settings.EVENT_DELIVERY_BACKOFF_MAX_SECONDS = 60.0
    waits = _waits(range(1, 16))
    # Never at once, never longer than the cap, however many attempts failed.
    assert all(0 < w <= 60 for ws in waits.values() for w in ws)
    # While doubling stays under the cap (2 s doubled four times is 32 s), a later retry never
    # waits less than any earlier one: the jitter of one step does not reach into the next.
    for n in range(1, 5):
        assert min(waits[n + 1]) >= max(waits[n]), n
    assert max(waits[1]) <= 2
    assert min(waits[5]) >= 8
    # At the cap, the waits stay in the cap's upper half.
    assert all(30 <= w <= 60 for n in range(7, 16) for w in waits[n])
    # Jittered (retries of many deliveries spread out), but each wait at least half its step's longest.
    for n, ws in waits.items():
        assert len(set(ws)) > 100, n
        assert min(ws) >= max(ws) / 2, n


def test_a_receiver_that_stays_down_is_retried_for_the_documented_horizon(settings: Any) -> None:
    """With the default settings: 8.5 to 17 minutes of waits before the last attempt (docs/events.md)."""
    retries = range(1, settings.EVENT_DELIVERY_MAX_ATTEMPTS)  # the waits between the attempts
    horizons = [sum(backoff_seconds(n) for n in retries) for _ in range(200)]
    assert all(8.5 * 60 <= h <= 17 * 60 for h in horizons)
    assert max(horizons) - min(horizons) > 60  # the jitter adds up; retries do not move in lock-step


def test_backoff_honours_retry_after_up_to_the_cap(settings: Any) -> None:
    settings.EVENT_DELIVERY_BACKOFF_BASE_SECONDS = 2.0
    settings.EVENT_DELIVERY_BACKOFF_MAX_SECONDS = 60.0
    assert all(backoff_seconds(1, retry_after=45) >= 45 for _ in range(50))
    assert all(backoff_seconds(1, retry_after=10_000) <= 60 for _ in range(50))
    assert all(backoff_seconds(3, retry_after=0) >= 4 for _ in range(50))  # "now" still backs off


def test_a_removed_subscription_fails_its_deliveries_for_good(subscribed: Receiver, settings: Any) -> None:
    delivery = Delivery.all_tenants.get(event=_publish())
    settings.EVENT_SUBSCRIPTIONS = settings.EVENT_SUBSCRIPTIONS[1:]
    assert _drain().by_status == {"failed": 1}
    delivery.refresh_from_db()
    assert delivery.last_error == "no such subscription in settings"
    assert subscribed.received == []


def test_admins_see_deliveries_filter_by_status_and_redeliver(
    subscribed: Receiver, settings: Any, identity_service: IdentityService
) -> None:
    settings.EVENT_SUBSCRIPTIONS[0]["url"] = f"http://127.0.0.1:{free_port()}/api/v1/events"
    settings.EVENT_DELIVERY_MAX_ATTEMPTS = 1
    event = _publish()
    delivery = Delivery.all_tenants.get(event=event)
    assert _drain().by_status == {"dead": 1}

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
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")
    response = admin.post(f"/api/v1/events/{event.id}/redeliver")
    assert response.status_code == 200, response.content
    assert [(d["status"], d["attempts"]) for d in response.json()["redelivered"]] == [("pending", 0)]
    assert [name for name, _, _ in _jobs()] == ["events.drain"]  # its shard's drain was woken
    # The admin's redelivery is on the audit trail, with the admin as actor.
    [entry] = LogEntry.objects.filter(object_pk=str(delivery.pk), actor__email=ROLE_EMAILS["admin"])
    assert entry.changes_dict["status"] == ["dead", "pending"]
    # While it is pending again, another redelivery would only duplicate work.
    assert admin.post(f"/api/v1/events/{event.id}/redeliver").status_code == 409
    assert _drain().by_status == {"delivered": 1}
    assert admin.get("/api/v1/events?status=delivered").json()["items"][0]["id"] == str(event.id)


@pytest.mark.django_db(transaction=True)
def test_concurrent_publishers_share_one_waiting_drain_job(subscribed: Receiver) -> None:
    _org()
    for round_ in range(1, 4):  # each round a subject (and so a line) of its own, no job waiting
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM procrastinate_jobs")
        subject = f"shared-{round_}"

        def publisher(n: int, subject: str = subject) -> None:
            with transaction.atomic():
                publish(
                    organization=_org(),
                    type="contact.updated",
                    subject_type="contact",
                    subject_id=subject,
                    data=contact_updated_data(changed=["tags"], last_name=f"n{n}"),
                    actor=None,
                )

        calls = [functools.partial(publisher, n) for n in range(8)]
        all_at_once(calls, finally_each=connections.close_all)
        shard = line_shard(f"contact:{subject}")
        assert _jobs() == [
            ("events.drain", drain_queueing_lock("probe", shard), {"destination": "probe", "shard": shard})
        ]
        report = drain(destination="probe", shard=shard)
        assert report.by_status == {"delivered": 8}
        assert len(subscribed.received) == 8 * round_


def _insert_job(status: str, queueing_lock: str, worker_id: int | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, queueing_lock, args, status, worker_id)"
            " VALUES ('events', 'events.drain', %s, '{}', %s, %s) RETURNING id",
            [queueing_lock, status, worker_id],
        )
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


def _job_statuses() -> dict[int, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, status FROM procrastinate_jobs")
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_the_stalled_sweep_retries_a_dead_workers_drain_or_closes_it_if_another_waits() -> None:
    lone = _insert_job("doing", "events:probe:0")
    stalled = _insert_job("doing", "events:probe:1")  # no worker: as if its worker had died
    waiting = _insert_job("todo", "events:probe:1")
    assert async_to_sync(retry_stalled)(app) == 2
    # Retrying the second would make two waiting jobs of one queueing lock: the one waiting
    # already drains that shard, so the stalled one is closed instead.
    assert _job_statuses() == {lone: "todo", stalled: "failed", waiting: "todo"}


def test_a_receiver_refusing_the_body_as_too_large_is_told_apart_and_can_be_redelivered(
    subscribed: Receiver, identity_service: IdentityService
) -> None:
    subscribed.script = [(413, {})]
    event = _publish()
    delivery = Delivery.all_tenants.get(event=event)
    assert _drain().by_status == {"refused_too_large": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code, delivery.attempts) == ("refused_too_large", 413, 1)
    assert delivery.next_attempt_at is None  # final: the same bytes will never fit
    [attempt] = DeliveryAttempt.objects.for_organization(_org()).filter(delivery=delivery)
    assert (attempt.outcome, attempt.status_code) == ("refused", 413)
    _time_passes()
    assert _drain().attempts == 0  # not retried

    admin = client_as(identity_service, ROLE_EMAILS["admin"])
    detail = admin.get(f"/api/v1/events/{event.id}").json()
    statuses = [(d["status"], d["last_status_code"]) for d in detail["deliveries"]]
    assert statuses == [("refused_too_large", 413)]
    listed = admin.get("/api/v1/events?status=refused_too_large").json()["items"]
    assert [e["id"] for e in listed] == [str(event.id)]
    assert admin.get("/api/v1/events?status=failed").json()["items"] == []
    assert admin.get("/api/v1/events?status=delivered").json()["items"] == []
    response = admin.post(f"/api/v1/events/{event.id}/redeliver")
    assert response.status_code == 200, response.content
    assert [d["status"] for d in response.json()["redelivered"]] == ["pending"]


def _metric(name: str, **labels: str) -> float:
    """A sample of the backend's /metrics as Prometheus reads it (0 when absent)."""
    text = Client().get("/metrics").content.decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def test_metrics_follow_the_backlog_and_count_attempts_and_drains(subscribed: Receiver) -> None:
    delivered = {"destination": "probe", "outcome": "delivered", "status_class": "2xx"}
    attempts_before = _metric("hub_event_delivery_attempts_total", **delivered)
    drains_before = _metric("hub_event_drain_duration_seconds_count", destination="probe")
    assert _metric("hub_event_outbox_backlog", destination="probe") == 0
    _publish()
    assert _metric("hub_event_outbox_backlog", destination="probe") == 1
    assert _metric("hub_event_outbox_backlog", destination="other") == 0  # every subscription is listed
    assert _metric("hub_event_outbox_oldest_age_seconds", destination="probe") >= 0
    assert _drain().attempts == 1
    assert _metric("hub_event_outbox_backlog", destination="probe") == 0
    assert _metric("hub_event_outbox_oldest_age_seconds", destination="probe") == 0
    assert _metric("hub_event_delivery_attempts_total", **delivered) - attempts_before == 1
    assert _metric("hub_event_drain_duration_seconds_count", destination="probe") - drains_before == 1


def test_a_dead_delivery_is_counted_and_logged_as_an_error(
    subscribed: Receiver, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.EVENT_SUBSCRIPTIONS[0]["url"] = f"http://127.0.0.1:{free_port()}/api/v1/events"
    dead_before = _metric("hub_event_deliveries_given_up_total", destination="probe", status="dead")
    unreachable = {"destination": "probe", "outcome": "retry", "status_class": "network_error"}
    network_before = _metric("hub_event_delivery_attempts_total", **unreachable)
    delivery = Delivery.all_tenants.get(event=_publish())
    caplog.set_level(logging.INFO, logger="apps.events")
    for _ in range(4):
        _drain()
        _time_passes()
    assert (
        _metric("hub_event_deliveries_given_up_total", destination="probe", status="dead") - dead_before == 1
    )
    assert _metric("hub_event_delivery_attempts_total", **unreachable) - network_before == 4
    [dead] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert str(delivery.id) in dead.getMessage()
    assert "is dead after 4 attempt(s)" in dead.getMessage()
    assert "Delivery.Status" not in caplog.text  # plain values, never enum reprs


def test_a_drain_that_delivered_everything_logs_nothing_at_info(
    subscribed: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    _publish()
    caplog.set_level(logging.INFO)
    drain_deliveries(destination="probe", shard=line_shard(subject_line("contact", "c-1")))
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == []


def _same_shard_subjects(count: int, shard: int = 0) -> list[str]:
    """Contact subjects whose lines share one shard (fixed names: every xdist worker collects alike)."""
    names = (f"s-{n}" for n in itertools.count())
    in_shard = (s for s in names if line_shard(subject_line("contact", s)) == shard)
    return list(itertools.islice(in_shard, count))


def _batches_of(subjects: list[str], size: int) -> list[set[str]]:
    return [set(subjects[i : i + size]) for i in range(0, len(subjects), size)]


def _batches_received(receiver: Receiver, size: int) -> list[set[str]]:
    """The subjects received, cut into batches (lines of one batch are sent side by side, in any order)."""
    return _batches_of([subject for subject, _ in receiver.types_in_order()], size)


def _drain_jobs_due() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'events.drain' AND status = 'todo'"
            " AND coalesce(scheduled_at, now()) <= now()"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _run_worker() -> None:
    """procrastinate's worker in this process, on its own connection as `manage.py procrastinate worker`
    runs it, one job at a time until none is due (a job queued by the one running is fetched next)."""
    with app.replace_connector(app.connector.get_worker_connector()) as worker_app:  # type: ignore[attr-defined]
        worker_app.run_worker(
            queues=["events"], wait=False, concurrency=1, install_signal_handlers=False, listen_notify=False
        )


@pytest.mark.django_db(transaction=True)
def test_a_drain_stops_at_its_budget_and_the_follow_up_job_continues(
    subscribed: Receiver, settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.EVENT_DRAIN_BATCH = 2  # a batch is the first two ready deliveries, by position
    settings.EVENT_DRAIN_SECONDS = 0.0  # the budget is spent by the first batch
    subjects = _same_shard_subjects(5)
    for subject in subjects:
        _publish(subject)
    assert len(_jobs()) == 1  # one waiting drain serves all five
    caplog.set_level(logging.DEBUG, logger="apps.events")
    _run_worker()
    assert _batches_received(subscribed, 2) == _batches_of(subjects, 2)
    drained = [r.getMessage() for r in caplog.records if r.getMessage().startswith("drained probe/")]
    assert drained == [
        "drained probe/0: 2 attempt(s) delivered=2 (continued by a follow-up job)",
        "drained probe/0: 2 attempt(s) delivered=2 (continued by a follow-up job)",
        "drained probe/0: 1 attempt(s) delivered=1 (continued by a follow-up job)",
    ]  # and a fourth job found nothing left and finished
    assert set(Delivery.all_tenants.values_list("status", flat=True)) == {"delivered"}
    assert _drain_jobs_due() == 0


def test_with_time_to_spare_a_drain_works_through_every_batch_itself(
    subscribed: Receiver, settings: Any
) -> None:
    settings.EVENT_DRAIN_BATCH = 2
    subjects = _same_shard_subjects(5)
    for subject in subjects:
        _publish(subject)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs")  # the drain below is that job, running
    report = drain(destination="probe", shard=0)
    assert (report.attempts, report.follow_up) == (5, False)
    assert _batches_received(subscribed, 2) == _batches_of(subjects, 2)
    assert _jobs() == []  # nothing left to hand over


def _insert_worker(*, silent_for_seconds: float) -> int:
    """A worker row as procrastinate keeps it, its last heartbeat that long ago."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO procrastinate_workers (last_heartbeat)"
            " VALUES (now() - make_interval(secs => %s)) RETURNING id",
            [silent_for_seconds],
        )
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.django_db(transaction=True)
def test_the_stalled_sweep_leaves_a_live_workers_drain_and_retries_a_silent_ones(settings: Any) -> None:
    settings.EVENT_STALLED_WORKER_SECONDS = 30.0
    live = _insert_job("doing", "events:probe:0", worker_id=_insert_worker(silent_for_seconds=2))
    late = _insert_job("doing", "events:probe:1", worker_id=_insert_worker(silent_for_seconds=25))
    gone = _insert_job("doing", "events:probe:2", worker_id=_insert_worker(silent_for_seconds=300))
    assert async_to_sync(retry_stalled)(app) == 1
    # A worker late with its heartbeat, but not past the limit, still owns its job.
    assert _job_statuses() == {live: "doing", late: "doing", gone: "todo"}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("other_status", [200, 503], ids=["delivered", "retry"])
def test_a_delivery_another_drainer_recorded_meanwhile_is_not_recorded_twice(
    subscribed: Receiver, other_status: int
) -> None:
    delivery = Delivery.all_tenants.get(event=_publish())

    def another_drainer_records_it() -> None:
        """As a second drainer would (a worker presumed dead, its job retried): on its own connection."""
        subscribed.while_answering = None
        try:
            [ready] = _ready_batch("probe", delivery.shard)
            result = SendResult(other_status, "", 1.0, None)
            _record([attempt_outcome(ready, result, started=timezone.now(), final=False)])
        finally:
            connection.close()

    subscribed.while_answering = another_drainer_records_it
    report = _drain()
    assert (report.attempts, report.by_status) == (0, {})  # its 200 arrived after the other's record
    assert len(subscribed.received) == 1
    delivery.refresh_from_db()
    [attempt] = DeliveryAttempt.all_tenants.filter(delivery=delivery)
    assert (attempt.number, attempt.status_code) == (1, other_status)
    assert (delivery.attempts, delivery.last_status_code) == (1, other_status)
    assert delivery.status == ("delivered" if other_status == 200 else "pending")
    attempt_entries = LogEntry.objects.filter(content_type__model="deliveryattempt")
    assert list(attempt_entries.values_list("object_pk", flat=True)) == [str(attempt.pk)]


def test_redelivery_resends_delivered_deliveries_only_when_asked(
    subscribed: Receiver, settings: Any, identity_service: IdentityService
) -> None:
    settings.EVENT_SUBSCRIPTIONS = [
        *settings.EVENT_SUBSCRIPTIONS,
        {"name": "mirror", "url": subscribed.url, "types": ["contact.*"], "secrets": [SECRET]},
    ]
    event = _publish()
    subscribed.script = [(200, {}), (404, {})]
    assert _drain("probe").by_status == {"delivered": 1}
    assert _drain("mirror").by_status == {"failed": 1}
    admin = client_as(identity_service, ROLE_EMAILS["admin"])

    def redeliver(query: str = "") -> list[tuple[str, str]]:
        response = admin.post(f"/api/v1/events/{event.id}/redeliver{query}")
        assert response.status_code == 200, response.content
        return sorted((d["destination"], d["status"]) for d in response.json()["redelivered"])

    assert redeliver() == [("mirror", "pending")]  # the failed one only
    assert _drain("probe").attempts == 0
    assert _drain("mirror").by_status == {"delivered": 1}
    assert len(subscribed.received) == 3
    assert redeliver() == []  # everything arrived: nothing to send again unless asked
    assert redeliver("?include_delivered=false") == []
    assert (_drain("probe").attempts, _drain("mirror").attempts) == (0, 0)
    assert redeliver("?include_delivered=true") == [("mirror", "pending"), ("probe", "pending")]
    assert _drain("probe").by_status == {"delivered": 1}
    assert _drain("mirror").by_status == {"delivered": 1}
    assert len(subscribed.received) == 5
    assert {h["webhook-id"] for h, _ in subscribed.received} == {str(event.id)}  # receivers dedupe
    probe = Delivery.all_tenants.get(event=event, destination="probe")
    assert DeliveryAttempt.all_tenants.filter(delivery=probe, outcome="delivered").count() == 2


@pytest.mark.parametrize("status", [429, 503])
def test_an_http_date_retry_after_schedules_the_retry_at_that_date(subscribed: Receiver, status: int) -> None:
    due = (timezone.now() + timedelta(minutes=2)).replace(microsecond=0)
    subscribed.script = [(status, {"Retry-After": format_datetime(due, usegmt=True)})]  # IMF-fixdate
    delivery = Delivery.all_tenants.get(event=_publish())
    assert _drain().by_status == {"pending": 1}
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None
    # Not the backoff's 1-2 s: the receiver's date (plus the moments between its answer and the record).
    assert due - timedelta(milliseconds=1) <= delivery.next_attempt_at <= due + timedelta(seconds=30)


@pytest.mark.parametrize(
    "retry_after",
    ["Sun, 06 Nov 1994 08:49:37 GMT", "Thu, 32 Foo 2026 25:61:00 GMT", "soon, perhaps"],
    ids=["past", "impossible-date", "garbled"],
)
def test_a_past_or_unreadable_retry_after_falls_back_to_the_backoff(
    subscribed: Receiver, retry_after: str
) -> None:
    subscribed.script = [(503, {"Retry-After": retry_after})]
    delivery = Delivery.all_tenants.get(event=_publish())
    # The delay is drawn when the attempt fails, between these two instants (as in the test above).
    before = timezone.now()
    assert _drain().by_status == {"pending": 1}
    after = timezone.now()
    delivery.refresh_from_db()
    assert delivery.next_attempt_at is not None
    # The first backoff step (base 2 s, equal jitter: 1 to 2 s): not at once and not never.
    assert before + timedelta(seconds=1) <= delivery.next_attempt_at <= after + timedelta(seconds=2)


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_a_failure_recorded_and_not_followed(subscribed: Receiver, status: int) -> None:
    subscribed.script = [(status, {"Location": subscribed.url + "/moved"})]
    delivery = Delivery.all_tenants.get(event=_publish())
    assert _drain().by_status == {"failed": 1}
    assert len(subscribed.received) == 1  # the Location was never asked
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_status_code, delivery.next_attempt_at) == ("failed", status, None)
    [attempt] = DeliveryAttempt.all_tenants.filter(delivery=delivery)
    assert (attempt.status_code, attempt.outcome) == (status, "refused")
    _time_passes()
    assert _drain().attempts == 0  # final: a redirect is a misconfigured subscription, not a blip
