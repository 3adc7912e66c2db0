"""Invitations to join an organization: the only way someone becomes a member of one they did not create."""

import uuid
from datetime import datetime

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from apps.accounts.models import Organization, Role, User


class Invitation(models.Model):
    """Grants nothing until accepted. The token is mailed once and kept here only as its SHA-256."""

    class Status(models.TextChoices):
        PENDING = "pending"
        ACCEPTED = "accepted"
        REVOKED = "revoked"
        EXPIRED = "expired"  # stored once a new invitation for the address replaces it

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)  # stored lowercased
    role = models.CharField(max_length=16, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations_accepted"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "organization",
                Lower("email"),
                condition=models.Q(status="pending"),
                name="invitations_one_pending_per_address",
            ),
            models.CheckConstraint(condition=models.Q(role__in=Role.values), name="invitations_role_valid"),
        ]
        indexes = [models.Index(fields=["organization", "created_at", "id"], name="invitations_org_time")]

    def __str__(self) -> str:
        return f"invitation {self.id} ({self.status})"

    def status_at(self, now: datetime | None = None) -> str:
        """The status a reader sees: a pending invitation past `expires_at` is expired."""
        if self.status == self.Status.PENDING and self.expires_at <= (now or timezone.now()):
            return self.Status.EXPIRED
        return self.status
