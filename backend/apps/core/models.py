"""Core business entities: contacts, bookable resources with their time off, the service catalog."""

from __future__ import annotations

import uuid
from typing import Any

from auditlog.registry import auditlog
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Lower

from apps.core.phones import email_lookup_form
from apps.identity.models import User
from apps.identity.tenancy import TenantModel
from hubkit.encryption.fields import EncryptedBinaryField, EncryptedJSONField, EncryptedTextField
from hubkit.encryption.keys import blind_index

CONTACT_PERSONAL_FIELDS = ("first_name", "last_name", "email", "phone", "notes", "tags")


class Contact(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    # Encrypted (hubkit.encryption); found by their blind indexes, never by their text.
    email = EncryptedTextField(blank=True)
    phone = EncryptedTextField(blank=True)
    notes = EncryptedTextField(blank=True)
    # HMAC of the normalised email / phone (`blind_index`), set by save(): exact lookups, the unique rule.
    email_index = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    phone_index = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    # Lower-cased names the `?q=` substring search matches, kept by PostgreSQL itself
    # (trigram-indexed). Names only: email and phone are encrypted, searched exactly by blind index.
    search_text = models.GeneratedField(
        expression=Lower(Concat("first_name", Value(" "), "last_name", output_field=models.TextField())),
        output_field=models.TextField(),
        db_persist=True,
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                F("organization"),
                F("email_index"),
                condition=Q(archived_at__isnull=True) & ~Q(email_index=""),
                name="core_contact_active_email_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "created_at", "id"], name="core_contact_org_created_idx"),
            GinIndex(OpClass("search_text", name="gin_trgm_ops"), name="core_contact_search_trgm"),
            GinIndex(fields=["tags"], name="core_contact_tags_gin"),
            models.Index(fields=["organization", "phone_index"], name="core_contact_phone_idx"),
        ]

    def __str__(self) -> str:
        # No personal data: this string becomes auditlog's object_repr.
        return f"Contact {self.id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keeps the blind indexes in step with email and phone, whoever saves (a partial save too)."""
        self.email_index = blind_index(email_lookup_form(self.email))
        self.phone_index = blind_index(self.phone)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"email", "phone"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "email_index", "phone_index"}
        super().save(*args, **kwargs)


class Resource(TenantModel):
    class Kind(models.TextChoices):
        STAFF = "staff"
        ROOM = "room"
        EQUIPMENT = "equipment"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    timezone = models.CharField(max_length=64)
    is_active = models.BooleanField(default=True)
    # [{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}], validated and sorted by the service.
    working_hours = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "created_at", "id"], name="core_resource_org_idx")]

    def __str__(self) -> str:
        return self.name


class TimeOff(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="time_off")
    start = models.DateTimeField()
    end = models.DateTimeField()
    reason = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name="core_timeoff_start_before_end")
        ]
        indexes = [
            models.Index(fields=["resource", "start", "id"], name="core_timeoff_resource_idx"),
            # Analytics' data version (max created_at) and changed days (created_at >= W) per organization.
            models.Index(fields=["organization", "created_at"], name="core_timeoff_org_created_idx"),
        ]

    def __str__(self) -> str:
        return f"Time off {self.start:%Y-%m-%d %H:%M} to {self.end:%Y-%m-%d %H:%M}"


class WorkingHoursOverride(TenantModel):
    """The resource's hours on one local date, replacing its weekly hours that day (none: closed)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="overrides")
    date = models.DateField()
    # [{"start": "HH:MM", "end": "HH:MM"}] in the resource's time zone, validated and sorted by the service.
    intervals = models.JSONField(default=list, blank=True)
    reason = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "date"], name="core_override_resource_date_uniq")
        ]
        # Analytics' data version (max updated_at) and changed days (updated_at >= W) per organization.
        indexes = [models.Index(fields=["organization", "updated_at"], name="core_override_org_updated_idx")]

    def __str__(self) -> str:
        return f"Hours on {self.date:%Y-%m-%d}"


class Service(TenantModel):
    """A bookable service of the catalog (what is sold), not a software service."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    name = models.CharField(max_length=200)
    duration_minutes = models.PositiveIntegerField()
    price_amount = models.DecimalField(max_digits=14, decimal_places=4)
    price_currency = models.CharField(max_length=3)
    buffer_before_minutes = models.PositiveIntegerField(default=0)
    buffer_after_minutes = models.PositiveIntegerField(default=0)
    # Attendees one session takes at once: 1 is one-to-one; more is a class or group session.
    capacity = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="core_service_duration_positive"
            ),
            models.CheckConstraint(condition=Q(price_amount__gte=0), name="core_service_price_not_negative"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="core_service_capacity_positive"),
        ]
        indexes = [models.Index(fields=["organization", "created_at", "id"], name="core_service_org_idx")]

    def __str__(self) -> str:
        return self.name


class ContactImport(TenantModel):
    """One uploaded file of contacts and its progress; at most one per file (its bytes) and organization.

    The file holds personal data: it is kept encrypted (`content`) only until processed, then
    cleared. The row reasons (`row_errors`, capped) are encrypted as well.
    """

    class Status(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"

    class Format(models.TextChoices):
        CSV = "csv"
        XLSX = "xlsx"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    file_sha256 = models.CharField(max_length=64)
    filename = models.CharField(max_length=255, blank=True)
    format = models.CharField(max_length=8, choices=Format.choices)
    content = EncryptedBinaryField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    # [{"row": n, "field": name | None, "message": text}], the first CONTACT_IMPORT_MAX_ROW_ERRORS.
    row_errors = EncryptedJSONField(default=list)
    failure_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    request_id = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(F("organization"), F("file_sha256"), name="core_contactimport_file_uniq"),
        ]
        indexes = [
            models.Index(fields=["organization", "created_at", "id"], name="core_contactimport_org_idx")
        ]

    def __str__(self) -> str:
        return f"Contact import {self.id}"

    @property
    def row_errors_truncated(self) -> bool:
        """Reasons are kept for the first CONTACT_IMPORT_MAX_ROW_ERRORS; later rejections only count."""
        return len(self.row_errors or []) >= settings.CONTACT_IMPORT_MAX_ROW_ERRORS


# Audit: every business model is registered. Encrypted fields are masked (an entry must not hold
# in clear what the row encrypts); the blind indexes are derived and left out.
auditlog.register(
    Contact,
    exclude_fields=["search_text", "updated_at", "email_index", "phone_index"],
    mask_fields=["email", "phone", "notes"],
    mask_callable="apps.audit.masking.mask_value",
)
auditlog.register(Resource, exclude_fields=["updated_at"])
auditlog.register(TimeOff, mask_fields=["reason"], mask_callable="apps.audit.masking.mask_value")
auditlog.register(
    WorkingHoursOverride,
    exclude_fields=["updated_at"],
    mask_fields=["reason"],
    mask_callable="apps.audit.masking.mask_value",
)
auditlog.register(Service, exclude_fields=["updated_at"])
# Progress counters move every batch: bookkeeping, not changes anyone audits (the status is).
auditlog.register(
    ContactImport,
    exclude_fields=[
        "content",
        "row_errors",
        "rows_done",
        "created_count",
        "updated_count",
        "rejected_count",
        "updated_at",
    ],
)
