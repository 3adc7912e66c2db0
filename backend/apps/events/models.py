"""The outbox: one row per domain event, written in the transaction of the change it reports."""

from __future__ import annotations

import uuid

from auditlog.registry import auditlog
from django.db import models
from django.utils import timezone

from apps.identity.tenancy import TenantModel
from hubkit.encryption.fields import EncryptedJSONField


class Event(TenantModel):
    """An event as the hub publishes it; delivery state is added by the delivery machinery."""

    class ActorType(models.TextChoices):
        USER = "user"
        SERVICE = "service"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    type = models.CharField(max_length=100)
    version = models.PositiveSmallIntegerField(default=1)
    occurred_at = models.DateTimeField(default=timezone.now)
    actor_type = models.CharField(max_length=16, choices=ActorType.choices, blank=True)
    actor_id = models.CharField(max_length=64, blank=True)
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    # Encrypted as a whole (hubkit.encryption): booking events carry the contact's name, email and
    # phone for the receivers that write to them, and the outbox is in every dump and backup.
    data = EncryptedJSONField(default=dict)
    correlation_id = models.CharField(max_length=128, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "-occurred_at", "-id"], name="events_org_recent_idx"),
            models.Index(fields=["organization", "subject_type", "subject_id"], name="events_subject_idx"),
            models.Index(fields=["organization", "type", "-occurred_at"], name="events_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.subject_type}:{self.subject_id}"


POSITION_SEQUENCE = "events_delivery_position_seq"


class NextPosition(models.Func):
    """The next value of the outbox's position sequence, as a database default."""

    template = f"nextval('{POSITION_SEQUENCE}'::regclass)"
    arity = 0
    output_field = models.BigIntegerField()


class Delivery(TenantModel):
    """One event on its way to one subscriber; its attempts are kept below it.

    `line` is the event's subject: one subscriber gets a line's events one at a time, in
    `position` order (the order they were published). Lines are spread over `shard`s, and one
    drainer at a time works one (destination, shard): see `apps.events.delivery`.
    """

    class Status(models.TextChoices):
        PENDING = "pending"  # queued or waiting for a retry
        DELIVERED = "delivered"
        FAILED = "failed"  # the receiver refused it for good (4xx other than 408/409/429/413)
        DEAD = "dead"  # retries exhausted
        # The receiver refused the body as too large (413): never deliverable as it is, and not a
        # fault of the receiver, so kept apart from the other permanent refusals.
        REFUSED_TOO_LARGE = "refused_too_large"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    destination = models.CharField(max_length=100)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    line = models.CharField(max_length=200, default="")
    shard = models.PositiveSmallIntegerField(default=0)
    position = models.BigIntegerField(db_default=NextPosition(), editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["event", "destination"], name="events_delivery_once_per_destination"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="events_delivery_status_idx"),
            # What a drainer reads: the pending deliveries of its (destination, shard), in order.
            models.Index(
                fields=["destination", "shard", "position"],
                condition=models.Q(status="pending"),
                name="events_delivery_queue_idx",
            ),
            # Whether an earlier delivery of the same line is waiting for its retry (few rows).
            models.Index(
                fields=["destination", "line", "position"],
                condition=models.Q(status="pending", next_attempt_at__isnull=False),
                name="events_delivery_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.destination}: {self.status}"


class DeliveryAttempt(TenantModel):
    """One HTTP POST of a delivery, as it happened."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered"
        RETRY = "retry"
        REFUSED = "refused"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.FloatField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)

    class Meta:
        ordering = ["delivery", "number"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.outcome}"


# Every attempt is on the audit trail, and so is what people do to deliveries (redelivery);
# the worker's own status bookkeeping is recorded by the attempt rows themselves.
auditlog.register(Delivery, exclude_fields=["next_attempt_at", "line", "shard", "position"])
auditlog.register(DeliveryAttempt)
