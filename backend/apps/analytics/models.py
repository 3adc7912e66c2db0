"""Daily rollups of bookings, availability and money, per organization and local day.

Days are local dates of the organization's time zone (`RollupState.timezone` when they were
computed). The rows are derived data, rewritten by `services.rollups_refresh`; readers combine
them with a live computation of the days that changed since (`selectors/freshness.py`).
"""

from __future__ import annotations

from django.db import models

from apps.core.models import Resource, Service
from apps.identity.tenancy import TenantModel


class RollupState(TenantModel):
    """What the rollups of an organization cover, and the instant they are exact as of.

    Every rollup row reflects the source rows as they were at `computed_at` (the job's start minus
    a margin for transactions still open then); rows changed at or after it are read live.
    """

    timezone = models.CharField(max_length=64)
    computed_at = models.DateTimeField()
    covered_from = models.DateField()
    covered_to = models.DateField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="analytics_state_one_per_org")]

    def __str__(self) -> str:
        return f"Rollups {self.covered_from}..{self.covered_to} as of {self.computed_at:%Y-%m-%d %H:%M}"


class BookingDay(TenantModel):
    """Bookings of one resource and service starting on one local day, in one status (holds never)."""

    day = models.DateField()
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+", db_index=False)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="+", null=True, db_index=False
    )
    status = models.CharField(max_length=16)
    count = models.PositiveIntegerField()
    # Sum of end - start of these bookings.
    seconds = models.BigIntegerField()

    class Meta:
        # Covering: the reads group these columns, so they scan the index alone (once vacuumed).
        indexes = [
            models.Index(
                fields=["organization", "day"],
                name="analytics_bookingday_reads",
                include=["resource", "service", "status", "count", "seconds"],
            ),
            # One resource's rows (a resource filter, a resource's utilization by day).
            models.Index(
                fields=["organization", "resource", "day"],
                name="analytics_bookingday_resource",
                include=["service", "status", "count", "seconds"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count} {self.status} on {self.day}"


class AvailabilityDay(TenantModel):
    """Working time of one active resource within one local day of the organization, time off cut out."""

    day = models.DateField()
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+", db_index=False)
    seconds = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "day"],
                name="analytics_availday_reads",
                include=["resource", "seconds"],
            ),
            models.Index(
                fields=["organization", "resource", "day"],
                name="analytics_availday_resource",
                include=["seconds"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seconds} s on {self.day}"


class MoneyDay(TenantModel):
    """Money of one local day in one currency (cash basis: payments and refunds when they happened)."""

    day = models.DateField()
    currency = models.CharField(max_length=3)
    payments = models.DecimalField(max_digits=20, decimal_places=4)
    refunds = models.DecimalField(max_digits=20, decimal_places=4)
    # Totals of invoices issued that day (by issue_date), void ones excluded.
    invoiced = models.DecimalField(max_digits=20, decimal_places=4)
    # The day's change of the receivables accounts (ledger entries by occurred_at).
    receivables = models.DecimalField(max_digits=20, decimal_places=4)

    class Meta:
        constraints = [
            # One row per day and currency (the job clears a day before writing it): a read by day
            # takes the rows as they are, from the index alone.
            models.UniqueConstraint(
                fields=["organization", "currency", "day"],
                include=["payments", "refunds", "invoiced", "receivables"],
                name="analytics_moneyday_one_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"Money of {self.day} in {self.currency}"


class BookingMonth(TenantModel):
    """`BookingDay` summed over a local month: what month and whole-range sums read."""

    month = models.DateField()  # its 1st
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+", db_index=False)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="+", null=True, db_index=False
    )
    status = models.CharField(max_length=16)
    count = models.PositiveIntegerField()
    seconds = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "month"],
                name="analytics_bookingmonth_reads",
                include=["resource", "service", "status", "count", "seconds"],
            ),
            models.Index(
                fields=["organization", "resource", "month"],
                name="analytics_bookingmonth_res",
                include=["service", "status", "count", "seconds"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.count} {self.status} in {self.month:%Y-%m}"


class AvailabilityMonth(TenantModel):
    """`AvailabilityDay` summed over a local month."""

    month = models.DateField()
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+", db_index=False)
    seconds = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "month"],
                name="analytics_availmonth_reads",
                include=["resource", "seconds"],
            ),
            models.Index(
                fields=["organization", "resource", "month"],
                name="analytics_availmonth_res",
                include=["seconds"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seconds} s in {self.month:%Y-%m}"


class _ResourcePeriod(TenantModel):
    """Booked and available seconds of one resource over a whole week or month: the sums of
    `BookingDay` (booked statuses, every service) and `AvailabilityDay` over it, so a series of
    such buckets without a service filter reads one row per cell."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="+", db_index=False)
    booked = models.BigIntegerField()
    available = models.BigIntegerField()

    class Meta:
        abstract = True


class UtilizationWeek(_ResourcePeriod):
    """One resource's ISO week (Monday to Sunday, local days)."""

    week = models.DateField()

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "week"],
                name="analytics_utilweek_reads",
                include=["resource", "booked", "available"],
            ),
            models.Index(
                fields=["organization", "resource", "week"],
                name="analytics_utilweek_resource",
                include=["booked", "available"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booked} of {self.available} s in the week of {self.week}"


class UtilizationMonth(_ResourcePeriod):
    """One resource's local month."""

    month = models.DateField()  # its 1st

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "month"],
                name="analytics_utilmonth_reads",
                include=["resource", "booked", "available"],
            ),
            models.Index(
                fields=["organization", "resource", "month"],
                name="analytics_utilmonth_resource",
                include=["booked", "available"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booked} of {self.available} s in {self.month:%Y-%m}"


class BookingKey(models.TextChoices):
    """The one dimension a `BookingKeyDay`/`BookingKeyMonth`/`BookingKeyYear` row counts by."""

    STATUS = "status"
    SERVICE = "service"
    RESOURCE = "resource"


class _KeyCounts(TenantModel):
    """`BookingDay` summed per one dimension: the bookings of one status, service or resource.

    The bookings report without a filter counts by one dimension only: a year by status is a few
    hundred of these rows instead of tens of thousands of `BookingDay` rows.
    """

    dim = models.CharField(max_length=8, choices=BookingKey.choices)
    # The status, or the service's or resource's id as text; "": bookings without a service.
    key = models.CharField(max_length=36, blank=True)
    count = models.PositiveIntegerField()
    seconds = models.BigIntegerField()  # of the booked statuses

    class Meta:
        abstract = True


class BookingKeyDay(_KeyCounts):
    """Of one local day."""

    day = models.DateField()

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "dim", "day"],
                name="analytics_keyday_reads",
                include=["key", "count", "seconds"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} by {self.dim} {self.key} on {self.day}"


class BookingKeyMonth(_KeyCounts):
    """`BookingKeyDay` summed over a local month."""

    month = models.DateField()  # its 1st

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "dim", "month"],
                name="analytics_keymonth_reads",
                include=["key", "count", "seconds"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} by {self.dim} {self.key} in {self.month:%Y-%m}"


class BookingKeyYear(_KeyCounts):
    """`BookingKeyMonth` summed over a calendar year: a year's range from any date reads one year
    row per key, minus a month and plus or minus a few days, instead of a dozen month rows."""

    year = models.DateField()  # its 1st of January

    class Meta:
        indexes = [
            models.Index(
                fields=["organization", "dim", "year"],
                name="analytics_keyyear_reads",
                include=["key", "count", "seconds"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} by {self.dim} {self.key} in {self.year:%Y}"
