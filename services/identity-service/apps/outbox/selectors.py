"""Reads of the outbox for operators: the backlog, across organizations (never an API answer)."""

from django.db.models import Count, Min
from django.utils import timezone

from apps.outbox.models import OutboxEvent

DESTINATION = "communication"
"""The one receiver of identity-service's events (EVENT_WEBHOOK_URL), as metrics and readiness name it."""


def outbox_backlog() -> dict[str, tuple[int, float]]:
    """How many events are not delivered yet and the age in seconds of the oldest (0 when none),
    keyed by the destination; one aggregate over the pending events (a partial index holds them)."""
    row = OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING).aggregate(
        pending=Count("id"), oldest=Min("occurred_at")
    )
    oldest = row["oldest"]
    age = max((timezone.now() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return {DESTINATION: (row["pending"], age)}
