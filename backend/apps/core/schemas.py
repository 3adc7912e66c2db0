"""Edge schemas of the core API: one per direction, unknown request fields rejected."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import (
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from apps.core.models import Service
from apps.core.money import Money

Name = Annotated[str, StringConstraints(min_length=1, max_length=100)]
OptionalName = Annotated[str, StringConstraints(max_length=100)]
Email = Annotated[str, StringConstraints(max_length=254)]
Phone = Annotated[str, StringConstraints(max_length=40)]
Notes = Annotated[str, StringConstraints(max_length=5000)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=50)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
TimeZoneName = Annotated[str, StringConstraints(min_length=1, max_length=64)]
ClockTime = Annotated[str, StringConstraints(pattern=r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$")]
Minutes = Annotated[int, Field(ge=0, le=24 * 60)]
Cursor = Annotated[str, StringConstraints(max_length=512)]
Limit = Annotated[int, Field(ge=1, le=200)]


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class Patch(In):
    @field_validator("*", mode="after")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Optional only so a field may be left out; an explicit null is refused (fields clear with "").
        if value is None:
            raise ValueError("may not be null")
        return value


class Out(Schema):
    """Base of response schemas: pydantic-core reads the model's attributes itself.

    ninja's `Schema` wraps every object it validates in a Python `DjangoGetter` (a call per
    field: about 1.7 ms of a 50-row page, more than the query). Output fields here are plain
    attributes, so that wrapper buys nothing; `resolve_*` methods, which only it runs, are refused.
    """

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo
    ) -> Any:
        return handler(values)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if any(name.startswith("resolve_") for name in vars(cls)):
            raise TypeError(f"{cls.__name__}: an Out schema cannot use resolve_* methods")


def _empty_as_none(value: object) -> object:
    return value or None


# A blank text column served as null.
BlankAsNull = Annotated[str | None, BeforeValidator(_empty_as_none)]


class PageQuery(Schema):
    limit: Limit = 50
    cursor: Cursor | None = None


# Contacts


class ContactIn(In):
    first_name: Name
    last_name: OptionalName = ""
    email: Email | None = None
    phone: Phone | None = None
    notes: Notes = ""
    tags: Annotated[list[Tag], Field(max_length=20)] = []


class ContactPatch(Patch):
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


class ContactFilter(PageQuery):
    q: Annotated[str, StringConstraints(max_length=200)] | None = None
    tags: Annotated[str, StringConstraints(max_length=1100)] | None = Field(
        None, description="Comma-separated; a contact must carry every one."
    )
    include_archived: bool = False


class ContactOut(Out):
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


class ContactPage(Out):
    items: list[ContactOut]
    next_cursor: str | None


class ContactExport(Schema):
    generated_at: datetime
    sections: dict[str, object]


# Resources


class WorkingHours(In):
    weekday: Annotated[int, Field(ge=0, le=6)]
    start: ClockTime
    end: ClockTime


WorkingWeek = Annotated[list[WorkingHours], Field(max_length=100)]
ResourceKind = Literal["staff", "room", "equipment"]


class ResourceIn(In):
    name: Title
    kind: ResourceKind
    timezone: TimeZoneName
    is_active: bool = True
    working_hours: WorkingWeek = []


class ResourcePatch(Patch):
    name: Title | None = None
    kind: ResourceKind | None = None
    timezone: TimeZoneName | None = None
    is_active: bool | None = None
    working_hours: WorkingWeek | None = None


class ResourceFilter(PageQuery):
    kind: ResourceKind | None = None
    is_active: bool | None = None


class WorkingHoursOut(Schema):
    weekday: int
    start: str
    end: str


class ResourceOut(Schema):
    id: uuid.UUID
    name: str
    kind: str
    timezone: str
    is_active: bool
    working_hours: list[WorkingHoursOut]
    created_at: datetime
    updated_at: datetime


class ResourcePage(Schema):
    items: list[ResourceOut]
    next_cursor: str | None


class TimeOffIn(In):
    start: AwareDatetime
    end: AwareDatetime
    reason: Annotated[str, StringConstraints(max_length=200)] = ""


class TimeOffFilter(PageQuery):
    start_after: AwareDatetime | None = None
    start_before: AwareDatetime | None = None


class TimeOffOut(Schema):
    id: uuid.UUID
    resource_id: uuid.UUID
    start: datetime
    end: datetime
    reason: str
    created_at: datetime


class TimeOffPage(Schema):
    items: list[TimeOffOut]
    next_cursor: str | None


# Services catalog


class MoneyIn(In):
    amount: Annotated[str, StringConstraints(pattern=r"^\d{1,12}(\.\d{1,4})?$")] = Field(
        description='A decimal string, e.g. "12.50"; never a float.'
    )
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]


class MoneyOut(Schema):
    amount: str
    currency: str


class ServiceIn(In):
    name: Title
    duration_minutes: Annotated[int, Field(gt=0, le=24 * 60)]
    price: MoneyIn
    buffer_before_minutes: Minutes = 0
    buffer_after_minutes: Minutes = 0
    is_active: bool = True


class ServicePatch(Patch):
    name: Title | None = None
    duration_minutes: Annotated[int, Field(gt=0, le=24 * 60)] | None = None
    price: MoneyIn | None = None
    buffer_before_minutes: Minutes | None = None
    buffer_after_minutes: Minutes | None = None
    is_active: bool | None = None


class ServiceFilter(PageQuery):
    is_active: bool | None = None


class ServiceOut(Schema):
    id: uuid.UUID
    name: str
    duration_minutes: int
    price: MoneyOut
    buffer_before_minutes: int
    buffer_after_minutes: int
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_price(obj: Service) -> dict[str, str]:
        return Money(obj.price_amount, obj.price_currency).as_dict()


class ServicePage(Schema):
    items: list[ServiceOut]
    next_cursor: str | None
