"""The outbox: events to deliver to the communication-service, and every delivery attempt."""

import uuid

from django.db import models
from django.utils import timezone


class OutboxEvent(models.Model):
    """One event, written in the transaction of the change it reports; delivered in `id` order.

    `data` is what the receiver gets, except the values in `secret_data_encrypted` (Fernet, e.g.
    an invitation's accept link): those are decrypted only to build the signed body, and wiped
    once the event is delivered or given up on.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"  # refused for good (a 4xx other than 408, 409, 429)
        DEAD = "dead"  # EVENT_DELIVERY_MAX_ATTEMPTS attempts failed

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=100)
    organization_id = models.UUIDField()
    actor_type = models.CharField(max_length=16)
    actor_id = models.CharField(max_length=200)
    subject_type = models.CharField(max_length=100)
    subject_id = models.CharField(max_length=200)
    data = models.JSONField()
    secret_data_encrypted = models.TextField(blank=True, default="")
    correlation_id = models.CharField(max_length=128, blank=True, default="")
    occurred_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["id"], name="outbox_pending", condition=models.Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id} ({self.status})"


class OutboxAttempt(models.Model):
    """One POST of an event: what the receiver answered (or why there was no answer)."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="attempt_log")
    attempted_at = models.DateTimeField(default=timezone.now)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    duration_ms = models.FloatField()

    def __str__(self) -> str:
        return f"attempt on {self.event_id}: {self.status_code or self.error[:40]}"
