"""The outbox: one row per domain event, written in the transaction of the change it reports."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone

from apps.identity.tenancy import TenantModel


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
    data = models.JSONField(default=dict)
    correlation_id = models.CharField(max_length=128, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "-occurred_at", "-id"], name="events_org_recent_idx"),
            models.Index(fields=["organization", "subject_type", "subject_id"], name="events_subject_idx"),
            models.Index(fields=["organization", "type", "-occurred_at"], name="events_type_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.subject_type}:{self.subject_id}"
