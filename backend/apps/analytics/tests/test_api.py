"""/analytics over HTTP: cached answers that still see every write, CSV, bad parameters, tenants."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from ninja import Schema

from apps.analytics.models import RollupState
from apps.analytics.schemas import BookingsOut, RevenueOut, SummaryOut, UtilizationOut
from apps.analytics.services import rollups_refresh
from apps.analytics.tests.world import World, build_world
from apps.scheduling.models import BookingStatus
from apps.transactions.tests.factories import make_payment
from edge.csvexport import safe_cell
from hubkit.testing import IdentityService
from tests.factories import client_as, make_resource, send

pytestmark = pytest.mark.django_db
RANGE = "from=2026-03-01&to=2026-12-31"


@pytest.fixture
def world(settings: Any) -> World:
    settings.ANALYTICS_SETTLE_SECONDS = 0  # cache even what was written a moment ago
    return build_world(bookings=40)


def summary_and_queries(client: Client, query: str = RANGE) -> tuple[dict[str, Any], int]:
    """The summary's answer and how many SQL queries the request ran."""
    with CaptureQueriesContext(connection) as queries:
        body: dict[str, Any] = send(client, "GET", f"/analytics/summary?{query}").json()
    return body, len(queries)


def test_a_cached_summary_still_shows_the_next_payment_and_cancellation(
    world: World, as_role: Callable[[str], Client]
) -> None:
    viewer = as_role("viewer")
    # Another range first: the viewer's principal is looked up once, outside the counts below.
    summary_and_queries(viewer, "from=2026-01-01&to=2026-02-28")
    first, computed = summary_and_queries(viewer)
    again, from_cache = summary_and_queries(viewer)
    assert again == first
    assert from_cache < computed  # the second answer came from the cache: no figure was queried
    make_payment(contact=world.bookings[0].contact, amount="12.50", received_at=timezone.now())
    paid, recomputed = summary_and_queries(viewer)
    assert recomputed > from_cache  # the payment moved the data version: computed afresh
    assert Decimal(paid["revenue_gross"]["amount"]) == Decimal(first["revenue_gross"]["amount"]) + Decimal(
        "12.50"
    )
    booking = next(b for b in world.bookings if b.status == BookingStatus.CONFIRMED)
    cancelled = send(as_role("manager"), "POST", f"/bookings/{booking.id}/cancel", {"reason": "ill"})
    assert cancelled.status_code == 200, cancelled.content
    after = send(viewer, "GET", f"/analytics/summary?{RANGE}").json()
    assert after["bookings"]["by_status"]["cancelled"] == paid["bookings"]["by_status"]["cancelled"] + 1
    assert after["bookings"]["by_status"]["confirmed"] == paid["bookings"]["by_status"]["confirmed"] - 1
    assert after["from"] == "2026-03-01"
    assert after["timezone"] == "Europe/Berlin"


def test_empty_buckets_are_listed_with_zeros(world: World, as_role: Callable[[str], Client]) -> None:
    viewer = as_role("viewer")
    revenue = send(viewer, "GET", "/analytics/revenue?from=2026-01-05&to=2026-02-15&interval=week").json()
    assert [i["bucket"] for i in revenue["items"]] == [
        f"2026-{d}" for d in ("01-05", "01-12", "01-19", "01-26", "02-02", "02-09")
    ]
    assert {i["revenue_net"]["amount"] for i in revenue["items"]} == {"0.00"}
    months = send(viewer, "GET", "/analytics/utilization?from=2026-01-15&to=2026-03-10&interval=month").json()
    assert [(i["bucket"], i["resource_name"]) for i in months["items"]] == [
        (bucket, name)
        for bucket in ("2026-01-01", "2026-02-01", "2026-03-01")
        for name in ("=Berlin room", "New York desk")
    ]
    statuses = send(viewer, "GET", "/analytics/bookings?from=2026-01-01&to=2026-01-03&interval=day").json()
    assert len(statuses["items"]) == 3 * len(BookingStatus.values)
    assert {i["count"] for i in statuses["items"]} == {0}
    totals = send(viewer, "GET", f"/analytics/bookings?{RANGE}&group_by=resource").json()["items"]
    assert {i["bucket"] for i in totals} == {"2026-03-01"}
    assert sum(i["count"] for i in totals) == len(world.bookings)


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("report", ["summary", "revenue", "utilization", "bookings"])
def test_csv_is_streamed_as_an_attachment(
    world: World, as_role: Callable[[str], Client], report: str
) -> None:
    response = send(as_role("viewer"), "GET", f"/analytics/{report}?{RANGE}&format=csv")
    assert response["Content-Disposition"] == f'attachment; filename="{report}-2026-03-01-2026-12-31.csv"'
    rows = _csv(response)
    assert len(rows) > 1
    assert all(len(row) == len(rows[0]) for row in rows)


