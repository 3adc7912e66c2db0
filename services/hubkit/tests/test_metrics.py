import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connections
from django.test import Client

from hubkit.metrics import OutboxBacklogCollector, register_scrape_collector, unregister_scrape_collector
from tests.urls import HELD


def _sample(text: str, needle: str) -> float:
    for line in text.splitlines():
        if line.startswith("hub_http_requests_total{") and needle in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_requests_are_counted_by_route_pattern_and_status() -> None:
    client = Client(raise_request_exception=False)
    before = client.get("/metrics").content.decode()
    client.get("/api/v1/conflict")
    client.get("/api/v1/conflict")
    client.get("/api/v1/does-not-exist-123")
    after = client.get("/metrics").content.decode()
    key = 'route="api/v1/conflict",status="409"'
    assert _sample(after, key) - _sample(before, key) == 2
    unmatched = 'route="<unmatched>",status="404"'
    assert _sample(after, unmatched) - _sample(before, unmatched) == 1
    assert "does-not-exist-123" not in after


def _pool_sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(f'{name}{{database="default"}} '):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the name overridden
        pass


@pytest.fixture
def pooled_server() -> Iterator[str]:
    """The test app over real HTTP, one thread per request, its database behind Django's pool."""
    wrapper = connections["default"]
    options = wrapper.settings_dict["OPTIONS"]
    wrapper.close()
    # Every thread's wrapper shares this settings dict: they all check out of the one pool.
    options["pool"] = {"min_size": 0, "max_size": HELD_REQUESTS, "timeout": 10}
    server = make_server(
        "127.0.0.1", 0, WSGIHandler(), server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        HELD.release.set()
        server.shutdown()
        server.server_close()
        wrapper.close()
        wrapper.close_pool()  # type: ignore[attr-defined]  # Django 5.1+, not in its stubs
        del options["pool"]
        HELD.release.clear()


HELD_REQUESTS = 3


@pytest.mark.django_db(transaction=True)
def test_pooled_connections_in_use_and_the_wait_for_them_are_measured(pooled_server: str) -> None:
    def scrape() -> str:
        return httpx.get(f"{pooled_server}/metrics", timeout=10).text

    before = scrape()
    waits_before = _pool_sample(before, "hub_db_pool_wait_seconds_count")
    in_use_before = _pool_sample(before, "hub_db_pool_connections_in_use")
    with ThreadPoolExecutor(HELD_REQUESTS) as pool:
        held = [
            pool.submit(httpx.get, f"{pooled_server}/api/hold-connection", timeout=30)
            for _ in range(HELD_REQUESTS)
        ]
        for _ in range(HELD_REQUESTS):
            assert HELD.holding.acquire(timeout=20)
        # The metrics view itself queries nothing, so it holds no connection of its own.
        during = scrape()
        HELD.release.set()
        assert [future.result().status_code for future in held] == [200] * HELD_REQUESTS
    after = scrape()

    assert _pool_sample(during, "hub_db_pool_connections_in_use") - in_use_before == HELD_REQUESTS
    assert _pool_sample(after, "hub_db_pool_connections_in_use") == in_use_before
    assert _pool_sample(after, "hub_db_pool_wait_seconds_count") - waits_before == HELD_REQUESTS


def _refused() -> dict[str, tuple[int, float]]:
    raise OperationalError("connection refused")


@pytest.mark.parametrize(
    ("backlog", "served"),
    [
        (lambda: {"communication": (3, 12.5)}, 'hub_event_outbox_backlog{destination="communication"} 3.0'),
        (_refused, None),
    ],
)
def test_a_scrape_time_reading_the_database_cannot_make_is_left_out_and_logged(
    backlog: Callable[[], dict[str, tuple[int, float]]], served: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    collector = OutboxBacklogCollector(backlog)
    register_scrape_collector(collector)
    try:
        with caplog.at_level(logging.WARNING, logger="hubkit.metrics"):
            response = Client().get("/metrics")
    finally:
        unregister_scrape_collector(collector)
    # Every other figure is still served: a scraper that got a 500 would lose them all.
    assert response.status_code == 200
    text = response.content.decode()
    assert "hub_http_requests_total" in text
    if served is None:
        assert "hub_event_outbox_backlog" not in text
        assert [r.getMessage() for r in caplog.records] == [
            "metrics: the outbox backlog not read, the database did not answer (connection refused)"
        ]
    else:
        assert served in text.splitlines()
        assert not caplog.records
