"""Edge schemas of the core API: one per direction, unknown request fields rejected."""

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Schema
from ninja.params.functions import Path
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints, field_validator

from apps.core.models import Service
from apps.core.money import Money
from edge.schemas import BlankAsNull, ClockTime, Email, In, Notes, Out, Patch, Phone, TimeZoneName, Title
from hubkit.fields import Text, UtcDatetime, storable_text

Name = Annotated[Text, StringConstraints(min_length=1, max_length=100)]
OptionalName = Annotated[Text, StringConstraints(max_length=100)]
Tag = Annotated[Text, StringConstraints(min_length=1, max_length=50)]
Minutes = Annotated[int, Field(ge=0, le=24 * 60)]
Capacity = Annotated[
    int,
    Field(ge=1, le=1000, description="Attendees one session takes at once: 1 is one-to-one, more a group."),
]

ContactId = Annotated[uuid.UUID, Path(description="The contact's id.")]
ContactImportId = Annotated[uuid.UUID, Path(description="The contact import's id.")]
ResourceId = Annotated[uuid.UUID, Path(description="The resource's id.")]
TimeOffId = Annotated[uuid.UUID, Path(description="The time-off entry's id.")]
ServiceId = Annotated[uuid.UUID, Path(description="The service's id.")]

# Calendar dates the hub schedules on: anything outside is a typo or a probe, refused as a 422.
FIRST_DATE, LAST_DATE = date(2000, 1, 1), date(2100, 12, 31)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: object) -> object:
    # Pydantic alone would also read a number (or a string of digits) as a Unix time.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    return value


def _schedulable(value: date) -> date:
    # Not `Field(ge=..., le=...)`: pydantic would write `ge`/`le` (no JSON Schema words) into the OpenAPI.
    if not FIRST_DATE <= value <= LAST_DATE:
        raise ValueError(f"must be between {FIRST_DATE} and {LAST_DATE}")
    return value


LocalDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_schedulable)]
"""A local calendar date (ISO `YYYY-MM-DD`, years 2000 to 2100)."""
OverrideDate = Annotated[
    LocalDate,
    Path(description="A local date in the resource's time zone, as YYYY-MM-DD (years 2000 to 2100)."),
]


# Contacts


class ContactIn(In):
    """A new contact; email and phone are normalised."""

    first_name: Name
    last_name: OptionalName = ""
    email: Email | None = None
    phone: Phone | None = None
    notes: Notes = ""
    tags: Annotated[list[Tag], Field(max_length=20)] = []


class ContactPatch(Patch):
    """The contact fields to change; left-out fields keep their value, null clears email or phone."""

    first_name: Name | None = None
    last_name: OptionalName | None = None
    email: Email | None = None
    phone: Phone | None = None
    notes: Notes | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] | None = None

    @field_validator("email", "phone", mode="before")
    @classmethod
    def _null_clears(cls, value: object) -> object:
        return "" if value is None else value


class ContactFilter(Schema):
    """Contact list filters."""

    q: Annotated[Text, StringConstraints(max_length=200)] | None = Field(
        None,
        description="Case-insensitive part of the first or last name, or a whole email address or phone"
        " number (matched exactly, after normalisation: they are stored encrypted).",
    )
    tags: Annotated[Text, StringConstraints(max_length=1100)] | None = Field(
        None, description="Comma-separated; a contact must carry every one."
    )
    include_archived: bool = Field(default=False, description="Also list archived (and erased) contacts.")


class ContactOut(Out):
    """A contact of the organization."""

    id: uuid.UUID
    first_name: str
    last_name: str
    email: BlankAsNull
    phone: BlankAsNull
    notes: str
    tags: list[str]
    archived_at: datetime | None
    erased_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ContactExport(Schema):
    """Everything the hub holds on one contact (GDPR access), one section per app."""

    generated_at: datetime
    sections: dict[str, object]


class ContactImportRowError(Schema):
    """Why one row of the file was not imported."""

    row: int = Field(description="The row's number in the file, as a spreadsheet shows it (the header is 1).")
    field: str | None = Field(description="The column at fault; null when it is the row as a whole.")
    message: str


