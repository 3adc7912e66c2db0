"""What arrived (deduplicated events) and what was sent because of it (messages)."""

from __future__ import annotations

import uuid

from django.db import models

from hubkit.encryption.fields import EncryptedTextField


class ReceivedEvent(models.Model):
    """One processed delivery; the unique `webhook_id` is what makes redeliveries harmless."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    webhook_id = models.CharField(max_length=200, unique=True)
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100)
    organization_id = models.UUIDField()
    correlation_id = models.CharField(max_length=128, blank=True, default="")
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization_id", "received_at"], name="received_org_time")]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class MessageStatus(models.TextChoices):
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class Message(models.Model):
    """One email or SMS for one recipient, sent (or not, and why) because of one event."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization_id = models.UUIDField()
    received_event = models.ForeignKey(ReceivedEvent, on_delete=models.PROTECT, related_name="messages")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=100)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # The contact the event was about (hubkit.events.event_contact_id), so `contact.erased` finds the
    # message; null for a message about no contact, and for every message recorded before it was kept.
    contact_id = models.UUIDField(null=True, blank=True)
    # Personal data, encrypted at rest (hubkit.encryption): never filtered or ordered on in SQL.
    recipient = EncryptedTextField(blank=True, default="")
    recipient_name = EncryptedTextField(blank=True, default="")
    subject = EncryptedTextField(blank=True, default="")
    body = EncryptedTextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=MessageStatus.choices)
    reason = models.CharField(max_length=100, blank=True, default="")
    provider_message_id = models.CharField(max_length=300, blank=True, default="")
    # A provider's refusal may quote the address: encrypted too.
    error = EncryptedTextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organization_id", "-created_at", "-id"], name="message_org_time"),
            models.Index(fields=["-created_at", "-id"], name="message_time"),
            models.Index(fields=["event_id"], name="message_event"),
            models.Index(fields=["organization_id", "contact_id"], name="message_org_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient or '-'} ({self.status})"
