"""Prometheus metrics: requests by route template and status, the database pool, scrape-time gauges.

Multi-process aware: with `PROMETHEUS_MULTIPROC_DIR` set (Granian workers), counters and
histograms of every worker are aggregated, and so are the live gauges (`multiprocess_mode=
"livesum"`: the sum over the workers alive now), such as the pooled connections lent out, which the
hub's database engine (`hubkit.postgresql`) counts on checkout and return. Gauges that must be read
when scraped (the rest of the answering process's pool, a service's own figures such as the outbox
backlog) are `Collector`s added with `register_scrape_collector`; they are exposed next to the rest.

A background process (the procrastinate worker) serves the same exposition on its own port:
`start_metrics_server(port)`, or `worker_app_ready` as `PROCRASTINATE_ON_APP_READY`.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from hubkit.access import route_of

logger = logging.getLogger(__name__)

T = TypeVar("T")

REQUESTS = Counter("hub_http_requests_total", "HTTP requests served.", ["method", "route", "status"])
LATENCY = Histogram(
    "hub_http_request_duration_seconds",
    "Time spent serving a request.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

# Counted by the engine (hubkit.postgresql) on every pooled checkout and return, in every process:
# a scrape-time read of the pool would only see the worker that answers the scrape.
DB_POOL_IN_USE = Gauge(
    "hub_db_pool_connections_in_use",
    "Pooled connections lent out now (summed over the live processes).",
    ["database"],
    multiprocess_mode="livesum",
)
DB_POOL_WAIT = Histogram(
    "hub_db_pool_wait_seconds",
    "Time spent getting a connection from the pool (waiting while it is exhausted).",
    ["database"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)


class MetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        # The route pattern, never the raw path: ids would explode the label cardinality.
        route = route_of(request)
        method = request.method or "GET"
        LATENCY.labels(method, route).observe(time.perf_counter() - started)
        REQUESTS.labels(method, route, str(response.status_code)).inc()
        return response


class DatabasePoolCollector(Collector):
    """psycopg_pool's figures for each pooled database of the answering process, read when scraped."""

    def collect(self) -> Iterable[Metric]:
        idle = GaugeMetricFamily(
            "hub_db_pool_connections_idle", "Pooled connections open and free now.", labels=["database"]
        )
        size_max = GaugeMetricFamily(
            "hub_db_pool_connections_max", "The pool's maximum size.", labels=["database"]
        )
        waiting = GaugeMetricFamily(
            "hub_db_pool_requests_waiting", "Requests waiting for a connection now.", labels=["database"]
        )
        for alias, stats in _pool_stats():
            idle.add_metric([alias], stats.get("pool_available", 0))
            size_max.add_metric([alias], stats.get("pool_max", 0))
            waiting.add_metric([alias], stats.get("requests_waiting", 0))
        yield from (idle, size_max, waiting)


def _pool_stats() -> list[tuple[str, dict[str, int]]]:
    out = []
    for alias in connections:
        wrapper = connections[alias]
        # Only pools that exist already: reading `.pool` would open one (and its connections).
        pools = getattr(type(wrapper), "_connection_pools", {})
        pool = pools.get(alias)
        if pool is not None:
            out.append((alias, dict(pool.get_stats())))
    return out


def outbox_backlog_families(rows: Mapping[str, tuple[int, float]]) -> list[GaugeMetricFamily]:
    """`hub_event_outbox_backlog` and `hub_event_outbox_oldest_age_seconds` per destination, from a
    service's backlog selector (destination -> (undelivered, oldest one's age in seconds))."""
    backlog = GaugeMetricFamily(
        "hub_event_outbox_backlog",
        "Deliveries not delivered yet (queued or waiting for a retry).",
        labels=["destination"],
    )
    oldest = GaugeMetricFamily(
        "hub_event_outbox_oldest_age_seconds",
        "Age of the oldest delivery not delivered yet (0 when none is waiting).",
        labels=["destination"],
    )
    for destination, (pending, age) in sorted(rows.items()):
        backlog.add_metric([destination], pending)
        oldest.add_metric([destination], age)
    return [backlog, oldest]


def read_at_scrape(read: Callable[[], T], what: str) -> T | None:
    """`read()` from the database when scraped; None (logged) when the database cannot answer, so
    /metrics still serves every other figure (a scraper that gets a 500 loses them all)."""
    try:
        return read()
    except DatabaseError as exc:
        logger.warning("metrics: %s not read, the database did not answer (%s)", what, exc)
        return None
    finally:
        # Scraped from a thread of its own in a worker: never keep its connection checked out.
        if not connections["default"].in_atomic_block:
            connections["default"].close()


class OutboxBacklogCollector(Collector):
    """A service's outbox backlog, read from its database when scraped (it survives a restart)."""

    def __init__(self, backlog: Callable[[], Mapping[str, tuple[int, float]]]) -> None:
        self.backlog = backlog

    def collect(self) -> Iterable[Metric]:
        rows = read_at_scrape(self.backlog, "the outbox backlog")
        if rows is not None:
            yield from outbox_backlog_families(rows)


_SCRAPE = CollectorRegistry(auto_describe=False)
_SCRAPE.register(DatabasePoolCollector())


def register_scrape_collector(collector: Collector) -> None:
    """Expose a collector computed at scrape time (keep what it does cheap: one indexed query)."""
    _SCRAPE.register(collector)


def unregister_scrape_collector(collector: Collector) -> None:
    _SCRAPE.unregister(collector)


class _Delegate(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterable[Metric]:
        return self.registry.collect()


def exposition_registry() -> CollectorRegistry:
    """What this process exposes: its (or all workers') metrics, then the scrape-time gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Delegate(REGISTRY))
    registry.register(_Delegate(_SCRAPE))
    return registry


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Exposition for Prometheus; aggregates all workers when PROMETHEUS_MULTIPROC_DIR is set."""
    return HttpResponse(generate_latest(exposition_registry()), content_type=CONTENT_TYPE_LATEST)


def start_metrics_server(port: int, host: str = "127.0.0.1") -> bool:
    """Serve this process's metrics on `host:port` from a thread; False (logged) if the port is taken."""
    try:
        start_http_server(port, addr=host, registry=exposition_registry())
    except OSError as exc:
        logger.warning("metrics not served: cannot listen on %s:%d (%s)", host, port, exc)
        return False
    logger.info("metrics on http://%s:%d/metrics", host, port)
    return True


def worker_app_ready(app: object) -> None:
    """`PROCRASTINATE_ON_APP_READY`: a `procrastinate worker` process serves its metrics.

    On `settings.WORKER_METRICS_PORT` (None: not served) and `WORKER_METRICS_HOST`; other
    commands loading the app (migrate, a web process) serve nothing.
    """
    port = getattr(settings, "WORKER_METRICS_PORT", None)
    if port is None or sys.argv[1:3] != ["procrastinate", "worker"]:
        return
    start_metrics_server(int(port), host=str(getattr(settings, "WORKER_METRICS_HOST", "127.0.0.1")))
