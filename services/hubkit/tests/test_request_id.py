import logging
import re

import pytest
from django.test import Client

from hubkit.logging import RequestIdFilter
from hubkit.request_id import accept_request_id, get_request_id, set_request_id


def test_safe_incoming_id_is_echoed() -> None:
    response = Client().get("/api/health/", HTTP_X_REQUEST_ID="abc-DEF_123.456:7")
    assert response["X-Request-ID"] == "abc-DEF_123.456:7"


@pytest.mark.parametrize(
    "candidate",
    ["short", "x" * 129, "has space in it", "inject\r\nHeader: x", "<script>alert(1)</script>", ""],
)
def test_unsafe_incoming_id_is_replaced(candidate: str) -> None:
    accepted = accept_request_id(candidate)
    assert accepted != candidate
    assert re.fullmatch(r"[0-9a-f]{32}", accepted)


def test_missing_id_is_generated_fresh_each_time() -> None:
    first = Client().get("/api/health/")["X-Request-ID"]
    second = Client().get("/api/health/")["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_id_is_unbound_after_the_request() -> None:
    Client().get("/api/health/", HTTP_X_REQUEST_ID="abc-def-ghi")
    assert get_request_id() is None


def test_log_records_carry_the_bound_id() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "msg", None, None)
    set_request_id("bound-id-1234")
    try:
        RequestIdFilter().filter(record)
    finally:
        set_request_id(None)
    assert record.request_id == "bound-id-1234"  # type: ignore[attr-defined]
