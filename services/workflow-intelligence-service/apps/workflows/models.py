"""Rules per organization, the events received (deduplicated by webhook-id) and each rule's runs."""

from __future__ import annotations

import uuid

from django.db import models

from hubkit.encryption.fields import EncryptedJSONField, EncryptedTextField


class Rule(models.Model):
    class Action(models.TextChoices):
        NOTIFY_ROLE = "notify_role", "Notify everyone with a role"
        NOTIFY_USERS = "notify_users", "Notify chosen users"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization_id = models.UUIDField()
    name = models.CharField(max_length=200)
    event_type = models.CharField(max_length=100)
    # e.g. {"min_amount": "100.00"}; keys are checked by services.condition_validate.
    condition = models.JSONField(default=dict, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    # Keys: role or recipient_ids, category, severity, title_template, body_template.
    action_params = models.JSONField(default=dict)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization_id", "name"], name="rule_unique_name_per_org"),
        ]
        indexes = [models.Index(fields=["organization_id", "event_type"], name="rule_org_type_idx")]

    def __str__(self) -> str:
        return f"{self.name} ({self.event_type})"


class ReceivedEvent(models.Model):
    """One row per delivered event id; its primary key is what makes redelivery a no-op."""

    id = models.UUIDField(primary_key=True)  # the envelope id = webhook-id
    organization_id = models.UUIDField()
    type = models.CharField(max_length=100)
    occurred_at = models.DateTimeField()
    correlation_id = models.CharField(max_length=128, blank=True)
    # The whole event, with the contact's name, email and phone: encrypted at rest (hubkit.encryption).
    envelope = EncryptedJSONField()
    # The contact the event is about (hubkit.events.event_contact_id), so `contact.erased` finds the
    # row; null for an event about no contact, and for every event received before it was kept.
    contact_id = models.UUIDField(null=True, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization_id", "-received_at"], name="event_org_received_idx"),
            models.Index(fields=["organization_id", "contact_id"], name="event_org_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.id}"


class Run(models.Model):
    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization_id = models.UUIDField()
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100)
    # Kept when a rule is deleted: the run stays as history.
    rule = models.ForeignKey(Rule, null=True, on_delete=models.SET_NULL, related_name="runs")
    status = models.CharField(max_length=20, choices=Status.choices)
    # May quote the backend's refusal of a notification rendered from the event: encrypted too.
    detail = EncryptedTextField(blank=True)
    # The contact of its event (as ReceivedEvent.contact_id): an erasure blanks the detail.
    contact_id = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["event_id", "rule"], name="run_unique_per_event_and_rule"),
        ]
        indexes = [
            models.Index(fields=["organization_id", "-created_at", "-id"], name="run_org_created_idx"),
            models.Index(fields=["event_id"], name="run_event_idx"),
            models.Index(fields=["organization_id", "contact_id"], name="run_org_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"run {self.id} {self.status}"
