"""Edge schemas of the analytics API: local dates in, figures and money as decimal strings out."""

import uuid
from datetime import date
from typing import Literal

from ninja import Schema
from pydantic import Field

from apps.core.schemas import MoneyOut
from edge.schemas import Out

_FROM = "First local date of the organization's time zone (included)."
_TO = "Last local date (included); at most three years after `from`."
_FORMAT = "`csv` streams the answer as a CSV attachment instead of JSON."
_INTERVAL = "Bucket size: `day`, `week` (from Monday, ISO) or `month` (from the 1st)."


class RangeFilter(Schema):
    """A range of local dates, optionally one resource and one service."""

    from_: date = Field(alias="from", description=_FROM)
    to: date = Field(description=_TO)
    resource_id: uuid.UUID | None = Field(None, description="Only this resource's bookings and hours.")
    service_id: uuid.UUID | None = Field(None, description="Only bookings of this service.")
    format: Literal["json", "csv"] = Field("json", description=_FORMAT)


class RevenueFilter(Schema):
    """A range of local dates in buckets."""

    from_: date = Field(alias="from", description=_FROM)
    to: date = Field(description=_TO)
    interval: Literal["day", "week", "month"] = Field("day", description=_INTERVAL)
    format: Literal["json", "csv"] = Field("json", description=_FORMAT)


class UtilizationFilter(RangeFilter):
    """A range of local dates in buckets, optionally one resource and one service."""

    interval: Literal["day", "week", "month"] = Field("day", description=_INTERVAL)


class BookingsFilter(RangeFilter):
    """Booking counts per key, as one series per key when an interval is given."""

    group_by: Literal["status", "service", "resource"] = Field("status", description="What a key is.")
    interval: Literal["day", "week", "month"] | None = Field(
        None, description=_INTERVAL + " Left out: one total per key (its bucket is `from`)."
    )


class BookingCountsOut(Out):
    """Bookings starting in the range: all of them, and per status (an expired hold as cancelled)."""

    total: int
    by_status: dict[str, int]


class SummaryOut(Out):
    """The range's figures; ratios are decimal strings with four places (null: nothing to divide by)."""

    from_: date = Field(alias="from")
    to: date
    timezone: str
    currency: str = Field(description="The organization's billing currency: every amount is in it.")
    bookings: BookingCountsOut
    booked_minutes: int = Field(description="Booked time of the active resources.")
    available_minutes: int = Field(description="Working time of the active resources, time off cut out.")
    utilization: str | None = Field(description="booked_minutes ÷ available_minutes.")
    no_show_rate: str | None = Field(description="no_show ÷ (completed + no_show).")
    cancellation_rate: str | None = Field(description="cancelled ÷ all bookings.")
    revenue_gross: MoneyOut = Field(description="Payments received in the range.")
    refunds: MoneyOut = Field(description="Refunds made in the range.")
    revenue_net: MoneyOut = Field(description="revenue_gross - refunds.")
    invoiced: MoneyOut = Field(description="Totals of invoices issued in the range, void ones excluded.")
    outstanding: MoneyOut = Field(description="What contacts owe at the end of the range (receivables).")


class RevenueItemOut(Out):
    """Money of one bucket (cash basis)."""

    bucket: date
    revenue_gross: MoneyOut
    refunds: MoneyOut
    revenue_net: MoneyOut
    invoiced: MoneyOut


class RevenueOut(Out):
    """One item per bucket of the range, empty buckets with zeros."""

    items: list[RevenueItemOut]


class UtilizationItemOut(Out):
    """One active resource in one bucket."""

    bucket: date
    resource_id: uuid.UUID
    resource_name: str
    booked_minutes: int
    available_minutes: int
    utilization: str | None


class UtilizationOut(Out):
    """One item per bucket and active resource, empty ones included."""

    items: list[UtilizationItemOut]


class BookingsItemOut(Out):
    """Bookings of one key in one bucket (`none`: bookings without a service)."""

    bucket: date
    key: str
    label: str
    count: int


class BookingsOut(Out):
    """One item per bucket and key, zeros included."""

    items: list[BookingsItemOut]
