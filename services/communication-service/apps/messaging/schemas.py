"""Edge schemas: the data of the event types acted on (the envelope is hubkit's), the message list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ninja import Field, Schema
from pydantic import AwareDatetime, field_validator

BOOKING_EVENT_TYPES = frozenset(
    {
        "booking.created",
        "booking.confirmed",
        "booking.rescheduled",
        "booking.cancelled",
        "booking.completed",
        "booking.no_show",
        "booking.reminder_due",
    }
)
NOTIFICATION_REQUESTED = "notification.requested"


class NamedRef(Schema):
    id: uuid.UUID
    name: str = Field(max_length=300)


class BookingIn(Schema):
    id: uuid.UUID
    start: AwareDatetime
    end: AwareDatetime
    status: str = Field(max_length=30)
    resource: NamedRef
    service: NamedRef | None = None
    cancel_reason: str | None = Field(default=None, max_length=2000)


class ContactIn(Schema):
    id: uuid.UUID
    first_name: str = Field(default="", max_length=200)
    last_name: str = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class OrganizationIn(Schema):
    name: str = Field(max_length=300)
    timezone: str = Field(max_length=64)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class BookingEventData(Schema):
    booking: BookingIn
    contact: ContactIn
    organization: OrganizationIn


class RecipientIn(Schema):
    user_id: uuid.UUID
    email: str | None = Field(default=None, max_length=320)
    name: str = Field(default="", max_length=200)
    phone: str | None = Field(default=None, max_length=40)


class NotificationRequestedData(Schema):
    notification_id: uuid.UUID
    channel: Literal["email", "sms"]
    recipient: RecipientIn
    category: str = Field(max_length=100)
    severity: str = Field(default="info", max_length=30)
    title: str = Field(max_length=300)
    body: str = Field(default="", max_length=10_000)
    action_url: str | None = Field(default=None, max_length=2000)
    data: dict[str, Any] = Field(default_factory=dict)

    @field_validator("action_url")
    @classmethod
    def _web_link(cls, value: str | None) -> str | None:
        if value and not value.startswith(("https://", "http://", "/")):
            raise ValueError("action_url must be an http(s) URL or a path")
        return value


class EventReceiptOut(Schema):
    status: Literal["accepted", "duplicate", "ignored"]


class MessageOut(Schema):
    id: uuid.UUID
    organization_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    channel: str
    recipient: str
    recipient_name: str
    subject: str
    body: str
    status: str
    reason: str
    provider_message_id: str
    error: str
    created_at: datetime
    sent_at: datetime | None


class MessageListOut(Schema):
    items: list[MessageOut]
    next_cursor: str | None


class MessageFilter(Schema):
    event_id: uuid.UUID | None = None
    channel: Literal["email", "sms"] | None = None
    status: Literal["sent", "failed", "skipped"] | None = None
    organization_id: uuid.UUID | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=500)
