"""Analytics over the served API on a large organization: a year's figures uncached, cached, and naive SQL.

Run from backend/: `.venv/bin/python -m bench.analytics`. The stack is `bench.harness.served`, as
for `bench.scheduling` (a real identity-service, the backend served as `make run` serves it), on a
database kept between runs (`fresh=False`): the first run gives Acme the history of `bench.seed`
(a million bookings over four years on 300 resources and their money; a few minutes) and later
runs reuse it. The rollups are then brought up to date as the periodic job keeps them (timed:
`rollups_seconds`, the whole history on a first run, what changed on later ones).

Each target is a GET of the last 365 local days before today (`from`/`to`), one request after
another on one connection, as a viewer:
- uncached: Redis's cached analytics answers are deleted before each request, so the app reads
  its data version and computes the answer afresh; the data itself is not touched (the version,
  which a write would move, stays as it is);
- cached: the same request again, its answer from Redis;
- naive: a straightforward SQL aggregate over the raw bookings, payments, refunds, invoices and
  working hours for the same year and buckets, the way one would write it without rollups, through
  psycopg from this process (no HTTP, no JSON: the app's answer carries both), timed the same way
  in the same run. Its figures approximate the app's (weekly hours without date overrides or time
  off); it is there for its cost, not its numbers.

Goals, for every target: uncached p95 < 100 ms, and the naive query's p50 at least 20 x the
uncached p50 (`speedup`). Figures go to bench/results/analytics.json; exits 1 when a goal is missed.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import django
import httpx
import psycopg
import redis

from bench.harness import ACME, BACKEND, GRANIAN_ARGS, REDIS_URL, WORKERS, Stack, backend_database_url, served
from bench.seed import Options, Result, seed, seeded

RESULTS = BACKEND / "bench" / "results" / "analytics.json"
NAME = "analytics"
SEED = Options(organization_id=ACME, seed=int(os.environ.get("BENCH_SEED", "1")), progress=True)
REQUESTS = int(os.environ.get("BENCH_ANALYTICS_REQUESTS", "30"))
CACHED_REQUESTS = int(os.environ.get("BENCH_ANALYTICS_CACHED_REQUESTS", "100"))
NAIVE_RUNS = int(os.environ.get("BENCH_ANALYTICS_NAIVE_RUNS", "5"))
WARMUP = 2
GOALS = {"uncached_p95_ms": 100.0, "speedup": 20.0}

TARGETS: dict[str, tuple[str, dict[str, str]]] = {
    "summary": ("/analytics/summary", {}),
    "revenue_by_day": ("/analytics/revenue", {"interval": "day"}),
    "revenue_by_month": ("/analytics/revenue", {"interval": "month"}),
    "utilization_by_month": ("/analytics/utilization", {"interval": "month"}),
    "bookings_by_status": ("/analytics/bookings", {"group_by": "status"}),
    "bookings_by_service": ("/analytics/bookings", {"group_by": "service"}),
    "bookings_by_resource": ("/analytics/bookings", {"group_by": "resource"}),
}

# Naive: the raw tables read per request; available minutes from weekly hours alone (no overrides).
_NAIVE_SUMMARY = """
WITH b AS (
    SELECT count(*) AS bookings,
           count(*) FILTER (WHERE status = 'completed') AS completed,
           count(*) FILTER (WHERE status = 'no_show') AS no_show,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
           coalesce(sum(extract(epoch FROM "end" - start) / 60) FILTER (WHERE status <> 'cancelled'), 0)
    FROM scheduling_booking WHERE organization_id = %(o)s AND start >= %(lo)s AND start < %(hi)s
), hours AS (
    SELECT coalesce(sum(extract(epoch FROM (h->>'end')::time - (h->>'start')::time) / 60), 0)
    FROM core_resource r
    CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d
    CROSS JOIN jsonb_array_elements(r.working_hours) AS h
    WHERE r.organization_id = %(o)s AND r.is_active
      AND (h->>'weekday')::int = extract(isodow FROM d)::int - 1)
SELECT b.*, hours.*,
    (SELECT coalesce(sum(amount), 0) FROM transactions_payment
        WHERE organization_id = %(o)s AND received_at >= %(lo)s AND received_at < %(hi)s),
    (SELECT coalesce(sum(amount), 0) FROM transactions_refund
        WHERE organization_id = %(o)s AND created_at >= %(lo)s AND created_at < %(hi)s),
    (SELECT coalesce(sum(total), 0) FROM transactions_invoice WHERE organization_id = %(o)s
        AND issue_date BETWEEN %(first)s AND %(last)s AND status <> 'void'),
    (SELECT coalesce(sum(total - amount_paid), 0) FROM transactions_invoice WHERE organization_id = %(o)s
        AND issue_date <= %(last)s AND status IN ('issued', 'partially_paid'))
