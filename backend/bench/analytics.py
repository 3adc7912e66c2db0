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
- naive: one SQL aggregate over the raw bookings, payments, refunds, invoices, ledger, working
  hours, overrides and time off for the same year and buckets, the way one would compute the same
  figures without rollups, through psycopg from this process (no HTTP, no JSON: the app's answer
  carries both), timed the same way in the same run. Its figures must equal the app's answer
  (`naive_disagreements` lists any difference): the comparison is between two ways to the same
  numbers.

Goals, for every target: uncached p95 < 100 ms, and the naive query's p50 at least 20 x the
uncached p50 (`speedup`), and the two agree. Figures go to bench/results/analytics.json; exits 1
when a goal is missed.
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
from decimal import Decimal
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

# Stands for the id of one of Acme's active resources, looked up at run time (`_year`).
ONE_RESOURCE = "<one resource>"

TARGETS: dict[str, tuple[str, dict[str, str]]] = {
    "summary": ("/analytics/summary", {}),
    "revenue_by_day": ("/analytics/revenue", {"interval": "day"}),
    "revenue_by_month": ("/analytics/revenue", {"interval": "month"}),
    "utilization_by_month": ("/analytics/utilization", {"interval": "month"}),
    "utilization_by_week": ("/analytics/utilization", {"interval": "week"}),
    # A year by day for every resource is more cells than a JSON series may hold (the API answers
    # 422 and points to the CSV or a resource filter): by day is measured for one resource.
    "utilization_by_day": ("/analytics/utilization", {"interval": "day", "resource_id": ONE_RESOURCE}),
    "bookings_by_status": ("/analytics/bookings", {"group_by": "status"}),
    "bookings_by_service": ("/analytics/bookings", {"group_by": "service"}),
    "bookings_by_resource": ("/analytics/bookings", {"group_by": "resource"}),
}

