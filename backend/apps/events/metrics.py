"""The outbox in Prometheus: delivery attempts, dead deliveries and drains (counted by the worker),
and the backlog and the deliveries dead now per destination (read from the database when scraped:
unlike the counters, they survive a worker's restart)."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from apps.events.selectors import outbox_backlog, outbox_dead
from hubkit.metrics import outbox_backlog_families, read_at_scrape

ATTEMPTS = Counter(
    "hub_event_delivery_attempts_total",
    "Delivery attempts (POSTs of an event to a subscriber), by outcome and the answer's status class.",
    ["destination", "outcome", "status_class"],
)
GIVEN_UP = Counter(
    "hub_event_deliveries_given_up_total",
    "Deliveries that will not be tried again: dead (retries exhausted), failed (refused for good) "
    "or refused_too_large.",
    ["destination", "status"],
)
DRAIN_DURATION = Histogram(
    "hub_event_drain_duration_seconds",
    "How long one drain job worked a (destination, shard).",
    ["destination"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def status_class(status_code: int | None, error: str) -> str:
    """`2xx` .. `5xx` for an answer; `timeout` or `network_error` when there was none."""
    if status_code is None:
        return "timeout" if error.startswith(("TimeoutError", "ServerTimeoutError")) else "network_error"
    return f"{status_code // 100}xx"


class OutboxCollector(Collector):
    """`hub_event_outbox_backlog`, `hub_event_outbox_oldest_age_seconds` and
    `hub_event_outbox_dead` per destination."""

    def collect(self) -> Iterable[Metric]:
        dead = GaugeMetricFamily(
            "hub_event_outbox_dead",
            "Deliveries dead now (retries exhausted, not redelivered): the counter "
            "hub_event_deliveries_given_up_total restarts with the worker, this does not.",
            labels=["destination"],
        )
        read = read_at_scrape(lambda: (outbox_backlog(), outbox_dead()), "the outbox backlog")
        if read is None:
            return
        rows, dead_rows = read
        for destination, count in sorted(dead_rows.items()):
            dead.add_metric([destination], count)
        yield from outbox_backlog_families(rows)
        yield dead
