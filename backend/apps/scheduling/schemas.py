"""Edge schemas of the scheduling API: one per direction, unknown request fields rejected."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from ninja import Schema
from ninja.params.functions import Path
from pydantic import AfterValidator, Field, StringConstraints

from edge.schemas import BlankAsNull, In, Notes, Out, Patch
from hubkit.fields import Text, UtcDatetime, storable_text

BookingId = Annotated[uuid.UUID, Path(description="The booking's id.")]
_STATUS = "held|pending|confirmed|cancelled|completed|no_show"
_STATUS_LIST = rf"^({_STATUS})(,({_STATUS}))*$"


class BookingIn(In):
    """A new booking of a resource for a contact; with a service, `end` follows from its duration."""

    resource_id: uuid.UUID
    contact_id: uuid.UUID
    service_id: uuid.UUID | None = None
    start: UtcDatetime
    end: UtcDatetime | None = Field(None, description="Required without a service; with one, leave it out.")
    status: Literal["held", "pending", "confirmed"] = Field(
        "pending",
        description="`held` keeps the slot for the organization's hold time while the client confirms.",
    )
    notes: Notes = ""


class BookingPatch(Patch):
    """A reschedule (start, end, resource) and/or new notes; a move is checked like a new booking."""

    resource_id: uuid.UUID | None = None
    start: UtcDatetime | None = None
    end: UtcDatetime | None = Field(None, description="Only without a service (with one, the end follows).")
    notes: Notes | None = None


class CancelIn(In):
    """Why the booking is cancelled."""

    reason: Annotated[Text, StringConstraints(min_length=1, max_length=500)]


class BookingFilter(Schema):
    """Booking list filters; they combine."""

    resource_id: uuid.UUID | None = Field(None, description="Only bookings of this resource.")
    contact_id: uuid.UUID | None = Field(None, description="Only bookings of this contact.")
    status: Annotated[str, StringConstraints(pattern=_STATUS_LIST), AfterValidator(storable_text)] | None = (
        Field(
            None, description="Only bookings in these statuses, comma-separated (e.g. `pending,confirmed`)."
        )
    )
    start_after: UtcDatetime | None = Field(
        None, description="Only bookings starting at or after this instant."
    )
    start_before: UtcDatetime | None = Field(None, description="Only bookings starting before this instant.")


class BookingOut(Out):
    """A booking; `held` ones block the slot until `hold_expires_at`, then nothing."""

    id: uuid.UUID
    resource_id: uuid.UUID
    contact_id: uuid.UUID
    service_id: uuid.UUID | None
    start: datetime
    end: datetime
    status: str
    notes: str
    cancel_reason: BlankAsNull = Field(description="Why it was cancelled; null unless cancelled.")
    hold_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AvailabilityFilter(Schema):
    """Which slots to list: a resource, a service and a period of at most 62 days."""

    resource_id: uuid.UUID = Field(description="The resource to book.")
    service_id: uuid.UUID = Field(description="The service whose duration, buffers and capacity apply.")
    from_: UtcDatetime = Field(alias="from", description="Slots starting at or after this instant.")
    to: UtcDatetime = Field(description="Slots starting before this instant.")


class SlotOut(Out):
    """A free slot: `start` can be POSTed as a booking's start (with the service, `end` left out)."""

    start: datetime
    end: datetime
    local_start: str = Field(description="`start` in the resource's time zone, ISO 8601 with its offset.")
    local_end: str = Field(description="`end` in the resource's time zone.")
    spaces_left: int = Field(description="Places left in the session (1 for a one-to-one service).")


class AvailabilityOut(Out):
    """Free slots in start order, on the organization's slot grid."""

    resource_id: uuid.UUID
    service_id: uuid.UUID
    timezone: str = Field(description="The resource's IANA time zone.")
    items: list[SlotOut]


class SchedulingSettingsOut(Out):
    """The organization's booking rules."""

    min_notice_minutes: int
    max_horizon_days: int
    slot_interval_minutes: int
    hold_minutes: int
    reminder_lead_minutes: int


class SchedulingSettingsPatch(Patch):
    """The rules to change; left-out ones keep their value."""

    min_notice_minutes: Annotated[int, Field(ge=0, le=7 * 24 * 60)] | None = Field(
        None, description="How long before its start a booking can be made or moved to."
    )
    max_horizon_days: Annotated[int, Field(ge=1, le=730)] | None = Field(
        None, description="How far ahead a booking can start."
    )
    slot_interval_minutes: Annotated[int, Field(ge=5, le=240)] | None = Field(
        None, description="The grid of availability slots, from each working period's start."
    )
    hold_minutes: Annotated[int, Field(ge=1, le=120)] | None = Field(
        None, description="How long a held booking keeps its slot."
    )
    reminder_lead_minutes: Annotated[int, Field(ge=0, le=7 * 24 * 60)] | None = Field(
        None, description="How long before its start a booking's reminder is due; 0: none."
    )
