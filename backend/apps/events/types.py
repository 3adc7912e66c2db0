"""The event type registry: every type the hub publishes, once, with its description and `data` model.

`publish()` refuses a type that is not here and validates `data` against the type's model, so
the schemas generated from these models are what receivers get. Types are permanent: a field
may be added (here, in the change that makes the publisher send it), never renamed, retyped or
dropped; receivers ignore fields they do not know.

Types with `published=False` are part of the interface already (receivers handle them), but
the app named as their publisher is not built yet: their models are what it is to send.

Each type names the service that publishes it (`service`). The backend publishes only its own
(`publish()` refuses the others); identity-service delivers its types from its own outbox, and the
registry is where their names and `data` models live for every receiver all the same.

Receivers get the names and schemas as data through hubkit (`hubkit.event_types`); the backend's
`manage.py events_catalogue` generates that file and `docs/events.md` from this module.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from apps.events.exceptions import EventDataInvalid, ForeignEventType, UnknownEventType


class EventType(StrEnum):
    CONTACT_CREATED = "contact.created"
    CONTACT_UPDATED = "contact.updated"
    CONTACT_ERASED = "contact.erased"
    BOOKING_CREATED = "booking.created"
    BOOKING_CONFIRMED = "booking.confirmed"
    BOOKING_RESCHEDULED = "booking.rescheduled"
    BOOKING_CANCELLED = "booking.cancelled"
    BOOKING_COMPLETED = "booking.completed"
    BOOKING_NO_SHOW = "booking.no_show"
    BOOKING_REMINDER_DUE = "booking.reminder_due"
    INVOICE_ISSUED = "invoice.issued"
    INVOICE_VOIDED = "invoice.voided"
    INVOICE_OVERDUE = "invoice.overdue"
    PAYMENT_SUCCEEDED = "payment.succeeded"
    REFUND_CREATED = "refund.created"
    NOTIFICATION_REQUESTED = "notification.requested"
    INVITATION_MAIL_REQUESTED = "invitation.mail_requested"
    SECURITY_NOTICE_REQUESTED = "security.notice_requested"


BACKEND = "backend"
IDENTITY_SERVICE = "identity-service"


class EventData(BaseModel):
    """Base of every `data` model: the backend refuses fields its registry does not name."""

    model_config = ConfigDict(extra="forbid")


# Parts several types share. Their class names become schema names (OpenAPI components).


class EventContact(EventData):
    """A contact as it is after the change."""

    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None = Field(description="E.164, e.g. +4930123456")
    tags: list[str]
    archived_at: AwareDatetime | None


class EventContactRef(EventData):
    """The contact a booking is for: who to address."""

    id: uuid.UUID
    first_name: str
    last_name: str
    email: str | None
    phone: str | None = Field(description="E.164, e.g. +4930123456")


class EventNamedRef(EventData):
    id: uuid.UUID
    name: str


class EventOrganization(EventData):
    """The organization, for rendering local times."""

    name: str
    timezone: str = Field(description="IANA time zone, e.g. Europe/Berlin")


class EventBooking(EventData):
    id: uuid.UUID
    start: AwareDatetime
    end: AwareDatetime
    status: Literal["held", "pending", "confirmed", "cancelled", "completed", "no_show"]
    resource: EventNamedRef
    service: EventNamedRef | None
    cancel_reason: str | None = None
    hold_expires_at: AwareDatetime | None = Field(
        default=None,
        description="Set while the booking is (or, once cancelled, was) an unconfirmed hold: "
        "a hold is a slot kept for a client mid-checkout, not a booking to tell the contact about",
    )


class EventMoney(EventData):
    amount: str = Field(pattern=r"^-?\d+(\.\d+)?$", description='A decimal string, e.g. "12.50"')
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR")


class EventInvoice(EventData):
    id: uuid.UUID
    number: str
    status: Literal["draft", "issued", "partially_paid", "paid", "void"]
    contact_id: uuid.UUID
    booking_id: uuid.UUID | None
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    total: EventMoney
    amount_paid: EventMoney
    amount_due: EventMoney
    due_date: date


class EventPayment(EventData):
    id: uuid.UUID
    contact_id: uuid.UUID
    invoice_id: uuid.UUID | None
    amount: EventMoney
    method: str
    received_at: AwareDatetime


class EventRefund(EventData):
    id: uuid.UUID
    payment_id: uuid.UUID
    contact_id: uuid.UUID
    amount: EventMoney
    reason: str


class EventRecipient(EventData):
    user_id: uuid.UUID
    email: str
    name: str
    phone: str | None = Field(
        description="E.164, from the user's identity-service profile; null when they set none"
    )


# The `data` of each type.


class ContactCreatedData(EventData):
    contact: EventContact


class ContactUpdatedData(EventData):
    changed: list[str] = Field(description="The contact fields this change set")
    contact: EventContact


class ContactErasedData(EventData):
    contact_id: uuid.UUID
    erased_at: AwareDatetime


class BookingData(EventData):
    booking: EventBooking
    contact: EventContactRef
    organization: EventOrganization


class BookingRescheduledData(BookingData):
    previous_start: AwareDatetime
    previous_end: AwareDatetime


class BookingReminderDueData(BookingData):
    remind_at: AwareDatetime = Field(description="When the reminder was due")


class InvoiceData(EventData):
    invoice: EventInvoice


class PaymentSucceededData(EventData):
    payment: EventPayment


class RefundCreatedData(EventData):
    refund: EventRefund


class NotificationRequestedData(EventData):
    notification_id: uuid.UUID
    channel: Literal["email", "sms"]
    recipient: EventRecipient
    category: Literal["booking", "payment", "system", "security", "workflow"]
    severity: Literal["info", "warning", "critical"]
    title: str
    body: str
    data: dict[str, Any]
    action_url: str = Field(description='An http(s) URL or a path; "" when there is none')


class EventPerson(EventData):
    """A person identity-service writes to, or on whose behalf it writes."""

    name: str
    email: str


class EventInvitedOrganization(EventData):
    id: uuid.UUID
    name: str


class InvitationMailRequestedData(EventData):
    invitation_id: uuid.UUID
    email: str = Field(description="The invited address: the mail goes there")
    role: Literal["owner", "admin", "manager", "staff", "viewer"]
    organization: EventInvitedOrganization
    inviter: EventPerson
    accept_url: str = Field(
        description="The single-use link to the accept page; it carries the invitation's secret token"
    )
    expires_at: AwareDatetime


class SecurityNoticeRequestedData(EventData):
    notice_id: uuid.UUID
    kind: Literal["mfa_setup_started", "mfa_enabled"]
    recipient: EventPerson
    created_at: AwareDatetime = Field(description="When the change was made")


@dataclass(frozen=True)
class EventTypeSpec:
    name: EventType
    subject_type: str
    description: str
    data: type[EventData]
    publisher: str  # the app (of `service`) that publishes it
    published: bool = True  # False: its publisher is a later app; receivers handle it already
    service: str = BACKEND  # the hub service whose outbox sends it; the backend sends only its own


_SPECS = (
    EventTypeSpec(EventType.CONTACT_CREATED, "contact", "A contact was created.", ContactCreatedData, "core"),
    EventTypeSpec(
        EventType.CONTACT_UPDATED,
        "contact",
        "A contact's fields changed, archiving included (`changed` names them).",
        ContactUpdatedData,
        "core",
    ),
    EventTypeSpec(
        EventType.CONTACT_ERASED,
        "contact",
        "A contact was anonymised (GDPR erasure); its earlier events now carry redacted data.",
        ContactErasedData,
        "core",
    ),
    *(
        EventTypeSpec(type_, "booking", description, model, "scheduling")
        for type_, description, model in (
            (EventType.BOOKING_CREATED, "A booking was made (held or pending).", BookingData),
            (EventType.BOOKING_CONFIRMED, "A booking was confirmed.", BookingData),
            (EventType.BOOKING_RESCHEDULED, "A booking moved to another time.", BookingRescheduledData),
            (EventType.BOOKING_CANCELLED, "A booking was cancelled (`cancel_reason` says why).", BookingData),
            (EventType.BOOKING_COMPLETED, "A booking took place.", BookingData),
            (EventType.BOOKING_NO_SHOW, "The contact did not come to a booking.", BookingData),
            (
                EventType.BOOKING_REMINDER_DUE,
                (
                    "A pending or confirmed booking starts within the organization's reminder lead time"
                    " (once per start time)."
                ),
                BookingReminderDueData,
            ),
        )
    ),
    *(
        EventTypeSpec(type_, "invoice", description, InvoiceData, "transactions")
        for type_, description in (
            (EventType.INVOICE_ISSUED, "An invoice was issued (it has its number now)."),
            (EventType.INVOICE_VOIDED, "An issued invoice was voided."),
            (EventType.INVOICE_OVERDUE, "An issued invoice passed its due date unpaid."),
        )
    ),
    EventTypeSpec(
        EventType.PAYMENT_SUCCEEDED,
        "payment",
        "A payment was received.",
        PaymentSucceededData,
        "transactions",
    ),
    EventTypeSpec(
        EventType.REFUND_CREATED,
        "payment",
        "A payment was refunded, in part or in full (the subject is the payment).",
        RefundCreatedData,
        "transactions",
    ),
    EventTypeSpec(
        EventType.NOTIFICATION_REQUESTED,
        "notification",
        "A member is to be told something on one channel (email or sms).",
        NotificationRequestedData,
        "notifications",
    ),
    EventTypeSpec(
        EventType.INVITATION_MAIL_REQUESTED,
        "invitation",
        "Someone was invited to an organization: mail them the accept link (sent again on a resend).",
        InvitationMailRequestedData,
        "invitations",
        service=IDENTITY_SERVICE,
    ),
    EventTypeSpec(
        EventType.SECURITY_NOTICE_REQUESTED,
        "user",
        "A security-relevant change was made to a user's account (MFA set up or enabled): tell them.",
        SecurityNoticeRequestedData,
        "authn",
        service=IDENTITY_SERVICE,
    ),
)

REGISTRY: Mapping[str, EventTypeSpec] = {spec.name.value: spec for spec in _SPECS}


def event_type_spec(event_type: str) -> EventTypeSpec:
    try:
        return REGISTRY[event_type]
    except KeyError:
        raise UnknownEventType(f"{event_type!r} is not in apps.events.types.EventType") from None


def event_validate(*, event_type: str, subject_type: str, data: Any) -> None:
    """Refuses an unregistered type, another service's type, another subject type than registered,
    or `data` off its model.

    `data` is checked as the receivers get it (JSON values: ids and times as strings).
    """
    spec = event_type_spec(event_type)
    if spec.service != BACKEND:
        raise ForeignEventType(f"{event_type} is published by {spec.service}, never by the backend")
    if subject_type != spec.subject_type:
        raise EventDataInvalid(f"{event_type} is about a {spec.subject_type!r}, not {subject_type!r}")
    try:
        spec.data.model_validate(data)
    except ValidationError as exc:
        raise EventDataInvalid(f"data of {event_type} does not match {spec.data.__name__}: {exc}") from exc


def data_json_schema(spec: EventTypeSpec, *, ref_template: str = "#/$defs/{model}") -> dict[str, Any]:
    """The JSON schema of a type's `data` as published: receivers may get fields it does not list.

    The backend's models refuse unknown fields (so the registry stays complete); the published
    schema leaves `additionalProperties` open so a receiver validating with it keeps accepting
    events after a field is added.
    """
    schema: dict[str, Any] = published_schema(spec.data.model_json_schema(ref_template=ref_template))
    return schema


def published_schema(schema: Any) -> Any:
    """A generated JSON schema without `additionalProperties: false` (see `data_json_schema`)."""
    if isinstance(schema, dict):
        return {
            k: published_schema(v)
            for k, v in schema.items()
            if not (k == "additionalProperties" and v is False)
        }
    if isinstance(schema, list):
        return [published_schema(v) for v in schema]
    return schema
