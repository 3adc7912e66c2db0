"""The outbox in readiness (degraded past EVENT_OUTBOX_DEGRADED_SECONDS, still 200, never 503) and in
metrics (the backlog, read from the database when scraped)."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from apps.outbox.models import OutboxEvent
from apps.outbox.tests.test_delivery import add

# Readiness runs its checks in threads of their own (their own connections): rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _threshold(settings: Any) -> None:
    settings.EVENT_OUTBOX_DEGRADED_SECONDS = 60.0


def _pending(age_seconds: float) -> OutboxEvent:
    event = add()
    OutboxEvent.objects.filter(id=event.id).update(
        occurred_at=timezone.now() - timedelta(seconds=age_seconds)
    )
    return event


def _ready() -> tuple[int, dict[str, Any]]:
    response = Client().get("/api/health/ready")
    body: dict[str, Any] = response.json()
    return response.status_code, body


def test_readiness_is_ok_while_the_oldest_undelivered_event_is_within_the_threshold() -> None:
    _pending(age_seconds=30)
    status, body = _ready()
    outbox = body["checks"]["outbox"]
    assert status == 200
    assert (body["status"], outbox["status"]) == ("ok", "ok"), body
    assert (outbox["pending"], outbox["threshold_seconds"]) == (1, 60.0)
    assert 30 <= outbox["oldest_pending_age_seconds"] < 60


def test_readiness_is_degraded_not_unavailable_past_the_threshold() -> None:
    _pending(age_seconds=30)
    _pending(age_seconds=120)
    status, body = _ready()
    outbox = body["checks"]["outbox"]
    assert status == 200
    assert body["status"] == "degraded"
    assert body["degraded"] == ["outbox"]
    assert outbox["status"] == "degraded"
    assert outbox["pending"] == 2
    assert outbox["oldest_pending_age_seconds"] >= 120


def test_delivered_and_given_up_events_are_not_the_backlog() -> None:
    delivered = _pending(age_seconds=600)
    dead = _pending(age_seconds=600)
    OutboxEvent.objects.filter(id=delivered.id).update(status=OutboxEvent.Status.DELIVERED)
    OutboxEvent.objects.filter(id=dead.id).update(status=OutboxEvent.Status.DEAD)
    status, body = _ready()
    assert status == 200
    assert body["checks"]["outbox"]["status"] == "ok", body
    assert body["checks"]["outbox"]["pending"] == 0


def test_metrics_show_the_backlog_and_the_oldest_age() -> None:
    _pending(age_seconds=30)
    _pending(age_seconds=120)
    families = {f.name: f for f in text_string_to_metric_families(Client().get("/metrics").content.decode())}
    [backlog] = families["hub_event_outbox_backlog"].samples
    [oldest] = families["hub_event_outbox_oldest_age_seconds"].samples
    assert (backlog.labels, backlog.value) == ({"destination": "communication"}, 2)
    assert oldest.value >= 120