class ContactImportSummaryOut(Out):
    """A contacts file accepted for import, and how far its job has come."""

    id: uuid.UUID
    status: Literal["queued", "running", "done", "failed"]
    filename: str
    format: Literal["csv", "xlsx"]
    rows_total: int = Field(description="Rows of the file with any cell filled (the header aside).")
    rows_done: int = Field(description="Rows handled so far: created + updated + rejected.")
    created: int = Field(validation_alias="created_count", description="Rows that created a contact.")
    updated: int = Field(
        validation_alias="updated_count",
        description="Rows whose email matched an active contact, which they updated"
        " (blank cells kept its values).",
    )
    rejected: int = Field(validation_alias="rejected_count", description="Rows that changed nothing.")
    failure_reason: str = Field(description="Why a `failed` import stopped; empty otherwise.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ContactImportOut(ContactImportSummaryOut):
    """A contact import with the reasons of its rejected rows."""

    errors: list[ContactImportRowError] = Field(
        validation_alias="row_errors",
        description="One entry per refused field of a rejected row, in file order (the first"
        " CONTACT_IMPORT_MAX_ROW_ERRORS, 1000 by default).",
    )
    errors_truncated: bool = Field(
        validation_alias="row_errors_truncated",
        description="True when more rows were rejected than `errors` lists (`rejected` counts all).",
    )


class ContactExportFilter(Schema):
    """Export options."""

    format: Literal["csv"] = Field("csv", description="The file format; CSV only for now.")


# Resources


class WorkingHours(In):
    """One weekly working interval, in the resource's local wall-clock time."""

    weekday: Annotated[int, Field(ge=0, le=6)]
    start: ClockTime
    end: ClockTime


WorkingWeek = Annotated[list[WorkingHours], Field(max_length=100)]
ResourceKind = Literal["staff", "room", "equipment"]


class ResourceIn(In):
    """A new resource."""

    name: Title
    kind: ResourceKind
    timezone: TimeZoneName
    is_active: bool = True
    working_hours: WorkingWeek = []


class ResourcePatch(Patch):
    """The resource fields to change; left-out fields keep their value."""

    name: Title | None = None
    kind: ResourceKind | None = None
    timezone: TimeZoneName | None = None
    is_active: bool | None = None
    working_hours: WorkingWeek | None = None


class ResourceFilter(Schema):
    """Resource list filters."""

    kind: ResourceKind | None = Field(None, description="Only resources of this kind.")
    is_active: bool | None = Field(None, description="true: active only; false: deactivated only.")


class WorkingHoursOut(Out):
    """One weekly working interval, in the resource's local wall-clock time."""

    weekday: int
    start: str
    end: str


class ResourceOut(Out):
    """A resource bookings can take: staff, a room or equipment."""

    id: uuid.UUID
    name: str
    kind: str
    timezone: str
    is_active: bool
    working_hours: list[WorkingHoursOut]
    created_at: datetime
    updated_at: datetime


class TimeOffIn(In):
    """A period the resource is unavailable; instants with a UTC offset."""

    start: UtcDatetime
    end: UtcDatetime
    reason: Annotated[Text, StringConstraints(max_length=200)] = ""


class TimeOffFilter(Schema):
    """Time-off list filters."""

    start_after: UtcDatetime | None = Field(None, description="Only time off ending after this instant.")
    start_before: UtcDatetime | None = Field(None, description="Only time off starting before this instant.")


class TimeOffOut(Out):
    """A period the resource is unavailable."""

    id: uuid.UUID
    resource_id: uuid.UUID
    start: datetime
    end: datetime
    reason: str
    created_at: datetime


class OverrideInterval(In):
    """One working interval of the day, in the resource's local wall-clock time ("24:00" ends the day)."""

    start: ClockTime
    end: ClockTime


class WorkingHoursOverrideIn(In):
    """The resource's hours on one date, replacing its weekly hours that day; no intervals: closed."""

    intervals: Annotated[list[OverrideInterval], Field(max_length=20)]
    reason: Annotated[Text, StringConstraints(max_length=200)] = ""


class WorkingHoursOverrideFilter(Schema):
    """Working-hours override list filters."""

    from_: LocalDate | None = Field(
        None, alias="from", description="Only dates on or after this one (YYYY-MM-DD, years 2000 to 2100)."
    )
    to: LocalDate | None = Field(
        None, description="Only dates on or before this one (YYYY-MM-DD, years 2000 to 2100)."
    )


class OverrideIntervalOut(Out):
    """One working interval of the day, in the resource's local wall-clock time."""

    start: str
    end: str


class WorkingHoursOverrideOut(Out):
    """The resource's hours on one local date, replacing its weekly hours; no intervals: closed."""

    id: uuid.UUID
    resource_id: uuid.UUID
    date: date
    intervals: list[OverrideIntervalOut]
    reason: str
    created_at: datetime
    updated_at: datetime


# Services catalog


class MoneyIn(In):
    """An amount of money in one currency."""

    amount: Annotated[
        str, StringConstraints(pattern=r"^\d{1,12}(\.\d{1,4})?$"), AfterValidator(storable_text)
    ] = Field(description='A decimal string, e.g. "12.50"; never a float.')
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$"), AfterValidator(storable_text)]


class MoneyOut(Out):
    """An amount of money in one currency; the amount is a decimal string."""

    amount: str
    currency: str


class ServiceIn(In):
    """A new service of the catalog."""

    name: Title
    duration_minutes: Annotated[int, Field(gt=0, le=24 * 60)]
    price: MoneyIn
    buffer_before_minutes: Minutes = 0
    buffer_after_minutes: Minutes = 0
    capacity: Capacity = 1
    is_active: bool = True


class ServicePatch(Patch):
    """The service fields to change; left-out fields keep their value."""

    name: Title | None = None
    duration_minutes: Annotated[int, Field(gt=0, le=24 * 60)] | None = None
    price: MoneyIn | None = None
    buffer_before_minutes: Minutes | None = None
    buffer_after_minutes: Minutes | None = None
    capacity: Capacity | None = None
    is_active: bool | None = None


class ServiceFilter(Schema):
    """Service list filters."""

    is_active: bool | None = Field(None, description="true: on sale only; false: deactivated only.")


class ServiceOut(Schema):
    """A service the organization sells."""

    id: uuid.UUID
    name: str
    duration_minutes: int
    price: MoneyOut
    buffer_before_minutes: int
    buffer_after_minutes: int
    capacity: int = Field(description="Attendees one session takes at once: 1 is one-to-one, more a group.")
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_price(obj: Service) -> dict[str, str]:
        return Money(obj.price_amount, obj.price_currency).as_dict()
