"""Edge schemas: the data of the event types acted on (the envelope is hubkit's), the message list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ninja import Field, Schema
from pydantic import AwareDatetime, field_validator

from hubkit.event_types import EVENT_TYPES

# From the hub's registry: a booking type added there must get its templates here (a test renders each).
BOOKING_EVENT_TYPES = frozenset(t for t in EVENT_TYPES if t.startswith("booking."))
NOTIFICATION_REQUESTED = "notification.requested"
# From identity-service.
INVITATION_MAIL_REQUESTED = "invitation.mail_requested"
SECURITY_NOTICE_REQUESTED = "security.notice_requested"


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
    # Set while the booking is (or, once cancelled, was) an unconfirmed hold: a slot kept mid-checkout.
    hold_expires_at: AwareDatetime | None = None

    def is_hold_event(self, event_type: str) -> bool:
        """A hold taken (created `held`) or let go unconfirmed (cancelled, released or expired)."""
        if event_type == "booking.created":
            return self.status == "held"
        return event_type == "booking.cancelled" and self.hold_expires_at is not None


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


class PersonIn(Schema):
    name: str = Field(default="", max_length=200)
    email: str = Field(max_length=320)


class InvitedOrganizationIn(Schema):
    id: uuid.UUID
    name: str = Field(max_length=300)


class InvitationMailRequestedData(Schema):
    invitation_id: uuid.UUID
    email: str = Field(min_length=3, max_length=320)
    role: str = Field(max_length=30)
    organization: InvitedOrganizationIn
    inviter: PersonIn
    accept_url: str = Field(max_length=2000)
    expires_at: AwareDatetime

    @field_validator("accept_url")
    @classmethod
    def _web_link(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("accept_url must be an http(s) URL")
        return value


class SecurityNoticeRequestedData(Schema):
    notice_id: uuid.UUID
    kind: str = Field(
        max_length=50, description="`mfa_setup_started`, `mfa_enabled`; others get a generic text."
    )
    recipient: PersonIn
    created_at: AwareDatetime


class EventReceiptOut(Schema):
    """What became of a delivery."""

    status: Literal["accepted", "duplicate", "ignored"] = Field(
        description="`accepted`: processed now; `duplicate`: this webhook-id was processed before; "
        "`ignored`: a type this service sends nothing for (recorded, deduplicated)."
    )


class MessageOut(Schema):
    """One email or SMS this service sent, failed to send or skipped."""

    id: uuid.UUID
    organization_id: uuid.UUID
    event_id: uuid.UUID = Field(description="The event that asked for it.")
    event_type: str
    channel: str = Field(description="`email` or `sms`.")
    recipient: str = Field(description="The address or phone number; empty when skipped for lack of one.")
    recipient_name: str
    subject: str
    body: str
    status: str = Field(description="`sent`, `failed` or `skipped`.")
    reason: str = Field(
        description="Why skipped: `no_contact_address`, `no_email_address`, `no_phone_number`, or "
        "`booking_hold` (a slot kept mid-checkout, taken or let go: nothing to tell the contact)."
    )
    provider_message_id: str
    error: str = Field(description="Why sending failed permanently; empty otherwise.")
    created_at: datetime
    sent_at: datetime | None


class MessageFilter(Schema):
    """Narrows the message list; filters combine with AND."""

    event_id: uuid.UUID | None = Field(default=None, description="Only messages of this event.")
    channel: Literal["email", "sms"] | None = Field(default=None, description="Only this channel.")
    status: Literal["sent", "failed", "skipped"] | None = Field(default=None, description="Only this status.")
    organization_id: uuid.UUID | None = Field(
        default=None,
        description="Only this organization (service tokens not bound to one); a user token sees only "
        "its own organization whatever this says.",
    )