def test_csv_cells_cannot_start_a_formula(world: World, as_role: Callable[[str], Client]) -> None:
    make_resource(name="+SUM(A1:A9)", timezone="UTC", working_hours=[])
    make_resource(name="@cmd", timezone="UTC", working_hours=[])
    rows = _csv(
        send(as_role("viewer"), "GET", "/analytics/utilization?from=2026-03-29&to=2026-03-29&format=csv")
    )
    names = sorted(row[2] for row in rows[1:])
    assert names == ["'+SUM(A1:A9)", "'=Berlin room", "'@cmd", "New York desk"]
    assert [safe_cell(v) for v in ("-1", "\tx", "\rx", "ok", Decimal("-2.50"), None)] == [
        "'-1",
        "'\tx",
        "'\rx",
        "ok",
        "-2.50",
        "",
    ]


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-05-01&to=2026-04-30",
        "from=1999-12-31&to=2026-01-01",
        "from=2026-01-01&to=2100-01-01",
        "from=2020-01-01&to=2023-12-31",
        "from=2026-01-01&to=2026-02-30",
        "from=2026-01-01",
        "from=2026-01-01&to=2026-02-01&interval=hour",
        "from=2026-01-01&to=2026-02-01&format=xml",
        "from=2026-01-01&to=2026-02-01&group_by=contact",
        "from=2026-01-01&to=2026-02-01&resource_id=nope",
    ],
)
def test_bad_parameters_are_problem_422(as_role: Callable[[str], Client], query: str) -> None:
    for report in ("summary", "revenue", "utilization", "bookings"):
        if ("interval" in query and report == "summary") or ("group_by" in query and report != "bookings"):
            continue
        if "resource_id" in query and report == "revenue":
            continue
        response = send(as_role("viewer"), "GET", f"/analytics/{report}?{query}")
        assert response.status_code == 422, (report, query, response.content)
        assert response["Content-Type"] == "application/problem+json"


def test_another_tenant_sees_none_of_it(world: World, identity_service: IdentityService) -> None:
    globex = client_as(identity_service, "owner@globex.test")
    summary = send(globex, "GET", f"/analytics/summary?{RANGE}").json()
    assert summary["bookings"]["total"] == 0
    assert summary["revenue_gross"]["amount"] == "0.00"
    assert summary["utilization"] is None
    assert send(globex, "GET", f"/analytics/utilization?{RANGE}").json()["items"] == []
    text = send(globex, "GET", f"/analytics/bookings?{RANGE}&group_by=resource").content.decode()
    assert "Berlin" not in text
    assert str(world.berlin.id) not in text


def test_the_demo_organization_has_bookings_and_revenue(as_role: Callable[[str], Client]) -> None:
    call_command("seed_demo", stdout=StringIO())
    today = timezone.now().date()
    query = f"from={date(today.year - 1, today.month, 1)}&to={today}"
    summary = send(as_role("viewer"), "GET", f"/analytics/summary?{query}").json()
    assert summary["bookings"]["total"] > 0, summary
    assert Decimal(summary["revenue_gross"]["amount"]) > 0, summary
    assert summary["utilization"] is not None


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        ("/analytics/summary?", SummaryOut),
        ("/analytics/revenue?interval=week&", RevenueOut),
        ("/analytics/utilization?interval=month&", UtilizationOut),
        ("/analytics/bookings?group_by=status&interval=day&", BookingsOut),
        ("/analytics/bookings?group_by=service&", BookingsOut),
        ("/analytics/bookings?group_by=resource&interval=month&", BookingsOut),
    ],
)
def test_answers_are_their_declared_schemas(
    world: World, as_role: Callable[[str], Client], path: str, schema: type[Schema]
) -> None:
    """The series skip Ninja's response validation: every answer must still be its schema, exactly
    (the validated model dumps back to the same document: no missing, extra or mistyped field)."""
    response = send(as_role("viewer"), "GET", f"{path}{RANGE}")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    answer = response.json()
    assert answer == json.loads(schema.model_validate(answer).model_dump_json(by_alias=True))
    assert answer.get("items", [answer])  # something was checked


