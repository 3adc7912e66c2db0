import json
import time
from typing import Any

from hubkit.health import (
    Degraded,
    Healthy,
    identity_check,
    readiness_response,
    redis_check,
    token_verifier_checks,
)


def _fails() -> None:
    raise ConnectionError("down")


def _slow() -> None:
    time.sleep(2)


def test_all_ok_is_200() -> None:
    response = readiness_response({"a": lambda: None, "redis": redis_check("redis://127.0.0.1:6379/0")})
    body = json.loads(response.content)
    assert response.status_code == 200
    assert set(body["checks"]) == {"a", "redis"}
    assert body["failing"] == []


def test_failing_and_slow_checks_are_named_in_503() -> None:
    started = time.monotonic()
    response = readiness_response({"ok": lambda: None, "db": _fails, "slow": _slow}, timeout=0.3)
    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["failing"] == ["db", "slow"]
    assert body["checks"]["db"]["error"] == "ConnectionError"
    assert time.monotonic() - started < 1.5


def test_closed_redis_port_fails_fast() -> None:
    response = readiness_response({"redis": redis_check("redis://127.0.0.1:1/0", timeout=0.5)})
    assert response.status_code == 503
    assert json.loads(response.content)["failing"] == ["redis"]


def test_a_degraded_check_is_200_named_with_its_figures() -> None:
    response = readiness_response(
        {"ok": lambda: Healthy({"n": 1}), "keys": lambda: Degraded("stale keys", {"keys_age_seconds": 42.0})}
    )
    body = json.loads(response.content)
    assert response.status_code == 200
    assert body["status"] == "degraded"
    assert body["degraded"] == ["keys"]
    assert body["failing"] == []
    assert body["checks"]["keys"] == {
        "status": "degraded",
        "reason": "stale keys",
        "keys_age_seconds": 42.0,
        "duration_ms": body["checks"]["keys"]["duration_ms"],
    }
    assert body["checks"]["ok"]["n"] == 1


def test_a_failing_check_outweighs_a_degraded_one() -> None:
    response = readiness_response({"keys": lambda: Degraded("stale"), "db": _fails})
    body = json.loads(response.content)
    assert response.status_code == 503
    assert (body["status"], body["failing"], body["degraded"]) == ("unavailable", ["db"], ["keys"])


def test_a_token_verifier_is_ready_with_its_store_and_the_identity_service_keys(settings: Any) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:6379/0"
    checks = token_verifier_checks()
    assert set(checks) == {"database", "redis", "identity"}
    assert checks["identity"] is identity_check
