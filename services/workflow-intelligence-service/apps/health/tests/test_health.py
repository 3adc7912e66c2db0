import json

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_liveness_answers_without_io(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    with django_assert_num_queries(0):
        response = Client().get("/api/health/")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}


def test_readiness_names_each_check() -> None:
    response = Client().get("/api/health/ready")
    body = json.loads(response.content)
    assert response.status_code == 200
    assert {"database", "redis"} <= set(body["checks"])
    assert all(check["status"] == "ok" for check in body["checks"].values())


def test_readiness_is_503_naming_redis_when_it_is_unreachable(settings) -> None:  # type: ignore[no-untyped-def]
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = Client().get("/api/health/ready")
    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["failing"] == ["redis"]
    assert body["checks"]["database"]["status"] == "ok"
