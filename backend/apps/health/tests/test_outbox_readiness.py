"""The outbox in readiness and metrics: degraded past EVENT_OUTBOX_DEGRADED_SECONDS (still 200),
and the deliveries dead now per destination, read from the database when scraped."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from apps.events.models import Delivery, Event
from apps.identity.models import Organization
from hubkit.testing import IdentityService

# Readiness runs its checks in threads of their own (their own connections): rows must be committed.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _subscriptions(settings: Any, identity_service: IdentityService) -> None:
    settings.EVENT_SUBSCRIPTIONS = [
        {"name": "probe", "url": "http://127.0.0.1:9/", "types": ["contact.*"], "secrets": ["s" * 32]},
        {"name": "other", "url": "http://127.0.0.1:9/", "types": ["booking.*"], "secrets": ["s" * 32]},
    ]
    settings.EVENT_OUTBOX_DEGRADED_SECONDS = 60.0


def _delivery(*, destination: str = "probe", status: str = "pending", age_seconds: float = 0) -> Delivery:
    organization = Organization.objects.get_or_create(id=uuid.uuid4())[0]
    event = Event.all_tenants.create(
        organization=organization, type="contact.created", subject_type="contact", subject_id="c-1"
    )
    delivery: Delivery = Delivery.all_tenants.create(
        organization=organization,
        event=event,
        destination=destination,
        status=status,
        created_at=timezone.now() - timedelta(seconds=age_seconds),
    )
    return delivery


def _outbox() -> tuple[int, dict[str, Any]]:
    response = Client().get("/api/health/ready")
    body = response.json()
    return response.status_code, body


def test_readiness_is_ok_while_the_oldest_pending_delivery_is_within_the_threshold() -> None:
    _delivery(age_seconds=30)
    status, body = _outbox()
    assert status == 200
    assert body["checks"]["outbox"]["status"] == "ok", body
    assert "outbox" not in body["degraded"]


def test_readiness_is_degraded_not_failing_once_a_delivery_waits_past_the_threshold() -> None:
    _delivery(age_seconds=30)
    _delivery(destination="other", age_seconds=600)
    # Delivered or dead deliveries, however old, are not waiting.
    _delivery(status="dead", age_seconds=6000)
    status, body = _outbox()
    assert status == 200  # a receiver's outage never takes the backend out of rotation
    assert body["status"] == "degraded"
    assert body["degraded"] == ["outbox"]
    outbox = body["checks"]["outbox"]
    assert outbox["status"] == "degraded"
    assert outbox["reason"] == "undelivered events older than the threshold"
    assert outbox["pending"] == 2
    assert outbox["threshold_seconds"] == 60.0
    assert outbox["oldest_pending_age_seconds"] >= 600


def _dead(destination: str) -> float | None:
    text = Client().get("/metrics").content.decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "hub_event_outbox_dead" and sample.labels == {"destination": destination}:
                return float(sample.value)
    return None


def test_the_deliveries_dead_now_are_a_gauge_per_destination() -> None:
    assert _dead("probe") == 0  # every subscription is listed, dead or not
    assert _dead("other") == 0
    first = _delivery(status="dead")
    _delivery(status="dead")
    _delivery(status="pending")
    _delivery(destination="other", status="failed")
    assert _dead("probe") == 2
    assert _dead("other") == 0
    # Redelivered: pending again, no longer dead (a counter could never go down).
    Delivery.all_tenants.filter(id=first.id).update(status="pending")
    assert _dead("probe") == 1
