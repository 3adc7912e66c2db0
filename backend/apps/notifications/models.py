"""In-app notifications per user, delivery preferences per category and channel, dedupe records."""

from __future__ import annotations

import uuid

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.identity.tenancy import TenantModel
from hubkit.encryption.fields import EncryptedTextField


class Category(models.TextChoices):
    """The fixed set of notification categories (documented in the API schema)."""

    BOOKING = "booking"
    PAYMENT = "payment"
    SYSTEM = "system"
    SECURITY = "security"
    WORKFLOW = "workflow"


class Channel(models.TextChoices):
    """Where a notification is delivered."""

    IN_APP = "in_app"
    EMAIL = "email"
    SMS = "sms"


class Severity(models.TextChoices):
    """How urgent a notification is."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


# Categories nobody can switch off in the app: the user must be able to see them.
MANDATORY_IN_APP = frozenset({Category.SECURITY})
# Built-in defaults, used where neither the organization nor the user chose: in-app for everything;
# email for what needs a reaction soon (bookings, money, security), not for system or workflow
# chatter; sms never (it costs money per message).
BUILT_IN_DEFAULTS: dict[Channel, frozenset[Category]] = {
    Channel.IN_APP: frozenset(Category),
    Channel.EMAIL: frozenset({Category.BOOKING, Category.PAYMENT, Category.SECURITY}),
    Channel.SMS: frozenset(),
}


class Notification(TenantModel):
    """One in-app notification for one user."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=32, choices=Category.choices)
    severity = models.CharField(max_length=16, choices=Severity.choices, default=Severity.INFO)
    title = models.CharField(max_length=200)
    # Written by admins and rules, so it may name a contact or a member: encrypted (hubkit.encryption).
    body = EncryptedTextField(blank=True)
    data = models.JSONField(default=dict, blank=True)
    action_url = models.CharField(max_length=2000, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    seen_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization", "recipient", "-created_at", "-id"], name="notif_inbox_idx"),
            models.Index(
                fields=["organization", "recipient"],
                condition=Q(read_at__isnull=True, archived_at__isnull=True),
                name="notif_unread_idx",
            ),
            # The retention purge: an organization's rows older than its cutoff.
            models.Index(fields=["organization", "created_at"], name="notif_org_created_idx"),
        ]

    def __str__(self) -> str:
        # No content: this string becomes auditlog's object_repr.
        return f"Notification {self.id}"


class NotificationDispatch(TenantModel):
    """What one request decided for one recipient under a dedupe key, in-app row or not.

    A recipient who switched in-app off still gets email/sms: this row is what makes a retried
    request with the same `dedupe_key` send nothing twice.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    dedupe_key = models.CharField(max_length=200)
    # The id the events name as their subject; equals the in-app row's id when there is one.
    notification_id = models.UUIDField()
    channels = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "recipient", "dedupe_key"], name="notif_dispatch_dedupe_uniq"
            ),
        ]
        indexes = [models.Index(fields=["organization", "created_at"], name="notif_dispatch_created_idx")]

    def __str__(self) -> str:
        return f"Notification dispatch {self.id}"


class NotificationPreference(TenantModel):
    """A user's choice for one category on one channel; without a user, the organization's default."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.CharField(max_length=32, choices=Category.choices)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    enabled = models.BooleanField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "category", "channel"],
                condition=Q(user__isnull=False),
                name="notif_pref_user_uniq",
            ),
            models.UniqueConstraint(
                fields=["organization", "category", "channel"],
                condition=Q(user__isnull=True),
                name="notif_pref_org_default_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"Notification preference {self.category}/{self.channel}"


# Audit: creation of a notification is audited (who notified whom); read state is not. Marking
# read/seen/archived is high-volume user bookkeeping, so those fields are excluded: per-row saves
# that only touch them write no entry, and `notification_mark_all_read` may bulk-update them.
# Title, body and data may hold personal details: masked.
auditlog.register(
    Notification,
    exclude_fields=["seen_at", "read_at", "archived_at"],
    mask_fields=["title", "body", "data"],
    mask_callable="apps.audit.masking.mask_value",
)
auditlog.register(NotificationDispatch)
auditlog.register(NotificationPreference, exclude_fields=["updated_at"])
