"""Envelopes are blanked, runs and dedupe keys purged after their retention; a kept key stops a redelivery."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from apps.workflows.models import ReceivedEvent, Run
from apps.workflows.retention import retention_expired_counts, retention_purge, retention_purge_if_due
from tests.fixtures import ScriptedBackend, refund

pytestmark = pytest.mark.django_db


def age(days: int) -> None:
    """Moves every stored row `days` into the past."""
    then = timezone.now() - timedelta(days=days)
    ReceivedEvent.objects.update(received_at=then)
    Run.objects.update(created_at=then)


def test_payloads_then_runs_then_dedupe_keys_go(scripted_backend: ScriptedBackend, send_event: Any) -> None:
    old = refund("1.00")
    assert send_event(old).json()["runs"][0]["status"] == "skipped"
    age(31)
    fresh = refund("2.00")
    send_event(fresh)

    assert retention_expired_counts() == {"event_payloads": 1, "received_events": 0, "runs": 0}
    assert retention_purge() == {"event_payloads": 1, "received_events": 0, "runs": 0}
    assert ReceivedEvent.objects.get(id=old["id"]).envelope == {}
    assert ReceivedEvent.objects.get(id=fresh["id"]).envelope["id"] == fresh["id"]
    assert retention_purge()["event_payloads"] == 0  # a blanked envelope is not counted again

    ReceivedEvent.objects.filter(id=old["id"]).update(received_at=timezone.now() - timedelta(days=181))
    Run.objects.filter(event_id=old["id"]).update(created_at=timezone.now() - timedelta(days=181))
    assert retention_purge()["runs"] == 1
    # The backend may still redeliver it: the compact key makes that a duplicate, no rule runs.
    assert send_event(old).json() == {"status": "duplicate", "runs": []}
    assert not Run.objects.filter(event_id=old["id"]).exists()

    ReceivedEvent.objects.filter(id=old["id"]).update(received_at=timezone.now() - timedelta(days=401))
    assert retention_purge()["received_events"] == 1
    assert [str(i) for i in ReceivedEvent.objects.values_list("id", flat=True)] == [fresh["id"]]


def test_a_receipt_starts_one_round_per_interval(scripted_backend: ScriptedBackend, send_event: Any) -> None:
    send_event(refund("1.00"))
    age(200)
    cache.delete("retention-purge:workflow")

    retention_purge_if_due()
    assert Run.objects.count() == 0
    send_event(refund("1.00"))
    age(200)
    retention_purge_if_due()  # within the interval: nothing runs
    assert Run.objects.count() == 1


def test_the_command_counts_on_a_dry_run(
    scripted_backend: ScriptedBackend, send_event: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    send_event(refund("1.00"))
    age(200)

    call_command("purge_expired", "--dry-run")
    assert capsys.readouterr().out.strip() == "would purge: event_payloads 1, received_events 0, runs 1"
    call_command("purge_expired")
    assert capsys.readouterr().out.strip() == "purged: event_payloads 1, received_events 0, runs 1"
    assert Run.objects.count() == 0
