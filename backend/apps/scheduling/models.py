"""Bookings of resources, and each organization's scheduling settings.

No two active bookings of a resource overlap: PostgreSQL's exclusion constraint
`scheduling_booking_no_overlap` guarantees it, over the *blocked* period (the booking with its
service's buffers) of every `held`, `pending` or `confirmed` row. Bookings of one group session
(a service with capacity > 1, same resource and start) share a `session` id and may overlap each
other; anything else on the resource may not.

A constraint cannot read the clock, so an expired hold still counts for it until its status
changes: the booking services cancel the expired holds a new booking meets in the same
transaction as its insert, and a periodic job tidies the rest (`tasks.py`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from auditlog.registry import auditlog
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import models
from django.db.models import F, Func, Q

from apps.core.models import Contact, Resource, Service
from apps.identity.tenancy import TenantModel
from hubkit.encryption.fields import EncryptedTextField


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()  # only ever compared inside the constraint


class BookingStatus(models.TextChoices):
    HELD = "held"
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


# Statuses that take the resource (an expired hold only until its status changes: see above).
BLOCKING_STATUSES = (BookingStatus.HELD, BookingStatus.PENDING, BookingStatus.CONFIRMED)


class Booking(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    resource = models.ForeignKey(Resource, on_delete=models.PROTECT, related_name="+", db_index=False)
    contact = models.ForeignKey(Contact, on_delete=models.PROTECT, related_name="+", db_index=False)
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    # The period the booking keeps the resource from others: [start - buffer before, end + buffer after).
    blocked_start = models.DateTimeField()
    blocked_end = models.DateTimeField()
    # Bookings sharing it may overlap: a group session's attendees. A one-to-one booking's own id.
    session = models.UUIDField()
    status = models.CharField(max_length=16, choices=BookingStatus.choices)
    # Free text about the contact's visit: encrypted (hubkit.encryption).
    notes = EncryptedTextField(blank=True)
    cancel_reason = EncryptedTextField(blank=True)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    # The start a booking.reminder_due was published for (a reschedule makes a new reminder due).
    reminded_start = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            ExclusionConstraint(
                name="scheduling_booking_no_overlap",
                index_type="gist",
                expressions=[
                    (F("resource"), RangeOperators.EQUAL),
                    (TsTzRange("blocked_start", "blocked_end"), RangeOperators.OVERLAPS),
                    (F("session"), RangeOperators.NOT_EQUAL),
                ],
                condition=Q(status__in=BLOCKING_STATUSES),
            ),
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="scheduling_booking_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(blocked_start__lte=F("start"), blocked_end__gte=F("end")),
                name="scheduling_booking_blocked_covers_booking",
            ),
            models.CheckConstraint(
                condition=~Q(status=BookingStatus.HELD) | Q(hold_expires_at__isnull=False),
                name="scheduling_booking_hold_expires",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "start", "id"], name="scheduling_booking_org_start"),
            # What changed since a moment (analytics' freshness and data version).
            models.Index(fields=["organization", "updated_at"], name="scheduling_booking_org_updated"),
            models.Index(fields=["resource", "blocked_start"], name="scheduling_booking_resource"),
            models.Index(fields=["contact", "start"], name="scheduling_booking_contact"),
            models.Index(
                fields=["start"],
                name="scheduling_booking_remindable",
                condition=Q(status__in=[BookingStatus.PENDING, BookingStatus.CONFIRMED]),
            ),
            models.Index(
                fields=["hold_expires_at"],
                name="scheduling_booking_holds",
                condition=Q(status=BookingStatus.HELD),
            ),
            # An organization's holds starting in a range: analytics reads them live on every
            # rolled-up day (they are never rolled up), without visiting other organizations' holds.
            models.Index(
                fields=["organization", "start"],
                name="scheduling_booking_org_holds",
                condition=Q(status=BookingStatus.HELD),
            ),
        ]

    def __str__(self) -> str:
        return f"Booking {self.id}"

    def hold_expired(self, now: datetime) -> bool:
        """A hold past its expiry: it blocks nothing any more, whatever its status column says."""
        return (
            self.status == BookingStatus.HELD
            and self.hold_expires_at is not None
            and self.hold_expires_at <= now
        )


class SchedulingSettings(TenantModel):
    """An organization's booking rules; an organization without a row has the defaults."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    min_notice_minutes = models.PositiveIntegerField(default=60)
    max_horizon_days = models.PositiveIntegerField(default=180)
    slot_interval_minutes = models.PositiveIntegerField(default=15)
    hold_minutes = models.PositiveIntegerField(default=10)
    # 0: no reminders.
    reminder_lead_minutes = models.PositiveIntegerField(default=24 * 60)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="scheduling_settings_one_per_org")
        ]

    def __str__(self) -> str:
        return "Scheduling settings"


# Free text (notes, a cancel reason) may hold sensitive details: masked, as the contact's notes.
auditlog.register(
    Booking,
    exclude_fields=["updated_at", "blocked_start", "blocked_end", "session"],
    mask_fields=["notes", "cancel_reason"],
    mask_callable="apps.audit.masking.mask_value",
)
auditlog.register(SchedulingSettings, exclude_fields=["updated_at"])