# Naive: the raw tables aggregated per request, computing the very figures the app answers (the
# bench checks they agree): a booking counts on the local date of its start, an expired hold as
# cancelled; available time is each active resource's weekly hours in its own zone, a date's
# override replacing them, time off cut out, split at the organization's local midnights.
_AVAILABLE = """
res AS (
    SELECT id, timezone, working_hours FROM core_resource WHERE organization_id = %(o)s AND is_active
        AND (%(r)s::uuid IS NULL OR id = %(r)s::uuid)
), clocks AS (
    SELECT r.id AS resource_id, r.timezone, d::date AS day, h->>'start' AS s, h->>'end' AS e
    FROM res AS r
    CROSS JOIN generate_series(%(first)s::date - 2, %(last)s::date + 2, interval '1 day') AS d
    CROSS JOIN jsonb_array_elements(r.working_hours) AS h
    WHERE (h->>'weekday')::int = extract(isodow FROM d)::int - 1 AND NOT EXISTS (
        SELECT FROM core_workinghoursoverride AS o WHERE o.resource_id = r.id AND o.date = d::date)
    UNION ALL
    SELECT r.id, r.timezone, o.date, i->>'start', i->>'end'
    FROM core_workinghoursoverride AS o JOIN res AS r ON r.id = o.resource_id
    CROSS JOIN jsonb_array_elements(o.intervals) AS i
    WHERE o.date BETWEEN %(first)s::date - 2 AND %(last)s::date + 2
), working AS (
    SELECT resource_id, range_agg(tstzrange(lo, hi)) AS periods FROM (
        SELECT resource_id, (day + s::time) AT TIME ZONE timezone AS lo,
               (day + e::time) AT TIME ZONE timezone AS hi
        FROM clocks) AS p
    WHERE lo < hi GROUP BY resource_id
), away AS (
    SELECT resource_id, range_agg(tstzrange(start, "end")) AS periods FROM core_timeoff
    WHERE organization_id = %(o)s AND start < %(hi)s AND "end" > %(lo)s GROUP BY resource_id
), free AS (
    SELECT w.resource_id, unnest((w.periods - coalesce(a.periods, '{}'::tstzmultirange))
        * tstzmultirange(tstzrange(%(lo)s, %(hi)s))) AS period
    FROM working AS w LEFT JOIN away AS a USING (resource_id)
), available AS (
    SELECT f.resource_id, d::date AS day, extract(epoch FROM upper(cut.x) - lower(cut.x)) AS seconds
    FROM free AS f
    CROSS JOIN LATERAL generate_series((lower(f.period) AT TIME ZONE %(tz)s)::date,
        (upper(f.period) AT TIME ZONE %(tz)s)::date, interval '1 day') AS d
    CROSS JOIN LATERAL (SELECT f.period * tstzrange(d::date::timestamp AT TIME ZONE %(tz)s,
        (d::date + 1)::timestamp AT TIME ZONE %(tz)s) AS x) AS cut
    WHERE NOT isempty(cut.x)
), b AS (
    SELECT resource_id, service_id, start,
           CASE WHEN status = 'held' AND hold_expires_at <= now() THEN 'cancelled' ELSE status END AS status,
           extract(epoch FROM "end" - start) AS seconds
    FROM scheduling_booking WHERE organization_id = %(o)s AND start >= %(lo)s AND start < %(hi)s
)
"""
_RECEIVABLES = """
SELECT coalesce(sum(e.amount), 0) FROM transactions_ledgerentry AS e
JOIN transactions_ledgertransaction AS t ON t.id = e.transaction_id
JOIN transactions_ledgeraccount AS a ON a.id = e.account_id
WHERE t.organization_id = %(o)s AND a.kind = 'receivables' AND e.currency = %(cur)s AND t.occurred_at < %(hi)s
"""
_NAIVE_SUMMARY = f"""
WITH {_AVAILABLE}
SELECT
    (SELECT count(*) FROM b),
    (SELECT jsonb_object_agg(status, n) FROM (SELECT status, count(*) AS n FROM b GROUP BY 1) AS s),
    (SELECT coalesce(sum(seconds), 0) FROM b
        WHERE status <> 'cancelled' AND resource_id IN (SELECT id FROM res)),
    (SELECT coalesce(sum(seconds), 0) FROM available),
    (SELECT coalesce(sum(amount), 0) FROM transactions_payment WHERE organization_id = %(o)s
        AND currency = %(cur)s AND received_at >= %(lo)s AND received_at < %(hi)s),
    (SELECT coalesce(sum(amount), 0) FROM transactions_refund WHERE organization_id = %(o)s
        AND currency = %(cur)s AND created_at >= %(lo)s AND created_at < %(hi)s),
    (SELECT coalesce(sum(total), 0) FROM transactions_invoice WHERE organization_id = %(o)s
        AND currency = %(cur)s AND issue_date BETWEEN %(first)s AND %(last)s
        AND status NOT IN ('draft', 'void')),
    ({_RECEIVABLES})
"""  # noqa: S608 - built of this module's constants only
_NAIVE_REVENUE = """
SELECT bucket::date, sum(paid), sum(refunded), sum(invoiced) FROM (
    SELECT date_trunc(%(interval)s::text, received_at AT TIME ZONE %(tz)s) AS bucket,
           amount AS paid, 0 AS refunded, 0 AS invoiced
    FROM transactions_payment WHERE organization_id = %(o)s AND currency = %(cur)s
        AND received_at >= %(lo)s AND received_at < %(hi)s
    UNION ALL
    SELECT date_trunc(%(interval)s::text, created_at AT TIME ZONE %(tz)s), 0, amount, 0
    FROM transactions_refund WHERE organization_id = %(o)s AND currency = %(cur)s
        AND created_at >= %(lo)s AND created_at < %(hi)s
    UNION ALL
    SELECT date_trunc(%(interval)s::text, issue_date::timestamp), 0, 0, total
    FROM transactions_invoice WHERE organization_id = %(o)s AND currency = %(cur)s
        AND issue_date BETWEEN %(first)s AND %(last)s AND status NOT IN ('draft', 'void')
) AS moves GROUP BY bucket ORDER BY bucket
"""
_NAIVE_UTILIZATION = f"""
WITH {_AVAILABLE}, booked AS (
    SELECT resource_id, date_trunc(%(interval)s::text, start AT TIME ZONE %(tz)s)::date AS bucket,
           sum(seconds) AS seconds
    FROM b WHERE status <> 'cancelled' GROUP BY 1, 2
), free_time AS (
    SELECT resource_id, date_trunc(%(interval)s::text, day::timestamp)::date AS bucket,
           sum(seconds) AS seconds
    FROM available GROUP BY 1, 2
)
SELECT r.id, f.bucket, coalesce(bk.seconds, 0), f.seconds
FROM res AS r JOIN free_time AS f ON f.resource_id = r.id
LEFT JOIN booked AS bk ON bk.resource_id = r.id AND bk.bucket = f.bucket ORDER BY 1, 2
"""  # noqa: S608 - built of this module's constants only
_NAIVE_BOOKINGS = """
SELECT {column}, count(*) FROM (
    SELECT resource_id::text, coalesce(service_id::text, 'none') AS service_id,
           CASE WHEN status = 'held' AND hold_expires_at <= now() THEN 'cancelled' ELSE status END AS status
    FROM scheduling_booking WHERE organization_id = %(o)s AND start >= %(lo)s AND start < %(hi)s
) AS b GROUP BY 1
"""
NAIVE: dict[str, tuple[str, dict[str, str]]] = {
    "summary": (_NAIVE_SUMMARY, {}),
    "revenue_by_day": (_NAIVE_REVENUE, {"interval": "day"}),
    "revenue_by_month": (_NAIVE_REVENUE, {"interval": "month"}),
    "utilization_by_month": (_NAIVE_UTILIZATION, {"interval": "month"}),
    "utilization_by_week": (_NAIVE_UTILIZATION, {"interval": "week"}),
    "utilization_by_day": (_NAIVE_UTILIZATION, {"interval": "day", "r": ONE_RESOURCE}),
    "bookings_by_status": (_NAIVE_BOOKINGS.format(column="status"), {}),
    "bookings_by_service": (_NAIVE_BOOKINGS.format(column="service_id"), {}),
    "bookings_by_resource": (_NAIVE_BOOKINGS.format(column="resource_id"), {}),
}


