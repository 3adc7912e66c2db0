"""/analytics: figures over bookings and money of a range of local dates, as JSON or CSV.

Reads only: `viewer` and above, scope `analytics:read`. `?format=csv` streams the same answer as
a CSV attachment (cells that would start a spreadsheet formula are prefixed with `'`). The
JSON answers are rendered without Ninja's response validation (`edge.responses.render_json`) and
cached as those bytes (`Report.json`): their selectors build them to the declared schemas, which
the tests check every answer against.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from apps.analytics.schemas import (
    BookingsFilter,
    BookingsOut,
    RangeFilter,
    RevenueFilter,
    RevenueOut,
    SummaryOut,
    UtilizationFilter,
    UtilizationOut,
)
from apps.analytics.selectors.reports import (
    Report,
    analytics_bookings,
    analytics_revenue,
    analytics_summary,
    analytics_utilization,
)
from apps.analytics.tables import bookings_table, revenue_table, summary_table, utilization_table
from apps.identity.principal import Role, organization_of
from edge.csvexport import csv_filename, csv_response
from edge.permissions import requires
from edge.responses import json_body, render_json

router = Router(tags=["analytics"])

READ = "analytics:read"


def _json(request: HttpRequest, report: Report) -> HttpResponse:
    """The report's JSON body, bounded, from the cache while its data has not moved, sent as is."""
    return json_body(report.json(lambda document: render_json(request, document)))


def _csv(description: str) -> dict[str, Any]:
    """The CSV variant of a 200 answer, declared next to its JSON schema."""
    csv = {"schema": {"type": "string"}, "example": description}
    return {"responses": {200: {"content": {"text/csv": csv}}}}


@router.get(
    "/summary",
    response=SummaryOut,
    operation_id="get_analytics_summary",
    by_alias=True,
    openapi_extra=_csv("metric,value,currency"),
)
@requires(Role.VIEWER, scope=READ)
def get_summary(request: HttpRequest, filters: Query[RangeFilter]) -> Any:
    """Bookings, utilization, rates and money of the range (see the schema for each definition)."""
    report = analytics_summary(
        organization=organization_of(request),
        first=filters.from_,
        last=filters.to,
        resource_id=filters.resource_id,
        service_id=filters.service_id,
    )
    if filters.format == "csv":
        return csv_response(
            csv_filename("summary", filters.from_, filters.to), *summary_table(report.document())
        )
    return _json(request, report)


@router.get(
    "/revenue",
    response=RevenueOut,
    operation_id="get_analytics_revenue",
    openapi_extra=_csv("bucket,revenue_gross,refunds,revenue_net,invoiced,currency"),
)
@requires(Role.VIEWER, scope=READ)
def get_revenue(request: HttpRequest, filters: Query[RevenueFilter]) -> Any:
    """Payments, refunds, net revenue and invoiced per bucket, in the billing currency."""
    report = analytics_revenue(
        organization=organization_of(request), first=filters.from_, last=filters.to, interval=filters.interval
    )
    if filters.format == "csv":
        return csv_response(
            csv_filename("revenue", filters.from_, filters.to), *revenue_table(report.document())
        )
    return _json(request, report)


@router.get(
    "/utilization",
    response=UtilizationOut,
    operation_id="get_analytics_utilization",
    openapi_extra=_csv("bucket,resource_id,resource_name,booked_minutes,available_minutes,utilization"),
)
@requires(Role.VIEWER, scope=READ)
def get_utilization(request: HttpRequest, filters: Query[UtilizationFilter]) -> Any:
    """Booked and available minutes per active resource and bucket.

    As JSON at most 20,000 cells (buckets x active resources), else 422 naming `from`, `to` and
    `interval`: ask a shorter range, a coarser interval or one `resource_id`; the CSV is unbounded.
    """
    report = analytics_utilization(
        organization=organization_of(request),
        first=filters.from_,
        last=filters.to,
        interval=filters.interval,
        resource_id=filters.resource_id,
        service_id=filters.service_id,
    )
    if filters.format == "csv":
        return csv_response(
            csv_filename("utilization", filters.from_, filters.to), *utilization_table(report.document())
        )
    return _json(request, report)


@router.get(
    "/bookings",
    response=BookingsOut,
    operation_id="get_analytics_bookings",
    openapi_extra=_csv("bucket,key,label,count"),
)
@requires(Role.VIEWER, scope=READ)
def get_bookings(request: HttpRequest, filters: Query[BookingsFilter]) -> Any:
    """Booking counts per status, service or resource; with `interval`, one series per key.

    A JSON series holds at most 20,000 cells (buckets x keys, every resource or service of the
    organization counted as a key), else 422 naming `from`, `to` and `interval`: ask a shorter
    range or a coarser interval; the CSV is unbounded.
    """
    report = analytics_bookings(
        organization=organization_of(request),
        first=filters.from_,
        last=filters.to,
        group_by=filters.group_by,
        interval=filters.interval,
        resource_id=filters.resource_id,
        service_id=filters.service_id,
    )
    if filters.format == "csv":
        return csv_response(
            csv_filename("bookings", filters.from_, filters.to), *bookings_table(report.document())
        )
    return _json(request, report)