FROM b, hours
"""
_NAIVE_REVENUE = """
SELECT bucket, sum(paid), sum(refunded), sum(invoiced) FROM (
    SELECT date_trunc(%(interval)s::text, received_at AT TIME ZONE %(tz)s) AS bucket,
           amount AS paid, 0 AS refunded, 0 AS invoiced
    FROM transactions_payment
    WHERE organization_id = %(o)s AND received_at >= %(lo)s AND received_at < %(hi)s
    UNION ALL
    SELECT date_trunc(%(interval)s::text, created_at AT TIME ZONE %(tz)s), 0, amount, 0
    FROM transactions_refund WHERE organization_id = %(o)s AND created_at >= %(lo)s AND created_at < %(hi)s
    UNION ALL
    SELECT date_trunc(%(interval)s::text, issue_date::timestamp), 0, 0, total
    FROM transactions_invoice WHERE organization_id = %(o)s AND issue_date BETWEEN %(first)s AND %(last)s
        AND status <> 'void'
) AS moves GROUP BY bucket ORDER BY bucket
"""
_NAIVE_UTILIZATION = """
WITH booked AS (
    SELECT resource_id, date_trunc(%(interval)s::text, start AT TIME ZONE %(tz)s) AS bucket,
           sum(extract(epoch FROM "end" - start) / 60) AS minutes
    FROM scheduling_booking
    WHERE organization_id = %(o)s AND start >= %(lo)s AND start < %(hi)s AND status <> 'cancelled'
    GROUP BY 1, 2
), available AS (
    SELECT r.id AS resource_id, date_trunc(%(interval)s::text, d::timestamp) AS bucket,
           sum(extract(epoch FROM (h->>'end')::time - (h->>'start')::time) / 60) AS minutes
    FROM core_resource r
    CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d
    CROSS JOIN jsonb_array_elements(r.working_hours) AS h
    WHERE r.organization_id = %(o)s AND r.is_active
      AND (h->>'weekday')::int = extract(isodow FROM d)::int - 1
    GROUP BY 1, 2
)
SELECT a.resource_id, a.bucket, coalesce(b.minutes, 0), a.minutes
FROM available a LEFT JOIN booked b USING (resource_id, bucket) ORDER BY 1, 2
"""
_NAIVE_BOOKINGS = """
SELECT {column}, count(*) FROM scheduling_booking
WHERE organization_id = %(o)s AND start >= %(lo)s AND start < %(hi)s GROUP BY 1
"""
NAIVE: dict[str, tuple[str, dict[str, str]]] = {
    "summary": (_NAIVE_SUMMARY, {}),
    "revenue_by_day": (_NAIVE_REVENUE, {"interval": "day"}),
    "revenue_by_month": (_NAIVE_REVENUE, {"interval": "month"}),
    "utilization_by_month": (_NAIVE_UTILIZATION, {"interval": "month"}),
    "bookings_by_status": (_NAIVE_BOOKINGS.format(column="status"), {}),
    "bookings_by_service": (_NAIVE_BOOKINGS.format(column="service_id"), {}),
    "bookings_by_resource": (_NAIVE_BOOKINGS.format(column="resource_id"), {}),
}


def _percentiles(values: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50_ms": round(cuts[49], 2), "p95_ms": round(cuts[94], 2), "max_ms": round(max(values), 2)}


def _timed(
    call: Callable[[], None], runs: int, *, warmup: int = WARMUP, before: Callable[[], None] | None = None
) -> dict[str, float]:
    """`call()` `warmup` times, then `runs` times timed (`before()` runs untimed ahead of each)."""
    latencies = []
    for n in range(warmup + runs):
        if before is not None:
            before()
        began = time.perf_counter()
        call()
        if n >= warmup:
            latencies.append((time.perf_counter() - began) * 1000)
    return _percentiles(latencies)


def _prepare(database_url: str, generated: dict[str, Any]) -> None:
    """Acme's history (unless a previous run made it), then the rollups as the periodic job keeps them."""
    from apps.analytics.services import rollups_refresh  # noqa: PLC0415 - Django is set up by main()
    from apps.identity.models import Organization  # noqa: PLC0415

    with psycopg.connect(database_url) as conn:
        present = seeded(conn, SEED)
    if not present:
        result: Result = seed(database_url, SEED)
        generated.update(counts=result.counts, seed_seconds=result.seconds)
    generated["reused"] = present
    began = time.monotonic()
    generated["rollup_days"] = rollups_refresh(organization=Organization.objects.get(id=ACME))
    generated["rollups_seconds"] = round(time.monotonic() - began, 1)