def _minutes(seconds: Any) -> int:
    return int(Decimal(seconds)) // 60


def _disagreements(name: str, answer: dict[str, Any], rows: list[tuple[Any, ...]]) -> list[str]:
    """Where the app's answer and the naive SQL's figures differ (none: they compute the same)."""
    if name == "summary":
        ((total, by_status, booked, available, paid, refunded, invoiced, receivables),) = rows
        mine = {
            "total": total,
            "by_status": {k: v for k, v in (by_status or {}).items() if v},
            "booked_minutes": _minutes(booked),
            "available_minutes": _minutes(available),
            "revenue_gross": Decimal(paid),
            "refunds": Decimal(refunded),
            "invoiced": Decimal(invoiced),
            "outstanding": Decimal(receivables),
        }
        theirs = {
            "total": answer["bookings"]["total"],
            "by_status": {k: v for k, v in answer["bookings"]["by_status"].items() if v},
            "booked_minutes": answer["booked_minutes"],
            "available_minutes": answer["available_minutes"],
            **{
                k: Decimal(answer[k]["amount"])
                for k in ("revenue_gross", "refunds", "invoiced", "outstanding")
            },
        }
        return [f"{k}: naive {mine[k]} app {theirs[k]}" for k in mine if mine[k] != theirs[k]]
    items = answer["items"]
    if name.startswith("revenue"):
        naive = {str(b): [Decimal(v) for v in values] for b, *values in rows}
        app = {
            i["bucket"]: [Decimal(i[k]["amount"]) for k in ("revenue_gross", "refunds", "invoiced")]
            for i in items
        }
        zero = [Decimal(0)] * 3
        return [
            f"{b}: naive {naive.get(b, zero)} app {app.get(b, zero)}"
            for b in sorted(app | naive)
            if naive.get(b, zero) != app.get(b, zero)
        ]
    if name.startswith("utilization"):
        naive_u = {(str(r), str(b)): (_minutes(bk), _minutes(av)) for r, b, bk, av in rows}
        app_u = {
            (i["resource_id"], i["bucket"]): (i["booked_minutes"], i["available_minutes"]) for i in items
        }
        keys = sorted(naive_u.keys() | app_u.keys())
        # The naive query has no row for a resource with no working time in a bucket: zeros.
        none = (0, 0)
        return [
            f"{k}: naive {naive_u.get(k, none)} app {app_u.get(k, none)}"
            for k in keys
            if naive_u.get(k, none) != app_u.get(k, none)
        ]
    naive_b = {str(key): count for key, count in rows}
    app_b = {i["key"]: i["count"] for i in items if i["count"]}
    return [
        f"{k}: naive {naive_b.get(k)} app {app_b.get(k)}"
        for k in sorted(naive_b | app_b)
        if naive_b.get(k) != app_b.get(k)
    ]


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
    # Generated rows and a first run's rollups are minutes old; autovacuum would get to them later,
    # but the measuring starts now. Without statistics PostgreSQL plans the month reads for a few
    # dozen rows (sort + group) instead of tens of thousands (hash aggregate), and without the
    # visibility map (VACUUM's) every index-only scan still fetches its heap pages. A database
    # that has lived a while has both.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def _year(database_url: str) -> dict[str, Any]:
    """The last 365 local days before today in Acme's zone, as the API and the naive SQL take them."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT timezone FROM identity_organization WHERE id = %s", (ACME,)).fetchone()
        billing = conn.execute(
            "SELECT currency FROM transactions_billingsettings WHERE organization_id = %s", (ACME,)
        ).fetchone()
        resource = conn.execute(
            "SELECT id FROM core_resource WHERE organization_id = %s AND is_active ORDER BY name, id LIMIT 1",
            (ACME,),
        ).fetchone()
    zone = ZoneInfo(row[0] if row else "UTC")
    today = datetime.now(zone).date()
    first, last = today - timedelta(days=365), today - timedelta(days=1)

    def midnight(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=zone)

    return {
        "o": ACME,
        "tz": zone.key,
        "cur": billing[0] if billing else "EUR",
        "first": first,
        "last": last,
        "lo": midnight(first),
        "hi": midnight(last + timedelta(days=1)),
        "r": None,  # every active resource; a target's ONE_RESOURCE names this one
        "one_resource": str(resource[0]) if resource else None,
    }


def _bust(client: redis.Redis) -> None:
    """Deletes the cached analytics answers (keys `<prefix>:<version>:analytics:<hash>`)."""
    keys = list(client.scan_iter(match="*:analytics:*", count=1000))
    if keys:
        client.delete(*keys)


def _resolved(params: dict[str, str], year: dict[str, Any]) -> dict[str, str]:
    """`params` with ONE_RESOURCE replaced by the resource `_year` picked."""
    if ONE_RESOURCE in params.values() and year["one_resource"] is None:
        raise RuntimeError("the generated organization has no active resource")
    return {key: year["one_resource"] if value == ONE_RESOURCE else value for key, value in params.items()}


def _measure(stack: Stack, year: dict[str, Any]) -> dict[str, dict[str, Any]]:
    figures: dict[str, dict[str, Any]] = {}
    cache = redis.Redis.from_url(REDIS_URL)
    dates = {"from": year["first"].isoformat(), "to": year["last"].isoformat()}
    with (
        httpx.Client(base_url=stack.api, headers=stack.auth("viewer@acme.test"), timeout=120) as client,
        psycopg.connect(stack.database_url, autocommit=True) as conn,
    ):
        for name, (path, asked) in TARGETS.items():
            params = _resolved(asked, year)
            answers: list[httpx.Response] = []

            def get(
                path: str = path, params: dict[str, str] = params, answers: list[httpx.Response] = answers
            ) -> None:
                response = client.get(path, params={**dates, **params})
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path} answered {response.status_code}: {response.text[:300]}")
                answers[:] = [response]

            sql, naive_asked = NAIVE[name]
            extra = _resolved(naive_asked, year)
            naive_rows: list[list[tuple[Any, ...]]] = []

            def naive(sql: str = sql, extra: dict[str, str] = extra, found: list[Any] = naive_rows) -> None:
                found[:] = [conn.execute(sql, {**year, **extra}).fetchall()]

            uncached = _timed(get, REQUESTS, before=lambda: _bust(cache))
            cached = _timed(get, CACHED_REQUESTS)
            # One warm-up: the slowest naive query takes seconds.
            naive_figures = _timed(naive, NAIVE_RUNS, warmup=1)
            disagree = _disagreements(name, answers[0].json(), naive_rows[0])
            figures[name] = {
                "path": path,
                "params": params,
                "answer_bytes": len(answers[0].content),
                "naive_disagreements": disagree[:20],
                "uncached": uncached,
                "cached": cached,
                "naive_sql": naive_figures,
                "speedup": round(naive_figures["p50_ms"] / uncached["p50_ms"], 1),
                # The speedup even an answer that took no time to compute would show: the naive
                # query against the whole served request with its answer already in Redis.
                "speedup_ceiling": round(naive_figures["p50_ms"] / cached["p50_ms"], 1),
            }
            print(
                f"{name:>22}: uncached p50 {uncached['p50_ms']:8.1f} p95 {uncached['p95_ms']:8.1f} ms"
                f"  cached p50 {cached['p50_ms']:6.1f} p95 {cached['p95_ms']:6.1f} ms"
                f"  naive p50 {naive_figures['p50_ms']:8.1f} ms  x{figures[name]['speedup']}"
                f" (ceiling x{figures[name]['speedup_ceiling']})"
                + (f"  DISAGREES ({len(disagree)})" if disagree else ""),
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
    missed += [f"{name}.naive_agrees" for name, figure in figures.items() if figure["naive_disagreements"]]
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