@pytest.mark.parametrize(
    ("path", "per_day"),
    [
        ("utilization?interval=day", 2),  # two active resources
        ("bookings?group_by=status&interval=day", len(BookingStatus.values)),
        ("bookings?group_by=resource&interval=day", 3),  # the archived room may have bookings too
    ],
)
def test_a_json_series_is_bounded_before_it_is_computed_and_the_csv_is_not(
    world: World, as_role: Callable[[str], Client], settings: Any, path: str, per_day: int
) -> None:
    settings.ANALYTICS_MAX_JSON_CELLS = 10 * per_day
    viewer = as_role("viewer")
    at_limit = send(viewer, "GET", f"/analytics/{path}&from=2026-03-01&to=2026-03-10")
    assert at_limit.status_code == 200, at_limit.content
    assert len(at_limit.json()["items"]) <= 10 * per_day
    with CaptureQueriesContext(connection) as queries:
        over = send(viewer, "GET", f"/analytics/{path}&from=2026-03-01&to=2026-03-11")
    read = [q["sql"] for q in queries.captured_queries]
    assert not [sql for sql in read if "analytics_" in sql or "scheduling_booking" in sql]
    assert over.status_code == 422, over.content
    assert over["Content-Type"] == "application/problem+json"
    problem = over.json()
    assert {e["field"] for e in problem["errors"]} == {"from", "to", "interval"}
    assert all(f"at most {10 * per_day}" in e["message"] for e in problem["errors"])
    rows = _csv(send(viewer, "GET", f"/analytics/{path}&from=2026-03-01&to=2026-03-11&format=csv"))
    assert len({row[0] for row in rows[1:]}) == 11  # every day of the range, streamed


def _analytics_sql(queries: CaptureQueriesContext) -> list[str]:
    """The statements reading a rollup table (figures). Not their state: the data version reads it
    with its stamps, for the plan of an answer it does not find cached."""
    return [q["sql"] for q in queries.captured_queries if re.search(r"analytics_(?!rollupstate\b)", q["sql"])]


@pytest.mark.parametrize(
    "path",
    [
        f"summary?{RANGE}",
        f"revenue?{RANGE}&interval=week",
        f"utilization?{RANGE}&interval=week",
        f"bookings?{RANGE}&group_by=status&interval=month",
    ],
)
def test_a_cached_answer_is_the_same_bytes_and_reads_no_figures(
    world: World, as_role: Callable[[str], Client], path: str
) -> None:
    # The rollups exact as of now (the job run past its margin), so that figures come from them.
    rollups_refresh(organization=world.organization, now=timezone.now() + timedelta(minutes=11))
    RollupState.objects.for_organization(world.organization).update(computed_at=timezone.now())
    viewer = as_role("viewer")
    with CaptureQueriesContext(connection) as computing:
        first = send(viewer, "GET", f"/analytics/{path}")
    with CaptureQueriesContext(connection) as reading:
        again = send(viewer, "GET", f"/analytics/{path}")
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"] == "application/json; charset=utf-8"
    assert _analytics_sql(computing)  # the first answer was computed
    assert _analytics_sql(reading) == []
    assert len(reading.captured_queries) < len(computing.captured_queries)


def test_a_write_changes_the_next_cached_answer(world: World, as_role: Callable[[str], Client]) -> None:
    viewer = as_role("viewer")
    revenue = f"/analytics/revenue?{RANGE}&interval=month"
    statuses = f"/analytics/bookings?{RANGE}&group_by=status"
    before, counts = send(viewer, "GET", revenue).content, send(viewer, "GET", statuses).json()
    assert send(viewer, "GET", revenue).content == before  # cached
    make_payment(contact=world.bookings[0].contact, amount="12.50", received_at=timezone.now())
    paid = send(viewer, "GET", revenue)
    assert paid.content != before
    month = timezone.now().date().replace(day=1).isoformat()
    gross = {i["bucket"]: Decimal(i["revenue_gross"]["amount"]) for i in json.loads(before)["items"]}
    assert {i["bucket"]: Decimal(i["revenue_gross"]["amount"]) for i in paid.json()["items"]} == {
        bucket: amount + (Decimal("12.50") if bucket == month else 0) for bucket, amount in gross.items()
    }
    booking = next(b for b in world.bookings if b.status == BookingStatus.CONFIRMED)
    cancelled = send(as_role("manager"), "POST", f"/bookings/{booking.id}/cancel", {"reason": "ill"})
    assert cancelled.status_code == 200, cancelled.content
    after = {i["key"]: i["count"] for i in send(viewer, "GET", statuses).json()["items"]}
    was = {i["key"]: i["count"] for i in counts["items"]}
    assert after == was | {"cancelled": was["cancelled"] + 1, "confirmed": was["confirmed"] - 1}