def _year(database_url: str) -> dict[str, Any]:
    """The last 365 local days before today in Acme's zone, as the API and the naive SQL take them."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT timezone FROM identity_organization WHERE id = %s", (ACME,)).fetchone()
    zone = ZoneInfo(row[0] if row else "UTC")
    today = datetime.now(zone).date()
    first, last = today - timedelta(days=365), today - timedelta(days=1)

    def midnight(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=zone)

    return {
        "o": ACME,
        "tz": zone.key,
        "first": first,
        "last": last,
        "lo": midnight(first),
        "hi": midnight(last + timedelta(days=1)),
    }


def _bust(client: redis.Redis) -> None:
    """Deletes the cached analytics answers (keys `<prefix>:<version>:analytics:<hash>`)."""
    keys = list(client.scan_iter(match="*:analytics:*", count=1000))
    if keys:
        client.delete(*keys)


def _measure(stack: Stack, year: dict[str, Any]) -> dict[str, dict[str, Any]]:
    figures: dict[str, dict[str, Any]] = {}
    cache = redis.Redis.from_url(REDIS_URL)
    dates = {"from": year["first"].isoformat(), "to": year["last"].isoformat()}
    with (
        httpx.Client(base_url=stack.api, headers=stack.auth("viewer@acme.test"), timeout=120) as client,
        psycopg.connect(stack.database_url, autocommit=True) as conn,
    ):
        for name, (path, params) in TARGETS.items():
            sizes: list[int] = []

            def get(path: str = path, params: dict[str, str] = params, sizes: list[int] = sizes) -> None:
                response = client.get(path, params={**dates, **params})
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
                sizes.append(len(response.content))

            sql, extra = NAIVE[name]

            def naive(sql: str = sql, extra: dict[str, str] = extra) -> None:
                conn.execute(sql, {**year, **extra}).fetchall()

            uncached = _timed(get, REQUESTS, before=lambda: _bust(cache))
            cached = _timed(get, CACHED_REQUESTS)
            # One warm-up: the slowest naive query takes seconds.
            naive_figures = _timed(naive, NAIVE_RUNS, warmup=1)
            figures[name] = {
                "path": path,
                "params": params,
                "answer_bytes": sizes[-1],
                "uncached": uncached,
                "cached": cached,
                "naive_sql": naive_figures,
                "speedup": round(naive_figures["p50_ms"] / uncached["p50_ms"], 1),
            }
            print(
                f"{name:>22}: uncached p50 {uncached['p50_ms']:8.1f} p95 {uncached['p95_ms']:8.1f} ms"
                f"  cached p50 {cached['p50_ms']:6.1f} p95 {cached['p95_ms']:6.1f} ms"
                f"  naive p50 {naive_figures['p50_ms']:8.1f} ms  x{figures[name]['speedup']}",
                flush=True,
            )
    return figures


def main() -> None:
    # The generator and the rollups run in this process, on the served database.
    os.environ["DATABASE_URL"] = backend_database_url(NAME)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    generated: dict[str, Any] = {}
    with served(NAME, prepare=lambda url: _prepare(url, generated), fresh=False) as stack:
        year = _year(stack.database_url)
        started = time.monotonic()
        figures = _measure(stack, year)
        measuring = round(time.monotonic() - started, 1)
    missed = [
        f"{name}.uncached_p95_ms"
        for name, figure in figures.items()
        if figure["uncached"]["p95_ms"] >= GOALS["uncached_p95_ms"]
    ]
    missed += [f"{name}.speedup" for name, figure in figures.items() if figure["speedup"] < GOALS["speedup"]]
    result: dict[str, Any] = {
        "benchmark": "analytics",
        "server": f"granian wsgi, {WORKERS} worker(s), {' '.join(GRANIAN_ARGS)}, DEBUG=false",
        "load": f"one connection, sequential; uncached x{REQUESTS}, cached x{CACHED_REQUESTS}"
        f" (after {WARMUP} warm-up requests), naive SQL x{NAIVE_RUNS} (after one)",
        "cpus": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "database": stack.database_url.rsplit("/", 1)[1],
        "generated": generated,
        "range": {"from": year["first"].isoformat(), "to": year["last"].isoformat(), "timezone": year["tz"]},
        "measuring_seconds": measuring,
        "targets": figures,
        "goals": GOALS,
        "goals_met": {
            name: {
                "uncached_p95_ms": figure["uncached"]["p95_ms"] < GOALS["uncached_p95_ms"],
                "speedup": figure["speedup"] >= GOALS["speedup"],
            }
            for name, figure in figures.items()
        },
        "goals_missed": missed,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps(result, indent=2, default=str))
    for name in missed:
        print(f"GOAL MISSED: {name}")
    if missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
