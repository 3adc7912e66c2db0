import json
import time

from hubkit.health import readiness_response, redis_check


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
