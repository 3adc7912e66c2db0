"""Messages and received events go after their retention; a kept dedupe key still stops a redelivery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from apps.messaging.models import Message, ReceivedEvent
from apps.messaging.retention import retention_expired_counts, retention_purge, retention_purge_if_due
from tests.fixtures import booking_data, deliver, envelope

pytestmark = pytest.mark.django_db


def age(days: int) -> None:
    """Moves every stored row `days` into the past (their stamps are set on insert)."""
    then = timezone.now() - timedelta(days=days)
    Message.objects.update(created_at=then)
    ReceivedEvent.objects.update(received_at=then)


def test_messages_go_after_180_days_and_dedupe_keys_after_400() -> None:
    event = envelope("booking.confirmed", booking_data(email="jane@example.org"))
    assert deliver(event).json() == {"status": "accepted"}
    age(181)
    deliver(envelope("booking.confirmed", booking_data(email="kim@example.org")))  # fresh: stays

    assert retention_expired_counts() == {"messages": 1, "received_events": 0}
    assert retention_purge() == {"messages": 1, "received_events": 0}
    assert [m.recipient for m in Message.objects.all()] == ["kim@example.org"]

    # The backend may still redeliver it: the kept key makes that a no-op, no second mail.
    mail.outbox.clear()
    assert deliver(event).json() == {"status": "duplicate"}
    assert mail.outbox == []

    ReceivedEvent.objects.filter(webhook_id=event["id"]).update(
        received_at=timezone.now() - timedelta(days=401)
    )
    assert retention_purge() == {"messages": 0, "received_events": 1}
    assert ReceivedEvent.objects.count() == 1


def test_a_receipt_starts_one_round_per_interval() -> None:
    deliver(envelope("booking.confirmed", booking_data()))
    age(200)
    cache.delete("retention-purge:communication")

    retention_purge_if_due()
    assert Message.objects.count() == 0
    deliver(envelope("booking.confirmed", booking_data()))
    age(200)
    retention_purge_if_due()  # within the interval: nothing runs
    assert Message.objects.count() == 1


def test_the_command_counts_on_a_dry_run(capsys: pytest.CaptureFixture[str]) -> None:
    deliver(envelope("booking.confirmed", booking_data()))
    age(200)

    call_command("purge_expired", "--dry-run")
    assert capsys.readouterr().out.strip() == "would purge: messages 1, received_events 0"
    call_command("purge_expired")
    assert capsys.readouterr().out.strip() == "purged: messages 1, received_events 0"
    assert Message.objects.count() == 0
